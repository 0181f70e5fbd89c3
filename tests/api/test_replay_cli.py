"""test_replay_cli.py - `allot replay` on its own (no allotd): a snapshot read from standard input
with `-`, and `--check` on a file that has nothing to check, which fails saying so instead of
passing."""
import json
import os
import subprocess
import tempfile
import unittest

from harness import ALLOT

SNAPSHOT = {
    "name": "two-nodes",
    "config": {"actions": ["allocate"]},
    "nodes": [{"name": "n0", "gpus": 2, "gpu_memory_mib": 1000}],
    "queues": [{"name": "team", "parent": None, "priority": 100,
                "deserved": {"gpu": -1, "cpu_millis": -1, "memory_bytes": -1},
                "limit": {"gpu": -1, "cpu_millis": -1, "memory_bytes": -1},
                "over_quota_weight": {"gpu": 1, "cpu": 1, "memory": 1}}],
    "jobs": [{"name": "a", "queue": "team", "priority": 50, "min_members": 1,
              "tasks": [{"name": "a-0", "state": "pending", "gpus": 1}]}],
}


def allot(*args, stdin=None):
    return subprocess.run([ALLOT, "replay", *args], input=stdin, capture_output=True, text=True,
                          timeout=60)


class ReplayCliTest(unittest.TestCase):
    def test_standard_input_is_read_with_a_dash(self):
        r = allot("--json", "-", stdin=json.dumps(SNAPSHOT))
        self.assertEqual(r.returncode, 0, r.stderr)
        result = json.loads(r.stdout)
        self.assertEqual([(d["task"], d["node"]) for d in result["decisions"]], [("a-0", "n0")])
        bad = allot("-", stdin="{")
        self.assertEqual(bad.returncode, 1)
        self.assertIn("-: line", bad.stderr)
        kai = allot("--kai", "-", stdin="{}")
        self.assertNotEqual(kai.returncode, 0)
        self.assertIn("not standard input", kai.stderr)

    def test_check_with_nothing_to_check_fails_saying_so(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(SNAPSHOT, f)
        try:
            r = allot("--check", f.name)
            self.assertEqual(r.returncode, 1)
            self.assertIn("FAIL two-nodes: nothing to check", r.stdout)
            expecting = dict(SNAPSHOT, expect={"tasks": {"a-0": {"state": "allocated",
                                                                  "node": "n0"}}})
            r = allot("--check", "-", stdin=json.dumps(expecting))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("PASS two-nodes", r.stdout)
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()
