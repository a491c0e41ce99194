; pv_svm_sev_es_run — one SEV-ES world switch: enter an encrypted-state guest with VMRUN, return
; after #VMEXIT.
;
;   void pv_svm_sev_es_run(VcpuRunState* run, SevEsSaveArea* host_save);
;                                        (System V: RDI = run, RSI = host save area)
;
; `host_save` is the host save area: the VM_HSAVE_PA page + 0x400 (svm/sev_es_save_area.h),
; mapped writable. run->guest_state_pa is the guest VMCB (SEV and SEV-ES enabled, VMSA pointer
; set), run->host_state_pa the VM_HSAVE_PA page itself. Returns after every #VMEXIT; the exit
; code is in the VMCB (and the GHCB, for #VC-originated exits). Clobbers all caller-saved GPRs;
; callee-saved ones are preserved. Runs with IF=0 throughout and GIF=0 from CLGI to STGI.
;
; The contract (KVM's __svm_sev_es_vcpu_run, arch/x86/kvm/svm/vmenter.S; AMD APM vol. 2, 15.35):
;  - The guest's GPRs live in its encrypted VMSA and are swapped by hardware: this routine loads
;    and saves none of them, and never touches the VMSA.
;  - VMRUN saves no host GPR (only the type-A state: RAX, RSP, RIP, RFLAGS and control state,
;    into the private part of the HSAVE page). #VMEXIT loads every other GPR (type B) from the
;    host save area's GPR block. So the callee-saved registers, and RDI/RSI that this routine
;    needs after the exit, are stored there before VMRUN: no stack and no guest value involved,
;    and the exit path starts with every GPR already holding a host value.
;  - The VMSAVE state (FS, GS, TR, LDTR, KernelGsBase, STAR/LSTAR/CSTAR/SFMASK, SYSENTER) is
;    type B too: VMSAVE into the HSAVE page puts it where #VMEXIT reloads it (the VMCB save-area
;    and the save-area layouts coincide there). No VMLOAD/VMSAVE of guest state: the VMSA holds it.
;  - The other type-B host values (XCR0, PKRU, XSS) are written by the C++ backend with
;    svm::WriteHostTypeB, as KVM's sev_es_prepare_switch_to_guest does.
;  - Guest SPEC_CTRL written only if it differs from the host's, after the last CALL or RET
;    before VMRUN; the RSB is filled before the first RET after #VMEXIT; the host SPEC_CTRL is
;    restored by the rules of entry/world_switch.inc (guest value read back only when the
;    guest's writes are not intercepted; host value written only if different), then LFENCE.
;  - Interrupts: IF stays 0 (no STI before VMRUN, so no CLI after it: KVM's rule too); CLGI holds
;    off NMI/SMI/INTR while host and guest state are mixed on this CPU, STGI ends that.
; Offsets (RUN_*, HSA_*) come from pv_asm_offsets.inc, generated from the C++ layouts.

bits 64
default rel

%include "pv_asm_offsets.inc"
%include "entry/world_switch.inc"

section .text

global pv_svm_sev_es_run
pv_svm_sev_es_run:
    ; A frame for the panic handler's backtrace; RBP (now the frame pointer) is stored below and
    ; reloaded by #VMEXIT, so the frame is intact after the exit.
    push rbp
    mov rbp, rsp

    ; Callee-saved GPRs into the host save area's GPR block: #VMEXIT reloads them from there
    ; (VMRUN saves none). Before anything else so that no later step can have changed them.
    mov [rsi + HSA_rbx], rbx
    mov [rsi + HSA_rbp], rbp
    mov [rsi + HSA_r12], r12
    mov [rsi + HSA_r13], r13
    mov [rsi + HSA_r14], r14
    mov [rsi + HSA_r15], r15
    ; @run and @host_save come back in RDI and RSI after #VMEXIT, without using the stack.
    mov [rsi + HSA_rdi], rdi
    mov [rsi + HSA_rsi], rsi

    ; GIF=0 from here to STGI: no NMI/SMI/interrupt may run host code while the host's type-B
    ; state is only in the save area.
    clgi

    ; The host's VMSAVE state into the HSAVE page (at 0x400 + the save-area offsets, where
    ; #VMEXIT reloads it). After CLGI: nothing may change FS/GS/TR between this and VMRUN.
    mov rax, [rdi + RUN_host_state_pa]
    vmsave                          ; operand is RAX: the VM_HSAVE_PA page

    ; Last before VMRUN, after the last CALL/RET: no return or indirect branch may be predicted
    ; from guest-influenced state between this write and the entry. Clobbers RAX, RCX, RDX.
    WS_WRITE_GUEST_SPEC_CTRL

    ; RAX = the guest VMCB (VMRUN's operand). Nothing else is loaded: the VMSA has the guest.
    mov rax, [rdi + RUN_guest_state_pa]
    vmrun                           ; operand is RAX

    ; #VMEXIT: RAX (the VMCB address) and RSP from the type-A state, RBX, RBP, RSI = @host_save,
    ; RDI = @run, R12-R15 and the caller-saved GPRs from the host save area. No GPR holds a guest
    ; value, so no clearing is needed before the RSB fill.
    WS_FILL_RSB                     ; before the first RET: the guest may have planted entries
    WS_RESTORE_HOST_SPEC_CTRL       ; RDI = @run (host save area slot)

    ; Host state is complete: allow NMIs/SMIs again (IF stays 0).
    stgi

    ; RCX, RDX, R8-R11 came from save-area slots this routine never wrote (whatever an earlier
    ; #VMEXIT or firmware left there): clear them and the pointers so nothing stale is returned.
    xor eax, eax
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    pop rbp
    ret
