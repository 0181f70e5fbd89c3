"""test_cli.py - the real allot CLI against a real allotd: the README's first steps, tables and
--json, exit codes and one-line errors."""
import json
import os
import resource
import selectors
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import ALLOT, DaemonTest, wait_until


class FollowTest(DaemonTest):
    """Issue 10: a follower is never cut for being quiet, and `logs -f` resumes after a dropped
    connection without repeating or losing output."""
    args = ("--idle-timeout", "2")

    def test_a_quiet_follower_outlives_the_idle_timeout(self):
        self.project("team-a")
        self.submit("quiet", "team-a", ["sh", "-c", "echo start; sleep 5; echo end"])
        began = time.monotonic()
        # one connection, no resume: it stays open through 5 s of silence (was cut at the
        # idle timeout: "transfer closed with outstanding read data remaining")
        status, text, _ = self.d.request("GET", "/api/v1/workloads/quiet/logs?follow=true")
        self.assertEqual((status, text), (200, "start\nend\n"))
        self.assertGreater(time.monotonic() - began, 4)  # twice the idle timeout in silence
        out = self.d.cli("workload", "logs", "quiet", "-f", timeout=60)
        self.assertEqual(out.stdout, "start\nend\n")
        # an idle connection that is not a follower is closed after the timeout
        host, port = self.d.url.split("//")[1].split(":")
        with socket.create_connection((host, int(port)), timeout=10) as idle:
            self.assertEqual(idle.recv(1), b"")

    def test_follow_resumes_where_a_dropped_connection_stopped(self):
        self.project("team-a")
        self.submit("chatty", "team-a",
                    ["sh", "-c", "echo one; sleep 2; echo two; sleep 2; echo three"])
        proxy = CuttingProxy(self.d.url)
        try:
            env = dict(os.environ, ALLOT_SERVER=proxy.url, ALLOT_TOKEN=self.d.token)
            cli = subprocess.Popen([ALLOT, "workload", "logs", "chatty", "-f"], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(cli.stdout.readline(), "one\n")
            proxy.cut()  # the connection drops while the task runs
            self.assertEqual(cli.stdout.readline(), "two\n")
            proxy.cut()
            rest, err = cli.communicate(timeout=30)
            self.assertEqual(rest, "three\n", err)
            self.assertEqual(cli.returncode, 0, err)
            self.assertGreaterEqual(proxy.connections, 3)
        finally:
            proxy.close()


class ManyFollowersTest(DaemonTest):
    """Issue 10: 260 followers froze the API (a thread each, 256 at most). A thousand quiet ones
    now cost no thread while they wait: the API still answers at once and each gets its output."""

    def test_a_thousand_followers_do_not_starve_the_api(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 1200 if hard == resource.RLIM_INFINITY else min(hard, 1200)
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        self.project("team-a")
        self.submit("talk", "team-a", ["sh", "-c", "sleep 4; echo hello; sleep 300"])
        self.d.wait_state("talk", "running")
        host, port = self.d.url.split("//")[1].split(":")
        request = ("GET /api/v1/workloads/talk/logs?follow=true HTTP/1.1\r\nHost: x\r\n"
                   "Authorization: Bearer %s\r\n\r\n" % self.d.token).encode()
        followers = []
        try:
            for _ in range(1000):
                s = socket.create_connection((host, int(port)), timeout=10)
                s.sendall(request)
                followers.append(s)
            timings = []
            for _ in range(9):
                began = time.monotonic()
                status, body, _ = self.d.request("GET", "/api/v1/workloads")
                timings.append(time.monotonic() - began)
                self.assertEqual(status, 200, body)
            timings.sort()
            self.assertLess(timings[len(timings) // 2], 0.1, timings)
            # every follower is served: each sees the output when it comes
            sel = selectors.DefaultSelector()
            got = {}
            for s in followers:
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ)
                got[s] = b""
            waiting = set(followers)
            deadline = time.monotonic() + 30
            while waiting and time.monotonic() < deadline:
                for key, _ in sel.select(timeout=1):
                    try:
                        data = key.fileobj.recv(65536)
                    except BlockingIOError:
                        continue
                    got[key.fileobj] += data
                    if b"hello" in got[key.fileobj] or not data:
                        waiting.discard(key.fileobj)
                        sel.unregister(key.fileobj)
            self.assertEqual(len(waiting), 0, "%d followers got nothing" % len(waiting))
            self.assertTrue(all(b"hello" in g for g in got.values()))
        finally:
            for s in followers:
                s.close()


class CuttingProxy:
    """A loopback TCP proxy to allotd whose open connections the test can cut."""

    def __init__(self, target_url):
        host, port = target_url.split("//")[1].split(":")
        self.target = (host, int(port))
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self.server.getsockname()[1]
        self.open = []
        self.connections = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.open += [client, upstream]
                self.connections += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.open = []

    def close(self):
        self.cut()
        self.server.close()


class ReadmeTest(DaemonTest):
    """README.md's first steps run as written, by a new user with an empty HOME: make install
    into ~/.local, allot login, a project, submits without -p; then allot from elsewhere."""
    gpus = "2xA100-80GiB"

    def test_readme_steps_as_written(self):
        root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
        with open(os.path.join(root, "README.md")) as f:
            readme = f.read()
        block = [b for b in readme.split("```sh\n") if "make install" in b.split("```")[0]]
        self.assertEqual(len(block), 1, "one block with the install steps")
        lines = [line.split("#")[0].strip() for line in block[0].split("```")[0].splitlines()]
        lines = [line for line in lines if line]
        self.assertEqual(lines[0], "make install PREFIX=$HOME/.local")
        self.assertIn("allot login --state-dir .allot", lines)
        # the one difference: this allotd's state directory is not this tree's .allot
        script = "\n".join(line.replace("--state-dir .allot", "--state-dir " + self.d.state_dir)
                           for line in lines)
        home = tempfile.mkdtemp(prefix="allot-readme-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALLOT_")}
        env.update(HOME=home, PATH=os.path.join(home, ".local", "bin") + ":" + env["PATH"])
        try:
            r = subprocess.run(["bash", "-e", "-c", script], cwd=root, env=env,
                               capture_output=True, text=True, timeout=900)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("demo-2", r.stdout)
            self.assertTrue(os.path.exists(os.path.join(home, ".local", "bin", "allot")))
            # then, from any directory: the names the README gives next
            def both_running():
                out = subprocess.run(["allot", "workload", "list", "-o", "json"], cwd=home,
                                     env=env, capture_output=True, text=True).stdout
                items = json.loads(out) if out else []
                return len(items) == 2 and all(w["state"] == "running" for w in items) and items
            items = wait_until(both_running, what="both demos running")
            self.assertEqual(items[0]["gpu_devices"], items[1]["gpu_devices"])
            for args in (["workload", "describe", "demo"], ["top"], ["node", "list"]):
                r = subprocess.run(["allot", *args], cwd=home, env=env, capture_output=True,
                                   text=True, timeout=60)
                self.assertEqual(r.returncode, 0, (args, r.stderr))
            self.assertIn("team-a", subprocess.run(["allot", "workload", "describe", "demo"],
                                                   cwd=home, env=env, capture_output=True,
                                                   text=True).stdout)
            man = os.path.join(home, ".local", "share", "man", "man1", "allot.1")
            self.assertTrue(os.path.exists(man))
        finally:
            shutil.rmtree(home)


class CliTest(DaemonTest):
    gpus = "2xA100-80GiB"

    def test_readme_first_steps(self):
        self.d.cli("project", "create", "team-a", "--gpu-deserved", "1")
        out = self.d.cli("workload", "submit", "demo", "-p", "team-a", "--gpu-portion", "0.5",
                         "--", "sleep", "30").stdout
        self.assertIn("demo", out)
        taken = self.d.cli("workload", "submit", "demo", "-p", "team-a", "--gpu-portion", "0.5",
                           "--", "sleep", "30", check=False)
        self.assertNotEqual(taken.returncode, 0)
        self.assertIn("already has a workload named demo", taken.stderr)
        out = self.d.cli("workload", "submit", "demo-2", "-p", "team-a", "--gpu-portion", "0.5",
                         "--", "sleep", "30").stdout
        self.assertIn("demo-2", out)

        def both_running():
            items = json.loads(self.d.cli("workload", "list", "--json").stdout)
            return len(items) == 2 and all(w["state"] == "running" for w in items) and items
        items = wait_until(both_running, what="both demos running")
        self.assertEqual(items[0]["gpu_devices"], items[1]["gpu_devices"])
        for key in ("name", "project", "state", "node", "gpu_devices", "reason"):
            self.assertIn(key, items[0])
        table = self.d.cli("workload", "list").stdout
        header = table.splitlines()[0]
        for column in ("NAME", "PROJECT", "STATE", "GPUS", "NODE", "AGE", "REASON"):
            self.assertIn(column, header)
        self.assertEqual(sum("running" in line for line in table.splitlines()), 2)

    def test_submit_options_reach_the_process(self):
        # inference is not preemptible: it runs only within the deserved quota
        self.d.cli("project", "create", "team-a", "--gpu-deserved", "1")
        self.d.cli("workload", "submit", "envy", "-p", "team-a", "--gpu", "1", "--cpu", "0.5",
                   "--memory", "1GiB", "--priority", "inference", "-e", "GREETING=hi there",
                   "--", "sh", "-c", "echo $GREETING $CUDA_VISIBLE_DEVICES; pwd")
        w = self.d.wait_state("envy", "succeeded")
        self.assertEqual((w["priority"], w["preemptible"]), (125, False))
        self.assertEqual((w["cpu_millis"], w["memory_bytes"], w["gpu"]), (500, 1 << 30, 1))
        logs = self.d.cli("workload", "logs", "envy").stdout
        self.assertEqual(logs, "hi there %d\n%s\n" % (w["tasks"][0]["gpu_devices"][0],
                                                     os.getcwd()))

    def test_gang_and_describe(self):
        self.d.cli("project", "create", "team-a", "--gpu-limit", "1")
        self.d.cli("workload", "submit", "gang", "-p", "team-a", "--gpu", "1", "--workers", "2",
                   "--min-members", "2", "--", "sleep", "30")
        wait_until(lambda: self.d.workload("gang")["reason"], what="gang reason")
        out = self.d.cli("workload", "describe", "gang").stdout
        self.assertIn("over its GPU limit", out)
        self.assertIn("submitted", out)
        described = json.loads(self.d.cli("workload", "describe", "gang", "--json").stdout)
        self.assertEqual(described["queue_position"], 1)
        self.assertEqual(described["events"][0]["kind"], "submitted")

    def test_queues_nodes_and_top(self):
        self.d.cli("department", "create", "research", "--gpu-deserved", "2")
        self.d.cli("project", "create", "vision", "--department", "research", "--gpu-deserved",
                   "1.5", "--gpu-limit", "2", "--gpu-weight", "3", "--cpu-deserved", "4",
                   "--memory-deserved", "16GiB", "--priority", "120")
        p = json.loads(self.d.cli("project", "describe", "vision", "--json").stdout)
        self.assertEqual(p["department"], "research")
        self.assertEqual(p["deserved"], {"gpu": 1.5, "cpu_millis": 4000,
                                         "memory_bytes": 16 << 30})
        self.assertEqual((p["limit"]["gpu"], p["over_quota_weight"]["gpu"], p["priority"]),
                         (2, 3, 120))
        self.d.cli("project", "update", "vision", "--gpu-limit", "unlimited")
        p = json.loads(self.d.cli("project", "describe", "vision", "--json").stdout)
        self.assertEqual(p["limit"]["gpu"], -1)
        self.assertIn("vision", self.d.cli("project", "list").stdout)
        self.assertEqual([q["name"] for q in json.loads(
            self.d.cli("department", "list", "--json").stdout)], ["research"])
        nodes = json.loads(self.d.cli("node", "list", "--json").stdout)
        self.assertEqual(len(nodes[0]["gpus"]), 2)
        self.assertIn("A100", self.d.cli("node", "list").stdout)
        top = self.d.cli("top").stdout
        self.assertIn("vision", top)
        self.assertIn("FAIR", top)
        r = self.d.cli("department", "delete", "research", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.d.cli("project", "delete", "vision")
        self.d.cli("department", "delete", "research")
        self.assertEqual(json.loads(self.d.cli("project", "list", "--json").stdout), [])

    def test_delete_and_errors(self):
        self.d.cli("project", "create", "team-a")
        self.d.cli("workload", "submit", "long", "-p", "team-a", "--", "sleep", "300")
        pid = self.d.wait_state("long", "running")["tasks"][0]["pid"]
        self.d.cli("workload", "delete", "long", "--wait")
        self.assertIsNone(self.d.workload("long"))
        cases = [
            (["workload", "describe", "nope"], 3),  # not found
            (["workload", "submit", "x", "-p", "missing", "--", "true"], 2),  # allotd: invalid
            (["workload", "submit", "x", "-p", "team-a", "--gpu-portion", "2", "--", "true"], 2),
            (["workload", "submit", "x", "-p", "team-a", "--memory", "12XB", "--", "true"], 2),
            (["workload", "list", "--state", "bogus"], 2),
            (["workload", "list", "-p", "nosuch"], 3),  # a filter naming nothing says so
            (["workload", "submit", "x", "-p", "team-a", "--priority", "-5", "--", "true"], 2),
            (["workload", "submit", "x", "-p", "team-a", "--preemptible", "--non-preemptible",
              "--", "true"], 2),
            (["project", "create", "team-a"], 4),  # conflict: the name is taken
            (["frobnicate"], 2),
        ]
        for args, code in cases:
            r = self.d.cli(*args, check=False)
            self.assertEqual(r.returncode, code, (args, r.stdout, r.stderr))
            if args[:3] == ["workload", "list", "-p"]:
                self.assertIn('no project named "nosuch"', r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()) >= 1, True, args)
            self.assertTrue(r.stderr.startswith("allot"), (args, r.stderr))

    def test_wrong_token_and_no_server(self):
        env = dict(os.environ, ALLOT_SERVER=self.d.url, ALLOT_TOKEN="wrong")
        r = subprocess.run([ALLOT, "project", "list"], capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 5)  # not authorized
        self.assertIn("token", r.stderr)
        env = dict(os.environ, ALLOT_SERVER="http://127.0.0.1:1", ALLOT_TOKEN="x")
        r = subprocess.run([ALLOT, "project", "list"], capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 6)  # unreachable
        self.assertIn("127.0.0.1:1", r.stderr)

    def test_token_from_the_state_dir(self):
        env = {k: v for k, v in os.environ.items() if k not in ("ALLOT_TOKEN",)}
        env.update(ALLOT_SERVER=self.d.url, ALLOT_STATE_DIR=self.d.state_dir)
        r = subprocess.run([ALLOT, "project", "list", "--json"], capture_output=True, text=True,
                           env=env)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "[]"), r.stderr)


if __name__ == "__main__":
    unittest.main()
