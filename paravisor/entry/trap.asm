; Exception entry: one stub per vector 0-31 and a common path into C++ (pv_on_trap).
;
; The paravisor runs with interrupts disabled and never expects an exception: any exception is
; a paravisor bug or a hardware fault, so the C++ side prints a register dump and ends the run.
; The stubs normalise the stack so that every frame has an error-code slot, which lets one
; TrapFrame layout (arch/trap_frame.h) describe all of them.

bits 64
default rel

extern pv_on_trap

; Vectors for which the CPU pushes an error code.
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%macro TRAP_STUB 1
align 16
trap_stub_%1:
%if HAS_ERROR(%1) == 0
    push 0                          ; dummy error code so the frame layout is uniform
%endif
    push %1                         ; vector number
    jmp trap_common
%endmacro

section .text

%assign vec 0
%rep 32
    TRAP_STUB vec
%assign vec vec + 1
%endrep

trap_common:
    ; Save every GPR in the order arch/trap_frame.h declares (r15 at the lowest address).
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp                    ; arg0: TrapFrame*
    and rsp, ~0xF                   ; ABI: 16-byte aligned stack at the call
    call pv_on_trap                 ; does not return
.dead:
    cli
    hlt
    jmp .dead

; Addresses of the stubs, read (as data) by the IDT setup code.
section .rodata
align 8
global pv_trap_stub_table
pv_trap_stub_table:
%assign vec 0
%rep 32
    dq trap_stub_ %+ vec
%assign vec vec + 1
%endrep
