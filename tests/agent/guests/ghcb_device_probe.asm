; The agent's test device (IO port 0x700, MMIO 0xFEB00000; host-agent/src/device_models.h) from
; an SEV-ES guest (tee=sev-es): MMIO through GHCB MMIO read/write events (the guest never touches
; the MMIO window itself) and port IO through #VC + GHCB IOIO, both forwarded by the paravisor to
; pv-agent through the exit proxy. Exit codes: 0 ok; 20.. the failed step.
%include "ghcb_guest.inc"

TESTDEV_MMIO equ 0xfeb00000
TESTDEV_PORT equ 0x700
MAGIC        equ 0x44545650         ; "PVTD"

; MMIO_NAE code, gpa, length: an MMIO event with the data in the first qword of the buffer.
%macro MMIO_NAE 3
    mov qword [abs GHCB_GPA + G_SCRATCH], GHCB_BUFFER
    GHCB_VALID V_SCRATCH
    mov edi, %1
    mov esi, %2
    mov edx, %3
    call ghcb_nae
%endmacro

main:
    PUTS msg_start
    call ghcb_begin
    MMIO_NAE 0x80000001, TESTDEV_MMIO + 8, 4
    test eax, eax
    jnz fail_20
    cmp dword [abs GHCB_BUFFER], MAGIC
    jne fail_20
    call ghcb_begin
    mov qword [abs GHCB_BUFFER], 41
    MMIO_NAE 0x80000002, TESTDEV_MMIO, 4
    test eax, eax
    jnz fail_21
    call ghcb_begin
    mov qword [abs GHCB_BUFFER], 0
    MMIO_NAE 0x80000001, TESTDEV_MMIO + 12, 4
    cmp dword [abs GHCB_BUFFER], 42
    jne fail_22
    ; Port IO through #VC: the magic at +8.
    mov dx, TESTDEV_PORT + 8
    in eax, dx
    cmp eax, MAGIC
    jne fail_23
    PUTS msg_done
    GEXIT 0
fail_20:
    GEXIT 20
fail_21:
    GEXIT 21
fail_22:
    GEXIT 22
fail_23:
    GEXIT 23

msg_start: db "ghcb device probe: the agent's test device through the GHCB", 10, 0
msg_done:  db "ghcb device probe: test device answered through GHCB MMIO and IOIO events", 10, 0

%include "ghcb_guest_data.inc"
