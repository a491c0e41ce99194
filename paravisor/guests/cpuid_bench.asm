; CPUID round-trip benchmark, plain guest (paravisor-test.elf): with the paravisor's tick paused
; (test hypercall BENCH_MARK), RDTSC around `iters=` CPUID exits. Under Bochs the TSC counts
; instructions, so the printed ticks are the instructions of the guest loop plus the whole exit
; path. The encrypted-state variants (ghcb_cpuid_bench, tdx_cpuid_bench) run the same loop.
%include "guest.inc"

main:
    HC PV_HC_TEST_GET_ITERS
    mov r12, rax
    mov r13, rax
    HC PV_HC_TEST_BENCH_MARK        ; pauses the tick
%include "cpuid_bench_loop.inc"
    EXIT 0

%include "put_hex.inc"
%include "guest_data.inc"
