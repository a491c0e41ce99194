; The exits suite for an SEV-ES guest (tee=sev-es): every intercepted instruction raises #VC and
; is completed by the #VC handler through a GHCB NAE event; each step checks what the
; architecture says the instruction does. GHCB events the handler does not use (hypervisor
; features, MMIO, guest request) and MSR-protocol requests are made directly. Exit code 0 = all
; good; otherwise the code names the failed step.
%include "ghcb_guest.inc"
%include "encrypted_guest_steps.inc"

%macro FAIL_IF_NE 1
    jne fail_%1
%endmacro

; Checks the last direct NAE answer: EAX = SW_EXITINFO1, RDX = SW_EXITINFO2.
%macro EXPECT_ANSWER 3
    cmp eax, %1
    FAIL_IF_NE %3
    cmp rdx, %2
    FAIL_IF_NE %3
%endmacro

main:
    ; 1. CPUID: the hypervisor leaf through #VC + GHCB CPUID.
    ; 2. RDMSR/WRMSR of PAT round-trip through GHCB MSR events.
    CHECK_HV_CPUID_AND_PAT 10, 11, 12
    ; 3. An MSR outside the allow-list: the GHCB answers "inject #GP(0)" (SW_EXITINFO1 = 1).
    EXPECT_FAULT 13
    mov ecx, 0xdead0000
    rdmsr
    cmp byte [last_vector], 13
    FAIL_IF_NE 13
    mov rax, [last_error]
    mov rbx, 0x80000b0d             ; vector 13, exception, error code valid, valid; code 0
    cmp rax, rbx
    FAIL_IF_NE 14
    ; 4. IN from a refused port reads all ones (8 bits keep the rest of RAX; 32 bits replace it);
    ;    OUT to it is dropped; the UART's line status says "transmitter empty".
    mov eax, 0x12345678
    in al, 0x80
    cmp eax, 0x123456ff
    FAIL_IF_NE 15
    mov dx, 0x80
    in eax, dx
    cmp eax, 0xffffffff
    FAIL_IF_NE 16
    out 0x80, al
    mov dx, COM1 + 5
    in al, dx
    and al, 0x60
    cmp al, 0x60
    FAIL_IF_NE 17
    ; 5. REP INSB of 8 bytes from the refused port through the shared buffer: all ones, RDI
    ;    advanced, RCX consumed.
    lea rdi, [insb_buffer]
    mov ecx, 8
    mov dx, 0x80
    rep insb
    test ecx, ecx
    FAIL_IF_NE 18
    lea rbx, [insb_buffer + 8]
    cmp rdi, rbx
    FAIL_IF_NE 18
    mov rax, [insb_buffer]
    cmp rax, -1
    FAIL_IF_NE 19
    ; 6. RDTSC twice through GHCB RDTSC events: time moves forward.
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov r12, rax
    rdtsc
    shl rdx, 32
    or rax, rdx
    cmp rax, r12
    jbe fail_20
    ; 7. RDTSCP, where CPUID advertises it (0x80000001 EDX[27]; QEMU's qemu64 does not): TSC_AUX
    ;    (ECX) is the processor number, 0.
    mov eax, 0x80000001
    cpuid
    bt edx, 27
    jnc .no_rdtscp
    mov ecx, 0x55
    rdtscp
    test ecx, ecx
    FAIL_IF_NE 21
.no_rdtscp:
    ; 8. WBINVD and INVD complete; registers are untouched.
    mov r12d, 0x1234
    wbinvd
    invd
    cmp r12d, 0x1234
    FAIL_IF_NE 22
    ; 9. A plain VMMCALL (no REP) raises #VC too; the handler turns it into a VMMCALL event:
    ;    the guest ABI's version, an unknown call (-38) and PRINT, whose buffer lies in private
    ;    memory the paravisor cannot read (-14).
    mov eax, PV_HC_GET_ABI_VERSION
    vmmcall
    cmp rax, PV_ABI_VERSION
    FAIL_IF_NE 23
    mov eax, 0x1234
    vmmcall
    cmp rax, -38
    FAIL_IF_NE 24
    mov eax, PV_HC_PRINT
    lea rdi, [done_line]
    mov esi, 4
    vmmcall
    cmp rax, -14
    FAIL_IF_NE 25
    ; 10. Hypervisor features (NAE 0x8000FFFD): an SEV-ES partition has no SNP feature.
    call ghcb_begin
    mov edi, 0x8000fffd
    xor esi, esi
    xor edx, edx
    call ghcb_nae
    EXPECT_ANSWER 0, 0, 26
    ; 11. MSR protocol: hypervisor features (same answer) and preferred GHCB GPA (none).
    mov eax, 0x080
    MSR_PROTOCOL
    cmp rax, 0x081
    FAIL_IF_NE 27
    mov eax, 0x010
    MSR_PROTOCOL
    mov rbx, 0xfffffffffffff011
    cmp rax, rbx
    FAIL_IF_NE 28
    ; 12. MMIO read (NAE 0x80000001) with no host agent: no device claims it, INVALID_INPUT.
    call ghcb_begin
    mov qword [abs GHCB_GPA + G_SCRATCH], GHCB_BUFFER
    GHCB_VALID V_SCRATCH
    mov edi, 0x80000001
    mov esi, 0xfed00000
    mov edx, 4
    call ghcb_nae
    EXPECT_ANSWER 2, 5, 29
    ; 13. SNP guest request from an SEV-ES (not SNP) partition: INVALID_EVENT. The pages are
    ;     the shared GHCB page itself, so only the event is refused.
    call ghcb_begin
    mov edi, 0x80000011
    mov esi, GHCB_GPA
    mov edx, GHCB_GPA
    call ghcb_nae
    EXPECT_ANSWER 2, 6, 30
    ; 14. The console still works after all of it.
    PUTS done_line
    GEXIT 0

%assign step 10
%rep 21
fail_ %+ step:
    GEXIT step
%assign step step + 1
%endrep

done_line: db "ghcb_exits: every step passed", 10, 0
align 8
insb_buffer: times 16 db 0

%include "ghcb_guest_data.inc"
