#!/usr/bin/env python3
"""Builds a Bochs disk image (and its bochsrc) that boots a paravisor ELF with guest modules.

Bochs has no multiboot loader, so this script does on the host what a multiboot loader does with
the image's multiboot header (the "a.out kludge" address fields): it takes the loadable bytes of
the ELF, places the guest modules page-aligned after the image's BSS, and prepares the multiboot
information structure (command line, module list with each module's string). The disk gets
paravisor/bochs/loader.asm in sectors 0..3, a directory in sector 4, then the segments. At boot
the loader copies each segment to its address, fills in the memory map from BIOS E820, and
enters the image with EAX = 0x2BADB002.

Usage:
  mkimage.py --loader loader.bin --firmware paravisor.elf --module "hello.bin" \
             --module "gpr.bin test=gpr" --cpu ryzen --out-dir DIR --name run1
writes DIR/run1.img, DIR/run1.bochsrc (log: DIR/run1.bochs.log). Bochs locks its disk image, so
concurrent runs need distinct names.
"""
import argparse
import os
import struct
import sys

SECTOR = 512
LOADER_SECTORS = 4
DIR_LBA = 4
FIRST_DATA_LBA = 5
MAX_SEGMENTS = 30
MAX_MODULES = 8  # the paravisor's boot::kMaxModules

MB_HEADER_MAGIC = 0x1BADB002
MB_FLAG_AOUT = 1 << 16
MB_SEARCH_BYTES = 8192

# Multiboot information structure, placed in low memory (the paravisor keeps < 1 MiB reserved).
MBI_ADDR = 0x20000
MBI_MODS_OFFSET = 0x80
MBI_MMAP_OFFSET = 0x200
MBI_MMAP_CAPACITY = 32  # entries of 24 bytes -> up to 0x500
MBI_STRINGS_OFFSET = 0x600
MBI_MAX_BYTES = 0x4000
MBI_FLAG_CMDLINE = 1 << 2
MBI_FLAG_MODS = 1 << 3
MBI_FLAG_MMAP = 1 << 6

HEADS, SPT = 16, 63


class ImageError(Exception):
    pass


def align_up(value, align):
    return (value + align - 1) // align * align


def multiboot_load(elf):
    """Returns (load_addr, bytes, bss_end, entry) per the multiboot header's address fields."""
    for off in range(0, min(len(elf), MB_SEARCH_BYTES) - 12, 4):
        magic, flags, checksum = struct.unpack_from("<III", elf, off)
        if magic != MB_HEADER_MAGIC or (magic + flags + checksum) & 0xFFFFFFFF != 0:
            continue
        if not flags & MB_FLAG_AOUT:
            raise ImageError("multiboot header without address fields (flag 16): not supported")
        if off + 32 > len(elf):
            raise ImageError("multiboot header truncated")
        header_addr, load_addr, load_end, bss_end, entry = struct.unpack_from("<IIIII", elf, off + 12)
        if load_addr > header_addr or header_addr - load_addr > off:
            raise ImageError("multiboot header: load_addr is not consistent with header_addr")
        file_start = off - (header_addr - load_addr)
        size = (len(elf) - file_start) if load_end == 0 else load_end - load_addr
        if size <= 0 or file_start + size > len(elf):
            raise ImageError("multiboot header: load range exceeds the file")
        if bss_end and bss_end < load_addr + size:
            raise ImageError("multiboot header: bss_end before load_end")
        if not load_addr <= entry < load_addr + size:
            raise ImageError("multiboot header: entry outside the loaded range")
        if load_addr < 0x100000:
            raise ImageError("multiboot header: image below 1 MiB would overwrite the loader")
        return load_addr, elf[file_start:file_start + size], max(bss_end, load_addr + size), entry
    raise ImageError(f"no multiboot header in the first {MB_SEARCH_BYTES} bytes")


def build(loader, firmware, modules, cmdline):
    """Returns the disk image bytes. modules: list of (path, string)."""
    if len(loader) != LOADER_SECTORS * SECTOR or loader[510:512] != b"\x55\xaa":
        raise ImageError(f"loader must be {LOADER_SECTORS} sectors with a boot signature")
    if len(modules) > MAX_MODULES:
        raise ImageError(f"at most {MAX_MODULES} modules")
    load_addr, image, bss_end, entry = multiboot_load(firmware)

    segments = [(load_addr, image)]
    mods = []
    addr = align_up(bss_end, 4096)
    for path, string in modules:
        with open(path, "rb") as f:
            data = f.read()
        if not data:
            raise ImageError(f"module {path} is empty")
        segments.append((addr, data))
        mods.append((addr, addr + len(data), string))
        addr = align_up(addr + len(data), 4096)
    if addr >= 0xF0000000:
        raise ImageError("modules do not fit below 4 GiB")

    # Multiboot information: header, module list, mmap buffer (the loader fills it), strings.
    mbi = bytearray(MBI_STRINGS_OFFSET)
    strings = bytearray()

    def add_string(s):
        at = MBI_ADDR + MBI_STRINGS_OFFSET + len(strings)
        strings.extend(s.encode() + b"\0")
        return at

    cmdline_pa = add_string(cmdline)
    for i, (start, end, string) in enumerate(mods):
        struct.pack_into("<IIII", mbi, MBI_MODS_OFFSET + 16 * i, start, end, add_string(string), 0)
    flags = MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP
    struct.pack_into("<I", mbi, 0, flags)
    struct.pack_into("<I", mbi, 16, cmdline_pa)
    struct.pack_into("<II", mbi, 20, len(mods), MBI_ADDR + MBI_MODS_OFFSET)
    struct.pack_into("<II", mbi, 44, 0, MBI_ADDR + MBI_MMAP_OFFSET)  # length: the loader's
    mbi += strings
    if len(mbi) > MBI_MAX_BYTES:
        raise ImageError("command lines too long for the multiboot information area")
    segments.append((MBI_ADDR, bytes(mbi)))
    if len(segments) > MAX_SEGMENTS:
        raise ImageError("too many load segments")

    directory = bytearray(SECTOR)
    struct.pack_into("<4sIIIIII", directory, 0, b"PVBD", 1, entry, MBI_ADDR,
                     MBI_ADDR + MBI_MMAP_OFFSET, MBI_MMAP_CAPACITY, len(segments))
    data = bytearray()
    lba = FIRST_DATA_LBA
    for i, (dest, payload) in enumerate(segments):
        sectors = align_up(len(payload), SECTOR) // SECTOR
        struct.pack_into("<IIII", directory, 32 + 16 * i, lba, sectors, dest, 0)
        data += payload + b"\0" * (sectors * SECTOR - len(payload))
        lba += sectors
    disk = bytearray(loader) + directory + data
    cylinders = max(1, align_up(len(disk), HEADS * SPT * SECTOR) // (HEADS * SPT * SECTOR))
    disk += b"\0" * (cylinders * HEADS * SPT * SECTOR - len(disk))
    return bytes(disk), cylinders


def write_bochsrc(template, path, values):
    text = template
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    if "@" in text.replace("@@", ""):
        raise ImageError("bochsrc template has an unreplaced @VARIABLE@")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--loader", required=True, help="assembled loader.asm (4 sectors)")
    p.add_argument("--firmware", required=True, help="paravisor ELF with a multiboot header")
    p.add_argument("--module", action="append", default=[],
                   help='"path [args]": the image and its multiboot module string')
    p.add_argument("--cmdline", default="", help="the paravisor's command line")
    p.add_argument("--cpu", default="corei7_skylake_x", help="Bochs cpu model (ryzen for SVM)")
    p.add_argument("--megs", type=int, default=256)
    p.add_argument("--ips", type=int, default=200000000)
    p.add_argument("--bios", default="/usr/share/bochs/BIOS-bochs-latest")
    p.add_argument("--vgabios", default="/usr/share/seabios/vgabios-stdvga.bin")
    p.add_argument("--template", default=os.path.join(here, "bochsrc.in"))
    p.add_argument("--out-dir", required=True)
    p.add_argument("--name", default="paravisor")
    args = p.parse_args()

    try:
        with open(args.loader, "rb") as f:
            loader = f.read()
        with open(args.firmware, "rb") as f:
            firmware = f.read()
        modules = []
        for m in args.module:
            path = m.split(" ", 1)[0]
            if not os.path.isfile(path):
                raise ImageError(f"module image {path} does not exist")
            modules.append((path, m))
        disk, cylinders = build(loader, firmware, modules, args.cmdline)
        os.makedirs(args.out_dir, exist_ok=True)
        img = os.path.abspath(os.path.join(args.out_dir, args.name + ".img"))
        with open(img, "wb") as f:
            f.write(disk)
        with open(args.template, encoding="utf-8") as f:
            template = f.read()
        write_bochsrc(template, os.path.join(args.out_dir, args.name + ".bochsrc"), {
            "MEGS": args.megs, "CPU_MODEL": args.cpu, "IPS": args.ips, "BIOS": args.bios,
            "VGABIOS": args.vgabios, "DISK": img, "CYLINDERS": cylinders,
            "LOG": os.path.abspath(os.path.join(args.out_dir, args.name + ".bochs.log"))})
    except (ImageError, OSError) as e:
        print(f"mkimage: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
