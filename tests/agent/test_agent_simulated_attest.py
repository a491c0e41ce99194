"""Evidence from the SIMULATED AMD-SP through the real pv-agent, QEMU and paravisor: a
tee=sev-snp partition's exit proxy hands attestation traffic to the partition's simulated secure
processor, so `pvctl attest` returns an ATTESTATION_REPORT that `pvattest verify snp` accepts only
when the simulated root (exported under the state directory's simulated-sp/) is passed
explicitly, whose MEASUREMENT is what `pvattest measure` computes on the same files and whose
REPORT_DATA is what was asked for. (TDX quotes: the simulator answers GetQuote UNIMPLEMENTED.)"""

import json
import os
import subprocess
import unittest

from agent_harness import FIRMWARE, AgentTestCase, agent_guest

PVATTEST = os.environ.get("PVATTEST_BIN", "")


def pvattest(*args):
    return subprocess.run([PVATTEST, *args], capture_output=True, text=True, timeout=120)


class SimulatedSpAttestTest(AgentTestCase):
    def test_snp_report_verifies_only_with_the_simulated_root(self):
        a = self.agent
        ticker = agent_guest("proxy_ticker.bin")
        a.ok("create", "snp", "--firmware", FIRMWARE, "--guest", ticker, "--tee", "sev-snp",
             "--memory", "64")
        a.ok("start", "snp", timeout=120)
        report_data = bytes(range(0x40, 0x80)).hex()
        report = os.path.join(self.tmp.name, "report.bin")
        rc, _, err = a.pvctl("--timeout", "90", "attest", "snp", "--report-data", report_data,
                             "--out", report, timeout=120)
        self.assertEqual(rc, 0, err + "\nagent log:\n" + a.log())
        self.assertEqual(os.path.getsize(report), 1184)  # ATTESTATION_REPORT (SEV-SNP ABI)

        caps = a.ok("capabilities")
        snp = {t["tee"]: t for t in caps["simulated_tees"]}["TEE_SEV_SNP"]
        sim_dir = os.path.join(a.state, "simulated-sp")
        for key in ("root_certificate", "chain", "vcek"):
            self.assertTrue(os.path.realpath(snp[key]).startswith(os.path.realpath(sim_dir)),
                            (key, snp[key]))
        verify = ["verify", "snp", "--report", report, "--vek", snp["vcek"],
                  "--chain", snp["chain"], "--report-data", report_data]
        # Not a trust anchor by default: without --allow-root the chain's root is unknown.
        refused = pvattest(*verify)
        self.assertEqual(refused.returncode, 1, refused.stdout + refused.stderr)
        accepted = pvattest(*verify, "--allow-root", snp["root_certificate"], "--json")
        self.assertEqual(accepted.returncode, 0, accepted.stdout + accepted.stderr)
        # Another REPORT_DATA than the one asked for is rejected even with the root.
        other = pvattest(*verify[:-1], "00" * 64, "--allow-root", snp["root_certificate"])
        self.assertEqual(other.returncode, 1, other.stdout + other.stderr)

        measured = json.loads(pvattest("measure", "--firmware", FIRMWARE, "--guest", ticker,
                                       "--memory", "64", "--json").stdout)
        with open(report, "rb") as f:
            body = f.read()
        # ATTESTATION_REPORT: REPORT_DATA at 0x50 (64 bytes), MEASUREMENT at 0x90 (48 bytes).
        self.assertEqual(body[0x50:0x90].hex(), report_data)
        self.assertEqual(body[0x90:0xC0].hex(), measured["snp_launch_digest"])
        self.assertEqual(a.ok("get", "snp")["measurement"]["snp_launch_digest"],
                         measured["snp_launch_digest"])
        a.ok("stop", "snp", "--force")


if __name__ == "__main__":
    unittest.main()
