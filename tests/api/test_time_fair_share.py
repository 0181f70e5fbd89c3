"""test_time_fair_share.py - time-based fair share in a real allotd: usage accumulates per
queue from the cycles' samples, shifts the over-quota share (here far enough that a starved
project reclaims), is shown by `allot project describe` and `allot top`, is kept in the store
and survives a restart."""
import json
import os
import sqlite3
import subprocess
import time
import unittest

from harness import ALLOT, DaemonTest, wait_until

SLEEP = ["sleep", "600"]


class TimeFairShareTest(DaemonTest):
    gpus = "4x80GiB"
    # a 64 s window (2 s buckets), no decay, KAI's k of 1
    args = ["--usage-window", "64", "--usage-k", "1"]

    def queue(self, name):
        status, body, _ = self.d.request("GET", "/api/v1/projects/" + name)
        self.assertEqual(status, 200, body)
        return body

    def usage(self, name):
        return self.queue(name)["status"]["usage"]

    def test_usage_accumulates_shifts_the_share_and_survives_a_restart(self):
        self.project("team-a", deserved={"gpu": 0})
        self.project("team-b", deserved={"gpu": 0})
        self.submit("a1", "team-a", SLEEP, gpu=4, priority="train")
        self.d.wait_state("a1", "running")
        # team-a holds the whole cluster: its share of the capacity over the window grows (it
        # holds it for 8 s at least, so that its usage stays high while team-b catches up)
        started = time.monotonic()
        wait_until(lambda: self.usage("team-a")["share"]["gpu"] >= 0.8, timeout=30,
                   what="team-a's usage to reach 0.8")
        time.sleep(max(0, 8 - (time.monotonic() - started)))
        u = self.usage("team-a")
        self.assertEqual((u["k"], u["window_s"], u["half_life_s"]), (1.0, 64, 0))
        self.assertEqual(self.usage("team-b")["share"]["gpu"], 0.0)

        # team-b asks for the whole cluster too: by weight alone each would deserve 2 (and b1's
        # 4 GPUs could not reclaim); with team-a's usage near 1 its share weight is near 0
        self.submit("b1", "team-b", SLEEP, gpu=4, priority="train")
        b = wait_until(lambda: (q := self.queue("team-b"))["status"]["fair_share"]["gpu"] == 4
                       and q, timeout=30, what="team-b's fair share to become 4")
        self.assertEqual(b["status"]["usage"]["fair_share_without_usage"]["gpu"], 2, b)
        self.d.wait_state("b1", "running", timeout=30)
        self.assertIn("evicted", [e["kind"] for e in self.d.events("a1")])

        out = self.d.cli("project", "describe", "team-b").stdout
        self.assertIn("Usage:", out)
        self.assertIn("k 1, window 64s, half-life none", out)
        top = self.d.cli("top").stdout
        self.assertIn("recent usage (time-based fair share: k 1, window 64s", top)
        self.assertIn("team-a: GPU", top)

        # the snapshot carries what the cycle used: config and each queue's usage
        snap = self.d.request("GET", "/api/v1/snapshot")[1]
        self.assertEqual(snap["config"]["usage_k"], 1)
        self.assertEqual(snap["config"]["usage_window_s"], 64)
        queues = {q["name"]: q for q in snap["queues"]}
        self.assertGreater(queues["team-a"]["usage"]["gpu"], 0.2, queues["team-a"])
        # ... and replays the same way every time
        path = os.path.join(self.d.state_dir, "live.json")
        with open(path, "w") as f:
            json.dump(snap, f)
        replays = [subprocess.run([ALLOT, "replay", "--json", path], capture_output=True,
                                  text=True, check=True).stdout for _ in range(2)]
        self.assertEqual(replays[0], replays[1])
        self.assertIn("team-a", [q["name"] for q in json.loads(replays[0])["queues"]])

        # stored, and read back by the next allotd
        self.d.stop()
        db = sqlite3.connect(os.path.join(self.d.state_dir, "allot.db"))
        rows = db.execute("SELECT count(*), sum(gpu_milli_s) FROM queue_usage").fetchone()
        db.close()
        self.assertGreater(rows[0], 0)
        self.assertGreater(rows[1], 0)
        self.d.start()
        self.assertGreater(self.usage("team-a")["share"]["gpu"], 0.2)


class UsageOffTest(DaemonTest):
    gpus = "2x80GiB"
    args = ["--usage-window", "0"]

    def test_window_zero_keeps_no_usage(self):
        self.project("team-a", deserved={"gpu": 0})
        status, body, _ = self.d.request("GET", "/api/v1/projects/team-a")
        self.assertNotIn("usage", body["status"])
        self.assertNotIn("usage_k", self.d.request("GET", "/api/v1/snapshot")[1]["config"])


if __name__ == "__main__":
    unittest.main()
