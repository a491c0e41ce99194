; A hostile SEV-ES guest whose every request must be refused with the GHCB protocol's error, the
; guest carrying on after each: missing valid bits, a string IO larger than the shared buffer,
; SW_SCRATCH outside the shared buffer, an unknown exit code, a wrong GHCB usage and protocol
; version, an invalid MSR direction and MMIO length; MSR-protocol page state change and
; registration of GFNs outside guest RAM. At the end a CPUID through #VC must still work.
%include "ghcb_guest.inc"

%macro FAIL_IF_NE 1
    jne fail_%1
%endmacro

; EXPECT_ERROR ghcb_error, step: the last answer was SW_EXITINFO1 = 2 with that error.
%macro EXPECT_ERROR 2
    cmp eax, 2
    FAIL_IF_NE %2
    cmp rdx, %1
    FAIL_IF_NE %2
%endmacro

main:
    ; 1. CPUID event without RCX marked valid: MISSING_INPUT (4).
    call ghcb_begin
    mov qword [abs GHCB_GPA + G_RAX], 0
    GHCB_VALID V_RAX
    mov edi, 0x72
    xor esi, esi
    xor edx, edx
    call ghcb_nae
    EXPECT_ERROR 4, 40
    ; 2. SW_EXITCODE written but not marked valid: MISSING_INPUT.
    call ghcb_begin
    mov qword [abs GHCB_GPA + G_EXIT_CODE], 0x72
    mov word [abs GHCB_GPA + G_VERSION], 2
    call raw_vmgexit
    EXPECT_ERROR 4, 41
    ; 3. REP OUTSB of 4096 bytes: more than the 2032-byte shared buffer, INVALID_SCRATCH_AREA (3);
    ;    the instruction is not executed (RCX unchanged).
    mov dword [vc_string_result], 0
    lea rsi, [done_line]
    mov ecx, 4096
    mov dx, COM1
    rep outsb
    cmp dword [vc_string_result], 2
    FAIL_IF_NE 42
    cmp qword [vc_string_info2], 3
    FAIL_IF_NE 42
    cmp ecx, 4096
    FAIL_IF_NE 42
    ; 4. String IOIO whose SW_SCRATCH points at the GHCB's save area, not its shared buffer.
    call ghcb_begin
    mov qword [abs GHCB_GPA + G_SCRATCH], GHCB_GPA + 0x100
    GHCB_VALID V_SCRATCH
    mov edi, 0x7b
    mov esi, (COM1 << 16) | 0x10 | 0x04 | 0x200
    mov edx, 4
    call ghcb_nae
    EXPECT_ERROR 3, 43
    ; 5. An exit code the paravisor does not serve: INVALID_EVENT (6).
    call ghcb_begin
    mov edi, 0x12345
    xor esi, esi
    xor edx, edx
    call ghcb_nae
    EXPECT_ERROR 6, 44
    ; 6. GHCB usage 1 (a Hyper-V usage) and protocol version 7: INVALID_USAGE (2).
    call ghcb_begin
    mov qword [abs GHCB_GPA + G_EXIT_CODE], 0x6e
    mov qword [abs GHCB_GPA + G_EXIT_INFO1], 0
    mov qword [abs GHCB_GPA + G_EXIT_INFO2], 0
    GHCB_VALID V_EXIT_CODE
    GHCB_VALID V_EXIT_INFO1
    GHCB_VALID V_EXIT_INFO2
    mov word [abs GHCB_GPA + G_VERSION], 2
    mov dword [abs GHCB_GPA + G_USAGE], 1
    call raw_vmgexit
    EXPECT_ERROR 2, 45
    call ghcb_begin
    GHCB_VALID V_EXIT_CODE
    GHCB_VALID V_EXIT_INFO1
    GHCB_VALID V_EXIT_INFO2
    mov word [abs GHCB_GPA + G_VERSION], 7
    mov dword [abs GHCB_GPA + G_USAGE], 0
    call raw_vmgexit
    EXPECT_ERROR 2, 46
    ; 7. MSR event with direction 5: INVALID_INPUT (5); MMIO of 3 bytes: INVALID_INPUT.
    call ghcb_begin
    mov qword [abs GHCB_GPA + G_RCX], 0x277
    GHCB_VALID V_RCX
    mov edi, 0x7c
    mov esi, 5
    xor edx, edx
    call ghcb_nae
    EXPECT_ERROR 5, 47
    call ghcb_begin
    mov qword [abs GHCB_GPA + G_SCRATCH], GHCB_BUFFER
    GHCB_VALID V_SCRATCH
    mov edi, 0x80000001
    mov esi, 0xfed00000
    mov edx, 3
    call ghcb_nae
    EXPECT_ERROR 5, 48
    ; 8. MSR protocol: page state change of a GFN beyond guest RAM answers an error in [63:32];
    ;    registering a GHCB there answers the all-ones GFN.
    mov rax, (2 << 52) | 0x40000000 | 0x014
    MSR_PROTOCOL
    mov rbx, rax
    and ebx, 0xfff
    cmp ebx, 0x015
    FAIL_IF_NE 49
    shr rax, 32
    test eax, eax
    jz fail_49
    mov rax, 0x40000000 | 0x012
    MSR_PROTOCOL
    mov rbx, 0xfffffffffffff013
    cmp rax, rbx
    FAIL_IF_NE 50
    ; The GHCB must still be the registered one for what follows (SEV-SNP runs of this guest).
    mov rax, GHCB_GPA | 0x012
    MSR_PROTOCOL
    ; 9. Still healthy: CPUID through #VC.
    mov eax, 0x40000000
    cpuid
    cmp ebx, 'PvPa'
    FAIL_IF_NE 51
    PUTS done_line
    GEXIT 0

; VMGEXIT with the GHCB as the caller prepared it (no fields touched). EAX/RDX = the answer.
raw_vmgexit:
    mov eax, GHCB_GPA
    xor edx, edx
    mov ecx, GHCB_MSR
    wrmsr
    VMGEXIT
    mov eax, [abs GHCB_GPA + G_EXIT_INFO1]
    mov rdx, [abs GHCB_GPA + G_EXIT_INFO2]
    ret

%assign step 40
%rep 12
fail_ %+ step:
    GEXIT step
%assign step step + 1
%endrep

done_line: db "ghcb_refusals: every malformed request refused, guest healthy", 10, 0

%include "ghcb_guest_data.inc"
