; The agent's test device from a TDX guest (tee=tdx): MMIO through TDG.VP.VMCALL<#VE.RequestMMIO>
; at its shared GPA and port IO through #VE + TDG.VP.VMCALL<Instruction.IO>, both forwarded by the
; paravisor to pv-agent through the exit proxy. Exit codes: 0 ok; 20.. the failed step.
%include "tdx_guest.inc"

TESTDEV_MMIO equ 0xfeb00000
TESTDEV_PORT equ 0x700
MAGIC        equ 0x44545650         ; "PVTD"

main:
    PUTS msg_start
    mov r14, TESTDEV_MMIO + 8 + SHARED_BIT
    TDVMCALL 48, 4, 0, r14          ; read 4 bytes
    test r10, r10
    jnz fail_20
    cmp r11d, MAGIC
    jne fail_20
    mov r14, TESTDEV_MMIO + SHARED_BIT
    TDVMCALL 48, 4, 1, r14, 41      ; write 41
    test r10, r10
    jnz fail_21
    mov r14, TESTDEV_MMIO + 12 + SHARED_BIT
    TDVMCALL 48, 4, 0, r14
    cmp r11d, 42
    jne fail_22
    mov dx, TESTDEV_PORT + 8
    in eax, dx                      ; #VE -> TDVMCALL IO
    cmp eax, MAGIC
    jne fail_23
    PUTS msg_done
    TEXIT 0
fail_20:
    TEXIT 20
fail_21:
    TEXIT 21
fail_22:
    TEXIT 22
fail_23:
    TEXIT 23

msg_start: db "tdx device probe: the agent's test device through TDG.VP.VMCALL", 10, 0
msg_done:  db "tdx device probe: test device answered through GHCI MMIO and IO", 10, 0

%include "tdx_guest_data.inc"
