"""allotd_client.py - what the allotd benchmarks share: start a release allotd on a free port
with a temporary state dir, call its API over keep-alive connections, stop it and everything
it started."""
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time


class Allotd:
    def __init__(self, binary, *args):
        self.state = tempfile.mkdtemp(prefix="allot-bench-")
        self.argv = [binary, "--state-dir", self.state, "--listen", "127.0.0.1:0", *args]
        self.start()

    def start(self):
        addr = os.path.join(self.state, "allotd.addr")
        if os.path.exists(addr):
            os.unlink(addr)
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while not os.path.exists(addr):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("allotd did not start")
            time.sleep(0.05)
        self.host, port = open(addr).read().strip().split("//")[1].split(":")
        self.port = int(port)
        with open(os.path.join(self.state, "admin.token")) as f:
            self.headers = {"Authorization": "Bearer " + f.read().strip(),
                            "Content-Type": "application/json"}

    def connect(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=300)

    def call(self, conn, method, path, body=None, ok=(200, 201, 202)):
        """The parsed answer; exits on an unexpected status."""
        conn.request(method, path, json.dumps(body) if body is not None else None, self.headers)
        r = conn.getresponse()
        data = r.read()
        if r.status not in ok:
            raise SystemExit("%s %s: %d %s" % (method, path, r.status, data[:200]))
        return r.status, json.loads(data) if data else None

    def submit_all(self, items, clients):
        """Submits (name, project, body) items from `clients` keep-alive connections; returns
        the seconds it took."""
        def client(k):
            c = self.connect()
            for name, project, body in items[k::clients]:
                self.call(c, "POST", "/api/v1/workloads", dict(body, name=name, project=project))

        began = time.monotonic()
        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.monotonic() - began

    def rss_peak_mib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def task_groups(self):
        """The process groups of the tasks it started: their supervisors hold files in this
        benchmark's state dir open (the task's log); their command line is a title
        ("allot-task P/W/I") that does not name it."""
        groups = set()
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == self.proc.pid:
                continue
            try:
                fds = "/proc/%s/fd" % entry
                for fd in os.listdir(fds):
                    if os.readlink(os.path.join(fds, fd)).startswith(self.state + "/"):
                        groups.add(os.getpgid(int(entry)))
                        break
            except OSError:
                pass
        return groups

    def stop(self):
        """Kills allotd, then every task it started (tasks outlive allotd by design)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        for pgid in self.task_groups():
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 60
        while self.task_groups() and time.monotonic() < deadline:  # gone before the next figure
            time.sleep(0.2)
        shutil.rmtree(self.state, ignore_errors=True)
