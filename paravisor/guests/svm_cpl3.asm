; Hostile guest: SVM instructions at CPL 3 must raise #UD (as on a CPU without SVM), not the #GP
; that would reveal EFER.SVME; an ordinary #GP at CPL 3 must still arrive as #GP with its error
; code. Builds its own GDT (user code/data, a TSS with RSP0), makes its identity map user-
; accessible, drops to CPL 3 with IRETQ and comes back through the fault handlers.
; Exit code 0 = all passed, else the failed step.
%include "guest.inc"

USER_DS equ 0x18 | 3
USER_CS equ 0x20 | 3
TSS_SEL equ 0x28

main:
    ; GDT: null, kernel code 0x08, kernel data 0x10, user data 0x18, user code 0x20, TSS 0x28.
    lea rax, [tss]
    mov [gdt_tss + 2], ax
    shr rax, 16
    mov [gdt_tss + 4], al
    mov [gdt_tss + 7], ah
    shr rax, 16
    mov [gdt_tss + 8], eax
    lea rax, [ring0_stack_top]
    mov [tss + 4], rax              ; RSP0: where a fault from CPL 3 lands
    lgdt [gdtr]
    mov ax, TSS_SEL
    ltr ax
    ; Our own fault handlers (vectors 6 and 13) replace guest.inc's.
    lea rdi, [idt + 6 * 16]
    lea rax, [ud_from_user]
    call set_gate
    lea rdi, [idt + 13 * 16]
    lea rax, [gp_from_user]
    call set_gate
    ; User access on every level of the identity map (PML4[0], PDPT[0], the 2 MiB PD entries).
    mov rbx, cr3
    and rbx, ~0xfff
    or qword [rbx], 4
    mov rbx, [rbx]
    and rbx, ~0xfff
    or qword [rbx], 4
    mov rbx, [rbx]
    and rbx, ~0xfff
    mov ecx, 512
.pd:
    or qword [rbx], 4
    add rbx, 8
    loop .pd
    mov rax, cr3
    mov cr3, rax

    ; Step 1: VMRUN at CPL 3 -> #UD.
    lea rax, [user_vmrun]
    call run_user
    cmp byte [vector], 6
    jne fail_1
    ; Step 2: INVLPGA at CPL 3 -> #UD.
    lea rax, [user_invlpga]
    call run_user
    cmp byte [vector], 6
    jne fail_2
    ; Step 3: CLGI at CPL 3 -> #UD.
    lea rax, [user_clgi]
    call run_user
    cmp byte [vector], 6
    jne fail_3
    ; Step 4: a privileged MOV to CR0 at CPL 3 is an ordinary #GP(0) and must stay one.
    lea rax, [user_mov_cr0]
    call run_user
    cmp byte [vector], 13
    jne fail_4
    cmp qword [error], 0
    jne fail_4
    PUTS ok
    EXIT 0

; RAX = user code. Enters it at CPL 3; returns here when a fault handler brings us back.
run_user:
    mov [kernel_rsp], rsp
    mov byte [vector], 0xff
    lea rbx, [user_stack_top]
    push USER_DS
    push rbx
    push 0x2                        ; RFLAGS: interrupts off
    push USER_CS
    push rax
    iretq

; Fault handlers: record the vector (and #GP's error code), then resume ring 0 after run_user's
; call, discarding the user frame.
ud_from_user:
    mov byte [vector], 6
    jmp back_to_kernel
gp_from_user:
    mov byte [vector], 13
    pop qword [error]
back_to_kernel:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov rsp, [kernel_rsp]
    ret

user_vmrun:
    vmrun
    jmp $
user_invlpga:
    invlpga
    jmp $
user_clgi:
    clgi
    jmp $
user_mov_cr0:
    mov rax, cr0
    mov cr0, rax
    jmp $

%assign step 1
%rep 4
fail_ %+ step:
    EXIT step
%assign step step + 1
%endrep

ok: db "svm_cpl3: SVM instructions at CPL 3 raise #UD; other #GPs stay #GP", 10, 0

align 16
gdt:
    dq 0
    dq 0x00af9a000000ffff           ; 0x08 kernel code
    dq 0x00cf92000000ffff           ; 0x10 kernel data
    dq 0x00cff2000000ffff           ; 0x18 user data (DPL 3)
    dq 0x00affa000000ffff           ; 0x20 user code, 64-bit (DPL 3)
gdt_tss:
    dw 103                          ; 0x28 TSS: limit, base filled in at run time
    dw 0
    db 0, 0x89, 0, 0
    dd 0, 0
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dq gdt
align 16
tss: times 104 db 0
align 8
kernel_rsp: dq 0
error:      dq 0
vector:     db 0
align 16
    times 1024 db 0
ring0_stack_top:
    times 1024 db 0
user_stack_top:

%include "guest_data.inc"
