"""test_kai_replay.py - `allot replay --kai` on snapshots in KAI Scheduler's layout (a zip holding
snapshot.json with the cluster's raw objects) captured from this suite's own real API server:
allot's decisions on that cluster; and broken snapshot files refused with the reason."""
import io
import json
import os
import subprocess
import tempfile
import unittest
import zipfile

from cluster import ROOT, Cluster

ALLOT = os.environ.get("ALLOT", os.path.join(ROOT, "build", "san", "allot"))
DEPLOY = os.path.join(ROOT, "deploy")


def pod(name, ns, gpus=0, group=None, queue=None, fraction=None, scheduler="kai-scheduler",
        node=None, cls=None):
    meta = {"name": name, "namespace": ns, "labels": {}, "annotations": {}}
    if group:
        meta["annotations"]["pod-group-name"] = group
    if queue:
        meta["labels"]["kai.scheduler/queue"] = queue
    if fraction:
        meta["annotations"]["gpu-fraction"] = fraction
    resources = {"requests": {"cpu": "1", "memory": "1Gi"}}
    if gpus:
        resources["limits"] = {"nvidia.com/gpu": str(gpus)}
    spec = {"schedulerName": scheduler, "containers": [
        {"name": "c", "image": "busybox", "resources": resources}]}
    if node:
        spec["nodeName"] = node
    if cls:
        spec["priorityClassName"] = cls
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


class KaiReplayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster().__enter__()
        cls.dir = tempfile.mkdtemp(prefix="allot-kai-")

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()
        subprocess.run(["rm", "-rf", cls.dir], check=False)

    def items(self, *args):
        return json.loads(self.c.kubectl("get", "-o", "json", *args).stdout)["items"]

    def capture(self, name):
        """The cluster's objects as KAI's snapshot plugin serves them: a zip of snapshot.json."""
        raw = {"pods": self.items("pods", "-A"), "nodes": self.items("nodes"),
               "queues": self.items("queues"), "podGroups": self.items("podgroups", "-A"),
               "priorityClasses": self.items("priorityclasses"), "bindRequests": []}
        path = os.path.join(self.dir, name)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("snapshot.json", json.dumps({"config": {}, "schedulerParams": {},
                                                    "rawObjects": raw}))
        return path

    def replay(self, path):
        return subprocess.run([ALLOT, "replay", "--kai", "--json", path], capture_output=True,
                              text=True, timeout=60)

    def test_allot_decides_on_a_kai_clusters_snapshot(self):
        c = self.c
        c.kubectl("apply", "-R", "-f", DEPLOY)
        for n in ("gpu-0", "gpu-1"):
            c.add_gpu_node(n, gpus=8)
        c.kubectl("create", "namespace", "team-a")
        c.kubectl("create", "namespace", "team-b")
        queue = lambda name, parent, quota: {  # noqa: E731
            "apiVersion": "scheduling.run.ai/v2", "kind": "Queue", "metadata": {"name": name},
            "spec": dict({"resources": {"gpu": {"quota": quota, "limit": -1,
                                                "overQuotaWeight": 1}}},
                         **({"parentQueue": parent} if parent else {}))}
        group = lambda name, ns, q, n, cls: {  # noqa: E731
            "apiVersion": "scheduling.run.ai/v2alpha2", "kind": "PodGroup",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"queue": q, "minMember": n, "priorityClassName": cls}}
        c.apply([queue("research", None, 16), queue("team-a", "research", 8),
                 queue("team-b", "research", 8),
                 group("train", "team-a", "team-a", 2, "train"),
                 group("big", "team-b", "team-b", 3, "train")])
        c.apply([pod("train-0", "team-a", gpus=4, group="train"),
                 pod("train-1", "team-a", gpus=4, group="train"),
                 # a gang that cannot fit: three pods of 8 GPUs on 16 GPUs, one of them held below
                 pod("big-0", "team-b", gpus=8, group="big"),
                 pod("big-1", "team-b", gpus=8, group="big"),
                 pod("big-2", "team-b", gpus=8, group="big"),
                 pod("notebook", "team-b", fraction="0.5", queue="team-b"),
                 # a daemon of another scheduler holds a GPU of gpu-0
                 pod("exporter", "kube-system", gpus=1, scheduler="default-scheduler",
                     node="gpu-0")])
        out = self.replay(self.capture("kai.zip"))
        self.assertEqual(out.returncode, 0, out.stderr)
        result = json.loads(out.stdout)
        binds = sorted(d["task"] for d in result["decisions"] if d["kind"] == "bind")
        self.assertEqual(binds, ["team-a/train-0", "team-a/train-1", "team-b/notebook"])
        pending = {e["job"] for e in result["pending"]}
        self.assertEqual(pending, {"team-b/big"})  # 24 GPUs of gang on 15 free
        self.assertNotIn("left out", out.stderr)
        # The same cluster as an allot snapshot, replayed as one: the same decisions.
        converted = subprocess.run([ALLOT, "snapshot", "convert", "--kai",
                                    os.path.join(self.dir, "kai.zip")], capture_output=True,
                                   text=True, timeout=60)
        self.assertEqual(converted.returncode, 0, converted.stderr)
        path = os.path.join(self.dir, "allot.json")
        with open(path, "w") as f:
            f.write(converted.stdout)
        again = subprocess.run([ALLOT, "replay", "--json", path], capture_output=True, text=True,
                               timeout=60)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(json.loads(again.stdout)["decisions"], result["decisions"])

    def test_broken_snapshots_are_refused_with_the_reason(self):
        cases = {"empty.zip": b"PK\x03\x04" + b"\0" * 40,
                 "not-json.json": b"{\"rawObjects\": ",
                 "list.json": b"[]"}
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("other.json", "{}")
        cases["other.zip"] = buf.getvalue()
        expect = {"empty.zip": "not a zip file", "not-json.json": "line 1",
                  "list.json": "not an object", "other.zip": "no snapshot.json in the zip"}
        for name, data in cases.items():
            path = os.path.join(self.dir, name)
            with open(path, "wb") as f:
                f.write(data)
            out = self.replay(path)
            self.assertEqual(out.returncode, 1, name)
            self.assertIn(expect[name], out.stderr, name)
        missing = self.replay(os.path.join(self.dir, "nonexistent.zip"))
        self.assertEqual(missing.returncode, 1)
        self.assertIn("No such file", missing.stderr)
        usage = subprocess.run([ALLOT, "snapshot", "convert", "x.zip"], capture_output=True,
                               text=True)
        self.assertEqual(usage.returncode, 2)  # --kai is the only kind it converts
        self.assertIn("unexpected argument 'x.zip'", usage.stderr)
        self.assertIn("allot snapshot convert --help", usage.stderr)


if __name__ == "__main__":
    unittest.main()
