; The TDX demo guest (tee=tdx): console output through #VE and TDG.VP.VMCALL<Instruction.IO>,
; CPUID through #VE and TDG.VP.VMCALL<Instruction.CPUID>, the TD's environment from TDG.VP.INFO,
; and exit through the paravisor's vendor-specific TDG.VP.VMCALL.
%include "tdx_guest.inc"
%include "encrypted_guest_steps.inc"

main:
    PRINT_HV_SIGNATURE              ; CPUID through #VE -> TDVMCALL CPUID
    ; TDG.VP.INFO: GPAW 48, one vCPU.
    mov eax, 1
    TDCALL
    test rax, rax
    jnz .fail
    cmp rcx, 48
    jne .fail
    mov rbx, (1 << 32) | 1
    cmp r8, rbx
    jne .fail
    PUTS info_line
    ; GetTdVmCallInfo leaf 0: success.
    TDVMCALL 0x10000, 0
    test r10, r10
    jnz .fail
    PUTS bye
    TEXIT 0
.fail:
    TEXIT 1

banner:    db "tdx_hello: console through #VE and TDG.VP.VMCALL<IO>", 10, 0
hv_prefix: db "tdx_hello: CPUID 0x40000000 through TDG.VP.VMCALL says: ", 0
newline:   db 10, 0
info_line: db "tdx_hello: TDG.VP.INFO: GPAW 48, 1 vCPU", 10, 0
bye:       db "tdx_hello: done", 10, 0
signature: times 16 db 0

%include "tdx_guest_data.inc"
