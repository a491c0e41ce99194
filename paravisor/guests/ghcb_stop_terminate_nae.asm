; Hostile SEV-ES/SNP guest, case 6 of ghcb_stops.inc.
%define GHCB_STOP 6

%include "ghcb_stops.inc"
