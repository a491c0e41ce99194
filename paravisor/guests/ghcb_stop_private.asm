; Hostile SEV-ES/SNP guest, case 2 of ghcb_stops.inc.
%define GHCB_STOP 2

%include "ghcb_stops.inc"
