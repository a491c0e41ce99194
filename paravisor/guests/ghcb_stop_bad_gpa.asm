; Hostile SEV-ES/SNP guest, case 1 of ghcb_stops.inc.
%define GHCB_STOP 1

%include "ghcb_stops.inc"
