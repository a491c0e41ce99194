#!/usr/bin/env python3
"""Turns the @@PVDEF markers of the compiled entry/asm_offsets.cpp into NASM %defines.

Usage: gen_asm_offsets.py <asm_offsets.s> <pv_asm_offsets.inc>
The output is rewritten only when its content changes, so dependents rebuild only on change.
"""
import re
import sys


def main() -> int:
    src, dst = sys.argv[1], sys.argv[2]
    defines = []
    for line in open(src, encoding="utf-8"):
        m = re.search(r"@@PVDEF (\w+) \$?(-?\d+)", line)
        if m:
            defines.append(f"%define {m.group(1)} {int(m.group(2)) & 0xFFFFFFFFFFFFFFFF:#x}")
    if not defines:
        print(f"gen_asm_offsets: no @@PVDEF markers in {src}", file=sys.stderr)
        return 1
    text = "; Generated from entry/asm_offsets.cpp by gen_asm_offsets.py. Do not edit.\n"
    text += "\n".join(defines) + "\n"
    try:
        if open(dst, encoding="utf-8").read() == text:
            return 0
    except FileNotFoundError:
        pass
    with open(dst, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
