"""`pvctl attest` through the real pv-agent, QEMU and paravisor: the request reaches the running
paravisor (which polls for it at its exits) and its answer comes back. A plain (tee = none)
partition has no secrets page and no secure processor, so the paravisor's answer here is its clear
"attestation unavailable" error; evidence from the simulated AMD-SP of a tee=sev-snp partition is
covered by agent_e2e_simulated_attest, the firmware side by fwattest_qemu_tests."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "agent"))
from agent_harness import (AgentTestCase, NOT_FOUND, UNAVAILABLE, USAGE, WRONG_STATE,  # noqa: E402
                           agent_guest)


class PvctlAttestTest(AgentTestCase):
    def test_attest_reaches_the_running_paravisor(self):
        a = self.agent
        self.create("att", agent_guest("proxy_ticker.bin"))
        a.ok("start", "att")
        rc, _, err = a.pvctl("--timeout", "30", "attest", "att", "--report-data", "ab" * 64)
        self.assertEqual(rc, UNAVAILABLE, err)
        self.assertIn("the paravisor could not produce evidence (error -95", err)
        with open(os.path.join(a.state, "partitions", "att", "firmware.log")) as f:
            firmware = f.read()
        self.assertIn("attest: host agent request 1: no evidence", firmware)
        # A second request is served too (the paravisor keeps polling).
        rc, _, err = a.pvctl("--timeout", "30", "attest", "att")
        self.assertEqual(rc, UNAVAILABLE, err)
        a.ok("stop", "att", "--force")
        rc, _, err = a.pvctl("attest", "att")
        self.assertEqual(rc, WRONG_STATE, err)
        self.assertIn("AttestPartition needs RUNNING", err)

    def test_bad_arguments(self):
        a = self.agent
        rc, _, err = a.pvctl("attest", "nothere")
        self.assertEqual(rc, NOT_FOUND, err)
        rc, _, err = a.pvctl("attest", "x", "--report-data", "abc")
        self.assertEqual(rc, USAGE, err)
        self.assertIn("128 hex digits", err)
        rc, _, err = a.pvctl("attest", "x", "--report-data", "zz" * 64)
        self.assertEqual(rc, USAGE, err)


if __name__ == "__main__":
    unittest.main()
