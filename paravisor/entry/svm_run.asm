; pv_svm_run — one SVM world switch: enter the guest with VMRUN, return after #VMEXIT.
;
;   void pv_svm_run(VcpuRunState* run);          (System V: RDI = run)
;
; Returns after every #VMEXIT; the exit information is in the guest VMCB. Guest GPRs are loaded
; from and saved to run->gprs, except RAX and RSP, which VMRUN/#VMEXIT switch through the VMCB
; (the C++ backend copies them). Clobbers: all caller-saved GPRs; callee-saved ones are
; preserved. Called with IF=0 and returns with IF=0; inside, IF=1 only while GIF=0 or the
; guest runs (so the paravisor's timer can preempt the guest); CLGI holds off interrupts,
; NMIs and SMIs for the whole switch.
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
; time; the sequences shared with the VMX path are macros in entry/world_switch.inc.
; PV_SPEC_CTRL_MSR is the single definition of which MSR is "SPEC_CTRL": 0x48 in the
; production image; the test image builds this same code with TSC_AUX (0xC0000103), which the
; emulators implement and which VMRUN does not switch, so the logic really executes under test.

bits 64
default rel

%include "pv_asm_offsets.inc"
%include "entry/world_switch.inc"

section .text

global pv_svm_run
pv_svm_run:
    WS_PROLOGUE

    ; GIF=0 from here to STGI: no NMI/SMI/interrupt may run host code while guest segment and
    ; MSR state (loaded by VMLOAD below) is live on this CPU.
    clgi
    ; IF=1 under GIF=0: still no interrupt reaches the host (GIF holds them), but with
    ; V_INTR_MASKING the host IF saved by VMRUN is what lets a physical interrupt arriving in
    ; the guest cause #VMEXIT(INTR): the paravisor's timer tick preempts a guest that never
    ; exits. After CLGI, so the host is never interruptible here.
    sti

    ; Load the guest's FS/GS/TR/LDTR, KernelGsBase and SYSCALL/SYSENTER MSRs, which VMRUN does not
    ; switch. Done before the SPEC_CTRL write so that nothing but register moves separate that
    ; write from VMRUN.
    mov rax, [rdi + RUN_guest_state_pa]
    vmload                          ; operand is RAX (implicit in NASM syntax)

    WS_WRITE_GUEST_SPEC_CTRL

    ; RAX must hold the VMCB address for VMRUN (the guest's RAX lives in the VMCB).
    mov rax, [rdi + RUN_guest_state_pa]
    WS_LOAD_GUEST_GPRS

    ; Enter the guest. #VMEXIT resumes at the next instruction with host RSP and RAX (= the VMCB
    ; address) restored by hardware from the host save area; all other GPRs hold guest values.
    vmrun                           ; operand is RAX: the guest VMCB

    ; RAX is the only free register: fetch @run into it (without popping: it is needed again).
    mov rax, [rsp]
    WS_SAVE_GUEST_GPRS

    ; Save the guest's VMLOAD/VMSAVE state, then bring back the host's (its TR is what the IDT's
    ; IST stacks need, so this must precede anything that could fault).
    mov rdi, rax
    mov rax, [rdi + RUN_guest_state_pa]
    vmsave                          ; operand is RAX
    mov rax, [rdi + RUN_host_state_pa]
    vmload                          ; operand is RAX

    WS_CLEAR_GUEST_GPRS
    xor ebx, ebx                    ; RAX and RDI hold our pointers, not guest values
    WS_FILL_RSB
    WS_RESTORE_HOST_SPEC_CTRL       ; RDI = @run, set above

    ; #VMEXIT restored the host RFLAGS, IF=1 from the STI above. Clear it before GIF=1, so
    ; the tick that caused an INTR exit stays pending for the run loop (which takes it in a
    ; controlled window) instead of interrupting the rest of this path.
    cli
    ; Host state is complete: allow NMIs/SMIs again (IF stays 0).
    stgi

    xor eax, eax
    xor ecx, ecx
    xor edx, edx
    WS_EPILOGUE
