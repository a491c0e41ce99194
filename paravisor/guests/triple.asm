; A misbehaving guest: with no IDT, UD2 escalates #UD -> #DF -> triple fault (shutdown).
%define GUEST_NO_IDT
%include "guest.inc"

main:
    ud2
    EXIT 60                         ; not reached

%include "guest_data.inc"
