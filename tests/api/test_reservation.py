"""test_reservation.py - reservations for large gangs in a real allotd (docs/engine.md,
"Reservations"): a gang that does not fit reserves the node that frees first by a known time
limit; a job without a time limit stays off it, one whose limit ends first backfills; the
workload's API object and `allot workload describe` say which nodes and when; the snapshot
carries the thresholds and replays to the same reservation."""
import json
import os
import subprocess
import time
import unittest

from harness import ALLOT, DaemonTest, wait_until

SLEEP = ["sleep", "600"]


class ReservationTest(DaemonTest):
    gpus = "8x80GiB"
    args = ["--reservation-min-gpus", "8", "--reservation-wait", "0"]

    def test_a_large_gang_reserves_and_only_shorter_jobs_backfill(self):
        self.project("team")
        self.submit("holder", "team", SLEEP, gpu=4, priority="train", time_limit_s=600)
        holder = self.d.wait_state("holder", "running")
        self.submit("big", "team", SLEEP, gpu=8, priority="train")
        big = wait_until(lambda: (w := self.d.workload("big"))["reservation"] and w, timeout=15,
                         what="big to hold a reservation")
        node = holder["node"]
        self.assertEqual(big["state"], "pending")
        self.assertEqual(big["reservation"]["nodes"], [node], big)
        # it starts when holder's time limit ends
        self.assertEqual(big["reservation"]["start_s"], holder["started_s"] + 600, big)

        # 4 GPUs are idle, but a job without a time limit may not take the reserved node ...
        self.submit("unbounded", "team", SLEEP, gpu=2, priority="train")
        # ... and one whose time limit ends before the reservation starts backfills it
        self.submit("short", "team", SLEEP, gpu=2, priority="train", time_limit_s=60)
        self.d.wait_state("short", "running")
        time.sleep(1.5)  # cycles run every ~100 ms: unbounded had its chances
        unbounded = self.d.workload("unbounded")
        self.assertEqual(unbounded["state"], "pending")
        self.assertIn("the one node it may run on is reserved for a large gang (only jobs whose "
                      "time limit ends before it starts may use it)", unbounded["reason"])
        self.assertIsNone(self.d.workload("holder")["reservation"])

        status, metrics, _ = self.d.request("GET", "/metrics")
        self.assertEqual(status, 200)
        text = metrics if isinstance(metrics, str) else metrics.decode()
        gauges = [line for line in text.splitlines() if line.startswith("allot_reserv")]
        self.assertEqual(gauges, ["allot_reservations 1", "allot_reserved_nodes 1"])

        out = self.d.cli("workload", "describe", "big").stdout
        self.assertIn("Reservation:", out)
        self.assertIn(node + " (expected start in ", out)
        self.assertNotIn("Reservation:", self.d.cli("workload", "describe", "unbounded").stdout)

        # the snapshot carries the thresholds and the time limits, and replays the same way
        snap = self.d.request("GET", "/api/v1/snapshot")[1]
        self.assertEqual(snap["config"]["reservation_min_gpus"], 8)
        self.assertEqual(snap["config"]["reservation_wait_s"], 0)
        jobs = {j["name"]: j for j in snap["jobs"]}
        self.assertEqual(jobs["short"]["time_limit_s"], 60)
        self.assertNotIn("time_limit_s", jobs["unbounded"])
        path = os.path.join(self.d.state_dir, "live.json")
        with open(path, "w") as f:
            json.dump(snap, f)
        replayed = json.loads(subprocess.run([ALLOT, "replay", "--json", path],
                                             capture_output=True, text=True, check=True).stdout)
        self.assertEqual([(r["job"], r["nodes"]) for r in replayed["reservations"]],
                         [("big", [node])])


class RequeuedGangTest(DaemonTest):
    gpus = "8x80GiB"
    args = ["--reservation-min-gpus", "8", "--reservation-wait", "4"]

    def test_a_requeued_gang_waits_again_before_it_reserves(self):
        self.project("team", deserved={"gpu": 4})  # urgent (non-preemptible) fits its quota
        self.submit("big", "team", SLEEP, gpu=8, priority="train")
        big = self.d.wait_state("big", "running")
        time.sleep(5)  # big was submitted longer ago than the reservation wait
        # a higher priority job evicts it: big is requeued and cannot fit beside it
        self.submit("urgent", "team", SLEEP, gpu=4, priority="build", time_limit_s=600)
        urgent = self.d.wait_state("urgent", "running", timeout=30)
        requeued = wait_until(lambda: (w := self.d.workload("big"))["restarts"] >= 1 and
                              w["state"] == "pending" and w, timeout=30, what="big requeued")
        # counted from its submission it could reserve at once; from its requeue it waits 4 s
        time.sleep(1.5)
        self.assertIsNone(self.d.workload("big")["reservation"])
        snap = self.d.request("GET", "/api/v1/snapshot")[1]
        job = {j["name"]: j for j in snap["jobs"]}["big"]
        self.assertEqual(job["created_s"], big["created_s"])
        self.assertGreaterEqual(job["pending_since_s"], big["created_s"] + 5, job)
        big = wait_until(lambda: (w := self.d.workload("big"))["reservation"] and w, timeout=15,
                         what="big to reserve once it has waited again")
        self.assertEqual(big["reservation"]["nodes"], [urgent["node"]], big)
        self.assertEqual(big["reservation"]["start_s"], urgent["started_s"] + 600, big)
        self.assertEqual(requeued["created_s"], big["created_s"])


class ReservationOffTest(DaemonTest):
    gpus = "8x80GiB"

    def test_without_the_switch_nothing_is_reserved(self):
        self.project("team")
        self.submit("holder", "team", SLEEP, gpu=4, priority="train", time_limit_s=600)
        self.d.wait_state("holder", "running")
        self.submit("big", "team", SLEEP, gpu=8, priority="train")
        self.submit("unbounded", "team", SLEEP, gpu=2, priority="train")
        self.d.wait_state("unbounded", "running")
        self.assertIsNone(self.d.workload("big")["reservation"])
        snap = self.d.request("GET", "/api/v1/snapshot")[1]
        self.assertNotIn("reservation_min_gpus", snap["config"])


if __name__ == "__main__":
    unittest.main()
