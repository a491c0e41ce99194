; Hostile SEV-ES/SNP guest, case 3 of ghcb_stops.inc.
%define GHCB_STOP 3
%define GHCB_NO_REGISTER
%include "ghcb_stops.inc"
