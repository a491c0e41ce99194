#!/usr/bin/env python3
"""Linux boot time under the paravisor vs the same kernel booted by QEMU TCG directly.

Each run boots Debian's kernel with the build's initramfs twice, one after the other:
  - under the paravisor (QEMU TCG, qemu64 + SVM + NPT): from the paravisor's "guest 0: time
    budget" line (the partition's vCPU is about to run for the first time) to init's first
    "pv-init:" line;
  - by QEMU TCG directly (qemu64, the same kernel command line and initramfs, QEMU's own PC
    with SeaBIOS and ACPI): from QEMU's start to init's first "pv-init:" line.
Lines are timestamped on arrival on the host (wall time), so both include the emulator's
speed on this machine; the ratio is what the paravisor's exits, emulated devices and console
cost. It also prints the paravisor's exits by reason and the timer interrupts injected per
second for the run. --runs repeats the pair (the host is noisy) and the median is reported.
"""
import argparse
import re
import statistics
import subprocess
import sys
import time

CMDLINE = "console=ttyS0 panic=-1"


def timed_lines(cmd, start_pattern, timeout):
    """Runs cmd, returns (seconds from start_pattern's line (or process start) to the first
    pv-init line, the whole output)."""
    t_start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    t0 = None if start_pattern else t_start
    t1 = None
    out = []
    deadline = t_start + timeout
    for raw in proc.stdout:
        now = time.monotonic()
        line = raw.decode(errors="replace")
        out.append(line)
        if t0 is None and start_pattern and re.search(start_pattern, line):
            t0 = now
        if t1 is None and "pv-init:" in line:
            t1 = now
        if now > deadline:
            proc.kill()
            break
    proc.wait()
    text = "".join(out)
    if t0 is None or t1 is None:
        sys.stdout.write(text)
        raise SystemExit("benchmark run failed: no init line")
    return t1 - t0, text


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--firmware", required=True)
    p.add_argument("--vmlinuz", help="the bzImage (default: what --fetch prints)")
    p.add_argument("--fetch", help="scripts/fetch_linux_kernel.sh, run when --vmlinuz is absent")
    p.add_argument("--initramfs", required=True)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--qemu", default="qemu-system-x86_64")
    p.add_argument("--timeout", type=int, default=300)
    args = p.parse_args()
    if not args.vmlinuz:
        if not args.fetch:
            p.error("--vmlinuz or --fetch is needed")
        args.vmlinuz = subprocess.run([args.fetch], check=True, capture_output=True,
                                      text=True).stdout.strip()

    common = [args.qemu, "-accel", "tcg", "-m", "512M", "-display", "none", "-no-reboot",
              "-serial", "stdio"]
    under, direct = [], []
    for run in range(args.runs):
        pv_cmd = common + ["-cpu", "qemu64,+svm,+npt", "-nodefaults",
                           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                           "-kernel", args.firmware,
                           "-initrd", f"{args.vmlinuz} linux initrd=1 -- {CMDLINE},"
                                      f"{args.initramfs} role=initrd",
                           "-append", "guest_mem=256"]
        t_pv, log = timed_lines(pv_cmd, r"guest 0: time budget", args.timeout)
        direct_cmd = common + ["-cpu", "qemu64", "-kernel", args.vmlinuz, "-initrd",
                               args.initramfs, "-append", CMDLINE]
        t_direct, _ = timed_lines(direct_cmd, None, args.timeout)
        under.append(t_pv)
        direct.append(t_direct)
        print(f"run {run + 1}: partition start -> init under the paravisor {t_pv:.2f} s, "
              f"QEMU TCG directly {t_direct:.2f} s, ratio {t_pv / t_direct:.2f}")
        for pattern in (r"guest 0: \d+ exits:.*", r"guest 0: \d+ interrupts injected.*"):
            m = re.search(pattern, log)
            if m:
                print("  " + m.group(0))
    mu, md = statistics.median(under), statistics.median(direct)
    print(f"median of {args.runs}: under the paravisor {mu:.2f} s, QEMU TCG directly {md:.2f} s, "
          f"ratio {mu / md:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
