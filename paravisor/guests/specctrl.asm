; SPEC_CTRL handling, with the test image's stand-in MSR (TSC_AUX): the phases are explained in
; paravisor/testing/scenarios.cpp. Exit code 0 = all phases passed, 30+ = the failed step.
%include "guest.inc"

%macro SPEC_PHASE 1
    mov rax, PV_HC_TEST_SPEC_CTRL
    mov edi, %1
    HYPERCALL
%endmacro

main:
    ; Phase 1: a direct (not intercepted) write is read back by the exit path.
    mov ecx, PV_TEST_SPEC_CTRL_MSR
    mov eax, 0x1111
    xor edx, edx
    wrmsr
    SPEC_PHASE 1
    test rax, rax
    jne fail_31
    mov ecx, PV_TEST_SPEC_CTRL_MSR
    rdmsr
    cmp eax, 0x1111                 ; the entry path loaded the guest value again
    jne fail_32
    ; Phase 2/3: with writes intercepted, the value goes through the handler.
    SPEC_PHASE 2
    mov ecx, PV_TEST_SPEC_CTRL_MSR
    mov eax, 0x2222
    xor edx, edx
    wrmsr
    rdmsr
    cmp eax, 0x2222
    jne fail_33
    SPEC_PHASE 3
    mov r12, rax                    ; the host value
    ; Phase 4/5: guest value equal to the host's: many exits, no MSR write at all.
    mov ecx, PV_TEST_SPEC_CTRL_MSR
    mov eax, r12d
    xor edx, edx
    wrmsr
    SPEC_PHASE 4
    test rax, rax
    jne fail_34
    mov r13d, 1000
.loop:
    xor eax, eax
    cpuid
    dec r13d
    jnz .loop
    SPEC_PHASE 5
    test rax, rax
    jne fail_35
    EXIT 0

fail_31: EXIT 31
fail_32: EXIT 32
fail_33: EXIT 33
fail_34: EXIT 34
fail_35: EXIT 35

%include "guest_data.inc"
