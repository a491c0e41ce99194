; An SEV-SNP guest's own attestation report through the SNP guest request NAE event (tee=sev-snp
; guest in a measured tee=sev-snp partition), as a VMPL2 guest does it: VMPCK2 from the guest
; secrets page the paravisor gives it (guest ABI PV_GUEST_SECRETS_PAGE_GPA), MSG_REPORT_REQ
; (vmpl 2) sealed here with AES-256-GCM (aes256_gcm.inc: AES-NI and PCLMULQDQ), sent on shared
; request/response pages, the MSG_REPORT_RSP opened (tag, sequence number = request + 1) and
; the ATTESTATION_REPORT printed in hex ("REPORT <64 bytes>" lines, then "REPORT-END <length>")
; for the test to verify with pvattest.
; `flip` in the command line: one bit of the sealed request's ciphertext is flipped before it is
; sent; the secure processor must refuse it, then (VMPCK2 wiped there) a correct request too.
; Exit codes: 0 ok; 50.. the failed step; 70 the hostile run saw both refusals.
%include "ghcb_guest.inc"

REQ_GPA       equ 0x801000          ; shared at startup (page state change)
RSP_GPA       equ 0x802000
SECRETS       equ PV_GUEST_SECRETS_PAGE_GPA
VMPCK2        equ SECRETS + 0x20 + 2 * 32
HDR_SIZE      equ 0x60
REQ_PAYLOAD   equ 96                ; MSG_REPORT_REQ
REPORT_SIZE   equ 1184

%macro FAIL_IF 2                    ; condition code, exit code
    j%1 fail_%2
%endmacro

main:
    PUTS msg_start
    ; AES-NI (CPUID.1:ECX[25]), PCLMULQDQ ([1]) and SSSE3 ([9], PSHUFB) before any use.
    mov eax, 1
    xor ecx, ecx
    cpuid
    bt ecx, 25
    FAIL_IF nc, 50
    bt ecx, 1
    FAIL_IF nc, 50
    bt ecx, 9
    FAIL_IF nc, 50
    ; The guest secrets page: layout version 3, VMPCK2 not all zeros.
    cmp dword [abs SECRETS], 3
    FAIL_IF ne, 51
    lea rsi, [abs VMPCK2]
    xor eax, eax
    mov ecx, 32
.any:
    or al, [rsi]
    inc rsi
    loop .any
    test al, al
    FAIL_IF z, 51
    ; The request and response pages become shared.
    mov rax, (2 << 52) | REQ_GPA | 0x014
    call page_state_shared
    mov rax, (2 << 52) | RSP_GPA | 0x014
    call page_state_shared
    ; REPORT_DATA: 0x30, 0x35, 0x3a, ... (the test checks it).
    lea rdi, [plain]
    mov al, 0x30
    mov ecx, 64
.rd:
    stosb
    add al, 5
    loop .rd
    mov dword [plain + 0x40], 2     ; vmpl: this guest's own level
    PUTS msg_secrets

    mov rsi, [abs PV_BOOT_INFO_GPA + 16]   ; cmdline_gpa
    call has_flip
    test eax, eax
    jnz hostile

    call report_exchange
    test eax, eax
    FAIL_IF nz, 55
    call print_report
    PUTS msg_done
    GEXIT 0

; The hostile run: a flipped ciphertext bit is refused, then VMPCK2 is gone for good.
hostile:
    mov byte [flip_bit], 1
    call report_exchange
    cmp eax, 1                      ; refused by the secure processor (NAE error answer)
    FAIL_IF ne, 60
    PUTS msg_refused
    mov byte [flip_bit], 0
    inc qword [seqno]               ; the next number: the SP's key for it is wiped regardless
    call report_exchange
    cmp eax, 1
    FAIL_IF ne, 61
    PUTS msg_wiped
    GEXIT 70

; One MSG_REPORT_REQ / MSG_REPORT_RSP exchange with sequence number [seqno] (and [seqno] + 1).
; EAX = 0 success (the report in `plain` + 0x20), 1 the NAE event was answered with an error,
; otherwise the guest exits with the failed step.
report_exchange:
    lea rdi, [abs REQ_GPA]          ; header: zero, then the fields of the SNP guest message
    xor eax, eax
    mov ecx, 4096
    rep stosb
    mov rax, [seqno]
    mov [abs REQ_GPA + 0x20], rax
    mov byte [abs REQ_GPA + 0x30], 1        ; algo: AES-256-GCM
    mov byte [abs REQ_GPA + 0x31], 1        ; hdr_version
    mov word [abs REQ_GPA + 0x32], HDR_SIZE
    mov byte [abs REQ_GPA + 0x34], 5        ; MSG_REPORT_REQ
    mov byte [abs REQ_GPA + 0x35], 1        ; msg_version
    mov word [abs REQ_GPA + 0x36], REQ_PAYLOAD
    mov byte [abs REQ_GPA + 0x3c], 2        ; msg_vmpck
    ; IV = the sequence number, 12 bytes little-endian.
    mov [iv], rax
    mov dword [iv + 8], 0
    lea rax, [abs REQ_GPA + 0x30]
    mov [args + GCM_AAD], rax
    lea rax, [plain]
    mov [args + GCM_IN], rax
    lea rax, [abs REQ_GPA + HDR_SIZE]
    mov [args + GCM_OUT], rax
    mov qword [args + GCM_LEN], REQ_PAYLOAD
    lea rax, [abs REQ_GPA]
    mov [args + GCM_TAG], rax
    lea rdi, [args]
    xor esi, esi
    call gcm_crypt
    cmp byte [flip_bit], 0
    je .send
    xor byte [abs REQ_GPA + HDR_SIZE + 7], 0x10
.send:
    call ghcb_begin
    mov edi, 0x80000011             ; SNP guest request
    mov esi, REQ_GPA
    mov edx, RSP_GPA
    call ghcb_nae
    test eax, eax
    jz .answered
    mov eax, 1
    ret
.answered:
    ; The response header, checked before anything of it is used.
    mov rax, [seqno]
    inc rax
    cmp [abs RSP_GPA + 0x20], rax
    FAIL_IF ne, 56
    cmp byte [abs RSP_GPA + 0x30], 1
    FAIL_IF ne, 56
    cmp word [abs RSP_GPA + 0x32], HDR_SIZE
    FAIL_IF ne, 56
    cmp byte [abs RSP_GPA + 0x34], 6        ; MSG_REPORT_RSP
    FAIL_IF ne, 56
    cmp byte [abs RSP_GPA + 0x3c], 2
    FAIL_IF ne, 56
    movzx ecx, word [abs RSP_GPA + 0x36]
    cmp ecx, 0x20 + REPORT_SIZE
    FAIL_IF ne, 56
    mov [iv], rax
    mov dword [iv + 8], 0
    lea rax, [abs RSP_GPA + 0x30]
    mov [args + GCM_AAD], rax
    lea rax, [abs RSP_GPA + HDR_SIZE]
    mov [args + GCM_IN], rax
    lea rax, [plain]
    mov [args + GCM_OUT], rax
    mov [args + GCM_LEN], rcx
    lea rax, [tag]
    mov [args + GCM_TAG], rax
    lea rdi, [args]
    mov esi, 1
    call gcm_crypt
    lea rsi, [tag]                  ; the tag must match, all 16 bytes
    lea rdi, [abs RSP_GPA]
    mov ecx, 16
    repe cmpsb
    FAIL_IF ne, 57
    add qword [seqno], 2            ; both numbers are used up
    cmp dword [plain], 0            ; status
    FAIL_IF ne, 58
    cmp dword [plain + 4], REPORT_SIZE
    FAIL_IF ne, 58
    xor eax, eax
    ret

; RAX = page state change request; the answer must be success.
page_state_shared:
    MSR_PROTOCOL
    mov rbx, 0xffffffff00000fff
    and rbx, rax
    cmp rbx, 0x015
    FAIL_IF ne, 52
    ret

; RSI = command line (the guest's own memory) -> EAX = 1 if it holds the word "flip".
has_flip:
    xor eax, eax
.next:
    cmp byte [rsi], 0
    je .done
    cmp dword [rsi], 'flip'
    je .yes
    inc rsi
    jmp .next
.yes:
    mov eax, 1
.done:
    ret

; The report (plain + 0x20) in hex, 64 bytes a line.
print_report:
    lea rsi, [plain + 0x20]
    mov r15d, REPORT_SIZE
    call print_hex_lines
    PUTS end_line
    ret

%include "hex_lines.inc"

fail_50:
    GEXIT 50
fail_51:
    GEXIT 51
fail_52:
    GEXIT 52
fail_55:
    GEXIT 55
fail_56:
    GEXIT 56
fail_57:
    GEXIT 57
fail_58:
    GEXIT 58
fail_60:
    GEXIT 60
fail_61:
    GEXIT 61

%include "aes256_gcm.inc"

msg_start:   db "snp_guest_request: MSG_REPORT_REQ sealed by the guest with VMPCK2", 10, 0
msg_secrets: db "snp_guest_request: guest secrets page with VMPCK2; request pages shared", 10, 0
msg_refused: db "snp_guest_request: the altered request was refused", 10, 0
msg_wiped:   db "snp_guest_request: VMPCK2 wiped: the next request was refused too", 10, 0
msg_done:    db "snp_guest_request: done", 10, 0
line_prefix: db "REPORT "
line_hex:    times 130 db 0
end_line:    db "REPORT-END 04a0", 10, 0
align 8
seqno:       dq 1
flip_bit:    db 0
align 8
iv:          times 16 db 0
tag:         times 16 db 0
args:
    dq VMPCK2, iv, 0, 0x30, 0, 0, 0, 0
align 16
plain:       times 4096 db 0

%include "ghcb_guest_data.inc"
