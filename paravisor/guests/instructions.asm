; Hostile guest: instructions CPUID hides must raise #UD (INVLPGA and the other SVM instructions,
; MONITOR, MWAIT); XSETBV must accept exactly what the CPU would for what CPUID reports; what
; CPUID advertises (INVPCID, RDTSCP) must execute. Exit code 0 = all passed, else the step.
%include "guest.inc"

; MUST_UD step, bytes...: the instruction (given as bytes) must raise #UD.
%macro MUST_UD 2-*
    EXPECT_FAULT 6, %0 - 1
    db %{2:-1}
    cmp byte [last_vector], 6
    jne fail_%1
%endmacro

; XSETBV_MUST_GP step, ecx, eax
%macro XSETBV_MUST_GP 3
    mov ecx, %2
    mov eax, %3
    xor edx, edx
    EXPECT_FAULT 13, 3
    xsetbv
    cmp byte [last_vector], 13
    jne fail_%1
%endmacro

main:
    MUST_UD 1, 0x0f, 0x01, 0xdf     ; INVLPGA
    MUST_UD 2, 0x0f, 0x01, 0xd8     ; VMRUN
    ; MONITOR/MWAIT with valid operands (RAX = a mapped address, ECX = EDX = 0), so the only
    ; reason to fault is that CPUID hides them.
    lea rax, [invpcid_desc]
    xor ecx, ecx
    xor edx, edx
    MUST_UD 3, 0x0f, 0x01, 0xc8     ; MONITOR
    xor eax, eax
    xor ecx, ecx
    MUST_UD 4, 0x0f, 0x01, 0xc9     ; MWAIT
    ; XSETBV, where XSAVE exists.
    mov eax, 1
    cpuid
    mov r12d, ecx
    bt r12d, 26
    jnc .no_xsave
    mov rax, cr4
    bts rax, 18
    mov cr4, rax
    XSETBV_MUST_GP 5, 1, 3          ; XCR1 through XSETBV: no
    XSETBV_MUST_GP 6, 0, 0          ; x87 cleared
    XSETBV_MUST_GP 7, 0, 5          ; AVX without SSE
    xor ecx, ecx
    mov eax, 3
    xor edx, edx
    EXPECT_FAULT 13, 3
    xsetbv
    cmp byte [last_vector], 0xff
    jne fail_8
    xgetbv
    cmp eax, 3
    jne fail_8
    ; XSAVES is not offered (no IA32_XSS).
    mov eax, 0xd
    mov ecx, 1
    cpuid
    bt eax, 3
    jc fail_9
.no_xsave:
    ; INVPCID (type 2: all contexts, including global translations) where advertised.
    xor eax, eax
    cpuid
    cmp eax, 7
    jb .no_invpcid
    mov eax, 7
    xor ecx, ecx
    cpuid
    bt ebx, 10
    jnc .no_invpcid
    mov eax, 2
    lea rbx, [invpcid_desc]
    EXPECT_FAULT 6, 5
    invpcid rax, [rbx]
    cmp byte [last_vector], 0xff
    jne fail_10
.no_invpcid:
    ; RDTSCP where advertised.
    mov eax, 0x80000001
    cpuid
    bt edx, 27
    jnc .no_rdtscp
    EXPECT_FAULT 6, 3
    rdtscp
    cmp byte [last_vector], 0xff
    jne fail_11
.no_rdtscp:
    PUTS ok
    EXIT 0

%assign step 1
%rep 11
fail_ %+ step:
    EXIT step
%assign step step + 1
%endrep

ok: db "instructions: hidden ones #UD, XSETBV checked, advertised ones execute", 10, 0
align 16
invpcid_desc: dq 0, 0

%include "guest_data.inc"
