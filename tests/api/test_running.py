"""test_running.py - running a workload like a researcher (issue 12, item 2): the submitter's
environment and directory, not allotd's; time limits; suspend and resume (across a restart too);
the restart count; markers between runs in a task's log, its last lines and what it wrote since
a time, followed too; the supervisor's title in ps. Each malformed request is refused naming its
field."""
import datetime
import os
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from harness import ALLOT, Daemon, DaemonTest, open_to_tasks, wait_until

SLEEP = ["sleep", "600"]
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def rfc3339(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class Running(DaemonTest):
    def setUp(self):
        super().setUp()
        self.project("team-a")

    def logs(self, name, query=""):
        status, text, headers = self.d.request("GET", "/api/v1/workloads/%s/logs%s" % (name, query))
        self.assertEqual(status, 200, text)
        return text, headers

    def refused(self, body, field, code=400):
        status, answer, _ = self.d.request("POST", "/api/v1/workloads", body)
        self.assertEqual(status, code, answer)
        self.assertEqual(answer["error"]["field"], field, answer)
        return answer["error"]["message"]

    def kinds(self, name):
        return [e["kind"] for e in self.d.events(name)]


class EnvironmentTest(Running):
    def setUp(self):
        # allotd's own environment holds a variable no task may see
        self.d = Daemon(gpus=self.gpus, grace=self.grace).start(env={"ALLOTD_OWN_SECRET": "x"})
        self.project("team-a")
        self.venv = open_to_tasks(tempfile.mkdtemp(prefix="allot-venv-"))
        os.mkdir(os.path.join(self.venv, "bin"), 0o755)
        tool = os.path.join(self.venv, "bin", "venv-tool")
        with open(tool, "w") as f:
            f.write("#!/bin/sh\necho \"tool of $VIRTUAL_ENV\"\n")
        os.chmod(tool, 0o755)  # a task of a root allotd runs as nobody

    def tearDown(self):
        super().tearDown()
        os.unlink(os.path.join(self.venv, "bin", "venv-tool"))
        os.rmdir(os.path.join(self.venv, "bin"))
        os.rmdir(self.venv)

    def test_an_activated_virtualenv_reaches_the_task_and_allotds_environment_does_not(self):
        exported = {"VIRTUAL_ENV": self.venv, "PATH": self.venv + "/bin:/usr/bin:/bin",
                    "MY_SETTING": "42", "CUDA_VISIBLE_DEVICES": "7", "ALLOT_NODE": "forged"}
        w = self.submit("venv", "team-a", ["sh", "-c",
                                           "venv-tool; echo \"$MY_SETTING $OVER [$ALLOTD_OWN_SECRET]"
                                           " [$CUDA_VISIBLE_DEVICES] $ALLOT_NODE\"; echo $PATH"],
                        export="all", exported_env=exported, env={"OVER": "set"})
        self.assertEqual((w["export"], w["exported_env"], w["env"]), ("all", exported,
                                                                      {"OVER": "set"}))
        self.d.wait_state("venv", "succeeded")
        lines = self.logs("venv")[0].splitlines()
        self.assertEqual(lines[0], "tool of " + self.venv)
        node = self.d.workload("venv")["node"] or self.d.workload("venv")["tasks"][0]["node"]
        self.assertEqual(lines[1], "42 set [] [] " + node)
        self.assertEqual(lines[2], self.venv + "/bin:/usr/bin:/bin")

    def test_a_client_that_carries_nothing_gets_a_minimal_base_and_its_own_variables(self):
        """--export=NONE, and every client older than export: PATH, HOME, USER and the -e ones."""
        self.submit("old", "team-a", ["sh", "-c", "echo \"$PATH|$ONE|${HOME:+home}|"
                                                  "[$ALLOTD_OWN_SECRET]\""], env={"ONE": "1"})
        self.submit("none", "team-a", ["sh", "-c", "echo \"$PATH|$ONE\""], env={"ONE": "1"},
                    export="none")
        self.d.wait_state("old", "succeeded")
        self.d.wait_state("none", "succeeded")
        self.assertEqual(self.logs("old")[0], BASE_PATH + "|1|home|[]\n")
        self.assertEqual(self.logs("none")[0], BASE_PATH + "|1\n")
        self.assertEqual(self.d.workload("old")["export"], "none")

    def test_named_variables_are_carried_over_the_base(self):
        self.submit("named", "team-a", ["sh", "-c", "echo \"$HF_HOME $PATH\""],
                    export=["HF_HOME", "UNSET_ONE"], exported_env={"HF_HOME": "/data/hf"})
        self.d.wait_state("named", "succeeded")
        self.assertEqual(self.logs("named")[0], "/data/hf " + BASE_PATH + "\n")

    def test_the_task_starts_in_its_workdir(self):
        here = open_to_tasks(tempfile.mkdtemp(prefix="allot-wd-"))
        try:
            self.submit("wd", "team-a", ["sh", "-c", "pwd -P; echo $PWD"], workdir=here)
            self.d.wait_state("wd", "succeeded")
            real = os.path.realpath(here)
            self.assertEqual(self.logs("wd")[0], "%s\n%s\n" % (real, here))
        finally:
            os.rmdir(here)

    def test_malformed_environments_and_directories_are_refused_naming_the_field(self):
        base = {"name": "bad", "project": "team-a", "command": ["true"]}
        self.assertIn("No such file or directory",
                      self.refused(dict(base, workdir="/nonexistent-allot-dir"), "workdir"))
        self.assertIn("not a directory", self.refused(dict(base, workdir="/etc/passwd"), "workdir"))
        self.refused(dict(base, workdir="relative/dir"), "workdir")
        self.refused(dict(base, export="some"), "export")
        self.refused(dict(base, export=[]), "export")
        self.refused(dict(base, export=["A", "B=1"]), "export[1]")
        self.refused(dict(base, export=["A", ""]), "export[1]")
        self.refused(dict(base, export="none", exported_env={"A": "1"}), "exported_env.A")
        self.refused(dict(base, exported_env={"A": "1"}), "exported_env.A")  # none by default
        self.refused(dict(base, export=["A"], exported_env={"B": "1"}), "exported_env.B")
        self.refused(dict(base, export="all", exported_env={"A": 1}), "exported_env.A")
        self.refused(dict(base, export="all", exported_env=["A=1"]), "exported_env")
        self.refused(dict(base, env={"": "x"}), "env.")
        self.assertIsNone(self.d.workload("bad"))


class TimeLimitTest(Running):
    def test_a_workload_over_its_time_limit_is_stopped_and_fails_saying_so(self):
        # it ignores SIGTERM and would exit 0: it is failed all the same, once killed
        self.submit("long", "team-a", ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"],
                    time_limit_s=2)
        self.submit("short", "team-a", ["sleep", "1"], time_limit_s=60)
        w = self.d.wait_state("long", "failed", timeout=20)
        self.assertEqual(w["reason_code"], "time_limit")
        self.assertEqual(w["reason"], "ran over its time limit of 2s")
        self.assertEqual(w["time_limit_s"], 2)
        self.assertEqual(w["tasks"][0]["state"], "failed")
        self.assertGreaterEqual(w["finished_s"] - w["started_s"], 2)
        events = self.d.events("long")
        kinds = [e["kind"] for e in events]
        self.assertIn("time_limit", kinds)
        self.assertIn("ran over its time limit of 2s", events[-1]["message"])
        self.assertEqual(self.d.wait_state("short", "succeeded")["reason"], None)

    def test_the_limit_counts_the_current_run_only(self):
        """A run ended by a suspend does not count towards the next one."""
        self.submit("again", "team-a", SLEEP, time_limit_s=4)
        self.d.wait_state("again", "running")
        time.sleep(2.5)
        self.d.request("POST", "/api/v1/workloads/again/suspend")
        wait_until(lambda: self.d.workload("again")["tasks"][0]["state"] == "pending",
                   what="its task requeued")
        status, w, _ = self.d.request("POST", "/api/v1/workloads/again/resume")
        self.assertEqual(status, 200, w)
        restarted = time.time()
        self.d.wait_state("again", "running")
        time.sleep(2.5)  # 5 s in all: the first run's time would have ended it
        self.assertEqual(self.d.workload("again")["state"], "running")
        w = self.d.wait_state("again", "failed", timeout=20)
        self.assertGreaterEqual(time.time() - restarted, 3.5)
        self.assertEqual(w["reason_code"], "time_limit")

    def test_bad_time_limits_are_refused_naming_the_field(self):
        base = {"name": "bad", "project": "team-a", "command": ["true"]}
        for bad in (0, -1, "1h", 1.5, 315360001, True):
            message = self.refused(dict(base, time_limit_s=bad), "time_limit_s")
            self.assertIn("seconds", message)
        self.assertIsNone(self.submit("unlimited", "team-a", ["true"],
                                      time_limit_s=None)["time_limit_s"])


class SuspendTest(Running):
    def suspend(self, name, expect=200):
        status, body, _ = self.d.request("POST", "/api/v1/workloads/%s/suspend" % name)
        self.assertEqual(status, expect, body)
        return body

    def resume(self, name, expect=200):
        status, body, _ = self.d.request("POST", "/api/v1/workloads/%s/resume" % name)
        self.assertEqual(status, expect, body)
        return body

    def test_suspend_frees_the_gpus_for_another_and_resume_runs_it_again(self):
        self.submit("first", "team-a", ["sh", "-c", "echo run; sleep 600"], gpu=2)
        pid = self.d.wait_state("first", "running")["tasks"][0]["pid"]
        self.submit("second", "team-a", SLEEP, gpu=2)
        w = self.suspend("first")
        self.assertEqual((w["state"], w["reason_code"]), ("suspended", "suspended"))
        self.d.wait_state("second", "running", timeout=20)  # first's GPUs were freed
        first = self.d.workload("first")
        self.assertEqual(first["state"], "suspended")
        self.assertEqual(first["tasks"][0]["state"], "pending")
        self.assertEqual(first["restarts"], 1)
        self.assertEqual(self.suspend("first")["state"], "suspended")  # again: nothing to do
        self.d.request("DELETE", "/api/v1/workloads/second")
        wait_until(lambda: self.d.workload("second") is None, what="second gone")
        time.sleep(2)  # cycles run: a suspended workload is not scheduled
        self.assertEqual(self.d.workload("first")["state"], "suspended")
        self.assertEqual(self.resume("first")["state"], "pending")
        w = self.d.wait_state("first", "running")
        self.assertNotEqual(w["tasks"][0]["pid"], pid)
        self.assertEqual(w["tasks"][0]["runs"], 2)
        self.assertEqual(w["reason"], None)
        kinds = self.kinds("first")
        self.assertLess(kinds.index("suspended"), kinds.index("requeued"))
        self.assertLess(kinds.index("requeued"), kinds.index("resumed"))
        text = wait_until(lambda: (t := self.logs("first")[0]).count("run\n") == 2 and t,
                          what="the second run's output")
        self.assertRegex(text, r"^run\n----- allot: run 2 of task 0 started "
                               r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(after: suspended\) -----\nrun\n$")

    def test_a_suspended_workload_stays_suspended_across_a_restart(self):
        self.submit("kept", "team-a", SLEEP, gpu=1)
        self.d.wait_state("kept", "running")
        self.suspend("kept")
        wait_until(lambda: self.d.workload("kept")["tasks"][0]["state"] == "pending",
                   what="its task requeued")
        self.d.stop()
        self.d.start()
        time.sleep(1.5)
        w = self.d.workload("kept")
        self.assertEqual((w["state"], w["reason_code"], w["restarts"]),
                         ("suspended", "suspended", 1))
        self.resume("kept")
        self.assertEqual(self.d.wait_state("kept", "running")["tasks"][0]["runs"], 2)

    def test_suspending_while_its_tasks_stop_survives_a_restart(self):
        """allotd stops while the suspended task ignores SIGTERM: after the restart it is still
        stopped and requeued, not failed."""
        self.submit("slow", "team-a", ["sh", "-c", "trap '' TERM; sleep 600"])
        self.d.wait_state("slow", "running")
        self.suspend("slow")
        self.d.stop()
        self.d.start()
        w = wait_until(lambda: (w := self.d.workload("slow"))["tasks"][0]["state"] == "pending"
                       and w, timeout=20, what="the stubborn task killed and requeued")
        self.assertEqual(w["state"], "suspended")
        self.assertNotIn("failed", self.kinds("slow"))

    def test_only_what_can_be_suspended_or_resumed_is(self):
        self.submit("done", "team-a", ["true"])
        self.d.wait_state("done", "succeeded")
        self.assertIn("succeeded", self.suspend("done", 409)["error"]["message"])
        self.submit("busy", "team-a", SLEEP)
        self.d.wait_state("busy", "running")
        self.assertEqual(self.resume("busy", 409)["error"]["code"], "failed_precondition")
        self.suspend("nonexistent", 404)
        self.assertEqual(self.d.request("GET", "/api/v1/workloads/busy/suspend")[0], 405)
        pending = self.submit("waiting", "team-a", SLEEP, gpu=3, queue_anyway=True)  # more than the node has
        self.assertEqual(self.suspend("waiting")["state"], "suspended")
        self.assertEqual(self.resume("waiting")["state"], "pending")
        status, listed, _ = self.d.request("GET", "/api/v1/workloads?state=suspended")
        self.assertEqual((status, listed["total"]), (200, 0), listed)
        self.suspend("busy")
        listed = self.d.request("GET", "/api/v1/workloads?state=suspended")[1]
        self.assertEqual([w["name"] for w in listed["items"]], ["busy"])
        status, body, _ = self.d.request("DELETE", "/api/v1/projects/team-a")
        self.assertEqual(status, 409, body)  # a suspended workload is not finished


class RestartsTest(Running):
    gpus = "1x80GiB"

    def setUp(self):
        DaemonTest.setUp(self)
        self.project("team-a", deserved={"gpu": 0})
        self.project("team-b", deserved={"gpu": 1})

    def test_a_reclaim_counts_a_restart_and_marks_the_next_run(self):
        self.submit("lender", "team-a", ["sh", "-c", "echo started; sleep 600"], gpu=1)
        self.d.wait_state("lender", "running")
        self.assertEqual(self.d.workload("lender")["restarts"], 0)
        self.submit("owner", "team-b", ["sleep", "2"], gpu=1)
        w = wait_until(lambda: (w := self.d.workload("lender"))["restarts"] == 1 and w,
                       timeout=30, what="the lender requeued")
        self.assertIn("requeued", self.kinds("lender"))
        self.d.wait_state("owner", "succeeded", timeout=30)
        w = self.d.wait_state("lender", "running", timeout=30)  # back once the owner is done
        self.assertEqual((w["restarts"], w["tasks"][0]["runs"]), (1, 2))
        requeued = [e["message"] for e in self.d.events("lender") if e["kind"] == "requeued"]
        self.assertIn("evicted by reclaim for team-b/owner", requeued[0])
        text = wait_until(lambda: (t := self.logs("lender")[0]).count("started\n") == 2 and t,
                          what="the second run's output")
        self.assertIn(" (after: evicted by reclaim for team-b/owner) -----\nstarted\n", text)


class LogsTest(Running):
    def test_tail_gives_the_last_lines_and_since_what_was_written_since(self):
        self.submit("talk", "team-a", ["sh", "-c",
                                       "for i in 1 2 3 4 5 6; do echo line $i; done; sleep 4;"
                                       " echo late; exec sleep 600"])
        self.d.wait_state("talk", "running")
        wait_until(lambda: "late" in self.logs("talk")[0], timeout=15, what="late output")
        seen = time.time()
        text, headers = self.logs("talk", "?tail=2")
        self.assertEqual(text, "line 6\nlate\n")
        self.assertEqual(int(headers["X-Allot-Log-Start"]), len("line 1\n") * 5)
        self.assertEqual(self.logs("talk", "?tail=0")[0], "")
        self.assertEqual(self.logs("talk", "?tail=100")[0].count("\n"), 7)
        since = rfc3339(seen - 2)  # after the six lines, before "late"
        text, headers = self.logs("talk", "?since=" + urllib.parse.quote(since))
        self.assertEqual(text, "late\n")
        self.assertEqual(int(headers["X-Allot-Log-Start"]), len("line 1\n") * 6)
        self.assertEqual(self.logs("talk", "?since=%d" % int(seen - 2))[0], "late\n")
        self.assertEqual(self.logs("talk", "?since=1h")[0].count("\n"), 7)
        self.assertEqual(self.logs("talk", "?since=1h&tail=1")[0], "late\n")  # both: the later

    def test_follow_starts_where_tail_and_since_say_and_goes_on(self):
        self.submit("stream", "team-a", ["sh", "-c",
                                         "echo old 1; echo old 2; sleep 3; echo new; sleep 1"])
        self.d.wait_state("stream", "running")
        wait_until(lambda: "old 2" in self.logs("stream")[0], what="the old lines")
        text, headers = self.logs("stream", "?follow=true&tail=1")  # until the task ends
        self.assertEqual(text, "old 2\nnew\n")
        self.assertEqual(headers["X-Allot-Log-Start"], str(len("old 1\n")))
        self.assertEqual(self.logs("stream", "?follow=true&tail=0")[0], "")  # ended: nothing new
        self.assertEqual(self.logs("stream", "?follow=true&since=1h")[0], "old 1\nold 2\nnew\n")

    def test_bad_tail_and_since_are_refused_naming_them(self):
        self.submit("quiet", "team-a", ["true"])
        for query, field in (("tail=-1", "tail"), ("tail=x", "tail"), ("since=yesterday", "since"),
                             ("since=10", None), ("since=2026-13-01T00:00:00Z", "since"),
                             ("since=-5m", "since")):
            status, body, _ = self.d.request("GET", "/api/v1/workloads/quiet/logs?" + query)
            if field is None:  # seconds since the epoch: a valid, if early, time
                self.assertEqual(status, 200, body)
                continue
            self.assertEqual(status, 400, (query, body))
            self.assertEqual(body["error"]["field"], field, body)


class ProcessTitleTest(Running):
    def test_a_task_shows_in_ps_as_allot_task_and_its_name(self):
        self.submit("titled", "team-a", SLEEP, workers=2, min_members=1)
        w = self.d.wait_state("titled", "running")
        for t in w["tasks"]:
            path = "/proc/%d/cmdline" % t["pid"]
            want = "allot-task team-a/titled/%d" % t["index"]
            cmdline = wait_until(lambda: (c := open(path, "rb").read().rstrip(b"\0").decode())
                                 == want and c, what="the title of task %d" % t["index"])
            self.assertEqual(cmdline, want)
            with open("/proc/%d/comm" % t["pid"]) as f:
                self.assertEqual(f.read().strip(), "allot-task")


class CliTest(Running):
    """The same through `allot`: --export, --workdir, --time-limit, suspend and resume, logs
    --tail and --since, and what list and describe show; usage errors exit 2 naming the option,
    allotd's refusals exit with their own status."""

    def allot(self, *args, env=None, cwd=None, check=True):
        e = dict(os.environ, ALLOT_SERVER=self.d.url, ALLOT_TOKEN=self.d.token, **(env or {}))
        p = subprocess.run([os.path.abspath(ALLOT), *args], capture_output=True, text=True, env=e,
                           cwd=cwd, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("allot %s: %d: %s%s" % (args, p.returncode, p.stdout, p.stderr))
        return p

    def test_submit_carries_the_environment_and_directory_it_runs_in(self):
        venv = open_to_tasks(tempfile.mkdtemp(prefix="allot-venv-"))
        try:
            os.mkdir(os.path.join(venv, "bin"), 0o755)
            with open(os.path.join(venv, "bin", "trainer"), "w") as f:
                f.write("#!/bin/sh\necho \"trainer in $VIRTUAL_ENV at $(pwd -P)\"\n")
            os.chmod(os.path.join(venv, "bin", "trainer"), 0o755)  # the task may run as nobody
            activated = {"VIRTUAL_ENV": venv, "PATH": venv + "/bin:" + os.environ["PATH"],
                         "WANDB_MODE": "offline"}
            self.allot("workload", "submit", "all", "-p", "team-a", "--", "sh", "-c",
                       "trainer; echo $WANDB_MODE [$ALLOT_TOKEN]", env=activated, cwd=venv)
            self.allot("workload", "submit", "none", "-p", "team-a", "--export=NONE", "-e",
                       "ONE=1", "--", "sh", "-c", "echo \"$ONE [$WANDB_MODE] $PATH\"",
                       env=activated)
            self.allot("workload", "submit", "some", "-p", "team-a", "--export",
                       "WANDB_MODE,HF_HOME=/data/hf", "--workdir", "bin", "--", "sh", "-c",
                       "echo \"$WANDB_MODE $HF_HOME [$VIRTUAL_ENV] $(pwd -P)\"", env=activated,
                       cwd=venv)
            real = os.path.realpath(venv)
            for name in ("all", "none", "some"):
                self.d.wait_state(name, "succeeded")
            self.assertEqual(self.logs("all")[0],
                             "trainer in %s at %s\noffline []\n" % (venv, real))
            self.assertEqual(self.logs("none")[0], "1 [] %s\n" % BASE_PATH)
            self.assertEqual(self.logs("some")[0], "offline /data/hf [] %s/bin\n" % real)
            w = self.d.workload("all")
            self.assertEqual(w["export"], "all")
            self.assertNotIn("ALLOT_TOKEN", w["exported_env"])  # allot's own stay home
            self.assertEqual(self.d.workload("some")["export"], ["WANDB_MODE"])
            described = self.allot("workload", "describe", "all").stdout
            self.assertIn("ALL: the submitter's environment (", described)
            self.assertNotIn(venv + "/bin:", described)  # names, not values
        finally:
            os.unlink(os.path.join(venv, "bin", "trainer"))
            os.rmdir(os.path.join(venv, "bin"))
            os.rmdir(venv)

    def test_bad_export_workdir_and_time_limit_are_usage_errors_naming_the_option(self):
        for args, named in ((["--export", "A,,B"], "--export"),
                            (["--export", "NONE,A"], "--export"),
                            (["--export", "A,ALL"], "--export"),
                            (["--export", "9LIVES"], "--export"),
                            (["--export", "A", "--export", "B"], "--export"),
                            (["--time-limit", "soon"], "--time-limit"),
                            (["--time-limit", "0"], "--time-limit"),
                            (["--time-limit", "10:60"], "--time-limit"),
                            (["--workdir", "/nonexistent-allot-dir"], "--workdir")):
            p = self.allot("workload", "submit", "bad", "-p", "team-a", *args, "--", "true",
                           check=False)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertIn(named, p.stderr)
        self.assertIsNone(self.d.workload("bad"))
        p = self.allot("workload", "logs", "bad", "--since", "90", check=False)
        self.assertEqual((p.returncode, "--since" in p.stderr), (2, True), p.stderr)
        p = self.allot("workload", "logs", "bad", "--tail", "-3", check=False)
        self.assertEqual((p.returncode, "--tail" in p.stderr), (2, True), p.stderr)

    def test_time_limit_suspend_resume_and_what_the_commands_show(self):
        self.allot("workload", "submit", "brief", "-p", "team-a", "--time-limit", "0:02", "--",
                   "sleep", "600")
        self.allot("workload", "submit", "held", "-p", "team-a", "--gpu", "1", "--", "sh", "-c",
                   "echo one; echo two; echo three; sleep 600")
        self.d.wait_state("held", "running")
        out = self.allot("workload", "suspend", "held").stdout
        self.assertEqual(out, "workload held suspended (now suspended)\n")
        wait_until(lambda: self.d.workload("held")["tasks"][0]["state"] == "pending",
                   what="held's task stopped")
        listed = self.allot("workload", "list", "--state", "suspended").stdout
        self.assertIn("held", listed)
        self.assertIn("Suspended", listed)
        wide = self.allot("workload", "list", "-o", "wide").stdout.splitlines()
        restarts = wide[0].split().index("RESTARTS")
        row = [r for r in wide if r.startswith("held ")][0].split()
        self.assertEqual(row[restarts], "1")
        p = self.allot("workload", "resume", "brief", check=False)
        self.assertEqual(p.returncode, 4, p.stderr)  # not suspended: a conflict
        self.assertEqual(self.allot("workload", "suspend", "gone", check=False).returncode, 3)
        self.assertIn("resumed", self.allot("workload", "resume", "held").stdout)
        self.d.wait_state("held", "running")
        w = self.d.wait_state("brief", "failed", timeout=20)
        self.assertEqual(w["reason_short"], "TimeLimit")
        described = self.allot("workload", "describe", "brief").stdout
        self.assertIn("Time limit:", described)
        self.assertIn("Reason:", described)
        self.assertIn("ran over its time limit of 2s", described)
        held = self.allot("workload", "describe", "held").stdout
        self.assertRegex(held, r"Restarts: +1")
        wait_until(lambda: self.logs("held")[0].count("three") == 2, what="held's second run")
        tail = self.allot("workload", "logs", "held", "--tail", "2").stdout
        self.assertEqual(tail, "two\nthree\n")
        since = self.allot("workload", "logs", "held", "--since", "1h").stdout
        self.assertIn("----- allot: run 2 of task 0 started ", since)
        self.assertIn("(after: suspended) -----\none\n", since)

    def test_follow_with_tail_prints_the_last_lines_then_what_comes(self):
        self.allot("workload", "submit", "chatty", "-p", "team-a", "--", "sh", "-c",
                   "for i in 1 2 3 4 5; do echo old $i; done; sleep 3; echo new; sleep 1")
        self.d.wait_state("chatty", "running")
        wait_until(lambda: "old 5" in self.logs("chatty")[0], what="the old lines")
        out = self.allot("workload", "logs", "chatty", "-f", "--tail", "2").stdout
        self.assertEqual(out, "old 4\nold 5\nnew\n")


if __name__ == "__main__":
    unittest.main()
