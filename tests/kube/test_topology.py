"""test_topology.py - KAI's Topology resource and a PodGroup's topologyConstraint on a real API
server: a gang that requires one rack is bound inside one (not where plain binpack would put
it), and a gang no rack can hold waits with a pod condition that names the level."""
import unittest

from allotd import pod, pod_group, queue
from cluster import wait_until
from test_scheduling import ClusterTest

GPU_PER_NODE = 4


def topology(name, *labels):
    return {"apiVersion": "kai.scheduler/v1alpha1", "kind": "Topology",
            "metadata": {"name": name},
            "spec": {"levels": [{"nodeLabel": label} for label in labels]}}


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
        why = self.wait_condition(ns, "big-0")
        self.assertIn("no example.com/rack has room", why["message"])
        self.assertIn("required topology level example.com/rack of topology dc", why["message"])
        self.assertEqual(len(self.wait_bound(ns, 3)), 3)


if __name__ == "__main__":
    unittest.main()
