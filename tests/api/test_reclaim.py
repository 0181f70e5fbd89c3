"""test_reclaim.py - evictions carried out by allotd: a project below its quota reclaims the
GPUs another borrowed, the victims are requeued (not failed), the reclaimer's tasks wait
pipelined until the victims have exited, min runtimes protect, and a restart in the middle of
an eviction still requeues."""
import os
import signal
import sqlite3
import unittest

from harness import DaemonTest, pid_alive, wait_until

SLEEP = ["sleep", "600"]
# Ignores SIGTERM (the ignore is inherited by sleep): it stops only at SIGKILL, after the grace.
STUBBORN = ["sh", "-c", "trap '' TERM; sleep 600"]


class Reclaim(DaemonTest):
    """Helpers for a lender (team-a, deserved 0) and an owner (team-b, deserved all)."""

    def teams(self, owner_gpus, **lender):
        self.project("team-a", deserved={"gpu": 0}, **lender)
        self.project("team-b", deserved={"gpu": owner_gpus})

    def kinds(self, name):
        return [e["kind"] for e in self.d.events(name)]

    def states(self, names):
        return {n: self.d.workload(n)["state"] for n in names}

    def assert_requeued(self, name):
        """Evicted, requeued, pending again: no failure recorded."""
        w = self.d.workload(name)
        kinds = self.kinds(name)
        self.assertEqual(w["state"], "pending", w)
        self.assertTrue(all(t["state"] == "pending" for t in w["tasks"]), w)
        self.assertIsNone(w["exit_code"])
        self.assertIn("evicted", kinds)
        self.assertIn("requeued", kinds)
        self.assertLess(kinds.index("evicted"), kinds.index("requeued"))
        self.assertNotIn("failed", kinds)
        self.assertNotIn("lost", kinds)

    def stubborn_victims_and_a_pipelined_owner(self):
        """a1 and a2 borrow both GPUs and ignore SIGTERM; b1 (2 GPUs) reclaims them: it waits
        pipelined while they stop. Returns b1 and the victims' tasks then."""
        self.teams(2)
        for name in ("a1", "a2"):
            self.submit(name, "team-a", STUBBORN, gpu=1)
        for name in ("a1", "a2"):
            self.d.wait_state(name, "running")
        self.submit("b1", "team-b", SLEEP, gpu=2)
        b = wait_until(lambda: (w := self.d.workload("b1"))["tasks"][0]["state"] == "pipelined"
                       and w, what="b1 pipelined")
        victims = [wait_until(lambda: (t := self.d.workload(name)["tasks"][0])["evicting"] and t,
                              what=name + " evicting") for name in ("a1", "a2")]
        return b, victims


class ReclaimTest(Reclaim):
    gpus = "4x80GiB"

    def test_owner_reclaims_borrowed_gpus_and_victims_are_requeued(self):
        self.teams(4)
        lenders = ["a%d" % i for i in range(1, 5)]
        for name in lenders:
            self.submit(name, "team-a", SLEEP, gpu=1, priority="train")
        for name in lenders:
            self.d.wait_state(name, "running")  # team-a borrows every GPU
        self.submit("b1", "team-b", SLEEP, gpu=1)
        self.submit("b2", "team-b", SLEEP, gpu=1)
        self.d.wait_state("b1", "running", timeout=30)
        self.d.wait_state("b2", "running", timeout=30)
        victims = wait_until(
            lambda: (v := [n for n in lenders if "requeued" in self.kinds(n)]) and
            len(v) >= 2 and v, timeout=30, what="two lenders requeued")
        self.assertEqual(len(victims), 2, self.states(lenders))
        for name in victims:
            self.assert_requeued(name)
            out = self.d.cli("workload", "describe", name).stdout
            self.assertIn("evicted", out)
            self.assertIn("reclaimed by job b", out)
            self.assertIn("of queue team-b", out)
            self.assertIn("requeued", out)
        states = self.states(lenders)
        self.assertEqual(sorted(states.values()), ["pending", "pending", "running", "running"])
        # the real cause after a reclaim: team-a is at its fair share, in the table and describe
        w = wait_until(lambda: (w := self.d.workload(victims[0]))["reason_short"] and w,
                       what="the victim's reason")
        self.assertEqual(w["reason_short"], "FairShare", w)
        self.assertIn("project team-a is at its fair share of GPUs", w["reason"])
        table = self.d.cli("workload", "list", "-p", "team-a").stdout
        row = [line for line in table.splitlines() if line.startswith(victims[0] + " ")][0]
        self.assertTrue(row.rstrip().endswith("FairShare"), table)
        self.assertLess(len(row), 100, row)  # a short code, not the engine's sentence
        self.assertIn("Pending reason:  FairShare: project team-a is at its fair share",
                      self.d.cli("workload", "describe", victims[0]).stdout)
        # the requeued workloads wait like any pending one, and run once the owner is done
        self.d.request("DELETE", "/api/v1/workloads/b1")
        self.d.request("DELETE", "/api/v1/workloads/b2")
        for name in victims:
            self.d.wait_state(name, "running", timeout=30)

    def test_min_runtime_protects_until_lowered(self):
        self.teams(4, reclaim_min_runtime_s=3600)
        for i in range(4):
            self.submit("a%d" % i, "team-a", SLEEP, gpu=1)
        for i in range(4):
            self.d.wait_state("a%d" % i, "running")
        self.submit("b1", "team-b", SLEEP, gpu=1)
        w = wait_until(lambda: (w := self.d.workload("b1"))["reason"] and w, what="reason")
        self.assertEqual(w["state"], "pending")
        self.assertIn("protected by min runtime", w["reason"])
        # the short code, and when the first protection ends (an hour after they started)
        self.assertEqual(w["reason_short"], "MinRuntime", w)
        self.assertRegex(w["reason"], r"within a minimum runtime; the first ends at "
                                      r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
        self.assertTrue(all(self.d.workload("a%d" % i)["state"] == "running" for i in range(4)))
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/team-a",
                                         {"reclaim_min_runtime_s": 0})
        self.assertEqual(status, 200, body)
        self.d.wait_state("b1", "running", timeout=30)


class PreemptTest(Reclaim):
    gpus = "2x80GiB"

    def test_higher_priority_preempts_within_its_project_after_the_min_runtime(self):
        self.project("team-a", deserved={"gpu": 2}, preempt_min_runtime_s=3600)
        self.submit("t1", "team-a", SLEEP, gpu=1, priority="train")
        self.submit("t2", "team-a", SLEEP, gpu=1, priority="train")
        self.d.wait_state("t1", "running")
        self.d.wait_state("t2", "running")
        self.submit("serve", "team-a", SLEEP, gpu=1, priority="inference")
        w = wait_until(lambda: (w := self.d.workload("serve"))["reason"] and w, what="reason")
        self.assertIn("protected by min runtime", w["reason"])
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/team-a",
                                         {"preempt_min_runtime_s": None})
        self.assertEqual(status, 200, body)
        self.d.wait_state("serve", "running", timeout=30)
        victim = wait_until(lambda: [n for n in ("t1", "t2") if "requeued" in self.kinds(n)],
                            timeout=30, what="a victim requeued")[0]
        self.assert_requeued(victim)
        evicted = [e for e in self.d.events(victim) if e["kind"] == "evicted"][0]
        self.assertEqual(evicted["message"], "task 0: preempted by job serve (priority 125 over 50)")

class PipelineTest(Reclaim):
    gpus = "2x80GiB"
    grace = 8

    def test_pipelined_task_starts_once_its_victims_exit(self):
        b, victims = self.stubborn_victims_and_a_pipelined_owner()
        self.assertEqual(b["state"], "pending")
        self.assertEqual(b["reason_code"], "pipelined")
        self.assertEqual(sorted(b["tasks"][0]["gpu_devices"]), [0, 1])
        self.assertEqual([t["state"] for t in victims], ["stopping", "stopping"])
        snap = self.d.request("GET", "/api/v1/snapshot")[1]
        tasks = {t["name"]: t for j in snap["jobs"] for t in j["tasks"]}
        self.assertEqual(tasks["b1-0"]["state"], "pipelined")
        self.assertEqual(sorted(tasks["b1-0"]["gpu_indices"]), [0, 1])
        self.assertEqual(tasks["a1-0"]["state"], "releasing")
        self.assertEqual(self.d.workload("b1")["tasks"][0]["state"], "pipelined")
        # after the grace period SIGKILL ends them; b1 starts on the devices it held
        b = self.d.wait_state("b1", "running", timeout=30)
        self.assertEqual(sorted(b["gpu_devices"]), [0, 1])
        kinds = wait_until(lambda: "started" in (k := self.kinds("b1")) and k,
                           what="b1's start recorded")  # events: the last commit
        self.assertLess(kinds.index("pipelined"), kinds.index("started"))
        for name in ("a1", "a2"):
            wait_until(lambda: "requeued" in self.kinds(name), what=name + " requeued")
            self.assert_requeued(name)

    def test_deleting_a_pipelined_workload_gives_its_place_up(self):
        self.teams(2)
        self.submit("a1", "team-a", STUBBORN, gpu=2)
        self.d.wait_state("a1", "running")
        self.submit("b1", "team-b", SLEEP, gpu=2)
        wait_until(lambda: self.d.workload("b1")["tasks"][0]["state"] == "pipelined",
                   what="b1 pipelined")
        status, body, _ = self.d.request("DELETE", "/api/v1/workloads/b1")
        self.assertEqual((status, body), (200, {"name": "b1", "deleted": True}))
        # the victim is requeued all the same, and runs again on the place b1 left
        wait_until(lambda: "requeued" in self.kinds("a1"), timeout=30, what="a1 requeued")
        self.d.wait_state("a1", "running", timeout=30)
        # events are read from the last commit, a moment behind what GET shows
        wait_until(lambda: self.kinds("a1").count("started") == 2, what="a1 started twice")
        self.assertEqual(self.kinds("a1").count("started"), 2)


class StaleGangTest(Reclaim):
    gpus = "2x80GiB"

    def test_a_gang_below_its_minimum_is_timed_for_stale_gang_eviction(self):
        self.project("team-a")
        # member 0 fails at once, member 1 runs on: the gang is below its minimum of 2
        cmd = ["sh", "-c", "[ $ALLOT_TASK_INDEX = 0 ] && exit 3; sleep 600"]
        self.submit("gang", "team-a", cmd, gpu=1, workers=2, min_members=2)
        wait_until(lambda: [t["state"] for t in self.d.workload("gang")["tasks"]] ==
                   ["failed", "running"], what="one member failed, one running")
        job = wait_until(lambda: [j for j in self.d.request("GET", "/api/v1/snapshot")[1]["jobs"]
                                  if j["name"] == "gang" and "stale_for_s" in j],
                         what="stale_for_s in the snapshot")[0]
        self.assertGreaterEqual(job["stale_for_s"], 0)
        self.assertEqual(self.d.workload("gang")["state"], "running")


class RestartTest(Reclaim):
    gpus = "2x80GiB"
    grace = 600

    def test_restart_mid_eviction_still_requeues(self):
        self.stubborn_victims_and_a_pipelined_owner()
        pid = self.d.workload("a1")["tasks"][0]["pid"]
        self.d.stop()
        db = sqlite3.connect(os.path.join(self.d.state_dir, "allot.db"))
        rows = dict(db.execute("SELECT w.name, t.state || ':' || t.evicting FROM tasks t "
                               "JOIN workloads w ON w.id = t.workload_id").fetchall())
        db.close()
        self.assertEqual(rows, {"a1": "stopping:1", "a2": "stopping:1", "b1": "pipelined:0"})
        # a1 ends while allotd is down; a2 is still stopping when it comes back
        os.killpg(pid, signal.SIGKILL)
        wait_until(lambda: not pid_alive(pid), what="a1 gone")
        self.d.grace = 1
        self.d.start()
        self.d.wait_state("b1", "running", timeout=30)
        for name in ("a1", "a2"):
            wait_until(lambda: "requeued" in self.kinds(name), what=name + " requeued")
            self.assert_requeued(name)
        self.assertIn("readopted", self.kinds("a2"))


if __name__ == "__main__":
    unittest.main()
