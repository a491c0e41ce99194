#!/usr/bin/env python3
"""SVM world-switch benchmark under QEMU TCG.

Boots paravisor-test.elf with guests/bench.bin, which in ONE run measures (with the paravisor's
TSC, calibrated against the PIT):
  - full exit path: null hypercalls through decode, dispatch, handler and RIP advance;
  - baseline: bare VMRUN/#VMEXIT round trips (guest loops on VMMCALL, paravisor only adds 3 to
    RIP), i.e. the world switch alone.
Repeats the run --runs times (the host is noisy) and prints each run, the best and the median,
and the full/bare throughput ratio.
"""
import argparse
import re
import statistics
import subprocess
import sys


def one_run(args):
    cmd = [args.qemu, "-accel", "tcg", "-cpu", "qemu64,+svm,+npt", "-m", "256M", "-display", "none",
           "-no-reboot", "-nodefaults", "-serial", "stdio",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-kernel", args.firmware, "-initrd", f"{args.guest} iters={args.iters}"]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600).stdout.decode()
    full = re.search(r"BENCH full exit path.*?: (\d+) exits in (\d+) TSC ticks.*?(\d+) exits/s", out)
    bare = re.search(r"BENCH bare .*?: (\d+) exits in (\d+) TSC ticks.*?(\d+) exits/s", out)
    if not full or not bare or "PV-RESULT: PASS" not in out:
        print(out)
        raise SystemExit("benchmark run failed")
    return int(full.group(3)), int(bare.group(3))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--firmware", required=True)
    p.add_argument("--guest", required=True)
    p.add_argument("--iters", type=int, default=100000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--qemu", default="qemu-system-x86_64")
    args = p.parse_args()
    fulls, bares = [], []
    print(f"SVM world switch under QEMU TCG, {args.iters} exits per measurement, {args.runs} runs")
    for i in range(args.runs):
        f, b = one_run(args)
        fulls.append(f)
        bares.append(b)
        print(f"  run {i + 1}: full path {f:7d} exits/s   bare VMRUN/VMMCALL {b:7d} exits/s   ratio {f / b:.3f}")
    ratios = [f / b for f, b in zip(fulls, bares)]
    print(f"best    : full path {max(fulls):7d} exits/s   bare {max(bares):7d} exits/s")
    print(f"median  : full path {int(statistics.median(fulls)):7d} exits/s   bare {int(statistics.median(bares)):7d} exits/s")
    print(f"ratio full/bare (median of per-run ratios, same-run pairs): {statistics.median(ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
