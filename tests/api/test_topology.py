"""test_topology.py - topology-aware placement through allotd: the local backend's --topology
labels its virtual nodes and describes their topology (GET /api/v1/topologies), a workload that
requires a rack runs inside one, an unknown level is refused naming the field, and a workload
no rack can hold waits with a topology reason."""
import unittest

from harness import DaemonTest, wait_until

SLEEP = ["sleep", "300"]


class TopologyTest(DaemonTest):
    gpus = "1x80GiB"
    # 6 nodes: zone-0 holds rack-0 (HOST-0, HOST-1) and rack-1 (HOST-2); zone-1 holds rack-2
    # (HOST-3, HOST-4) and rack-3 (HOST-5): node i is in rack i * 4 // 6
    args = ("--nodes", "6", "--topology", "zone=2,rack=2")

    def rack_of(self, node):
        return self.d.request("GET", "/api/v1/nodes/" + node)[1]["labels"]["rack"]

    def test_nodes_carry_the_labels_and_the_topology_is_listed(self):
        listed = self.d.request("GET", "/api/v1/topologies")[1]
        self.assertEqual(listed["total"], 1)
        self.assertEqual(listed["items"][0],
                         {"name": "local", "levels": ["zone", "rack", "kubernetes.io/hostname"]})
        nodes = self.d.request("GET", "/api/v1/nodes")[1]["items"]
        racks = [n["labels"]["rack"] for n in nodes]
        self.assertEqual(racks, ["rack-0", "rack-0", "rack-1", "rack-2", "rack-2", "rack-3"])
        self.assertEqual([n["labels"]["zone"] for n in nodes], ["zone-0"] * 3 + ["zone-1"] * 3)
        self.assertEqual([n["labels"]["kubernetes.io/hostname"] for n in nodes],
                         [n["name"] for n in nodes])

    def test_a_gang_that_requires_a_rack_runs_in_one(self):
        self.project("team-a")
        self.submit("one-gpu", "team-a", SLEEP, gpu=1)  # takes HOST-0 (binpack, first by name)
        self.d.wait_state("one-gpu", "running")
        self.submit("pair", "team-a", SLEEP, gpu=1, workers=2, required_topology_level="rack",
                    preferred_topology_level="kubernetes.io/hostname")
        w = self.d.wait_state("pair", "running")
        self.assertEqual(w["required_topology_level"], "rack")
        racks = {self.rack_of(t["node"]) for t in w["tasks"]}
        self.assertEqual(racks, {"rack-2"})  # the only rack with two free nodes
        # three more GPUs in one rack: no rack has them, so it waits and says why
        self.submit("trio", "team-a", SLEEP, gpu=1, workers=3, topology="local",
                    required_topology_level="rack")
        trio = wait_until(lambda: (x := self.d.workload("trio"))["reason"] and x,
                          what="a reason")
        self.assertEqual(trio["state"], "pending")
        self.assertIn("no rack has room for the job's 3 GPUs", trio["reason"])
        self.assertTrue(trio["reason_code"].startswith("topology"), trio)

    def test_an_unknown_level_or_topology_is_refused_naming_the_field(self):
        self.project("team-a")
        for fields, field in (({"required_topology_level": "row"}, "required_topology_level"),
                              ({"topology": "dc", "required_topology_level": "rack"}, "topology"),
                              ({"required_topology_level": "rack",
                                "preferred_topology_level": "zone"}, "preferred_topology_level"),
                              ({"topology": "local"}, "topology")):
            status, body, _ = self.d.request("POST", "/api/v1/workloads",
                                             dict(name="w", project="team-a", command=SLEEP,
                                                  gpu=1, **fields))
            self.assertEqual(status, 400, body)
            self.assertEqual(body["error"]["field"], field, body)

    def test_the_cli_lists_topologies_and_submits_with_levels(self):
        out = self.d.cli("topology", "list").stdout
        self.assertIn("local", out)
        self.assertIn("zone, rack, kubernetes.io/hostname", out)
        self.d.cli("project", "create", "team-a")
        self.d.cli("workload", "submit", "pair", "-p", "team-a", "--gpu", "1", "--workers", "2",
                   "--required-topology-level", "zone", "--preferred-topology-level", "rack",
                   "--", "sleep", "300")
        w = self.d.wait_state("pair", "running")
        self.assertEqual((w["required_topology_level"], w["preferred_topology_level"]),
                         ("zone", "rack"))
        described = self.d.cli("workload", "describe", "pair", "-p", "team-a").stdout
        self.assertIn("in one zone, preferring one rack", described)
        # racks with two free nodes: rack-0 (zone-0) and rack-2 (zone-1); by label, rack-0
        self.assertEqual({self.rack_of(t["node"]) for t in w["tasks"]}, {"rack-0"})
        bad = self.d.cli("workload", "submit", "bad", "-p", "team-a", "--gpu", "1",
                         "--required-topology-level", "row", "--", "sleep", "1", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("--required-topology-level", bad.stderr)
        self.assertIn("has no level \"row\"", bad.stderr)


if __name__ == "__main__":
    unittest.main()
