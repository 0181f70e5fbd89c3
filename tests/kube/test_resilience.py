"""test_resilience.py - allotd --backend kubernetes keeps the cluster right through failures: killed
with -9 while it binds a stream of pods and started again on the same state, every pod is bound
once and no device of a node is given twice; an API server restart (every watch dropped) is
followed by scheduling as before; with two replicas only the holder of the Lease binds, and the
other takes over once the leader is gone."""
import json
import os
import shutil
import time
import unittest

from allotd import Allotd, Kubelet, bound, pod, queue
from cluster import wait_until
from test_scheduling import started_cluster


class ResilienceTest(unittest.TestCase):
    def setUp(self):
        self.c = started_cluster()
        self.kubelet = Kubelet(self.c)
        self.replicas = []
        self.c.kubectl("create", "namespace", "team")
        self.c.apply([queue("dept"), queue("team", parent="dept", gpu_quota=64)])
        for i in range(8):
            self.c.add_gpu_node("node-%d" % i, gpus=8)

    def tearDown(self):
        try:
            for a in self.replicas:
                a.kill()
                shutil.rmtree(a.dir, ignore_errors=True)
        finally:
            self.c.stop()

    def replica(self, *extra, state_dir=None):
        a = Allotd(self.c, "--lease-duration", "3", *extra, state_dir=state_dir)
        self.replicas.append(a)
        return a

    def pods(self, names):
        return [pod(n, "team", "team", gpus=1) for n in names]

    def check_devices_unique(self):
        held = {}
        for p in self.kubelet.pods("team"):
            node = p["spec"].get("nodeName")
            if node:
                for d in p["metadata"]["annotations"]["allot.run/gpus"].split(","):
                    key = (node, int(d))
                    self.assertNotIn(key, held, "device given twice: %s and %s" % (
                        held.get(key), p["metadata"]["name"]))
                    held[key] = p["metadata"]["name"]

    def scheduled_events(self):
        events = json.loads(self.c.kubectl("get", "events", "-n", "team", "-o", "json").stdout)
        return [e for e in events["items"] if e["reason"] == "Scheduled"]

    def test_kill_9_while_binding_loses_and_doubles_nothing(self):
        a = self.replica()
        names = ["p%02d" % i for i in range(64)]
        self.c.apply(self.pods(names[:48]))
        wait_until(lambda: len(bound(self.kubelet.pods("team"))) >= 4, 30, "binds to begin")
        a.kill()  # mid-stream: some of the first 48 are likely not bound yet
        self.c.apply(self.pods(names[48:]))  # more arrive while no allotd runs
        again = self.replica(state_dir=a.dir)
        wait_until(lambda: len(bound(self.kubelet.pods("team"))) == 64, 60, "every pod bound")
        self.check_devices_unique()
        status, page = again.api("GET", "/api/v1/workloads?project=team&limit=100")
        self.assertEqual(status, 200)
        self.assertEqual(page["total"], 64)
        self.assertEqual({w["state"] for w in page["items"]}, {"running"})

    def test_an_api_server_restart_is_followed(self):
        a = self.replica()
        self.c.apply(self.pods(["before"]))
        wait_until(lambda: "before" in bound(self.kubelet.pods("team")), 30, "a bind")
        self.c.stop_apiserver()
        time.sleep(2)  # every watch is cut; allotd retries with backoff
        self.c.start_apiserver()
        self.c.apply(self.pods(["after-1", "after-2"]))
        wait_until(lambda: len(bound(self.kubelet.pods("team"))) == 3, 60,
                   "the pods made after the restart bound")
        self.check_devices_unique()
        self.assertIn("watching", a.output())  # the drop was noticed and said

    def test_only_the_leader_binds(self):
        first = self.replica()
        wait_until(lambda: "now the active replica" in first.output(), 30, "a leader")
        second = self.replica()
        self.c.apply(self.pods(["p%02d" % i for i in range(12)]))
        wait_until(lambda: len(bound(self.kubelet.pods("team"))) == 12, 30, "every pod bound")
        self.assertNotIn("now the active replica", second.output())
        reporters = {e["reportingInstance"] for e in self.scheduled_events()}
        self.assertEqual(len(reporters), 1, reporters)
        # The follower mirrors the cluster too: its API answers with the same workloads.
        self.assertEqual(second.api("GET", "/api/v1/workloads?project=team")[1]["total"], 12)

        first.kill()  # its lease expires; the follower takes over
        wait_until(lambda: "now the active replica" in second.output(), 30, "a new leader")
        self.c.apply(self.pods(["late-1", "late-2"]))
        wait_until(lambda: len(bound(self.kubelet.pods("team"))) == 14, 30, "new pods bound")
        self.check_devices_unique()
        self.assertEqual(len({e["involvedObject"]["name"] for e in self.scheduled_events()}), 14)


if __name__ == "__main__":
    unittest.main()
