; Every exit kind the paravisor handles, each followed by a check that the instruction did what
; the architecture says and that execution continued at the right RIP. Exit code 0 = all good;
; otherwise the code names the failed step (see the EXIT lines).
%include "guest.inc"

%macro FAIL_IF_NE 1
    jne fail_%1
%endmacro

main:
    ; 1. CPUID: the hypervisor leaf carries the paravisor's signature ("PvPa" in EBX).
    mov eax, 0x40000000
    cpuid
    cmp ebx, 'PvPa'
    FAIL_IF_NE 10
    ; 2. CPUID with a redundant CS prefix (3 bytes): RIP must advance by the decoded length.
    mov eax, 0x40000000
    xor ebx, ebx
    db 0x2e, 0x0f, 0xa2
    cmp ebx, 'PvPa'
    FAIL_IF_NE 11
    ; 3. The RIP the paravisor saw for a hypercall is the hypercall's own address.
    mov rax, PV_HC_TEST_RIP
    cmp byte [pv_intel], 0
    jne .rip_intel
.rip_amd:
    vmmcall
    lea rbx, [.rip_amd]
    jmp .rip_check
.rip_intel:
    vmcall
    lea rbx, [.rip_intel]
.rip_check:
    cmp rax, rbx
    FAIL_IF_NE 12
    ; 4. RDMSR/WRMSR of an allowed MSR (PAT) round-trips.
    mov ecx, 0x277
    rdmsr
    shl rdx, 32
    or rax, rdx
    mov rbx, 0x0007040600070406
    cmp rax, rbx
    FAIL_IF_NE 13
    mov ecx, 0x277
    mov eax, 0x00070106
    mov edx, 0x00070406
    wrmsr
    rdmsr
    cmp eax, 0x00070106
    FAIL_IF_NE 14
    ; 5. RDMSR of an MSR outside the allow-list raises #GP(0) in the guest.
    EXPECT_FAULT 13, 2
    mov ecx, 0xdead0000
    rdmsr
    cmp byte [last_vector], 13
    FAIL_IF_NE 15
    ; 6. WRMSR likewise.
    EXPECT_FAULT 13, 2
    mov ecx, 0xdead0000
    xor eax, eax
    xor edx, edx
    wrmsr
    cmp byte [last_vector], 13
    FAIL_IF_NE 16
    ; 7. IN from a refused port reads all ones (8 and 32 bits); OUT to it is dropped.
    mov eax, 0x12345678
    in al, 0x80
    cmp eax, 0x123456ff
    FAIL_IF_NE 17
    mov dx, 0x80
    in eax, dx
    cmp eax, 0xffffffff
    FAIL_IF_NE 18
    out 0x80, al
    ; 8. The console UART answers "transmitter empty" on its line-status register.
    mov dx, COM1 + 5
    in al, dx
    and al, 0x60
    cmp al, 0x60
    FAIL_IF_NE 19
    PUTS console_line
    ; 9. HLT with interrupts enabled resumes at the next instruction.
    sti
    hlt
    cli
    ; 10. Hypercalls: version, and an unknown number answers -38 (ENOSYS).
    HC PV_HC_GET_ABI_VERSION
    cmp rax, 3                      ; guest ABI v3 (GET_SECRET)
    FAIL_IF_NE 20
    HC 0x1234
    cmp rax, -38
    FAIL_IF_NE 21
    ; 11. The print hypercall refuses an unmapped buffer with -14 (EFAULT).
    mov rdi, 0x0000400000000000
    mov esi, 16
    mov eax, PV_HC_PRINT
    HYPERCALL
    cmp rax, -14
    FAIL_IF_NE 22
    ; 12. A virtualisation instruction (VMRUN) raises #UD in the guest.
    ; RAX must be a valid, page-aligned address or VMRUN raises #GP before its intercept.
    EXPECT_FAULT 6, 3
    mov eax, 0x200000
    vmrun
    cmp byte [last_vector], 6
    FAIL_IF_NE 23
    ; 13. INVD is intercepted and completed as a no-op (it must not discard host cache lines).
    mov r12d, 0x1234
    invd
    cmp r12d, 0x1234
    FAIL_IF_NE 24
    PUTS done_line
    EXIT 0

%assign step 10
%rep 15
fail_ %+ step:
    EXIT step
%assign step step + 1
%endrep

console_line: db "exits: console output through the emulated UART", 10, 0
done_line:    db "exits: every step passed", 10, 0

%include "guest_data.inc"
