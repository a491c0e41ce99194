"""The exit proxy end to end: guest -> paravisor -> shared-memory rings -> pv-agent -> back.
Console output arriving through the proxy, the agent's device models, statistics, malformed
messages written into the ring by the paravisor's self-test mode, and the proxy surviving an
agent restart."""

import os
import subprocess
import time
import unittest

from agent_harness import (FIRMWARE, OK, PVCTL, AgentTestCase, agent_guest, guest,
                           processes_with, wait_until)


class ExitProxyTest(AgentTestCase):

    def launch(self, name, image, *extra):
        rc, final, err = self.agent.pvctl("launch", name, "--firmware", FIRMWARE,
                                          "--guest", image, *extra)
        return rc, final, err

    def console(self, name, *extra):
        r = subprocess.run([PVCTL, "--socket", self.agent.socket, "console", name, *extra],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, OK, r.stderr)
        return r.stdout

    def test_guest_console_and_devices_go_through_the_agent(self):
        a = self.agent
        rc, final, err = self.launch("probe", agent_guest("proxy_probe.bin"))
        self.assertEqual(rc, OK, err + a.log())
        self.assertTrue(final["exit"]["success"])
        # `launch --json` streams the console to stderr: it came through the exit proxy.
        self.assertIn("test device answered through the exit proxy", err)
        console = self.console("probe")
        self.assertIn("proxy probe: reading the agent's test device\n", console)
        # Written to COM2, which only the agent's console device serves.
        self.assertIn("this line went through the agent's COM2 device\n", console)
        self.assertIn("proxy probe: done\n", console)
        # The paravisor's own log is separate and does not contain the COM2 line.
        firmware = self.console("probe", "--firmware")
        self.assertIn("exit proxy: attached, protocol version 1", firmware)
        self.assertNotIn("agent's COM2 device", firmware)
        # A resumed read from an offset returns the rest only.
        self.assertEqual(self.console("probe", "--offset", "10"), console[10:])

        stats = a.ok("stats", "probe")
        self.assertGreaterEqual(int(stats["proxy_round_trips"]), 1000)
        self.assertEqual(stats["proxy_errors"], "0")
        self.assertGreaterEqual(int(stats["doorbells_received"]), 1)
        reasons = {c["reason_name"]: int(c["count"]) for c in stats["exits_by_reason"]}
        self.assertGreaterEqual(reasons.get("io", 0), 2000)
        self.assertGreaterEqual(int(stats["proxied_exits"]), 1000)
        self.assertTrue(final["exit"]["guest_reported"], "GuestStopped arrived via the proxy")

    def test_guest_mmio_goes_through_the_agent(self):
        # Nested page faults in the MMIO window: decoded by the paravisor, served by the agent's
        # test device, completed in the guest's registers (the guest checks widths itself).
        a = self.agent
        rc, final, err = self.launch("mmio", agent_guest("mmio_probe.bin"))
        self.assertEqual(rc, OK, err + a.log())
        self.assertTrue(final["exit"]["success"])
        self.assertIn("test device answered through MMIO and the exit proxy", err)
        stats = a.ok("stats", "mmio")
        self.assertGreaterEqual(int(stats["proxy_round_trips"]), 8)
        self.assertEqual(stats["proxy_errors"], "0")
        reasons = {c["reason_name"]: int(c["count"]) for c in stats["exits_by_reason"]}
        self.assertEqual(reasons.get("nested_page_fault", 0), 8)  # the guest makes 8 accesses

    def test_mmio_outside_any_device_still_stops_the_guest(self):
        # The NPT isolation guest writes just past its RAM: not in the MMIO window, so never
        # forwarded, even with an agent attached.
        a = self.agent
        rc, final, err = self.launch("npt", guest("npt.bin"), "--guest-args", "expect=npf")
        firmware = self.console("npt", "--firmware")
        self.assertIn("npf: guest 0 write at GPA 0x1001000 outside its memory", firmware)
        self.assertIn("guest 0: stopped: npf", firmware)

    def test_suppress_console_policy_keeps_guest_output_off_the_host(self):
        rc, final, err = self.launch("quiet", agent_guest("proxy_probe.bin"), "--no-console")
        self.assertEqual(rc, OK, err)
        self.assertTrue(final["spec"]["policy"]["suppress_console"])
        self.assertEqual(self.console("quiet"), "")
        self.assertNotIn("proxy probe", err)

    def test_console_can_be_followed_while_the_partition_runs(self):
        a = self.agent
        self.create("ticker", agent_guest("proxy_ticker.bin"))
        a.ok("start", "ticker")
        follower = subprocess.Popen(
            [PVCTL, "--socket", a.socket, "console", "ticker", "--follow"],
            stdout=subprocess.PIPE, text=True)
        try:
            lines = []
            deadline = time.monotonic() + 30
            while len(lines) < 3 and time.monotonic() < deadline:
                line = follower.stdout.readline()
                if line.startswith("tick"):
                    lines.append(line.strip())
            self.assertEqual(lines, ["tick 0001", "tick 0002", "tick 0003"])
            a.ok("stop", "ticker", "--force")
            # The stream ends by itself once the partition stopped.
            self.assertEqual(follower.wait(timeout=15), 0)
        finally:
            if follower.poll() is None:
                follower.kill()

    def test_malformed_ring_messages_are_rejected_and_other_partitions_keep_working(self):
        a = self.agent
        self.create("garbage", guest("hello.bin"), None, "--cmdline",
                    "proxy-selftest=malformed")
        self.create("ticker", agent_guest("proxy_ticker.bin"))
        a.ok("start", "ticker")
        rc, final, err = self.launch("probe-next-door", agent_guest("proxy_probe.bin"))
        a.ok("start", "garbage")
        bad = a.wait_state("garbage", ("PARTITION_STATE_STOPPED", "PARTITION_STATE_FAILED"))
        # The paravisor's self-test passes only if every malformed message got an Error back.
        self.assertEqual(bad["state"], "PARTITION_STATE_STOPPED", bad)
        self.assertTrue(bad["exit"]["success"], self.console("garbage", "--firmware"))
        firmware = self.console("garbage", "--firmware")
        self.assertIn("8 malformed messages rejected, channel still serves requests", firmware)
        errors = [e for e in a.events("--partition", "garbage")
                  if e["type"] == "EVENT_TYPE_PROXY_ERROR"]
        self.assertEqual(len(errors), 8)
        details = " | ".join(e["detail"] for e in errors)
        for needle in ("failed flatbuffers verification", "unknown message type 200",
                       "must not be sent to the agent", "does not match its ring"):
            self.assertIn(needle, details)
        self.assertIn("exit proxy rejected a message", a.log())
        self.assertEqual(int(a.ok("stats", "garbage")["proxy_errors"]), 8)
        # Meanwhile the other partitions were served normally.
        self.assertEqual(rc, OK, err)
        self.assertTrue(final["exit"]["success"])
        self.assertEqual(a.state_of("ticker"), "PARTITION_STATE_RUNNING")
        self.assertIn("tick", self.console("ticker"))
        a.ok("stop", "ticker", "--force")

    def test_exit_proxy_keeps_serving_after_agent_kill9_and_restart(self):
        a = self.agent
        self.create("ticker", agent_guest("proxy_ticker.bin"))
        p = a.ok("start", "ticker")
        wait_until(lambda: "tick 0002" in self.console("ticker"), what="two ticks")
        a.kill9()
        a.start()
        self.assertEqual(a.state_of("ticker"), "PARTITION_STATE_RUNNING")
        self.assertEqual(processes_with(p["uuid"]), [int(p["qemu_pid"])])
        before = self.console("ticker").count("tick")
        # Proxied reads go on (polling mode): new ticks keep arriving, none says "no agent"
        # beyond the ones from the window without an agent.
        wait_until(lambda: self.console("ticker").count("tick") >= before + 2, timeout=30,
                   what="ticks after the restart")
        a.ok("stop", "ticker", "--force")

    def test_proxy_counters_continue_after_agent_kill9_and_restart(self):
        # Issue 13 item 12: the counters used to start from 0 in the re-attached agent.
        a = self.agent
        self.create("ticker", agent_guest("proxy_ticker.bin"))
        a.ok("start", "ticker")
        wait_until(lambda: int(a.ok("stats", "ticker").get("total_exits", "0")) > 0, timeout=60,
                   what="the paravisor's first statistics")
        # Paused: no exits while the agent is away, so every counter must come back unchanged.
        a.ok("pause", "ticker")
        before = a.ok("stats", "ticker")
        a.kill9()
        a.start()
        self.assertEqual(a.state_of("ticker"), "PARTITION_STATE_PAUSED")
        after = a.ok("stats", "ticker")
        self.assertGreater(int(before["proxy_round_trips"]), 1000, before)
        for key in ("proxy_round_trips", "proxy_notifications", "proxy_errors", "total_exits",
                    "proxied_exits", "console_bytes", "doorbells_received"):
            self.assertEqual(after.get(key, "0"), before.get(key, "0"), key)
        self.assertEqual(after.get("exits_by_reason"), before.get("exits_by_reason"))
        a.ok("resume", "ticker")
        wait_until(lambda: int(a.ok("stats", "ticker")["proxy_round_trips"]) >=
                   int(before["proxy_round_trips"]) + 1000, timeout=30,
                   what="the round trips to continue from the previous agent's count")
        a.ok("stop", "ticker", "--force")


if __name__ == "__main__":
    unittest.main()
