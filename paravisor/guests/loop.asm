; Exit loop: `iters=` (from the guest's command line, via a test hypercall) CPUID exits through
; the full exit path, then exit 0. The paravisor checks the number of CPUID exits it handled.
%include "guest.inc"

main:
    HC PV_HC_TEST_GET_ITERS
    mov r12, rax
.loop:
    mov eax, 0x40000000
    cpuid
    cmp ebx, 'PvPa'
    jne .bad
    dec r12
    jnz .loop
    EXIT 0
.bad:
    EXIT 40

%include "guest_data.inc"
