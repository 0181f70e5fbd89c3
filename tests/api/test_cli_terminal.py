"""test_cli_terminal.py - `-w` and `logs -f` as a person sees them: allot runs in a real
terminal (a tmux pane) and the test reads the screen as it changes."""
import json
import os
import shlex
import shutil
import subprocess
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness
from harness import DaemonTest, wait_until

ALLOT = os.path.abspath(harness.ALLOT)


@unittest.skipUnless(shutil.which("tmux"), "tmux is installed by scripts/setup")
class TerminalTest(DaemonTest):
    def setUp(self):
        super().setUp()
        self.socket = "allot-test-%d" % os.getpid()
        self.d.cli("project", "create", "team-a")

    def tearDown(self):
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        super().tearDown()

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              timeout=30)

    def open(self, *allot_args):
        """Runs allot in a new 160x40 pane that stays on screen once allot exits."""
        env = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in
                       [("ALLOT_SERVER", self.d.url), ("ALLOT_TOKEN", self.d.token),
                        ("ALLOT_CONFIG", os.environ["ALLOT_CONFIG"]), ("TERM", "xterm")])
        command = "env %s %s" % (env, " ".join(shlex.quote(a) for a in (ALLOT, *allot_args)))
        r = self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "160", "-y", "40",
                      command)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.tmux("set-option", "-t", "t", "remain-on-exit", "on")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "t").stdout

    def dead(self):
        return self.tmux("display-message", "-p", "-t", "t", "#{pane_dead}").stdout.strip() == "1"

    def test_watch_redraws_the_list_as_it_changes(self):
        self.open("workload", "list", "-p", "team-a", "-w")
        wait_until(lambda: "no workloads found" in self.screen(), 20, "the empty list")
        self.assertIn("allot workload list -w", self.screen())  # the header line
        self.d.cli("workload", "submit", "w1", "-p", "team-a", "--", "sleep", "60")
        screen = wait_until(lambda: "running" in (s := self.screen()) and s, 20,
                            "w1 running on screen")
        self.assertIn("w1", screen)
        self.assertIn("NAME", screen)
        self.assertEqual(screen.count("NAME"), 1)  # redrawn in place, not appended
        self.d.cli("workload", "delete", "w1", "--wait")
        wait_until(lambda: "w1" not in self.screen(), 20, "w1 gone from the screen")
        self.assertFalse(self.dead())
        self.tmux("send-keys", "-t", "t", "C-c")
        wait_until(self.dead, 10, "allot to stop at Ctrl-C")

    def test_watch_shows_a_new_workload_within_a_second_of_its_submit(self):
        self.open("workload", "list", "-p", "team-a", "-w")
        wait_until(lambda: "no workloads found" in self.screen(), 20, "the empty list")
        self.assertIn("(live; Ctrl-C to stop)", self.screen())  # on the event stream
        time.sleep(1.5)  # no poll is due now, were it polling
        start = time.time()
        status, body, _ = self.d.request("POST", "/api/v1/workloads", dict(
            name="w1", project="team-a", command=["sleep", "60"]))
        self.assertEqual(status, 201, body)
        wait_until(lambda: "w1" in self.screen(), 5, "w1 on screen")
        self.assertLess(time.time() - start, 1.0)
        self.tmux("send-keys", "-t", "t", "C-c")
        wait_until(self.dead, 10, "allot to stop at Ctrl-C")

    def test_top_watch(self):
        self.open("top", "-w")
        wait_until(lambda: "team-a" in self.screen(), 20, "top on screen")
        self.d.cli("workload", "submit", "w1", "-p", "team-a", "--gpu", "1", "--", "sleep", "60")
        wait_until(lambda: "1 of 2 GPUs allocated" in self.screen(), 20, "the GPU allocated")
        self.tmux("send-keys", "-t", "t", "C-c")
        wait_until(self.dead, 10, "allot to stop at Ctrl-C")

    def test_logs_follow_prints_lines_as_they_come_and_ends_with_the_task(self):
        self.d.cli("workload", "submit", "talk", "-p", "team-a", "--", "sh", "-c",
                   "for i in 1 2 3; do echo line-$i; sleep 1; done")
        self.d.wait_state("talk", "running")
        self.open("workload", "logs", "talk", "-f")
        first = wait_until(lambda: "line-1" in (s := self.screen()) and s, 20, "line-1")
        self.assertNotIn("line-3", first)  # printed as they come, not at the end
        wait_until(lambda: "line-3" in self.screen(), 20, "line-3")
        wait_until(self.dead, 20, "logs -f to end with the task")
        self.assertEqual(self.screen().count("line-2"), 1)

    def test_watch_off_a_terminal_prints_only_changes(self):
        p = subprocess.Popen([ALLOT, "workload", "list", "-A", "-w"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ, ALLOT_SERVER=self.d.url,
                                      ALLOT_TOKEN=self.d.token))
        try:
            time.sleep(2.5)  # several renders of the same (empty) list
            self.d.cli("workload", "submit", "w1", "-p", "team-a", "--", "sleep", "60")
            self.d.wait_state("w1", "running")
            time.sleep(2.5)
        finally:
            p.terminate()
            out, _ = p.communicate(timeout=10)
        frames = out.split("\n\n")
        self.assertGreaterEqual(len(frames), 2, out)
        self.assertLessEqual(len(frames), 4, out)  # pending, then running: no repeats
        self.assertIn("running", frames[-1])


class WatchWithoutEventStreamTest(unittest.TestCase):
    """Against an allotd without /api/v1/events (an older one, played by a stub), -w polls."""

    def test_watch_polls_an_allotd_without_the_event_stream(self):
        items, asked = [], []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                asked.append(self.path)
                if self.path.startswith("/api/v1/workloads?"):
                    status, body = 200, {"items": list(items), "total": len(items),
                                         "limit": 1000, "offset": 0}
                else:
                    status, body = 404, {"error": {"code": "not_found",
                                                   "message": "no such path"}}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        p = subprocess.Popen([ALLOT, "workload", "list", "-A", "-w"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=dict(
                                 os.environ, ALLOT_SERVER="http://127.0.0.1:%d" % server.server_port,
                                 ALLOT_TOKEN="stub"))
        try:
            time.sleep(1.5)
            items.append({"name": "w1", "project": "p", "state": "pending", "created_s": 0,
                          "tasks": []})
            wait_until(lambda: sum(1 for a in asked if a.startswith("/api/v1/workloads")) >= 4,
                       10, "a few polls")
        finally:
            p.terminate()
            out, err = p.communicate(timeout=10)
            server.shutdown()
            thread.join()
            server.server_close()
        self.assertIn("w1", out, err)
        self.assertEqual(len([a for a in asked if a.startswith("/api/v1/events")]), 1, asked)
