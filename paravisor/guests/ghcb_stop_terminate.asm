; Hostile SEV-ES/SNP guest, case 5 of ghcb_stops.inc.
%define GHCB_STOP 5

%include "ghcb_stops.inc"
