; pv_vmx_run — one VMX world switch: enter the guest with VMLAUNCH/VMRESUME, return after the
; VM exit (or at once on VM-Fail). Plus the VMREAD/VMWRITE error trampolines of vmx/vmcs.h.
;
;   int pv_vmx_run(VcpuRunState* run);   (System V: RDI = run)
;   returns 0 after a VM exit, 1 on VMfailValid (ZF: the VMCS says why in the VM-instruction
;   error field), 2 on VMfailInvalid (CF: no current VMCS).
;
; The current VMCS must be this vCPU's. Guest GPRs except RSP are loaded from and saved to
; run->gprs; RSP, RIP and RFLAGS are switched through the VMCS. Clobbers all caller-saved GPRs.
; Runs with IF=0 (the paravisor never enables interrupts); a VM exit leaves IF=0 too.
;
; Ordering follows KVM's __vmx_vcpu_run (arch/x86/kvm/vmx/vmenter.S) and the rules of the SVM
; path (entry/svm_run.asm):
;  - This routine is the only place with VMLAUNCH/VMRESUME and the exit label, so nothing can
;    duplicate the label HOST_RIP points at. HOST_RIP is written once at VMCS setup
;    (pv_vmx_exit_label); HOST_RSP is written here only when it differs from the cached value
;    in run->host_rsp (the caller's stack depth rarely changes).
;  - The guest SPEC_CTRL is written only if it differs from the host's, after the last call or
;    return before the entry. No LFENCE: VM entry is serialising.
;  - VMLAUNCH vs VMRESUME comes from run->launched, tested with BT into CF *before* the guest
;    GPR loads (MOVs leave the flags alone). C++ sets `launched` only after a successful entry
;    and clears it with VMCLEAR.
;  - After the exit every guest GPR is saved, then every GPR is cleared, then the return stack
;    buffer is filled before the first RET, then the host SPEC_CTRL is restored (guest value read
;    back only when guest writes are not intercepted; host value written only if different),
;    then LFENCE. VM-Fail of VMLAUNCH/VMRESUME returns through the same clearing/RSB/SPEC_CTRL
;    tail; a VM-Fail of the HOST_RSP VMWRITE (nothing of the guest's loaded yet, SPEC_CTRL still
;    the host's) returns at once with the result.
; The sequences shared with the SVM path are macros in entry/world_switch.inc.

bits 64
default rel

%include "pv_asm_offsets.inc"
%include "entry/world_switch.inc"

extern pv_vmx_vmread_error, pv_vmx_vmwrite_error

section .text

global pv_vmx_run
pv_vmx_run:
    WS_PROLOGUE

    ; HOST_RSP: the exit lands with RSP = this value, pointing at @run. Written only if changed.
    cmp rsp, [rdi + RUN_host_rsp]
    je .host_rsp_done
    mov eax, VMCS_HOST_RSP          ; field encoding, generated from vmx/vmcs.h
    vmwrite rax, rsp
    jna ..@host_rsp_failed            ; flags say which VM-Fail; nothing guest-owned is loaded yet
    mov [rdi + RUN_host_rsp], rsp
.host_rsp_done:

    WS_WRITE_GUEST_SPEC_CTRL

    ; CF = launched, before the GPR loads: MOV does not touch the flags.
    movzx eax, byte [rdi + RUN_launched]
    bt eax, 0

    ; Guest GPRs (not RSP: the VMCS switches it); RAX first, RDI (the pointer) last.
    mov rax, [rdi + RUN_rax]
    WS_LOAD_GUEST_GPRS

    jc .resume
    vmlaunch
    jmp ..@vmfail                   ; VMLAUNCH fell through: VM-Fail, flags intact
.resume:
    vmresume
    jmp ..@vmfail

; HOST_RIP. RSP = HOST_RSP (pointing at @run); every GPR but RSP holds a guest value.
global pv_vmx_exit_label
pv_vmx_exit_label:
    push rax                        ; guest RAX: the only way to free a register
    mov rax, [rsp + 8]              ; @run
    pop qword [rax + RUN_rax]
    WS_SAVE_GUEST_GPRS
    xor ebx, ebx                    ; return 0: VM exit
    jmp ..@clear_regs

; VM-Fail: ZF = VMfailValid (1), CF = VMfailInvalid (2). The MOVs keep the flags for the JNC.
..@vmfail:
    mov ebx, 1
    jnc ..@clear_regs
    mov ebx, 2

..@clear_regs:
    WS_CLEAR_GUEST_GPRS             ; RBX holds the result, RSP is the host's
    xor eax, eax
    xor edi, edi
    WS_FILL_RSB
    mov rdi, [rsp]                  ; @run, from the stack (not a guest value)
    WS_RESTORE_HOST_SPEC_CTRL

..@return:
    mov eax, ebx
    xor ecx, ecx
    xor edx, edx
    WS_EPILOGUE

; VM-Fail of the HOST_RSP VMWRITE, before anything of the guest's was loaded: SPEC_CTRL still
; holds the host value, so the common tail must not run. It would read the MSR back as the
; guest's value (when guest writes are not intercepted) and overwrite run->guest_spec_ctrl with
; the host's. No guest GPR was loaded and no guest ran (the RSB holds only the paravisor's
; entries), so there is nothing to clear or refill either: only the result (ZF = VMfailValid,
; CF = VMfailInvalid, as above; the MOVs keep the flags).
..@host_rsp_failed:
    mov ebx, 1
    jnc ..@return
    mov ebx, 2
    jmp ..@return

; ---- VMREAD/VMWRITE failure trampolines (see vmx/vmcs.h) -------------------------------------
; Entered by CALL from an inline-asm failure stub, with the stub's arguments on the stack above
; the return address. They save every caller-saved GPR (the inline asm promised the compiler
; that nothing but the flags changes), align the stack, call the C++ reporter with the normal
; calling convention, and restore. The flags are clobbered (declared by the inline asm).

%macro SAVE_VOLATILE 0
    push rbp
    mov rbp, rsp
    push rax
    push rcx
    push rdx
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    and rsp, -16                    ; the ABI's call alignment, whatever the caller's was
%endmacro

%macro RESTORE_VOLATILE 0
    lea rsp, [rbp - 9 * 8]
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rax
    pop rbp
%endmacro

; Stack: [rsp] return, [rsp+8] field (replaced by the result, 0, which the stub pops).
global pv_vmx_vmread_error_trampoline
pv_vmx_vmread_error_trampoline:
    SAVE_VOLATILE
    mov rdi, [rbp + 16]
    call pv_vmx_vmread_error
    mov qword [rbp + 16], 0
    RESTORE_VOLATILE
    ret

; Stack: [rsp] return, [rsp+8] field, [rsp+16] value (the stub drops both).
global pv_vmx_vmwrite_error_trampoline
pv_vmx_vmwrite_error_trampoline:
    SAVE_VOLATILE
    mov rdi, [rbp + 16]
    mov rsi, [rbp + 24]
    call pv_vmx_vmwrite_error
    RESTORE_VOLATILE
    ret
