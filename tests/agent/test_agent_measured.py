"""Measured launch (tee = sev-snp | tdx) through the real pv-agent, pvctl, QEMU and paravisor:
the partition boots from the project's reset stub with the pages the agent wrote, its guest
runs to success, GetPartition's measurement equals `pvattest measure` on the same files, and a
one-byte change in the firmware or the guest changes both digests."""

import json
import os
import shutil
import subprocess
import unittest

from agent_harness import FIRMWARE, AgentTestCase, guest

PVATTEST = os.environ.get("PVATTEST_BIN", "")


def pvattest_measure(firmware, guest_image, *extra):
    out = subprocess.run([PVATTEST, "measure", "--firmware", firmware, "--guest", guest_image,
                          "--json", *extra], check=True, capture_output=True, text=True,
                         timeout=60).stdout
    return json.loads(out)


class MeasuredLaunchTest(AgentTestCase):

    def run_measured(self, name, tee):
        a = self.agent
        a.ok("create", name, "--firmware", FIRMWARE, "--guest", guest("hello.bin"),
             "--tee", tee, "--memory", "64")
        a.ok("start", name)
        p = a.wait_state(name, ["PARTITION_STATE_STOPPED", "PARTITION_STATE_FAILED"], timeout=60)
        self.assertEqual(p["state"], "PARTITION_STATE_STOPPED", a.log())
        self.assertTrue(p["exit"].get("success"), p)
        with open(p["firmware_log_path"]) as f:
            log = f.read()
        self.assertIn("PV-RESULT: PASS", log)
        # No SeaBIOS ran: the paravisor assigned the ivshmem BARs itself and the proxy attached.
        self.assertIn("exit proxy: attached", log)
        return p

    def test_snp_and_tdx_measurement_equal_pvattest_measure(self):
        # The agent adds tee=tdx to a tdx partition's paravisor command line (and measures it).
        expected_by_tee = {
            "sev-snp": pvattest_measure(FIRMWARE, guest("hello.bin"), "--memory", "64"),
            "tdx": pvattest_measure(FIRMWARE, guest("hello.bin"), "--memory", "64",
                                    "--cmdline", "tee=tdx"),
        }
        self.assertNotEqual(expected_by_tee["sev-snp"]["tdx_mrtd"],
                            expected_by_tee["tdx"]["tdx_mrtd"])
        for tee in ("sev-snp", "tdx"):
            expected = expected_by_tee[tee]
            with self.subTest(tee=tee):
                p = self.run_measured(f"m-{tee}", tee)
                m = p["measurement"]
                self.assertEqual(m["snp_launch_digest"], expected["snp_launch_digest"])
                self.assertEqual(m["tdx_mrtd"], expected["tdx_mrtd"])
                self.assertEqual(int(m["pages"]), expected["pages"])
                self.assertIn("simulated", m["platform"])
        # The simulated personalities are listed, clearly labelled, with the exported roots.
        caps = self.agent.ok("capabilities")
        tees = {t["tee"]: t for t in caps["simulated_tees"]}
        self.assertIn("not a trust anchor", tees["TEE_SEV_SNP"]["name"])
        self.assertIn("not a trust anchor", tees["TEE_TDX"]["name"])
        for key in ("root_certificate", "chain", "vcek"):
            self.assertTrue(os.path.isfile(tees["TEE_SEV_SNP"][key]), key)

    def flipped_copy(self, src, offset, label):
        copy = os.path.join(self.tmp.name, f"changed-{label}.bin")
        shutil.copyfile(src, copy)
        with open(copy, "r+b") as f:
            f.seek(offset)
            b = f.read(1)
            f.seek(offset)
            f.write(bytes([b[0] ^ 1]))
        return copy

    def test_one_byte_changes_the_measurement(self):
        base = pvattest_measure(FIRMWARE, guest("hello.bin"))
        with open(FIRMWARE, "rb") as f:
            image = f.read()
        # The paravisor's first code bytes follow its 32-byte multiboot header.
        header = image.index(bytes.fromhex("02b0ad1b"))
        changed_fw = self.flipped_copy(FIRMWARE, header + 40, "firmware")
        changed_guest = self.flipped_copy(guest("hello.bin"), os.path.getsize(guest("hello.bin")) // 2,
                                          "guest")
        for which, args in (("firmware", (changed_fw, guest("hello.bin"))),
                            ("guest", (FIRMWARE, changed_guest))):
            with self.subTest(file=which):
                changed = pvattest_measure(*args)
                self.assertNotEqual(changed["snp_launch_digest"], base["snp_launch_digest"])
                self.assertNotEqual(changed["tdx_mrtd"], base["tdx_mrtd"])
        # ELF bytes the multiboot header does not load (symbols, debug info) are not placed in
        # memory, so they are not measured: flipping the last byte of the file changes nothing.
        unloaded = self.flipped_copy(FIRMWARE, len(image) - 1, "unloaded")
        self.assertEqual(pvattest_measure(unloaded, guest("hello.bin")), base)

if __name__ == "__main__":
    unittest.main()
