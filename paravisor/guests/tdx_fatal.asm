; A TDX guest that reports a fatal error (TDG.VP.VMCALL<ReportFatalError>, code 0x1234): the
; paravisor stops it as `terminated` with that code and runs the next guest.
%include "tdx_guest.inc"

main:
    PUTS start_line
    FATAL 0x1234
    TEXIT 99                        ; not reached

start_line: db "tdx_fatal: reporting a fatal error", 10, 0

%include "tdx_guest_data.inc"
