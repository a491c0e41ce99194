; Exit-proxy probe guest for the host agent's tests and benchmark.
;
; Exercises the devices the paravisor does not own, which it forwards to the host agent:
;   - the agent's test device at IO port 0x700 (magic at +8, scratch at +0, scratch+1 at +12),
;   - the agent's console device (COM2, 0x2f8): one line written byte by byte.
; Then times `iters=` (guest command line, test image; 1000 otherwise) proxied reads of the test device against the same
; number of reads of COM1's line status register, which the paravisor answers itself, and
; prints both cycle counts (RDTSC) so the host can compare them in one run:
;   PROBE iters=0x... proxied_cycles=0x... local_cycles=0x...
; Exit codes: 0 ok, 10 wrong magic (no agent / no proxy), 11 scratch register wrong.
%include "guest.inc"

TESTDEV equ 0x700
COM2 equ 0x2f8

main:
    PUTS msg_start
    mov dx, TESTDEV + 8
    in eax, dx
    cmp eax, 0x44545650             ; "PVTD"
    jne .no_agent
    mov dx, TESTDEV
    mov eax, 41
    out dx, eax
    mov dx, TESTDEV + 12
    in eax, dx
    cmp eax, 42
    jne .bad_scratch
    PUTS msg_devices_ok

    ; One line through the agent's console device (COM2), not the paravisor's COM1.
    lea rsi, [msg_com2]
    mov dx, COM2
.com2:
    lodsb
    test al, al
    jz .timing
    out dx, al
    jmp .com2

.timing:
    ; `iters=` reaches the guest only through the test image's hypercall; the production
    ; paravisor answers it with an error (negative), and then a fixed count is used.
    HC PV_HC_TEST_GET_ITERS
    test rax, rax
    jg .have_iters
    mov eax, 1000
.have_iters:
    mov r12, rax
    ; Proxied: guest -> paravisor -> ring -> agent -> ring -> paravisor -> guest.
    mov rcx, r12
    mov dx, TESTDEV + 8
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov r13, rax
    mov dx, TESTDEV + 8
.proxied:
    in eax, dx
    dec rcx
    jnz .proxied
    rdtsc
    shl rdx, 32
    or rax, rdx
    sub rax, r13
    mov r14, rax
    ; Local: guest -> paravisor -> guest (COM1 LSR, answered by the paravisor).
    mov rcx, r12
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov r13, rax
    mov dx, COM1 + 5
.local:
    in al, dx
    dec rcx
    jnz .local
    rdtsc
    shl rdx, 32
    or rax, rdx
    sub rax, r13
    mov r15, rax

    PUTS msg_probe
    mov rax, r12
    call put_hex
    PUTS msg_proxied
    mov rax, r14
    call put_hex
    PUTS msg_local
    mov rax, r15
    call put_hex
    PUTS msg_newline
    PUTS msg_done
    EXIT 0
.no_agent:
    PUTS msg_no_agent
    EXIT 10
.bad_scratch:
    EXIT 11

%include "put_hex.inc"

msg_start:       db "proxy probe: reading the agent's test device", 10, 0
msg_devices_ok:  db "proxy probe: test device answered through the exit proxy", 10, 0
msg_com2:        db "proxy probe: this line went through the agent's COM2 device", 10, 0
msg_probe:       db "PROBE iters=", 0
msg_proxied:     db " proxied_cycles=", 0
msg_local:       db " local_cycles=", 0
msg_newline:     db 10, 0
msg_done:        db "proxy probe: done", 10, 0
msg_no_agent:    db "proxy probe: no answer from the agent's test device", 10, 0

%include "guest_data.inc"
