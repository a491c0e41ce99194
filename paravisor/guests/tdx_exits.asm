; The exits suite for a TDX guest (tee=tdx): intercepted instructions through #VE and
; TDG.VP.VMCALL, then the TDCALL leaves and GHCI sub-functions directly, including the refused
; ones (each must come back with the specification's status and the guest carries on): a bad
; TDCALL leaf, a VMCALL exposing RAX, an unknown sub-function, misaligned MapGPA, VEINFO.GET with
; no #VE pending, a bad RTMR index, TDG.MR.REPORT (no TDREPORT source), an invalid notification
; vector, and a real #UD that must reach the guest's own handler. Exit code 0 = all good.
%include "tdx_guest.inc"
%include "encrypted_guest_steps.inc"

QUOTE_GPA equ 0x800000
RTMR_DATA_GPA equ 0x900000

%macro FAIL_IF_NE 1
    jne fail_%1
%endmacro

main:
    ; 1. CPUID through #VE.
    ; 2. RDMSR/WRMSR of PAT through #VE; an MSR outside the allow-list fails (recorded as #GP).
    CHECK_HV_CPUID_AND_PAT 10, 11, 12
    mov byte [last_vector], 0xff
    mov ecx, 0xdead0000
    rdmsr
    cmp byte [last_vector], 13
    FAIL_IF_NE 13
    mov rax, [last_error]
    mov rbx, 0x8000000000000000     ; TDG.VP.VMCALL_INVALID_OPERAND
    cmp rax, rbx
    FAIL_IF_NE 13
    ; 3. IN from a refused port through #VE: all ones; 8 bits keep the rest of RAX.
    mov eax, 0x12345678
    in al, 0x80
    cmp eax, 0x123456ff
    FAIL_IF_NE 14
    mov dx, 0x80
    in eax, dx
    cmp eax, 0xffffffff
    FAIL_IF_NE 15
    ; 4. A bad TDCALL leaf: TDX_OPERAND_INVALID.
    mov eax, 99
    TDCALL
    mov rbx, 0xc000010000000000
    cmp rax, rbx
    FAIL_IF_NE 16
    ; 5. TDG.VP.VMCALL exposing RAX (bit 0): TDX_OPERAND_INVALID.
    xor eax, eax
    mov ecx, EXPOSE | 1
    TDCALL
    mov rbx, 0xc000010000000000
    cmp rax, rbx
    FAIL_IF_NE 17
    ; 6. An unknown GHCI sub-function: TDG.VP.VMCALL_INVALID_OPERAND in R10.
    TDVMCALL 0x7777
    test rax, rax
    FAIL_IF_NE 18
    mov rbx, 0x8000000000000000
    cmp r10, rbx
    FAIL_IF_NE 18
    ; 7. MapGPA: misaligned -> ALIGN_ERROR; then the quote buffer to shared.
    TDVMCALL 0x10001, QUOTE_GPA + 8 + SHARED_BIT, 4096
    mov rbx, 0x8000000000000002
    cmp r10, rbx
    FAIL_IF_NE 19
    TDVMCALL 0x10001, QUOTE_GPA + SHARED_BIT, 4096
    test r10, r10
    FAIL_IF_NE 20
    ; 8. GetQuote without a quoting service: success, and the buffer's status says
    ;    GET_QUOTE_SERVICE_UNAVAILABLE.
    mov qword [abs QUOTE_GPA], 1        ; version
    mov qword [abs QUOTE_GPA + 8], 0    ; status
    mov dword [abs QUOTE_GPA + 16], 1024
    mov dword [abs QUOTE_GPA + 20], 0
    TDVMCALL 0x10002, QUOTE_GPA + SHARED_BIT, 4096
    test r10, r10
    FAIL_IF_NE 21
    mov rax, [abs QUOTE_GPA + 8]
    mov rbx, 0x8000000000000001
    cmp rax, rbx
    FAIL_IF_NE 22
    ; A GetQuote buffer in private memory: INVALID_OPERAND.
    TDVMCALL 0x10002, RTMR_DATA_GPA + SHARED_BIT, 4096
    mov rbx, 0x8000000000000000
    cmp r10, rbx
    FAIL_IF_NE 23
    ; 9. VEINFO.GET with no #VE pending: TDX_NO_VALID_VE_INFO.
    mov eax, 3
    TDCALL
    mov rbx, 0xc000070400000000
    cmp rax, rbx
    FAIL_IF_NE 24
    ; 10. RTMR2 extended with bytes 1..48; index 4 is refused.
    lea rdi, [abs RTMR_DATA_GPA]
    mov ecx, 48
    mov al, 1
.fill:
    stosb
    inc al
    loop .fill
    mov eax, 2
    mov ecx, RTMR_DATA_GPA
    mov edx, 2
    TDCALL
    test rax, rax
    FAIL_IF_NE 25
    mov eax, 2
    mov ecx, RTMR_DATA_GPA
    mov edx, 4
    TDCALL
    mov rbx, 0xc000010000000000
    cmp rax, rbx
    FAIL_IF_NE 26
    ; 11. TDG.MR.REPORT: refused (no TDREPORT source for this guest here).
    mov eax, 4
    mov ecx, 0x901000
    mov edx, RTMR_DATA_GPA
    xor r8d, r8d
    TDCALL
    mov rbx, 0xc000010000000000
    cmp rax, rbx
    FAIL_IF_NE 27
    ; 12. SetupEventNotifyInterrupt: vector 0x40 accepted, 5 refused.
    TDVMCALL 0x10004, 0x40
    test r10, r10
    FAIL_IF_NE 28
    TDVMCALL 0x10004, 5
    test r10, r10
    jz fail_29
    ; 13. A real #UD (UD2) reaches the guest's own handler.
    mov byte [last_vector], 0xff
    mov byte [skip_len], 2
    ud2
    cmp byte [last_vector], 6
    FAIL_IF_NE 30
    PUTS done_line
    TEXIT 0

%assign step 10
%rep 21
fail_ %+ step:
    TEXIT step
%assign step step + 1
%endrep

done_line: db "tdx_exits: every step passed", 10, 0

%include "tdx_guest_data.inc"
