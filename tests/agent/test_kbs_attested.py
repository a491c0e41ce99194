"""The attested launch end to end (label kbs): real pv-agent, pvctl, QEMU, paravisor and
pv-kbs; the SIMULATED AMD-SP's root admitted explicitly by the KBS. The guest gets its secret
only after the KBS verified the partition's evidence, and every failure ends with the guest
holding no secret, a reason in the KBS's decision log, the guest's own status line, and the
partition's attestation state in `pvctl get`."""

import hashlib
import os
import socket
import unittest

from agent_harness import FIRMWARE, PARTITION_FAILED
from kbs_harness import DEMO_GUEST, RESOURCE, AttestedTestCase, measure


def flip_byte(src, dst, marker):
    """Copies `src` to `dst` with one bit of the first byte of `marker` (a string in the
    image, so the image still runs) flipped; the launch measurement changes."""
    with open(src, "rb") as f:
        data = bytearray(f.read())
    at = data.find(marker)
    assert at >= 0, marker
    data[at] ^= 0x01
    with open(dst, "wb") as f:
        f.write(data)
    return dst


class GoodPathTest(AttestedTestCase):
    def test_snp_guest_gets_the_secret_after_verification(self):
        self.start_agent()
        m = measure(FIRMWARE, DEMO_GUEST, [RESOURCE])
        kbs = self.start_kbs(m)
        rc, doc, err = self.launch("good", kbs.url)
        self.assertEqual(rc, 0, f"{err}\n{doc}\nfirmware:\n{self.firmware_log('good')}")
        timeline = doc["timeline"]
        digest = hashlib.sha256(self.secret).hexdigest()
        self.assertEqual(timeline["guest_sha256"], digest)
        self.assertTrue(timeline["confirmed"])
        self.assertEqual(timeline["verdict"], "accept")
        self.assertEqual(timeline["launch_measurement"], m)
        self.assertIn("not a trust anchor", timeline["platform"])
        steps = {s["step"]: s for s in timeline["steps"]}
        self.assertEqual(len(steps), 6, steps)
        self.assertTrue(all(s["at_ms"] >= 0 for s in timeline["steps"]), steps)
        self.assertIn("attested launch timeline", err)
        # pvctl get: the relay's view (state, verdict, checks from the KBS's token).
        a = self.agent.get("good")["attestation"]
        self.assertEqual(a["state"], "released")
        self.assertEqual(a["verdict"], "accept")
        self.assertEqual(a["measurement"], m)
        self.assertEqual(a["checks"]["signature"], "ok")
        self.assertEqual(a["checks"]["report_data_binding"], "match")
        self.assertEqual(a["resources_released"], 1)
        # The KBS decided with the configured (simulated) root and logged why.
        attest = [d for d in kbs.decisions() if d.get("event") == "attest"]
        self.assertEqual(attest[-1]["outcome"], "allow", attest)
        self.assertEqual(attest[-1]["root"], "configured-non-vendor-root")
        # The paravisor handed the secret over once and wiped its copy; no secret in any log.
        fw = self.firmware_log("good")
        self.assertIn("handed to the guest; the paravisor's copy is wiped", fw)
        self.assertIn("tee key wiped", fw)
        for text in (fw, self.console("good"), kbs.output(), self.agent.log()):
            self.assertNotIn(self.secret.hex(), text)


class ChangedImageTest(AttestedTestCase):
    def test_one_byte_in_the_guest_or_the_firmware_is_refused(self):
        self.start_agent()
        m = measure(FIRMWARE, DEMO_GUEST, [RESOURCE])
        kbs = self.start_kbs(m)
        guest = flip_byte(DEMO_GUEST, os.path.join(self.images, "secret_demo.bin"),
                          b"asking the paravisor")
        firmware = flip_byte(FIRMWARE, os.path.join(self.images, "paravisor.elf"),
                             b"tee key wiped")
        for name, fw, g in (("guest-byte", FIRMWARE, guest), ("fw-byte", firmware, DEMO_GUEST)):
            with self.subTest(name=name):
                rc, doc, err = self.launch(name, kbs.url, firmware=fw, guest_image=g)
                self.assertEqual(rc, PARTITION_FAILED, err)
                self.assertNotEqual(doc["timeline"]["launch_measurement"], m)
                p = self.assert_no_secret(
                    name, "GET_SECRET denied by the KBS, reason 0x0000000000000001", kbs,
                    "reject:measurement-not-allowed")
                self.assertEqual(p["attestation"]["state"], "denied")
                self.assertIn("VerificationFailed", p["attestation"]["reason"])
                self.assertIn("HTTP 401", self.firmware_log(name))


class PolicyTest(AttestedTestCase):
    def test_debug_partition_is_refused(self):
        self.start_agent()
        m = measure(FIRMWARE, DEMO_GUEST, [RESOURCE])
        kbs = self.start_kbs(m)
        rc, _, err = self.launch("debug", kbs.url, extra=("--debug",))
        self.assertEqual(rc, PARTITION_FAILED, err)
        p = self.assert_no_secret("debug", "GET_SECRET denied by the KBS, reason 0x0000000000000001",
                                  kbs, "debug")
        self.assertEqual(p["attestation"]["state"], "denied")

    def test_resource_the_policy_does_not_grant(self):
        self.start_agent()
        m = measure(FIRMWARE, DEMO_GUEST, [RESOURCE])
        kbs = self.start_kbs(m, grants=("default/key/other",))
        rc, _, err = self.launch("ungranted", kbs.url)
        self.assertEqual(rc, PARTITION_FAILED, err)
        # Attestation itself succeeded; the release was refused (reason 2: not granted).
        p = self.assert_no_secret("ungranted",
                                  "GET_SECRET denied by the KBS, reason 0x0000000000000002", kbs,
                                  "resource-not-granted")
        self.assertEqual(p["attestation"]["verdict"], "accept")
        self.assertEqual(p["attestation"]["state"], "denied")
        self.assertIn("PolicyDeny", p["attestation"]["reason"])

    def test_kbs_not_running(self):
        self.start_agent()
        with socket.socket() as s:  # a port nothing listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        rc, _, err = self.launch("nokbs", f"http://127.0.0.1:{port}")
        self.assertEqual(rc, PARTITION_FAILED, err)
        p = self.assert_no_secret("nokbs", "GET_SECRET unavailable, reason 0x0000000000000002")
        self.assertEqual(p["attestation"]["state"], "unavailable")
        self.assertIn("unreachable", p["attestation"]["reason"])
        self.assertIn("the KBS is unreachable", self.firmware_log("nokbs"))


class RelayTamperingTest(AttestedTestCase):
    """The host relay's TEST FAULT INJECTOR (pv-agent --test-fault-kbs-relay) flips one bit."""

    def run_tampered(self, fault):
        self.start_agent("--test-fault-kbs-relay", fault)
        self.assertIn("TEST FAULT INJECTOR", self.agent.log())
        m = measure(FIRMWARE, DEMO_GUEST, [RESOURCE])
        kbs = self.start_kbs(m)
        rc, _, err = self.launch(fault, kbs.url)
        self.assertEqual(rc, PARTITION_FAILED, err)
        return kbs

    def test_flipped_evidence(self):
        kbs = self.run_tampered("flip-evidence")
        p = self.assert_no_secret("flip-evidence",
                                  "GET_SECRET denied by the KBS, reason 0x0000000000000001", kbs,
                                  "signature=fail")
        self.assertEqual(p["attestation"]["state"], "denied")

    def test_flipped_runtime_data(self):
        kbs = self.run_tampered("flip-runtime-data")
        reasons = [d.get("reason", "") for d in kbs.decisions() if d.get("event") == "attest"]
        self.assertEqual(len(reasons), 1, reasons)
        self.assertTrue("nonce" in reasons[0] or "report-data" in reasons[0], reasons)
        p = self.assert_no_secret("flip-runtime-data",
                                  "GET_SECRET denied by the KBS, reason 0x0000000000000001")
        self.assertEqual(p["attestation"]["state"], "denied")

    def test_evidence_of_another_partition(self):
        self.start_agent("--test-fault-kbs-relay", "other-partition-evidence")
        m = measure(FIRMWARE, DEMO_GUEST, [RESOURCE])
        kbs = self.start_kbs(m)
        # The first partition's attest request passes unchanged (and is remembered) ...
        rc, _, err = self.launch("first", kbs.url)
        self.assertEqual(rc, 0, err)
        # ... the second one carries the first one's (genuine, verifying) evidence instead of
        # its own: bound to another nonce and key, so the KBS refuses it.
        rc, _, err = self.launch("second", kbs.url)
        self.assertEqual(rc, PARTITION_FAILED, err)
        self.assertIn("carries partition 'first''s evidence", self.agent.log())
        p = self.assert_no_secret("second",
                                  "GET_SECRET denied by the KBS, reason 0x0000000000000001", kbs,
                                  "report-data")
        self.assertEqual(p["attestation"]["state"], "denied")

    def test_flipped_jwe(self):
        kbs = self.run_tampered("flip-jwe")
        # The KBS released (to the paravisor's key); the tampered JWE does not open in the
        # paravisor, so nothing reaches the guest (unavailable, reason 4: unusable answer).
        p = self.assert_no_secret("flip-jwe", "GET_SECRET unavailable, reason 0x0000000000000004",
                                  kbs, "released as JWE")
        self.assertIn("the JWE does not open: jwe: content authentication failed",
                      self.firmware_log("flip-jwe"))
        self.assertEqual(p["attestation"]["resources_released"], 1)


if __name__ == "__main__":
    unittest.main()
