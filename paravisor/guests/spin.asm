; Hostile guest: loops forever without a single exit, interrupts off. Only the paravisor's timer
; can end it (outcome `timeout`, per its budget_ms=).
%include "guest.inc"

main:
    cli
.forever:
    jmp .forever

%include "guest_data.inc"
