"""test_topology.py - KAI's Topology resource and a PodGroup's topologyConstraint on a real API
server: a gang that requires one rack is bound inside one (not where plain binpack would put
it), a gang no rack can hold waits with a pod condition that names the level, and each of a
PodGroup's sub-groups that requires a rack is bound inside one; a sub-group tree allot cannot
model is refused out loud (a PodGroup condition and a Warning Event) until it is fixed."""
import json
import unittest

from allotd import pod, pod_group, queue
from cluster import wait_until
from test_scheduling import ClusterTest

GPU_PER_NODE = 4


def topology(name, *labels):
    return {"apiVersion": "kai.scheduler/v1alpha1", "kind": "Topology",
            "metadata": {"name": name},
            "spec": {"levels": [{"nodeLabel": label} for label in labels]}}


def bound_now(test, ns):
    return {name for name, p in test.pods(ns).items() if p["spec"].get("nodeName")}


def constrained(group, required=None, preferred=None, topology_name="dc"):
    group["spec"]["topologyConstraint"] = {"topology": topology_name}
    if required:
        group["spec"]["topologyConstraint"]["requiredTopologyLevel"] = required
    if preferred:
        group["spec"]["topologyConstraint"]["preferredTopologyLevel"] = preferred
    return group


class TopologyTest(ClusterTest):
    def test_a_gang_that_requires_a_rack_is_bound_inside_one(self):
        ns = self.namespace("topo")
        self.add_queues(queue("topo-dept"), queue("topo", parent="topo-dept", gpu_quota=16))
        self.c.apply(topology("dc", "example.com/rack", "kubernetes.io/hostname"))
        # rack r1: topo-a1, topo-a2; rack r2: topo-b1, topo-b2 (names put r1 first)
        for name, rack in (("topo-a1", "r1"), ("topo-a2", "r1"), ("topo-b1", "r2"),
                           ("topo-b2", "r2")):
            self.add_node(name, gpus=GPU_PER_NODE, labels={"example.com/rack": rack})
        wait_until(lambda: self.allotd.api("GET", "/api/v1/topologies")[1]["total"] == 1, 20,
                   "allotd to see the Topology")
        listed = self.allotd.api("GET", "/api/v1/topologies")[1]["items"]
        self.assertEqual(listed, [{"name": "dc",
                                   "levels": ["example.com/rack", "kubernetes.io/hostname"]}])
        # three GPUs of topo-a1 taken: rack r1 keeps 5 free, r2 8
        self.c.apply(pod("filler", ns, "topo", gpus=3))
        self.assertEqual(self.wait_bound(ns, 1), {"filler": "topo-a1"})
        # two 4-GPU pods that must share a rack: plain binpack would take topo-a2 and topo-b1
        self.c.apply([constrained(pod_group("train", ns, "topo", min_member=2), "example.com/rack"),
                      pod("train-0", ns, "topo", gpus=4, group="train"),
                      pod("train-1", ns, "topo", gpus=4, group="train")])
        placed = self.wait_bound(ns, 3)
        self.assertEqual({placed["train-0"], placed["train-1"]}, {"topo-b1", "topo-b2"})
        # three more 4-GPU pods in one rack: no rack has 12 free
        self.c.apply([constrained(pod_group("big", ns, "topo", min_member=3), "example.com/rack"),
                      *[pod("big-%d" % i, ns, "topo", gpus=4, group="big") for i in range(3)]])
        # (a cycle that saw the PodGroup before all three pods says the gang is incomplete
        # first: wait for the reason of the whole gang)
        self.wait_condition(ns, "big-0")
        wait_until(lambda: "no example.com/rack has room" in
                   self.condition(ns, "big-0").get("message", ""), 20,
                   "big-0's condition to name the rack level")
        why = self.condition(ns, "big-0")
        self.assertIn("required topology level example.com/rack of topology dc", why["message"])
        self.assertEqual(len(self.wait_bound(ns, 3)), 3)

    def test_a_jobs_topology_annotations_reach_the_podgroup_allot_makes(self):
        ns = self.namespace("topo-job")
        self.add_queues(queue("topo-job-dept", gpu_quota=16),
                        queue("topo-job", parent="topo-job-dept", gpu_quota=16))
        self.c.apply(topology("dc", "example.com/rack", "kubernetes.io/hostname"))
        for name, rack in (("tj-a1", "r3"), ("tj-a2", "r3"), ("tj-b1", "r4"), ("tj-b2", "r4")):
            self.add_node(name, gpus=GPU_PER_NODE, labels={"example.com/rack": rack})
        # (not preemptible: consolidation would move it to make room in the rack)
        self.c.apply(pod("filler", ns, "topo-job", gpus=2, priority_class="build"))
        self.assertEqual(self.wait_bound(ns, 1), {"filler": "tj-a1"})
        # a Job annotated as KAI users annotate one: its pods are one elastic job (KAI's
        # grouper gives a Job a minimum of 1), each step bound to the rack of the first
        p = pod("x", ns, "topo-job", gpus=2)
        job = {"apiVersion": "batch/v1", "kind": "Job",
               "metadata": {"name": "train", "namespace": ns, "annotations": {
                   "kai.scheduler/topology": "dc",
                   "kai.scheduler/topology-required-placement": "example.com/rack"}},
               "spec": {"parallelism": 4, "completions": 4, "template": {
                   "metadata": {"labels": p["metadata"]["labels"]}, "spec": p["spec"]}}}
        self.c.apply(job)
        placed = self.wait_bound(ns, 4)  # the filler and three of the Job's pods
        racks = {"tj-a1": "r3", "tj-a2": "r3", "tj-b1": "r4", "tj-b2": "r4"}
        # the first pod goes to the fuller rack (r3: 6 free, r4 8), which holds three of them
        self.assertEqual({racks[n] for name, n in placed.items() if name != "filler"}, {"r3"})
        wait_until(lambda: len(self.pods(ns)) == 5, 20, "the Job's four pods")
        waiting = [name for name in self.pods(ns) if name not in bound_now(self, ns)]
        self.assertEqual(len(waiting), 1)
        self.wait_condition(ns, waiting[0])
        held = "its 3 placed tasks hold it to one example.com/rack, which has 0 GPUs free"
        wait_until(lambda: held in self.condition(ns, waiting[0]).get("message", ""), 20,
                   "the waiting pod's condition to say its placed tasks hold it")
        uid = self.c.get("/apis/batch/v1/namespaces/%s/jobs/train" % ns)["metadata"]["uid"]
        group = self.c.get("/apis/scheduling.run.ai/v2alpha2/namespaces/%s/podgroups/pg-train-%s"
                           % (ns, uid))
        self.assertEqual(group["spec"]["topologyConstraint"],
                         {"topology": "dc", "requiredTopologyLevel": "example.com/rack"})


class SubgroupTopologyTest(ClusterTest):
    def test_each_subgroup_that_requires_a_rack_is_bound_inside_one(self):
        ns = self.namespace("topo-sub")
        self.add_queues(queue("topo-sub-dept"), queue("topo-sub", parent="topo-sub-dept",
                                                      gpu_quota=16))
        self.c.apply(topology("dc", "example.com/rack", "kubernetes.io/hostname"))
        # rack r7: ts-a1, ts-a2; rack r8: ts-b1, ts-b2
        for name, rack in (("ts-a1", "r7"), ("ts-a2", "r7"), ("ts-b1", "r8"), ("ts-b2", "r8")):
            self.add_node(name, gpus=GPU_PER_NODE, labels={"example.com/rack": rack})
        wait_until(lambda: self.allotd.api("GET", "/api/v1/topologies")[1]["total"] >= 1, 20,
                   "allotd to see the Topology")
        # a tree of sub-groups (flattened to its leaves), the leaves' pods alternating by name:
        # plain binpack would bind pd-0 and pd-2 (prefill) to ts-a1 and ts-b1, two racks
        group = pod_group("pd", ns, "topo-sub", min_member=4)
        rack = {"topology": "dc", "requiredTopologyLevel": "example.com/rack"}
        group["spec"]["subGroups"] = [
            {"name": "all"},
            {"name": "prefill", "parent": "all", "minMember": 2, "topologyConstraint": rack},
            {"name": "decode", "parent": "all", "minMember": 2, "topologyConstraint": rack}]
        pods = []
        for i in range(4):
            p = pod("pd-%d" % i, ns, "topo-sub", gpus=4, group="pd")
            p["metadata"]["labels"]["kai.scheduler/subgroup-name"] = ("prefill", "decode")[i % 2]
            pods.append(p)
        self.c.apply([group, *pods])
        placed = self.wait_bound(ns, 4)
        racks = {"ts-a1": "r7", "ts-a2": "r7", "ts-b1": "r8", "ts-b2": "r8"}
        self.assertEqual(racks[placed["pd-0"]], racks[placed["pd-2"]], placed)
        self.assertEqual(racks[placed["pd-1"]], racks[placed["pd-3"]], placed)
        self.assertNotEqual(racks[placed["pd-0"]], racks[placed["pd-1"]], placed)
        # allotd's workload carries the leaves and each task's
        page = self.allotd.api("GET", "/api/v1/workloads?project=topo-sub")[1]
        w = [x for x in page["items"] if len(x["tasks"]) == 4][0]
        self.assertEqual([(g["name"], g["workers"], g["min_members"],
                           g.get("required_topology_level")) for g in w["subgroups"]],
                         [("prefill", 2, 2, "example.com/rack"),
                          ("decode", 2, 2, "example.com/rack")])
        self.assertEqual([t["subgroup"] for t in w["tasks"]],
                         ["prefill", "decode", "prefill", "decode"])
        self.assertEqual(w["min_members"], 4)
        # allotd's submit makes one Job, whose pods share a template: no subgroups through it
        status, body = self.allotd.api("POST", "/api/v1/workloads", {
            "name": "parts", "project": "topo-sub", "image": "busybox", "command": ["true"],
            "subgroups": [{"name": "a", "workers": 1}]})
        self.assertEqual((status, body["error"]["field"]), (400, "subgroups"), body)

    def test_a_subgroup_tree_allot_cannot_model_is_refused_out_loud_until_fixed(self):
        ns = self.namespace("topo-bad")
        self.add_queues(queue("topo-bad-dept"), queue("topo-bad", parent="topo-bad-dept",
                                                      gpu_quota=16))
        self.c.apply(topology("dc", "example.com/rack", "kubernetes.io/hostname"))
        self.add_node("tb-a1", gpus=GPU_PER_NODE, labels={"example.com/rack": "r9"})
        wait_until(lambda: self.allotd.api("GET", "/api/v1/topologies")[1]["total"] >= 1, 20,
                   "allotd to see the Topology")
        rack = {"topology": "dc", "requiredTopologyLevel": "example.com/rack"}
        group = pod_group("bad", ns, "topo-bad", min_member=2)
        # an inner sub-group with a constraint: allot flattens trees to their leaves
        group["spec"]["subGroups"] = [
            {"name": "all", "topologyConstraint": rack},
            {"name": "prefill", "parent": "all", "minMember": 1},
            {"name": "decode", "parent": "all", "minMember": 1}]
        pods = []
        for i in range(2):
            p = pod("bad-%d" % i, ns, "topo-bad", gpus=1, group="bad")
            p["metadata"]["labels"]["kai.scheduler/subgroup-name"] = ("prefill", "decode")[i]
            pods.append(p)
        self.c.apply([group, *pods])

        def refused():
            g = self.c.get("/apis/scheduling.run.ai/v2alpha2/namespaces/%s/podgroups/bad" % ns)
            conds = g.get("status", {}).get("schedulingConditions")
            return [c for c in conds or [] if c.get("reason") == "SubGroupsNotSupported"]

        def warnings():
            events = json.loads(self.c.kubectl("get", "events", "-n", ns, "-o", "json").stdout)
            return [e for e in events["items"] if e["reason"] == "SubGroupsNotSupported"]
        wait_until(refused, 30, "the PodGroup to say its sub-group tree is refused")
        self.assertIn("spec.subGroups[0].topologyConstraint: a constraint of a sub-group that "
                      "has sub-groups is not taken", refused()[0]["message"])
        wait_until(warnings, 20, "a SubGroupsNotSupported event")
        self.assertEqual((warnings()[0]["type"], warnings()[0]["involvedObject"]["name"]),
                         ("Warning", "bad-0"))
        self.assertEqual(bound_now(self, ns), set())

        # a pod relabelled to name the inner sub-group, then the constraint moved to the
        # leaves: the tree is taken, but that pod names no leaf, and the condition says so
        self.c.kubectl("label", "pod", "bad-1", "-n", ns, "--overwrite",
                       "kai.scheduler/subgroup-name=all")
        group["spec"]["subGroups"] = [
            {"name": "all"},
            {"name": "prefill", "parent": "all", "minMember": 1, "topologyConstraint": rack},
            {"name": "decode", "parent": "all", "minMember": 1, "topologyConstraint": rack}]
        self.c.apply(group)
        wait_until(lambda: refused() and "names no sub-group" in refused()[0]["message"], 30,
                   "the condition to name the pod whose label names no leaf")
        self.assertIn("pod %s/bad-1: its label kai.scheduler/subgroup-name \"all\"" % ns,
                      refused()[0]["message"])
        self.assertEqual(bound_now(self, ns), set())

        # fixed: the gang is bound and the condition goes
        self.c.kubectl("label", "pod", "bad-1", "-n", ns, "--overwrite",
                       "kai.scheduler/subgroup-name=decode")
        self.wait_bound(ns, 2)
        wait_until(lambda: not refused(), 20, "the SubGroupsNotSupported condition to go")


if __name__ == "__main__":
    unittest.main()
