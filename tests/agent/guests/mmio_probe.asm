; MMIO exit-proxy probe: the guest maps the agent's test device (MMIO 0xFEB00000, in the PCI hole
; the paravisor forwards) into its own page tables and accesses it with the move forms the
; paravisor's MMIO decoder handles. Each access is a nested page fault that the paravisor
; decodes, forwards to pv-agent through the exit proxy, and completes in the guest's registers.
; Checks the x86 width rules of the completion too (8-bit loads keep the register's upper bits,
; 32-bit loads zero-extend). Exit codes: 0 ok; 20.. the failed step.
%include "guest.inc"

TESTDEV_MMIO equ 0xfeb00000
MAGIC        equ 0x44545650         ; "PVTD"

main:
    PUTS msg_start
    ; Map the 2 MiB page holding the device, uncached: PDPT[3] -> mmio_pd, PD[0x1f5] -> page.
    lea rax, [mmio_pd]
    or rax, 0x3
    mov [abs 0x4000 + 3 * 8], rax
    mov rax, (TESTDEV_MMIO & ~0x1fffff) | 0x83 | 0x18   ; present, RW, 2 MiB, PCD|PWT
    mov [mmio_pd + ((TESTDEV_MMIO >> 21) & 511) * 8], rax
    mov rax, cr3
    mov cr3, rax                    ; flush the TLB: the new mapping must be walked
    mov rbx, TESTDEV_MMIO

    mov eax, [rbx + 8]              ; 8B: 32-bit load
    cmp eax, MAGIC
    jne fail_20
    mov dword [rbx], 41             ; C7: store of an immediate
    mov eax, [rbx + 12]
    cmp eax, 42
    jne fail_21
    mov ecx, 99
    mov [rbx], ecx                  ; 89: store of a register
    mov edx, [rbx + 12]
    cmp edx, 100
    jne fail_22
    mov rax, -1
    mov al, [rbx + 8]               ; 8A: 8-bit load keeps bits 8..63
    mov rdx, 0xffffffffffffff50
    cmp rax, rdx
    jne fail_23
    movzx ecx, word [rbx + 8]       ; 0F B7: zero-extending 16-bit load
    cmp rcx, 0x5650
    jne fail_24
    mov r9, -1
    mov r9d, [rbx + 8]              ; REX.R register; a 32-bit load zero-extends
    mov rdx, MAGIC
    cmp r9, rdx
    jne fail_25
    PUTS msg_ok
    EXIT 0

fail_20: EXIT 20
fail_21: EXIT 21
fail_22: EXIT 22
fail_23: EXIT 23
fail_24: EXIT 24
fail_25: EXIT 25

msg_start: db "mmio probe: accessing the agent's test device at 0xfeb00000", 10, 0
msg_ok:    db "mmio probe: test device answered through MMIO and the exit proxy", 10, 0

%include "guest_data.inc"

align 4096
mmio_pd: times 512 dq 0
