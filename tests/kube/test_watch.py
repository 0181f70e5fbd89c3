"""test_watch.py - allot's Kubernetes client keeps a kind in step with a real API server
(src/backends/kubernetes/watch.c, driven by build/tests/kube/probe): a paged list then every
change; the watch taken up again after the API server restarts; a list again when its version
was compacted away (410 Gone); re-watching on timeouts without listing again; a refused token
reported and retried, not fatal."""
import base64
import json
import os
import signal
import time
import unittest
import urllib.request

from cluster import Cluster
from probes import Probe

class WatchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def setUp(self):
        self.probes = []

    def tearDown(self):
        for p in self.probes:
            p.kill()

    def probe(self, path, *args, kubeconfig=None):
        p = Probe(kubeconfig or self.c.kubeconfig, path, *args)
        self.probes.append(p)
        return p

    def configmap(self, namespace, name, data="1"):
        self.c.apply({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": name, "namespace": namespace}, "data": {"v": data}})

    def test_a_paged_list_then_every_change(self):
        for n in ("n-1", "n-2", "n-3"):
            self.c.add_gpu_node(n, gpus=2)
        p = self.probe("/api/v1/nodes", "--page", "2")  # two pages
        p.expect(r"^reset 3 n-1,n-2,n-3$")
        self.c.add_gpu_node("n-4")
        p.expect(r"^ADDED n-4$")
        self.c.kubectl("label", "node", "n-1", "pool=a")
        p.expect(r"^MODIFIED n-1$")
        self.c.kubectl("delete", "node", "n-2")
        p.expect(r"^DELETED n-2$")
        stats = p.stop()
        self.assertEqual((stats["lists"], stats["errors"]), (1, 0))

    def test_timeouts_watch_again_without_listing_again(self):
        self.c.kubectl("create", "namespace", "quiet")
        p = self.probe("/api/v1/namespaces/quiet/configmaps", "--timeout-seconds", "1")
        p.expect(r"^reset ")
        time.sleep(3.5)
        self.configmap("quiet", "late")
        p.expect(r"^ADDED late$")
        stats = p.stop()
        self.assertEqual(stats["lists"], 1)
        self.assertGreaterEqual(stats["watches"], 3)

    def test_the_watch_is_taken_up_after_the_api_server_restarts(self):
        self.c.kubectl("create", "namespace", "restart")
        self.configmap("restart", "before")
        p = self.probe("/api/v1/namespaces/restart/configmaps", "--timeout-seconds", "30")
        p.expect(r"^reset 1 before$")
        self.c.stop_apiserver()
        p.expect(r"^problem: ", 30)  # the stream cut, then the server unreachable
        time.sleep(1)
        self.c.start_apiserver()
        self.configmap("restart", "after")
        p.expect(r"^ADDED after$", 60)
        stats = p.stop()
        self.assertGreaterEqual(stats["errors"], 1)

    def etcd(self, api, body):
        req = urllib.request.Request(self.c.etcd_url + api, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def test_a_version_compacted_away_is_listed_again(self):
        self.c.kubectl("create", "namespace", "gone")
        self.configmap("gone", "first")
        p = self.probe("/api/v1/namespaces/gone/configmaps", "--timeout-seconds", "30")
        p.expect(r"^reset 1 first$")
        os.kill(p.proc.pid, signal.SIGSTOP)  # its version stays where it is
        try:
            self.c.stop_apiserver()
            self.c.start_apiserver()
            for i in range(3):
                self.configmap("gone", "while-away-%d" % i)
            key = base64.b64encode(b"\0").decode()
            revision = self.etcd("/v3/kv/range", {"key": key})["header"]["revision"]
            self.etcd("/v3/kv/compaction", {"revision": revision, "physical": True})
            self.c.stop_apiserver()  # its watch cache starts again after the compaction
            self.c.start_apiserver()
        finally:
            os.kill(p.proc.pid, signal.SIGCONT)
        p.expect(r"^reset 4 first,while-away-0,while-away-1,while-away-2$", 60)
        stats = p.stop()
        self.assertGreaterEqual(stats["gone"], 1)
        self.assertGreaterEqual(stats["lists"], 2)

    def test_a_refused_token_is_reported_and_retried(self):
        with open(self.c.kubeconfig) as f:
            config = json.load(f)
        config["users"][0]["user"]["token"] = "wrong"
        path = os.path.join(self.c.dir, "wrong-kubeconfig")
        with open(path, "w") as f:
            json.dump(config, f)
        p = self.probe("/api/v1/nodes", kubeconfig=path)
        p.expect(r"^problem: list /api/v1/nodes: HTTP 401")
        p.expect(r"^problem: list /api/v1/nodes: HTTP 401")  # retried, after a backoff
        stats = p.stop()
        self.assertEqual(stats["lists"], stats["errors"])


if __name__ == "__main__":
    unittest.main()
