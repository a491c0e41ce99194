#!/usr/bin/env python3
"""Where the instructions of one exit round trip go, under Bochs: a profile of the bench guest.

Boots paravisor-test.elf with guests/bench.bin under Bochs' debugger, stops at the Nth call of a
function on the exit path (default: the null-hypercall handler, so the loop is in its steady
state), traces the instructions of exactly one round trip (until that function is entered
again) and prints how many ran in each function (by the ELF's symbols; "guest" for the guest's
own), then writes the full trace. Bochs executes deterministically, so the counts are those of
bench-vmx (which divides TSC ticks over 10,000 round trips).

  trace_exit_path.py --build build --cpu corei7_skylake_x [--function 'pv::HandleCpuid(...)']
"""
import argparse
import bisect
import os
import re
import shutil
import subprocess
import sys
import tempfile

# One executed instruction: Bochs prints its address and disassembly, or "???" when it cannot
# translate the address (guest code under SVM nested paging).
TRACE_RE = re.compile(r"\(0\)\.\[(\d+)\] (?:\[0x([0-9a-f]+)\] (\S+) \(unk\. ctxt\): (.*?)\s*;|\?\?\?)")



def symbols(firmware):
    """The firmware's code symbols, sorted, and where its image ends (paravisor/linker.ld)."""
    out = subprocess.run(["nm", "-C", firmware], check=True, capture_output=True, text=True).stdout
    syms, image_end = [], None
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) != 3:
            continue
        if parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
        if parts[2] == "_image_end":
            image_end = int(parts[0], 16)
    if image_end is None:
        raise SystemExit(f"{firmware}: no _image_end symbol")
    syms.sort()
    return syms, image_end


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", required=True, help="the build directory")
    p.add_argument("--cpu", default="corei7_skylake_x", help="Bochs CPU model (ryzen for SVM)")
    p.add_argument("--function",
                   help="a function called once per round trip (demangled name; default: the "
                        "world switch, pv_svm_run for ryzen, pv_vmx_run otherwise)")
    p.add_argument("--skip", type=int, default=8, help="round trips to let pass first")
    p.add_argument("--out", help="write the instruction trace here")
    p.add_argument("--bochs", default="bochs")
    args = p.parse_args()
    if args.function is None:
        args.function = "pv_svm_run" if args.cpu == "ryzen" else "pv_vmx_run"
    firmware = os.path.join(args.build, "paravisor", "paravisor-test.elf")
    syms, image_end = symbols(firmware)
    addrs = [a for a, _ in syms]
    matches = [a for a, n in syms if n == args.function]
    if not matches:
        raise SystemExit(f"{args.function}: no such function in {firmware}")
    work = tempfile.mkdtemp(prefix="pv-trace-")
    try:
        src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        subprocess.run([sys.executable, os.path.join(src, "paravisor", "bochs", "mkimage.py"),
                        "--loader", os.path.join(args.build, "paravisor", "bochs", "loader.bin"),
                        "--firmware", firmware, "--module",
                        os.path.join(args.build, "paravisor", "guests", "bench.bin") +
                        f" iters={args.skip + 10}",
                        "--cpu", args.cpu, "--out-dir", work, "--name", "trace"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(work, "rc"), "w", encoding="utf-8") as f:
            f.write(f"lb {matches[0]:#x}\n" + "c\n" * args.skip + "trace on\ns 2000\nquit\n")
        out = subprocess.run([args.bochs, "-q", "-f", os.path.join(work, "trace.bochsrc"), "-rc",
                              os.path.join(work, "rc")], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=600).stdout
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = []
    for m in filter(None, map(TRACE_RE.match, out.splitlines())):
        # The paravisor runs identity-mapped inside its image; anything else is the guest's
        # (under VMX Bochs prints the guest-physical address, under SVM none).
        guest = m.group(2) is None or int(m.group(2), 16) >= image_end
        rows.append((None if m.group(2) is None else int(m.group(2), 16), guest,
                     m.group(4) or "(address not translated: guest code under SVM)"))
    end = next((i for i in range(1, len(rows)) if rows[i][0] == matches[0]), None)
    if not rows or end is None:
        raise SystemExit("no complete round trip traced (raise --skip's iterations or check Bochs)")
    rows = rows[:end]
    counts, lines = {}, []
    for addr, guest, insn in rows:
        i = -1 if guest else bisect.bisect_right(addrs, addr) - 1
        name = syms[i][1] if i >= 0 else "guest"
        counts[name] = counts.get(name, 0) + 1
        lines.append(f"{addr or 0:#x} {name[:40]:40} {insn}")
    print(f"{len(rows)} instructions per round trip ({args.cpu}), by function in order of entry:")
    for name, n in counts.items():
        print(f"{n:6} {name}")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
