"""A Linux guest through pv-agent/pvctl: the spec's linux_kernel_path / linux_initrd_path /
linux_append fields are validated, and `pvctl launch --kernel --initrd --append` boots Debian's
kernel under the paravisor to its initramfs's init, with the console arriving through the exit
proxy. The kernel path
comes from PV_LINUX_VMLINUZ (the CMake test fetches it first), the initramfs from
PV_LINUX_INITRAMFS; the agent harness is tests/agent's."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "agent"))
from agent_harness import FIRMWARE, INVALID_ARGUMENT, OK, PVCTL, AgentTestCase  # noqa: E402

VMLINUZ = os.environ.get("PV_LINUX_VMLINUZ", "")
INITRAMFS = os.environ.get("PV_LINUX_INITRAMFS", "")


class LinuxGuestThroughAgentTest(AgentTestCase):
    # The fetched kernel and the built initramfs are images too: their directories are allowed.
    image_dirs = tuple(os.path.dirname(p) for p in (VMLINUZ, INITRAMFS) if p)

    def setUp(self):
        for path, what in ((VMLINUZ, "PV_LINUX_VMLINUZ"), (INITRAMFS, "PV_LINUX_INITRAMFS")):
            self.assertTrue(path and os.path.exists(path), f"{what} not set or missing: {path}")
        super().setUp()

    def test_linux_fields_are_validated(self):
        cases = [
            (["--initrd", INITRAMFS], "spec.linux_initrd_path / spec.linux_append need"),
            (["--kernel", "/nonexistent/vmlinuz"], "spec.linux_kernel_path"),
            (["--kernel", VMLINUZ, "--initrd", "/nonexistent/i.cpio"], "spec.linux_initrd_path"),
            (["--kernel", VMLINUZ, "--guest", INITRAMFS], "mutually exclusive"),
            (["--kernel", VMLINUZ, "--append", "x" * 2048], "spec.linux_append is longer"),
            (["--kernel", VMLINUZ, "--guest-args", "a -- b"], "spec.guest_cmdline"),
        ]
        for extra, needle in cases:
            rc, _, err = self.agent.pvctl("create", "lx", "--firmware", FIRMWARE, *extra)
            self.assertEqual(rc, INVALID_ARGUMENT, (extra, err))
            self.assertIn(needle, err)
        got = self.agent.ok("create", "lx", "--firmware", FIRMWARE, "--kernel", VMLINUZ,
                            "--initrd", INITRAMFS, "--append", "console=ttyS0 a,b")
        self.assertEqual(got["spec"]["linux_append"], "console=ttyS0 a,b")
        self.assertTrue(got["spec"]["linux_kernel_path"].endswith(os.path.basename(VMLINUZ)))

    def test_debian_kernel_boots_to_init_with_its_console_through_the_exit_proxy(self):
        # The kernel boots to the initramfs's init, which prints its pv-init lines through ttyS0
        # and powers off (outcome `halted`); every line must have come through the proxy, the
        # comma in the append (ttyS0,115200) included.
        rc, final, err = self.agent.pvctl(
            "launch", "debian", "--firmware", FIRMWARE, "--memory", "512",
            "--cmdline", "guest_mem=256", "--kernel", VMLINUZ, "--initrd", INITRAMFS,
            "--append", "console=ttyS0,115200 panic=-1", timeout=540)
        console = subprocess.run([PVCTL, "--socket", self.agent.socket, "console", "debian"],
                                 capture_output=True, text=True, timeout=30)
        self.assertEqual(console.returncode, OK, console.stderr)
        out = console.stdout
        self.assertRegex(out, r"Linux version 6\.[0-9]+\.[0-9]+-[0-9]+-amd64")
        self.assertRegex(out, r"Command line: noapic pci=off reboot=t tsc_early_khz=[0-9]+ "
                              r"console=ttyS0,115200 panic=-1")
        for line in ("pv-init: hello from userspace through the console",
                     "pv-init: uname: ok", "pv-init: mount /proc: ok",
                     "pv-init: read /proc/cpuinfo: ok", "pv-init: getpid is 1: ok",
                     "pv-init: sleep 1 advanced time: ok", "pv-init: file and pipe syscalls: ok",
                     "pv-init: all checks passed, powering off", "reboot: System halted"):
            self.assertIn(line, out)
        self.assertRegex(out, r"pv-init: uname -r: 6\.[0-9]+\.[0-9]+-[0-9]+-amd64")
        self.assertRegex(out, r"pv-init: cpu flags: fpu .*")
        self.assertRegex(out, r"pv-init: sleep 1: monotonic clock advanced [0-9.]+ s")
        self.assertNotIn("FAIL", out)
        firmware = subprocess.run([PVCTL, "--socket", self.agent.socket, "console", "debian",
                                   "--firmware"], capture_output=True, text=True, timeout=30)
        self.assertIn("guest 0: stopped: halted", firmware.stdout)
        self.assertIn("1/1 guests ended as expected", firmware.stdout, err)


if __name__ == "__main__":
    unittest.main()
