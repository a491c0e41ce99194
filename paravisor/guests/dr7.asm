; Hostile guest: a data breakpoint armed in DR0/DR7 must keep firing across exits (VMX: DR7 is
; saved and loaded through the VMCS debug controls; SVM: through the VMCB). Exit code 0 = the
; breakpoint fired once before and once after a series of exits; 1/2 = it did not.
%include "guest.inc"

main:
    lea rdi, [idt + 1 * 16]         ; #DB
    lea rax, [db_handler]
    call set_gate
    lea rax, [watched]
    mov dr0, rax
    ; L0, R/W0 = 01 (data writes), LEN0 = 11 (4 bytes), bit 10 reserved-one.
    mov eax, 0x000d0401
    mov dr7, rax
    mov dword [watched], 1
    cmp dword [db_hits], 1
    jne .fail1
    ; Exits of several kinds; the breakpoint must still be armed afterwards.
    mov ecx, 20
.exits:
    push rcx
    xor eax, eax
    cpuid
    mov eax, PV_HC_NOP
    HYPERCALL
    pop rcx
    loop .exits
    mov dword [watched], 2
    cmp dword [db_hits], 2
    jne .fail2
    xor eax, eax
    mov dr7, rax
    PUTS ok
    EXIT 0
.fail1:
    EXIT 1
.fail2:
    EXIT 2

; #DB is a trap for data breakpoints: RIP already points past the write.
db_handler:
    inc dword [db_hits]
    push rax
    mov rax, 0xffff0ff0
    mov dr6, rax
    pop rax
    iretq

ok: db "dr7: data breakpoint fired before and after 40 exits", 10, 0
align 4
watched: dd 0
db_hits: dd 0

%include "guest_data.inc"
