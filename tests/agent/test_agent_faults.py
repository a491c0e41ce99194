"""The agent under faults and races (issue 13, items 5-12): a second agent on the same state,
a full state file system, corrupt state files, create/delete storms, a stalled log reader,
SIGHUP, a huge event log, and the smaller holes (cancelling a start, socket path limits,
echoed oversized fields, proxy error counters, "pid 0", unsupported vCPUs, non-multiboot
firmware)."""

import fcntl
import json
import os
import signal
import stat
import subprocess
import threading
import time
import unittest

from agent_harness import (AGENT, ERROR, FIRMWARE, INVALID_ARGUMENT, OK, WRONG_STATE, Agent,
                           AgentTestCase, agent_guest, guest, processes_with, wait_until)

RESOURCE_EXHAUSTED = 10  # pvctl exit code


class FaultTest(AgentTestCase):

    def test_05_second_agent_on_the_same_state_is_refused(self):
        other = Agent(self.tmp.name)
        other.socket = os.path.join(self.tmp.name, "second.sock")
        r = subprocess.run(other.command(), capture_output=True, text=True, timeout=20)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"pid {self.agent.proc.pid}", r.stderr)
        self.assertIn("in use by another pv-agent", r.stderr)
        self.assertTrue(os.path.exists(self.agent.socket))
        self.assertEqual(self.agent.pvctl("list")[0], OK)

    def test_06_full_state_file_system_is_resource_exhausted(self):
        self.agent.terminate()
        mnt = os.path.join(self.tmp.name, "small")
        os.mkdir(mnt)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt], check=True)
        try:
            self.full_disk(mnt)
        finally:
            self.agent.kill9()
            subprocess.run(["umount", "-l", mnt])

    def full_disk(self, mnt):
        self.agent.state = os.path.join(mnt, "state")
        self.agent.start()
        self.create_long_running("full")
        with open(os.path.join(mnt, "filler"), "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        rc, _, err = self.agent.pvctl("start", "full")
        self.assertEqual(rc, RESOURCE_EXHAUSTED, err)
        self.assertIn("No space left", err)
        self.assertIsNone(self.agent.proc.poll(), "the agent survives a full disk")
        got = self.agent.get("full")
        self.assertEqual(got["state"], "PARTITION_STATE_FAILED")
        self.assertEqual(got.get("qemu_pid", "0"), "0")
        os.unlink(os.path.join(mnt, "filler"))
        self.assertEqual(self.agent.ok("start", "full")["state"], "PARTITION_STATE_RUNNING")
        self.agent.ok("stop", "full", "--force")

    def test_07_truncated_state_file_never_loses_a_running_qemu(self):
        a = self.agent
        self.create_long_running("keep")
        p = a.ok("start", "keep")
        pid, uuid = int(p["qemu_pid"]), p["uuid"]
        a.kill9()
        path = os.path.join(a.state, "partitions", "keep", "partition.json")
        with open(path, "r+") as f:
            f.truncate(os.path.getsize(path) // 2)
        a.start()
        got = a.get("keep")
        self.assertEqual(got["state"], "PARTITION_STATE_RUNNING", got)
        self.assertEqual(int(got["qemu_pid"]), pid)
        self.assertEqual(processes_with(uuid), [pid])
        rc, _, _ = a.pvctl("create", "keep", "--firmware", FIRMWARE)
        self.assertNotEqual(rc, OK, "re-creating the name must not start a second QEMU")
        # Both copies corrupt: the partition is quarantined (FAILED) and its QEMU stopped.
        a.kill9()
        for name in os.listdir(os.path.dirname(path)):
            if name.startswith("partition.json"):
                with open(os.path.join(os.path.dirname(path), name), "w") as f:
                    f.write("{\"spec\": {")
        a.start()
        got = a.get("keep")
        self.assertEqual(got["state"], "PARTITION_STATE_FAILED")
        self.assertIn("unreadable", got["failure_reason"])
        wait_until(lambda: not processes_with(uuid), what="the quarantined QEMU to be stopped")

    def test_07_loaded_spec_fields_are_validated_again(self):
        a = self.agent
        self.create_long_running("edited")
        a.terminate()
        pdir = os.path.join(a.state, "partitions", "edited")
        for name in os.listdir(pdir):
            if name.startswith("partition.json"):
                with open(os.path.join(pdir, name)) as f:
                    doc = json.load(f)
                doc["spec"]["memory_mib"] = 999999
                doc["spec"]["guest_image_path"] = "/etc/shadow"
                with open(os.path.join(pdir, name), "w") as f:
                    json.dump(doc, f)
        a.start()
        got = a.get("edited")
        self.assertEqual(got["state"], "PARTITION_STATE_FAILED")
        self.assertIn("spec.", got["failure_reason"])
        rc, _, err = a.pvctl("start", "edited")
        self.assertNotEqual(rc, OK)

    def test_08_create_delete_storm_is_atomic(self):
        a = self.agent
        codes = []
        lock = threading.Lock()

        def storm():
            for _ in range(15):
                for args in (("create", "storm", "--firmware", FIRMWARE), ("delete", "storm")):
                    rc, _, err = a.pvctl(*args)
                    with lock:
                        codes.append((rc, err.strip()))
        threads = [threading.Thread(target=storm) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertFalse([c for c in codes if c[0] == ERROR], "no INTERNAL errors")
        pdir = os.path.join(a.state, "partitions", "storm")
        if a.pvctl("get", "storm")[0] == OK:
            self.assertTrue(os.path.exists(os.path.join(pdir, "partition.json")))
        else:
            self.assertFalse(os.path.exists(pdir))
        self.assertEqual([n for n in os.listdir(os.path.dirname(pdir)) if n != "storm"], [])

    def test_09_stalled_log_reader_does_not_block_rpcs(self):
        self.agent.terminate()
        r, w = os.pipe()
        fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ: a small pipe nobody reads
        self.addCleanup(os.close, r)
        self.agent.start(stderr=w)
        os.close(w)
        for i in range(60):  # each create/delete logs lines: far more than the pipe holds
            rc, _, err = self.agent.pvctl("--timeout", "5", "create", f"n{i}", "--firmware",
                                          FIRMWARE)
            self.assertEqual(rc, OK, err)
            rc, _, err = self.agent.pvctl("--timeout", "5", "delete", f"n{i}")
            self.assertEqual(rc, OK, err)
        self.assertEqual(self.agent.pvctl("--timeout", "5", "list")[0], OK)

    def test_10_sighup_keeps_partitions_running(self):
        self.create_long_running("hup")
        p = self.agent.ok("start", "hup")
        self.agent.proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        self.assertIsNone(self.agent.proc.poll())
        self.assertEqual(self.agent.state_of("hup"), "PARTITION_STATE_RUNNING")
        self.assertEqual(processes_with(p["uuid"]), [int(p["qemu_pid"])])
        self.assertIn("SIGHUP", self.agent.log())
        self.agent.ok("stop", "hup", "--force")

    def test_11_event_log_rotates_and_never_blocks_a_start(self):
        a = self.agent
        a.terminate()
        # A 65 MiB event log (beyond the old 64 MiB refusal) from an earlier life.
        line = json.dumps({"sequence": "1", "partition": "old", "type": "EVENT_TYPE_CREATED",
                           "detail": "x" * 900}) + "\n"
        with open(os.path.join(a.state, "events.jsonl"), "w") as f:
            f.write(line * (65 * 1024 * 1024 // len(line) + 1))
            f.write(json.dumps({"sequence": "777", "partition": "old",
                                "type": "EVENT_TYPE_DELETED"}) + "\n")
        a.start("--events-max-bytes", "8192")
        for i in range(30):
            self.create(f"e{i}", None)
            a.ok("delete", f"e{i}")
        events = a.events("--after", "0")
        seqs = [int(e["sequence"]) for e in events if e.get("partition", "").startswith("e")]
        self.assertEqual(seqs[0], 778, "numbering continues after the old log")
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(seqs))))
        names = sorted(n for n in os.listdir(a.state) if n.startswith("events.jsonl"))
        self.assertIn("events.jsonl.1", names)
        self.assertLessEqual(len(names), 4, names)
        for n in names:
            self.assertLess(os.path.getsize(os.path.join(a.state, n)), 66 * 1024 * 1024)
        self.assertLess(os.path.getsize(os.path.join(a.state, "events.jsonl")), 8192 + 1024)
        a.terminate()
        a.start("--events-max-bytes", "8192")
        self.create("after", None)
        last = a.events("--after", str(seqs[-1]))
        self.assertEqual(int(last[0]["sequence"]), seqs[-1] + 1)


class SmallHolesTest(AgentTestCase):
    """Item 12."""

    def fake_qemu(self):
        os.chmod(self.tmp.name, 0o755)  # the unprivileged QEMU user must reach it
        path = os.path.join(self.tmp.name, "hanging-qemu")
        with open(path, "w") as f:
            f.write("#!/bin/sh\n"
                    "case \"$1\" in --version) echo 'QEMU emulator version 7.2.0'; exit 0;; esac\n"
                    "exec sleep 120\n")
        os.chmod(path, 0o755)
        return path

    def test_force_stop_and_delete_cancel_a_hanging_start(self):
        a = self.agent
        a.terminate()
        a.start("--qemu", self.fake_qemu())
        for how in (("stop", "hang", "--force"), ("delete", "hang", "--force")):
            self.create("hang", None)
            starter = subprocess.Popen([a.command()[0].replace("pv-agent", "pvctl")] +
                                       ["--socket", a.socket, "start", "hang"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            a.wait_state("hang", "PARTITION_STATE_STARTING", timeout=10)
            pid = wait_until(lambda: int(a.get("hang").get("qemu_pid", "0")), timeout=10,
                             what="the fake QEMU to be spawned")
            t0 = time.monotonic()
            rc, _, err = a.pvctl(*how)
            self.assertEqual(rc, OK, err)
            self.assertLess(time.monotonic() - t0, 5, "the start is cancelled, not awaited")
            self.assertNotEqual(starter.wait(timeout=10), 0)
            wait_until(lambda: not os.path.exists(f"/proc/{pid}") or
                       open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] == "Z",
                       what="the hanging QEMU to be killed")
            if how[0] == "stop":
                self.assertEqual(a.state_of("hang"), "PARTITION_STATE_STOPPED")
                a.ok("delete", "hang")

    def test_sigkill_comes_after_the_grace_period_not_twice_it(self):
        # A QEMU that never answers QMP (SIGSTOPped): quit times out, and the kill must follow
        # at the one deadline, not after a second full wait.
        a = self.agent
        self.create_long_running("frozen")
        pid = int(a.ok("start", "frozen")["qemu_pid"])
        os.kill(pid, signal.SIGSTOP)
        grace = 4.0
        t0 = time.monotonic()
        stopped = a.ok("stop", "frozen", "--grace-ms", str(int(grace * 1000)))
        elapsed = time.monotonic() - t0
        self.assertEqual(stopped["state"], "PARTITION_STATE_STOPPED", stopped)
        self.assertEqual(stopped["exit"].get("signal"), signal.SIGKILL, stopped)
        self.assertGreaterEqual(elapsed, grace - 0.1, "the grace period is granted in full")
        self.assertLess(elapsed, grace * 1.75, f"SIGKILL after {elapsed:.1f} s, not at the "
                        f"{grace:.0f} s deadline")

    def test_invalid_specs_are_refused_at_create(self):
        a = self.agent
        long_name = "n" * 63  # valid by the regex, but its sockets would not fit sun_path
        rc, _, err = a.pvctl("create", long_name, "--firmware", FIRMWARE)
        self.assertEqual(rc, INVALID_ARGUMENT, err)
        self.assertIn("socket path", err)
        rc, _, err = a.pvctl("create", "x" * 100000, "--firmware", FIRMWARE)
        self.assertEqual(rc, INVALID_ARGUMENT)
        self.assertLess(len(err), 600, "oversized fields are not echoed back whole")
        rc, _, err = a.pvctl("create", "cpus", "--firmware", FIRMWARE, "--vcpus", "4")
        self.assertEqual(rc, INVALID_ARGUMENT, err)
        self.assertIn("spec.vcpus", err)
        rc, _, err = a.pvctl("create", "notelf", "--firmware", guest("hello.bin"))
        self.assertEqual(rc, INVALID_ARGUMENT, err)
        self.assertIn("multiboot", err)

    def test_proxy_errors_are_counted_like_the_events(self):
        a = self.agent
        self.create("bad", guest("hello.bin"), None, "--cmdline",
                    "proxy-selftest=malformed")
        a.ok("start", "bad")
        a.wait_state("bad", ("PARTITION_STATE_STOPPED", "PARTITION_STATE_FAILED"), timeout=60)
        events = [e for e in a.events("--partition", "bad")
                  if e["type"] == "EVENT_TYPE_PROXY_ERROR"]
        self.assertGreaterEqual(len(events), 8)
        self.assertEqual(int(a.ok("stats", "bad")["proxy_errors"]), len(events))

    def test_no_pid_0_when_no_qemu_was_spawned(self):
        a = self.agent
        self.create("never", None)
        a.kill9()
        path = os.path.join(a.state, "partitions", "never", "partition.json")
        with open(path) as f:
            doc = json.load(f)
        doc["state"] = "PARTITION_STATE_STARTING"  # agent died before spawning QEMU
        with open(path, "w") as f:
            json.dump(doc, f)
        a.start()
        got = a.get("never")
        self.assertEqual(got["state"], "PARTITION_STATE_FAILED")
        self.assertNotIn("pid 0", got["failure_reason"])
        self.assertIn("before QEMU was started", got["failure_reason"])


if __name__ == "__main__":
    unittest.main()
