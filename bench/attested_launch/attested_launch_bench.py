#!/usr/bin/env python3
"""The attested launch's timeline, step by step, against a baseline in the same run: a real
pv-agent (--init-simulated-sp), pv-kbs, pvkbs, pvctl, QEMU and paravisor. Alternating rounds:
  attested   `pvctl launch --attest` of secret_demo.bin with a KBS resource: create -> secret's
             digest printed by the guest, with pvctl's timeline (create, running, KBS auth,
             evidence verified, secret released, guest confirmed);
  baseline   the same measured launch (tee=sev-snp) of hello.bin without attestation: create ->
             guest finished.
Prints per-step medians, and the attested/baseline ratio of the whole `pvctl launch` (create ->
partition stopped, console ended) of both.

usage: attested_launch_bench.py PV_AGENT PVCTL PV_KBS PVKBS PVATTEST PARAVISOR.elf GUEST_DIR [ROUNDS]
"""
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

RESOURCE = "default/key/bench"


def main():
    agent_bin, pvctl_bin, kbs_bin, pvkbs_bin, pvattest_bin, firmware, guest_dir = sys.argv[1:8]
    rounds = int(sys.argv[8]) if len(sys.argv) > 8 else 5
    demo = os.path.join(guest_dir, "secret_demo.bin")
    hello = os.path.join(guest_dir, "hello.bin")
    with tempfile.TemporaryDirectory(prefix="pv-attested-bench-") as root:
        sock, state, store = (os.path.join(root, x) for x in ("s", "state", "kbs"))
        os.makedirs(store)
        agent = subprocess.Popen([agent_bin, "--socket", sock, "--state-dir", state,
                                  "--image-dir", os.path.dirname(firmware), "--image-dir",
                                  guest_dir, "--init-simulated-sp"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kbs = None
        try:
            def pvctl(*args, check=True):
                r = subprocess.run([pvctl_bin, "--socket", sock, "--json", *args],
                                   capture_output=True, text=True, timeout=180)
                if check and r.returncode != 0:
                    raise SystemExit(f"pvctl {args}: {r.returncode} {r.stderr}")
                return r

            deadline = time.monotonic() + 120
            while pvctl("capabilities", check=False).returncode != 0:
                if time.monotonic() > deadline:
                    raise SystemExit("pv-agent did not come up")
                time.sleep(0.1)
            ark = os.path.join(state, "simulated-sp", "ark.pem")
            out = open(os.path.join(root, "kbs.out"), "w")
            kbs = subprocess.Popen([kbs_bin, "--listen", "127.0.0.1:0", "--store", store,
                                    "--snp-allow-root", ark, "--quiet"],
                                   stdout=out, stderr=subprocess.STDOUT)
            url = None
            while url is None and time.monotonic() < deadline:
                m = re.search(r"listening on (http://\S+)", open(out.name).read())
                url = m.group(1) if m else None
                time.sleep(0.05)
            env = dict(os.environ, PV_KBS_ADMIN_SOCKET=os.path.join(store, "admin.sock"))
            measured = json.loads(subprocess.run(
                [pvattest_bin, "measure", "--firmware", firmware, "--guest", demo, "--memory",
                 "64", "--cmdline", f"kbs={RESOURCE}", "--json"],
                capture_output=True, text=True, check=True).stdout)["snp_launch_digest"]
            with open(os.path.join(root, "policy.json"), "w") as f:
                json.dump({"attestation": {"snp": {"measurements": [measured]}},
                           "resources": [{"path": RESOURCE, "tees": ["snp"]}]}, f)
            secret = os.urandom(32)
            with open(os.path.join(root, "secret.bin"), "wb") as f:
                f.write(secret)
            subprocess.run([pvkbs_bin, "set-policy", os.path.join(root, "policy.json")],
                           env=env, check=True, capture_output=True)
            subprocess.run([pvkbs_bin, "set-resource", RESOURCE, os.path.join(root, "secret.bin")],
                           env=env, check=True, capture_output=True)

            steps, attested, attested_wall, baseline = {}, [], [], []
            for i in range(rounds):
                start = time.monotonic()
                r = pvctl("launch", f"att{i}", "--attest", "--firmware", firmware, "--guest", demo,
                          "--memory", "64", "--tee", "sev-snp", "--kbs-url", url,
                          "--kbs-resource", RESOURCE, "--expect-sha256",
                          hashlib.sha256(secret).hexdigest())
                timeline = json.loads(r.stdout)["timeline"]
                if not timeline["confirmed"]:
                    raise SystemExit(f"round {i}: the guest did not confirm: {timeline}")
                for s in timeline["steps"]:
                    steps.setdefault(s["step"], []).append(s["at_ms"])
                attested.append(timeline["steps"][-1]["at_ms"])
                attested_wall.append((time.monotonic() - start) * 1000)
                start = time.monotonic()
                pvctl("launch", f"base{i}", "--firmware", firmware, "--guest", hello, "--memory",
                      "64", "--tee", "sev-snp")
                baseline.append((time.monotonic() - start) * 1000)
        finally:
            if kbs is not None:
                kbs.terminate()
                kbs.wait(timeout=10)
            agent.terminate()
            agent.wait(timeout=30)
    print(f"attested launch timeline, {rounds} rounds, medians since create (load "
          f"{os.getloadavg()[0]:.1f}); the platform is the SIMULATED secure processor")
    previous = 0
    for name, values in steps.items():
        med = statistics.median(values)
        print(f"  {name:48s} {med:7.0f} ms  (+{med - previous:5.0f})  {values}")
        previous = med
    w, b = statistics.median(attested_wall), statistics.median(baseline)
    print(f"  whole `pvctl launch` (create -> partition stopped, console ended):")
    print(f"    attested, secret_demo.bin                   {w:7.0f} ms  {[round(x) for x in attested_wall]}")
    print(f"    baseline, measured launch of hello.bin      {b:7.0f} ms  {[round(x) for x in baseline]}")
    print(f"    ratio attested / baseline                   {w / b:7.2f}")


if __name__ == "__main__":
    main()
