; The attested-launch demo guest (guest ABI v3): asks the paravisor for secret 0 with
; GET_SECRET, waiting (HLT with interrupts enabled: until the paravisor's next tick) while the
; paravisor is still attesting, then prints the secret's length and its SHA-256 computed here,
; in the guest — never the secret itself — and wipes its own copy.
;
; Console lines the tests and `pvctl launch --attest` read:
;   "secret-demo: not yet attested; waiting"            (at most once)
;   "secret-demo: secret 0: 0x... bytes, sha256 <64 hex digits>"   exit 0
;   "secret-demo: GET_SECRET denied by the KBS, reason 0x..."      exit 3
;   "secret-demo: GET_SECRET unavailable, reason 0x..."            exit 4
;   "secret-demo: GET_SECRET failed: 0x..."                        exit 5
%include "guest.inc"

SECRET_MAX equ 4096

main:
    PUTS banner
    sti                             ; HLT then waits for a tick instead of ending the guest
.ask:
    lea rdi, [secret]
    mov esi, SECRET_MAX
    xor edx, edx                    ; resource index 0
    mov eax, PV_HC_GET_SECRET
    HYPERCALL
    cmp rax, PV_HC_ERR_NOT_ATTESTED
    jne .answered
    cmp byte [waited], 0
    jne .wait
    mov byte [waited], 1
    PUTS waiting
.wait:
    hlt
    jmp .ask
.answered:
    cli
    test rax, rax
    js .failed
    mov [secret_len], rax
    lea rsi, [secret]
    mov rcx, rax
    lea rdi, [digest]
    call sha256
    ; Wipe the guest's own copy: from here on only the digest exists.
    lea rdi, [secret]
    mov ecx, SECRET_MAX
.wipe:
    mov byte [rdi + rcx - 1], 0
    dec ecx
    jnz .wipe
    PUTS got_prefix
    mov rax, [secret_len]
    call put_hex
    PUTS got_middle
    lea rsi, [digest]
    mov ecx, 32
.hex:
    mov al, [rsi]
    call put_byte_hex
    inc rsi
    dec ecx
    jnz .hex
    PUTS newline
    EXIT 0
.failed:
    mov [status], rax
    mov [reason], rdx
    cmp rax, PV_HC_ERR_DENIED
    je .denied
    cmp rax, PV_HC_ERR_UNAVAILABLE
    je .unavailable
    PUTS failed
    mov rax, [status]
    call put_hex
    PUTS newline
    EXIT 5
.denied:
    PUTS denied
    mov rax, [reason]
    call put_hex
    PUTS newline
    EXIT 3
.unavailable:
    PUTS unavailable
    mov rax, [reason]
    call put_hex
    PUTS newline
    EXIT 4

%include "sha256.inc"
%include "put_hex.inc"

banner:      db "secret-demo: asking the paravisor for secret 0 (GET_SECRET)", 10, 0
waiting:     db "secret-demo: not yet attested; waiting", 10, 0
got_prefix:  db "secret-demo: secret 0: ", 0
got_middle:  db " bytes, sha256 ", 0
denied:      db "secret-demo: GET_SECRET denied by the KBS, reason ", 0
unavailable: db "secret-demo: GET_SECRET unavailable, reason ", 0
failed:      db "secret-demo: GET_SECRET failed: ", 0
newline:     db 10, 0
waited:      db 0
align 8
secret_len:  dq 0
status:      dq 0
reason:      dq 0
digest:      times 32 db 0
align 16
secret:      times SECRET_MAX db 0

%include "guest_data.inc"
