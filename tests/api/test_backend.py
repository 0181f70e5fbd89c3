"""test_backend.py - allotd behind its backend interface: tasks run on the node the engine
chose (the local backend's virtual nodes), a task on a node the inventory lost is left out
with a reason while the rest is scheduled, and backend options are checked by the backend."""
import os
import subprocess
import tempfile
import unittest

from harness import ALLOTD, DaemonTest, wait_until


class NodesTest(DaemonTest):
    gpus = "1x80GiB"
    args = ("--nodes", "3")

    def test_a_gang_spreads_over_the_nodes_the_engine_chose(self):
        self.project("team-a")
        self.submit("g", "team-a",
                    ["sh", "-c", "echo node=$ALLOT_NODE devices=$CUDA_VISIBLE_DEVICES; sleep 300"],
                    gpu=1, workers=3)
        w = self.d.wait_state("g", "running")
        nodes = [t["node"] for t in w["tasks"]]
        self.assertEqual(len(set(nodes)), 3, w)
        self.assertIsNone(w["node"])  # not all on one node
        self.assertEqual(sorted(w["nodes"]), sorted(nodes))
        self.assertEqual([t["gpu_devices"] for t in w["tasks"]], [[0], [0], [0]])
        for t in w["tasks"]:  # each task is told its own node
            out = wait_until(lambda: self.d.request(
                "GET", "/api/v1/workloads/g/logs?task=%d" % t["index"])[1], what="output")
            self.assertEqual(out.strip(), "node=%s devices=0" % t["node"])
        listed = self.d.request("GET", "/api/v1/nodes")[1]
        self.assertEqual(listed["total"], 3)
        self.assertEqual(sorted(n["name"] for n in listed["items"]), sorted(nodes))
        for n in listed["items"]:
            self.assertEqual(n["allocated"]["gpu"], 1, n)
            self.assertEqual(n["gpus"][0]["workloads"], ["g"])
        one = self.d.request("GET", "/api/v1/nodes/" + nodes[1])[1]
        self.assertEqual(one["name"], nodes[1])
        scheduled = [e["message"] for e in self.d.events("g") if e["kind"] == "scheduled"]
        self.assertEqual(sorted(m.split(" on ")[1].split(" ")[0] for m in scheduled), sorted(nodes))
#The fleet is full : one more GPU waits.
        self.submit("more", "team-a", ["sleep", "300"], gpu=1)
        more = wait_until(lambda: (x := self.d.workload("more"))["reason"] and x, what="a reason")
        self.assertEqual(more["state"], "pending")

    def test_a_task_on_a_node_that_is_gone_is_left_out_and_the_rest_runs(self):
        self.project("team-a")
        self.project("team-b")
        for name in ("a", "b", "c"):
            self.submit(name, "team-a", ["sleep", "300"], gpu=1)
        on = {
n: self.d.wait_state(n, "running")["tasks"][0]["node"] for n in ("a", "b", "c")}
        last = sorted(on.values())[-1]  # HOST-2, which --nodes 2 does not have
        lost = [n for n, node in on.items() if node == last][0]
        self.d.stop()
        self.d.args = ["--nodes", "2"]
        self.d.start()
        self.submit("cpu", "team-b", ["sleep", "300"], cpu_millis=100)
        self.d.wait_state("cpu", "running")
        w = wait_until(lambda: (x := self.d.workload(lost))["reason"] and x, what="the reason")
        self.assertEqual(w["reason_code"], "invalid")
        self.assertIn("node %s, which the inventory does not have" % last, w["reason"])
        self.assertEqual(w["tasks"][0]["node"], last)  # kept, not rewritten
        snap = self.d.request("GET", "/api/v1/snapshot")[1]
        self.assertNotIn(lost, [j["name"] for j in snap["jobs"]])
        self.assertEqual(len(snap["nodes"]), 2)


class OptionsTest(unittest.TestCase):
    """Options allotd does not know go to the backend, which names what it refuses."""

    def refused(self, *args):
        with tempfile.TemporaryDirectory(prefix="allot-opt-") as state:
            p = subprocess.run([ALLOTD, "--state-dir", state, "--listen", "127.0.0.1:0", *args],
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2, p.stderr)
        return p.stderr

    def test_an_unknown_backend_is_refused_with_the_known_ones(self):
        err = self.refused("--backend", "nope")
        self.assertIn('no backend named "nope"', err)
        self.assertIn("local", err)

    def test_the_local_backend_names_the_option_it_refuses(self):
        self.assertIn("--bogus: not an option of the local backend", self.refused("--bogus", "1"))
        self.assertIn("--nodes: must be 1..10000", self.refused("--gpus", "1x80GiB", "--nodes", "0"))
        self.assertIn("--nodes: must be 1..10000", self.refused("--nodes", "2x"))
        self.assertIn("--gpus:", self.refused("--gpus", "4x80"))

    def test_help_lists_each_backend_and_its_options(self):
        p = subprocess.run([ALLOTD, "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0)
        self.assertIn("--backend NAME", p.stdout)
        self.assertIn("local backend", p.stdout)
        self.assertIn("--nodes N", p.stdout)


if __name__ == "__main__":
    unittest.main()
