; The SEV-ES/SNP demo guest (tee=sev-es or tee=sev-snp): console output through #VC and GHCB IOIO
; events (one OUT per byte, and one REP OUTSB through the shared buffer), CPUID through a GHCB
; CPUID event and through the MSR protocol (both must agree), and exit through a VMMCALL event.
%include "ghcb_guest.inc"
%include "encrypted_guest_steps.inc"

main:
    PRINT_HV_SIGNATURE              ; CPUID through #VC -> GHCB CPUID
    ; The MSR protocol's CPUID of the same leaf, register 1 (EBX), must say the same.
    mov rax, (0x40000000 << 32) | (1 << 30) | 0x004
    MSR_PROTOCOL
    mov rbx, rax
    and ebx, 0xfff
    cmp ebx, 0x005
    jne .fail
    shr rax, 32
    cmp eax, [signature]
    jne .fail
    PUTS msr_line
    ; A whole line in one REP OUTSB: one #VC, one string IOIO event through the shared buffer.
    lea rsi, [string_line]
    mov ecx, string_len
    mov dx, 0x3f8
    rep outsb
    cmp qword [vc_no_error_code], 0
    je .bye
    PUTS no_error_code_line
.bye:
    PUTS bye
    GEXIT 0
.fail:
    GEXIT 1

banner:      db "ghcb_hello: console through #VC and GHCB IOIO events", 10, 0
hv_prefix:   db "ghcb_hello: CPUID 0x40000000 through the GHCB says: ", 0
newline:     db 10, 0
msr_line:    db "ghcb_hello: MSR-protocol CPUID agrees", 10, 0
string_line: db "ghcb_hello: one REP OUTSB through the GHCB shared buffer", 10
string_len equ $ - string_line
no_error_code_line: db "ghcb_hello: this platform delivers #VC without its error code", 10, 0
bye:         db "ghcb_hello: done", 10, 0
signature:   times 16 db 0

%include "ghcb_guest_data.inc"
