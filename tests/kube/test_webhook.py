"""test_webhook.py - allotd's mutating admission webhook (--webhook-listen, src/backends/kubernetes/
webhook.c) called by the real API server: a pod that asks for a share of a GPU with KAI's
annotations, written as a KAI user writes it, is admitted with the downward-API volume that shows
it its devices, their GPUs and its memory limit (and ALLOT_GPU_INFO naming it), and runs under
liballot-cuda.so (--webhook-cuda-library: the library's hostPath volume and mount, LD_PRELOAD in
front of its own, its memory limit from the annotation allot binds it with, its ledger from its
uid), keeping its own volumes and environment but for ALLOT_* variables; the per-pod opt-out; a
pod admitted twice (the configuration calls the webhook twice) is patched once; the memory limit
is on the pod before it is bound; other pods are admitted unchanged; allotd refuses half-given or
malformed webhook options."""
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


LIBRARY = "/usr/lib/allot/liballot-cuda.so"  # on the nodes (there are none: not read)
IN_POD = "/var/run/allot-lib/liballot-cuda.so"
MEMORY_ANNOTATION = "allot.run/gpu-memory-limit-mib"


def field(path):
    return {"valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}


# What every container of a share pod ends with (as the API server stores it).
ALLOTS_ENV = [{"name": "ALLOT_GPU_INFO", "value": "/var/run/allot"},
              dict(name="ALLOT_GPU_MEMORY_LIMIT_MIB",
                   **field("metadata.annotations['%s']" % MEMORY_ANNOTATION))]
LEDGER_ENV = [dict(name="ALLOT_TASK_LEDGER", **field("metadata.uid"))]


def names(volumes):
    """The names of volumes, but the service account's token the API server adds."""
    return [v["name"] for v in volumes if not v["name"].startswith("kube-api-access-")]


class WebhookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = started_cluster()
        port = free_port()
        # the API server's own certificate is for 127.0.0.1, signed by the suite's CA
        cls.port = port
        cls.allotd = Allotd(cls.c, "--webhook-listen", "127.0.0.1:%d" % port, "--webhook-cert",
                            os.path.join(cls.c.dir, "server.crt"), "--webhook-key",
                            os.path.join(cls.c.dir, "server.key"), "--webhook-cuda-library",
                            LIBRARY)
        with open(os.path.join(cls.c.dir, "ca.crt"), "rb") as f:
            ca = base64.b64encode(f.read()).decode()
        # twice, the second seeing what the first did, and again if the second changed the pod
        # (reinvocationPolicy): a pod admitted already must not be patched again
        hooks = [{
            "name": name, "admissionReviewVersions": ["v1"], "reinvocationPolicy": "IfNeeded",
            "sideEffects": "None", "failurePolicy": "Fail", "timeoutSeconds": 5,
            "clientConfig": {"url": "https://127.0.0.1:%d/mutate-pods" % port, "caBundle": ca},
            "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                       "resources": ["pods"]}]} for name in ("gpu-share.allot.run",
                                                             "again.allot.run")]
        cls.c.apply({"apiVersion": "admissionregistration.k8s.io/v1",
                     "kind": "MutatingWebhookConfiguration", "metadata": {"name": "allot"},
                     "webhooks": hooks})
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

    def test_a_share_pod_is_given_its_gpu_info_and_runs_under_the_library(self):
        p = pod("share", "hook", "hook", annotations={"gpu-fraction": "0.5"})
        p["spec"]["volumes"] = [{"name": "data", "emptyDir": {}}]
        p["spec"]["containers"][0]["env"] = [{"name": "MINE", "value": "1"}]
        p["spec"]["containers"].append({"name": "side", "image": "busybox"})
        got = self.created(p)["spec"]
        self.assertEqual(names(got["volumes"]), ["data", "allot-gpu", "allot-cuda"])  # once
        volumes = {v["name"]: v for v in got["volumes"]}
        fields = {i["path"]: i["fieldRef"]["fieldPath"]
                  for i in volumes["allot-gpu"]["downwardAPI"]["items"]}
        self.assertEqual(fields, {
            "gpus": "metadata.annotations['allot.run/gpus']",
            "gpu-uuids": "metadata.annotations['allot.run/gpu-uuids']",
            "gpu-memory-limit-mib": "metadata.annotations['%s']" % MEMORY_ANNOTATION})
        self.assertEqual(volumes["allot-cuda"]["hostPath"], {"path": LIBRARY, "type": "File"})
        for container in got["containers"]:
            self.assertEqual([m for m in container["volumeMounts"]
                              if m["name"].startswith("allot")], [
                {"name": "allot-gpu", "mountPath": "/var/run/allot", "readOnly": True},
                {"name": "allot-cuda", "mountPath": IN_POD, "readOnly": True}])
            own = [{"name": "MINE", "value": "1"}] if container["name"] == "main" else []
            self.assertEqual(container["env"], own + ALLOTS_ENV + LEDGER_ENV + [
                {"name": "LD_PRELOAD", "value": IN_POD}])

    def test_a_containers_own_preload_stays_behind_and_its_allot_variables_are_replaced(self):
        p = pod("own-env", "hook", "hook", annotations={"gpu-memory": "4096"})
        p["spec"]["containers"][0]["env"] = [
            {"name": "LD_PRELOAD", "value": "/opt/mine.so"},
            {"name": "ALLOT_GPU_MEMORY_LIMIT_MIB", "value": "999999"},
            {"name": "ALLOT_TASK_LEDGER", "value": "someone-elses"},
            {"name": "ALLOT_CUDA_DEBUG", "value": "1"}]
        from_config = {"configMapKeyRef": {"name": "preloads", "key": "main"}}
        p["spec"]["containers"].append({"name": "from-config", "image": "busybox", "env": [
            {"name": "LD_PRELOAD", "valueFrom": from_config}]})
        containers = self.created(p)["spec"]["containers"]
        self.assertEqual(containers[0]["env"], [{"name": "ALLOT_CUDA_DEBUG", "value": "1"}] +
                         ALLOTS_ENV + LEDGER_ENV +
                         [{"name": "LD_PRELOAD", "value": IN_POD + " /opt/mine.so"}])
        # one taken from elsewhere is renamed, and expanded behind the library by the kubelet
        self.assertEqual(containers[1]["env"], [
            {"name": "ALLOT_CONTAINER_LD_PRELOAD", "valueFrom": from_config}] + ALLOTS_ENV +
            LEDGER_ENV + [{"name": "LD_PRELOAD",
                           "value": IN_POD + " $(ALLOT_CONTAINER_LD_PRELOAD)"}])

    def test_an_opted_out_pod_gets_its_gpu_info_only(self):
        p = pod("opted-out", "hook", "hook",
                annotations={"gpu-fraction": "0.25", "allot.run/enforce": "false"})
        got = self.created(p)["spec"]
        self.assertEqual(names(got["volumes"]), ["allot-gpu"])
        self.assertEqual(got["containers"][0]["env"], ALLOTS_ENV)
        # and its workload says so
        def enforcement():
            _, answer = self.allotd.api("GET", "/api/v1/workloads?project=hook")
            return [w["enforcement"] for w in answer["items"] if "opted-out" in w["name"]]
        wait_until(lambda: enforcement(), 20, "the pod's workload")
        self.assertEqual(enforcement(), [{"active": False, "reason": 'allot.run/enforce: "false"',
                                          "library": None, "memory_limit_mib": None}])

    def test_a_malformed_opt_out_is_refused_naming_it(self):
        self.created(pod("before-refusal", "hook", "hook"))  # the webhook is called by now
        p = pod("bad-opt-out", "hook", "hook",
                annotations={"gpu-fraction": "0.5", "allot.run/enforce": "no"})
        r = self.c.kubectl("apply", "-f", "-", input=json.dumps(p), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('annotation allot.run/enforce: "no": want "true" or "false"', r.stderr)

    def test_a_pod_admitted_already_is_not_patched_again(self):
        admitted = self.created(pod("twice", "hook", "hook", annotations={"gpu-fraction": "0.5"}))
        review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                  "request": {"uid": "u-1", "object": admitted}}
        status, answer = self.post("/mutate-pods", json.dumps(review).encode())
        self.assertEqual(status, 200)
        self.assertEqual(answer["response"], {"uid": "u-1", "allowed": True})

    def test_the_memory_limit_is_on_the_pod_before_it_is_bound(self):
        """The kubelet reads ALLOT_GPU_MEMORY_LIMIT_MIB's annotation when a container starts: the
        first version of the pod with a node must carry it."""
        # a queue and a node of its own: the other tests' pods wait in queue hook
        self.c.kubectl("create", "namespace", "hook-order")
        self.c.apply(queue("hook-order", parent="hook-dept", gpu_quota=1))
        self.c.add_gpu_node("hook-gpu", gpus=8)  # room for the other tests' pods too
        since = self.c.get("/api/v1/namespaces/hook-order/pods")["metadata"]["resourceVersion"]
        ctx = ssl.create_default_context(cafile=os.path.join(self.c.dir, "ca.crt"))
        req = urllib.request.Request(
            self.c.url + "/api/v1/namespaces/hook-order/pods?watch=1&timeoutSeconds=60&"
            "resourceVersion=" + since, headers={"Authorization": "Bearer " + self.c.token})
        with urllib.request.urlopen(req, context=ctx, timeout=70) as stream:
            self.c.apply(pod("ordered", "hook-order", "hook-order",
                             annotations={"gpu-fraction": "0.5"}))
            versions = []
            for line in stream:
                versions.append(json.loads(line)["object"])
                if versions[-1]["spec"].get("nodeName"):
                    break
        self.assertEqual(versions[0]["spec"].get("nodeName"), None)  # created unbound
        bound = versions[-1]
        self.assertEqual(bound["spec"].get("nodeName"), "hook-gpu", "never bound")
        self.assertEqual(bound["metadata"]["annotations"].get(MEMORY_ANNOTATION), "40779")
        # the workload says the pod's limits are enforced, by which library
        def enforcement():
            _, answer = self.allotd.api("GET", "/api/v1/workloads?project=hook-order")
            for w in answer["items"]:
                if any(t.get("pod", {}).get("name") == "ordered" for t in w.get("tasks", [])):
                    return w["enforcement"]
            return None
        wait_until(lambda: enforcement() is not None, 20, "the pod's workload")
        self.assertEqual(enforcement(), {"active": True, "reason": None, "library": LIBRARY,
                                         "memory_limit_mib": 40779})

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

    def test_a_malformed_library_path_is_refused_naming_the_option(self):
        listen = ["--webhook-listen", "127.0.0.1:1", "--webhook-cert", "c", "--webhook-key", "k"]
        for extra, want in ((listen + ["--webhook-cuda-library", "lib/liballot-cuda.so"],
                             '--webhook-cuda-library: "lib/liballot-cuda.so": not absolute'),
                            (listen + ["--webhook-cuda-library", "/usr/lib/../x.so"],
                             '"/usr/lib/../x.so": an empty, "." or ".." component'),
                            (["--webhook-cuda-library", LIBRARY],
                             "--webhook-cuda-library goes with --webhook-listen")):
            r = subprocess.run([ALLOTD, "--backend", "kubernetes", "--kubeconfig",
                                self.c.kubeconfig, "--state-dir",
                                os.path.join(self.c.dir, "bad-library"), *extra],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(want, r.stderr)

    def test_allotd_says_once_whether_enforcement_is_off(self):
        self.assertNotIn("GPU enforcement off", self.allotd.output())


if __name__ == "__main__":
    unittest.main()
