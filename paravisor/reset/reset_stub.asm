; Reset stub for measured launches (pv-agent, tee = sev-snp | tdx): a 64 KiB ROM that QEMU maps
; below 4 GiB with -bios, in place of SeaBIOS. It is part of the launch image and measured like
; every other page (attest/measure/launch_image.h). It only does what a multiboot loader's
; last step does: enter the paravisor's 32-bit entry with EAX = 0x2BADB002 and EBX = the
; multiboot information structure. The host agent already placed the paravisor, the guests and
; that structure in memory (and measured them); where the entry and the structure are comes from
; the hand-off block the agent wrote at 0x8C000, so this ROM is the same for every launch.
;
; Machine state at reset (x86 power-on): real mode, CS selector 0xF000 with hidden base
; 0xFFFF0000, IP 0xFFF0 -- the last 16 bytes of this ROM; interrupts off; A20 enabled (QEMU).
;
; Hand-off block (kBootInfoGpa in attest/measure/launch_image.h):
;   +0 u32 magic "PVRS"   +4 u32 multiboot entry   +8 u32 multiboot info address

bits 16
org 0

ROM_BASE        equ 0xFFFF0000      ; where the ROM's first byte sits in the address space
HANDOFF         equ 0x8C000         ; = kBootInfoGpa
HANDOFF_MAGIC   equ 0x53525650      ; "PVRS" = kHandoffMagic
MB_LOADER_MAGIC equ 0x2BADB002
CR0_PE          equ 1 << 0
COM1            equ 0x3F8
DEBUG_EXIT_PORT equ 0xF4            ; isa-debug-exit (QEMU exits with status (v << 1) | 1)

start:
    ; No interrupt handlers exist yet (no IVT: this is not a BIOS), so keep IF clear, and
    ; string instructions must count upwards.
    cli
    cld
    ; Load the flat GDT below. Its descriptor is read through CS (base 0xFFFF0000); the o32
    ; prefix makes LGDT take the full 32-bit base (without it real mode loads only 24 bits,
    ; and the GDT's address 0xFFFFxxxx would be truncated).
    o32 lgdt [cs:gdt_descriptor]
    ; Protected mode on (paging stays off, as multiboot requires) ...
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    ; ... and a far jump right after it, which loads CS from the GDT (32-bit flat code) and
    ; flushes the real-mode prefetch. o32: the 32-bit offset reaches the ROM's linear address.
    jmp dword 0x08:(ROM_BASE + protected_entry)

bits 32
protected_entry:
    ; Flat 4 GiB data segments for every data selector: multiboot promises them to the kernel,
    ; and the loads below must not use the real-mode segment bases any more.
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    ; The hand-off block must be there: a missing or foreign one means the agent did not write
    ; this launch, and jumping to a garbage entry would only hide that.
    cmp dword [HANDOFF], HANDOFF_MAGIC
    jne no_handoff
    ; EBX and EAX last: they are the multiboot hand-over registers; ECX is free (multiboot
    ; leaves every other register undefined).
    mov ecx, [HANDOFF + 4]
    mov ebx, [HANDOFF + 8]
    mov eax, MB_LOADER_MAGIC
    jmp ecx

no_handoff:
    ; Say why on COM1 (the firmware log) and end the VM with a failure status.
    mov esi, ROM_BASE + message
    mov dx, COM1
.next:
    lodsb
    test al, al
    jz .exit
    out dx, al
    jmp .next
.exit:
    mov al, 1                       ; QEMU status 3: not the paravisor's success value (33)
    out DEBUG_EXIT_PORT, al
.halt:
    hlt
    jmp .halt

message: db "PVRESET: no hand-off block at 0x8C000; the launch was not written by pv-agent", 13, 10, 0

align 8
gdt:
    dq 0                            ; null descriptor
    dq 0x00CF9A000000FFFF           ; 0x08: code, base 0, limit 4 GiB, 32-bit, ring 0
    dq 0x00CF92000000FFFF           ; 0x10: data, base 0, limit 4 GiB, writable
gdt_end:
gdt_descriptor:
    dw gdt_end - gdt - 1
    dd ROM_BASE + gdt

    times 0xFFF0 - ($ - $$) db 0
bits 16                             ; the reset vector runs in real mode
reset_vector:
    ; 0xFFFFFFF0: the first instruction after reset. A near jump back to the start of the ROM
    ; (same CS, so the 0xFFFF0000 base still applies).
    jmp start
    times 0x10000 - ($ - $$) db 0
