; The demo guest: says hello on its serial console and through the print hypercall, shows what
; CPUID tells it about the hypervisor, and exits with code 0.
%include "guest.inc"

main:
    PUTS banner
    ; Hypervisor leaf: EBX:ECX:EDX = "PvParavisor!".
    mov eax, 0x40000000
    cpuid
    mov [signature], ebx
    mov [signature + 4], ecx
    mov [signature + 8], edx
    PUTS hv_prefix
    PUTS signature
    PUTS newline
    HC PV_HC_GET_ABI_VERSION
    add al, '0'
    mov [abi_digit], al
    PUTS abi_line
    lea rdi, [via_hc]
    mov esi, via_hc_len
    call print_hc
    PUTS bye
    EXIT 0

banner:     db "Hello from a guest running under the paravisor.", 10, 0
hv_prefix:  db "CPUID 0x40000000 says the hypervisor is: ", 0
newline:    db 10, 0
abi_line:   db "Guest ABI version "
abi_digit:  db "?", 10, 0
via_hc:     db "This line came through the print hypercall."
via_hc_len equ $ - via_hc
bye:        db "Guest done; exiting with code 0.", 10, 0
signature:  times 16 db 0

%include "guest_data.inc"
