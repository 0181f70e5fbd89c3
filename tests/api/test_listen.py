"""test_listen.py - allotd serves plain HTTP on loopback only, unless told that beyond it is
meant (--insecure-http): its bearer tokens would otherwise cross the network in the clear."""
import os
import subprocess
import tempfile
import unittest
import urllib.request

from harness import ALLOTD, Daemon, wait_until


class ListenTest(unittest.TestCase):
    def test_plain_http_beyond_loopback_is_refused_without_the_flag(self):
        for address in ("0.0.0.0:0", "10.1.2.3:7373", "[::]:0"):
            with tempfile.TemporaryDirectory(prefix="allot-listen-") as state:
                r = subprocess.run([ALLOTD, "--state-dir", state, "--listen", address,
                                    "--gpus", "1x80GiB"], capture_output=True, text=True,
                                   timeout=30)
                self.assertEqual(r.returncode, 2, (address, r.stderr))
                self.assertIn("--listen %s: plain HTTP beyond loopback" % address, r.stderr)
                self.assertIn("--insecure-http", r.stderr)

    def test_with_the_flag_it_serves_beyond_loopback(self):
        state = tempfile.mkdtemp(prefix="allot-listen-")
        d = Daemon(state_dir=state, args=["--insecure-http"])
        self.addCleanup(d.cleanup)
        p = subprocess.Popen([ALLOTD, "--state-dir", state, "--listen", "0.0.0.0:0",
                              "--insecure-http", "--gpus", "1x80GiB"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            addr = os.path.join(state, "allotd.addr")
            wait_until(lambda: os.path.exists(addr) or p.poll() is not None, what="allotd")
            self.assertIsNone(p.poll(), p.stderr.read() if p.poll() is not None else "")
            with open(addr) as f:
                port = f.read().strip().rsplit(":", 1)[1]
            with open(os.path.join(state, "admin.token")) as f:
                token = f.read().strip()
            req = urllib.request.Request("http://127.0.0.1:%s/api/v1/projects" % port,
                                         headers={"Authorization": "Bearer " + token})
            with urllib.request.urlopen(req, timeout=10) as r:
                self.assertEqual(r.status, 200)
        finally:
            p.terminate()
            self.assertEqual(p.wait(timeout=30), 0)
            p.stderr.close()
