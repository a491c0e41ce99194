"""Partition lifecycle through pvctl and a real pv-agent: every valid transition, every
invalid one (with the gRPC code and a message naming the state or field), two partitions at
once, and the event stream."""

import os
import struct
import unittest

from agent_harness import (ALREADY_EXISTS, FIRMWARE, INVALID_ARGUMENT, NOT_FOUND, OK,
                           UNAVAILABLE, WRONG_STATE, AgentTestCase, guest, processes_with)


class LifecycleTest(AgentTestCase):

    def test_every_transition_and_invalid_call(self):
        a = self.agent
        p = self.create_long_running("life")
        self.assertEqual(p["state"], "PARTITION_STATE_CREATED")

        # CREATED: stop is invalid, start is valid.
        rc, _, err = a.pvctl("stop", "life")
        self.assertEqual(rc, WRONG_STATE)
        self.assertIn("is CREATED", err)
        p = a.ok("start", "life")
        self.assertEqual(p["state"], "PARTITION_STATE_RUNNING")
        self.assertGreater(int(p["qemu_pid"]), 0)
        uuid = p["uuid"]
        self.assertEqual(len(processes_with(uuid)), 1)

        # RUNNING: start and (non-forced) delete are invalid.
        rc, _, err = a.pvctl("start", "life")
        self.assertEqual(rc, WRONG_STATE)
        self.assertIn("is RUNNING", err)
        rc, _, err = a.pvctl("delete", "life")
        self.assertEqual(rc, WRONG_STATE)
        self.assertIn("is RUNNING", err)

        # RUNNING -> STOPPING -> STOPPED (graceful: QMP quit).
        p = a.ok("stop", "life", "--grace-ms", "5000")
        self.assertEqual(p["state"], "PARTITION_STATE_STOPPED")
        self.assertEqual(p["qemu_pid"], "0")
        self.assertEqual(processes_with(uuid), [])
        rc, _, err = a.pvctl("stop", "life")
        self.assertEqual(rc, WRONG_STATE)
        self.assertIn("is STOPPED", err)

        # STOPPED -> RUNNING again, then a forced stop.
        p = a.ok("start", "life")
        self.assertEqual(p["state"], "PARTITION_STATE_RUNNING")
        p = a.ok("stop", "life", "--force")
        self.assertEqual(p["state"], "PARTITION_STATE_STOPPED")
        self.assertEqual(processes_with(uuid), [])

        # STOPPED -> deleted; afterwards everything is NOT_FOUND.
        a.ok("delete", "life")
        for args in (("get", "life"), ("start", "life"), ("stop", "life"),
                     ("delete", "life"), ("stats", "life")):
            rc, _, err = a.pvctl(*args)
            self.assertEqual(rc, NOT_FOUND, args)
            self.assertIn("'life' not found", err)
        self.assertFalse(os.path.exists(os.path.join(a.state, "partitions", "life")))

        # The event stream saw every state, in order.
        states = [e.get("state") for e in a.events("--partition", "life")
                  if e.get("type") in ("EVENT_TYPE_CREATED", "EVENT_TYPE_STATE_CHANGED")]
        self.assertEqual(states, [
            "PARTITION_STATE_CREATED", "PARTITION_STATE_STARTING", "PARTITION_STATE_RUNNING",
            "PARTITION_STATE_STOPPING", "PARTITION_STATE_STOPPED", "PARTITION_STATE_STARTING",
            "PARTITION_STATE_RUNNING", "PARTITION_STATE_STOPPING", "PARTITION_STATE_STOPPED"])

    def test_force_delete_of_running_partition_leaves_no_qemu(self):
        a = self.agent
        self.create_long_running("doomed")
        uuid = a.ok("start", "doomed")["uuid"]
        a.ok("delete", "doomed", "--force")
        self.assertEqual(processes_with(uuid), [])
        self.assertEqual(a.ok("list").get("partitions", []), [])

    def test_guest_that_finishes_is_stopped_with_success(self):
        a = self.agent
        rc, final, err = a.pvctl("launch", "hello", "--firmware", FIRMWARE,
                                 "--guest", guest("hello.bin"))
        self.assertEqual(rc, OK, err)
        self.assertEqual(final["state"], "PARTITION_STATE_STOPPED")
        self.assertTrue(final["exit"]["success"])
        self.assertEqual(final["exit"]["qemu_status"], 33)

    def test_guest_failure_is_reported_with_exit_code_8(self):
        a = self.agent
        # `expect=exit7` makes the paravisor report FAIL for a guest that exits 0.
        rc, final, _ = a.pvctl("launch", "unhappy", "--firmware", FIRMWARE,
                               "--guest", guest("hello.bin"), "--guest-args", "expect=exit7")
        self.assertEqual(rc, 8)
        self.assertFalse(final["exit"]["success"])
        # FAILED with the paravisor's account, not a raw QEMU status.
        self.assertEqual(final["state"], "PARTITION_STATE_FAILED")
        self.assertIn("guest failed: guest 0: stopped: exit0", final["failure_reason"])
        self.assertIn("PV-RESULT: FAIL", final["failure_reason"])

    def test_qemu_that_cannot_start_fails_the_partition_with_its_reason(self):
        a = self.agent
        a.terminate()
        a.start("--image-dir", self.tmp.name)
        junk = os.path.join(self.tmp.name, "junk.elf")
        with open(junk, "wb") as f:
            f.write(b"this is not a multiboot image" * 100)
        # Refused at create: no multiboot header.
        rc, _, err = a.pvctl("create", "broken", "--firmware", junk)
        self.assertEqual(rc, INVALID_ARGUMENT, err)
        self.assertIn("multiboot header", err)
        # A multiboot header (flags 0) in a file that is neither ELF nor a.out passes the
        # agent's check, and QEMU refuses to boot it.
        with open(junk, "wb") as f:
            f.write(struct.pack("<III", 0x1BADB002, 0, (-0x1BADB002) & 0xffffffff))
            f.write(b"this is not a kernel" * 100)
        a.ok("create", "broken", "--firmware", junk)
        rc, _, err = a.pvctl("start", "broken")
        self.assertEqual(rc, UNAVAILABLE, err)
        self.assertIn("starting QEMU failed", err)
        got = a.get("broken")
        self.assertEqual(got["state"], "PARTITION_STATE_FAILED")
        self.assertIn("starting QEMU failed", got["failure_reason"])
        self.assertEqual(got["qemu_pid"], "0")
        self.assertEqual(processes_with(got["uuid"]), [])
        # FAILED allows another start (which fails the same way) and delete.
        self.assertEqual(a.pvctl("start", "broken")[0], UNAVAILABLE)
        a.ok("delete", "broken")

    def test_invalid_arguments_name_the_field(self):
        a = self.agent
        cases = [
            (["create", "Bad Name!", "--firmware", FIRMWARE], INVALID_ARGUMENT, "spec.name"),
            (["create", "nofw", "--firmware", "/nonexistent/fw.elf"], INVALID_ARGUMENT,
             "spec.firmware_path"),
            (["create", "noguest", "--firmware", FIRMWARE, "--guest", "/nonexistent/g.bin"],
             INVALID_ARGUMENT, "spec.guest_image_path"),
            (["create", "cpus", "--firmware", FIRMWARE, "--vcpus", "99"], INVALID_ARGUMENT,
             "spec.vcpus"),
            (["create", "mem", "--firmware", FIRMWARE, "--memory", "1"], INVALID_ARGUMENT,
             "spec.memory_mib"),
            (["create", "snp", "--firmware", FIRMWARE, "--platform", "sev-snp"], UNAVAILABLE,
             "PLATFORM_SEV_SNP"),
        ]
        for args, code, needle in cases:
            rc, _, err = a.pvctl(*args)
            self.assertEqual(rc, code, (args, err))
            self.assertIn(needle, err, args)
        self.create("dup", guest("hello.bin"))
        rc, _, err = a.pvctl("create", "dup", "--firmware", FIRMWARE)
        self.assertEqual(rc, ALREADY_EXISTS)
        self.assertIn("'dup' already exists", err)
        self.assertEqual([p["spec"]["name"] for p in a.ok("list")["partitions"]], ["dup"])

    def test_two_partitions_run_at_once(self):
        a = self.agent
        self.create_long_running("one")
        self.create_long_running("two")
        p1 = a.ok("start", "one")
        p2 = a.ok("start", "two")
        self.assertNotEqual(p1["qemu_pid"], p2["qemu_pid"])
        listed = {p["spec"]["name"]: p["state"] for p in a.ok("list")["partitions"]}
        self.assertEqual(listed, {"one": "PARTITION_STATE_RUNNING",
                                  "two": "PARTITION_STATE_RUNNING"})
        a.ok("stop", "one", "--force")
        self.assertEqual(a.state_of("two"), "PARTITION_STATE_RUNNING")
        a.ok("stop", "two", "--force")
        self.assertEqual(processes_with(p1["uuid"]) + processes_with(p2["uuid"]), [])

    def test_events_resume_after_a_sequence_number(self):
        a = self.agent
        self.create("ev", guest("hello.bin"))
        first = a.events()
        self.assertGreaterEqual(len(first), 1)
        last = int(first[-1]["sequence"])
        a.ok("delete", "ev")
        later = a.events("--after", str(last))
        self.assertEqual([e["type"] for e in later], ["EVENT_TYPE_DELETED"])
        self.assertTrue(all(int(e["sequence"]) > last for e in later))

    def test_agent_exit_stops_its_partitions(self):
        a = self.agent
        self.create_long_running("orphan-check")
        uuid = a.ok("start", "orphan-check")["uuid"]
        self.assertEqual(a.terminate(), 0)
        self.assertEqual(processes_with(uuid), [])
        # A new agent lists it as stopped.
        a.start()
        self.assertEqual(a.state_of("orphan-check"), "PARTITION_STATE_STOPPED")

    def test_capabilities_report_svm_tcg(self):
        caps = self.agent.ok("capabilities")
        svm = [p for p in caps["platforms"] if p["platform"] == "PLATFORM_SVM_TCG"]
        self.assertEqual(len(svm), 1)
        self.assertTrue(svm[0]["available"])


if __name__ == "__main__":
    unittest.main()
