"""Encrypted-state guests (tee=sev-es / tee=tdx) reaching the agent's test device: GHCB MMIO and
IOIO events and TDG.VP.VMCALL MMIO and IO requests, served by the paravisor through the exit
proxy like any other exit (README "GHCB and GHCI")."""

import unittest

from agent_harness import FIRMWARE, OK, AgentTestCase, agent_guest


class EncryptedStateDeviceTest(AgentTestCase):

    def run_probe(self, name, image, tee, done_line):
        a = self.agent
        rc, final, err = a.pvctl("launch", name, "--firmware", FIRMWARE, "--guest",
                                 agent_guest(image), "--guest-args", f"tee={tee}")
        self.assertEqual(rc, OK, err + a.log())
        self.assertTrue(final["exit"]["success"], err)
        self.assertIn(done_line, err)
        stats = a.ok("stats", name)
        self.assertEqual(stats["proxy_errors"], "0")
        self.assertGreaterEqual(int(stats["proxied_exits"]), 4)

    def test_ghcb_mmio_and_ioio_reach_the_agents_device(self):
        self.run_probe("ghcb", "ghcb_device_probe.bin", "sev-es",
                       "test device answered through GHCB MMIO and IOIO events")

    def test_ghci_mmio_and_io_reach_the_agents_device(self):
        self.run_probe("ghci", "tdx_device_probe.bin", "tdx",
                       "test device answered through GHCI MMIO and IO")


if __name__ == "__main__":
    unittest.main()
