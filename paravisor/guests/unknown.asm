; A guest that triggers an exit the paravisor has no handler for (RDTSC, intercepted only for
; this test). The paravisor must report it and stop the guest, not crash.
%include "guest.inc"

main:
    rdtsc
    EXIT 70                         ; not reached

%include "guest_data.inc"
