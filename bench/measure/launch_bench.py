#!/usr/bin/env python3
"""Launch latency with and without measurement, in the same run: a real pv-agent, pvctl and
QEMU; for each round one plain partition (-kernel through SeaBIOS) and one measured partition
(tee=sev-snp: pages written and measured by the agent, reset stub, no BIOS), alternating.
Time from `pvctl create` to the paravisor entering the guest ("guest 0: flat image" in the
firmware log, printed right before the first guest instruction). Prints medians and the ratio.

usage: launch_bench.py PV_AGENT PVCTL PARAVISOR.elf GUEST.bin [ROUNDS]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

MARK = "guest 0: flat image"


def main():
    agent_bin, pvctl_bin, firmware, guest = sys.argv[1:5]
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    with tempfile.TemporaryDirectory(prefix="pv-launch-bench-") as root:
        sock, state = os.path.join(root, "s"), os.path.join(root, "state")
        agent = subprocess.Popen([agent_bin, "--socket", sock, "--state-dir", state],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def pvctl(*args):
                subprocess.run([pvctl_bin, "--socket", sock, *args], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

            deadline = time.monotonic() + 10
            while not os.path.exists(sock) and time.monotonic() < deadline:
                time.sleep(0.02)

            def launch(name, tee):
                start = time.monotonic()
                pvctl("create", name, "--firmware", firmware, "--guest", guest, "--memory", "64",
                      *(["--tee", tee] if tee else []))
                pvctl("start", name)
                log = os.path.join(state, "partitions", name, "firmware.log")
                while time.monotonic() - start < 60:
                    try:
                        with open(log) as f:
                            if MARK in f.read():
                                return time.monotonic() - start
                    except FileNotFoundError:
                        pass
                    time.sleep(0.002)
                raise SystemExit(f"{name}: guest never started")

            launch("warm", "sev-snp")  # the simulated AMD-SP's key hierarchy is created once
            plain, measured = [], []
            for i in range(rounds):
                plain.append(launch(f"plain{i}", None))
                measured.append(launch(f"measured{i}", "sev-snp"))
        finally:
            agent.terminate()
            agent.wait(timeout=30)
    p, m = statistics.median(plain), statistics.median(measured)
    print(f"launch create -> guest entry, {rounds} rounds, medians (load {os.getloadavg()[0]:.1f})")
    print(f"  plain (-kernel, SeaBIOS):             {p * 1000:7.1f} ms  {[round(x * 1000) for x in plain]}")
    print(f"  measured (tee=sev-snp, reset stub):   {m * 1000:7.1f} ms  {[round(x * 1000) for x in measured]}")
    print(f"  ratio measured / plain:               {m / p:7.3f}")


if __name__ == "__main__":
    main()
