#!/usr/bin/env python3
"""Boots a paravisor image with guest modules under a real emulator and checks the outcome.

QEMU: TCG with SVM+NPT (-kernel <firmware> -initrd "<module> <args>,..."), serial on stdout,
result through isa-debug-exit (status 33 pass, 35 fail, 37 panic).

Bochs (--emulator bochs): paravisor/bochs/mkimage.py builds a disk image with the project's own
boot loader and a bochsrc for --bochs-cpu (corei7_skylake_x: VMX+EPT; ryzen: SVM+NPT+NRIP save)
in a fresh directory per run (Bochs locks its image, so concurrent runs must not share one);
port 0xE9 output is on stdout. Bochs' exit status is always 1, so only the log decides.

The run passes when the firmware's "PV-RESULT:" line says what --expect-result asks, the emulator's
exit status agrees, every --expect-log regex matches some line, and no --forbid-log regex does.
The full log is printed on failure (and always with --verbose), so a CI failure is debuggable.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

QEMU_STATUS = {"PASS": 33, "FAIL": 35, "PANIC": 37}


def qemu_command(args, modules):
    cmd = [args.qemu, "-accel", "tcg", "-cpu", args.cpu, "-m", args.memory, "-display", "none",
           "-no-reboot", "-nodefaults", "-serial", "stdio",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-kernel", args.firmware,
           # QEMU splits -initrd at commas; a literal comma in a module string is written twice.
           "-initrd", ",".join(m.replace(",", ",,") for m in modules)]
    if args.append:
        cmd += ["-append", args.append]
    return cmd


def bochs_command(args, modules, work_dir):
    """Builds the disk image and bochsrc in work_dir; returns the Bochs command."""
    build = [sys.executable, args.mkimage, "--loader", args.loader, "--firmware", args.firmware,
             "--cpu", args.bochs_cpu, "--out-dir", work_dir, "--name", "run"]
    for m in modules:
        build += ["--module", m]
    if args.append:
        build += ["--cmdline", args.append]
    subprocess.run(build, check=True)
    rc = os.path.join(work_dir, "continue.rc")
    with open(rc, "w", encoding="utf-8") as f:
        f.write("c\n")  # the debugger-enabled Debian build stops at a prompt otherwise
    return [args.bochs, "-q", "-f", os.path.join(work_dir, "run.bochsrc"), "-rc", rc]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--firmware", required=True)
    p.add_argument("--module", action="append", default=[],
                   help='guest image and its command line, e.g. "gpr.bin test=gpr"')
    p.add_argument("--guest-dir", default="", help="directory prefixed to relative module paths")
    p.add_argument("--append", default="", help="paravisor command line")
    p.add_argument("--emulator", choices=["qemu", "bochs"], default="qemu")
    p.add_argument("--qemu", default="qemu-system-x86_64")
    p.add_argument("--bochs", default="bochs")
    p.add_argument("--bochs-cpu", default="corei7_skylake_x")
    p.add_argument("--loader", help="Bochs: the assembled paravisor/bochs/loader.asm")
    p.add_argument("--mkimage", help="Bochs: paravisor/bochs/mkimage.py")
    p.add_argument("--keep", action="store_true", help="Bochs: keep the image directory")
    p.add_argument("--cpu", default="qemu64,+svm,+npt,+rdrand")
    p.add_argument("--memory", default="256M")
    p.add_argument("--expect-result", default="PASS", choices=sorted(QEMU_STATUS))
    p.add_argument("--expect-log", action="append", default=[])
    p.add_argument("--forbid-log", action="append", default=[])
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()

    modules = []
    for m in args.module:
        path, _, rest = m.partition(" ")
        if args.guest_dir and not os.path.isabs(path):
            path = os.path.join(args.guest_dir, path)
        if not os.path.exists(path):
            print(f"run_firmware: guest image {path} does not exist", file=sys.stderr)
            return 2
        modules.append(f"{path} {rest}".strip())
    if not os.path.exists(args.firmware):
        print(f"run_firmware: firmware {args.firmware} does not exist", file=sys.stderr)
        return 2

    work_dir = None
    if args.emulator == "bochs":
        if not args.loader or not args.mkimage:
            print("run_firmware: --emulator bochs needs --loader and --mkimage", file=sys.stderr)
            return 2
        work_dir = tempfile.mkdtemp(prefix="pv-bochs-")
        try:
            cmd = bochs_command(args, modules, work_dir)
        except subprocess.CalledProcessError:
            print("run_firmware: building the Bochs disk image failed", file=sys.stderr)
            return 2
    else:
        cmd = qemu_command(args, modules)
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=args.timeout)
        log, status = proc.stdout.decode("utf-8", "replace"), proc.returncode
    except subprocess.TimeoutExpired as e:
        log = (e.stdout or b"").decode("utf-8", "replace")
        status = None
    elapsed = time.monotonic() - start
    if work_dir and not args.keep:
        shutil.rmtree(work_dir, ignore_errors=True)

    problems = []
    if status is None:
        problems.append(f"emulator did not finish within {args.timeout:.0f} s")
    results = re.findall(r"^PV-RESULT: (\w+)", log, re.M)
    if not results:
        problems.append("no PV-RESULT line in the log")
    elif results[-1] != args.expect_result:
        problems.append(f"PV-RESULT is {results[-1]}, expected {args.expect_result}")
    if args.emulator == "bochs":
        if status is not None and "Shutdown port: shutdown requested" not in log:
            problems.append("Bochs did not end through the firmware's shutdown request")
    elif status is not None and status != QEMU_STATUS[args.expect_result]:
        problems.append(f"QEMU exit status {status}, expected {QEMU_STATUS[args.expect_result]}")
    for rx in args.expect_log:
        if not re.search(rx, log, re.M):
            problems.append(f"log does not match /{rx}/")
    for rx in args.forbid_log:
        if re.search(rx, log, re.M):
            problems.append(f"log matches forbidden /{rx}/")

    if problems or args.verbose:
        print("$ " + " ".join(f"'{c}'" if " " in c else c for c in cmd))
        print(log)
    for prob in problems:
        print(f"FAIL: {prob}")
    print(f"{'FAIL' if problems else 'OK'}: {len(modules)} guest(s) in {elapsed:.2f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
