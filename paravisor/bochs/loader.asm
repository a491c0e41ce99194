; Disk boot loader for Bochs (which has no multiboot loader): the BIOS loads sector 0 at 0x7C00;
; it loads the rest of this loader, then the load segments that paravisor/bochs/mkimage.py listed
; in the directory sector, reads the BIOS E820 memory map into the multiboot information
; structure the image builder prepared, and enters the paravisor's 32-bit multiboot entry with
; EAX = 0x2BADB002 and EBX = that structure -- the state a multiboot loader hands over.
;
; The multiboot work that needs no BIOS (parsing the ELF's multiboot header, placing modules,
; writing module and command-line strings) is done on the host by mkimage.py; this loader only
; moves sectors and asks the BIOS for the memory map.
;
; Disk layout (512-byte sectors):
;   LBA 0..3   this loader (sector 0 is the MBR, 1..3 the second stage)
;   LBA 4      directory (layout below, written by mkimage.py)
;   LBA 5..    the load segments' bytes, each starting on a sector boundary
;
; Directory:  +0 magic "PVBD"  +4 version (1)  +8 entry  +12 multiboot info address (< 1 MiB)
;             +16 memory-map buffer address (< 1 MiB)  +20 buffer capacity (entries)
;             +24 segment count  +28 reserved
;             +32 segments, 16 bytes each: first LBA, sector count, destination address, reserved
;
; High destinations are written from "unreal" mode (FS with a 4 GiB limit); the BIOS is called
; in plain real mode between copies, and FS is reloaded before each copy in case it reset FS.
; Any failure prints "PVBOOT: ..." on Bochs' port 0xE9 and ends the simulation (port 0x8900), so
; a broken image never leaves an emulator running until a timeout.

bits 16
org 0x7c00

LOADER_SECTORS  equ 4
DIR_LBA         equ 4
DIR_ADDR        equ 0x9000
BOUNCE_SEG      equ 0x1000          ; 0x10000: disk reads land here, then are copied
CHUNK_SECTORS   equ 64              ; 32 KiB per BIOS read
MAX_SEGMENTS    equ 30
E9              equ 0xe9
MB_LOADER_MAGIC equ 0x2badb002
MBI_MMAP_LENGTH equ 44

stage1:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    cld
    mov [boot_drive], dl
    ; Second stage: LBA 1..3 right after this sector.
    mov word [dap_count], LOADER_SECTORS - 1
    mov word [dap_offset], 0x7e00
    mov word [dap_segment], 0
    mov dword [dap_lba], 1
    call read_sectors
    jmp stage2

; Reads per the DAP; fails the boot on error.
read_sectors:
    mov si, dap
    mov ah, 0x42
    mov dl, [boot_drive]
    int 0x13
    jc .error
    ret
.error:
    mov si, msg_disk
    jmp fail

; Prints the NUL-terminated string at SI on port 0xE9, then asks Bochs to shut down.
fail:
    lodsb
    test al, al
    jz .shutdown
    out E9, al
    jmp fail
.shutdown:
    mov si, shutdown_word
    mov dx, 0x8900
.next:
    lodsb
    test al, al
    jz .halt
    out dx, al
    jmp .next
.halt:
    cli
    hlt
    jmp .halt

boot_drive: db 0
align 4
dap:
    db 16, 0
dap_count:   dw 0
dap_offset:  dw 0
dap_segment: dw 0
dap_lba:     dq 0

msg_disk:      db "PVBOOT: disk read failed", 10, 0
shutdown_word: db "Shutdown", 0

    times 510 - ($ - $$) db 0
    dw 0xaa55

; ---- second stage ------------------------------------------------------------------------------
stage2:
    ; A20 through the "fast A20" port, so odd megabytes are not aliases of even ones.
    in al, 0x92
    or al, 2
    and al, 0xfe                    ; bit 0 would reset the machine
    out 0x92, al

    ; Directory.
    mov word [dap_count], 1
    mov word [dap_offset], DIR_ADDR
    mov word [dap_segment], 0
    mov dword [dap_lba], DIR_LBA
    call read_sectors
    mov si, msg_magic
    cmp dword [DIR_ADDR], 'PVBD'
    jne fail
    cmp dword [DIR_ADDR + 4], 1
    jne fail
    mov si, msg_count
    mov ecx, [DIR_ADDR + 24]
    cmp ecx, MAX_SEGMENTS
    ja fail

    ; Segments.
    mov bx, DIR_ADDR + 32
.segment:
    test ecx, ecx
    jz .segments_done
    push ecx
    push bx
    mov eax, [bx]                   ; first LBA
    mov [dap_lba], eax
    mov ebp, [bx + 4]               ; sectors left
    mov edi, [bx + 8]               ; destination
.chunk:
    test ebp, ebp
    jz .segment_done
    mov eax, ebp
    cmp eax, CHUNK_SECTORS
    jbe .sized
    mov eax, CHUNK_SECTORS
.sized:
    mov [dap_count], ax
    mov word [dap_offset], 0
    mov word [dap_segment], BOUNCE_SEG
    push eax
    push edi
    push ebp
    call read_sectors
    pop ebp
    pop edi
    pop eax
    sub ebp, eax
    add [dap_lba], eax
    ; Copy eax sectors from the bounce buffer to EDI with 32-bit addressing through FS.
    call enter_unreal
    mov esi, BOUNCE_SEG << 4
    shl eax, 7                      ; sectors -> dwords
    mov ecx, eax
.copy:
    mov eax, [fs:esi]
    mov [fs:edi], eax
    add esi, 4
    add edi, 4
    dec ecx
    jnz .copy
    jmp .chunk
.segment_done:
    pop bx
    pop ecx
    add bx, 16
    dec ecx
    jmp .segment
.segments_done:

    ; BIOS memory map into the multiboot mmap buffer: each multiboot entry is a 4-byte size (20)
    ; followed by the 20-byte E820 descriptor.
    mov eax, [DIR_ADDR + 16]
    mov edi, eax
    shr eax, 4
    mov es, ax
    and di, 0xf
    add di, 4
    xor ebx, ebx
    xor bp, bp                      ; entries
.e820:
    mov eax, 0xe820
    mov ecx, 20
    mov edx, 'PAMS'                 ; "SMAP" as a little-endian dword
    int 0x15
    jc .e820_done
    cmp eax, 'PAMS'
    jne .e820_done
    mov dword [es:di - 4], 20
    add di, 24
    inc bp
    cmp bp, [DIR_ADDR + 20]
    jae .e820_done
    test ebx, ebx
    jnz .e820
.e820_done:
    xor ax, ax
    mov es, ax
    mov si, msg_mmap
    test bp, bp
    jz fail
    ; mmap_length into the multiboot info structure.
    mov eax, [DIR_ADDR + 12]
    mov bx, ax
    and bx, 0xf
    shr eax, 4
    mov fs, ax
    movzx eax, bp
    imul eax, 24
    mov [fs:bx + MBI_MMAP_LENGTH], eax

    ; 32-bit protected mode, paging off, interrupts off: the multiboot hand-over state.
    cli
    lgdt [gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:pm32

; Loads FS with a flat 4 GiB data descriptor in protected mode and returns to real mode: the
; descriptor cache keeps the limit, so 32-bit offsets through FS reach all memory.
enter_unreal:
    cli
    push eax
    lgdt [gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp .pm                         ; flush the prefetch queue (386-era rule, harmless)
.pm:
    mov ax, 0x10
    mov fs, ax
    mov eax, cr0
    and al, 0xfe
    mov cr0, eax
    xor ax, ax
    mov fs, ax                      ; base 0; the 4 GiB limit stays cached
    pop eax
    sti
    ret

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, 0x7c00
    mov ebx, [DIR_ADDR + 12]
    mov ecx, [DIR_ADDR + 8]
    mov eax, MB_LOADER_MAGIC
    jmp ecx

bits 16
msg_magic: db "PVBOOT: bad directory sector (not written by mkimage.py?)", 10, 0
msg_count: db "PVBOOT: too many load segments", 10, 0
msg_mmap:  db "PVBOOT: BIOS returned no E820 memory map", 10, 0

align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff           ; 0x08: 32-bit code, base 0, 4 GiB
    dq 0x00cf92000000ffff           ; 0x10: data, base 0, 4 GiB
gdt_desc:
    dw gdt_desc - gdt - 1
    dd gdt

    times LOADER_SECTORS * 512 - ($ - $$) db 0
