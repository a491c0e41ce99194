; pv_tdx_l2_enter — one TDX partitioning world switch: enter an L2 VM with TDG.VP.ENTER (TDCALL
; leaf 25), return when the L2 vCPU exits to this L1 paravisor.
;
;   u64 pv_tdx_l2_enter(VcpuRunState* run, u64 vm_flags, TdxExitRecord* exit);
;                                   (System V: RDI = run, RSI = vm_flags, RDX = exit)
;   returns TDG.VP.ENTER's RAX: completion status (63:32) | VMX exit reason (31:0).
;
; run->guest_state_pa is the GPA of the vCPU's L2_ENTER_GUEST_STATE (tdx/tdx_abi.h: 256-byte
; aligned, private): the module loads the L2 GPRs, RFLAGS, RIP, SSP and interrupt status from it
; and writes them back at the L2 exit, so this routine loads and saves no guest GPR. `vm_flags`
; is TDG.VP.ENTER's RCX (VM index in 53:52, TLB flush type in 1:0). The module's outputs (RAX,
; RCX, RDX, RSI, RDI, R8-R13) are stored into *exit. Clobbers all caller-saved GPRs.
;
; The contract (TDX module ABI, TDG.VP.ENTER; intel/tdx-module td_transitions/td_exit.c):
;  - The module does not preserve L1's GPRs across the call: on the return to L1 every GPR but
;    RSP holds an output, zero or an unspecified value (RBP included). So every callee-saved
;    register, and the two pointers needed afterwards, are pushed before TDCALL; RSP survives.
;  - The outputs are derived from what the L2 guest did (qualification, addresses, CS state):
;    after they are stored, every GPR is cleared, as after any exit.
;  - SPEC_CTRL by the rules of entry/world_switch.inc: the guest value written only if it
;    differs, after the last CALL/RET before TDCALL; RSB filled before the first RET after the
;    return; host value restored (read back only if not intercepted, written only if
;    different), then LFENCE.
;  - L1 state the module leaves as L2 had it (KERNEL_GS_BASE, STAR, LSTAR, SFMASK, XSS, CR2,
;    TSC_AUX; OpenHCL swaps them in software around this call) is not touched here: the
;    paravisor uses none of them (no SYSCALL, no user mode, no RDTSCP, a page fault is fatal),
;    so the L2 values stay live; tdx/tdx_vcpu.cpp zeroes them for every new guest.
; Offsets (RUN_*, TDX_EXIT_*) come from pv_asm_offsets.inc, generated from the C++ layouts.

bits 64
default rel

%include "pv_asm_offsets.inc"
%include "entry/world_switch.inc"

; TDCALL (66 0F 01 CC): NASM 2.16 has no mnemonic for it.
%macro TDCALL 0
    db 0x66, 0x0f, 0x01, 0xcc
%endmacro

section .text

global pv_tdx_l2_enter
pv_tdx_l2_enter:
    WS_PROLOGUE                     ; RBP frame, RBX, R12-R15, then @run: the module clobbers all
    push rdx                        ; @exit, needed first after the return: [rsp], @run at [rsp+8]

    ; Last before TDCALL, after the last CALL/RET. Clobbers RAX, RCX, RDX (RSI is kept).
    WS_WRITE_GUEST_SPEC_CTRL

    ; TDG.VP.ENTER inputs: RAX = leaf, RCX = VM index and flush flags, RDX = L2 state GPA.
    mov rcx, rsi
    mov rdx, [rdi + RUN_guest_state_pa]
    mov eax, TDX_LEAF_VP_ENTER
    TDCALL

    ; Back in L1 with RSP intact and every other GPR an output or unspecified. RBX is free (the
    ; module returns 0 in it): fetch @exit and store the outputs the exit decoder needs.
    mov rbx, [rsp]
    mov [rbx + TDX_EXIT_rax], rax
    mov [rbx + TDX_EXIT_rcx], rcx
    mov [rbx + TDX_EXIT_rdx], rdx
    mov [rbx + TDX_EXIT_rsi], rsi
    mov [rbx + TDX_EXIT_rdi], rdi
    mov [rbx + TDX_EXIT_r8], r8
    mov [rbx + TDX_EXIT_r9], r9
    mov [rbx + TDX_EXIT_r10], r10
    mov [rbx + TDX_EXIT_r11], r11
    mov [rbx + TDX_EXIT_r12], r12
    mov [rbx + TDX_EXIT_r13], r13
    mov rbx, rax                    ; the return value, kept in RBX across the tail below

    WS_CLEAR_GUEST_GPRS             ; every output register but RAX/RDI/RBX (RBX = result)
    xor eax, eax
    xor edi, edi
    WS_FILL_RSB                     ; before the first RET: L2 may have planted entries
    mov rdi, [rsp + 8]              ; @run, from the stack (not an output of the module)
    WS_RESTORE_HOST_SPEC_CTRL

    mov rax, rbx
    xor ecx, ecx
    xor edx, edx
    add rsp, 8                      ; drop @exit
    WS_EPILOGUE
