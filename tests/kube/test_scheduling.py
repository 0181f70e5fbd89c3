"""test_scheduling.py - allotd --backend kubernetes schedules the suite's real API server as KAI
Scheduler would: KAI-style Queues and pods (queue label, pod-group annotation, GPU-sharing
annotations, priority classes) are bound through pods/binding with their devices, a pending pod
shows allot's explanation in its PodScheduled condition, queues reclaim their quota from one
another, priorities preempt, gangs wait for their minimum, fractions share a device, and pods of
other schedulers hold their capacity. The test plays the kubelet (tests/kube/allotd.py)."""
import json
import os
import subprocess
import time
import unittest

from allotd import Allotd, Kubelet, bound, pod, pod_group, queue
from cluster import ROOT, Cluster, wait_until

ALLOT = os.environ.get("ALLOT", os.path.join(ROOT, "build", "san", "allot"))


def started_cluster():
    c = Cluster().__enter__()
    c.kubectl("apply", "-R", "-f", os.path.join(ROOT, "deploy"))
    wait_until(lambda: c.kubectl("get", "queues", check=False).returncode == 0, 30,
               "the Queue resource to be served")
    return c


class ClusterTest(unittest.TestCase):
    """One cluster and one allotd for the class; each test has namespaces, queues and nodes of
    its own and removes them."""

    @classmethod
    def setUpClass(cls):
        cls.c = started_cluster()
        cls.kubelet = Kubelet(cls.c)
        cls.allotd = Allotd(cls.c)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.allotd.stop()
        finally:
            cls.c.stop()

    def setUp(self):
        self.namespaces, self.queues, self.nodes = [], [], []

    def tearDown(self):
        for ns in self.namespaces:
            self.c.kubectl("delete", "pods", "--all", "-n", ns, "--grace-period=0", "--force",
                           "--wait=false", check=False)
            self.c.kubectl("delete", "podgroups", "--all", "-n", ns, "--wait=false", check=False)
        for q in reversed(self.queues):
            self.c.kubectl("delete", "queue", q, "--wait=false", check=False)
        for n in self.nodes:
            self.c.kubectl("delete", "node", n, "--wait=false", check=False)

    def namespace(self, name):
        self.c.kubectl("create", "namespace", name)
        self.namespaces.append(name)
        return name

    def add_queues(self, *queues):
        self.c.apply(list(queues))
        self.queues += [q["metadata"]["name"] for q in queues]

    def add_node(self, name, **kw):
        self.c.add_gpu_node(name, **kw)
        self.nodes.append(name)

    def pods(self, ns):
        return {p["metadata"]["name"]: p for p in self.kubelet.pods(ns)}

    def devices(self, p):
        return [int(d) for d in p["metadata"]["annotations"]["allot.run/gpus"].split(",")]

    def wait_bound(self, ns, count, timeout=30, evictions=True):
        """Until `count` pods of ns are bound (the kubelet ending evicted pods meanwhile)."""
        def check():
            if evictions:
                self.kubelet.remove_terminating()
            return len(bound(self.kubelet.pods(ns))) >= count
        wait_until(check, timeout, "%d pods of %s bound" % (count, ns))
        return bound(self.kubelet.pods(ns))

    def condition(self, ns, name):
        for cond in self.pods(ns)[name]["status"].get("conditions") or []:
            if cond["type"] == "PodScheduled":
                return cond
        return None

    def wait_condition(self, ns, name, timeout=20):
        wait_until(lambda: (self.condition(ns, name) or {}).get("status") == "False", timeout,
                   "pod %s/%s to say why it waits" % (ns, name))
        return self.condition(ns, name)


class BindTest(ClusterTest):
    def test_pods_are_bound_with_devices_events_and_reasons(self):
        ns = self.namespace("bind")
        self.add_queues(queue("bind-dept"), queue("bind", parent="bind-dept", gpu_quota=8))
        self.add_node("bind-1", gpus=4)
        self.add_node("bind-2", gpus=4)
        # all at once: under allot's placement the 1- and 2-GPU pods share a node and leave the
        # other whole for the 4-GPU one, whichever the cycle sees first
        self.c.apply([pod("one", ns, "bind", gpus=1), pod("two", ns, "bind", gpus=2),
                      pod("four", ns, "bind", gpus=4), pod("too-big", ns, "bind", gpus=5),
                      pod("not-ours", ns, "bind", gpus=1, scheduler="default-scheduler")])
        placed = self.wait_bound(ns, 3)
        self.assertEqual(set(placed), {"one", "two", "four"})
        pods = self.pods(ns)
        for node in ("bind-1", "bind-2"):  # no device given twice on a node
            held = [d for name, n in placed.items() if n == node for d in self.devices(pods[name])]
            self.assertEqual(len(held), len(set(held)), held)
            self.assertTrue(all(0 <= d < 4 for d in held))
        for name, want in (("one", 1), ("two", 2), ("four", 4)):
            self.assertEqual(len(self.devices(pods[name])), want)
        why = self.wait_condition(ns, "too-big")
        self.assertEqual(why["reason"], "Unschedulable")
        self.assertIn("GPU", why["message"])
        self.assertNotIn("nodeName", pods["not-ours"]["spec"])  # another scheduler's
        self.assertIsNone(self.condition(ns, "not-ours"))
        events = json.loads(self.c.kubectl("get", "events", "-n", ns, "-o", "json").stdout)
        scheduled = {e["involvedObject"]["name"]: e["message"] for e in events["items"]
                     if e["reason"] == "Scheduled"}
        self.assertIn("to " + placed["two"], scheduled["two"])
        # allotd's API shows the cluster: the queue as a project, pods as workload tasks, and
        # the reason a workload waits is the one its pod shows (once the last write landed).
        status, page = self.allotd.api("GET", "/api/v1/workloads?project=bind")
        self.assertEqual(status, 200)
        tasks = {t["pod"]["name"]: t for w in page["items"] for t in w["tasks"] if "pod" in t}
        self.assertEqual(tasks["two"]["node"], placed["two"])
        self.assertEqual(tasks["two"]["gpu_devices"], self.devices(pods["two"]))

        def same_reason():
            page = self.allotd.api("GET", "/api/v1/workloads?project=bind&state=pending")[1]
            return [w["reason"] for w in page["items"]] == [
                self.condition(ns, "too-big")["message"]]
        wait_until(same_reason, 10, "the pod's condition to say what allotd says")

    def test_an_owners_pods_are_one_job_whose_podgroup_allot_makes(self):
        ns = self.namespace("owners")
        self.add_queues(queue("owners-dept"), queue("owners", parent="owners-dept", gpu_quota=8))
        self.add_node("owners-1", gpus=8)
        p = pod("x", ns, "owners", gpus=1)
        template = {"metadata": {"labels": p["metadata"]["labels"]}, "spec": p["spec"]}
        deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": "serve", "namespace": ns},
                      "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "serve"}},
                               "template": {"metadata": {"labels": dict(
                                   template["metadata"]["labels"], app="serve")},
                                   "spec": dict(template["spec"], restartPolicy="Always")}}}
        job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "train",
                                                                      "namespace": ns},
               "spec": {"parallelism": 3, "completions": 3, "template": template}}
        self.c.apply([deployment, job])
        self.wait_bound(ns, 5)
        uid = {kind: json.loads(self.c.kubectl("get", kind, name, "-n", ns, "-o", "json").stdout)[
            "metadata"]["uid"] for kind, name in (("deployment", "serve"), ("job", "train"))}

        def podgroups():
            return {g["metadata"]["name"]: g for g in json.loads(self.c.kubectl(
                "get", "podgroups", "-n", ns, "-o", "json").stdout)["items"]}
        # KAI's names: pg-NAME-UID of the top owner (the Deployment, above its ReplicaSet)
        serve, train = "pg-serve-" + uid["deployment"], "pg-train-" + uid["job"]
        wait_until(lambda: {serve, train} <= set(podgroups()), 20, "allot to make the PodGroups")
        groups = podgroups()
        self.assertEqual(groups[serve]["spec"]["queue"], "owners")
        self.assertEqual(groups[serve]["metadata"]["ownerReferences"][0]["kind"], "Deployment")
        self.assertEqual(groups[train]["metadata"]["ownerReferences"][0]["uid"], uid["job"])
        page = self.allotd.api("GET", "/api/v1/workloads?project=owners")[1]
        self.assertEqual(sorted((w["name"], w["workers"]) for w in page["items"]),
                         sorted([(serve, 2), (train, 3)]))

    def allot(self, *args, check=True):
        """The allot CLI against this allotd."""
        r = subprocess.run([ALLOT, "--server", self.allotd.url, "--token", self.allotd.token,
                            *args], capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("allot %s: %s%s" % (" ".join(args), r.stdout, r.stderr))
        return r

    def test_the_cli_works_on_the_cluster(self):
        ns = self.namespace("cli")  # a project's namespace is its name
        self.nodes.append("cli-1")
        self.c.add_gpu_node("cli-1", gpus=4)
        self.allot("department", "create", "cli-dept", "--gpu-deserved", "4")
        self.queues.append("cli-dept")
        self.allot("project", "create", "cli", "--department", "cli-dept", "--gpu-deserved",
                   "2.5", "--memory-deserved", "64GiB", "--gpu-weight", "3")
        self.queues.append("cli")
        q = json.loads(self.c.kubectl("get", "queue", "cli", "-o", "json").stdout)["spec"]
        self.assertEqual(q["parentQueue"], "cli-dept")
        self.assertEqual(q["resources"]["gpu"]["quota"], 2.5)  # KAI's units
        self.assertEqual(q["resources"]["memory"]["quota"], 68720)  # 64 GiB in MB, rounded up
        self.assertEqual(q["resources"]["gpu"]["overQuotaWeight"], 3)
        self.allot("project", "update", "cli", "--gpu-limit", "3")
        wait_until(lambda: json.loads(self.c.kubectl("get", "queue", "cli", "-o", "json").stdout)[
            "spec"]["resources"]["gpu"]["limit"] == 3, 10, "the Queue's new limit")
        # quotas that contradict the department's are refused before a Queue is written
        bad = self.allot("project", "create", "cli-more", "--department", "cli-dept",
                         "--gpu-deserved", "2", check=False)
        self.assertEqual(bad.returncode, 2, bad.stderr)
        self.assertIn("would deserve 4.5 GPUs in all, above its 4 GPUs", bad.stderr)
        self.assertNotEqual(self.c.kubectl("get", "queue", "cli-more", check=False).returncode, 0)
        # and a workload no node of the cluster could hold before a Job is made
        big = self.allot("workload", "submit", "huge", "-p", "cli", "--gpu", "64", "--image",
                         "busybox", "--", "true", check=False)
        self.assertEqual(big.returncode, 2, big.stderr)
        self.assertIn("no node can ever hold 64 GPUs per task", big.stderr)
        self.assertNotEqual(self.c.kubectl("get", "job", "huge", "-n", ns, check=False).returncode,
                            0)

        # a workload submitted through allot is a Job with its PodGroup, scheduled as any other
        out = subprocess.run([ALLOT, "--server", self.allotd.url, "--token", self.allotd.token,
                              "workload", "submit", "train", "-p", "cli", "--gpu", "1",
                              "--workers", "2", "--image", "busybox", "-e", "STEPS=10",
                              "--export", "HF_HOME", "--json", "--", "sh", "-c", "echo hi"],
                             capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, HF_HOME="/data/hf"))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout)["workers"], 2)
        job = json.loads(self.c.kubectl("get", "job", "train", "-n", ns, "-o", "json").stdout)
        container = job["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(container["command"], ["sh", "-c", "echo hi"])
        self.assertEqual(container["env"], [{"name": "HF_HOME", "value": "/data/hf"},
                                            {"name": "STEPS", "value": "10"}])
        self.assertNotIn("workingDir", container)  # the image's own
        self.assertEqual(container["resources"]["limits"]["nvidia.com/gpu"], "1")
        group = json.loads(self.c.kubectl("get", "podgroup", "train", "-n", ns, "-o",
                                          "json").stdout)
        self.assertEqual((group["spec"]["queue"], group["spec"]["minMember"]), ("cli", 2))
        self.assertEqual(group["metadata"]["ownerReferences"][0]["name"], "train")
        self.assertEqual(len(self.wait_bound(ns, 2)), 2)
        described = self.allot("workload", "describe", "train", "-p", "cli").stdout
        self.assertIn("running", described)
        # its output comes through the API server, which asks the node's kubelet: there is
        # none here, and allot says so
        logs = self.allot("workload", "logs", "train", "-p", "cli", check=False)
        self.assertNotEqual(logs.returncode, 0)
        self.assertIn("reading the log of pod", logs.stderr)
        # streams into a pod are the cluster's (kubectl exec): allot says it does not offer them
        for args in (["exec", "train", "-p", "cli", "--", "true"],
                     ["port-forward", "train", "-p", "cli", "8080"]):
            r = self.allot("workload", *args, check=False)
            self.assertEqual(r.returncode, 4, (args, r.stderr))
            self.assertIn("does not offer", r.stderr)
        # a submit the cluster refuses says why; a name taken is refused before
        bad = self.allot("workload", "submit", "nameless", "-p", "cli", "--", "true",
                         check=False)
        self.assertIn("image", bad.stderr)
        again = self.allot("workload", "submit", "train", "-p", "cli", "--image", "busybox",
                           "--", "true", check=False)
        self.assertIn("already", again.stderr)
        # what cannot apply in a cluster is refused saying so, naming the option (issue 12,
        # item 2): the submitter's whole environment, time limits, suspend, tail and since;
        # variables carried by name go into the pods
        for extra, option in ((["--export=ALL"], "--export"), (["--time-limit", "1h"],
                                                                "--time-limit")):
            refused = self.allot("workload", "submit", "envy", "-p", "cli", "--image", "busybox",
                                 *extra, "--", "true", check=False)
            self.assertEqual(refused.returncode, 2, refused.stderr)
            self.assertIn(option, refused.stderr)
        suspend = self.allot("workload", "suspend", "train", "-p", "cli", check=False)
        self.assertEqual(suspend.returncode, 4, suspend.stderr)
        self.assertIn("not offered", suspend.stderr)
        tail = self.allot("workload", "logs", "train", "-p", "cli", "--tail", "5", check=False)
        self.assertEqual(tail.returncode, 2, tail.stderr)
        self.assertIn("not offered", tail.stderr)

        self.allot("workload", "delete", "train", "-p", "cli")
        wait_until(lambda: self.c.kubectl("get", "job", "train", "-n", ns,
                                          check=False).returncode != 0, 20, "the Job deleted")
        wait_until(lambda: self.allotd.api("GET", "/api/v1/workloads/train?project=cli")[0] ==
                   404, 30, "the workload gone from allotd")
        # a workload its pods' owner made is deleted through that owner, not allot
        self.c.apply(pod("mine", ns, "cli"))
        wait_until(lambda: self.allotd.api("GET", "/api/v1/workloads?project=cli")[1]["total"]
                   == 1, 20, "the pod mirrored")
        name = self.allotd.api("GET", "/api/v1/workloads?project=cli")[1]["items"][0]["name"]
        refused = self.allot("workload", "delete", name, "-p", "cli", check=False)
        self.assertIn("not submitted through allot", refused.stderr)
        self.c.kubectl("delete", "pod", "mine", "-n", ns, "--grace-period=0", "--force")
        wait_until(lambda: self.allotd.api("GET", "/api/v1/workloads?project=cli")[1]["total"]
                   == 0, 20, "the pod gone")
        # a project with a live workload goes only with --force, its Job first
        self.allot("workload", "submit", "last", "-p", "cli", "--gpu", "1", "--image", "busybox",
                   "--", "sleep", "300")
        refused = self.allot("project", "delete", "cli", check=False)
        self.assertEqual(refused.returncode, 4, refused.stderr)
        self.assertIn("1 live workload", refused.stderr)
        self.allot("project", "delete", "cli", "--force")
        wait_until(lambda: self.c.kubectl("get", "job", "last", "-n", ns,
                                          check=False).returncode != 0, 20, "the Job deleted")
        wait_until(lambda: self.c.kubectl("get", "queue", "cli", check=False).returncode != 0,
                   10, "the Queue deleted")

    def test_other_schedulers_pods_hold_their_capacity(self):
        ns = self.namespace("others")
        self.add_queues(queue("others-dept"), queue("others", parent="others-dept", gpu_quota=4))
        self.add_node("others-1", gpus=4)
        theirs = pod("theirs", ns, "others", gpus=3, scheduler="default-scheduler")
        theirs["spec"]["nodeName"] = "others-1"  # bound by someone else
        self.c.apply(theirs)
        self.c.apply([pod("fits", ns, "others", gpus=1), pod("waits", ns, "others", gpus=2)])
        placed = self.wait_bound(ns, 2)
        self.assertEqual(set(placed), {"theirs", "fits"})
        self.wait_condition(ns, "waits")
        self.c.kubectl("delete", "pod", "theirs", "-n", ns, "--grace-period=0", "--force")
        self.assertEqual(self.wait_bound(ns, 2)["waits"], "others-1")

    def test_a_cordoned_node_takes_no_new_pods(self):
        ns = self.namespace("cordon")
        self.add_queues(queue("cordon-dept"), queue("cordon", parent="cordon-dept",
                                                     gpu_quota=8))
        self.add_node("cordon-a", gpus=4)
        self.add_node("cordon-b", gpus=4)
        self.c.kubectl("cordon", "cordon-a")
        self.c.apply([pod("p%d" % i, ns, "cordon", gpus=4) for i in range(2)])
        self.assertEqual(set(self.wait_bound(ns, 1).values()), {"cordon-b"})
        waiting = [n for n in self.pods(ns) if n not in bound(self.kubelet.pods(ns))]
        self.wait_condition(ns, waiting[0])
        nodes = {n["name"]: n for n in self.allotd.api("GET", "/api/v1/nodes")[1]["items"]}
        self.assertTrue(nodes["cordon-a"]["unschedulable"])
        self.c.kubectl("uncordon", "cordon-a")
        self.assertEqual(self.wait_bound(ns, 2)[waiting[0]], "cordon-a")

    def test_allotd_without_the_webhook_says_once_that_enforcement_is_off(self):
        self.assertEqual(self.allotd.output().count(
            "allotd: GPU enforcement off: no --webhook-listen: pods holding a share of a GPU run "
            "without their limits enforced"), 1)

    def test_fractions_share_a_device(self):
        ns = self.namespace("frac")
        self.add_queues(queue("frac-dept"), queue("frac", parent="frac-dept", gpu_quota=1))
        self.add_node("frac-1", gpus=1)
        half = {"gpu-fraction": "0.5"}
        self.c.apply([pod("half-%d" % i, ns, "frac", annotations=half) for i in range(3)])
        placed = self.wait_bound(ns, 2)
        self.assertEqual(len(placed), 2)
        pods = self.pods(ns)
        self.assertEqual([self.devices(pods[n]) for n in placed], [[0], [0]])
        # what the pod may use of the device: half of its 81,559 MiB
        self.assertEqual({pods[n]["metadata"]["annotations"]["allot.run/gpu-memory-limit-mib"]
                          for n in placed}, {"40779"})
        waiting = [n for n in pods if n not in placed]
        self.assertIn("GPU", self.wait_condition(ns, waiting[0])["message"])
        # the shared device is held for them by a reservation pod on its node (one whole GPU
        # the device plugin gives no one else), named on each pod that shares it
        def reservations():
            return [p for p in self.kubelet.pods("allot-reservations")
                    if not p["metadata"].get("deletionTimestamp")]
        wait_until(lambda: len(reservations()) == 1, 20, "a reservation pod")
        r = reservations()[0]
        self.assertEqual(r["spec"]["nodeName"], "frac-1")
        self.assertEqual(r["metadata"]["annotations"]["allot.run/gpus"], "0")
        self.assertEqual(r["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"], "1")
        self.assertEqual({pods[n]["metadata"]["annotations"]["allot.run/gpu-reservation"]
                          for n in placed}, {"allot-reservations/" + r["metadata"]["name"]})
        # its container reports the GPU the device plugin gave it (played here with the real
        # program: the test cluster has no kubelet), and the sharing pods get its name
        env = dict(os.environ, POD_NAME=r["metadata"]["name"], POD_NAMESPACE="allot-reservations",
                   NVIDIA_VISIBLE_DEVICES="GPU-4f2c9a1e-0000-1111-2222-333344445555")
        report = subprocess.run([ALLOT, "gpu-reservation", "report", "--kubeconfig",
                                 self.c.kubeconfig, "--once"], env=env, capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(report.returncode, 0, report.stderr)
        wait_until(lambda: {self.pods(ns)[n]["metadata"]["annotations"].get(
            "allot.run/gpu-uuids") for n in placed} == {env["NVIDIA_VISIBLE_DEVICES"]}, 20,
            "the sharing pods to name their GPU")
        env["NVIDIA_VISIBLE_DEVICES"] = "all"  # not one GPU: refused, saying why
        report = subprocess.run([ALLOT, "gpu-reservation", "report", "--kubeconfig",
                                 self.c.kubeconfig, "--once"], env=env, capture_output=True,
                                text=True, timeout=60)
        self.assertNotEqual(report.returncode, 0)
        self.assertIn("NVIDIA_VISIBLE_DEVICES", report.stderr)
        # once no pod shares the device any more, its reservation goes
        self.c.kubectl("delete", "pods", "--all", "-n", ns, "--grace-period=0", "--force")
        wait_until(lambda: self.kubelet.remove_terminating() >= 0 and not reservations(), 20,
                   "the reservation released")


    def test_dynamic_fractions_are_placed_by_their_request(self):
        ns = self.namespace("dyn")
        self.add_queues(queue("dyn-dept"), queue("dyn", parent="dyn-dept", gpu_quota=1))
        self.add_node("dyn-1", gpus=1)
        # Run:ai's request and limit: each may grow to the whole device, two fit by requests
        burst = {"gpu-fraction": "0.5", "gpu-fraction-limit": "1"}
        self.c.apply([pod("burst-%d" % i, ns, "dyn", annotations=burst) for i in range(2)])
        placed = self.wait_bound(ns, 2)
        pods = self.pods(ns)
        self.assertEqual([self.devices(pods[n]) for n in placed], [[0], [0]])
        # capped at the request in the pod: no device segment in common settles bursts there
        self.assertEqual({pods[n]["metadata"]["annotations"]["allot.run/gpu-memory-limit-mib"]
                          for n in placed}, {"40779"})
        page = self.allotd.api("GET", "/api/v1/workloads?project=dyn")[1]
        self.assertEqual({(w["gpu_fraction"], w.get("gpu_fraction_limit"))
                          for w in page["items"]}, {(0.5, 1.0)})
        self.c.kubectl("delete", "pods", "--all", "-n", ns, "--grace-period=0", "--force")
        wait_until(lambda: self.kubelet.remove_terminating() >= 0 and not self.pods(ns), 20,
                   "the pods gone")
        # a workload submitted through allot with a request and a limit: its pods say both
        self.allot("workload", "submit", "grow", "-p", "dyn", "--gpu-portion-request", "0.25",
                   "--gpu-portion-limit", "0.5", "--image", "busybox", "--", "true")
        job = json.loads(self.c.kubectl("get", "job", "grow", "-n", ns, "-o", "json").stdout)
        notes = job["spec"]["template"]["metadata"]["annotations"]
        self.assertEqual((notes["gpu-fraction"], notes["gpu-fraction-limit"]), ("0.25", "0.5"))
        self.allot("workload", "delete", "grow", "-p", "dyn")


class PolicyTest(ClusterTest):
    def test_a_queue_reclaims_its_quota(self):
        a, b = self.namespace("team-a"), self.namespace("team-b")
        self.add_queues(queue("research"), queue("team-a", parent="research", gpu_quota=4),
                        queue("team-b", parent="research", gpu_quota=4))
        self.add_node("rc-1", gpus=4)
        self.add_node("rc-2", gpus=4)
        self.c.apply([pod("a%d" % i, a, "team-a", gpus=1) for i in range(8)])
        self.wait_bound(a, 8)  # idle quota is lent
        for name in self.pods(a):
            self.kubelet.run(a, name)
        self.c.apply([pod("b%d" % i, b, "team-b", gpus=1) for i in range(4)])
        self.assertEqual(len(self.wait_bound(b, 4)), 4)  # and taken back
        self.assertEqual(len(bound(self.kubelet.pods(a))), 4)

    def test_gang_waits_for_its_minimum(self):
        ns = self.namespace("gang")
        self.add_queues(queue("gang-dept"), queue("gang", parent="gang-dept", gpu_quota=8))
        self.add_node("gang-1", gpus=8)
        self.c.apply(pod_group("train", ns, "gang", min_member=3, priority_class="train"))
        self.c.apply([pod("w%d" % i, ns, "gang", gpus=2, group="train") for i in range(2)])
        wait_until(lambda: "of 2 tasks; gang needs 3" in (self.condition(ns, "w0") or {}).get(
            "message", ""), 20, "the pods to say that their gang needs 3")
        self.assertEqual(bound(self.kubelet.pods(ns)), {})

        def group_status():
            return self.c.get("/apis/scheduling.run.ai/v2alpha2/namespaces/%s/podgroups/train"
                              % ns).get("status", {})
        wait_until(lambda: "gang needs 3" in json.dumps(group_status()), 20,
                   "the PodGroup to say why it waits")
        self.assertEqual(group_status()["schedulingConditions"][0]["type"],
                         "UnschedulableOnNodePool")
        self.assertEqual(group_status()["phase"], "Pending")
        self.c.apply(pod("w2", ns, "gang", gpus=2, group="train"))
        self.assertEqual(len(self.wait_bound(ns, 3)), 3)
        wait_until(lambda: group_status().get("phase") == "Running" and
                   group_status().get("running") == 3 and
                   not group_status().get("schedulingConditions"), 20, "the PodGroup running")

    def test_a_semi_preemptible_group_keeps_its_core_when_reclaimed(self):
        a, b = self.namespace("semi-a"), self.namespace("semi-b")
        self.add_queues(queue("semi-dept", gpu_quota=4),  # the core is within quota at every level
                        queue("semi-a", parent="semi-dept", gpu_quota=1),
                        queue("semi-b", parent="semi-dept", gpu_quota=3))
        self.add_node("semi-1", gpus=4)
        # core of 1 within semi-a's deserved GPU, 2 pods beyond it over quota
        self.c.apply(pod_group("serve", a, "semi-a", min_member=1, priority_class="inference",
                               preemptibility="semi-preemptible"))
        self.c.apply([pod("s%d" % i, a, "semi-a", gpus=1, group="serve") for i in range(3)])
        self.wait_bound(a, 3)
        for name in self.pods(a):
            self.kubelet.run(a, name)
        self.c.apply([pod("b%d" % i, b, "semi-b", gpus=1) for i in range(3)])
        self.assertEqual(len(self.wait_bound(b, 3)), 3)  # the 2 pods beyond the core go
        self.assertEqual(len(bound(self.kubelet.pods(a))), 1)  # the core stays

    def test_a_never_priority_class_waits_instead_of_preempting(self):
        ns = self.namespace("never")
        self.c.apply({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                      "metadata": {"name": "never-inference"}, "value": 125,
                      "preemptionPolicy": "Never"})
        self.addCleanup(self.c.kubectl, "delete", "priorityclass", "never-inference",
                        "--wait=false", check=False)
        self.add_queues(queue("never-dept", gpu_quota=4),
                        queue("never", parent="never-dept", gpu_quota=4))
        self.add_node("never-1", gpus=4)
        self.c.apply([pod("train-%d" % i, ns, "never", gpus=1, priority_class="train")
                      for i in range(4)])
        self.wait_bound(ns, 4)
        for name in self.pods(ns):
            self.kubelet.run(ns, name)
        self.c.apply(pod("serve", ns, "never", gpus=1, priority_class="never-inference"))
        cond = self.wait_condition(ns, "serve")
        self.assertIn("preemption policy is Never", cond["message"])
        self.assertEqual(len(bound(self.kubelet.pods(ns))), 4)  # nothing evicted

    def test_pods_of_a_job_may_ask_for_different_things(self):
        ns = self.namespace("ray")
        self.add_queues(queue("ray-dept"), queue("ray", parent="ray-dept", gpu_quota=8))
        self.add_node("ray-1", gpus=8)
        # a head that needs no GPU and two workers of four: 8 GPUs in all, not 3 x 4
        self.c.apply(pod_group("cluster", ns, "ray", min_member=3))
        self.c.apply([pod("head", ns, "ray", group="cluster"),
                      pod("worker-0", ns, "ray", gpus=4, group="cluster"),
                      pod("worker-1", ns, "ray", gpus=4, group="cluster")])
        self.assertEqual(len(self.wait_bound(ns, 3)), 3)
        pods = self.pods(ns)
        self.assertNotIn("allot.run/gpus", pods["head"]["metadata"].get("annotations", {}))
        held = self.devices(pods["worker-0"]) + self.devices(pods["worker-1"])
        self.assertEqual(sorted(held), list(range(8)))

    def test_priority_preempts_within_a_queue(self):
        ns = self.namespace("prio")
        self.add_queues(queue("prio-dept", gpu_quota=4),  # inference runs within quota only
                        queue("prio", parent="prio-dept", gpu_quota=4))
        self.add_node("prio-1", gpus=4)
        self.c.apply([pod("train-%d" % i, ns, "prio", gpus=1, priority_class="train")
                      for i in range(4)])
        self.wait_bound(ns, 4)
        for name in self.pods(ns):
            self.kubelet.run(ns, name)
        self.c.apply(pod("serve", ns, "prio", gpus=2, priority_class="inference"))
        wait_until(lambda: self.kubelet.remove_terminating() >= 0 and
                   "serve" in bound(self.kubelet.pods(ns)), 30, "the inference pod bound")
        left = [n for n in bound(self.kubelet.pods(ns)) if n.startswith("train-")]
        self.assertEqual(len(left), 2)


if __name__ == "__main__":
    unittest.main()


class MigTest(ClusterTest):
    def mig_pod(self, name, ns, queue_name, count):
        p = pod(name, ns, queue_name)
        res = p["spec"]["containers"][0]["resources"]
        res["requests"]["nvidia.com/mig-1g.10gb"] = str(count)
        res["limits"] = {"nvidia.com/mig-1g.10gb": str(count)}  # an extended resource
        return p

    def test_mig_instances_are_whole_resources_by_profile(self):
        """A node advertising nvidia.com/mig-1g.10gb: 2 takes two pods asking one each; a third
        waits (docs/engine.md, "MIG instances"); a pod asking a profile no node has waits too."""
        ns = self.namespace("mig")
        self.add_queues(queue("mig-dept"), queue("mig", parent="mig-dept", gpu_quota=4))
        self.add_node("mig-1", gpus=0, extra={"nvidia.com/mig-1g.10gb": "2"})
        self.add_node("plain-1", gpus=2)
        self.c.apply([self.mig_pod("m1", ns, "mig", 1), self.mig_pod("m2", ns, "mig", 1)])
        placed = self.wait_bound(ns, 2)
        self.assertEqual(placed, {"m1": "mig-1", "m2": "mig-1"})
        # another scheduler's pod bound to a node holds its instance there
        self.add_node("mig-2", gpus=0, extra={"nvidia.com/mig-1g.10gb": "1"})
        foreign = self.mig_pod("foreign", ns, "mig", 1)
        foreign["spec"]["schedulerName"] = "default-scheduler"
        foreign["spec"]["nodeName"] = "mig-2"
        self.c.apply([foreign])
        third = self.mig_pod("m3", ns, "mig", 1)
        other = self.mig_pod("m4", ns, "mig", 1)
        res = other["spec"]["containers"][0]["resources"]
        res["requests"] = {"cpu": "1", "memory": "1Gi", "nvidia.com/mig-3g.40gb": "1"}
        res["limits"] = {"nvidia.com/mig-3g.40gb": "1"}
        self.c.apply([third, other])
        self.wait_condition(ns, "m3")
        self.wait_condition(ns, "m4")
        self.assertEqual(set(bound(self.kubelet.pods(ns))), {"m1", "m2", "foreign"})
        self.assertEqual(self.kubelet.node_of(ns, "m3"), None)

    def test_a_pod_asking_two_profiles_runs_where_both_are_free(self):
        """A pod asking nvidia.com/mig-1g.10gb and nvidia.com/mig-2g.20gb goes to the node that
        offers both (not the one offering only the first); a second such pod waits, explained
        by the profile short."""
        ns = self.namespace("mig2")
        self.add_queues(queue("mig2-dept"), queue("mig2", parent="mig2-dept", gpu_quota=8))
        self.add_node("mig2-a", gpus=0, extra={"nvidia.com/mig-1g.10gb": "4"})
        self.add_node("mig2-b", gpus=0, extra={"nvidia.com/mig-1g.10gb": "2",
                                               "nvidia.com/mig-2g.20gb": "1"})

        def two(name):
            p = pod(name, ns, "mig2")
            res = p["spec"]["containers"][0]["resources"]
            res["requests"]["nvidia.com/mig-1g.10gb"] = "1"
            res["requests"]["nvidia.com/mig-2g.20gb"] = "1"
            res["limits"] = {"nvidia.com/mig-1g.10gb": "1", "nvidia.com/mig-2g.20gb": "1"}
            return p

        self.c.apply([two("both-1")])
        self.assertEqual(self.wait_bound(ns, 1), {"both-1": "mig2-b"})
        self.c.apply([two("both-2")])
        wait_until(lambda: "2g.20gb" in (self.condition(ns, "both-2") or {}).get("message", ""),
                   30, "both-2 to say which profile is short")
        self.assertIn("needs 1 x 2g.20gb on one node, the most free on a node is 0",
                      self.condition(ns, "both-2")["message"])
        self.assertEqual(set(bound(self.kubelet.pods(ns))), {"both-1"})
        # submitted through allot: a Job whose container asks both profiles, mirrored back
        r = subprocess.run([ALLOT, "--server", self.allotd.url, "--token", self.allotd.token,
                            "workload", "submit", "sub", "-p", "mig2", "--mig", "1g.10gb",
                            "--mig", "2g.20gb=1", "--image", "busybox", "--", "true"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        job = json.loads(self.c.kubectl("get", "job", "sub", "-n", ns, "-o", "json").stdout)
        limits = job["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
        self.assertEqual(limits, {"nvidia.com/mig-1g.10gb": "1", "nvidia.com/mig-2g.20gb": "1"})
        wait_until(lambda: self.allotd.api("GET", "/api/v1/workloads/sub?project=mig2")[1].get(
            "mig") == {"1g.10gb": 1, "2g.20gb": 1}, 20, "sub's request as its pods ask it")
        self.c.kubectl("delete", "job", "sub", "-n", ns, "--wait=false", check=False)


class NodePoolTest(ClusterTest):
    def test_pods_labelled_with_a_pool_run_there_and_others_stay_out(self):
        """KAI's node pools: a pod labelled kai.scheduler/node-pool runs on that pool's nodes;
        once a workload names a pool, pods with none run on nodes with none (docs/engine.md,
        "Node pools"), even where a pool's node has room."""
        ns = self.namespace("pools")
        self.add_queues(queue("pools-dept"), queue("pools", parent="pools-dept", gpu_quota=16))
        self.add_node("pool-a-1", gpus=10, labels={"kai.scheduler/node-pool": "pa"})
        self.add_node("pool-default-1", gpus=1)
        in_a = pod("in-a", ns, "pools", gpus=1)
        in_a["metadata"]["labels"]["kai.scheduler/node-pool"] = "pa"
        self.c.apply([in_a])
        self.assertEqual(self.wait_bound(ns, 1), {"in-a": "pool-a-1"})
        self.c.apply([pod("no-pool", ns, "pools", gpus=9)])
        self.wait_condition(ns, "no-pool")
        self.assertEqual(set(bound(self.kubelet.pods(ns))), {"in-a"})

    def podgroup(self, ns, name):
        return json.loads(self.c.kubectl("get", "podgroup", name, "-n", ns, "-o", "json").stdout)

    def test_a_podgroups_pool_label_wins_and_pods_naming_two_pools_are_refused_out_loud(self):
        """KAI puts the pool label on the PodGroup: it names the gang's pool, whatever its
        pods say. Without it, pods naming different pools are not scheduled (no silent pick):
        the PodGroup's schedulingConditions and an Event say which pods name which pools."""
        ns = self.namespace("pgpools")
        self.add_queues(queue("pgpools-dept"),
                        queue("pgpools", parent="pgpools-dept", gpu_quota=16))
        self.add_node("pg-pool-a-1", gpus=4, labels={"kai.scheduler/node-pool": "pga"})
        self.add_node("pg-pool-b-1", gpus=4, labels={"kai.scheduler/node-pool": "pgb"})
        group = pod_group("labelled", ns, "pgpools", min_member=2)
        group["metadata"]["labels"] = {"kai.scheduler/node-pool": "pga"}
        pods = [pod("l-%d" % i, ns, "pgpools", gpus=1, group="labelled") for i in range(2)]
        pods[1]["metadata"]["labels"]["kai.scheduler/node-pool"] = "pgb"  # the group's wins
        self.c.apply([group] + pods)
        self.assertEqual(self.wait_bound(ns, 2), {"l-0": "pg-pool-a-1", "l-1": "pg-pool-a-1"})

        split = [pod("s-%d" % i, ns, "pgpools", gpus=1, group="split") for i in range(2)]
        split[0]["metadata"]["labels"]["kai.scheduler/node-pool"] = "pga"
        split[1]["metadata"]["labels"]["kai.scheduler/node-pool"] = "pgb"
        self.c.apply([pod_group("split", ns, "pgpools", min_member=2)] + split)

        def conflict():
            conds = self.podgroup(ns, "split").get("status", {}).get("schedulingConditions")
            return [c for c in conds or [] if c.get("reason") == "NodePoolConflict"]
        wait_until(conflict, 30, "the PodGroup to say its pods name two pools")
        cond = conflict()[0]
        self.assertIn("pga (pod s-0) and pgb (pod s-1)", cond["message"])
        self.assertIn("label the PodGroup with kai.scheduler/node-pool", cond["message"])

        def warned():
            events = json.loads(self.c.kubectl("get", "events", "-n", ns, "-o", "json").stdout)
            return [e for e in events["items"] if e["reason"] == "NodePoolConflict"]
        wait_until(warned, 20, "a NodePoolConflict event")
        self.assertEqual(warned()[0]["type"], "Warning")
        self.assertNotIn("s-0", bound(self.kubelet.pods(ns)))
        # labelling the PodGroup settles it
        self.c.kubectl("label", "podgroup", "split", "-n", ns, "kai.scheduler/node-pool=pgb")
        placed = self.wait_bound(ns, 4)
        self.assertEqual((placed["s-0"], placed["s-1"]), ("pg-pool-b-1", "pg-pool-b-1"))
        wait_until(lambda: not conflict(), 20, "the NodePoolConflict condition to go")
        # a gang that waits says so for its pool (KAI's schedulingConditions[].nodePool)
        big = pod_group("big", ns, "pgpools")
        big["metadata"]["labels"] = {"kai.scheduler/node-pool": "pga"}
        self.c.apply([big, pod("big-0", ns, "pgpools", gpus=4, group="big")])

        def waiting():
            conds = self.podgroup(ns, "big").get("status", {}).get("schedulingConditions")
            return [c for c in conds or [] if c.get("type") == "UnschedulableOnNodePool"]
        wait_until(waiting, 30, "the PodGroup to say why it waits")
        self.assertEqual(waiting()[0]["nodePool"], "pga")


class DeadlineTest(ClusterTest):
    def test_active_deadline_is_a_known_time_limit_that_allot_never_enforces(self):
        """A pod's spec.activeDeadlineSeconds is its workload's time limit (reservations plan
        with it); the kubelet ends the pod then, allotd never stops it for running over."""
        ns = self.namespace("deadline")
        self.add_queues(queue("deadline-dept"),
                        queue("deadline", parent="deadline-dept", gpu_quota=4))
        self.add_node("deadline-1", gpus=4)
        p = pod("short", ns, "deadline", gpus=1)
        p["spec"]["activeDeadlineSeconds"] = 2
        self.c.apply([p])
        self.wait_bound(ns, 1)
        self.kubelet.run(ns, "short")

        def workload():
            page = self.allotd.api("GET", "/api/v1/workloads?project=deadline")[1]
            return page["items"][0] if page["items"] else None
        wait_until(lambda: (workload() or {}).get("state") == "running", 20,
                   "the workload to run")
        w = workload()
        self.assertEqual(w["time_limit_s"], 2)
        snap = self.allotd.api("GET", "/api/v1/snapshot")[1]
        job = [j for j in snap["jobs"] if j["queue"] == "deadline"][0]
        self.assertEqual(job["time_limit_s"], 2, job)
        # well past its deadline (this test's kubelet does not enforce it): still running,
        # not evicted, no time_limit reason from allotd
        time.sleep(5)
        pod_now = self.pods(ns)["short"]
        self.assertIsNone(pod_now["metadata"].get("deletionTimestamp"))
        w = workload()
        self.assertEqual(w["state"], "running", w)
        self.assertNotIn("time limit", w.get("reason") or "")
        bad = pod("bad-deadline", ns, "deadline")
        bad["spec"]["activeDeadlineSeconds"] = 0  # the API server refuses it itself
        self.assertNotEqual(self.c.kubectl("apply", "-f", "-", input=json.dumps(bad),
                                           check=False).returncode, 0)
