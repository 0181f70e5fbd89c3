"""test_interactive.py - workload kinds (issue 12, item 2) and the streams to a running task:
`allot workload attach` driven through a pseudo-terminal, `exec`, `port-forward`, and the API's
refusals, each naming its field."""
import json
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request

from harness import ALLOT as ALLOT_PATH, DaemonTest, open_to_tasks, pid_alive, wait_until

ALLOT = os.path.abspath(ALLOT_PATH)  # run from other directories too

# A workspace's command: a prompt, what was typed echoed back, "quit" ends it with exit code 5.
PROMPT_LOOP = ("import sys\n"
               "while True:\n"
               "    s = input('ws> ')\n"
               "    if s == 'quit':\n"
               "        sys.exit(5)\n"
               "    print('got', s)\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PtyCli:
    """The real allot run under a pseudo-terminal, as a person at a terminal runs it."""

    def __init__(self, daemon, *args):
        env = dict(os.environ, ALLOT_SERVER=daemon.url, ALLOT_TOKEN=daemon.token, TERM="xterm",
                   **daemon.tls_env())
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(ALLOT, [ALLOT, *args], env)
            finally:
                os._exit(127)
        self.seen = b""
        self.status = None

    def read_until(self, text, timeout=15):
        """Reads what the terminal shows until `text` (bytes) appears; fails naming what came."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%r never came; the terminal showed %r" % (text, self.seen))
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.2))
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the program ended and its terminal hung up
                    chunk = b""
                if not chunk:
                    raise AssertionError("ended before %r; the terminal showed %r"
                                         % (text, self.seen))
                self.seen += chunk
        return self.seen

    def read_match(self, pattern, timeout=15):
        """Reads until the regular expression (bytes) matches what the terminal showed."""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.seen):
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                self.seen += os.read(self.fd, 4096)
            if time.monotonic() > deadline:
                raise AssertionError("%r never matched; the terminal showed %r"
                                     % (pattern, self.seen))
        return re.search(pattern, self.seen)

    def type(self, data):
        os.write(self.fd, data)

    def wait(self, timeout=15):
        """The exit status once it has ended (reading what is left so that it can end)."""
        deadline = time.monotonic() + timeout
        while self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                raise AssertionError("still running; the terminal showed %r" % self.seen)
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                try:
                    self.seen += os.read(self.fd, 4096)
                except OSError:
                    pass
        os.close(self.fd)
        return self.status


def upgrade(daemon, method, path, body=None, token=None):
    """A raw stream request: (101, socket) or (status, JSON error)."""
    host, port = daemon.url.split("//")[1].split(":")
    s = socket.create_connection((host, int(port)), timeout=15)
    data = json.dumps(body).encode() if body is not None else b""
    head = ("%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: Upgrade\r\n"
            "Upgrade: allot-stream/1\r\nContent-Length: %d\r\n\r\n"
            % (method, path, token or daemon.token, len(data)))
    s.sendall(head.encode() + data)
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    head, _, rest = got.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    if status == 101:
        return status, s
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(rest) < length:
        rest += s.recv(4096)
    s.close()
    return status, json.loads(rest)


class KindTest(DaemonTest):
    """Run:ai's workload types: the defaults each sets, what it refuses, what is stored."""

    def test_each_kind_has_run_ai_defaults(self):
        self.project("p")
        cases = [({}, "training", 50, True),
                 ({"kind": "training"}, "training", 50, True),
                 ({"kind": "workspace"}, "workspace", 100, False),
                 ({"kind": "workspace", "preemptible": True}, "workspace", 75, True),
                 ({"kind": "inference"}, "inference", 125, False),
                 ({"kind": "inference", "priority": 40}, "inference", 40, False),
                 ({"kind": "workspace", "priority": "train"}, "workspace", 50, True),
                 ({"kind": "training", "priority": "interactive-preemptible"}, "training", 75,
                  True)]
        for i, (fields, kind, priority, preemptible) in enumerate(cases):
            w = self.submit("w%d" % i, "p", ["sleep", "60"], **fields)
            self.assertEqual((w["kind"], w["priority"], w["preemptible"]),
                             (kind, priority, preemptible), fields)

    def test_contradictions_and_unknown_kinds_are_refused_naming_the_field(self):
        self.project("p")
        for fields, field in [({"kind": "inference", "preemptible": True}, "preemptible"),
                              ({"kind": "batch"}, "kind"), ({"kind": 3}, "kind")]:
            status, body, _ = self.d.request("POST", "/api/v1/workloads",
                                             dict(name="x", project="p", command=["true"],
                                                  **fields))
            self.assertEqual(status, 400, body)
            self.assertEqual(body["error"]["field"], field, body)
        p = self.d.cli("workload", "submit", "x", "-p", "p", "--kind", "batch", "--", "true",
                       check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--kind", p.stderr)
        p = self.d.cli("workload", "submit", "x", "-p", "p", "--kind", "inference",
                       "--preemptible", "--", "true", check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("(--preemptible)", p.stderr)  # the field, as the option that sets it

    def test_the_kind_is_stored_and_shown(self):
        self.project("p")
        self.d.cli("workload", "submit", "ws", "-p", "p", "--kind", "workspace", "--",
                   "sleep", "60")
        self.d.stop()
        self.d.start()
        self.assertEqual(self.d.workload("ws")["kind"], "workspace")
        self.assertIn("workspace", self.d.cli("workload", "describe", "ws").stdout)
        wide = self.d.cli("workload", "list", "-o", "wide").stdout
        self.assertRegex(wide, r"(?m)^ws .* workspace ")

    def test_preempt_takes_the_training_job_never_the_inference_one(self):
        # the inference workload has the lowest priority: only its kind protects it
        self.project("p", deserved={"gpu": 2})
        self.submit("inf", "p", ["sleep", "300"], kind="inference", priority=40, gpu=1)
        self.submit("train", "p", ["sleep", "300"], gpu=1)
        self.d.wait_state("inf", "running")
        self.d.wait_state("train", "running")
        self.submit("urgent", "p", ["sleep", "300"], priority=80, gpu=1)
        self.d.wait_state("urgent", "running", timeout=30)
        self.assertEqual(self.d.workload("inf")["state"], "running")
        self.assertIn(self.d.workload("train")["state"], ("pending", "running"))
        evicted = [e["message"] for e in self.d.events("train") if e["kind"] == "evicted"]
        self.assertTrue(evicted and "preempted by job urgent" in evicted[0], evicted)
        self.assertFalse([e for e in self.d.events("inf") if e["kind"] == "evicted"])


class AttachTest(DaemonTest):
    """A workspace's terminal, through allotd, from a real terminal."""
    args = ("--idle-timeout", "2")

    def workspace(self, name="ws", command=None):
        self.project("p")
        self.d.cli("workload", "submit", name, "-p", "p", "--kind", "workspace", "--",
                   *(command or ["python3", "-c", PROMPT_LOOP]))
        return self.d.wait_state(name, "running")

    def test_attach_shows_the_prompt_takes_input_and_detaches(self):
        self.workspace()
        term = PtyCli(self.d, "workload", "attach", "ws")
        term.read_until(b"ws> ")  # shown before anyone attached: the last output comes first
        time.sleep(3)  # quiet past the idle timeout: a stream is not an idle connection
        term.type(b"hello\r")
        term.read_until(b"got hello")
        term.type(b"\x10\x11")  # ^P ^Q
        term.read_until(b"detached")
        self.assertEqual(term.wait(), 0)
        self.assertEqual(self.d.workload("ws")["state"], "running")
        again = PtyCli(self.d, "workload", "attach", "ws")
        again.read_until(b"got hello\r\nws> ")  # what it showed before
        again.type(b"\x10x\r")  # ^P then another key: both go to the task
        again.read_until(b"got \x10x")
        again.type(b"quit\r")
        again.read_until(b"ended (exit code")
        self.assertEqual(again.wait(), 5)  # the task's exit code
        w = self.d.wait_state("ws", "failed")
        self.assertEqual(w["exit_code"], 5)
        # what the terminal showed is the task's log
        self.assertIn("got hello", self.d.cli("workload", "logs", "ws").stdout)

    def test_a_restart_of_allotd_ends_the_stream_not_the_workspace(self):
        self.workspace()
        term = PtyCli(self.d, "workload", "attach", "ws")
        term.read_until(b"ws> ")
        self.d.stop()  # with a stream open: it exits 0 (no leak, no stuck relay)
        term.read_until(b"connection to allotd ended")
        self.assertEqual(term.wait(), 6)
        self.d.start()
        self.assertEqual(self.d.workload("ws")["state"], "running")  # re-adopted
        again = PtyCli(self.d, "workload", "attach", "ws")
        again.type(b"after\r")
        again.read_until(b"got after")
        again.type(b"\x10\x11")
        self.assertEqual(again.wait(), 0)

    def test_a_shells_background_job_ends_with_the_workspace(self):
        self.workspace("shell", ["sh", "-i"])
        term = PtyCli(self.d, "workload", "attach", "shell")
        term.type(b"sleep 600 & echo job=$!\r")
        job = int(term.read_match(rb"job=(\d+)\r").group(1))
        pid = self.d.host_pid(self.d.workload("shell")["tasks"][0]["pid"], job)
        self.assertTrue(pid and pid_alive(pid), job)
        term.type(b"\x10\x11")
        self.assertEqual(term.wait(), 0)
        status, _, _ = self.d.request("DELETE", "/api/v1/workloads/shell")
        self.assertIn(status, (200, 202))
        wait_until(lambda: not pid_alive(pid), what="the shell's job to end with the workspace")
        wait_until(lambda: self.d.workload("shell") is None, what="the workspace to go")

    def test_attach_refusals_name_the_field(self):
        self.project("p", deserved={"gpu": 2})
        self.submit("train", "p", ["sleep", "300"])
        self.submit("big", "p", ["sleep", "300"], kind="inference", gpu=2)
        self.d.wait_state("train", "running")
        self.d.wait_state("big", "running")
        self.submit("waits", "p", ["sleep", "300"], kind="workspace", gpu=1)
        p = self.d.cli("workload", "attach", "train", check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("field kind", p.stderr)
        p = self.d.cli("workload", "attach", "waits", check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("is pending", p.stderr)
        self.assertIn("field state", p.stderr)
        p = self.d.cli("workload", "attach", "nothing", check=False)
        self.assertEqual(p.returncode, 3, p.stderr)
        status, body = upgrade(self.d, "GET", "/api/v1/workloads/waits/attach?task=1")
        self.assertEqual((status, body["error"]["field"]), (400, "task"), body)
        status, body, _ = self.d.request("GET", "/api/v1/workloads/train/attach")
        self.assertEqual(status, 400, body)  # no upgrade asked for
        self.assertIn("Upgrade", body["error"]["message"])
        status, body = upgrade(self.d, "GET", "/api/v1/workloads/train/attach", token="nope")
        self.assertEqual(status, 401, body)


class ExecTest(DaemonTest):
    """A command in a running task's environment."""

    def test_exec_sees_the_tasks_environment_and_directory(self):
        self.project("p")
        workdir = open_to_tasks(tempfile.mkdtemp(prefix="allot-exec-"))
        try:
            env = dict(os.environ, ALLOT_SERVER=self.d.url, ALLOT_TOKEN=self.d.token)
            subprocess.run([ALLOT, "workload", "submit", "train", "-p", "p", "--gpu", "1",
                            "-e", "GREETING=hello there", "--", "sleep", "300"],
                           cwd=workdir, env=env, check=True, capture_output=True)
            w = self.d.wait_state("train", "running")
            out = self.d.cli("workload", "exec", "train", "--", "sh", "-c",
                             "echo \"$GREETING|$CUDA_VISIBLE_DEVICES|$ALLOT_WORKLOAD\"; pwd")
            device = str(w["tasks"][0]["gpu_devices"][0])
            self.assertEqual(out.stdout, "hello there|%s|train\n%s\n"
                             % (device, os.path.realpath(workdir)))
        finally:
            os.rmdir(workdir)

    def test_exec_passes_stdin_stderr_and_the_exit_code(self):
        self.project("p")
        self.submit("ws", "p", ["sleep", "300"], kind="workspace")
        self.d.wait_state("ws", "running")
        env = dict(os.environ, ALLOT_SERVER=self.d.url, ALLOT_TOKEN=self.d.token)
        p = subprocess.run([ALLOT, "workload", "exec", "ws", "--", "sh", "-c",
                            "tr a-z A-Z; echo oops >&2; exit 7"], input="some input\n",
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (7, "SOME INPUT\n", "oops\n"))
        p = self.d.cli("workload", "exec", "ws", "--", "no-such-command", check=False)
        self.assertEqual(p.returncode, 127)
        self.assertIn("cannot run no-such-command", p.stderr)

    def test_exec_from_a_terminal_gets_a_terminal(self):
        self.project("p")
        self.submit("train", "p", ["sleep", "300"])
        self.d.wait_state("train", "running")
        term = PtyCli(self.d, "workload", "exec", "train", "--", "sh", "-c",
                      "tty; echo term=$TERM; read line; echo read=$line")
        term.read_until(b"term=xterm")
        self.assertRegex(term.seen, rb"/dev/pts/\d+")
        term.type(b"typed\r")
        term.read_until(b"read=typed")
        self.assertEqual(term.wait(), 0)

    def test_exec_refusals(self):
        self.project("p")
        self.submit("done", "p", ["true"])
        self.d.wait_state("done", "succeeded")
        p = self.d.cli("workload", "exec", "done", "--", "true", check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("field state", p.stderr)
        p = self.d.cli("workload", "exec", "done", check=False)
        self.assertEqual(p.returncode, 2, p.stderr)  # no command
        status, body = upgrade(self.d, "POST", "/api/v1/workloads/done/exec", {"command": []})
        self.assertEqual((status, body["error"]["field"]), (400, "command"), body)
        status, body = upgrade(self.d, "POST", "/api/v1/workloads/done/exec",
                               {"command": ["true"], "tty": "yes"})
        self.assertEqual((status, body["error"]["field"]), (400, "tty"), body)


class PortForwardTest(DaemonTest):
    """A local port to a port a workspace's task listens on."""

    def test_port_forward_reaches_a_server_in_a_workspace(self):
        self.project("p")
        remote = free_port()
        self.submit("web", "p", ["python3", "-m", "http.server", str(remote), "--bind",
                                 "127.0.0.1"], kind="workspace")
        self.d.wait_state("web", "running")
        wait_until(lambda: self.d.cli("workload", "exec", "web", "--", "python3", "-c",
                                      "import socket; socket.create_connection(('127.0.0.1', %d))"
                                      % remote, check=False).returncode == 0,
                   what="the server to listen")
        env = dict(os.environ, ALLOT_SERVER=self.d.url, ALLOT_TOKEN=self.d.token)
        forward = subprocess.Popen([ALLOT, "workload", "port-forward", "web", "0:%d" % remote],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        try:
            line = forward.stdout.readline()
            local = int(re.search(r"127\.0\.0\.1:(\d+) -> %d" % remote, line).group(1))
            for _ in range(3):  # a stream per connection
                with urllib.request.urlopen("http://127.0.0.1:%d/" % local, timeout=15) as r:
                    self.assertEqual(r.status, 200)
                    self.assertIn(b"Directory listing", r.read())
        finally:
            forward.send_signal(signal.SIGINT)
            status = forward.wait(timeout=15)
            errors = forward.stderr.read()
            forward.stdout.close()
            forward.stderr.close()
        self.assertEqual(status, 0, errors)

    def test_only_the_tasks_own_ports_are_reached(self):
        self.project("p")
        self.submit("quiet", "p", ["sleep", "300"], kind="workspace")
        self.d.wait_state("quiet", "running")
        # allotd's own port is on this machine, but no process of the task listens there
        port = int(self.d.url.rsplit(":", 1)[1])
        status, body = upgrade(self.d, "GET", "/api/v1/workloads/quiet/portforward?port=%d" % port)
        self.assertEqual((status, body["error"]["field"]), (409, "port"), body)
        for query, field in [("", "port"), ("?port=0", "port"), ("?port=70000", "port"),
                             ("?port=80&task=3", "task")]:
            status, body = upgrade(self.d, "GET", "/api/v1/workloads/quiet/portforward" + query)
            self.assertEqual((status, body["error"]["field"]), (400, field), (query, body))

    def test_bad_ports_are_usage_errors(self):
        self.project("p")
        for ports in ["abc", "8080:", "0", "1:70000", "x:80"]:
            p = self.d.cli("workload", "port-forward", "web", ports, check=False)
            self.assertEqual(p.returncode, 2, (ports, p.stderr))
            self.assertIn("LOCAL:REMOTE", p.stderr)
        p = self.d.cli("workload", "port-forward", "web", check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        p = self.d.cli("workload", "port-forward", "missing", "8080:80", check=False)
        self.assertEqual(p.returncode, 3, p.stderr)


if __name__ == "__main__":
    import unittest
    unittest.main()
