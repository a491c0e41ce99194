#!/usr/bin/env python3
"""VMX world-switch benchmark under Bochs, in instructions.

Bochs' TSC advances exactly one tick per emulated instruction, so the paravisor's TSC readings
are instruction counts, independent of host noise. One boot of paravisor-test.elf with
guests/bench.bin measures, in the same run:
  - full exit path: null hypercalls (VMCALL) through decode, the shared dispatcher, the handler
    and RIP advance, plus the guest's loop (6 guest instructions per iteration);
  - baseline: bare VMRESUME/VMCALL round trips (the guest loops on VMCALL; the paravisor only
    rewrites GUEST_RIP), i.e. the world switch alone plus 2 guest instructions.
The same runs on Bochs' SVM model (ryzen) give the SVM path's numbers on the same emulator.
Instruction counts are deterministic; host wall-clock time per run is printed for reference.
"""
import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time

MODELS = [("vmx", "corei7_skylake_x"), ("svm", "ryzen")]


def one_run(args, cpu):
    work = tempfile.mkdtemp(prefix="pv-bench-vmx-")
    try:
        subprocess.run([sys.executable, args.mkimage, "--loader", args.loader, "--firmware",
                        args.firmware, "--module", f"{args.guest} iters={args.iters}",
                        "--cpu", cpu, "--out-dir", work, "--name", "bench"], check=True)
        with open(f"{work}/c.rc", "w", encoding="utf-8") as f:
            f.write("c\n")
        start = time.monotonic()
        out = subprocess.run([args.bochs, "-q", "-f", f"{work}/bench.bochsrc", "-rc", f"{work}/c.rc"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=600).stdout.decode("utf-8", "replace")
        wall = time.monotonic() - start
    finally:
        shutil.rmtree(work, ignore_errors=True)
    full = re.search(r"BENCH full exit path.*?: (\d+) exits in (\d+) TSC ticks", out)
    bare = re.search(r"BENCH bare .*?: (\d+) exits in (\d+) TSC ticks", out)
    if not full or not bare or "PV-RESULT: PASS" not in out:
        print(out)
        raise SystemExit(f"benchmark run on {cpu} failed")
    n = int(full.group(1))
    return int(full.group(2)) / n, int(bare.group(2)) / int(bare.group(1)), wall


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--firmware", required=True)
    p.add_argument("--guest", required=True)
    p.add_argument("--loader", required=True)
    p.add_argument("--mkimage", required=True)
    p.add_argument("--bochs", default="bochs")
    p.add_argument("--iters", type=int, default=10000)
    p.add_argument("--runs", type=int, default=2)
    args = p.parse_args()
    print(f"World switch under Bochs 2.7, {args.iters} exits per measurement, {args.runs} runs per model")
    print("(instructions per round trip from Bochs' TSC = 1 tick per instruction; "
          "full = guest loop 6 + paravisor, bare = guest 2 + paravisor)")
    results = {}
    for name, cpu in MODELS:
        for i in range(args.runs):
            full, bare, wall = one_run(args, cpu)
            results.setdefault(name, []).append((full, bare))
            print(f"  {name} ({cpu}) run {i + 1}: full path {full:8.1f} insns/exit   "
                  f"bare {bare:7.1f} insns/exit   full/bare {full / bare:.2f}   ({wall:.2f} s wall)")
    for name, _ in MODELS:
        full, bare = results[name][-1]
        print(f"{name}: full exit path {full:.1f} instructions per round trip, bare world switch "
              f"{bare:.1f}, ratio full/bare {full / bare:.2f} (bare/full throughput {bare / full:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
