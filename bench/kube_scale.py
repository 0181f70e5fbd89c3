#!/usr/bin/env python3
"""kube_scale.py - allot against KAI Scheduler's own scale test, on a real API server (the Kubernetes
suite's test cluster, tests/kube/cluster.py) with 500 fake nodes of 8 GPUs each (4,000 GPUs):

  fill     4,000 single-GPU pods of one queue, from the first create to the last bind
           (KAI: 6 min 38 s)
  reclaim  4,000 single-GPU pods of another queue that deserves the whole cluster, taking it
           back from the first 4,000 (KAI: 11 min 34 s); this script plays the kubelet and
           ends each evicted pod as soon as it is told to
  gang     one 500-pod job of 8 GPUs a pod (a PodGroup with minMember 500: 4,000 GPUs at once)
           on the emptied cluster (KAI: 85 s)

with binds per second (during fill, where pods arrive as fast as this script creates them; and
in a burst: 4,000 pods created while allotd was stopped, from its SIGCONT to the last bind) and
each pod's time from created to bound during fill (p50, p99), seen by one watch of this script. allotd is the optimised build (build/allotd). Figures are
printed as `name: value unit`; the ratios to KAI's published figures too (target: 10 or more).

usage: bench/kube_scale.py [build/allotd] [--nodes 500] [--pods 4000] [--gang-pods 500]
"""
import argparse
import http.client
import json
import os
import queue as queues
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "kube"))
from cluster import Cluster, wait_until  # noqa: E402

KAI = {"fill": 398.0, "reclaim": 694.0, "gang": 85.0}  # seconds, KAI's published figures


class Api:
    """Requests to the API server over kept-alive connections, one per thread."""

    def __init__(self, cluster):
        self.host, self.port = "127.0.0.1", cluster.port
        self.ctx = ssl.create_default_context(cafile=os.path.join(cluster.dir, "ca.crt"))
        self.headers = {"Authorization": "Bearer " + cluster.token,
                        "Content-Type": "application/json"}
        self.local = threading.local()

    def conn(self):
        if not hasattr(self.local, "c"):
            self.local.c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                                       timeout=120)
        return self.local.c

    def call(self, method, path, body=None, content_type="application/json"):
        headers = dict(self.headers, **{"Content-Type": content_type})
        for attempt in range(5):
            try:
                c = self.conn()
                c.request(method, path, json.dumps(body) if body is not None else None, headers)
                r = c.getresponse()
                data = r.read()
                if r.status == 429:
                    time.sleep(0.2)
                    continue
                return r.status, json.loads(data) if data else None
            except (http.client.HTTPException, OSError):
                del self.local.c
                if attempt == 4:
                    raise
        return 429, None

    def many(self, requests, threads=8):
        """Each (method, path, body) of requests, by `threads` threads; raises on a failure."""
        work = queues.Queue()
        for r in requests:
            work.put(r)
        failures = []

        def worker():
            while True:
                try:
                    method, path, body, ctype = work.get_nowait()
                except queues.Empty:
                    return
                status, answer = self.call(method, path, body, ctype)
                if status >= 300 and status != 409:
                    failures.append((path, status, answer))
        ts = [threading.Thread(target=worker) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if failures:
            raise RuntimeError("requests failed: %s" % failures[:3])


class Watcher(threading.Thread):
    """One watch of every pod: when this script saw each created and bound; and the kubelet's
    part for evictions (a pod being deleted is deleted at once)."""

    def __init__(self, api):
        super().__init__(daemon=True)
        self.api = api
        self.created, self.bound = {}, {}
        self.lock = threading.Lock()
        self.stopping = False
        self.deletes = queues.Queue()
        self.deleted = 0
        status, page = api.call("GET", "/api/v1/pods?limit=1")
        self.rv = page["metadata"]["resourceVersion"]
        for _ in range(4):
            threading.Thread(target=self.delete_loop, daemon=True).start()

    def delete_loop(self):
        while True:
            ns, name = self.deletes.get()
            self.api.call("DELETE", "/api/v1/namespaces/%s/pods/%s" % (ns, name),
                          {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0})
            with self.lock:
                self.deleted += 1

    def run(self):
        while not self.stopping:  # a watch the server ends is started again where it was
            try:
                self.watch()
            except (OSError, http.client.HTTPException, ValueError):
                time.sleep(0.1)

    def watch(self):
        conn = http.client.HTTPSConnection(self.api.host, self.api.port, context=self.api.ctx,
                                           timeout=600)
        conn.request("GET", "/api/v1/pods?watch=1&allowWatchBookmarks=true&resourceVersion=" +
                     self.rv, headers=self.api.headers)
        r = conn.getresponse()
        while not self.stopping:
            line = r.readline()
            if not line:
                return
            event = json.loads(line)
            o = event["object"]
            if event["type"] == "ERROR":  # 410: the version is gone; list again
                self.rv = self.api.call("GET", "/api/v1/pods?limit=1")[1]["metadata"][
                    "resourceVersion"]
                return
            self.rv = o["metadata"]["resourceVersion"]
            if event["type"] not in ("ADDED", "MODIFIED"):
                continue
            now = time.monotonic()
            key = (o["metadata"]["namespace"], o["metadata"]["name"])
            with self.lock:
                self.created.setdefault(key, now)
                if o["spec"].get("nodeName"):
                    self.bound.setdefault(key, now)
            if o["metadata"].get("deletionTimestamp") and o["spec"].get("nodeName"):
                self.deletes.put(key)

    def bound_in(self, ns, prefix=""):
        with self.lock:
            return [k for k in self.bound if k[0] == ns and k[1].startswith(prefix)]

    def times(self, ns):
        with self.lock:
            return ([self.created[k] for k in self.bound if k[0] == ns],
                    [self.bound[k] for k in self.bound if k[0] == ns],
                    [self.bound[k] - self.created[k] for k in self.bound if k[0] == ns])


def quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def pod(ns, name, queue, gpus, group=None):
    p = {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": name, "namespace": ns, "labels": {"kai.scheduler/queue": queue}},
         "spec": {"schedulerName": "allot", "restartPolicy": "Never",
                  "containers": [{"name": "main", "image": "busybox", "resources": {
                      "requests": {"cpu": "100m", "memory": "128Mi",
                                   "nvidia.com/gpu": str(gpus)},
                      "limits": {"nvidia.com/gpu": str(gpus)}}}]}}
    if group:
        p["metadata"]["annotations"] = {"pod-group-name": group}
    return ("POST", "/api/v1/namespaces/%s/pods" % ns, p, "application/json")


def queue(name, parent, gpus):
    spec = {"resources": {"gpu": {"quota": gpus, "limit": -1, "overQuotaWeight": 1},
                          "cpu": {"quota": -1, "limit": -1, "overQuotaWeight": 1},
                          "memory": {"quota": -1, "limit": -1, "overQuotaWeight": 1}}}
    if parent:
        spec["parentQueue"] = parent
    return ("POST", "/apis/scheduling.run.ai/v2/queues",
            {"apiVersion": "scheduling.run.ai/v2", "kind": "Queue", "metadata": {"name": name},
             "spec": spec}, "application/json")


def nodes(count):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    res = {"cpu": "128", "memory": "1Ti", "pods": "110", "nvidia.com/gpu": "8"}
    create, ready = [], []
    for i in range(count):
        name = "gpu-%03d" % i
        create.append(("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {
            "name": name, "labels": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3",
                                     "nvidia.com/gpu.memory": "81559"}}}, "application/json"))
        ready.append(("PATCH", "/api/v1/nodes/%s/status" % name, {"status": {
            "capacity": res, "allocatable": res, "conditions": [{
                "type": "Ready", "status": "True", "reason": "KubeletReady", "message": "bench",
                "lastHeartbeatTime": now, "lastTransitionTime": now}]}},
            "application/merge-patch+json"))
    return create, ready


def wait_bound(w, ns, count, timeout, prefix=""):
    deadline = time.monotonic() + timeout
    while len(w.bound_in(ns, prefix)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("%s: %d of %d pods bound after %d s" % (
                ns, len(w.bound_in(ns, prefix)), count, timeout))
        time.sleep(0.05)


def empty(api, namespaces):
    """Deletes every pod of the namespaces at once, and waits until none is left."""
    for ns in namespaces:
        api.call("DELETE", "/api/v1/namespaces/%s/pods" % ns,
                 {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0})
    wait_until(lambda: not any(api.call("GET", "/api/v1/namespaces/%s/pods?limit=1" % ns)[1][
        "items"] for ns in namespaces), 300, "the pods to go")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("allotd", nargs="?", default=os.path.join(ROOT, "build", "allotd"))
    ap.add_argument("--nodes", type=int, default=500)
    ap.add_argument("--pods", type=int, default=4000)
    ap.add_argument("--gang-pods", type=int, default=500)
    ap.add_argument("--prefix", default="kube_")
    args = ap.parse_args()
    gpus = args.nodes * 8

    c = Cluster().__enter__()
    state = tempfile.mkdtemp(prefix="allotd-kube-bench-")
    proc = w = None
    try:
        c.kubectl("apply", "-R", "-f", os.path.join(ROOT, "deploy"))
        wait_until(lambda: c.kubectl("get", "queues", check=False).returncode == 0, 30, "CRDs")
        api = Api(c)
        create, ready = nodes(args.nodes)
        api.many(create)
        api.many(ready)
        for ns in ("fill", "reclaim", "gang"):
            api.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                    "metadata": {"name": ns}})
        api.many([queue("bench", None, gpus)])
        api.many([queue("fill", "bench", 0), queue("reclaim", "bench", gpus)])

        log = open(os.path.join(state, "allotd.log"), "w")
        proc = subprocess.Popen([args.allotd, "--backend", "kubernetes", "--kubeconfig",
                                 c.kubeconfig, "--state-dir", state, "--listen",
                                 "127.0.0.1:0"], stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        wait_until(lambda: os.path.exists(os.path.join(state, "allotd.addr")), 120, "allotd")
        w = Watcher(api)
        w.start()

        # fill: every GPU, one pod each
        began = time.monotonic()
        api.many([pod("fill", "f-%04d" % i, "fill", 1) for i in range(args.pods)])
        created_s = time.monotonic() - began
        wait_bound(w, "fill", args.pods, 900)
        fill_s = time.monotonic() - began
        _, bound_at, latency = w.times("fill")
        binds_per_s = len(bound_at) / max(max(bound_at) - min(bound_at), 1e-3)
        print("%sfill_creates_s: %.1f s" % (args.prefix, created_s))
        print("%sfill_%d_s: %.1f s" % (args.prefix, args.pods, fill_s))
        print("%sfill_binds_per_s: %.0f binds/s" % (args.prefix, binds_per_s))
        print("%sbind_latency_p50_ms: %.0f ms" % (args.prefix, quantile(latency, 0.5) * 1000))
        print("%sbind_latency_p99_ms: %.0f ms" % (args.prefix, quantile(latency, 0.99) * 1000))
        sys.stdout.flush()

        # reclaim: another queue takes the cluster back
        began = time.monotonic()
        api.many([pod("reclaim", "r-%04d" % i, "reclaim", 1) for i in range(args.pods)])
        wait_bound(w, "reclaim", args.pods, 1800)
        reclaim_s = time.monotonic() - began
        print("%sreclaim_%d_s: %.1f s" % (args.prefix, args.pods, reclaim_s))
        sys.stdout.flush()

        # gang: one job of every GPU at once, on an emptied cluster
        empty(api, ("fill", "reclaim"))
        api.call("POST", "/apis/scheduling.run.ai/v2alpha2/namespaces/gang/podgroups", {
            "apiVersion": "scheduling.run.ai/v2alpha2", "kind": "PodGroup",
            "metadata": {"name": "train", "namespace": "gang"},
            "spec": {"queue": "reclaim", "minMember": args.gang_pods}})
        per_pod = gpus // args.gang_pods
        began = time.monotonic()
        api.many([pod("gang", "g-%03d" % i, "reclaim", per_pod, group="train")
                  for i in range(args.gang_pods)])
        wait_bound(w, "gang", args.gang_pods, 900)
        gang_s = time.monotonic() - began
        print("%sgang_%d_pods_s: %.1f s" % (args.prefix, args.gang_pods, gang_s))
        sys.stdout.flush()

        # burst: what allotd binds per second when a backlog of pods waits (created while it
        # was stopped with SIGSTOP; timed from SIGCONT to the last bind)
        empty(api, ("gang",))
        os.kill(proc.pid, signal.SIGSTOP)
        api.many([pod("fill", "b-%04d" % i, "fill", 1) for i in range(args.pods)])
        began = time.monotonic()
        os.kill(proc.pid, signal.SIGCONT)
        wait_bound(w, "fill", args.pods, 900, prefix="b-")
        print("%sburst_binds_per_s: %.0f binds/s" % (args.prefix,
                                                      args.pods / (time.monotonic() - began)))
        if args.nodes == 500 and args.pods == 4000 and args.gang_pods == 500:
            print("%sfill_vs_kai: %.1f x" % (args.prefix, KAI["fill"] / fill_s))
            print("%sreclaim_vs_kai: %.1f x" % (args.prefix, KAI["reclaim"] / reclaim_s))
            print("%sgang_vs_kai: %.1f x" % (args.prefix, KAI["gang"] / gang_s))
    finally:
        if w:
            w.stopping = True
        if proc:
            os.kill(proc.pid, signal.SIGCONT)  # if the burst left it stopped
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.returncode not in (0,):
                print(open(os.path.join(state, "allotd.log")).read()[-3000:], file=sys.stderr)
        c.stop()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
