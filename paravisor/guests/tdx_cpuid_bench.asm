; CPUID round-trip benchmark for a TDX guest (tee=tdx, paravisor-test.elf): each CPUID raises
; #VE, the handler reads TDG.VP.VEINFO.GET and makes TDG.VP.VMCALL<CPUID>. See cpuid_bench.asm.
%include "tdx_guest.inc"

%macro PV_CALL 1
    xor eax, eax
    mov ecx, EXPOSE
    mov r10d, VMCALL_PV_ABI
    mov r11, %1
    TDCALL
%endmacro

main:
    PV_CALL PV_HC_TEST_GET_ITERS
    mov r12, r11
    mov r13, r11
    PV_CALL PV_HC_TEST_BENCH_MARK
%include "cpuid_bench_loop.inc"
    TEXIT 0

%include "put_hex.inc"
%include "tdx_guest_data.inc"
