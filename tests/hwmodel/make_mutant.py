#!/usr/bin/env python3
"""Builds one deliberately broken variant of a world-switch routine, for the mutation tests only.

Usage: make_mutant.py --src <paravisor dir> --gen <dir of pv_asm_offsets.inc> --nasm <nasm>
                      --ld <ld> --routine <svm_run|vmx_run|svm_sev_es_run|tdx_l2_enter>
                      --mutation <no_save|spec_ctrl_before_call|no_rsb_fill|touch_vmsa|
                                  drop_output|no_sti|cli_after_stgi|host_rsp_fail_tail>
                      --out <mutant.elf>

The routine's production source (and entry/world_switch.inc) are copied, one textual edit is
applied, and the copy is assembled and linked alone into a small ELF executable that the
hardware model loads exactly like paravisor.elf. Every edit must match exactly once, so a change
to the production source that makes a mutation meaningless fails the build instead of quietly
testing nothing.
"""
import argparse
import os
import re
import subprocess
import sys

# (file, regex, replacement) per routine and mutation. "{asm}" is the routine's own file.
SAVE_EDITS = {
    # a callee-saved register no longer saved and restored (the switch clobbers it)
    "svm_run": [("inc", r"^    push r13\n", ""), ("inc", r"^    pop r13\n", "")],
    "vmx_run": [("inc", r"^    push r13\n", ""), ("inc", r"^    pop r13\n", "")],
    "tdx_l2_enter": [("inc", r"^    push r13\n", ""), ("inc", r"^    pop r13\n", "")],
    # the SEV-ES switch stores it into the host save area instead: drop that store
    "svm_sev_es_run": [("asm", r"^    mov \[rsi \+ HSA_r12\], r12\n", "")],
}

CALL_EDIT = [
    ("asm", r"^    WS_WRITE_GUEST_SPEC_CTRL\n",
     "    WS_WRITE_GUEST_SPEC_CTRL\n    call ..@mutant_helper\n"),
    ("asm", r"\Z", "\n..@mutant_helper:\n    ret\n"),
]
RSB_EDIT = [("asm", r"^    WS_FILL_RSB.*\n", "")]

# Routine-specific defects, beyond the three every routine gets.
EXTRA_EDITS = {
    # SEV-ES: a "debug" read of the guest's RBX out of its VMSA (VMCB control 0x108 points at it)
    ("svm_sev_es_run", "touch_vmsa"): [
        ("asm", r"^    vmrun .*\n",
         "    mov rcx, [rax + 0x108]\n    mov rcx, [rcx + 0x318]\n    vmrun\n")],
    # TDX: one module output (R13, the extended exit qualification) not stored
    ("tdx_l2_enter", "drop_output"): [("asm", r"^    mov \[rbx \+ TDX_EXIT_r13\], r13\n", "")],
    # SVM: no STI under GIF=0, so the saved host IF is 0 and the tick cannot preempt the guest
    ("svm_run", "no_sti"): [("asm", r"^    sti\n", "")],
    # SVM: CLI after STGI instead of before it, so the tick pending since an INTR exit gets in
    ("svm_run", "cli_after_stgi"): [("asm", r"^    cli\n", ""),
                                    ("asm", r"^    stgi\n", "    stgi\n    cli\n")],
    # VMX: a failed HOST_RSP VMWRITE through the common tail (the bug this routine once had): the
    # tail reads SPEC_CTRL back as the guest's value although the guest's was never loaded
    ("vmx_run", "host_rsp_fail_tail"): [("asm", r"^    jna \.\.@host_rsp_failed( .*)?\n",
                                         "    jna ..@vmfail\n")],
}


def edits_for(routine, mutation):
    if mutation == "no_save":
        return SAVE_EDITS[routine]
    if mutation == "spec_ctrl_before_call":
        return CALL_EDIT
    if mutation == "no_rsb_fill":
        return RSB_EDIT
    if (routine, mutation) in EXTRA_EDITS:
        return EXTRA_EDITS[(routine, mutation)]
    raise SystemExit(f"make_mutant: unknown mutation {mutation}")


def main() -> int:
    ap = argparse.ArgumentParser()
    for a in ("src", "gen", "nasm", "ld", "routine", "mutation", "out"):
        ap.add_argument("--" + a, required=True)
    args = ap.parse_args()
    texts = {
        "asm": open(os.path.join(args.src, "entry", args.routine + ".asm"), encoding="utf-8").read(),
        "inc": open(os.path.join(args.src, "entry", "world_switch.inc"), encoding="utf-8").read(),
    }
    for which, pattern, repl in edits_for(args.routine, args.mutation):
        new, n = re.subn(pattern, repl, texts[which], flags=re.M)
        if n != 1:
            print(f"make_mutant: {args.routine}/{args.mutation}: pattern {pattern!r} matched "
                  f"{n} times in {which}", file=sys.stderr)
            return 1
        texts[which] = new
    work = args.out + ".d"
    os.makedirs(os.path.join(work, "entry"), exist_ok=True)
    asm = os.path.join(work, "entry", args.routine + ".asm")
    with open(asm, "w", encoding="utf-8") as f:
        f.write(texts["asm"])
    with open(os.path.join(work, "entry", "world_switch.inc"), "w", encoding="utf-8") as f:
        f.write(texts["inc"])
    obj = os.path.join(work, args.routine + ".o")
    subprocess.run([args.nasm, "-f", "elf64", "-DPV_SPEC_CTRL_MSR=0x48", "-I" + work + "/",
                    "-I" + args.gen + "/", "-o", obj, asm], check=True)
    # vmx_run.asm's VMREAD/VMWRITE error trampolines call C++ reporters that are not linked
    # here; the model never reaches them.
    subprocess.run([args.ld, "-static", "-nostdlib", "-e", "0", "-Ttext=0x200000",
                    "--defsym=pv_vmx_vmread_error=0", "--defsym=pv_vmx_vmwrite_error=0",
                    "-o", args.out, obj], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
