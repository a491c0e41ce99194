; Hostile guest, part 1 of the isolation check: plants a secret in every register class that no
; world switch swaps (x87, MXCSR, XMM0-15, the AVX upper halves and XCR0 where the CPU has them,
; DR0-3, DR6, CR2, CR8), then exits. leak_check.asm, run next in the same boot, must find none.
%include "guest.inc"

SECRET equ 0x5ec7e75ec7e75ec7

main:
    ; x87: a non-default control word and three loaded registers.
    fninit
    fldcw [fcw_secret]
    fld qword [secret]
    fld qword [secret]
    fldpi
    ; SSE: MXCSR with FTZ, DAZ and round-up; every XMM register holds the secret.
    ldmxcsr [mxcsr_secret]
    movq xmm0, [secret]
    punpcklqdq xmm0, xmm0
%assign r 1
%rep 15
    movdqa xmm %+ r, xmm0
%assign r r + 1
%endrep
    ; XSAVE/AVX where the CPU has them: XCR0 = x87|SSE|AVX, YMM upper halves = secret.
    mov eax, 1
    cpuid
    bt ecx, 26                      ; XSAVE
    jnc .no_xsave
    mov r12d, ecx
    mov rax, cr4
    bts rax, 18                     ; OSXSAVE
    mov cr4, rax
    bt r12d, 28                     ; AVX
    jnc .no_xsave
    xor ecx, ecx
    mov eax, 7
    xor edx, edx
    xsetbv
    vbroadcastsd ymm0, [secret]
%assign r 1
%rep 15
    vmovdqa ymm %+ r, ymm0
%assign r r + 1
%endrep
.no_xsave:
    ; Debug registers: addresses and a status nobody armed.
    mov rax, SECRET
    mov dr0, rax
    mov dr1, rax
    mov dr2, rax
    mov dr3, rax
    mov rax, 0xffff4ff1
    mov dr6, rax
    ; CR2 (VMX does not switch it) and the task priority.
    mov rax, SECRET
    mov cr2, rax
    mov eax, 0xa
    mov cr8, rax
    PUTS msg
    EXIT 0

msg: db "leak_plant: secrets planted", 10, 0
align 8
secret:       dq SECRET
mxcsr_secret: dd 0xdfc0
fcw_secret:   dw 0x027f

%include "guest_data.inc"
