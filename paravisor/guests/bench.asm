; World-switch benchmark: `iters=` null hypercalls through the full exit path, timed by the
; paravisor, then as many CPUID exits (leaf 0), then the same number of bare VMRUN/VMMCALL round
; trips (paravisor-driven loop at `bare`), so all three are measured in the same run.
%include "guest.inc"

main:
    HC PV_HC_TEST_GET_ITERS
    mov r12, rax
    HC PV_HC_TEST_BENCH_MARK        ; start
.loop:
    mov eax, PV_HC_NOP
    HYPERCALL
    dec r12
    jnz .loop
    HC PV_HC_TEST_BENCH_MARK        ; stop
    HC PV_HC_TEST_GET_ITERS
    mov r12, rax
    HC PV_HC_TEST_BENCH_MARK        ; start the CPUID loop
.cpuid_loop:
    xor eax, eax
    cpuid
    dec r12
    jnz .cpuid_loop
    HC PV_HC_TEST_BENCH_MARK        ; stop
    lea rdi, [bare_amd]
    cmp byte [pv_intel], 0
    je .go
    lea rdi, [bare_intel]
.go:
    mov rax, PV_HC_TEST_BENCH_BARE
    HYPERCALL
    EXIT 0

bare_amd:
    vmmcall                         ; 3 bytes: the paravisor advances RIP by 3 to the jmp
    jmp bare_amd
bare_intel:
    vmcall
    jmp bare_intel

%include "guest_data.inc"
