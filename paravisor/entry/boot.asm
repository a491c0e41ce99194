; Boot entry: multiboot (v1) header, 32-bit protected-mode entry, switch to long mode, call C++.
;
; QEMU's -kernel loader and GRUB enter here in 32-bit protected mode with paging off,
; EAX = 0x2BADB002 and EBX = physical address of the multiboot information structure.
; We build a 4-level identity map of the first 4 GiB with 2 MiB pages, enable PAE + long mode +
; paging, and far-jump into 64-bit code, which sets up a stack and calls pv_main(magic, info).
;
; The header uses the "a.out kludge" (flags bit 16): QEMU refuses to load an ELF64 multiboot
; image otherwise ("Cannot load x86-64 image, give a 32bit one"). With the kludge the loader
; copies [load_addr, load_end_addr) straight from the file and zeroes up to bss_end_addr, so the
; linker script keeps the loaded part of the image in one contiguous segment.

bits 32

MB_MAGIC        equ 0x1BADB002
MB_FLAG_ALIGN   equ 1 << 0          ; modules (guest images) page aligned
MB_FLAG_MEMINFO equ 1 << 1          ; we want mem_lower/mem_upper and the memory map
MB_FLAG_AOUT    equ 1 << 16         ; load addresses are in this header (the kludge)
MB_FLAGS        equ MB_FLAG_ALIGN | MB_FLAG_MEMINFO | MB_FLAG_AOUT

PTE_PRESENT     equ 1 << 0
PTE_WRITE       equ 1 << 1
PTE_LARGE       equ 1 << 7

CR0_PG          equ 1 << 31
CR0_NW          equ 1 << 29
CR0_CD          equ 1 << 30
CR4_PAE         equ 1 << 5
MSR_EFER        equ 0xC0000080
EFER_LME        equ 1 << 8
EFER_NXE        equ 1 << 11

BOOT_STACK_SIZE equ 64 * 1024

extern _image_start, _load_end, _bss_start, _bss_end
extern pv_main

section .multiboot progbits alloc noexec nowrite align=4
multiboot_header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd multiboot_header             ; header_addr
    dd _image_start                 ; load_addr
    dd _load_end                    ; load_end_addr
    dd _bss_end                     ; bss_end_addr
    dd pv_boot32                    ; entry_addr

section .text.boot progbits alloc exec nowrite align=16
global pv_boot32
pv_boot32:
    cli
    cld
    ; Keep the multiboot magic and info pointer in registers the BSS clear does not touch.
    mov esi, eax
    mov ebp, ebx

    ; Zero the BSS ourselves: the page tables and stack below live there, and not every loader
    ; is guaranteed to clear it.
    mov edi, _bss_start
    mov ecx, _bss_end
    sub ecx, edi
    xor eax, eax
    rep stosb

    ; PML4[0] -> PDPT; PDPT[0..3] -> four page directories; each PD maps 1 GiB in 2 MiB pages.
    mov eax, boot_pdpt
    or eax, PTE_PRESENT | PTE_WRITE
    mov [boot_pml4], eax

    mov edi, boot_pdpt
    mov eax, boot_pd
    or eax, PTE_PRESENT | PTE_WRITE
    mov ecx, 4
.fill_pdpt:
    mov [edi], eax
    add edi, 8
    add eax, 4096
    loop .fill_pdpt

    ; 2048 PDEs: physical address i * 2 MiB. Entries above 4 GiB would need the high dword; we
    ; only map below, so the high dword stays zero from the BSS clear.
    mov edi, boot_pd
    mov eax, PTE_PRESENT | PTE_WRITE | PTE_LARGE
    mov ecx, 2048
.fill_pd:
    mov [edi], eax
    add edi, 8
    add eax, 0x200000
    loop .fill_pd

    ; Order required by the architecture: PAE before LME, LME before paging, paging turns on
    ; long mode (EFER.LMA) in compatibility mode; the far jump then enters 64-bit mode.
    mov eax, boot_pml4
    mov cr3, eax
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME | EFER_NXE
    wrmsr
    lgdt [boot_gdt_desc]
    mov eax, cr0
    or eax, CR0_PG
    and eax, ~(CR0_CD | CR0_NW)     ; caches on: firmware may leave them disabled (Bochs' BIOS)
    mov cr0, eax
    jmp 0x08:long_mode_entry

bits 64
long_mode_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, boot_stack_top
    ; pv_main(u32 magic, u32 info_pa): ESI/EBP held them across the BSS clear.
    mov edi, esi
    mov esi, ebp
    xor ebp, ebp                    ; terminate frame-pointer chains for the panic backtrace
    call pv_main
.hang:
    cli
    hlt
    jmp .hang

section .rodata
align 16
boot_gdt:
    dq 0                            ; null
    dq 0x00AF9A000000FFFF           ; 0x08: 64-bit code, DPL0
    dq 0x00CF92000000FFFF           ; 0x10: data, DPL0
boot_gdt_end:
boot_gdt_desc:
    dw boot_gdt_end - boot_gdt - 1
    dq boot_gdt

section .bss
align 4096
boot_pml4:  resb 4096
boot_pdpt:  resb 4096
boot_pd:    resb 4 * 4096
boot_stack: resb BOOT_STACK_SIZE
boot_stack_top:
