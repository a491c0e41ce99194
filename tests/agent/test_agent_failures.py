"""The agent under failure: killed with SIGKILL and restarted (partitions re-attached, no
duplicate QEMU), and QEMU killed behind its back (partition FAILED with a reason and an
event)."""

import os
import signal
import time
import unittest

from agent_harness import AgentTestCase, processes_with, wait_until


class FailureTest(AgentTestCase):

    def test_kill9_agent_then_restart_reattaches_running_partitions(self):
        a = self.agent
        self.create_long_running("survivor")
        self.create("idle", None)
        p = a.ok("start", "survivor")
        pid, uuid = int(p["qemu_pid"]), p["uuid"]
        before = int(a.events()[-1]["sequence"])

        a.kill9()
        # QEMU lives on without the agent.
        time.sleep(0.3)
        self.assertEqual(processes_with(uuid), [pid])

        a.start()
        got = a.get("survivor")
        self.assertEqual(got["state"], "PARTITION_STATE_RUNNING")
        self.assertEqual(int(got["qemu_pid"]), pid)
        self.assertEqual(processes_with(uuid), [pid], "no duplicate QEMU after re-attach")
        self.assertEqual(a.state_of("idle"), "PARTITION_STATE_CREATED")
        events = a.events("--after", str(before))
        self.assertIn("EVENT_TYPE_REATTACHED", [e["type"] for e in events])
        # Event numbering continues across the restart.
        self.assertTrue(all(int(e["sequence"]) > before for e in events))

        # The re-attached partition is fully manageable.
        stopped = a.ok("stop", "survivor", "--grace-ms", "3000")
        self.assertEqual(stopped["state"], "PARTITION_STATE_STOPPED")
        self.assertEqual(processes_with(uuid), [])

    def test_graceful_exit_can_leave_partitions_for_the_next_agent(self):
        a = self.agent
        a.terminate()
        a.start("--keep-partitions-on-exit")
        self.create_long_running("upgrade")
        p = a.ok("start", "upgrade")
        self.assertEqual(a.terminate(), 0)
        self.assertEqual(processes_with(p["uuid"]), [int(p["qemu_pid"])])
        a.start()
        self.assertEqual(a.get("upgrade")["qemu_pid"], p["qemu_pid"])
        self.assertEqual(a.state_of("upgrade"), "PARTITION_STATE_RUNNING")
        a.ok("stop", "upgrade", "--force")
        self.assertEqual(processes_with(p["uuid"]), [])

    def test_partition_that_ended_while_agent_was_down_is_failed(self):
        a = self.agent
        self.create_long_running("lost")
        p = a.ok("start", "lost")
        a.kill9()
        os.kill(int(p["qemu_pid"]), signal.SIGKILL)
        wait_until(lambda: not processes_with(p["uuid"]), what="QEMU to die")
        a.start()
        got = a.get("lost")
        self.assertEqual(got["state"], "PARTITION_STATE_FAILED")
        self.assertIn("ended while the agent was not running", got["failure_reason"])

    def test_qemu_killed_behind_the_agent_fails_the_partition(self):
        a = self.agent
        self.create_long_running("victim")
        self.create_long_running("bystander")
        p = a.ok("start", "victim")
        a.ok("start", "bystander")
        os.kill(int(p["qemu_pid"]), signal.SIGKILL)
        failed = a.wait_state("victim", "PARTITION_STATE_FAILED")
        self.assertIn("killed by signal 9", failed["failure_reason"])
        self.assertEqual(failed["exit"]["signal"], 9)
        events = [e for e in a.events("--partition", "victim")
                  if e.get("state") == "PARTITION_STATE_FAILED"]
        self.assertEqual(len(events), 1)
        self.assertIn("signal 9", events[0]["detail"])
        # The other partition is untouched and the failed one can be started again.
        self.assertEqual(a.state_of("bystander"), "PARTITION_STATE_RUNNING")
        self.assertEqual(a.ok("start", "victim")["state"], "PARTITION_STATE_RUNNING")
        a.ok("stop", "victim", "--force")
        a.ok("stop", "bystander", "--force")


if __name__ == "__main__":
    unittest.main()
