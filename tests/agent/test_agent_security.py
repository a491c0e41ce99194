"""The agent as an attacker finds it (issue 13, items 1-4): a caller asking the root-run QEMU
to read a host file, a socket directory and a socket path the agent must not damage, and
callers other than root with read-only or no access."""

import grp
import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time
import unittest

from agent_harness import (AGENT, FIRMWARE, INVALID_ARGUMENT, OK, PVCTL, UNAVAILABLE, Agent,
                           AgentTestCase, guest, processes_with, wait_until)

PERMISSION_DENIED = 9  # pvctl exit code


def ensure_user(user, group=None):
    """A throw-away system user (and group) for the access tests."""
    if group:
        try:
            grp.getgrnam(group)
        except KeyError:
            subprocess.run(["groupadd", "--system", group], check=True)
    try:
        pwd.getpwnam(user)
    except KeyError:
        cmd = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin"]
        if group:
            cmd += ["--groups", group]
        subprocess.run(cmd + [user], check=True)
    return pwd.getpwnam(user).pw_uid


class ConfinementTest(AgentTestCase):
    """Item 1: QEMU only reads images under the configured directories, runs unprivileged,
    under seccomp, without network, and is handed its files as descriptors."""

    def test_host_file_as_guest_image_is_refused(self):
        rc, _, err = self.agent.pvctl("create", "steal", "--firmware", FIRMWARE,
                                      "--guest", "/etc/shadow")
        self.assertEqual(rc, INVALID_ARGUMENT, err)
        self.assertIn("spec.guest_image_path", err)
        self.assertIn("not under an image directory", err)
        rc, _, err = self.agent.pvctl("create", "steal2", "--firmware", "/etc/passwd")
        self.assertEqual(rc, INVALID_ARGUMENT, err)

    def test_symlink_out_of_an_image_directory_is_refused(self):
        images = os.path.join(self.tmp.name, "images")
        os.mkdir(images)
        shutil.copy(FIRMWARE, os.path.join(images, "fw.elf"))
        os.symlink("/etc/shadow", os.path.join(images, "shadow.bin"))
        self.agent.terminate()
        self.agent.start("--image-dir", images)
        self.assertEqual(self.agent.pvctl("create", "ok", "--firmware",
                                          os.path.join(images, "fw.elf"))[0], OK)
        rc, _, err = self.agent.pvctl("create", "link", "--firmware",
                                      os.path.join(images, "fw.elf"), "--guest",
                                      os.path.join(images, "shadow.bin"))
        self.assertEqual(rc, INVALID_ARGUMENT, err)
        self.assertIn("not under an image directory", err)

    def test_qemu_runs_unprivileged_sandboxed_without_network(self):
        self.create_long_running("jail")
        p = self.agent.ok("start", "jail")
        pid = int(p["qemu_pid"])
        with open(f"/proc/{pid}/status") as f:
            status = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        uids = status["Uid"].split()
        self.assertTrue(all(u == uids[0] for u in uids) and uids[0] != "0", status["Uid"])
        self.assertEqual(status["Groups"].strip(), status["Gid"].split()[0])
        self.assertEqual(status["Seccomp"].strip(), "2", "QEMU must run with -sandbox on")
        self.assertEqual(status["NoNewPrivs"].strip(), "1")
        self.assertNotEqual(os.readlink(f"/proc/{pid}/ns/net"), os.readlink("/proc/self/ns/net"),
                            "QEMU must run in its own network namespace")
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().decode()
        self.assertNotIn(self.agent.state, cmdline, "QEMU gets its files as descriptors")
        self.assertNotIn(os.path.dirname(FIRMWARE), cmdline)
        # The confined QEMU still runs the partition and serves the proxy.
        self.agent.ok("stop", "jail", "--force")
        out = self.create("hello", guest("hello.bin"))
        self.agent.ok("start", "hello")
        done = self.agent.wait_state("hello", "PARTITION_STATE_STOPPED")
        self.assertTrue(done["exit"].get("success"), done)

    # What the jail may hold (qemu_jail.cpp): read-only system directories or their merged-/usr
    # links, the linker cache, a few devices, /proc.
    JAIL_MOUNTS = {"/", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
                   "/etc/ld.so.cache", "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                   "/dev/urandom", "/dev/kvm", "/proc"}

    def test_qemu_runs_in_a_private_mount_namespace_jail(self):
        self.create_long_running("jailed")
        pid = int(self.agent.ok("start", "jailed")["qemu_pid"])
        self.assertIn("mount-namespace jail", self.agent.log())
        self.assertNotEqual(os.readlink(f"/proc/{pid}/ns/mnt"), os.readlink("/proc/self/ns/mnt"),
                            "QEMU must run in a mount namespace of its own")
        mounts = {}
        with open(f"/proc/{pid}/mountinfo") as f:
            for line in f:
                fields = line.split()
                sep = fields.index("-")
                mounts[fields[4]] = (fields[5].split(","), fields[sep + 1])
        self.assertLessEqual(set(mounts), self.JAIL_MOUNTS, mounts)
        self.assertEqual(mounts["/"][1], "tmpfs", "the jail's root is its own tmpfs")
        for point in ("/", "/usr", "/etc/ld.so.cache"):
            if point in mounts:
                self.assertIn("ro", mounts[point][0], f"{point} must be read-only: {mounts}")
        self.assertEqual(mounts["/proc"][1], "proc")
        # The host sees the jail through the process's root link: nothing but the system parts.
        root = f"/proc/{pid}/root"
        for hidden in ("home", "root", "var", "tmp", "srv", "etc/shadow", "etc/passwd",
                       self.agent.state.lstrip("/"), os.path.dirname(FIRMWARE).lstrip("/")):
            self.assertFalse(os.path.lexists(os.path.join(root, hidden)),
                             f"/{hidden} must not exist inside QEMU's jail")
        self.assertEqual(os.listdir(os.path.join(root, "etc")), ["ld.so.cache"])
        self.agent.ok("stop", "jailed", "--force")

    def test_a_qemu_looking_for_host_files_finds_none(self):
        # The QEMU binary is a wrapper that, inside the jail and as the QEMU user, looks for
        # host files (as a compromised QEMU would), then runs the real QEMU. It sits in this
        # test's private directory: the agent binds it into the jail at its own path.
        probe = os.path.join(self.tmp.name, "probe-qemu")
        targets = ["/etc/shadow", "/etc/passwd", "/root", "/home", "/var/lib",
                   self.agent.state, os.path.join(self.agent.state, "partitions/hello"),
                   FIRMWARE, guest("hello.bin")]
        with open(probe, "w") as f:
            f.write("#!/bin/sh\n"
                    "case \"$1\" in --version) exec qemu-system-x86_64 \"$@\";; esac\n"
                    f"for f in {' '.join(targets)}; do\n"
                    "  if [ -e \"$f\" ]; then echo \"probe: visible $f\";"
                    " else echo \"probe: absent $f\"; fi\n"
                    "done\n"
                    "exec qemu-system-x86_64 \"$@\"\n")
        os.chmod(probe, 0o755)
        self.agent.terminate()
        self.agent.start("--qemu", probe)
        self.create("hello", guest("hello.bin"))
        self.agent.ok("start", "hello")
        done = self.agent.wait_state("hello", "PARTITION_STATE_STOPPED")
        self.assertTrue(done["exit"].get("success"), done)
        with open(os.path.join(self.agent.state, "partitions/hello/qemu.log")) as f:
            report = [line for line in f.read().splitlines() if line.startswith("probe: ")]
        self.assertEqual(report, [f"probe: absent {t}" for t in targets])


class SocketSafetyTest(unittest.TestCase):
    """Items 2 and 3: the agent never changes an existing directory and never removes what it
    did not create."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pvagent-sock-")
        self.agents = []

    def tearDown(self):
        for a in self.agents:
            a.kill9()
        self.tmp.cleanup()

    def agent(self, socket_path):
        a = Agent(os.path.join(self.tmp.name, f"a{len(self.agents)}"))
        os.makedirs(a.root, exist_ok=True)
        a.socket = socket_path
        self.agents.append(a)
        return a

    def run_agent(self, a, timeout=10):
        return subprocess.run(a.command(), capture_output=True, text=True, timeout=timeout)

    def test_existing_socket_directory_keeps_its_mode(self):
        shared = os.path.join(self.tmp.name, "shared")
        os.mkdir(shared)
        os.chmod(shared, 0o1777)
        private = os.path.join(self.tmp.name, "private")
        os.mkdir(private, 0o700)
        for d, mode in ((shared, 0o1777), (private, 0o700)):
            a = self.agent(os.path.join(d, "pv.sock")).start()
            self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), mode, d)
            a.terminate()
        # A missing directory is created (0755).
        a = self.agent(os.path.join(self.tmp.name, "new", "pv.sock")).start()
        self.assertTrue(stat.S_ISSOCK(os.stat(a.socket).st_mode))

    def test_regular_file_at_socket_path_is_not_removed(self):
        path = os.path.join(self.tmp.name, "precious")
        with open(path, "w") as f:
            f.write("keep me")
        r = self.run_agent(self.agent(path))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not a socket", r.stderr)
        with open(path) as f:
            self.assertEqual(f.read(), "keep me")

    def test_live_socket_of_another_agent_is_not_taken_over(self):
        path = os.path.join(self.tmp.name, "pv.sock")
        first = self.agent(path).start()
        r = self.run_agent(self.agent(path))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("answers on", r.stderr)
        self.assertEqual(first.pvctl("list")[0], OK, "the first agent still serves")

    def test_stale_socket_is_replaced_and_only_own_socket_removed_at_exit(self):
        path = os.path.join(self.tmp.name, "pv.sock")
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(path)
        stale.close()  # bound, nobody listening: stale
        a = self.agent(path).start()
        # Someone replaces the socket while the agent runs: the agent leaves it alone.
        os.unlink(path)
        with open(path, "w") as f:
            f.write("not yours")
        self.assertEqual(a.terminate(), 0)
        with open(path) as f:
            self.assertEqual(f.read(), "not yours")
        os.unlink(path)
        a = self.agent(path).start()
        self.assertEqual(a.terminate(), 0)
        self.assertFalse(os.path.exists(path), "the agent removes its own socket at exit")


class AccessControlTest(AgentTestCase):
    """Item 4: a socket group with read-only access, an admin group, peer credentials checked
    per call, an audit log of mutating calls, and clear errors for callers without access."""

    def setUp(self):
        super().setUp()
        ensure_user("pvtest-reader", "pvtest-readers")
        ensure_user("pvtest-admin", "pvtest-admins")
        # Connecting needs the socket's group; the admin group then raises the role.
        subprocess.run(["usermod", "-aG", "pvtest-readers", "pvtest-admin"], check=True)
        ensure_user("pvtest-other")
        os.chmod(self.tmp.name, 0o755)  # let the test users reach the socket
        self.agent.terminate()
        self.agent.start("--socket-group", "pvtest-readers", "--admin-group", "pvtest-admins")

    def as_user(self, user, *args):
        r = subprocess.run([PVCTL, "--socket", self.agent.socket, "--json", *args],
                           capture_output=True, text=True, timeout=30, user=user,
                           group=pwd.getpwnam(user).pw_gid,
                           extra_groups=[g.gr_gid for g in grp.getgrall()
                                         if user in g.gr_mem])
        return r.returncode, r.stdout, r.stderr

    def test_socket_group_and_roles(self):
        st = os.stat(self.agent.socket)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)
        self.assertEqual(st.st_gid, grp.getgrnam("pvtest-readers").gr_gid)
        self.create_long_running("shared")
        # Readers: list/get/events/stats/capabilities, but nothing that changes state.
        for args in (("list",), ("get", "shared"), ("events",), ("capabilities",)):
            rc, out, err = self.as_user("pvtest-reader", *args)
            self.assertEqual(rc, OK, (args, err))
        for args in (("start", "shared"), ("delete", "shared"),
                     ("create", "mine", "--firmware", FIRMWARE)):
            rc, out, err = self.as_user("pvtest-reader", *args)
            self.assertEqual(rc, PERMISSION_DENIED, (args, err))
            self.assertIn("needs the admin role", err)
        self.assertEqual(self.agent.state_of("shared"), "PARTITION_STATE_CREATED")
        # Admins may change state.
        rc, out, err = self.as_user("pvtest-admin", "delete", "shared")
        self.assertEqual(rc, OK, err)
        # Others cannot even connect, and pvctl says why (not "is pv-agent running?").
        rc, out, err = self.as_user("pvtest-other", "list")
        self.assertEqual(rc, PERMISSION_DENIED, err)
        self.assertIn("permission denied", err)
        self.assertNotIn("is pv-agent running", err)
        # Every mutating call (allowed or refused) is in the audit log with the caller.
        with open(os.path.join(self.agent.state, "audit.jsonl")) as f:
            audit = [json.loads(line) for line in f if line.strip()]
        reader_uid = pwd.getpwnam("pvtest-reader").pw_uid
        refused = [e for e in audit if e["uid"] == reader_uid]
        self.assertEqual({e["method"] for e in refused},
                         {"StartPartition", "DeletePartition", "CreatePartition"})
        self.assertTrue(all(not e["allowed"] for e in refused))
        deleted = [e for e in audit if e["method"] == "DeletePartition" and e["allowed"]]
        self.assertEqual(len(deleted), 1)
        self.assertEqual(deleted[0]["uid"], pwd.getpwnam("pvtest-admin").pw_uid)
        self.assertEqual(deleted[0]["partition"], "shared")
        self.assertIn("pid", deleted[0])
        self.assertNotIn("GetPartition", {e["method"] for e in audit})

    def test_not_running_is_told_apart_from_no_permission(self):
        rc, _, err = self.agent.pvctl("--socket", os.path.join(self.tmp.name, "nobody.sock"),
                                      "list")
        self.assertEqual(rc, UNAVAILABLE)
        self.assertIn("is pv-agent running", err)


if __name__ == "__main__":
    unittest.main()
