#!/usr/bin/env python3
"""Fails if any paravisor function contains an indirect JMP or CALL.

The exit path must have no indirect branches (no jump tables, no function pointers): they are
what branch-target-injection attacks steer. The check disassembles the firmware with objdump and
inspects every function the project wrote (C++ in namespace pv, assembly symbols pv_*), which
covers the whole exit path: world switch, exit decode, dispatch, handlers, decoder, guest memory.

To prove the check can fail, --self-test compiles a switch with jump tables enabled and requires
the checker to flag it.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

FUNC_RE = re.compile(r"^[0-9a-f]+ <(.+)>:$")
INDIRECT_RE = re.compile(r"\b(jmp|call)q?\s+\*")
# DispatchExit, HandleHypercall and the exit decoders are inline (exits/handlers.h, svm/svm_exit.h,
# vmx/vmx_exit.h): their switches are checked inside each backend's run loop.
REQUIRED = ["pv::vmx::RunVmxVcpu(", "pv::AdvanceByDecoding(", "pv::HandleCpuid(", "pv::HandleIo(", "pv::HandleMsrRead(",
            "pv::HandleOtherHypercall(", "pv::svm::RunSvmVcpu(",
            "pv::insn::Decode(", "pv_svm_run"]


def scan(path, objdump):
    out = subprocess.run([objdump, "-d", "-C", "--no-show-raw-insn", path], check=True,
                         stdout=subprocess.PIPE).stdout.decode()
    current, seen, offenders = None, set(), []
    for line in out.splitlines():
        m = FUNC_RE.match(line)
        if m:
            current = m.group(1)
            seen.add(current)
            continue
        if current and (current.startswith("pv::") or current.startswith("pv_")) and INDIRECT_RE.search(line):
            offenders.append(f"{current}: {line.strip()}")
    return seen, offenders


def self_test(objdump, cc):
    src = "namespace pv {\n" \
          "int h0(int);int h1(int);int h2(int);int h3(int);int h4(int);int h5(int);int h6(int);\n" \
          "int f(int x){switch(x){case 0:return h0(x)+1;case 1:return h1(x)*3;case 2:return h2(x)-7;" \
          "case 3:return h3(x)^5;case 4:return h4(x)+9;case 5:return h5(x)*11;case 6:return h6(x)-13;" \
          "default:return 0;}}\n" \
          "int g(int (*fp)(int), int x) { return fp(x) + f(x); }\n}\n"
    with tempfile.TemporaryDirectory() as d:
        c, o = os.path.join(d, "t.cpp"), os.path.join(d, "t.o")
        open(c, "w").write(src)
        subprocess.run([cc, "-O2", "-fno-inline", "-c", c, "-o", o], check=True)
        _, offenders = scan(o, objdump)
    if not any(o.startswith("pv::f(") for o in offenders) or not any(o.startswith("pv::g(") for o in offenders):
        print(f"self-test FAILED: the jump table in pv::f or the call through a pointer in pv::g was not detected: {offenders}")
        return 1
    print(f"self-test ok: detected {len(offenders)} indirect branch(es) in a deliberate example")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("firmware", nargs="*")
    p.add_argument("--objdump", default="objdump")
    p.add_argument("--self-test", metavar="CXX", help="compiler for the self-test")
    args = p.parse_args()
    rc = 0
    if args.self_test:
        rc |= self_test(args.objdump, args.self_test)
    for fw in args.firmware:
        seen, offenders = scan(fw, args.objdump)
        missing = [r for r in REQUIRED if not any(s.startswith(r) for s in seen)]
        if missing:
            print(f"{fw}: expected exit-path functions not found (check is vacuous?): {missing}")
            rc = 1
        for o in offenders:
            print(f"{fw}: indirect branch in {o}")
        if offenders:
            rc = 1
        checked = sum(1 for s in seen if s.startswith("pv::") or s.startswith("pv_"))
        print(f"{fw}: {checked} paravisor functions checked, {len(offenders)} indirect branches")
    return rc


if __name__ == "__main__":
    sys.exit(main())
