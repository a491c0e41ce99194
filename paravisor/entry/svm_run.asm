; pv_svm_run — one SVM world switch: enter the guest with VMRUN, return after #VMEXIT.
;
;   void pv_svm_run(VcpuRunState* run);          (System V: RDI = run)
;
; Returns after every #VMEXIT; the exit information is in the guest VMCB. Guest GPRs are loaded
; from and saved to run->gprs, except RAX and RSP, which VMRUN/#VMEXIT switch through the VMCB
; (the C++ backend copies them). Clobbers: all caller-saved GPRs; callee-saved ones are
; preserved. Runs with IF=0 (the paravisor never enables interrupts); CLGI additionally holds
; off NMIs and SMIs for the whole switch.
;
; Ordering follows KVM's __svm_vcpu_run (arch/x86/kvm/svm/vmenter.S) and the project's rules:
;  - the guest SPEC_CTRL is written only if it differs from the host's, after the last call or
;    return before VMRUN, so no RET or indirect branch can be predicted from guest-influenced
;    state between the write and the entry;
;  - after #VMEXIT every guest GPR is saved, then every GPR is cleared, then the return stack
;    buffer is filled before the first RET, then the host SPEC_CTRL is restored (the guest value
;    is read back only when the guest could write the MSR without an exit; the host value is
;    written only if different), then LFENCE.
;
; Offsets into VcpuRunState come from pv_asm_offsets.inc, generated from the C++ layout at build
; time. PV_SPEC_CTRL_MSR is the single definition of which MSR is "SPEC_CTRL": 0x48 in the
; production image; the test image builds this same code with TSC_AUX (0xC0000103), which the
; emulators implement and which VMRUN does not switch, so the logic really executes under test.

bits 64
default rel

%include "pv_asm_offsets.inc"

%ifndef PV_SPEC_CTRL_MSR
%define PV_SPEC_CTRL_MSR 0x48
%endif

; Test-build evidence of every SPEC_CTRL access (see VcpuRunState's counters).
%macro COUNT 1
%ifdef PV_SPEC_CTRL_COUNTERS
    inc qword [rdi + %1]
%endif
%endmacro

RSB_FILL_LOOPS equ 16               ; 16 iterations x 2 calls = 32 RSB entries (the deepest RSB)

section .text

global pv_svm_run
pv_svm_run:
    ; Frame plus the callee-saved registers: after VMRUN they hold guest values, so they are
    ; saved here and restored last.
    push rbp
    mov rbp, rsp
    push r15
    push r14
    push r13
    push r12
    push rbx
    ; @run stays on the stack: it is the only way back to the vCPU once guest GPRs are loaded.
    push rdi

    ; GIF=0 from here to STGI: no NMI/SMI/interrupt may run host code while guest segment and
    ; MSR state (loaded by VMLOAD below) is live on this CPU.
    clgi

    ; Load the guest's FS/GS/TR/LDTR, KernelGsBase and SYSCALL/SYSENTER MSRs, which VMRUN does not
    ; switch. Done before the SPEC_CTRL write so that nothing but register moves separate that
    ; write from VMRUN.
    mov rax, [rdi + RUN_guest_state_pa]
    vmload                          ; operand is RAX (implicit in NASM syntax)

    ; Guest SPEC_CTRL: skip entirely when the MSR does not exist; write only if the guest's value
    ; differs from the host's (a WRMSR costs far more than the compare). No LFENCE is needed
    ; after it: VMRUN is serialising.
    cmp byte [rdi + RUN_spec_ctrl_present], 0
    je .guest_spec_ctrl_done
    mov rax, [rdi + RUN_guest_spec_ctrl]
    cmp rax, [rdi + RUN_host_spec_ctrl]
    je .guest_spec_ctrl_done
    mov ecx, PV_SPEC_CTRL_MSR
    mov rdx, rax
    shr rdx, 32                     ; WRMSR takes EDX:EAX
    wrmsr
    COUNT RUN_spec_ctrl_guest_writes
.guest_spec_ctrl_done:

    ; Guest GPRs. RAX must hold the VMCB address for VMRUN, so it is loaded from @run first and
    ; RDI (the pointer all other loads use) is loaded last.
    mov rax, [rdi + RUN_guest_state_pa]
    mov rbx, [rdi + RUN_rbx]
    mov rcx, [rdi + RUN_rcx]
    mov rdx, [rdi + RUN_rdx]
    mov rsi, [rdi + RUN_rsi]
    mov rbp, [rdi + RUN_rbp]
    mov r8,  [rdi + RUN_r8]
    mov r9,  [rdi + RUN_r9]
    mov r10, [rdi + RUN_r10]
    mov r11, [rdi + RUN_r11]
    mov r12, [rdi + RUN_r12]
    mov r13, [rdi + RUN_r13]
    mov r14, [rdi + RUN_r14]
    mov r15, [rdi + RUN_r15]
    mov rdi, [rdi + RUN_rdi]

    ; Enter the guest. #VMEXIT resumes at the next instruction with host RSP and RAX (= the VMCB
    ; address) restored by hardware from the host save area; all other GPRs hold guest values.
    vmrun                           ; operand is RAX: the guest VMCB

    ; RAX is the only free register: fetch @run into it (without popping: it is needed again).
    mov rax, [rsp]
    mov [rax + RUN_rbx], rbx
    mov [rax + RUN_rcx], rcx
    mov [rax + RUN_rdx], rdx
    mov [rax + RUN_rsi], rsi
    mov [rax + RUN_rdi], rdi
    mov [rax + RUN_rbp], rbp
    mov [rax + RUN_r8],  r8
    mov [rax + RUN_r9],  r9
    mov [rax + RUN_r10], r10
    mov [rax + RUN_r11], r11
    mov [rax + RUN_r12], r12
    mov [rax + RUN_r13], r13
    mov [rax + RUN_r14], r14
    mov [rax + RUN_r15], r15

    ; Save the guest's VMLOAD/VMSAVE state, then bring back the host's (its TR is what the IDT's
    ; IST stacks need, so this must precede anything that could fault).
    mov rdi, rax
    mov rax, [rdi + RUN_guest_state_pa]
    vmsave                          ; operand is RAX
    mov rax, [rdi + RUN_host_state_pa]
    vmload                          ; operand is RAX (implicit in NASM syntax)

    ; Clear every GPR that held a guest value, so none can feed speculation on the host side
    ; (even registers about to be reloaded: an L1 miss on the reload could expose the old one).
    ; 32-bit XORs zero the full 64-bit register and are the cheapest zeroing idiom.
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d

    ; Fill the return stack buffer with benign entries before the first RET, so no RET can
    ; consume a prediction the guest planted. Each CALL pushes one RSB entry pointing at an INT3
    ; that traps any speculative return into it; the return addresses are dropped afterwards.
    mov ecx, RSB_FILL_LOOPS
.rsb_fill:
    call .rsb_1
    int3
.rsb_1:
    call .rsb_2
    int3
.rsb_2:
    dec ecx
    jnz .rsb_fill
    add rsp, RSB_FILL_LOOPS * 2 * 8

    ; Host SPEC_CTRL. RDI = @run (set above, never a guest value here).
    cmp byte [rdi + RUN_spec_ctrl_present], 0
    je .host_spec_ctrl_done
    ; The guest could write the MSR directly only if writes are not intercepted; only then can
    ; the hardware value differ from our copy, so only then is it read back.
    cmp byte [rdi + RUN_spec_ctrl_intercepted], 0
    jne .guest_value_known
    mov ecx, PV_SPEC_CTRL_MSR
    rdmsr
    shl rdx, 32
    or rax, rdx                     ; RDMSR zero-extends EAX, so the OR forms EDX:EAX
    mov [rdi + RUN_guest_spec_ctrl], rax
    COUNT RUN_spec_ctrl_guest_reads
.guest_value_known:
    ; The MSR holds the guest value; if that equals the host value there is nothing to do.
    mov rax, [rdi + RUN_host_spec_ctrl]
    cmp rax, [rdi + RUN_guest_spec_ctrl]
    je .host_spec_ctrl_done
    mov ecx, PV_SPEC_CTRL_MSR
    mov rdx, rax
    shr rdx, 32
    wrmsr
    COUNT RUN_spec_ctrl_host_writes
.host_spec_ctrl_done:
    ; Stop speculation past the conditional WRMSR: without it the CPU could run ahead to the RET
    ; below while SPEC_CTRL still holds the guest's value.
    lfence

    ; Host state is complete: allow interrupts/NMIs again (IF stays 0, so only NMI/SMI matter).
    stgi

    xor eax, eax
    xor ecx, ecx
    xor edx, edx
    pop rdi                         ; discard @run
    xor edi, edi
    pop rbx
    pop r12
    pop r13
    pop r14
    pop r15
    pop rbp
    ret
