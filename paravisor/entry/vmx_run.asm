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
;    then LFENCE. VM-Fail returns through the same clearing/RSB/SPEC_CTRL tail.

bits 64
default rel

%include "pv_asm_offsets.inc"

%ifndef PV_SPEC_CTRL_MSR
%define PV_SPEC_CTRL_MSR 0x48
%endif

%macro COUNT 1
%ifdef PV_SPEC_CTRL_COUNTERS
    inc qword [rdi + %1]
%endif
%endmacro

RSB_FILL_LOOPS  equ 16              ; 16 iterations x 2 calls = 32 RSB entries
VMCS_HOST_RSP   equ 0x6c14

extern pv_vmx_vmread_error, pv_vmx_vmwrite_error

section .text

global pv_vmx_run
pv_vmx_run:
    push rbp
    mov rbp, rsp
    push r15
    push r14
    push r13
    push r12
    push rbx
    ; @run on the stack: after the exit it is the way back to the vCPU.
    push rdi

    ; HOST_RSP: the exit lands with RSP = this value, pointing at @run. Written only if changed.
    cmp rsp, [rdi + RUN_host_rsp]
    je .host_rsp_done
    mov eax, VMCS_HOST_RSP
    vmwrite rax, rsp
    jna ..@vmfail                     ; flags say which VM-Fail; nothing guest-owned is loaded yet
    mov [rdi + RUN_host_rsp], rsp
.host_rsp_done:

    ; Guest SPEC_CTRL: skipped when the MSR does not exist; written only if it differs.
    cmp byte [rdi + RUN_spec_ctrl_present], 0
    je .guest_spec_ctrl_done
    mov rax, [rdi + RUN_guest_spec_ctrl]
    cmp rax, [rdi + RUN_host_spec_ctrl]
    je .guest_spec_ctrl_done
    mov ecx, PV_SPEC_CTRL_MSR
    mov rdx, rax
    shr rdx, 32
    wrmsr
    COUNT RUN_spec_ctrl_guest_writes
.guest_spec_ctrl_done:

    ; CF = launched, before the GPR loads: MOV does not touch the flags.
    movzx eax, byte [rdi + RUN_launched]
    bt eax, 0

    ; Guest GPRs (not RSP: the VMCS switches it). RDI, the pointer, last.
    mov rax, [rdi + RUN_rax]
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

    jc .resume
    vmlaunch
    jmp ..@vmfail                     ; VMLAUNCH fell through: VM-Fail, flags intact
.resume:
    vmresume
    jmp ..@vmfail

; HOST_RIP. RSP = HOST_RSP (pointing at @run); every GPR but RSP holds a guest value.
global pv_vmx_exit_label
pv_vmx_exit_label:
    push rax                        ; guest RAX: the only way to free a register
    mov rax, [rsp + 8]              ; @run
    pop qword [rax + RUN_rax]
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
    xor ebx, ebx                    ; return 0: VM exit
    jmp ..@clear_regs

; VM-Fail: ZF = VMfailValid (1), CF = VMfailInvalid (2). The MOVs keep the flags for the JNC.
..@vmfail:
    mov ebx, 1
    jnc ..@clear_regs
    mov ebx, 2

..@clear_regs:
    ; Clear every register that may hold a guest value (RBX holds the result, RSP is the host's);
    ; even ones reloaded below, as an L1 miss on the reload could expose the old value.
    xor eax, eax
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d

    ; Fill the RSB before the first RET with entries that trap speculative returns.
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

    ; Host SPEC_CTRL. RDI = @run, reloaded from the stack (not a guest value).
    mov rdi, [rsp]
    cmp byte [rdi + RUN_spec_ctrl_present], 0
    je .host_spec_ctrl_done
    cmp byte [rdi + RUN_spec_ctrl_intercepted], 0
    jne .guest_value_known
    mov ecx, PV_SPEC_CTRL_MSR
    rdmsr
    shl rdx, 32
    or rax, rdx
    mov [rdi + RUN_guest_spec_ctrl], rax
    COUNT RUN_spec_ctrl_guest_reads
.guest_value_known:
    mov rax, [rdi + RUN_host_spec_ctrl]
    cmp rax, [rdi + RUN_guest_spec_ctrl]
    je .host_spec_ctrl_done
    mov ecx, PV_SPEC_CTRL_MSR
    mov rdx, rax
    shr rdx, 32
    wrmsr
    COUNT RUN_spec_ctrl_host_writes
.host_spec_ctrl_done:
    ; Stop speculation past the conditional WRMSR before the RET below.
    lfence

    mov eax, ebx
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
