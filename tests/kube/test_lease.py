"""test_lease.py - one active allotd among replicas (src/backends/kubernetes/lease.c, driven by
build/tests/kube/probe --lease): the first replica takes the Lease, a second follows; when the
leader stops renewing (paused), the follower takes over only once the lease has expired, and the
old leader, resumed, follows; a leader that stops gives the lease up, and the other takes it at
once."""
import json
import os
import signal
import time
import unittest

from cluster import Cluster
from probes import Probe

DURATION = 3


class Contender(Probe):
    def __init__(self, kubeconfig, identity):
        self.identity = identity
        super().__init__(kubeconfig, "", "--lease", "allot-system/allot-leader", "--identity",
                         identity, "--duration", str(DURATION))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.expect(r"^released$", 20)
        self.proc.wait(timeout=10)
        self.proc.stdout.close()
        if self.proc.returncode != 0:
            raise AssertionError("probe exited %d:\n%s" % (self.proc.returncode,
                                                           "\n".join(self.seen[-30:])))


class LeaseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster().__enter__()
        cls.c.kubectl("create", "namespace", "allot-system")

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def setUp(self):
        self.contenders = []

    def tearDown(self):
        for p in self.contenders:
            if p.proc.poll() is None:
                os.kill(p.proc.pid, signal.SIGCONT)
            p.kill()

    def contender(self, identity):
        p = Contender(self.c.kubeconfig, identity)
        self.contenders.append(p)
        return p

    def lease(self):
        return json.loads(self.c.kubectl("get", "lease", "allot-leader", "-n", "allot-system",
                                         "-o", "json").stdout)["spec"]

    def test_one_leader_takeover_after_expiry_and_release(self):
        a = self.contender("replica-a")
        a.expect(r"^leader$")
        b = self.contender("replica-b")
        b.expect(r"^follower replica-a$")
        self.assertEqual(self.lease()["holderIdentity"], "replica-a")

        os.kill(a.proc.pid, signal.SIGSTOP)  # the leader stops renewing
        paused = time.monotonic()
        b.expect(r"^leader$", DURATION + 10)
        took = time.monotonic() - paused
        self.assertGreaterEqual(took, DURATION - 0.6)  # not before the lease expired
        os.kill(a.proc.pid, signal.SIGCONT)
        a.expect(r"^follower replica-b$", 10)  # resumed: it lost the lease, and knows it
        spec = self.lease()
        self.assertEqual(spec["holderIdentity"], "replica-b")
        self.assertEqual(spec["leaseDurationSeconds"], DURATION)
        self.assertGreaterEqual(spec["leaseTransitions"], 1)

        b.stop()  # gives the lease up: the other takes it at once, not after expiry
        released = time.monotonic()
        a.expect(r"^leader$", 10)
        self.assertLess(time.monotonic() - released, DURATION - 0.5)
        self.assertEqual(self.lease()["holderIdentity"], "replica-a")
        a.stop()
        self.assertEqual(self.lease()["holderIdentity"], "")


if __name__ == "__main__":
    unittest.main()
