"""What operators expect of the agent and pvctl: pause/resume, reset, a shutdown request,
health (grpc.health.v1), wait, create from the API's JSON, JSON errors, strict options, launch
--detach, shell completion, a systemd-style config file and readiness notification."""

import json
import os
import pty
import select
import signal
import socket
import subprocess
import time
import unittest
import urllib.request

from agent_harness import (FIRMWARE, agent_guest, INVALID_ARGUMENT, NOT_FOUND, OK, PARTITION_FAILED, PVCTL,
                           USAGE, WRONG_STATE, Agent, AgentTestCase, guest, processes_with, wait_until)


class OperationsTest(AgentTestCase):

    def test_pause_resume_reset_shutdown(self):
        a = self.agent
        self.create_long_running("ops")
        p = a.ok("start", "ops")
        self.assertEqual(a.ok("pause", "ops")["state"], "PARTITION_STATE_PAUSED")
        rc, _, err = a.pvctl("pause", "ops")
        self.assertEqual(rc, WRONG_STATE)
        self.assertIn("is PAUSED", err)
        exits = int(a.ok("stats", "ops").get("total_exits", "0"))
        self.assertEqual(a.ok("resume", "ops")["state"], "PARTITION_STATE_RUNNING")
        got = a.ok("shutdown", "ops")
        self.assertEqual(got["state"], "PARTITION_STATE_RUNNING")
        self.assertIn("shutdown requested",
                      " ".join(e.get("detail", "") for e in a.events("--partition", "ops")))
        # Reset: a fresh QEMU on the same spec.
        reset = a.ok("reset", "ops")
        self.assertEqual(reset["state"], "PARTITION_STATE_RUNNING")
        self.assertNotEqual(reset["qemu_pid"], p["qemu_pid"])
        self.assertEqual(processes_with(p["uuid"]), [int(reset["qemu_pid"])])
        # A paused partition can be stopped.
        a.ok("pause", "ops")
        self.assertEqual(a.ok("stop", "ops", "--grace-ms", "2000")["state"],
                         "PARTITION_STATE_STOPPED")
        self.assertEqual(processes_with(p["uuid"]), [])
        del exits

    def test_hung_qemu_is_detected_by_qmp_liveness(self):
        a = self.agent
        self.create_long_running("hang")
        p = a.ok("start", "hang")
        wait_until(lambda: a.get("hang").get("health") == "ok", timeout=15, what="health ok")
        os.kill(int(p["qemu_pid"]), signal.SIGSTOP)  # a hung QEMU: alive, not answering
        try:
            got = wait_until(lambda: a.get("hang") if a.get("hang").get("health", "").startswith(
                "QMP unresponsive") else None, timeout=20, what="health to report the hang")
            self.assertEqual(got["state"], "PARTITION_STATE_RUNNING")
        finally:
            os.kill(int(p["qemu_pid"]), signal.SIGCONT)
        wait_until(lambda: a.get("hang").get("health") == "ok", timeout=20, what="recovery")
        details = [e.get("detail", "") for e in a.events("--partition", "hang")]
        self.assertTrue(any(d.startswith("health: QMP unresponsive") for d in details), details)
        a.ok("stop", "hang", "--force")
        self.assertEqual(a.get("hang")["health"], "", "no health once QEMU is gone")

    def test_health_wait_and_create_from_json(self):
        a = self.agent
        self.assertEqual(a.ok("health"), {"status": "SERVING"})
        spec = {"name": "fromfile", "firmware_path": FIRMWARE,
                "guest_image_path": guest("hello.bin"), "memory_mib": 128}
        path = os.path.join(self.tmp.name, "spec.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        got = a.ok("create", "-f", path)
        self.assertEqual(got["spec"]["memory_mib"], 128)
        self.assertEqual(a.ok("create", "-f", path, "renamed")["spec"]["name"], "renamed")
        with open(path, "w") as f:
            json.dump(dict(spec, unknown_field=1), f)
        rc, doc, err = a.pvctl("create", "-f", path, "other")
        self.assertEqual(rc, INVALID_ARGUMENT, err)
        a.ok("start", "fromfile")
        done = a.ok("wait", "fromfile", "--state", "stopped", "--within", "60")
        self.assertEqual(done["state"], "PARTITION_STATE_STOPPED")
        # Waiting for a state the partition can no longer reach ends at once with 8.
        rc, _, err = a.pvctl("wait", "fromfile", "--state", "paused", "--within", "30")
        self.assertEqual(rc, PARTITION_FAILED, err)

    def test_json_errors_and_strict_options(self):
        a = self.agent
        rc, doc, err = a.pvctl("get", "missing")
        self.assertEqual(rc, NOT_FOUND)
        self.assertEqual(doc["error"]["code"], "NOT_FOUND")
        self.assertIn("'missing' not found", doc["error"]["message"])
        for args in (("start", "x", "extra"), ("list", "x"), ("stop", "x", "--offset", "3"),
                     ("get", "x", "--force"), ("console", "x", "--grace-ms", "1"),
                     ("create", "x", "--firmware", FIRMWARE, "--follow"), ("bogus",)):
            rc, _, err = a.pvctl(*args)
            self.assertEqual(rc, USAGE, (args, err))
        r = subprocess.run([PVCTL, "completion", "bash"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("complete -F _pvctl pvctl", r.stdout)
        self.assertIn("pause", r.stdout)
        r = subprocess.run(["bash", "-n"], input=r.stdout, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_prometheus_metrics_on_loopback(self):
        a = self.agent
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        a.terminate()
        a.start("--metrics-listen", f"127.0.0.1:{port}")
        self.create("tick", agent_guest("proxy_ticker.bin"))
        a.ok("start", "tick")
        a.ok("get", "tick")

        def scrape():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                self.assertIn("text/plain", r.headers["Content-Type"])
                return r.read().decode()
        text = wait_until(lambda: (lambda t: t if 'reason="io"' in t else None)(scrape()),
                          timeout=30, what="io exits in the metrics")
        self.assertIn('pv_partitions{state="running"} 1', text)
        self.assertIn('pv_partitions{state="created"} 0', text)
        self.assertRegex(text, r'pv_proxy_messages_total\{partition="tick",kind="round_trip"\} [1-9]')
        self.assertIn('pv_rpc_duration_seconds_count{method="StartPartition"} 1', text)
        self.assertIn('pv_rpc_duration_seconds_bucket{method="GetPartition",le="+Inf"}', text)
        a.ok("stop", "tick", "--force")
        a.terminate()
        r = subprocess.run(a.command("--metrics-listen", "0.0.0.0:9464"), capture_output=True,
                           text=True, timeout=20)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("only a loopback address", r.stderr)
        a.start()

    def test_restart_policy_and_autostart(self):
        a = self.agent
        self.create("phoenix", guest("loop.bin"), "iters=0", "--restart", "on-failure")
        self.create("manual", guest("loop.bin"), "iters=0")
        self.create("boot", guest("loop.bin"), "iters=0", "--autostart")
        first = a.ok("start", "phoenix")
        os.kill(int(first["qemu_pid"]), signal.SIGKILL)
        again = wait_until(lambda: (lambda g: g if g["state"] == "PARTITION_STATE_RUNNING" and
                                    g["qemu_pid"] != first["qemu_pid"] else None)(
                                        a.get("phoenix")), timeout=30, what="the restart")
        self.assertEqual(processes_with(first["uuid"]), [int(again["qemu_pid"])])
        self.assertTrue(any("restart #1" in e.get("detail", "")
                            for e in a.events("--partition", "phoenix")))
        # A stop on request is not restarted.
        a.ok("stop", "phoenix", "--force")
        time.sleep(2)
        self.assertEqual(a.state_of("phoenix"), "PARTITION_STATE_STOPPED")
        # Autostart: started by the next agent; the others stay as they were.
        self.assertEqual(a.terminate(), 0)
        a.start()
        wait_until(lambda: a.state_of("boot") == "PARTITION_STATE_RUNNING", timeout=30,
                   what="autostart")
        self.assertEqual(a.state_of("manual"), "PARTITION_STATE_CREATED")
        self.assertEqual(a.state_of("phoenix"), "PARTITION_STATE_STOPPED")
        rc, _, err = a.pvctl("create", "x", "--firmware", FIRMWARE, "--restart", "sometimes")
        self.assertEqual(rc, USAGE, err)
        a.ok("stop", "boot", "--force")

    def test_launch_detach(self):
        a = self.agent
        rc, doc, err = a.pvctl("launch", "bg", "--firmware", FIRMWARE, "--guest",
                               guest("loop.bin"), "--guest-args", "iters=0", "--detach")
        self.assertEqual(rc, OK, err)
        self.assertEqual(doc["state"], "PARTITION_STATE_RUNNING")
        self.assertEqual(a.state_of("bg"), "PARTITION_STATE_RUNNING")
        a.ok("stop", "bg", "--force")

    def launch_on_a_terminal(self, name):
        """pvctl launch on a pty that is its controlling terminal; returns (pid, master fd)
        once it follows the console."""
        pid, master = pty.fork()
        if pid == 0:
            os.execv(PVCTL, [PVCTL, "--socket", self.agent.socket, "launch", name, "--firmware",
                             FIRMWARE, "--guest", guest("loop.bin"), "--guest-args", "iters=0"])
        self.addCleanup(os.close, master)
        self.read_until(master, "guest console")
        self.agent.wait_state(name, "PARTITION_STATE_RUNNING")
        return pid, master

    def read_until(self, fd, text, timeout=30):
        seen = b""
        deadline = time.monotonic() + timeout
        while text.encode() not in seen:
            left = deadline - time.monotonic()
            self.assertGreater(left, 0, f"no {text!r} from pvctl; it printed {seen!r}")
            if select.select([fd], [], [], left)[0]:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                self.assertTrue(chunk, f"pvctl ended before {text!r}; it printed {seen!r}")
                seen += chunk
        return seen.decode(errors="replace")

    def test_ctrl_c_during_launch_asks_whether_to_stop(self):
        a = self.agent
        for answer, state in (("y", "PARTITION_STATE_STOPPED"), ("n", "PARTITION_STATE_RUNNING")):
            name = f"cc-{answer}"
            pid, master = self.launch_on_a_terminal(name)
            os.write(master, b"\x03")  # Ctrl-C: the terminal sends SIGINT to pvctl
            self.read_until(master, f"stop partition '{name}'? [y/N]")
            self.assertEqual(a.state_of(name), "PARTITION_STATE_RUNNING", "nothing before the answer")
            os.write(master, answer.encode() + b"\n")
            if answer == "n":
                self.read_until(master, "keeps running")
            _, status = os.waitpid(pid, 0)
            self.assertEqual(os.waitstatus_to_exitcode(status), OK)
            self.assertEqual(a.state_of(name), state)
        a.ok("stop", "cc-n", "--force")

    def test_sigint_during_launch_without_a_terminal_detaches(self):
        a = self.agent
        p = subprocess.Popen([PVCTL, "--socket", a.socket, "launch", "nt", "--firmware", FIRMWARE,
                              "--guest", guest("loop.bin"), "--guest-args", "iters=0"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)

        def running():  # (NOT_FOUND until pvctl has created it)
            rc, doc, _ = a.pvctl("get", "nt")
            return rc == OK and doc["state"] == "PARTITION_STATE_RUNNING"
        wait_until(running, timeout=30, what="nt to be launched")
        # (pvctl blocked SIGINT before it connected: a signal now is taken by its console loop.)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, OK, err)
        self.assertIn("keeps running", err)
        self.assertNotIn("[y/N]", err)
        self.assertEqual(a.state_of("nt"), "PARTITION_STATE_RUNNING")
        a.ok("stop", "nt", "--force")


class ServiceTest(unittest.TestCase):
    """A config file instead of options, and sd_notify readiness (Type=notify)."""

    def test_config_file_and_readiness(self):
        import tempfile
        tmp = tempfile.TemporaryDirectory(prefix="pvagent-svc-")
        self.addCleanup(tmp.cleanup)
        a = Agent(tmp.name)
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify_path = os.path.join(tmp.name, "notify.sock")
        notify.bind(notify_path)
        notify.settimeout(20)
        config = os.path.join(tmp.name, "pv-agent.conf")
        with open(config, "w") as f:
            f.write("# pv-agent configuration\n"
                    f"socket {a.socket}\nstate-dir {a.state}\n"
                    f"image-dir {os.path.dirname(FIRMWARE)}\n"
                    "events-max-bytes 65536   # rotate early\n")
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        proc = subprocess.Popen([a.command()[0], "--config", config], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            message = notify.recv(4096).decode()
            self.assertIn("READY=1", message)
            self.assertIn(f"MAINPID={proc.pid}", message)
            self.assertEqual(a.pvctl("list")[0], OK)
            proc.terminate()
            self.assertEqual(proc.wait(timeout=30), 0)
            self.assertIn("STOPPING=1", notify.recv(4096).decode())
        finally:
            if proc.poll() is None:
                proc.kill()
        bad = os.path.join(tmp.name, "bad.conf")
        with open(bad, "w") as f:
            f.write("no-such-option 1\n")
        r = subprocess.run([a.command()[0], "--config", bad], capture_output=True, text=True,
                           timeout=20)
        self.assertEqual(r.returncode, 2)
        self.assertIn("line 1", r.stderr)


if __name__ == "__main__":
    unittest.main()
