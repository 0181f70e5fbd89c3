"""test_snapshot.py - GET /api/v1/snapshot replays offline with `allot replay` to the decisions
allotd makes."""
import json
import os
import subprocess
import tempfile
import unittest

from harness import ALLOT, ALLOTD, DaemonTest, wait_until


def replay(snapshot):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(snapshot, f)
    try:
        p = subprocess.run([ALLOT, "replay", "--json", f.name], capture_output=True, text=True)
        if p.returncode != 0:
            raise AssertionError("allot replay failed: " + p.stderr)
        return json.loads(p.stdout)
    finally:
        os.unlink(f.name)


class SnapshotTest(DaemonTest):
    gpus = "2x80GiB"

    def test_snapshot_replays_to_the_same_decisions(self):
        self.project("team-a", deserved={"gpu": 1}, limit={"gpu": 1})
        self.submit("a", "team-a", ["sleep", "300"], gpu=1)
        self.submit("b", "team-a", ["sleep", "300"], gpu=1)
        self.d.wait_state("a", "running")
        b = wait_until(lambda: (w := self.d.workload("b"))["reason"] and w, what="b's reason")
        status, snap, _ = self.d.request("GET", "/api/v1/snapshot")
        self.assertEqual(status, 200)
        # as it is: nothing to bind, and the same reason for b
        result = replay(snap)
        self.assertEqual(result["decisions"], [])
        self.assertEqual([(p["job"], p["reason"], p["message"]) for p in result["pending"]],
                         [("b", b["reason_code"], b["reason"])])
        # with the limit raised offline, replay predicts what allotd does once it is raised
        snap["queues"][0]["limit"]["gpu"] = 2
        predicted = replay(snap)["decisions"]
        self.assertEqual(len(predicted), 1)
        self.d.request("PATCH", "/api/v1/projects/team-a", {"limit": {"gpu": 2}})
        b = self.d.wait_state("b", "running")
        self.assertEqual(predicted[0]["task"], "b-0")
        self.assertEqual(predicted[0]["kind"], "bind")
        self.assertEqual(predicted[0]["gpus"], b["gpu_devices"])

    def test_the_placement_policy_is_allots_unless_asked(self):
        config = self.d.request("GET", "/api/v1/snapshot")[1]["config"]
        self.assertEqual((config["gpu_placement"], config["cpu_placement"]), ("allot", "allot"))
        self.d.stop()
        self.d.args = ["--placement", "binpack"]
        self.d.start()
        config = self.d.request("GET", "/api/v1/snapshot")[1]["config"]
        self.assertEqual((config["gpu_placement"], config["cpu_placement"]),
                         ("binpack", "binpack"))
        with tempfile.TemporaryDirectory() as state:
            bad = subprocess.run([ALLOTD, "--state-dir", state, "--listen", "127.0.0.1:0",
                                  "--placement", "fgd"], capture_output=True, text=True,
                                 timeout=30)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("--placement", bad.stderr)
        self.assertIn("allot, binpack or spread", bad.stderr)

    def test_snapshot_with_mixed_devices_round_trips(self):
        self.d.stop()
        self.d.gpus = "1xA100-80GiB,1xT4-16GiB"
        self.d.start()
        snap = self.d.request("GET", "/api/v1/snapshot")[1]
        self.assertEqual(snap["nodes"][0]["devices"],
                         [{"memory_mib": 81920, "model": "A100"},
                          {"memory_mib": 16384, "model": "T4"}])
        self.assertEqual(replay(snap)["decisions"], [])

    def test_a_workload_holding_a_missing_device_does_not_stop_the_others(self):
        """Restarted with one GPU fewer while a task holds the missing device: that workload
        is left out with a reason, and everything else is still scheduled (issue 10)."""
        self.project("team-a")
        self.project("team-b")
        self.submit("h0", "team-a", ["sleep", "300"], gpu=1)
        self.submit("h1", "team-a", ["sleep", "300"], gpu=1)
        self.d.wait_state("h0", "running")
        self.d.wait_state("h1", "running")
        on_1 = [n for n in ("h0", "h1") if self.d.workload(n)["tasks"][0]["gpu_devices"] == [1]][0]
        self.d.stop()
        self.d.gpus = "1x80GiB"
        self.d.start()
        self.submit("cpu", "team-b", ["sleep", "300"], cpu_millis=100)
        self.d.wait_state("cpu", "running")
        w = wait_until(lambda: (w := self.d.workload(on_1))["reason"] and w, what="the reason")
        self.assertEqual(w["reason_code"], "invalid")
        self.assertIn("GPU 1", w["reason"])
        snap = self.d.request("GET", "/api/v1/snapshot")[1]  # what the cycle sees, replayable
        self.assertNotIn(on_1, [j["name"] for j in snap["jobs"]])
        replay(snap)


if __name__ == "__main__":
    unittest.main()
