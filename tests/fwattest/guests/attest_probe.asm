; Attestation probe guest (guest ABI v2): asks the paravisor for evidence with a REPORT_DATA of
; its own through GET_EVIDENCE, checks that the evidence carries it (SEV-SNP report: at 0x50;
; TDX v4 quote: the TD body's REPORTDATA, at 48 + 520), checks that a buffer
; too small is refused with -E2BIG and leaves the buffer alone, then times `iters` (test image;
; 4 otherwise) GET_EVIDENCE calls against as many proxied reads of the agent's test device (IO
; port 0x708) in the same run and prints:
;   ATTEST evidence_bytes=0x...
;   ATTEST-BENCH iters=0x... evidence_cycles=0x... proxied_io_cycles=0x...
; It also checks that its XMM0-15 and MXCSR come back unchanged from the first call (the paravisor's
; crypto uses SSE).
; Exit codes: 0 ok, 20 ABI version not 2, 21 no evidence (RAX printed), 22 REPORT_DATA missing,
; 23 small buffer not refused, 24 small buffer written, 25 SSE state changed.
%include "guest.inc"

TESTDEV_MAGIC equ 0x708
EVIDENCE_CAP equ 16384

main:
    HC PV_HC_GET_ABI_VERSION
    cmp rax, 2
    jne .bad_abi
    ; REPORT_DATA = 0xc0, 0xc1, ... (64 bytes)
    lea rdi, [report_data]
    mov ecx, 64
    mov al, 0xc0
.fill:
    stosb
    inc al
    dec ecx
    jnz .fill

    ; The guest's SSE state must survive the paravisor's crypto (mbedTLS uses SSE/AES-NI inside
    ; the FpuGuard): XMM0..15 and MXCSR (round toward zero) set, checked after the hypercall.
    mov dword [mxcsr_in], 0x7f80
    ldmxcsr [mxcsr_in]
    lea rsi, [xmm_pattern]
%assign i 0
%rep 16
    movdqu xmm %+ i, [rsi + i * 16]
%assign i i + 1
%endrep
    call get_evidence
    test rax, rax
    js .no_evidence
    mov r12, rax
    stmxcsr [mxcsr_out]
    lea rdi, [xmm_out]
%assign i 0
%rep 16
    movdqu [rdi + i * 16], xmm %+ i
%assign i i + 1
%endrep
    mov eax, [mxcsr_out]
    cmp eax, [mxcsr_in]
    jne .sse_clobbered
    lea rsi, [xmm_pattern]
    lea rdi, [xmm_out]
    mov ecx, 256
    repe cmpsb
    jne .sse_clobbered
    PUTS msg_sse_ok
    PUTS msg_bytes
    mov rax, r12
    call put_hex
    PUTS msg_newline
    ; Where REPORT_DATA sits: SNP report (1184 bytes) at 0x50; a TDX v4 quote after its 48-byte
    ; header at offset 520 of the TD 1.0 body.
    lea rsi, [evidence + 0x50]
    cmp r12, 1184
    je .compare
    lea rsi, [evidence + 48 + 520]
.compare:
    lea rdi, [report_data]
    mov ecx, 64
    repe cmpsb
    jne .wrong_data
    PUTS msg_data_ok

    ; Too small a buffer: -7 (E2BIG), nothing written.
    mov byte [small], 0x5a
    mov rax, PV_HC_GET_EVIDENCE
    lea rdi, [small]
    mov esi, 16
    lea rdx, [report_data]
    HYPERCALL
    cmp rax, -7
    jne .small_not_refused
    cmp byte [small], 0x5a
    jne .small_written
    PUTS msg_small_ok

    HC PV_HC_TEST_GET_ITERS
    test rax, rax
    jg .have_iters
    mov eax, 4
.have_iters:
    mov r12, rax
    mov r15, rax
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov r13, rax
.evidence_loop:
    call get_evidence
    test rax, rax
    js .no_evidence
    dec r12
    jnz .evidence_loop
    rdtsc
    shl rdx, 32
    or rax, rdx
    sub rax, r13
    mov r14, rax
    mov rcx, r15
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov r13, rax
    mov dx, TESTDEV_MAGIC
.io_loop:
    in eax, dx
    dec rcx
    jnz .io_loop
    rdtsc
    shl rdx, 32
    or rax, rdx
    sub rax, r13
    mov r13, rax
    PUTS msg_bench
    mov rax, r15
    call put_hex
    PUTS msg_evidence_cycles
    mov rax, r14
    call put_hex
    PUTS msg_io_cycles
    mov rax, r13
    call put_hex
    PUTS msg_newline
    EXIT 0

.bad_abi:
    EXIT 20
.no_evidence:
    mov r12, rax
    PUTS msg_no_evidence
    mov rax, r12
    call put_hex
    PUTS msg_newline
    EXIT 21
.wrong_data:
    PUTS msg_wrong_data
    EXIT 22
.small_not_refused:
    EXIT 23
.small_written:
    EXIT 24
.sse_clobbered:
    PUTS msg_sse_bad
    EXIT 25

; GET_EVIDENCE into `evidence` with `report_data`; RAX = bytes or -errno.
get_evidence:
    mov rax, PV_HC_GET_EVIDENCE
    lea rdi, [evidence]
    mov esi, EVIDENCE_CAP
    lea rdx, [report_data]
    HYPERCALL
    ret

%include "put_hex.inc"

msg_bytes:           db "ATTEST evidence_bytes=", 0
msg_data_ok:         db "ATTEST report_data matches", 10, 0
msg_small_ok:        db "ATTEST small buffer refused with -E2BIG, untouched", 10, 0
msg_bench:           db "ATTEST-BENCH iters=", 0
msg_evidence_cycles: db " evidence_cycles=", 0
msg_io_cycles:       db " proxied_io_cycles=", 0
msg_no_evidence:     db "ATTEST no evidence: rax=", 0
msg_wrong_data:      db "ATTEST evidence does not carry the REPORT_DATA", 10, 0
msg_newline:         db 10, 0
msg_sse_ok:          db "ATTEST guest XMM0-15 and MXCSR intact across GET_EVIDENCE", 10, 0
msg_sse_bad:         db "ATTEST guest SSE state changed by GET_EVIDENCE", 10, 0

%include "guest_data.inc"

align 64
xmm_pattern:
%assign i 0
%rep 256
    db (i * 37 + 11) & 0xff
%assign i i + 1
%endrep
xmm_out:     times 256 db 0
mxcsr_in:    dd 0
mxcsr_out:   dd 0
align 64
report_data: times 64 db 0
small:       times 16 db 0
align 4096
evidence:    times EVIDENCE_CAP db 0
