"""test_webhook.py - allotd's mutating admission webhook (--webhook-listen, src/backends/kubernetes/
webhook.c) called by the real API server: a pod that asks for a share of a GPU with KAI's
annotations, written as a KAI user writes it, is admitted with the downward-API volume that shows
it its devices, their GPUs and its memory limit (and ALLOT_GPU_INFO naming it), keeping its own
volumes and environment; other pods are admitted unchanged; allotd refuses half-given webhook
options."""
import base64
import json
import os
import ssl
import subprocess
import unittest
import urllib.error
import urllib.request

from allotd import ALLOTD, Allotd, pod, queue
from cluster import free_port, wait_until
from test_scheduling import started_cluster


class WebhookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = started_cluster()
        port = free_port()
        # the API server's own certificate is for 127.0.0.1, signed by the suite's CA
        cls.port = port
        cls.allotd = Allotd(cls.c, "--webhook-listen", "127.0.0.1:%d" % port, "--webhook-cert",
                            os.path.join(cls.c.dir, "server.crt"), "--webhook-key",
                            os.path.join(cls.c.dir, "server.key"))
        with open(os.path.join(cls.c.dir, "ca.crt"), "rb") as f:
            ca = base64.b64encode(f.read()).decode()
        cls.c.apply({
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration", "metadata": {"name": "allot"},
            "webhooks": [{
                "name": "gpu-share.allot.run", "admissionReviewVersions": ["v1"],
                "sideEffects": "None", "failurePolicy": "Fail", "timeoutSeconds": 5,
                "clientConfig": {"url": "https://127.0.0.1:%d/mutate-pods" % port,
                                 "caBundle": ca},
                "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                           "resources": ["pods"]}]}]})
        cls.c.kubectl("create", "namespace", "hook")
        cls.c.apply([queue("hook-dept"), queue("hook", parent="hook-dept", gpu_quota=1)])

    @classmethod
    def tearDownClass(cls):
        try:
            cls.c.kubectl("delete", "mutatingwebhookconfiguration", "allot", check=False)
            cls.allotd.stop()
        finally:
            cls.c.stop()

    def created(self, manifest):
        name = manifest["metadata"]["name"]
        # the configuration takes a moment to reach the API server's webhook client
        wait_until(lambda: self.c.kubectl("apply", "-f", "-", input=json.dumps(
            manifest), check=False).returncode == 0, 20, "the pod admitted")
        return self.c.get("/api/v1/namespaces/hook/pods/" + name)

    def test_a_share_pod_is_given_its_gpu_info(self):
        p = pod("share", "hook", "hook", annotations={"gpu-fraction": "0.5"})
        p["spec"]["volumes"] = [{"name": "data", "emptyDir": {}}]
        p["spec"]["containers"][0]["env"] = [{"name": "MINE", "value": "1"}]
        got = self.created(p)["spec"]
        volumes = {v["name"]: v for v in got["volumes"]}
        self.assertIn("data", volumes)  # its own stay
        fields = {i["path"]: i["fieldRef"]["fieldPath"]
                  for i in volumes["allot-gpu"]["downwardAPI"]["items"]}
        self.assertEqual(fields, {
            "gpus": "metadata.annotations['allot.run/gpus']",
            "gpu-uuids": "metadata.annotations['allot.run/gpu-uuids']",
            "gpu-memory-limit-mib": "metadata.annotations['allot.run/gpu-memory-limit-mib']"})
        container = got["containers"][0]
        self.assertIn({"name": "allot-gpu", "mountPath": "/var/run/allot", "readOnly": True},
                      container["volumeMounts"])
        self.assertEqual(container["env"], [{"name": "MINE", "value": "1"},
                                            {"name": "ALLOT_GPU_INFO", "value": "/var/run/allot"}])

    def test_other_pods_pass_unchanged(self):
        whole = self.created(pod("whole", "hook", "hook", gpus=1))["spec"]
        self.assertNotIn("allot-gpu", {v["name"] for v in whole.get("volumes", [])})
        theirs = self.created(pod("theirs", "hook", "hook", scheduler="default-scheduler",
                                  annotations={"gpu-fraction": "0.5"}))["spec"]
        self.assertNotIn("allot-gpu", {v["name"] for v in theirs.get("volumes", [])})

    def post(self, path, body):
        ctx = ssl.create_default_context(cafile=os.path.join(self.c.dir, "ca.crt"))
        req = urllib.request.Request("https://127.0.0.1:%d%s" % (self.port, path), data=body,
                                     method="POST")
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def test_malformed_reviews_are_refused_saying_why(self):
        self.assertEqual(self.post("/mutate-pods", b"{not json"),
                         (400, {"error": "body: not JSON"}))
        status, answer = self.post("/mutate-pods", b'{"request": {"object": {}}}')
        self.assertEqual(status, 400)
        self.assertIn("request.uid", answer["error"])
        self.assertEqual(self.post("/elsewhere", b"{}")[0], 404)

    def test_half_given_webhook_options_are_refused(self):
        r = subprocess.run([ALLOTD, "--backend", "kubernetes", "--kubeconfig", self.c.kubeconfig,
                            "--state-dir", os.path.join(self.c.dir, "half"), "--webhook-listen",
                            "127.0.0.1:1"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn("go together", r.stderr)


if __name__ == "__main__":
    unittest.main()
