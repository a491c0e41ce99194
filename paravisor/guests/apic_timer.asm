; The emulated platform's interrupt delivery, on every backend (module option `platform=pc`
; gives this guest the local APIC a Linux guest gets): x2APIC on through APIC_BASE, the timer
; in TSC-deadline mode (the rate from CPUID 0x40000010), five HLTs each woken by the timer's
; interrupt (vector 0xec, EOI by x2APIC MSR), then an interrupt raised while IF=0 that must wait
; (the paravisor asks for an interrupt window) and arrive right after STI's shadow. Exit code 0:
; all delivered as described; 1: no TSC rate; 2: a HLT was not woken by the timer; 3: delivered
; with IF=0; 4: not delivered after STI.
%include "guest.inc"

TIMER_VECTOR equ 0xec

main:
    lea rdi, [big_idt + 6 * 16]
    lea rax, [ud_handler]
    call set_gate
    lea rdi, [big_idt + 13 * 16]
    lea rax, [gp_handler]
    call set_gate
    lea rdi, [big_idt + TIMER_VECTOR * 16]
    lea rax, [timer_handler]
    call set_gate
    lidt [big_idtr]

    mov eax, 0x40000010             ; EAX = TSC kHz = TSC ticks per millisecond
    cpuid
    test eax, eax
    jz .fail1
    mov [tsc_per_ms], eax

    mov ecx, 0x1b                   ; APIC_BASE: enable (bit 11) + x2APIC (bit 10)
    rdmsr
    or eax, (1 << 11) | (1 << 10)
    wrmsr
    mov ecx, 0x80f                  ; SVR: software enable, spurious vector 0xff
    mov eax, 0x1ff
    xor edx, edx
    wrmsr
    mov ecx, 0x832                  ; LVT timer: TSC-deadline mode, unmasked
    mov eax, (2 << 17) | TIMER_VECTOR
    wrmsr

    mov r12d, 5
.round:
    mov r13d, [ticks]
    rdtsc                           ; deadline = now + 1 ms
    shl rdx, 32
    or rax, rdx
    add rax, [tsc_per_ms]
    mov rdx, rax
    shr rdx, 32
    mov ecx, 0x6e0                  ; IA32_TSC_DEADLINE
    wrmsr
    sti                             ; the shadow covers HLT: the interrupt wakes it
    hlt
    cli
    inc r13d
    cmp [ticks], r13d
    jne .fail2
    dec r12d
    jnz .round

    ; A deadline in the past fires at once, while IF=0: it must wait for STI.
    mov ecx, 0x6e0
    mov eax, 1
    xor edx, edx
    wrmsr
    xor eax, eax
    cpuid                           ; an exit with the interrupt pending and IF=0
    cmp dword [ticks], 5
    jne .fail3
    sti
    nop                             ; delivered after the STI shadow, before the CLI
    cli
    cmp dword [ticks], 6
    jne .fail4
    PUTS ok
    EXIT 0
.fail1:
    EXIT 1
.fail2:
    EXIT 2
.fail3:
    EXIT 3
.fail4:
    EXIT 4

timer_handler:
    push rax
    push rcx
    push rdx
    inc dword [ticks]
    mov ecx, 0x80b                  ; x2APIC EOI
    xor eax, eax
    xor edx, edx
    wrmsr
    pop rdx
    pop rcx
    pop rax
    iretq

ok: db "apic_timer: 5 HLTs woken by the TSC-deadline timer, an IF=0 interrupt held until STI", 10, 0
align 8
tsc_per_ms: dq 0
ticks: dd 0
align 16
big_idt: times 256 * 16 db 0
big_idtr:
    dw 256 * 16 - 1
    dq big_idt

%include "guest_data.inc"
