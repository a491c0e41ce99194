"""Evidence from the SIMULATED AMD-SP through the real pv-agent, QEMU and paravisor: a
tee=sev-snp partition's exit proxy hands attestation traffic to the partition's simulated secure
processor, so `pvctl attest` returns an ATTESTATION_REPORT that `pvattest verify snp` accepts only
when the simulated root (exported under the state directory's simulated-sp/) is passed
explicitly, whose MEASUREMENT is what `pvattest measure` computes on the same files and whose
REPORT_DATA is what was asked for. Likewise a tee=tdx partition's TDREPORT is quoted by the
simulated TDX quoting enclave (GetQuote) into a v4 quote that `pvattest verify tdx` accepts, with
every check and the simulated collateral, only with the simulated root allowed; a guest's
GET_EVIDENCE returns such a quote too."""

import json
import os
import subprocess
import sys
import unittest

from agent_harness import FIRMWARE, AgentTestCase, agent_guest

PVATTEST = os.environ.get("PVATTEST_BIN", "")
PROBE_DIR = os.environ.get("PV_FWATTEST_GUEST_DIR", "")
TD_BODY = 48  # the v4 quote header; TD 1.0 body offsets below are relative to it


def pvattest(*args):
    return subprocess.run([PVATTEST, *args], capture_output=True, text=True, timeout=120)


class SimulatedSpAttestTest(AgentTestCase):
    image_dirs = (PROBE_DIR,) if PROBE_DIR else ()

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

    def test_tdx_quote_verifies_only_with_the_simulated_root(self):
        a = self.agent
        ticker = agent_guest("proxy_ticker.bin")
        # The paravisor's personality is its command line (measured like the rest of the launch).
        a.ok("create", "td", "--firmware", FIRMWARE, "--guest", ticker, "--tee", "tdx",
             "--memory", "64", "--cmdline", "tee=tdx")
        a.ok("start", "td", timeout=120)
        report_data = bytes(range(0x10, 0x50)).hex()
        quote = os.path.join(self.tmp.name, "quote.bin")
        rc, _, err = a.pvctl("--timeout", "90", "attest", "td", "--report-data", report_data,
                             "--out", quote, timeout=120)
        self.assertEqual(rc, 0, err + "\nagent log:\n" + a.log())
        with open(quote, "rb") as f:
            body = f.read()
        self.assertEqual(body[0:2], b"\x04\x00")  # quote version 4
        self.assertEqual(body[4:8], b"\x81\x00\x00\x00")  # TEE type TDX

        caps = a.ok("capabilities")
        tdx = {t["tee"]: t for t in caps["simulated_tees"]}["TEE_TDX"]
        self.assertIn("not a trust anchor", tdx["name"])
        sim_dir = os.path.realpath(os.path.join(a.state, "simulated-sp"))
        for key in ("root_certificate", "chain", "collateral_dir"):
            self.assertTrue(os.path.realpath(tdx[key]).startswith(sim_dir), (key, tdx[key]))
        verify = ["verify", "tdx", "--quote", quote, "--collateral-dir", tdx["collateral_dir"],
                  "--report-data", report_data]
        # Not a trust anchor by default: --root with the simulated root is still unpinned.
        refused = pvattest(*verify, "--root", tdx["root_certificate"], "--json")
        self.assertEqual(refused.returncode, 1, refused.stdout + refused.stderr)
        self.assertIn("root-not-pinned", refused.stdout)
        accepted = pvattest(*verify, "--allow-root", tdx["root_certificate"], "--json")
        self.assertEqual(accepted.returncode, 0, accepted.stdout + accepted.stderr)
        doc = json.loads(accepted.stdout)
        checks = {c["name"]: c["value"] for c in doc["checks"]}
        for name in ("quote_sig", "qe_report_sig", "ak_binding", "pck_chain", "pck_crl",
                     "root_crl", "collateral_sigs", "qe_identity"):
            self.assertTrue(checks[name].startswith(("ok", "UpToDate")), (name, checks[name]))
        self.assertEqual(checks["tcb"], "UpToDate", checks)
        other = pvattest(*verify[:-1], "00" * 64, "--allow-root", tdx["root_certificate"])
        self.assertEqual(other.returncode, 1, other.stdout + other.stderr)

        # MRTD = pvattest measure on the same files (and command line); REPORTDATA as asked.
        measured = json.loads(pvattest("measure", "--firmware", FIRMWARE, "--guest", ticker,
                                       "--memory", "64", "--cmdline", "tee=tdx", "--json").stdout)
        self.assertEqual(body[TD_BODY + 136:TD_BODY + 184].hex(), measured["tdx_mrtd"])
        self.assertEqual(body[TD_BODY + 520:TD_BODY + 584].hex(), report_data)
        self.assertEqual(a.ok("get", "td")["measurement"]["tdx_mrtd"], measured["tdx_mrtd"])
        # One byte of the guest changed: another MRTD, so this quote would not match it.
        changed = os.path.join(self.tmp.name, "ticker-changed.bin")
        with open(ticker, "rb") as f:
            image = bytearray(f.read())
        image[len(image) // 2] ^= 1
        with open(changed, "wb") as f:
            f.write(image)
        other_mrtd = json.loads(pvattest("measure", "--firmware", FIRMWARE, "--guest", changed,
                                         "--memory", "64", "--cmdline", "tee=tdx",
                                         "--json").stdout)["tdx_mrtd"]
        self.assertNotEqual(other_mrtd, measured["tdx_mrtd"])
        a.ok("stop", "td", "--force")

    def test_reattached_partition_still_attests(self):
        """The simulated SP's per-partition state (VMPCKs, sequence numbers, the TD MAC key) is
        persisted (mode 0600): after kill -9 and a restart, the re-attached partition's next
        quote verifies and carries the new REPORT_DATA."""
        a = self.agent
        a.ok("create", "keep", "--firmware", FIRMWARE, "--guest", agent_guest("proxy_ticker.bin"),
             "--tee", "tdx", "--memory", "64", "--cmdline", "tee=tdx")
        a.ok("start", "keep", timeout=120)
        first = os.path.join(self.tmp.name, "before.bin")
        rc, _, err = a.pvctl("--timeout", "90", "attest", "keep", "--out", first, timeout=120)
        self.assertEqual(rc, 0, err)
        state = os.path.join(a.state, "partitions", "keep", "simulated-sp-state.bin")
        self.assertEqual(os.stat(state).st_mode & 0o777, 0o600)
        a.kill9()
        a.start()
        self.assertEqual(a.state_of("keep"), "PARTITION_STATE_RUNNING")
        report_data = "5a" * 64
        quote = os.path.join(self.tmp.name, "after.bin")
        rc, _, err = a.pvctl("--timeout", "90", "attest", "keep", "--report-data", report_data,
                             "--out", quote, timeout=120)
        self.assertEqual(rc, 0, err + "\nagent log:\n" + a.log())
        tdx = {t["tee"]: t for t in a.ok("capabilities")["simulated_tees"]}["TEE_TDX"]
        accepted = pvattest("verify", "tdx", "--quote", quote, "--collateral-dir",
                            tdx["collateral_dir"], "--allow-root", tdx["root_certificate"],
                            "--report-data", report_data)
        self.assertEqual(accepted.returncode, 0, accepted.stdout + accepted.stderr)
        a.ok("stop", "keep", "--force")

    def test_tdx_guest_get_evidence_returns_a_quote(self):
        probe = os.path.join(PROBE_DIR, "attest_probe.bin")
        self.assertTrue(os.path.isfile(probe), f"PV_FWATTEST_GUEST_DIR: no {probe}")
        p, log = self.run_tdx_to_stop("probe", probe, timeout=90)
        self.assertTrue(p["exit"].get("success"), log[-3000:])
        # The probe found its REPORT_DATA in the quote's TD body and timed GET_EVIDENCE.
        self.assertIn("ATTEST evidence_bytes=", log)
        self.assertIn("ATTEST-BENCH", log)
        # GET_EVIDENCE (TD report message + GetQuote, both through the proxy) vs a proxied IO
        # read, same run: reported, never asserted (README "Simulated secure processor").
        bench = log.split("ATTEST-BENCH")[1].split("\n")[0]
        fields = dict(kv.split("=") for kv in bench.split())
        evidence, io = int(fields["evidence_cycles"], 16), int(fields["proxied_io_cycles"], 16)
        print(f"\nTDX GET_EVIDENCE vs proxied IO ({int(fields['iters'], 16)} each, cycles "
              f"{evidence} vs {io}): "
              f"{evidence / max(io, 1):.1f}x", file=sys.stderr)
        size = int(log.split("ATTEST evidence_bytes=")[1].split()[0], 16)
        self.assertGreater(size, 1184)  # a quote with its PCK chain, not an SNP report


if __name__ == "__main__":
    unittest.main()
