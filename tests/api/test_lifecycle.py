"""test_lifecycle.py - a workload's life through allotd: exit codes, logs, deletion stopping the
process group, and restarts of allotd that lose nothing."""
import os
import signal
import sqlite3
import subprocess
import time
import unittest

from harness import Daemon, DaemonTest, pid_alive, wait_until


class LifecycleTest(DaemonTest):
    def setUp(self):
        super().setUp()
        self.project("team-a")

    def test_exit_codes_are_recorded(self):
        self.submit("ok", "team-a", ["true"])
        self.submit("bad", "team-a", ["sh", "-c", "exit 3"])
        self.submit("missing", "team-a", ["/nonexistent/program"])
        ok = self.d.wait_state("ok", "succeeded")
        bad = self.d.wait_state("bad", "failed")
        missing = self.d.wait_state("missing", "failed")
        self.assertEqual((ok["exit_code"], bad["exit_code"], missing["exit_code"]), (0, 3, 127))
        self.assertIsNotNone(bad["finished_s"])
        log = self.d.request("GET", "/api/v1/workloads/missing/logs")[1]
        self.assertIn("/nonexistent/program", log)
        kinds = [e["kind"] for e in self.d.request("GET", "/api/v1/workloads/bad/events")[1]["items"]]
        self.assertEqual(kinds[-1], "failed")

    def test_a_deleted_projects_logs_go_and_never_reach_a_new_workload(self):
        """Deleting a project removes its workloads' logs; a new workload that gets a reused id
        does not start with an old workload's output (issue 10)."""
        self.submit("old", "team-a", ["sh", "-c", "echo secret-of-team-a"])
        self.d.wait_state("old", "succeeded")
        self.assertIn("secret-of-team-a", self.d.request("GET", "/api/v1/workloads/old/logs")[1])
        logs = os.path.join(self.d.state_dir, "logs")
        self.assertTrue(os.listdir(logs))
        status, body, _ = self.d.request("DELETE", "/api/v1/projects/team-a")
        self.assertEqual(status, 200, body)
        self.assertEqual(os.listdir(logs), [])
        # a stale file where the next workload's log will be, as an older allotd left it
        with open(os.path.join(logs, "1-0.log"), "w") as f:
            f.write("secret-of-someone\n")
        self.project("team-b")
        self.submit("new", "team-b", ["sh", "-c", "echo hello"])
        self.d.wait_state("new", "succeeded")
        self.assertEqual(self.d.request("GET", "/api/v1/workloads/new/logs")[1], "hello\n")

    def test_logs_offset_and_follow(self):
        self.submit("talk", "team-a", ["sh", "-c", "echo one; echo two >&2; sleep 1; echo three"])
        self.d.wait_state("talk", "running")
        # following streams until the task ends, with everything it wrote
        status, text, _ = self.d.request("GET", "/api/v1/workloads/talk/logs?follow=true")
        self.assertEqual(status, 200)
        self.assertEqual(text, "one\ntwo\nthree\n")
        status, text, headers = self.d.request("GET", "/api/v1/workloads/talk/logs?offset=4")
        self.assertEqual(text, "two\nthree\n")
        self.assertEqual(headers["X-Allot-Log-Offset"], "14")
        status, body, _ = self.d.request("GET", "/api/v1/workloads/talk/logs?task=1")
        self.assertEqual(status, 400)
        self.assertEqual(body["error"]["field"], "task")

    def test_delete_stops_the_process_group(self):
        self.submit("victim", "team-a", ["sh", "-c", "sleep 300 & sleep 300; wait"])
        w = self.d.wait_state("victim", "running")
        pid = w["tasks"][0]["pid"]
        self.assertTrue(pid_alive(pid))
        status, body, _ = self.d.request("DELETE", "/api/v1/workloads/victim")
        self.assertEqual(status, 202, body)
        self.assertEqual(body["state"], "deleting")
        wait_until(lambda: self.d.workload("victim") is None, what="victim to be gone")
        wait_until(lambda: not pid_alive(pid), what="process to exit")
        self.assertEqual(os.listdir(os.path.join(self.d.state_dir, "logs")), [])

    def test_a_task_that_ignores_sigterm_gets_sigkill(self):
        self.submit("stubborn", "team-a",
                    ["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"])
        pid = self.d.wait_state("stubborn", "running")["tasks"][0]["pid"]
        # SIGTERM must arrive after the shell ignores it, or it simply ends the shell
        wait_until(lambda: "ready" in str(self.d.request("GET", "/api/v1/workloads/stubborn/logs")[1]),
                   what="the trap to be set")
        started = time.monotonic()
        self.d.request("DELETE", "/api/v1/workloads/stubborn")
        wait_until(lambda: self.d.workload("stubborn") is None, timeout=20, what="stubborn gone")
        self.assertGreaterEqual(time.monotonic() - started, 0.9)  # the 1 s grace period
        wait_until(lambda: not pid_alive(pid), what="process to die")

    def test_delete_pending_and_finished_is_immediate(self):
        # more GPUs than the node has: pending for good, queued all the same
        self.submit("later", "team-a", ["true"], gpu=8, queue_anyway=True)
        status, body, _ = self.d.request("DELETE", "/api/v1/workloads/later")
        self.assertEqual((status, body), (200, {"name": "later", "deleted": True}))
        self.assertEqual(self.d.request("DELETE", "/api/v1/workloads/later")[0], 404)

    def test_project_with_active_workloads_cannot_be_deleted(self):
        self.submit("busy", "team-a", ["sleep", "300"])
        self.d.wait_state("busy", "running")
        status, body, _ = self.d.request("DELETE", "/api/v1/projects/team-a")
        self.assertEqual(status, 409, body)
        self.assertEqual(body["error"]["code"], "failed_precondition")


class HugePagesTest(DaemonTest):
    def test_allotd_runs_with_huge_pages_and_tasks_do_not_inherit_the_setting(self):
        if "GLIBC_TUNABLES" in os.environ:
            self.skipTest("GLIBC_TUNABLES is set here: allotd leaves it as it is")
        with open("/proc/%d/environ" % self.d.proc.pid, "rb") as f:
            started_with = f.read().split(b"\0")  # the environment allotd started itself with
        self.assertIn(b"GLIBC_TUNABLES=glibc.malloc.hugetlb=1", started_with)
        with open("/proc/%d/comm" % self.d.proc.pid) as f:
            self.assertEqual(f.read().strip(), "allotd")  # ps and pgrep still know it
        self.project("team-a")
        self.submit("env", "team-a", ["sh", "-c", "env | grep -c -e GLIBC_TUNABLES -e ALLOTD_ || true"])
        self.d.wait_state("env", "succeeded")
        out = self.d.request("GET", "/api/v1/workloads/env/logs")[1]
        self.assertEqual(out.strip(), "0")


class CrashSafetyTest(DaemonTest):
    """Issue 10: every process allot started is re-adopted or stopped after any crash - never a
    second copy, never an orphan holding a GPU."""

    def copies(self, path):
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [int(p) for p in f.read().split()]

    def crash_while_starting(self, point):
        """Submits `once` to an allotd that dies at `point` while starting it, restarts it and
        returns (the workload once running, the pids of every copy that ever started)."""
        self.project("team-a")
        marks = os.path.join(self.d.scratch(), "copies")
        self.d.stop()
        self.d.start(env={"ALLOTD_FAILPOINTS": point})
        try:
            self.d.request("POST", "/api/v1/workloads", dict(
                name="once", project="team-a", gpu=1,
                command=["sh", "-c", "echo $$ >> %s; exec sleep 300" % marks]))
        except OSError:
            pass  # allotd may die before it answers: the submit was durable already
        self.d.wait_killed()
        self.d.start()
        w = self.d.wait_state("once", "running")
        wait_until(lambda: self.copies(marks), what="the command to start")
        time.sleep(2.5)  # cycles run every second: a second copy would have started by now
        # each copy wrote its pid in its own namespace: on this machine, the one allotd tracks
        return w, [self.d.host_pid(w["tasks"][0]["pid"], p) for p in self.copies(marks)]

    def assert_deleting_stops(self, pids):
        self.d.request("DELETE", "/api/v1/workloads/once")
        wait_until(lambda: self.d.workload("once") is None, what="once deleted")
        for pid in pids:
            wait_until(lambda: not pid_alive(pid), what="process %d to exit" % pid)

    def test_a_crash_right_after_a_fork_runs_the_task_once(self):
        w, pids = self.crash_while_starting("after-start")
        self.assertEqual(len(pids), 1, pids)
        self.assertTrue(pid_alive(pids[0]))
        self.assertEqual(os.getpgid(pids[0]), w["tasks"][0]["pid"])  # the copy allotd tracks
        kinds = [e["kind"] for e in
                 self.d.request("GET", "/api/v1/workloads/once/events")[1]["items"]]
        self.assertIn("readopted", kinds)
        self.assertEqual(kinds.count("started"), 0)  # its start was never recorded
        self.assert_deleting_stops(pids)

    def test_a_crash_before_the_fork_starts_the_task_once(self):
        w, pids = self.crash_while_starting("before-start")
        self.assertEqual(len(pids), 1, pids)
        self.assertEqual(os.getpgid(pids[0]), w["tasks"][0]["pid"])
        kinds = [e["kind"] for e in
                 self.d.request("GET", "/api/v1/workloads/once/events")[1]["items"]]
        self.assertIn("requeued", kinds)  # placed, never started: placed again
        self.assert_deleting_stops(pids)

    def test_a_killed_supervisor_leaves_nothing_running(self):
        self.project("team-a")
        bg = os.path.join(self.d.scratch(), "bg")
        marks = os.path.join(self.d.scratch(), "copies")
        self.submit("once", "team-a",
                    ["sh", "-c", "sleep 300 & echo $! >> %s; echo $$ >> %s; wait" % (bg, marks)],
                    gpu=2)
        w = self.d.wait_state("once", "running")
        wait_until(lambda: self.copies(marks) and self.copies(bg), what="the command to start")
        pids = [self.d.host_pid(w["tasks"][0]["pid"], p)
                for p in self.copies(marks) + self.copies(bg)]
        self.assertNotIn(None, pids)
        os.kill(w["tasks"][0]["pid"], signal.SIGKILL)  # the supervisor only
        w = self.d.wait_state("once", "failed")
        for pid in pids:
            wait_until(lambda: not pid_alive(pid), what="process %d to be stopped" % pid)
        # its GPUs are free for the next workload
        self.submit("next", "team-a", ["sleep", "300"], gpu=2)
        self.d.wait_state("next", "running")


class StoreFailureTest(DaemonTest):
    """Issue 10: what a cycle records is never silently lost. A failing statement (a trigger
    that aborts it, injected into the live store) keeps the cycle from committing half: the
    placement is undone, /healthz says why, and once the store works again the state is
    rewritten from memory, so a restart finds exactly what allotd showed."""

    def store(self):
        return sqlite3.connect(os.path.join(self.d.state_dir, "allot.db"), timeout=30)

    def inject(self, sql):
        with self.store() as db:
            db.execute(sql)

    def test_a_failing_store_write_is_surfaced_and_repaired(self):
        self.project("team-a")
        self.inject("CREATE TRIGGER inject BEFORE UPDATE ON workloads "
                    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
        self.submit("w", "team-a", ["sleep", "300"], gpu=1)  # acknowledged: durable
        health = wait_until(lambda: (h := self.d.request("GET", "/healthz", token=False)[1])
                            ["status"] == "degraded" and h, what="a degraded health")
        self.assertIn("injected failure", health["cycle_error"])
        w = self.d.workload("w")
        self.assertEqual(w["state"], "pending")  # its placement was not recorded: not started
        self.assertEqual(w["tasks"][0]["pid"], None)
        # a task that ends while event inserts fail: its end must still reach the store
        self.inject("DROP TRIGGER inject")
        self.d.wait_state("w", "running")
        self.submit("quick", "team-a", ["sh", "-c", "sleep 1; exit 3"])
        self.d.wait_state("quick", "running")
        self.inject("CREATE TRIGGER inject BEFORE INSERT ON events "
                    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
        self.d.wait_state("quick", "failed")
        wait_until(lambda: self.d.request("GET", "/healthz", token=False)[1]["status"]
                   == "degraded", what="a degraded health")
        self.inject("DROP TRIGGER inject")
        wait_until(lambda: self.d.request("GET", "/healthz", token=False)[1]["status"] == "ok",
                   what="health back to ok")
        before = {n: self.d.workload(n) for n in ("w", "quick")}
        self.d.stop()
        self.d.start()
        for name, shown in before.items():
            again = self.d.workload(name)
            for key in ("state", "exit_code", "gpu_devices"):
                self.assertEqual(again[key], shown[key], (name, key))
        self.assertEqual(self.d.workload("w")["tasks"][0]["pid"], before["w"]["tasks"][0]["pid"])

    def test_a_submit_the_store_refuses_is_not_acknowledged(self):
        self.project("team-a")
        self.inject("CREATE TRIGGER inject BEFORE INSERT ON workloads "
                    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
        status, body, _ = self.d.request("POST", "/api/v1/workloads", dict(
            name="refused", project="team-a", command=["true"]))
        self.assertEqual(status, 500, body)
        self.assertIn("injected failure", body["error"]["message"])
        self.assertIsNone(self.d.workload("refused"))
        self.inject("DROP TRIGGER inject")
        self.submit("refused", "team-a", ["true"])  # the name was never taken
        self.d.stop()
        self.d.start()
        self.assertIsNotNone(self.d.workload("refused"))


class GangStartTest(DaemonTest):
    def test_reads_are_answered_while_a_big_gang_starts(self):
        """Issue 10: the cycle held the state lock while forking (a 1,024-task gang stalled
        every request for 1.85 s); reads now go on while the supervisors fork."""
        import threading
        self.project("team-a")
        latencies, stop = [], threading.Event()

        def reader():
            while not stop.is_set():
                began = time.monotonic()
                self.d.request("GET", "/api/v1/projects")
                latencies.append(time.monotonic() - began)
                time.sleep(0.01)

        thread = threading.Thread(target=reader)
        thread.start()
        try:
            began = time.monotonic()
            self.submit("gang", "team-a", ["sleep", "300"], workers=300, cpu_millis=1)
            wait_until(lambda: all(t["pid"] for t in self.d.workload("gang")["tasks"]),
                       timeout=60, what="every task of the gang started")
            took = time.monotonic() - began
        finally:
            stop.set()
            thread.join()
        self.assertLess(max(latencies), max(0.25, took / 2), (max(latencies), took))

    def test_changes_are_answered_while_a_big_gang_starts_and_a_delete_stops_it(self):
        """Writes go on too while the supervisors fork (the store is not held meanwhile): a
        submit is answered mid-start, and the gang deleted while it starts is stopped whole,
        each task as soon as its start is recorded, leaving no process behind."""
        def sleepers():  # the gang's commands running now: (pid, process group)
            ps = subprocess.run(["ps", "-eo", "pid=,pgid=,args="], capture_output=True,
                                text=True).stdout
            return [(int(f[0]), int(f[1])) for f in (line.split(None, 2) for line in
                                                      ps.splitlines())
                    if len(f) == 3 and f[2] == "sleep 301"]

        self.project("team-a")
        self.project("team-b")
        self.submit("gang", "team-a", ["sleep", "301"], workers=600, cpu_millis=1)
        wait_until(lambda: len(sleepers()) > 0, timeout=30, what="the gang to start starting")
        self.submit("other", "team-b", ["sleep", "300"])  # a durable write, mid-start
        self.assertLess(len(sleepers()), 600)  # answered before the gang had all started
        status, _, _ = self.d.request("DELETE", "/api/v1/workloads/gang")
        self.assertIn(status, (200, 202))
        wait_until(lambda: self.d.workload("gang") is None, timeout=60, what="the gang gone")
        wait_until(lambda: not sleepers(), timeout=30, what="no process of the gang left")
        self.d.wait_state("other", "running")


class CycleStepsTest(DaemonTest):
    def test_a_workload_deleted_while_the_engine_ran_is_not_started(self):
        """The engine runs between two transactions; a workload deleted in between must not be
        acted on (its decisions are dropped, another cycle runs): no start, no crash."""
        self.project("team-a")
        self.d.stop()
        self.d.start(env={"ALLOTD_FAILPOINTS": "between-steps"})
        marks = os.path.join(self.d.scratch(), "ran")
        self.submit("gone", "team-a", ["sh", "-c", "echo $$ >> %s; sleep 300" % marks], gpu=1)
        time.sleep(0.7)  # the cycle the submit woke is now between its steps
        status, body, _ = self.d.request("DELETE", "/api/v1/workloads/gone")
        self.assertEqual(status, 200, body)  # nothing was started: deleted at once
        self.submit("next", "team-a", ["sleep", "300"], gpu=1)
        self.d.wait_state("next", "running", timeout=30)  # later cycles go on
        self.assertFalse(os.path.exists(marks))
        self.assertIsNone(self.d.workload("gone"))


class RestartTest(DaemonTest):
    def test_restart_loses_nothing_and_readopts_running_tasks(self):
        self.project("team-a", deserved={"gpu": 1})
        self.submit("keeps", "team-a", ["sh", "-c", "echo before; sleep 300"], gpu=1)
        self.submit("ends", "team-a", ["sh", "-c", "sleep 4; exit 4"])
        self.submit("dies", "team-a", ["sleep", "300"])
        self.submit("waits", "team-a", ["true"], gpu=8, queue_anyway=True)  # never fits
        go = os.path.join(self.d.scratch(), "go")
        self.submit("later", "team-a", ["sh", "-c", "while [ ! -e %s ]; do sleep 0.1; done; exit 5"
                                        % go])
        self.d.wait_state("later", "running")
        keeps = self.d.wait_state("keeps", "running")
        dies = self.d.wait_state("dies", "running")
        self.assertEqual(self.d.workload("ends")["state"], "running")
        self.d.stop()
        # while allotd is down: one task ends by itself, one is killed outright
        os.killpg(dies["tasks"][0]["pid"], signal.SIGKILL)
        wait_until(lambda: os.path.exists(os.path.join(self.d.state_dir, "run", "%d-0.exit" % 2)),
                   what="ends to exit while allotd is down")
        self.d.start()
        again = self.d.workload("keeps")
        self.assertEqual(again["state"], "running")
        self.assertEqual(again["tasks"][0]["pid"], keeps["tasks"][0]["pid"])
        self.assertEqual(again["gpu_devices"], keeps["gpu_devices"])
        kinds = [e["kind"] for e in self.d.request("GET", "/api/v1/workloads/keeps/events")[1]["items"]]
        self.assertIn("readopted", kinds)
        # a re-adopted task (not allotd's child now) that ends later is noticed
        self.assertEqual(self.d.workload("later")["state"], "running")
        open(go, "w").close()
        self.assertEqual(self.d.wait_state("later", "failed")["exit_code"], 5)
        ends = self.d.wait_state("ends", "failed")
        self.assertEqual(ends["exit_code"], 4)
        dies = self.d.workload("dies")
        self.assertEqual(dies["state"], "failed")
        self.assertIn(dies["exit_code"], (-1, 137))
        self.assertEqual(self.d.workload("waits")["state"], "pending")
        self.assertEqual(self.d.request("GET", "/api/v1/projects/team-a")[1]["deserved"]["gpu"], 1)
        # a re-adopted task is still stoppable
        self.d.request("DELETE", "/api/v1/workloads/keeps")
        wait_until(lambda: self.d.workload("keeps") is None, what="keeps deleted")
        wait_until(lambda: not pid_alive(keeps["tasks"][0]["pid"]), what="keeps to exit")

    def test_second_allotd_on_the_same_state_dir_is_refused(self):
        other = Daemon(state_dir=self.d.state_dir)
        with self.assertRaises(AssertionError):
            other.start()
        self.assertIn("in use", other.log())


if __name__ == "__main__":
    unittest.main()
