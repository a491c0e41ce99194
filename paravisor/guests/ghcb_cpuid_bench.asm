; CPUID round-trip benchmark for an SEV-ES guest (tee=sev-es, paravisor-test.elf): each CPUID
; raises #VC, the handler makes a GHCB CPUID event and VMGEXIT. See cpuid_bench.asm.
%include "ghcb_guest.inc"

main:
    mov rax, PV_HC_TEST_GET_ITERS
    vmmcall                         ; #VC -> VMMCALL event
    mov r12, rax
    mov r13, rax
    mov rax, PV_HC_TEST_BENCH_MARK
    vmmcall
%include "cpuid_bench_loop.inc"
    GEXIT 0

%include "put_hex.inc"
%include "ghcb_guest_data.inc"
