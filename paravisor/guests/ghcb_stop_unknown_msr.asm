; Hostile SEV-ES/SNP guest, case 4 of ghcb_stops.inc.
%define GHCB_STOP 4

%include "ghcb_stops.inc"
