"""probes.py - the C probe (build/tests/kube/probe) run from the Kubernetes tests: its output
lines arrive in a queue, to be waited for by pattern."""
import os
import queue
import re
import signal
import subprocess
import threading
import time

from cluster import ROOT

PROBE = os.environ.get("ALLOT_KUBE_PROBE", os.path.join(ROOT, "build", "tests", "kube", "probe"))


class Probe:
    """The probe watching `path`; its output lines arrive in a queue."""

    def __init__(self, kubeconfig, path, *args):
        where = ["--path", path] if path else []
        self.proc = subprocess.Popen([PROBE, "--kubeconfig", kubeconfig, *where, *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, pattern, timeout=30):
        """The first line (from now on) matching pattern."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is not None:
                self.seen.append(line)
            if line is not None and re.search(pattern, line):
                return line
            if line is None and (time.monotonic() > deadline or self.proc.poll() is not None):
                raise AssertionError("no line matching %r; saw:\n%s"
                                     % (pattern, "\n".join(self.seen[-30:])))

    def stop(self):
        """SIGTERM; its closing counts as a dict."""
        self.proc.send_signal(signal.SIGTERM)
        line = self.expect(r"^stats ", 20)
        self.proc.wait(timeout=10)
        self.proc.stdout.close()
        if self.proc.returncode != 0:  # a sanitizer's report (a leak, an error) makes it fail
            raise AssertionError("probe exited %d:\n%s" % (self.proc.returncode,
                                                           "\n".join(self.seen[-30:])))
        return {k: int(v) for k, v in (f.split("=") for f in line.split()[1:])}

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
