"""harness.py - starts a real allotd on a free loopback port with a temporary state dir, and
drives it with raw HTTP and with the real allot binary (black-box API tests)."""
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

ALLOTD = os.environ.get("ALLOTD", "build/san/allotd")
# The CLI under test reads no config file of the person running the tests (a test that wants
# one sets its own ALLOT_CONFIG).
os.environ["ALLOT_CONFIG"] = os.path.join(tempfile.gettempdir(), "allot-tests-no-such-config")
ALLOT = os.environ.get("ALLOT", "build/san/allot")


def wait_until(predicate, timeout=15.0, what="condition"):
    """Polls predicate() until it returns a true value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def open_to_tasks(path, writable=False):
    """Lets tasks enter the directory path (and write in it): where allotd runs as root they
    run as an unprivileged account (nobody by default), which a directory made by mkdtemp (0700)
    keeps out. Returns path."""
    os.chmod(path, 0o777 if writable else 0o755)
    return path


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class Daemon:
    """One allotd process over a state dir that outlives restarts."""

    def __init__(self, gpus="2xA100-80GiB", grace=1, state_dir=None, args=(), user=None,
                 cwd=None):
        self.gpus = gpus
        self.grace = grace
        self.args = list(args)  # more allotd options
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="allot-api-")
        self.proc = None
        self.url = None
        self.token = None
        self.ssl_context = None  # over HTTPS (--tls): trusts the state dir's certificate
        self.stderr_path = os.path.join(self.state_dir, "allotd.stderr")
        # user: a pwd entry to run allotd as (the tests run as root), owning the state dir
        self.user = user
        self.cwd = cwd  # allotd's directory (None: the test's)
        self.scratch_path = None
        if user is not None:
            os.chown(self.state_dir, user.pw_uid, user.pw_gid)
            open(self.stderr_path, "a").close()
            os.chown(self.stderr_path, user.pw_uid, user.pw_gid)

    def start(self, env=None):
        """Starts allotd (env: variables added to its environment, e.g. failpoints)."""
        addr_file = os.path.join(self.state_dir, "allotd.addr")
        if os.path.exists(addr_file):
            os.unlink(addr_file)
        self.stderr = open(self.stderr_path, "a")
        as_user = [] if self.user is None else [
            "setpriv", "--reuid=%d" % self.user.pw_uid, "--regid=%d" % self.user.pw_gid,
            "--clear-groups", "--"]
        self.proc = subprocess.Popen(
            [*as_user, os.path.abspath(ALLOTD) if self.cwd else ALLOTD,
             "--state-dir", self.state_dir, "--listen", "127.0.0.1:0",
             *(["--gpus", self.gpus] if self.gpus else []),  # None: ask NVML
             "--grace-period", str(self.grace), *self.args],
            stdout=self.stderr, stderr=self.stderr, start_new_session=True, cwd=self.cwd,
            env=dict(os.environ, ALLOTD_CHECK_MODEL="1", **(env or {})))
        wait_until(lambda: os.path.exists(addr_file) or self.proc.poll() is not None,
                   what="allotd to listen")
        if self.proc.poll() is not None:
            raise AssertionError("allotd exited: " + self.log())
        with open(addr_file) as f:
            self.url = f.read().strip()
        with open(os.path.join(self.state_dir, "admin.token")) as f:
            self.token = f.read().strip()
        self.ssl_context = None
        if self.url.startswith("https://") and os.path.exists(self.tls_file("allotd-tls.crt")):
            self.ssl_context = ssl.create_default_context(cafile=self.tls_file("allotd-tls.crt"))
        return self

    def tls_file(self, name):
        return os.path.join(self.state_dir, name)

    def tls_env(self):
        """What allot needs to trust this allotd's certificate (nothing over plain HTTP)."""
        if not self.url.startswith("https://"):
            return {}
        with open(self.tls_file("allotd.fingerprint")) as f:
            return {"ALLOT_TLS_FINGERPRINT": f.read().strip()}

    def stop(self):
        """SIGTERM; allotd must exit 0 (with sanitizers: no leak, no error)."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.proc = None
        self.stderr.close()
        if code != 0:
            raise AssertionError("allotd exited with %d: %s" % (code, self.log()))

    def wait_killed(self, timeout=30):
        """Waits for allotd to die by SIGKILL (a failpoint), as a crash would."""
        code = self.proc.wait(timeout=timeout)
        self.proc = None
        self.stderr.close()
        if code != -signal.SIGKILL:
            raise AssertionError("allotd exited with %d, not by SIGKILL: %s" % (code, self.log()))

    def log(self):
        with open(self.stderr_path) as f:
            return f.read()

    def task_pids(self):
        """The process groups of every task allotd records (it must be running)."""
        pids = []
        try:
            for w in self.request("GET", "/api/v1/workloads?limit=1000")[1]["items"]:
                pids.extend(t["pid"] for t in w["tasks"] if t["pid"])
        except Exception:
            pass
        return pids

    def cleanup(self, pids=None):
        """Kills every task process group (those given, else those still recorded), then
        removes the state dir: a test leaves no process behind."""
        for pid in (pids if pids is not None else self.task_pids()):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        for pid in self.supervisors():  # tasks placed too late to show a pid before allotd went
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        shutil.rmtree(self.state_dir, ignore_errors=True)
        if self.scratch_path is not None:
            shutil.rmtree(self.scratch_path, ignore_errors=True)

    def scratch(self):
        """A directory every task may write in (the state dir is hidden from tasks), removed
        with the state dir."""
        if self.scratch_path is None:
            self.scratch_path = open_to_tasks(tempfile.mkdtemp(prefix="allot-scratch-"), True)
        return self.scratch_path

    @staticmethod
    def host_pid(supervisor, task_pid):
        """The pid on this machine of the process of the task whose supervisor is `supervisor`
        that sees itself as task_pid ($$, $! in the task: a task runs in a PID namespace of its
        own where the machine allows it). None when there is none."""
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/stat" % entry) as f:
                    session = int(f.read().rsplit(")", 1)[1].split()[3])
                with open("/proc/%s/status" % entry) as f:
                    nspid = [line.split()[1:] for line in f if line.startswith("NSpid:")][0]
            except (OSError, IndexError, ValueError):
                continue
            if session == supervisor and nspid[-1] == str(task_pid):
                return int(entry)
        return None

    def supervisors(self):
        """The processes of this state dir's tasks still alive: those with a file open in it
        (their supervisors and the tasks' output, its logs)."""
        found = []
        for entry in filter(str.isdigit, os.listdir("/proc")):
            if int(entry) == os.getpid():  # the test itself holds allotd.stderr open
                continue
            try:
                fds = os.listdir("/proc/%s/fd" % entry)
                if any(os.readlink("/proc/%s/fd/%s" % (entry, fd)).startswith(self.state_dir + "/")
                       for fd in fds):
                    found.append(int(entry))
            except OSError:
                pass
        return found

    def signed_in(self, user, password, role, scope):
        """An access token of a new local user holding `role` in `scope` ("system",
        "department:D", "project:P"), made with the admin token."""
        assert self.request("POST", "/api/v1/users", {"name": user, "password": password})[0] \
            == 201
        assert self.request("POST", "/api/v1/access-rules", {
            "subject": "user:" + user, "role": role, "scope": scope})[0] == 201
        status, body, _ = self.request("POST", "/api/v1/token", token=False, body={
            "grant_type": "password", "username": user, "password": password})
        assert status == 200, body
        return body["access_token"]

    def request(self, method, path, body=None, token=True, raw=None, headers=None):
        """(status, parsed JSON or text, response headers)[:2 used mostly]."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if token:
            req.add_header("Authorization", "Bearer " + (token if isinstance(token, str) else self.token))
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30, context=self.ssl_context) as resp:
                return self._result(resp.status, resp.read(), resp.headers)
        except urllib.error.HTTPError as e:
            return self._result(e.code, e.read(), e.headers)

    @staticmethod
    def _result(status, payload, headers):
        if headers.get("Content-Type", "").startswith("application/json"):
            return status, json.loads(payload), headers
        return status, payload.decode(errors="replace"), headers

    def cli(self, *args, check=True, timeout=60):
        """Runs the real allot against this allotd; returns the CompletedProcess."""
        env = dict(os.environ, ALLOT_SERVER=self.url, ALLOT_TOKEN=self.token, **self.tls_env())
        p = subprocess.run([ALLOT, *args], capture_output=True, text=True, env=env,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("allot %s failed (%d): %s%s" % (" ".join(args), p.returncode,
                                                              p.stdout, p.stderr))
        return p

    def workload(self, name):
        status, body, _ = self.request("GET", "/api/v1/workloads/" + name)
        return body if status == 200 else None

    def events(self, name):
        return self.request("GET", "/api/v1/workloads/%s/events?limit=1000" % name)[1]["items"]

    def wait_state(self, name, state, timeout=15.0):
        """The workload once in `state`; for "running", once its running tasks' processes are
        recorded too (a placed task shows pid null while its supervisor forks)."""
        def reached():
            w = self.workload(name)
            if not w or w["state"] != state:
                return None
            if any(t["state"] == "running" and t["pid"] is None for t in w["tasks"]):
                return None
            return w
        return wait_until(reached, timeout,
                          "%s to be %s (now %s)" % (name, state, self.workload(name)))


class DaemonTest(unittest.TestCase):
    """A test case with a fresh allotd per test."""

    gpus = "2xA100-80GiB"
    grace = 1
    args = ()

    def setUp(self):
        self.d = Daemon(gpus=self.gpus, grace=self.grace, args=self.args).start()

    def tearDown(self):
        pids = self.d.task_pids() if self.d.proc is not None else None  # asked while it runs
        try:
            self.d.stop()
        finally:
            self.d.cleanup(pids)

    def project(self, name, **fields):
        status, body, _ = self.d.request("POST", "/api/v1/projects", dict(name=name, **fields))
        self.assertEqual(status, 201, body)
        return body

    def submit(self, name, project, command, **fields):
        status, body, _ = self.d.request("POST", "/api/v1/workloads",
                                         dict(name=name, project=project, command=command, **fields))
        self.assertEqual(status, 201, body)
        return body
