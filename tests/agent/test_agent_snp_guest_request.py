"""A tee=sev-snp GUEST's own attestation report through the SNP guest request NAE event, end to
end under the real pv-agent, QEMU and paravisor (README "GHCB and GHCI"): the paravisor (VMPL0,
keeping VMPCK0) gives the guest a guest secrets page with VMPCK2 and VMPCK3 only; the guest
(tests/agent/guests/snp_guest_request.asm) seals MSG_REPORT_REQ for VMPL2 itself with AES-NI and
PCLMULQDQ, the paravisor relays the pages to the partition's simulated AMD-SP through the agent,
and the guest opens the answer and prints the ATTESTATION_REPORT. This test checks it with
`pvattest verify snp` (only with the simulated root allowed), VMPL 2, the guest's REPORT_DATA
and MEASUREMENT = `pvattest measure`. The hostile run: a flipped ciphertext bit is refused by
the simulated SP, which then wipes VMPCK2 (a correct request is refused too), and the paravisor
stays healthy."""

import json
import os
import unittest

from agent_harness import FIRMWARE, AgentTestCase, agent_guest
from test_agent_simulated_attest import pvattest
from test_agent_tdx_quote import printed_hex

REPORT_DATA = bytes((0x30 + 5 * i) & 0xff for i in range(64))


class SnpGuestRequestTest(AgentTestCase):

    def run_snp_to_stop(self, name, guest_args, cmdline="attest-selftest", timeout=120):
        """A measured tee=sev-snp partition (64 MiB) whose paravisor first uses its own channel
        (VMPCK0, `attest-selftest`: sequence numbers 1 and 2), run until it stops."""
        image = agent_guest("snp_guest_request.bin")
        self.create(name, image, guest_args, "--tee", "sev-snp", "--memory", "64",
                    "--cmdline", cmdline)
        self.agent.ok("start", name, timeout=120)
        p = self.agent.wait_state(name, ["PARTITION_STATE_STOPPED", "PARTITION_STATE_FAILED"],
                                  timeout=timeout)
        with open(p["firmware_log_path"]) as f:
            return image, p, f.read()

    def test_guest_report_with_vmpck2_verifies_with_vmpl2_and_the_launch_measurement(self):
        a = self.agent
        image, p, log = self.run_snp_to_stop("snpreq", "tee=sev-snp")
        self.assertTrue(p["exit"].get("success"), log[-4000:] + "\nagent log:\n" + a.log()[-3000:])
        self.assertIn("guest secrets page (VMPCK2, VMPCK3)", log)
        self.assertIn("snp_guest_request: done", log)
        # VMPCK0's numbers (the paravisor's) are not VMPCK2's: the guest's first request is 1.
        self.assertIn("sequence number now 2", log)
        report = printed_hex(log, "REPORT")
        self.assertEqual(len(report), 1184)
        path = os.path.join(self.tmp.name, "guest-report.bin")
        with open(path, "wb") as f:
            f.write(report)

        snp = {t["tee"]: t for t in a.ok("capabilities")["simulated_tees"]}["TEE_SEV_SNP"]
        verify = ["verify", "snp", "--report", path, "--vek", snp["vcek"],
                  "--chain", snp["chain"], "--report-data", REPORT_DATA.hex()]
        refused = pvattest(*verify)  # the simulated root is no trust anchor by default
        self.assertEqual(refused.returncode, 1, refused.stdout + refused.stderr)
        accepted = pvattest(*verify, "--allow-root", snp["root_certificate"], "--json")
        self.assertEqual(accepted.returncode, 0, accepted.stdout + accepted.stderr)
        other = pvattest(*verify[:-1], "00" * 64, "--allow-root", snp["root_certificate"])
        self.assertEqual(other.returncode, 1, other.stdout + other.stderr)

        # ATTESTATION_REPORT: VMPL at 0x30, REPORT_DATA at 0x50, MEASUREMENT at 0x90.
        self.assertEqual(int.from_bytes(report[0x30:0x34], "little"), 2)
        self.assertEqual(report[0x50:0x90], REPORT_DATA)
        measured = json.loads(pvattest("measure", "--firmware", FIRMWARE, "--guest", image,
                                       "--guest-cmdline", "tee=sev-snp", "--memory", "64",
                                       "--cmdline", "attest-selftest", "--json").stdout)
        self.assertEqual(report[0x90:0xC0].hex(), measured["snp_launch_digest"])
        self.assertEqual(a.ok("get", "snpreq")["measurement"]["snp_launch_digest"],
                         measured["snp_launch_digest"])
        # No key byte reaches the log: the page's keys are not printed (only its address).
        self.assertNotIn("VMPCK2 ", log.replace("(VMPCK2, VMPCK3)", ""))

    def test_altered_request_is_refused_and_vmpck2_is_wiped(self):
        a = self.agent
        _, p, log = self.run_snp_to_stop("snpflip", "tee=sev-snp flip")
        self.assertIn("the altered request was refused", log)
        self.assertIn("VMPCK2 wiped: the next request was refused too", log)
        self.assertIn("SNP guest request", log)  # the paravisor reported the refusals
        # The guest ended through its own EXIT (code 70), the paravisor still serving it.
        self.assertIn("code 0x46", log, log[-4000:])
        self.assertNotIn("REPORT-END", log)
        # Refused by the simulated SP for the reasons the README gives: the tag, then the wipe.
        agent_log = a.log()
        self.assertIn("authentication failed", agent_log)
        self.assertIn("VMPCK2 was wiped after an earlier failure", agent_log)


if __name__ == "__main__":
    unittest.main()
