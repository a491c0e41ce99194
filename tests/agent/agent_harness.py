"""Test harness for the host agent: a real pv-agent on a temporary Unix socket and state
directory, driven through the real pvctl (--json), launching real QEMU.

Configuration comes from the environment (set by tests/agent/CMakeLists.txt):
  PV_AGENT_BIN, PVCTL_BIN   the binaries under test
  PV_FIRMWARE               paravisor.elf
  PV_GUEST_DIR              directory with the guest images (hello.bin, loop.bin, ...)
  PV_AGENT_GUEST_DIR        directory with the agent's own test guests (proxy_probe.bin)
Every wait has a deadline; teardown kills (by pid) the agent and any QEMU whose command line
names this test's state directory, so a failing test leaves nothing behind.
"""

import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

AGENT = os.environ.get("PV_AGENT_BIN", "")
PVCTL = os.environ.get("PVCTL_BIN", "")
FIRMWARE = os.environ.get("PV_FIRMWARE", "")
GUEST_DIR = os.environ.get("PV_GUEST_DIR", "")
AGENT_GUEST_DIR = os.environ.get("PV_AGENT_GUEST_DIR", "")

# pvctl exit codes (host-agent/pvctl/pvctl_main.cpp)
OK, ERROR, USAGE, NOT_FOUND, ALREADY_EXISTS, WRONG_STATE, INVALID_ARGUMENT, UNAVAILABLE, \
    PARTITION_FAILED, PERMISSION_DENIED, RESOURCE_EXHAUSTED = range(11)


def guest(name):
    return os.path.join(GUEST_DIR, name)


def agent_guest(name):
    return os.path.join(AGENT_GUEST_DIR, name)


def processes_with(marker):
    """Pids of live (non-zombie) processes whose command line contains `marker`."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            pids.append(int(entry))
    return pids


def wait_until(predicate, timeout=20.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Agent:
    def __init__(self, root):
        self.root = root
        self.socket = os.path.join(root, "agent.sock")
        self.state = os.path.join(root, "state")
        self.log_path = os.path.join(root, "agent.log")
        self.proc = None
        self.extra_image_dirs = ()  # more --image-dir (e.g. where a fetched kernel lives)

    def command(self, *extra):
        """The agent's command line: this test's socket and state, the build's image dirs."""
        dirs = []
        # (PV_AGENT_OLD_CLI: run the suites against an agent from before --image-dir existed.)
        for d in () if os.environ.get("PV_AGENT_OLD_CLI") else (os.path.dirname(FIRMWARE), GUEST_DIR, AGENT_GUEST_DIR, *self.extra_image_dirs):
            if d and d not in dirs:
                dirs += ["--image-dir", d]
        return [AGENT, "--socket", self.socket, "--state-dir", self.state, *dirs, *extra]

    def start(self, *extra, stderr=None):
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(self.command(*extra), stdout=log,
                                         stderr=stderr if stderr is not None else log,
                                         stdin=subprocess.DEVNULL)
        wait_until(lambda: self.pvctl("capabilities")[0] == OK, timeout=20,
                   what="pv-agent to answer")
        return self

    def uuids(self):
        """UUIDs of every partition recorded in the state directory (current and backup)."""
        found = set()
        pdir = os.path.join(self.state, "partitions")
        for root, _, files in os.walk(pdir) if os.path.isdir(pdir) else ():
            for f in files:
                if f.startswith("partition.json"):
                    try:
                        with open(os.path.join(root, f)) as fh:
                            found.add(json.load(fh)["uuid"])
                    except (OSError, ValueError, KeyError):
                        pass
        return found

    def pvctl(self, *args, timeout=60):
        cmd = [PVCTL, "--socket", self.socket, "--json", *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        doc = None
        if r.stdout.strip():
            try:
                doc = json.loads(r.stdout)
            except ValueError:
                doc = r.stdout
        return r.returncode, doc, r.stderr

    def ok(self, *args, timeout=60):
        rc, doc, err = self.pvctl(*args, timeout=timeout)
        if rc != OK:
            raise AssertionError(f"pvctl {' '.join(args)} -> {rc}: {err}\nagent log:\n"
                                 f"{self.log()}")
        return doc

    def get(self, name):
        return self.ok("get", name)

    def state_of(self, name):
        return self.get(name)["state"]

    def wait_state(self, name, states, timeout=30):
        if isinstance(states, str):
            states = (states,)
        return wait_until(lambda: self.get(name) if self.state_of(name) in states else None,
                          timeout=timeout, what=f"{name} to reach {states}")

    def events(self, *args):
        r = subprocess.run([PVCTL, "--socket", self.socket, "--json", "events", *args],
                           capture_output=True, text=True, timeout=30)
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def terminate(self, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            return self.proc.wait(timeout=timeout)
        return None


class AgentTestCase(unittest.TestCase):
    """Each test gets its own agent, socket and state directory."""

    image_dirs = ()  # image directories beyond the build's, for a suite's own files

    def setUp(self):
        for path, what in ((AGENT, "PV_AGENT_BIN"), (PVCTL, "PVCTL_BIN"),
                           (FIRMWARE, "PV_FIRMWARE")):
            self.assertTrue(path and os.path.exists(path), f"{what} not set or missing: {path}")
        self.tmp = tempfile.TemporaryDirectory(prefix="pvagent-")
        self.agent = Agent(self.tmp.name)
        self.agent.extra_image_dirs = tuple(self.image_dirs)
        # A cleanup, not tearDown: it also runs when setUp fails after the agent started.
        self.addCleanup(self.clean_up_agent)
        self.agent.start()

    def clean_up_agent(self):
        self.agent.kill9()
        # Any QEMU this test started carries a recorded partition UUID on its command line.
        pids = set(processes_with(self.agent.state))
        for uuid in self.agent.uuids():
            pids.update(processes_with(uuid))
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.tmp.cleanup()

    def create(self, name, guest_image=None, guest_args=None, *extra):
        args = ["create", name, "--firmware", FIRMWARE]
        if guest_image:
            args += ["--guest", guest_image]
        if guest_args:
            args += ["--guest-args", guest_args]
        return self.agent.ok(*args, *extra)

    def run_tdx_to_stop(self, name, guest_image, guest_args=None, timeout=120):
        """A tee=tdx measured partition (64 MiB, paravisor `tee=tdx`) run until it stops: the
        partition and its firmware log."""
        self.create(name, guest_image, guest_args, "--tee", "tdx", "--memory", "64",
                    "--cmdline", "tee=tdx")
        self.agent.ok("start", name, timeout=120)
        p = self.agent.wait_state(name, ["PARTITION_STATE_STOPPED", "PARTITION_STATE_FAILED"],
                                  timeout=timeout)
        with open(p["firmware_log_path"]) as f:
            return p, f.read()

    def create_long_running(self, name):
        # The loop guest with iters=0 runs (CPUID exits) until it is stopped.
        return self.create(name, guest("loop.bin"), "iters=0")
