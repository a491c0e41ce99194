"""Harness for the attested-launch tests (label kbs): a real pv-agent (agent_harness.Agent) with
a simulated secure processor hierarchy made once per test process and copied into each test's
state directory (its RSA-4096 keys take seconds to generate), a real pv-kbs on a temporary
store configured with the real pvkbs, and `pvattest measure` for the reference measurement.

Environment (tests/agent/CMakeLists.txt): the agent harness's, plus PVATTEST_BIN, PV_KBS_BIN,
PVKBS_BIN.
"""

import atexit
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile

from agent_harness import FIRMWARE, Agent, AgentTestCase, guest, wait_until

PVATTEST = os.environ.get("PVATTEST_BIN", "")
KBS = os.environ.get("PV_KBS_BIN", "")
PVKBS = os.environ.get("PVKBS_BIN", "")
DEMO_GUEST = guest("secret_demo.bin")
RESOURCE = "default/key/demo"
MEMORY = "64"

_SP_CACHE = None


def simulated_sp_cache():
    """A simulated-sp/ directory made by a real pv-agent --init-simulated-sp: once per build
    (under $PV_KBS_TEST_SP_CACHE, shared by the test processes through a lock) or, without
    that variable, once per test process."""
    global _SP_CACHE
    if _SP_CACHE is not None:
        return _SP_CACHE
    base = os.environ.get("PV_KBS_TEST_SP_CACHE")
    if not base:
        base = tempfile.mkdtemp(prefix="pvkbs-sp-")
        atexit.register(shutil.rmtree, base, True)
    os.makedirs(base, exist_ok=True)
    sp = os.path.join(base, "state", "simulated-sp")
    with open(os.path.join(base, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isfile(os.path.join(sp, "ark.pem")):
            shutil.rmtree(os.path.join(base, "state"), ignore_errors=True)
            agent = Agent(base)
            # Not Agent.start(): two RSA-4096 keys take longer than its 20 s on a loaded host.
            with open(agent.log_path, "a") as log:
                agent.proc = subprocess.Popen(agent.command("--init-simulated-sp"), stdout=log,
                                              stderr=log, stdin=subprocess.DEVNULL)
            try:
                wait_until(lambda: agent.proc.poll() is not None or
                           agent.pvctl("capabilities")[0] == 0, timeout=300,
                           what="pv-agent --init-simulated-sp to answer")
            finally:
                agent.terminate()
                agent.kill9()
            assert os.path.isfile(os.path.join(sp, "ark.pem")), agent.log()
    _SP_CACHE = sp
    return sp


def measure(firmware, guest_image, resources, tee="snp", cmdline=""):
    """The launch digest pv-agent will produce: `kbs=<resources>` is part of the measured
    paravisor command line."""
    line = " ".join(x for x in (cmdline, "kbs=" + ",".join(resources)) if x)
    r = subprocess.run([PVATTEST, "measure", "--firmware", firmware, "--guest", guest_image,
                        "--memory", MEMORY, "--cmdline", line, "--json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    return doc["snp_launch_digest"] if tee == "snp" else doc["tdx_mrtd"]


class Kbs:
    """A real pv-kbs on a temporary store, configured through pvkbs on its admin socket."""

    def __init__(self, root, ark=None, tdx_root=None, tdx_collateral=None):
        self.store = os.path.join(root, "kbs-store")
        os.makedirs(self.store)
        args = [KBS, "--listen", "127.0.0.1:0", "--store", self.store]
        if ark:
            args += ["--snp-allow-root", ark]
        if tdx_root:
            args += ["--tdx-allow-root", tdx_root]
        if tdx_collateral:
            args += ["--tdx-collateral", tdx_collateral]
        self.out_path = os.path.join(root, "kbs.out")
        with open(self.out_path, "w") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        self.url = wait_until(self._url, timeout=20, what="pv-kbs to listen")

    def _url(self):
        m = re.search(r"pv-kbs: listening on (http://\S+)", self.output())
        if self.proc.poll() is not None:
            raise AssertionError("pv-kbs exited:\n" + self.output())
        return m.group(1) if m else None

    def output(self):
        with open(self.out_path) as f:
            return f.read()

    def admin(self, *args, stdin=None):
        env = dict(os.environ, PV_KBS_ADMIN_SOCKET=os.path.join(self.store, "admin.sock"))
        r = subprocess.run([PVKBS, *args], capture_output=True, text=True, timeout=30, env=env,
                           input=stdin)
        assert r.returncode == 0, f"pvkbs {args}: {r.stdout}{r.stderr}"
        return r.stdout

    def set_policy(self, policy):
        path = os.path.join(self.store, "..", "policy-in.json")
        with open(path, "w") as f:
            json.dump(policy, f)
        self.admin("set-policy", path)

    def set_resource(self, path, data):
        src = os.path.join(self.store, "..", "resource.bin")
        with open(src, "wb") as f:
            f.write(data)
        self.admin("set-resource", path, src)
        os.unlink(src)

    def decisions(self):
        with open(os.path.join(self.store, "decisions.log")) as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def snp_policy(measurement, grants=(RESOURCE,)):
    return {"attestation": {"snp": {"measurements": [measurement]}},
            "resources": [{"path": p, "tees": ["snp"], "measurements": [measurement]}
                          for p in grants]}


class AttestedTestCase(AgentTestCase):
    """Each test: its own agent (started by the test, with its options) and KBS."""

    def setUp(self):
        for path, what in ((PVATTEST, "PVATTEST_BIN"), (KBS, "PV_KBS_BIN"), (PVKBS, "PVKBS_BIN")):
            self.assertTrue(path and os.path.exists(path), f"{what} not set or missing: {path}")
        self.tmp = tempfile.TemporaryDirectory(prefix="pvkbs-e2e-")
        self.agent = Agent(self.tmp.name)
        self.images = os.path.join(self.tmp.name, "images")
        os.makedirs(self.images)
        self.agent.extra_image_dirs = (self.images,)
        self.addCleanup(self.clean_up_agent)
        shutil.copytree(simulated_sp_cache(), os.path.join(self.agent.state, "simulated-sp"))
        self.ark = os.path.join(self.agent.state, "simulated-sp", "ark.pem")
        self.secret = os.urandom(32)

    def start_agent(self, *extra):
        self.agent.start(*extra)

    def start_kbs(self, measurement, grants=(RESOURCE,), resource=RESOURCE):
        kbs = Kbs(self.tmp.name, ark=self.ark)
        self.addCleanup(kbs.stop)
        kbs.set_policy(snp_policy(measurement, grants))
        kbs.set_resource(resource, self.secret)
        return kbs

    def launch(self, name, url, firmware=FIRMWARE, guest_image=DEMO_GUEST, resources=(RESOURCE,),
               extra=(), tee="sev-snp"):
        """pvctl launch --attest --json; returns (exit code, document, stderr)."""
        args = ["launch", name, "--attest", "--firmware", firmware, "--guest", guest_image,
                "--memory", MEMORY, "--tee", tee, "--kbs-url", url,
                "--expect-sha256", hashlib.sha256(self.secret).hexdigest(), *extra]
        for r in resources:
            args += ["--kbs-resource", r]
        return self.agent.pvctl("--timeout", "120", *args, timeout=150)

    def firmware_log(self, name):
        with open(os.path.join(self.agent.state, "partitions", name, "firmware.log"),
                  errors="replace") as f:
            return f.read()

    def console(self, name):
        with open(os.path.join(self.agent.state, "partitions", name, "console.log"),
                  errors="replace") as f:
            return f.read()

    def assert_no_secret(self, name, guest_line, kbs=None, kbs_reason=None):
        """The guest holds no secret and says why; the paravisor released nothing; the KBS
        logged the reason; pvctl shows the attestation state."""
        console = self.console(name)
        self.assertIn(guest_line, console)
        self.assertNotIn("sha256", console)
        self.assertNotIn(self.secret.hex(), console)
        fw = self.firmware_log(name)
        self.assertNotIn("handed to the guest", fw)
        self.assertNotIn(self.secret.hex(), fw)
        with open(self.agent.log_path, errors="replace") as f:
            self.assertNotIn(self.secret.hex(), f.read())
        if kbs is not None and kbs_reason is not None:
            reasons = [d.get("reason", "") for d in kbs.decisions()]
            self.assertTrue(any(kbs_reason in r for r in reasons), reasons)
        p = self.agent.get(name)
        self.assertEqual(p["state"], "PARTITION_STATE_FAILED", p)
        return p
