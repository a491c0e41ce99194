; GPR round trip: load 15 distinct 64-bit patterns (RAX's is the hypercall number itself), exit
; to the paravisor, which checks its saved copy and answers with the complement of every pattern;
; then check all 15 registers. Exit code 0 = all match, 100 + register number = first mismatch.
%include "guest.inc"

main:
    ; Load every pattern, then the hypercall, with no instruction in between that could change
    ; a register except the vendor check (flags only).
    mov rbx, PV_TEST_GPR_PATTERN_RBX
    mov rcx, PV_TEST_GPR_PATTERN_RCX
    mov rdx, PV_TEST_GPR_PATTERN_RDX
    mov rsi, PV_TEST_GPR_PATTERN_RSI
    mov rdi, PV_TEST_GPR_PATTERN_RDI
    mov rbp, PV_TEST_GPR_PATTERN_RBP
    mov r8,  PV_TEST_GPR_PATTERN_R8
    mov r9,  PV_TEST_GPR_PATTERN_R9
    mov r10, PV_TEST_GPR_PATTERN_R10
    mov r11, PV_TEST_GPR_PATTERN_R11
    mov r12, PV_TEST_GPR_PATTERN_R12
    mov r13, PV_TEST_GPR_PATTERN_R13
    mov r14, PV_TEST_GPR_PATTERN_R14
    mov r15, PV_TEST_GPR_PATTERN_R15
    mov rax, PV_HC_TEST_GPR
    HYPERCALL

    ; Each register must now hold the complement of its pattern. R15 holds the expected value
    ; after R15 itself is checked first (compare via the stack, which no register needs).
%macro CHECK 3 ; reg, pattern, number
    push %1
    mov %1, ~%2
    cmp [rsp], %1
    pop %1
    jne fail_%3
%endmacro
    push rax
    mov rax, ~PV_HC_TEST_GPR
    cmp [rsp], rax
    pop rax
    jne fail_0
    CHECK rbx, PV_TEST_GPR_PATTERN_RBX, 3
    CHECK rcx, PV_TEST_GPR_PATTERN_RCX, 1
    CHECK rdx, PV_TEST_GPR_PATTERN_RDX, 2
    CHECK rsi, PV_TEST_GPR_PATTERN_RSI, 6
    CHECK rdi, PV_TEST_GPR_PATTERN_RDI, 7
    CHECK rbp, PV_TEST_GPR_PATTERN_RBP, 5
    CHECK r8,  PV_TEST_GPR_PATTERN_R8, 8
    CHECK r9,  PV_TEST_GPR_PATTERN_R9, 9
    CHECK r10, PV_TEST_GPR_PATTERN_R10, 10
    CHECK r11, PV_TEST_GPR_PATTERN_R11, 11
    CHECK r12, PV_TEST_GPR_PATTERN_R12, 12
    CHECK r13, PV_TEST_GPR_PATTERN_R13, 13
    CHECK r14, PV_TEST_GPR_PATTERN_R14, 14
    CHECK r15, PV_TEST_GPR_PATTERN_R15, 15
    PUTS ok_msg
    EXIT 0

%assign r 0
%rep 16
fail_ %+ r:
    EXIT 100 + r
%assign r r + 1
%endrep

ok_msg: db "gpr: all 15 registers carry the paravisor's new values", 10, 0

%include "guest_data.inc"
