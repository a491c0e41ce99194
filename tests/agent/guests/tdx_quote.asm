; A TDX guest's attestation end to end (tee=tdx guest in a tee=tdx measured partition): RTMR2
; extended with TDG.MR.RTMR.EXTEND, a TDREPORT with this guest's REPORTDATA from TDG.MR.REPORT,
; the TDREPORT quoted through TDVMCALL<GetQuote> on a shared buffer, and the quote printed in
; hex ("QUOTE <64 bytes>" lines, then "QUOTE-END <length>") for the test to verify with pvattest.
; Before that, the hostile forms (misaligned or shared TDREPORT buffer, one outside RAM, a private
; GetQuote buffer, in_len past the buffer) must each fail with the status the specs define.
; Exit codes: 0 ok; 30.. the failed step.
%include "tdx_guest.inc"

QUOTE_GPA      equ 0x800000         ; 8 pages, made shared with MapGPA
QUOTE_SIZE     equ 8 * 4096
RTMR_DATA_GPA  equ 0x900000         ; private, 64-byte aligned
REPORTDATA_GPA equ 0x900040         ; private, 64-byte aligned
TDREPORT_GPA   equ 0x901000         ; private, 1024-byte aligned
OUTSIDE_RAM    equ 0x10000000       ; 256 MiB: past the partition's 64 MiB
OPERAND_INVALID equ 0xc000010000000000
VMCALL_INVALID  equ 0x8000000000000000

; MR_REPORT tdreport, reportdata: TDG.MR.REPORT (leaf 4), subtype 0; RAX = status.
%macro MR_REPORT 2
    mov eax, 4
    mov rcx, %1
    mov rdx, %2
    xor r8d, r8d
    TDCALL
%endmacro

%macro EXPECT_RAX 2                 ; value, exit code
    mov rbx, %1
    cmp rax, rbx
    jne fail_%2
%endmacro

%macro EXPECT_R10 2
    mov rbx, %1
    cmp r10, rbx
    jne fail_%2
%endmacro

main:
    PUTS msg_start
    ; The guest's inputs: RTMR data 0x40.. (48 bytes), REPORTDATA 7, 10, 13, ... (64 bytes).
    lea rdi, [abs RTMR_DATA_GPA]
    mov al, 0x40
    mov ecx, 48
.rtmr_fill:
    stosb
    inc al
    loop .rtmr_fill
    lea rdi, [abs REPORTDATA_GPA]
    mov al, 7
    mov ecx, 64
.rd_fill:
    stosb
    add al, 3
    loop .rd_fill
    ; The GetQuote buffer becomes shared.
    TDVMCALL 0x10001, QUOTE_GPA + SHARED_BIT, QUOTE_SIZE
    EXPECT_R10 0, 30

    ; Hostile TDG.MR.REPORT forms: TDX_OPERAND_INVALID each.
    MR_REPORT TDREPORT_GPA + 512, REPORTDATA_GPA   ; TDREPORT not 1024-byte aligned
    EXPECT_RAX OPERAND_INVALID, 31
    MR_REPORT OUTSIDE_RAM, REPORTDATA_GPA          ; outside the TD's RAM
    EXPECT_RAX OPERAND_INVALID, 32
    MR_REPORT QUOTE_GPA, REPORTDATA_GPA            ; a shared page
    EXPECT_RAX OPERAND_INVALID, 33
    MR_REPORT TDREPORT_GPA, REPORTDATA_GPA + 8     ; REPORTDATA not 64-byte aligned
    EXPECT_RAX OPERAND_INVALID, 34

    ; RTMR2 = SHA-384(RTMR2 || data), then the TDREPORT.
    mov eax, 2
    mov rcx, RTMR_DATA_GPA
    mov edx, 2
    TDCALL
    EXPECT_RAX 0, 35
    MR_REPORT TDREPORT_GPA, REPORTDATA_GPA
    EXPECT_RAX 0, 36
    PUTS msg_report

    ; Hostile GetQuote forms: TDG.VP.VMCALL_INVALID_OPERAND in R10.
    mov qword [abs QUOTE_GPA], 1
    mov qword [abs QUOTE_GPA + 8], 0
    mov dword [abs QUOTE_GPA + 16], 8192            ; in_len past a 4096-byte buffer
    mov dword [abs QUOTE_GPA + 20], 0
    TDVMCALL 0x10002, QUOTE_GPA + SHARED_BIT, 4096
    EXPECT_R10 VMCALL_INVALID, 37
    TDVMCALL 0x10002, TDREPORT_GPA + SHARED_BIT, 4096 ; a private buffer
    EXPECT_R10 VMCALL_INVALID, 38

    ; GetQuote: header (version 1, status 0, in_len 1024, out_len 0) and the TDREPORT.
    mov dword [abs QUOTE_GPA + 16], 1024
    lea rsi, [abs TDREPORT_GPA]
    lea rdi, [abs QUOTE_GPA + 24]
    mov ecx, 1024
    rep movsb
    TDVMCALL 0x10002, QUOTE_GPA + SHARED_BIT, QUOTE_SIZE
    EXPECT_R10 0, 39
    mov rax, [abs QUOTE_GPA + 8]
    EXPECT_RAX 0, 40                                ; GET_QUOTE_SUCCESS
    mov eax, [abs QUOTE_GPA + 20]                   ; out_len, bounded by the buffer
    test eax, eax
    jz fail_41
    cmp eax, QUOTE_SIZE - 24
    ja fail_41
    mov [quote_len], eax

    ; The quote in hex, 64 bytes a line.
    lea rsi, [abs QUOTE_GPA + 24]
    mov r15d, [quote_len]
    call print_hex_lines
    lea rdi, [end_hex]
    mov eax, [quote_len]
    bswap eax                       ; most significant byte first
    mov ecx, 4
.len:
    call hex_byte
    shr eax, 8
    loop .len
    mov byte [rdi], 10
    mov byte [rdi + 1], 0
    PUTS end_prefix
    PUTS msg_done
    TEXIT 0

%include "hex_lines.inc"

fail_30:
    TEXIT 30
fail_31:
    TEXIT 31
fail_32:
    TEXIT 32
fail_33:
    TEXIT 33
fail_34:
    TEXIT 34
fail_35:
    TEXIT 35
fail_36:
    TEXIT 36
fail_37:
    TEXIT 37
fail_38:
    TEXIT 38
fail_39:
    TEXIT 39
fail_40:
    TEXIT 40
fail_41:
    TEXIT 41

msg_start:   db "tdx_quote: RTMR extension, TDREPORT and GetQuote of a tee=tdx guest", 10, 0
msg_report:  db "tdx_quote: hostile forms refused; TDREPORT with this guest's REPORTDATA", 10, 0
msg_done:    db "tdx_quote: done", 10, 0
line_prefix: db "QUOTE "
line_hex:    times 130 db 0
end_prefix:  db "QUOTE-END "
end_hex:     times 10 db 0
align 4
quote_len:   dd 0

%include "tdx_guest_data.inc"
