"""test_cli_config.py - how allot finds allotd: `allot login` saves contexts (server, token file,
default project) in the config file, `config use-context|set-project|view|delete-context`
change them; a local allotd is found from its state directory's address file, given or from
the directory that holds .allot; a broken config file is named with its line."""
import json
import os
import shutil
import stat
import subprocess
import tempfile

import harness
from harness import DaemonTest

ALLOT = os.path.abspath(harness.ALLOT)


class ConfigTest(DaemonTest):
    def setUp(self):
        super().setUp()
        self.home = tempfile.mkdtemp(prefix="allot-home-")
        self.config = os.path.join(self.home, "config")
        self.elsewhere = os.path.join(self.home, "work")  # a directory with no .allot
        os.mkdir(self.elsewhere)
        self.d.cli("project", "create", "team-a")
        self.d.cli("project", "create", "team-b")

    def tearDown(self):
        shutil.rmtree(self.home)
        super().tearDown()

    def allot(self, *args, cwd=None, stdin=None, **env):
        """allot as a user would run it: no ALLOT_SERVER/ALLOT_TOKEN, this config file."""
        e = {k: v for k, v in os.environ.items() if not k.startswith("ALLOT_")}
        e.update(ALLOT_CONFIG=self.config, HOME=self.home, **env)
        return subprocess.run([ALLOT, *args], capture_output=True, text=True, timeout=60,
                              env=e, cwd=cwd or self.elsewhere, input=stdin)

    def token_file(self, text):
        path = os.path.join(self.home, "given.token")
        with open(path, "w") as f:
            f.write(text + "\n")
        return path

    def test_login_then_every_command_uses_the_context(self):
        # without a context, from elsewhere: nothing to go on
        r = self.allot("project", "list")
        self.assertEqual(r.returncode, 6, r.stderr)  # the default address: no allotd there
        r = self.allot("login", "--server", self.d.url, "--token-file",
                       self.token_file(self.d.token), "--context", "lab", "-p", "team-a")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("context lab", r.stdout)
        with open(self.config) as f:
            text = f.read()
        self.assertIn('current-context = lab', text)
        self.assertNotIn(self.d.token, text)  # the token sits in its own file
        saved = json.loads(self.allot("config", "view", "--json").stdout)["contexts"][0]
        self.assertEqual((saved["name"], saved["server"], saved["project"], saved["current"]),
                         ("lab", self.d.url, "team-a", True))
        mode = stat.S_IMODE(os.stat(saved["token_file"]).st_mode)
        self.assertEqual(mode, 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(self.config).st_mode), 0o600)
        # the default project: submit and list without -p
        r = self.allot("workload", "submit", "w1", "--", "sleep", "60")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.d.workload("w1")["project"], "team-a")
        self.d.cli("workload", "submit", "w2", "-p", "team-b", "--", "sleep", "60")
        names = self.allot("workload", "list", "-o", "name").stdout.split()
        self.assertEqual(names, ["workload/w1"])
        names = self.allot("workload", "list", "-A", "-o", "name").stdout.split()
        self.assertEqual(sorted(names), ["workload/w1", "workload/w2"])
        # set-project changes it; describe finds w2 in team-b then
        self.assertEqual(self.allot("config", "set-project", "team-b").returncode, 0)
        self.assertIn("w2", self.allot("workload", "describe", "w2").stdout)
        self.assertEqual(self.allot("workload", "describe", "w1").returncode, 3)
        r = self.allot("config", "set-project", "Bad_Name")
        self.assertEqual(r.returncode, 2)
        self.assertIn("not a project name", r.stderr)

    def test_contexts_switch_and_override(self):
        tf = self.token_file(self.d.token)
        self.assertEqual(self.allot("login", "--server", self.d.url, "--token-file", tf,
                                    "--context", "one").returncode, 0)
        # a second context that points nowhere
        self.assertEqual(self.allot("login", "--server", self.d.url, "--token-file", tf,
                                    "--context", "two").returncode, 0)
        with open(self.config) as f:
            text = f.read().replace(self.d.url, "http://127.0.0.1:1", 1)  # context one
        with open(self.config, "w") as f:
            f.write(text)
        self.assertEqual(self.allot("project", "list").returncode, 0)  # two is current
        self.assertEqual(self.allot("--context", "one", "project", "list").returncode, 6)
        self.assertEqual(self.allot("project", "list", ALLOT_CONTEXT="one").returncode, 6)
        self.assertEqual(self.allot("config", "use-context", "one").returncode, 0)
        self.assertEqual(self.allot("project", "list").returncode, 6)
        # the environment and the command line still win over the context
        r = self.allot("project", "list", ALLOT_SERVER=self.d.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.allot("--context", "nope", "project", "list")
        self.assertEqual(r.returncode, 3)
        self.assertIn("no context named 'nope'", r.stderr)
        self.assertEqual(self.allot("config", "use-context", "nope").returncode, 3)
        self.assertEqual(self.allot("config", "delete-context", "one").returncode, 0)
        view = self.allot("config", "view").stdout
        self.assertNotIn(" one ", view)
        self.assertIn("two", view)

    def test_login_refuses_what_allotd_refuses_and_saves_nothing(self):
        r = self.allot("login", "--server", self.d.url, "--token-file", self.token_file("wrong"))
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertFalse(os.path.exists(self.config))
        r = self.allot("login", "--server", "http://127.0.0.1:1", "--token", "x")
        self.assertEqual(r.returncode, 6)
        self.assertFalse(os.path.exists(self.config))
        for args, what in [(["--server", "ftp://x"], "not an http"),
                           ([], "give --server"),
                           (["--server", self.d.url, "--token", "a", "--token-file", "b"],
                            "give one of --token, --token-file"),
                           (["--server", self.d.url, "--context", "bad name"],
                            "not a context name")]:
            r = self.allot("login", *args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertIn(what, r.stderr)
        # the token from standard input
        r = self.allot("login", "--server", self.d.url, "--token-file", "-", stdin=self.d.token)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("127.0.0.1-", self.allot("config", "view").stdout)  # named by its host

    def test_a_local_allotd_is_found_from_its_state_dir(self):
        # --state-dir: its allotd.addr and admin.token
        r = self.allot("--state-dir", self.d.state_dir, "project", "list", "-o", "name")
        self.assertEqual((r.returncode, r.stdout.split()), (0, ["project/team-a", "project/team-b"]))
        # the directory that holds .allot, as after `make run`
        repo = os.path.join(self.home, "repo")
        os.mkdir(repo)
        os.symlink(self.d.state_dir, os.path.join(repo, ".allot"))
        r = self.allot("project", "list", "-o", "name", cwd=repo)
        self.assertEqual(r.returncode, 0, r.stderr)
        # login --state-dir makes it work from anywhere
        r = self.allot("login", "--state-dir", os.path.join(repo, ".allot"))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.allot("project", "list", "-o", "name")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("local allotd at", self.allot("config", "view").stdout)

    def test_a_broken_config_file_is_named_with_its_line(self):
        cases = [
            ("current-context = x\n", "current-context 'x' is not a context"),
            ("[context \"a\"]\nserver = http://x\ncolour = red\n", ":3: unknown key"),
            ("[context a]\n", ":1: a section must be"),
            ("[context \"a\"]\n[context \"a\"]\n", ":2: this context was named before"),
            ("server = http://x\n", ":1: only current-context goes before"),
            ("[context \"a\"]\njust words\n", ":2: expected `key = value`"),
        ]
        for text, what in cases:
            with open(self.config, "w") as f:
                f.write(text)
            r = self.allot("project", "list")
            self.assertEqual(r.returncode, 2, (text, r.stderr))
            self.assertIn(self.config, r.stderr)
            self.assertIn(what, r.stderr)
