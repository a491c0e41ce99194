; Hostile guest, part 2 of the isolation check: every register class leak_plant.asm wrote must
; hold its architectural initial value here (README, "Guest ABI"). The exit code is a bit mask of
; the classes that leaked (0 = none): 1 x87/SSE (FXSAVE image), 2 AVX upper halves, 4 XCR0,
; 8 DR0-3, 16 DR6/DR7, 32 CR2, 64 CR8, 128 CR0 not the documented value.
%include "guest.inc"

main:
    xor r15d, r15d
    ; x87 and SSE through one FXSAVE: FCW 0x37f, FSW 0, abridged FTW 0 (empty), MXCSR 0x1f80,
    ; ST0-7 and XMM0-15 (bytes 32..415) all zero.
    fxsave64 [fx]
    cmp word [fx + 0], 0x37f
    jne .fx_bad
    cmp word [fx + 2], 0
    jne .fx_bad
    cmp byte [fx + 4], 0
    jne .fx_bad
    cmp dword [fx + 24], 0x1f80
    jne .fx_bad
    lea rsi, [fx + 32]
    mov ecx, (416 - 32) / 8
.fx_loop:
    cmp qword [rsi], 0
    jne .fx_bad
    add rsi, 8
    loop .fx_loop
    jmp .fx_done
.fx_bad:
    or r15d, 1
.fx_done:
    ; XCR0 and the AVX state, where the CPU has XSAVE.
    mov eax, 1
    cpuid
    bt ecx, 26
    jnc .xsave_done
    mov r12d, ecx
    mov rax, cr4
    bts rax, 18
    mov cr4, rax
    xor ecx, ecx
    xgetbv
    cmp eax, 3
    jne .xcr0_bad
    test edx, edx
    jz .xcr0_ok
.xcr0_bad:
    or r15d, 4
.xcr0_ok:
    bt r12d, 28
    jnc .xsave_done
    ; Enable AVX and XSAVE its component into a zeroed area: the upper halves must be zero.
    xor ecx, ecx
    mov eax, 7
    xor edx, edx
    xsetbv
    mov eax, 0xd
    mov ecx, 2
    cpuid                           ; EBX = offset of the AVX component
    mov r13d, ebx
    mov eax, 4
    xor edx, edx
    xsave64 [xs]
    lea rsi, [xs]
    add rsi, r13
    mov ecx, 256 / 8
.avx_loop:
    cmp qword [rsi], 0
    jne .avx_bad
    add rsi, 8
    loop .avx_loop
    jmp .xsave_done
.avx_bad:
    or r15d, 2
.xsave_done:
    ; Debug registers.
    mov rax, dr0
    mov rbx, dr1
    or rax, rbx
    mov rbx, dr2
    or rax, rbx
    mov rbx, dr3
    or rax, rbx
    jz .dr03_ok
    or r15d, 8
.dr03_ok:
    mov rax, dr6
    mov ebx, 0xffff0ff0
    cmp rax, rbx
    jne .dr67_bad
    mov rax, dr7
    cmp rax, 0x400
    je .dr67_ok
.dr67_bad:
    or r15d, 16
.dr67_ok:
    mov rax, cr2
    test rax, rax
    jz .cr2_ok
    or r15d, 32
.cr2_ok:
    mov rax, cr8
    test rax, rax
    jz .cr8_ok
    or r15d, 64
.cr8_ok:
    mov rax, cr0
    mov edx, 0x80010033             ; zero-extended (a CMP immediate would sign-extend)
    cmp rax, rdx
    je .cr0_ok
    or r15d, 128
.cr0_ok:
    test r15d, r15d
    jnz .leaked
    PUTS clean
    EXIT 0
.leaked:
    PUTS leaked
    mov edi, r15d
    mov eax, PV_HC_EXIT
    HYPERCALL
    ud2

clean:  db "leak_check: no register class carries a previous guest's value", 10, 0
leaked: db "leak_check: LEAK (exit code = bit mask of leaked classes)", 10, 0

%include "guest_data.inc"
align 64
fx: times 512 db 0
align 64
xs: times 4096 db 0
