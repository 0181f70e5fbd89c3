"""allotd.py - allotd run with the Kubernetes backend against the suite's test cluster, and what the
tests of scheduling need around it: KAI-style Queues and pods, the kubelet's part (a bound pod
made Running, Succeeded or gone), and waits on what the API server shows."""
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request

from cluster import ROOT, wait_until

ALLOTD = os.environ.get("ALLOTD", os.path.join(ROOT, "build", "san", "allotd"))
# The allot CLI the tests run reads no config file of the person running them.
os.environ["ALLOT_CONFIG"] = os.path.join(tempfile.gettempdir(), "allot-tests-no-such-config")


class Allotd:
    """One allotd replica: `allotd --backend kubernetes --kubeconfig ...` on a free port."""

    def __init__(self, cluster, *extra, state_dir=None):
        self.cluster = cluster
        self.dir = state_dir or tempfile.mkdtemp(prefix="allotd-kube-")
        self.log_path = os.path.join(self.dir, "allotd.log")
        env = dict(os.environ, ALLOTD_CHECK_MODEL="1")
        self.log = open(self.log_path, "a")
        addr = os.path.join(self.dir, "allotd.addr")
        if os.path.exists(addr):  # an earlier run's
            os.unlink(addr)
        self.proc = subprocess.Popen(
            [ALLOTD, "--backend", "kubernetes", "--kubeconfig", cluster.kubeconfig,
             "--state-dir", self.dir, "--listen", "127.0.0.1:0", *extra],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        wait_until(lambda: self._alive() and os.path.exists(addr), 90, "allotd to listen")
        with open(addr) as f:
            self.url = f.read().strip()
        with open(os.path.join(self.dir, "admin.token")) as f:
            self.token = f.read().strip()

    def _alive(self):
        if self.proc.poll() is not None:
            raise AssertionError("allotd exited %d:\n%s" % (self.proc.returncode, self.output()))
        return True

    def output(self):
        with open(self.log_path) as f:
            return f.read()[-6000:]

    def api(self, method, path, body=None):
        """A request to allotd's REST API: (status, JSON answer)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def kill(self):
        """kill -9: nothing is cleaned up."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
        if self.proc.returncode not in (0, -signal.SIGKILL):
            raise AssertionError("allotd exited %d:\n%s" % (self.proc.returncode, self.output()))


def queue(name, parent=None, gpu_quota=0, gpu_limit=-1, weight=1, priority=None):
    spec = {"resources": {"gpu": {"quota": gpu_quota, "limit": gpu_limit,
                                  "overQuotaWeight": weight},
                          "cpu": {"quota": -1, "limit": -1, "overQuotaWeight": 1},
                          "memory": {"quota": -1, "limit": -1, "overQuotaWeight": 1}}}
    if parent:
        spec["parentQueue"] = parent
    if priority is not None:
        spec["priority"] = priority
    return {"apiVersion": "scheduling.run.ai/v2", "kind": "Queue", "metadata": {"name": name},
            "spec": spec}


def pod(name, namespace, queue_name, gpus=0, cpu="1", memory="1Gi", group=None,
        priority_class=None, annotations=None, scheduler="allot"):
    """A pod as a KAI user writes one: the queue label, the pod-group annotation if given."""
    resources = {"cpu": cpu, "memory": memory}
    if gpus:
        resources["nvidia.com/gpu"] = str(gpus)
    notes = dict(annotations or {})
    if group:
        notes["pod-group-name"] = group
    spec = {"schedulerName": scheduler, "restartPolicy": "Never",
            "containers": [{"name": "main", "image": "busybox",
                            "resources": {"requests": resources,
                                          "limits": {k: v for k, v in resources.items()
                                                     if k == "nvidia.com/gpu"}}}]}
    if priority_class:
        spec["priorityClassName"] = priority_class
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace,
                         "labels": {"kai.scheduler/queue": queue_name}, "annotations": notes},
            "spec": spec}


def pod_group(name, namespace, queue_name, min_member=1, priority_class=None,
              preemptibility=None):
    spec = {"queue": queue_name, "minMember": min_member}
    if priority_class:
        spec["priorityClassName"] = priority_class
    if preemptibility:
        spec["preemptibility"] = preemptibility
    return {"apiVersion": "scheduling.run.ai/v2alpha2", "kind": "PodGroup",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


class Kubelet:
    """The kubelet's part, played by the test: pods bound to a node run; evicted ones end."""

    def __init__(self, cluster):
        self.c = cluster

    def pods(self, namespace=None):
        path = "/api/v1/namespaces/%s/pods" % namespace if namespace else "/api/v1/pods"
        return self.c.get(path)["items"]

    def node_of(self, namespace, name):
        return self.c.get("/api/v1/namespaces/%s/pods/%s" % (namespace, name))["spec"].get(
            "nodeName")

    def run(self, namespace, name):
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.c.kubectl("patch", "pod", name, "-n", namespace, "--subresource", "status",
                       "--type", "merge", "-p", json.dumps({"status": {
                           "phase": "Running", "startTime": now}}))

    def finish(self, namespace, name, code=0):
        self.c.kubectl("patch", "pod", name, "-n", namespace, "--subresource", "status",
                       "--type", "merge", "-p", json.dumps({"status": {
                           "phase": "Succeeded" if code == 0 else "Failed",
                           "containerStatuses": [{"name": "main", "ready": False,
                                                  "restartCount": 0, "image": "busybox",
                                                  "imageID": "", "state": {"terminated": {
                                                      "exitCode": code}}}]}}))

    def remove_terminating(self):
        """Pods being deleted (evicted) go, as a kubelet ends them: how many."""
        gone = 0
        for p in self.pods():
            if p["metadata"].get("deletionTimestamp"):
                self.c.kubectl("delete", "pod", p["metadata"]["name"], "-n",
                               p["metadata"]["namespace"], "--grace-period=0", "--force",
                               "--wait=false", check=False)
                gone += 1
        return gone


def bound(pods):
    return {p["metadata"]["name"]: p["spec"]["nodeName"] for p in pods
            if p["spec"].get("nodeName")}
