; Hostile guest: control-register writes must behave as on hardware (#GP where the CPU would
; fault, completion where it would not), whichever backend traps them. Exit code 0 = all steps
; passed; otherwise the number of the failed step.
%include "guest.inc"

CR0_NE equ 1 << 5
CR0_PG equ 1 << 31
CR4_LA57 equ 1 << 12
CR4_VMXE equ 1 << 13
CR4_SMXE equ 1 << 14

; CR_FAULT step, cr, bits-op, bits: the MOV to CR (3 bytes, RAX) must raise #GP.
%macro CR4_SET_MUST_GP 2
    mov rax, cr4
    or rax, %2
    EXPECT_FAULT 13, 3
    mov cr4, rax
    cmp byte [last_vector], 13
    jne fail_%1
%endmacro

main:
    ; 1. The documented initial CR0, exactly (PE MP ET NE WP PG; caches enabled).
    mov rax, cr0
    mov edx, 0x80010033             ; zero-extended (a CMP immediate would sign-extend)
    cmp rax, rdx
    jne fail_1
    ; 2-4. CR4.VMXE, SMXE (hidden by CPUID) and LA57 (cannot change in long mode): #GP.
    CR4_SET_MUST_GP 2, CR4_VMXE
    CR4_SET_MUST_GP 3, CR4_SMXE
    CR4_SET_MUST_GP 4, CR4_LA57
    ; 5. Clearing CR0.PG in 64-bit mode: #GP.
    mov rax, cr0
    and eax, ~CR0_PG
    EXPECT_FAULT 13, 3
    mov cr0, rax
    cmp byte [last_vector], 13
    jne fail_5
    ; 6. Clearing CR0.NE is legal: no fault, and CR0 reads back without NE.
    mov rax, cr0
    and eax, ~CR0_NE
    EXPECT_FAULT 13, 3
    mov cr0, rax
    cmp byte [last_vector], 0xff
    jne fail_6
    mov rbx, cr0
    test ebx, CR0_NE
    jnz fail_6
    or rbx, CR0_NE
    mov cr0, rbx
    mov rax, cr0
    mov edx, 0x80010033             ; zero-extended (a CMP immediate would sign-extend)
    cmp rax, rdx
    jne fail_6
    ; 7. CR8 holds 0..15; 16 is #GP (4-byte MOV with REX).
    mov eax, 0xf
    mov cr8, rax
    mov rbx, cr8
    cmp rbx, 0xf
    jne fail_7
    mov eax, 16
    EXPECT_FAULT 13, 4
    mov cr8, rax
    cmp byte [last_vector], 13
    jne fail_7
    xor eax, eax
    mov cr8, rax
    PUTS ok
    EXIT 0

%assign step 1
%rep 7
fail_ %+ step:
    EXIT step
%assign step step + 1
%endrep

ok: db "cr_writes: every control-register write behaved as on hardware", 10, 0

%include "guest_data.inc"
