"""The attested launch with the TDX personality (label kbs): a tee=tdx partition attests with
a TDX quote from the SIMULATED TDX quoting enclave, verified by pv-kbs against the simulated
Intel-shaped root and collateral the agent exports (given to the KBS explicitly), and its guest
gets the secret. The partition is created without any paravisor command line: the agent adds
(and measures) `tee=tdx` itself, so the reference MRTD is that of "tee=tdx kbs=<resource>"."""

import hashlib
import unittest

from agent_harness import FIRMWARE, wait_until
from kbs_harness import DEMO_GUEST, RESOURCE, AttestedTestCase, Kbs, measure


class TdxGoodPathTest(AttestedTestCase):
    def test_tdx_guest_gets_the_secret_after_verification(self):
        self.start_agent("--init-simulated-sp")
        caps = self.agent.ok("capabilities")
        tdx = wait_until(
            lambda: next((t for t in self.agent.ok("capabilities")["simulated_tees"]
                          if t["tee"] == "TEE_TDX" and t.get("root_certificate")), None),
            timeout=120, what="the simulated TDX hierarchy")
        self.assertIn("not a trust anchor", tdx["name"], caps)
        mrtd = measure(FIRMWARE, DEMO_GUEST, [RESOURCE], tee="tdx", cmdline="tee=tdx")
        kbs = Kbs(self.tmp.name, tdx_root=tdx["root_certificate"],
                  tdx_collateral=tdx["collateral_dir"])
        self.addCleanup(kbs.stop)
        kbs.set_policy({"attestation": {"tdx": {"mr_td": [mrtd]}},
                        "resources": [{"path": RESOURCE, "tees": ["tdx"]}]})
        kbs.set_resource(RESOURCE, self.secret)
        rc, doc, err = self.launch("tdx-good", kbs.url, tee="tdx")
        self.assertEqual(rc, 0, f"{err}\n{doc}\n{self.firmware_log('tdx-good')}")
        self.assertEqual(doc["timeline"]["guest_sha256"], hashlib.sha256(self.secret).hexdigest())
        a = self.agent.get("tdx-good")["attestation"]
        self.assertEqual((a["state"], a["verdict"]), ("released", "accept"))
        self.assertEqual(a["measurement"], mrtd)


if __name__ == "__main__":
    unittest.main()
