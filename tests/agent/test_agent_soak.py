"""Soak (label `soak`): 8 partitions, 8 threads making random lifecycle calls for
PV_SOAK_SECONDS (default 60). Ends with a consistent state: no INTERNAL (or other unexpected)
error, no partition stuck in STARTING/STOPPING, exactly one QEMU per running partition and
none for the others, and nothing left after everything is deleted."""

import os
import random
import threading
import time
import unittest

from agent_harness import (ALREADY_EXISTS, FIRMWARE, NOT_FOUND, OK, WRONG_STATE, AgentTestCase,
                           guest, processes_with, wait_until)

SECONDS = float(os.environ.get("PV_SOAK_SECONDS", "60"))
NAMES = [f"soak{i}" for i in range(8)]
EXPECTED = {OK, NOT_FOUND, ALREADY_EXISTS, WRONG_STATE}


class SoakTest(AgentTestCase):

    def test_random_lifecycle_calls_from_8_threads(self):
        a = self.agent
        calls = []
        lock = threading.Lock()
        deadline = time.monotonic() + SECONDS

        def worker(seed):
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                name = rng.choice(NAMES)
                op = rng.choice(["create", "start", "start", "stop", "stop-force", "delete",
                                 "delete-force", "pause", "resume", "reset", "get", "list",
                                 "stats"])
                args = {
                    "create": ("create", name, "--firmware", FIRMWARE, "--guest",
                               guest("loop.bin"), "--guest-args", "iters=0"),
                    "stop": ("stop", name, "--grace-ms", "500"),
                    "stop-force": ("stop", name, "--force"),
                    "delete-force": ("delete", name, "--force"),
                    "list": ("list",),
                }.get(op, (op, name))
                rc, _, err = a.pvctl(*args, timeout=120)
                with lock:
                    calls.append((op, rc, err.strip()[:300]))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        unexpected = [c for c in calls if c[1] not in EXPECTED]
        self.assertEqual(unexpected, [], "only expected outcomes")
        ok_starts = sum(1 for c in calls if c[0] == "start" and c[1] == OK)
        self.assertGreater(ok_starts, 0)
        # Consistent end state.
        for p in a.ok("list").get("partitions", []):
            state, uuid = p["state"], p["uuid"]
            self.assertNotIn(state, ("PARTITION_STATE_STARTING", "PARTITION_STATE_STOPPING"), p)
            if state in ("PARTITION_STATE_RUNNING", "PARTITION_STATE_PAUSED"):
                self.assertEqual(processes_with(uuid), [int(p["qemu_pid"])], p)
            else:
                self.assertEqual(processes_with(uuid), [], p)
        for name in NAMES:
            rc, _, err = a.pvctl("delete", name, "--force")
            self.assertIn(rc, (OK, NOT_FOUND), err)
        uuids = self.agent.uuids()
        self.assertEqual(a.ok("list").get("partitions", []), [])
        self.assertEqual(os.listdir(os.path.join(a.state, "partitions")), [])
        for uuid in uuids:
            wait_until(lambda: not processes_with(uuid), timeout=10, what="no QEMU left")
        print(f"\nsoak: {len(calls)} calls in {SECONDS:.0f} s, {ok_starts} starts",
              {op: sum(1 for c in calls if c[0] == op and c[1] == OK)
               for op in sorted({c[0] for c in calls})})


if __name__ == "__main__":
    unittest.main()
