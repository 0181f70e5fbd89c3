"""test_isolation.py - tasks never see allotd's secrets, environment or state dir (issue 13). As
root, allotd runs them as an unprivileged account (nobody, or --task-user) in mount and PID
namespaces of their own; under another user, as that user in user, mount and PID namespaces that
hide the state dir."""
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import unittest

from harness import ALLOTD, Daemon, DaemonTest, open_to_tasks, wait_until

NOBODY = pwd.getpwnam("nobody")
MARKER = "allotd-own-marker-5f3a"  # in allotd's environment only


def nosy_script(d, other_logs=()):
    """A task's command that tries every way to allotd's secrets, saying READ: WHAT for each
    that worked, then prints its user and environment."""
    pid = d.proc.pid
    tries = ["%s/admin.token" % d.state_dir, "%s/allot.db" % d.state_dir,
             "/proc/%d/environ" % pid, "/proc/%d/cmdline" % pid,
             "/proc/%d/root%s/admin.token" % (pid, d.state_dir), *other_logs]
    lines = ["id -u", "id -g"]
    lines += ["cat '%s' >/dev/null 2>&1 && echo 'READ: %s'" % (p, p) for p in tries]
    lines += ["ls '%s' >/dev/null 2>&1 && echo 'READ: the state dir'" % d.state_dir,
              "tr '\\0' '\\n' < /proc/$PPID/cmdline; echo", "echo ---", "env"]
    return ["sh", "-c", "\n".join(lines)]


def task_output(d, name):
    return d.cli("workload", "logs", name).stdout


class Isolation(DaemonTest):
    def start(self, args=(), user=None, env=None, umask=None, in_state_dir=False):
        old = os.umask(umask) if umask is not None else None
        try:
            d = Daemon(gpus=self.gpus, grace=self.grace, args=args, user=user)
            d.cwd = d.state_dir if in_state_dir else None
            d.start(env=env)
        finally:
            if old is not None:
                os.umask(old)
        def finish():
            pids = d.task_pids() if d.proc is not None else None  # asked while it runs
            try:
                d.stop()
            finally:
                d.cleanup(pids)
        self.addCleanup(finish)
        d.request("POST", "/api/v1/projects", {"name": "team-a"})
        return d

    def submit_to(self, d, name, command, **fields):
        status, body, _ = d.request("POST", "/api/v1/workloads",
                                    dict(name=name, project="team-a", command=command, **fields))
        self.assertEqual(status, 201, body)

    def assert_nothing_read(self, d, out):
        self.assertNotIn("READ:", out)
        self.assertNotIn(d.token, out)
        self.assertNotIn(MARKER, out)
        self.assertNotIn(d.state_dir, out)  # not in its parent's command line, nor its env


@unittest.skipUnless(os.geteuid() == 0, "allotd runs tasks as another account only as root")
class RootTaskUserTest(Isolation):
    def setUp(self):
        pass  # each test starts its own allotd

    def tearDown(self):
        pass

    def test_a_task_runs_as_nobody_by_default_with_that_accounts_home_and_name(self):
        d = self.start()
        self.assertIn("tasks run as nobody", d.log())
        self.submit_to(d, "who", ["sh", "-c", "id -u; id -g; echo $HOME $USER $LOGNAME"],
                       exported_env={"HOME": "/root", "USER": "root"}, export="all")
        d.wait_state("who", "succeeded")
        self.assertEqual(task_output(d, "who"), "%d\n%d\n%s nobody nobody\n"
                         % (NOBODY.pw_uid, NOBODY.pw_gid, NOBODY.pw_dir))

    def test_a_task_runs_as_the_given_task_user(self):
        daemon = pwd.getpwnam("daemon")
        d = self.start(args=["--task-user", "daemon"])
        self.assertIn("tasks run as daemon", d.log())
        self.submit_to(d, "who", ["sh", "-c", "id -u; echo $USER"])
        d.wait_state("who", "succeeded")
        self.assertEqual(task_output(d, "who"), "%d\ndaemon\n" % daemon.pw_uid)

    def test_a_users_workloads_run_as_their_own_unix_account(self):
        daemon = pwd.getpwnam("daemon")
        d = self.start()
        for name, unix in (("carol", "daemon"), ("dave", None), ("eve", "root")):
            body = {"name": name, "password": "a-long-password"}
            if unix:
                body["unix_user"] = unix
            self.assertEqual(d.request("POST", "/api/v1/users", body)[0], 201)
            self.assertEqual(d.request("POST", "/api/v1/access-rules", {
                "subject": "user:" + name, "role": "l1-researcher",
                "scope": "project:team-a"})[0], 201)
        def submit_as(user, workload):
            token = d.request("POST", "/api/v1/token", token=False, body={
                "grant_type": "password", "username": user,
                "password": "a-long-password"})[1]["access_token"]
            status, body, _ = d.request("POST", "/api/v1/workloads", token=token, body={
                "name": workload, "project": "team-a", "command": ["sh", "-c", "id -u; id -un"]})
            self.assertEqual(status, 201, body)
        submit_as("carol", "carols")
        submit_as("dave", "daves")
        submit_as("eve", "eves")
        d.wait_state("carols", "succeeded")
        d.wait_state("daves", "succeeded")
        self.assertEqual(task_output(d, "carols"), "%d\ndaemon\n" % daemon.pw_uid)
        self.assertEqual(task_output(d, "daves"), "%d\nnobody\n" % NOBODY.pw_uid)
        # an account mapped to root is never used: the task fails, saying why
        d.wait_state("eves", "failed")
        self.assertIn('account "root" is root',
                      " ".join(e["message"] for e in d.events("eves")))

    def test_root_and_unknown_task_users_are_refused_saying_why(self):
        state = tempfile.mkdtemp(prefix="allot-task-user-")
        self.addCleanup(shutil.rmtree, state, True)
        for user, why in (("root", "tasks never run as root"),
                          ("no-such-account-zq", "no such account")):
            p = subprocess.run([ALLOTD, "--state-dir", state, "--listen", "127.0.0.1:0",
                                "--gpus", "1x80GiB", "--task-user", user],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("--task-user %s: %s" % (user, why), p.stderr)

    def test_a_task_whose_account_is_gone_fails_saying_so(self):
        name = "allot-gone-%d" % os.getpid()
        subprocess.run(["useradd", "--system", "--no-create-home", name], check=True)
        removed = []

        def remove():
            if not removed:
                subprocess.run(["userdel", name], check=False)
                removed.append(True)
        self.addCleanup(remove)
        d = self.start(args=["--task-user", name])
        remove()  # the account goes while allotd runs
        self.submit_to(d, "orphan", ["true"])
        w = d.wait_state("orphan", "failed")
        self.assertEqual(w["exit_code"], 127)
        self.assertIn('account "%s" does not exist on this machine' % name,
                      " ".join(e["message"] for e in d.events("orphan")))

    def test_a_task_reads_none_of_allotds_secrets_nor_another_workloads_log(self):
        d = self.start(env={"ALLOTD_MARKER": MARKER})
        self.submit_to(d, "other", ["sh", "-c", "echo the-other-workloads-output"])
        d.wait_state("other", "succeeded")
        logs = [os.path.join(d.state_dir, "logs", n) for n in os.listdir(
            os.path.join(d.state_dir, "logs")) if n.endswith(".log")]
        self.assertTrue(logs)
        self.submit_to(d, "nosy", nosy_script(d, logs), export="none")
        d.wait_state("nosy", "succeeded")
        out = task_output(d, "nosy")
        self.assertTrue(out.startswith("%d\n%d\n" % (NOBODY.pw_uid, NOBODY.pw_gid)), out)
        self.assert_nothing_read(d, out)
        self.assertNotIn("the-other-workloads-output", out)

    def test_a_task_sees_neither_allotd_nor_other_tasks(self):
        d = self.start()
        self.submit_to(d, "sleeper", ["sleep", "300"])
        d.wait_state("sleeper", "running")
        self.submit_to(d, "looker", ["sh", "-c", "ls /proc | grep -c '^[0-9]'"])
        d.wait_state("looker", "succeeded")
        # its namespace's init, the shell, ls and grep: no allotd, no sleeper
        self.assertLessEqual(int(task_output(d, "looker")), 4)

    def test_exec_runs_as_the_tasks_user_and_reads_no_secret(self):
        d = self.start()
        self.submit_to(d, "train", ["sleep", "300"])
        d.wait_state("train", "running")
        out = d.cli("workload", "exec", "train", "--", "sh", "-c",
                    "id -u; cat %s/admin.token || echo refused" % d.state_dir)
        self.assertEqual(out.stdout, "%d\nrefused\n" % NOBODY.pw_uid)

    def test_logs_restarts_time_limits_and_readoption_work_as_the_task_user(self):
        d = self.start()
        self.submit_to(d, "long", ["sh", "-c", "echo started as $(id -u); exec sleep 300"])
        w = d.wait_state("long", "running")
        wait_until(lambda: "started as" in task_output(d, "long"), what="its output")
        d.cli("workload", "suspend", "long")
        d.wait_state("long", "suspended")
        d.cli("workload", "resume", "long")
        w = d.wait_state("long", "running")
        wait_until(lambda: task_output(d, "long").count("started as %d" % NOBODY.pw_uid) == 2,
                   what="its second run's output")
        self.assertIn("run 2 of task 0", task_output(d, "long"))
        pid = w["tasks"][0]["pid"]
        d.stop()  # its tasks keep running and are re-adopted
        d.start()
        w = d.wait_state("long", "running")
        self.assertEqual(w["tasks"][0]["pid"], pid)
        self.submit_to(d, "over", ["sleep", "300"], time_limit_s=1)
        w = d.wait_state("over", "failed")
        self.assertEqual(w["reason_code"], "time_limit")
        d.cli("workload", "delete", "long")
        wait_until(lambda: d.workload("long") is None, what="long to be deleted")

    def test_a_workdir_the_account_cannot_enter_fails_saying_why(self):
        d = self.start()
        private = tempfile.mkdtemp(prefix="allot-private-")  # 0700, root's
        self.addCleanup(os.rmdir, private)
        self.submit_to(d, "wd", ["true"], workdir=private)
        w = d.wait_state("wd", "failed")
        self.assertEqual(w["exit_code"], 127)
        self.assertIn("cannot enter directory %s: Permission denied" % private,
                      task_output(d, "wd"))
        open_to_tasks(private)
        self.submit_to(d, "wd2", ["pwd"], workdir=private)
        d.wait_state("wd2", "succeeded")

    def test_the_files_of_a_running_task_are_private_whatever_the_umask(self):
        d = self.start(umask=0)
        self.submit_to(d, "ws", ["sleep", "300"], kind="workspace")
        d.wait_state("ws", "running")
        wait_until(lambda: any(n.endswith(".sock") for n in os.listdir(
            os.path.join(d.state_dir, "run"))), what="the task's socket")
        for sub in ("logs", "run"):
            path = os.path.join(d.state_dir, sub)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o700, sub)
            for name in os.listdir(path):
                mode = stat.S_IMODE(os.lstat(os.path.join(path, name)).st_mode)
                self.assertEqual(mode & 0o077, 0, "%s/%s is %o" % (sub, name, mode))


@unittest.skipUnless(os.geteuid() == 0, "the test runs allotd as nobody: it needs root to")
class OwnUserTest(Isolation):
    """allotd under a user that is not root: its tasks run as that user."""

    def setUp(self):
        pass

    def tearDown(self):
        pass

    def start_as_nobody(self):
        d = self.start(user=NOBODY, env={"ALLOTD_MARKER": MARKER})
        if "refuses unprivileged user namespaces" in d.log():
            self.skipTest("this kernel refuses unprivileged user namespaces: %s" % d.log())
        self.assertIn("namespaces of their own (user, mount, PID)", d.log())
        return d

    def test_another_task_user_is_refused_saying_allotd_is_not_root(self):
        state = tempfile.mkdtemp(prefix="allot-task-user-")
        self.addCleanup(shutil.rmtree, state, True)
        os.chown(state, NOBODY.pw_uid, NOBODY.pw_gid)
        p = subprocess.run(["setpriv", "--reuid=%d" % NOBODY.pw_uid,
                            "--regid=%d" % NOBODY.pw_gid, "--clear-groups", "--", ALLOTD,
                            "--state-dir", state, "--listen", "127.0.0.1:0", "--gpus", "1x80GiB",
                            "--task-user", "daemon"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--task-user daemon: allotd is not root", p.stderr)

    def test_a_task_of_allotds_own_user_cannot_read_its_state_dir(self):
        d = self.start_as_nobody()
        self.submit_to(d, "nosy", nosy_script(d), export="none")
        d.wait_state("nosy", "succeeded")
        out = task_output(d, "nosy")
        self.assertTrue(out.startswith("%d\n" % NOBODY.pw_uid), out)  # allotd's own user
        self.assert_nothing_read(d, out)

    def test_a_task_cannot_uncover_the_state_dir(self):
        d = self.start_as_nobody()
        self.submit_to(d, "digger", ["sh", "-c", "umount %s 2>&1; cat %s/admin.token 2>&1; "
                                     "grep CapEff /proc/self/status" % (d.state_dir,
                                                                       d.state_dir)])
        d.wait_state("digger", "succeeded")
        out = task_output(d, "digger")
        self.assertNotIn(d.token, out)
        self.assertIn("CapEff:\t0000000000000000", out)

    def test_a_task_started_in_the_state_dir_finds_it_empty(self):
        d = self.start(user=NOBODY, in_state_dir=True)  # no workdir: allotd's directory
        if "refuses unprivileged user namespaces" in d.log():
            self.skipTest("this kernel refuses unprivileged user namespaces: %s" % d.log())
        self.submit_to(d, "here", ["sh", "-c", "pwd; cat admin.token 2>/dev/null || echo refused"])
        d.wait_state("here", "succeeded")
        self.assertEqual(task_output(d, "here"), "%s\nrefused\n" % d.state_dir)

    def test_exec_in_a_task_of_allotds_own_user_sees_no_state_dir(self):
        d = self.start_as_nobody()
        self.submit_to(d, "train", ["sleep", "300"])
        d.wait_state("train", "running")
        out = d.cli("workload", "exec", "train", "--", "sh", "-c",
                    "cat %s/admin.token || echo refused; ls /proc | grep -c '^[0-9]'"
                    % d.state_dir)
        lines = out.stdout.split()
        self.assertEqual(lines[0], "refused", out.stdout)
        self.assertLessEqual(int(lines[1]), 5)  # init, sleep, the shell, ls, grep
        self.assertNotIn(d.token, out.stdout + out.stderr)


if __name__ == "__main__":
    unittest.main()
