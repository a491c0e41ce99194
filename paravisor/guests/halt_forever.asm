; Hostile guest: halts with interrupts enabled, forever. No interrupt will ever come, so each HLT
; must sleep until the paravisor's next timer tick (not return at once), and the guest ends as
; `timeout` after its budget with a bounded number of HLT exits.
%include "guest.inc"

main:
    sti
.forever:
    hlt
    jmp .forever

%include "guest_data.inc"
