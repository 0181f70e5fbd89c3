"""test_subgroups.py - workload subgroups through allotd on the local backend's virtual topology:
a subgroup that requires a rack runs inside one while the workload spans racks, a subgroup no
rack can hold waits with a reason naming it and the level, malformed subgroups are refused
naming the field, a restart keeps them, and the CLI submits (--subgroup) and describes them."""
import unittest

from harness import DaemonTest, wait_until
from test_snapshot import replay

SLEEP = ["sleep", "300"]


class SubgroupTest(DaemonTest):
    gpus = "1x80GiB"
    # 6 nodes: zone-0 holds rack-0 (HOST-0, HOST-1) and rack-1 (HOST-2); zone-1 holds rack-2
    # (HOST-3, HOST-4) and rack-3 (HOST-5): node i is in rack i * 4 // 6
    args = ("--nodes", "6", "--topology", "zone=2,rack=2")

    def rack_of(self, node):
        return self.d.request("GET", "/api/v1/nodes/" + node)[1]["labels"]["rack"]

    def racks_by_subgroup(self, w):
        racks = {}
        for t in w["tasks"]:
            racks.setdefault(t["subgroup"], set()).add(self.rack_of(t["node"]))
        return racks

    def test_a_subgroup_that_requires_a_rack_runs_in_one_while_the_job_spans_racks(self):
        self.project("team-a")
        self.submit("one-gpu", "team-a", SLEEP, gpu=1)  # takes HOST-0 (binpack, first by name)
        self.d.wait_state("one-gpu", "running")
        # binpack alone would give "prefill" HOST-1 and HOST-2 (two racks); its constraint
        # leaves it rack-2, the only rack with two free nodes
        created = self.submit("pd", "team-a", SLEEP, gpu=1, subgroups=[
            {"name": "prefill", "workers": 2, "required_topology_level": "rack"},
            {"name": "decode", "workers": 3, "min_members": 2}])
        self.assertEqual(created["workers"], 5)  # derived: the sum of the subgroups'
        self.assertEqual(created["min_members"], 4)  # the gang minimum: the sum of theirs
        self.assertEqual(created["subgroups"], [
            {"name": "prefill", "workers": 2, "min_members": 2,
             "required_topology_level": "rack"},
            {"name": "decode", "workers": 3, "min_members": 2}])
        w = self.d.wait_state("pd", "running")
        self.assertEqual([t["subgroup"] for t in w["tasks"]],
                         ["prefill", "prefill", "decode", "decode", "decode"])
        racks = self.racks_by_subgroup(w)
        self.assertEqual(racks["prefill"], {"rack-2"})
        self.assertEqual(racks["decode"], {"rack-0", "rack-1", "rack-3"})  # the job spans racks
        snapshot = self.d.request("GET", "/api/v1/snapshot")[1]
        job = [j for j in snapshot["jobs"] if j["name"] == "pd"][0]
        self.assertEqual([g["name"] for g in job["subgroups"]], ["prefill", "decode"])
        self.assertEqual(job["subgroups"][0]["required_topology_level"], "rack")
        self.assertNotIn("min_members", job)  # the snapshot's rule: the subgroups' minimums

    def test_a_subgroup_no_rack_holds_waits_naming_it_and_the_level(self):
        self.project("team-a")
        self.submit("wide", "team-a", SLEEP, gpu=1, topology="local", subgroups=[
            {"name": "workers", "workers": 3, "required_topology_level": "rack",
             "preferred_topology_level": "kubernetes.io/hostname"},
            {"name": "driver", "workers": 1}])
        w = wait_until(lambda: (x := self.d.workload("wide"))["reason"] and x, what="a reason")
        self.assertEqual(w["state"], "pending")
        self.assertIn("no rack has room for the 3 GPUs of subgroup workers", w["reason"])
        self.assertTrue(w["reason_code"].startswith("topology"), w)
        self.assertTrue(all(t["state"] == "pending" for t in w["tasks"]))
        # what the cycle saw replays offline to the same explanation
        pending = replay(self.d.request("GET", "/api/v1/snapshot")[1])["pending"]
        self.assertEqual([(p["job"], p["topology_subgroup"], p["topology_level"])
                          for p in pending], [("wide", "workers", "rack")])

    def test_malformed_subgroups_are_refused_naming_the_field(self):
        self.project("team-a")
        ok = {"name": "a", "workers": 2}
        cases = (
            ({"subgroups": [ok, {"name": "b", "workers": 1, "min_members": 2}]},
             "subgroups[1].min_members"),
            ({"subgroups": [ok, {"name": "a", "workers": 1}]}, "subgroups[1].name"),
            ({"subgroups": [{"name": "-a", "workers": 1}]}, "subgroups[0].name"),
            ({"subgroups": [{"name": "x" * 64, "workers": 1}]}, "subgroups[0].name"),
            ({"subgroups": [{"name": "a"}]}, "subgroups[0].workers"),
            ({"subgroups": [{"name": "a", "workers": 0}]}, "subgroups[0].workers"),
            ({"subgroups": [{"name": "a", "workers": 1, "size": 2}]}, "subgroups[0].size"),
            ({"subgroups": {"name": "a"}}, "subgroups"),
            ({"subgroups": [{"name": "g%d" % i, "workers": 1} for i in range(65)]}, "subgroups"),
            ({"workers": 3, "subgroups": [ok]}, "workers"),
            ({"min_members": 1, "subgroups": [ok]}, "min_members"),
            ({"subgroups": [ok, {"name": "b", "workers": 1, "required_topology_level": "row"}]},
             "subgroups[1].required_topology_level"),
            ({"subgroups": [{"name": "a", "workers": 1, "required_topology_level": "rack",
                             "preferred_topology_level": "zone"}]},
             "subgroups[0].preferred_topology_level"),
            ({"topology": "dc", "subgroups": [{"name": "a", "workers": 1,
                                               "required_topology_level": "rack"}]}, "topology"),
        )
        for fields, field in cases:
            status, body, _ = self.d.request("POST", "/api/v1/workloads",
                                             dict(name="w", project="team-a", command=SLEEP,
                                                  gpu=1, **fields))
            self.assertEqual(status, 400, (fields, body))
            self.assertEqual(body["error"]["field"], field, body)
        # a topology with only subgroups' levels is a constraint
        self.submit("named", "team-a", SLEEP, gpu=1, topology="local", subgroups=[
            {"name": "a", "workers": 1, "preferred_topology_level": "rack"}])

    def test_a_task_finds_its_subgroup_in_its_environment(self):
        self.project("team-a")
        self.submit("env", "team-a", ["sh", "-c", "echo part=$ALLOT_SUBGROUP; sleep 300"],
                    subgroups=[{"name": "head", "workers": 1}, {"name": "rest", "workers": 1}])
        self.d.wait_state("env", "running")

        for task, part in ((0, "head"), (1, "rest")):
            wait_until(lambda: "part=" + part in self.d.request(
                "GET", "/api/v1/workloads/env/logs?task=%d" % task)[1],
                what="task %d to print its subgroup" % task)

    def test_a_restart_keeps_the_subgroups(self):
        self.project("team-a")
        self.submit("kept", "team-a", SLEEP, gpu=1, workers=3, min_members=3, subgroups=[
            {"name": "head", "workers": 1},
            {"name": "rest", "workers": 2, "required_topology_level": "zone",
             "preferred_topology_level": "rack"}])
        before = self.d.wait_state("kept", "running")
        self.d.stop()
        self.d.start()
        after = self.d.wait_state("kept", "running")
        self.assertEqual(after["subgroups"], before["subgroups"])
        self.assertEqual([t["subgroup"] for t in after["tasks"]], ["head", "rest", "rest"])
        self.assertEqual(after["min_members"], 3)

    def test_the_cli_submits_and_describes_subgroups(self):
        self.d.cli("project", "create", "team-a")
        self.d.cli("workload", "submit", "pd", "-p", "team-a", "--gpu", "1",
                   "--subgroup", "prefill:2,required=rack",
                   "--subgroup", "decode:2:1,preferred=rack", "--", "sleep", "300")
        w = self.d.wait_state("pd", "running")
        self.assertEqual(w["subgroups"], [
            {"name": "prefill", "workers": 2, "min_members": 2,
             "required_topology_level": "rack"},
            {"name": "decode", "workers": 2, "min_members": 1,
             "preferred_topology_level": "rack"}])
        self.assertEqual(len(self.racks_by_subgroup(w)["prefill"]), 1)
        described = self.d.cli("workload", "describe", "pd", "-p", "team-a").stdout
        self.assertIn("Subgroups:", described)
        self.assertIn("prefill  2 workers, 2 must run together, in one rack", described)
        self.assertIn("decode   2 workers, 1 must run together, preferring one rack", described)
        for arg, said in (("prefill", "is not NAME:WORKERS"), ("p:x", "is not NAME:WORKERS"),
                          ("p:2,near=rack", "required=LEVEL or preferred=LEVEL"),
                          ("p:2:1:1", "is not NAME:WORKERS")):
            bad = self.d.cli("workload", "submit", "bad", "-p", "team-a", "--gpu", "1",
                             "--subgroup", arg, "--", "sleep", "1", check=False)
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("--subgroup", bad.stderr)
            self.assertIn(said, bad.stderr)
        # allotd's refusal names the option too
        bad = self.d.cli("workload", "submit", "bad", "-p", "team-a", "--gpu", "1",
                         "--subgroup", "p:1:2", "--", "sleep", "1", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("--subgroup", bad.stderr)
        self.assertIn("must be <= its workers", bad.stderr)


if __name__ == "__main__":
    unittest.main()
