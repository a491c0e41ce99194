; Runs until stopped: 500 proxied reads of the agent's test device, then a "tick N" console
; line, forever. Lets tests watch the exit proxy keep working across agent restarts.
%include "guest.inc"

main:
    xor r12, r12
.round:
    mov ecx, 500
    mov dx, 0x708
.read:
    in eax, dx
    cmp eax, 0x44545650             ; "PVTD": the agent answered
    jne .no_agent
    dec ecx
    jnz .read
    inc r12
    PUTS msg_tick
    ; decimal-free: print the round number as 4 hex digits
    mov rax, r12
    mov dx, COM1
    mov ecx, 4
    shl rax, 48
.digit:
    rol rax, 4
    push rax
    and al, 0xf
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '9' - 1
.out:
    out dx, al
    pop rax
    dec ecx
    jnz .digit
    mov al, 10
    out dx, al
    jmp .round
.no_agent:
    PUTS msg_no_agent
    jmp .round

msg_tick:     db "tick ", 0
msg_no_agent: db "ticker: the agent did not answer a proxied read", 10, 0

%include "guest_data.inc"
