"""test_cli_table.py - --help, the man pages and the shell completion come from one command
table and agree; every option they list is one the command's parser takes; completion works in
a real bash; make install puts a working allot, its man pages and completion under PREFIX."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness

ALLOT = os.path.abspath(harness.ALLOT)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Nowhere: commands that would reach allotd fail fast (exit 6) once their options are parsed.
OFFLINE = dict(os.environ, ALLOT_SERVER="http://127.0.0.1:1", ALLOT_TOKEN="x")


def allot(*args, env=None):
    return subprocess.run([ALLOT, *args], capture_output=True, text=True, timeout=60,
                          env=env or OFFLINE)


def commands():
    """Every (noun, verb or None) the overview and the nouns' --help list."""
    overview = allot("--help").stdout
    nouns = re.findall(r"^  ([a-z-]+)\s{2,}", overview.split("commands:")[1].split("exit status")[0],
                       re.M)
    found = []
    for noun in nouns:
        text = allot(noun, "--help").stdout
        if "verbs:" in text:
            found += [(noun, v) for v in re.findall(r"^  ([a-z-]+)\s{2,}", text.split("verbs:")[1],
                                                    re.M) if v != "none"]
            if "(none)" in text:
                found.append((noun, None))
        else:
            found.append((noun, None))
    return found


def help_options(noun, verb):
    """The options the command's --help lists: [(short or None, long, takes a value)]."""
    words = [noun] + ([verb] if verb else [])
    text = allot(*words, "--help").stdout
    options = []
    for m in re.finditer(r"^  (?:(-[a-zA-Z]), )?(--[a-z-]+)( [A-Z=]+)?", text, re.M):
        options.append((m.group(1), m.group(2), m.group(3) is not None))
    return text, options


class CommandTableTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="allot-table-")
        cls.man = os.path.join(cls.tmp, "man")
        os.mkdir(cls.man)
        r = allot("man-pages", cls.man)
        assert r.returncode == 0, r.stderr
        cls.completion = os.path.join(cls.tmp, "allot.bash")
        with open(cls.completion, "w") as f:
            f.write(allot("completion", "bash").stdout)
        cls.commands = commands()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def bash(self, script):
        env = dict(OFFLINE, ALLOT_CONFIG=os.environ["ALLOT_CONFIG"],  # allot under test first
                   PATH=os.path.dirname(ALLOT) + ":" + os.environ["PATH"])
        r = subprocess.run(["bash", "-c", "source %s\n%s" % (self.completion, script)],
                           capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_every_command_is_listed_with_its_verbs(self):
        listed = set(self.commands)
        for c in [("workload", "submit"), ("workload", "delete"), ("project", "create"),
                  ("department", "update"), ("node", "list"), ("top", None),
                  ("snapshot", None), ("snapshot", "convert"), ("replay", None),
                  ("login", None), ("config", "use-context"), ("config", "set-project"),
                  ("completion", None)]:
            self.assertIn(c, listed)

    def test_man_pages_and_completion_agree_with_help(self):
        for noun, verb in self.commands:
            text, options = help_options(noun, verb)
            self.assertTrue(text.startswith("usage: allot %s" % noun), (noun, verb, text))
            with open(os.path.join(self.man, "allot-%s.1" % noun)) as f:
                page = f.read()
            with open(os.path.join(self.man, "allot.1")) as f:
                main_page = f.read()
            title = "allot %s%s" % (noun, " " + verb if verb else "")
            self.assertIn('.SS "%s"' % title.replace("-", "\\-"), page)
            self.assertIn('.SS "%s"' % title.replace("-", "\\-"), main_page)
            key = noun + (" " + verb if verb else "")
            completed = set(self.bash('__allot_options "%s"' % key).split())
            for short, long, _ in options:
                self.assertIn(long.replace("-", "\\-"), page, (key, long))
                self.assertIn(long, completed, (key, long))
                if short:
                    self.assertIn(short, completed, (key, short))
            # and nothing more than --help says (it lists its own --help too)
            listed = {o[1] for o in options} | {o[0] for o in options if o[0]} | {"--help"}
            self.assertEqual(completed - listed, set(), key)

    def test_exit_statuses_are_documented_alike(self):
        overview = allot("--help").stdout
        with open(os.path.join(self.man, "allot.1")) as f:
            page = f.read()
        for status in range(7):
            self.assertRegex(overview, r"\n  %d  \S" % status)
            self.assertIn(".TP\n.B %d\n" % status, page)

    def test_every_documented_option_is_taken_by_its_parser(self):
        home = tempfile.mkdtemp(prefix="allot-table-home-", dir=self.tmp)
        env = dict(OFFLINE, ALLOT_CONFIG=os.path.join(home, "config"), HOME=home)
        for noun, verb in self.commands:
            if noun in ("gpu-reservation", "man-pages"):
                continue  # the pod's program, the build's: tested where they run
            _, options = help_options(noun, verb)
            words = [noun] + ([verb] if verb else [])
            for short, long, takes_value in options:
                for name in filter(None, (short, long)):
                    args = words + [name] + (["1"] if takes_value else [])
                    r = subprocess.run([ALLOT, *args], capture_output=True, text=True,
                                       timeout=60, env=env, cwd=home, stdin=subprocess.DEVNULL)
                    self.assertNotIn("unknown option", r.stderr, args)
                    self.assertNotIn("internal error", r.stderr, args)
                    self.assertNotIn("Sanitizer", r.stderr, args)
                    self.assertIn(r.returncode, range(0, 7), (args, r.stderr))

    def test_completion_in_bash(self):
        def complete(*words):
            line = " ".join(words)
            return self.bash('COMP_WORDS=(%s); COMP_CWORD=%d; _allot; echo "${COMPREPLY[*]}"'
                             % (" ".join("'%s'" % w for w in words), len(words) - 1)).split()

        self.assertEqual(complete("allot", "wor"), ["workload"])
        self.assertEqual(complete("allot", "workload", "su"), ["submit", "suspend"])
        self.assertEqual(complete("allot", "workload", "list", "--state", "pe"), ["pending"])
        self.assertEqual(complete("allot", "workload", "list", "-o", "y"), ["yaml"])
        self.assertIn("--gpu-portion", complete("allot", "workload", "submit", "--gpu-"))
        self.assertEqual(complete("allot", "config", "use"), ["use-context"])
        self.assertEqual(complete("allot", "completion", "z"), ["zsh"])
        # contexts come from the config file
        config = os.path.join(self.tmp, "config")
        with open(config, "w") as f:
            f.write('[context "lab-one"]\nserver = http://x\n')
        os.environ["ALLOT_CONFIG"], saved = config, os.environ["ALLOT_CONFIG"]
        try:
            self.assertEqual(complete("allot", "config", "use-context", "lab"), ["lab-one"])
        finally:
            os.environ["ALLOT_CONFIG"] = saved
        # names come from the running allotd; none here, so none, and no error
        self.assertEqual(complete("allot", "workload", "describe", "x"), [])

    def test_zsh_script_loads_bash_completion(self):
        text = allot("completion", "zsh").stdout
        self.assertIn("bashcompinit", text)
        self.assertIn("complete -o default -F _allot allot", text)
        r = allot("completion", "fish")
        self.assertEqual(r.returncode, 2)
        self.assertIn("fish", r.stderr)


class InstallTest(unittest.TestCase):
    def test_make_install_into_a_prefix_and_destdir(self):
        tmp = tempfile.mkdtemp(prefix="allot-install-")
        try:
            r = subprocess.run(["make", "-s", "-C", ROOT, "install", "PREFIX=/opt/allot",
                                "DESTDIR=" + tmp], capture_output=True, text=True, timeout=600)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            root = os.path.join(tmp, "opt", "allot")
            for path in ("bin/allot", "bin/allotd", "bin/allot-supervisor",
                         "share/man/man1/allot.1", "share/man/man1/allot-workload.1",
                         "share/bash-completion/completions/allot"):
                self.assertTrue(os.path.exists(os.path.join(root, path)), path)
            out = subprocess.run([os.path.join(root, "bin", "allot"), "--version"],
                                 capture_output=True, text=True, timeout=30).stdout
            self.assertTrue(out.startswith("allot "), out)
            if shutil.which("man"):
                page = subprocess.run(["man", "-l", os.path.join(root, "share/man/man1/allot.1")],
                                      capture_output=True, text=True, timeout=60,
                                      env=dict(os.environ, MANPAGER="cat", MANWIDTH="80"))
                self.assertIn("EXIT STATUS", page.stdout)
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main()
