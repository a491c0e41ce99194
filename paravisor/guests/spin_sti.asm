; Hostile guest: a kernel-panic style loop with interrupts enabled and the task priority raised to
; its maximum (which must not reach the physical APIC and mask the paravisor's tick).
%include "guest.inc"

main:
    mov eax, 15
    mov cr8, rax
    sti
.forever:
    pause
    jmp .forever

%include "guest_data.inc"
