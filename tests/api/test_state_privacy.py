"""test_state_privacy.py - what allotd keeps is its user's alone, whatever the umask it was
started with and whatever modes its state dir had: the store, the token, logs and sockets are
0600 in 0700 directories; a task's own files still get the umask its operator gave allotd, and
a task's environment and its supervisor's command line do not name allotd's state dir."""
import os
import shutil
import stat
import tempfile
import unittest

from harness import Daemon, open_to_tasks, wait_until


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


class StatePrivacyTest(unittest.TestCase):
    def start(self, state_dir=None, umask=0o022):
        old = os.umask(umask)  # allotd inherits it, as from an operator's shell
        try:
            d = Daemon(state_dir=state_dir).start()
        finally:
            os.umask(old)
        self.addCleanup(d.cleanup)
        self.addCleanup(d.stop)
        return d

    def test_the_database_and_token_are_private_whatever_the_umask(self):
        d = self.start(umask=0o000)
        d.request("POST", "/api/v1/projects", {"name": "team-a"})
        d.request("POST", "/api/v1/workloads", {"name": "w", "project": "team-a",
                                                "command": ["sh", "-c", "echo hi"]})
        d.wait_state("w", "succeeded")
        self.assertEqual(mode(d.state_dir), 0o700)
        for name in os.listdir(d.state_dir):
            path = os.path.join(d.state_dir, name)
            if name.startswith("allot") or name == "admin.token":
                self.assertEqual(mode(path) & 0o077, 0, name)
        for sub in ("logs", "run"):
            self.assertEqual(mode(os.path.join(d.state_dir, sub)), 0o700, sub)
            for name in os.listdir(os.path.join(d.state_dir, sub)):
                self.assertEqual(mode(os.path.join(d.state_dir, sub, name)) & 0o077, 0, name)

    def test_the_first_start_says_where_the_admin_token_is_and_not_what_it_is(self):
        d = self.start()
        self.assertEqual(d.log().count("first start: the break-glass admin token is in %s/admin.token"
                                       % d.state_dir), 1)
        d.stop()
        d.start()
        # said once (the token, and the first administrator's password), not at each start
        self.assertEqual(d.log().count("first start"), 2)
        self.assertNotIn(d.token, d.log())

    def test_a_state_dir_made_loose_before_is_tightened(self):
        state = tempfile.mkdtemp(prefix="allot-loose-")
        d = self.start(state_dir=state)
        d.stop()
        os.chmod(state, 0o755)
        for name in os.listdir(state):
            path = os.path.join(state, name)
            os.chmod(path, 0o755 if os.path.isdir(path) else 0o644)
        notes = os.path.join(state, "notes.txt")  # not allotd's: left as it is
        with open(notes, "w") as f:
            f.write("mine\n")
        os.chmod(notes, 0o644)
        d.start()
        self.assertEqual(mode(state), 0o700)
        for name in ("allot.db", "admin.token", "allotd.lock", "allotd.addr"):
            self.assertEqual(mode(os.path.join(state, name)), 0o600, name)
        self.assertEqual(mode(os.path.join(state, "logs")), 0o700)
        self.assertEqual(mode(notes), 0o644)

    def test_a_task_gets_the_umask_allotd_was_started_with(self):
        for umask, expect in ((0o022, "644"), (0o027, "640")):
            d = self.start(umask=umask)
            work = open_to_tasks(tempfile.mkdtemp(prefix="allot-umask-"), writable=True)
            self.addCleanup(shutil.rmtree, work, True)
            d.request("POST", "/api/v1/projects", {"name": "team-a"})
            status, body, _ = d.request(
                "POST", "/api/v1/workloads",
                {"name": "touch", "project": "team-a", "workdir": work,
                 "command": ["sh", "-c", "touch made && stat -c %a made"]})
            self.assertEqual(status, 201, body)
            d.wait_state("touch", "succeeded")
            self.assertEqual(mode(os.path.join(work, "made")), int(expect, 8), umask)
            d.stop()

    def test_a_task_sees_nothing_that_names_the_state_dir(self):
        d = self.start()
        d.request("POST", "/api/v1/projects", {"name": "team-a"})
        d.request("POST", "/api/v1/workloads", {
            "name": "nosy", "project": "team-a",
            "command": ["sh", "-c", "env; echo ---; tr '\\0' ' ' < /proc/$PPID/cmdline; "
                        "echo; sleep 30"]})
        w = d.wait_state("nosy", "running")
        log = wait_until(lambda: "allot-task" in (t := d.cli("workload", "logs", "nosy").stdout)
                         and t, what="the task's output")
        self.assertNotIn(d.state_dir, log)
        self.assertNotIn(d.token, log)
        self.assertNotIn("ALLOT_TOKEN", log)
        self.assertIn("allot-task team-a/nosy/0", log)  # the supervisor's title, not its argv
        self.assertTrue(w["tasks"][0]["pid"])


if __name__ == "__main__":
    unittest.main()
