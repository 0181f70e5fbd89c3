"""test_mig.py - MIG instances through a real allotd on the local backend: virtual nodes given
a MIG layout (--mig-layout), workloads asking instances of one or several profiles placed and
run (the task learns its instances from ALLOT_MIG_INSTANCES), instances counted as G GPUs
wherever allotd counts GPUs (quota, queue status, nodes, pools, top, consumption, metrics),
a MIG workload that fits nowhere explained per profile, and malformed input named by field."""
import shutil
import subprocess
import tempfile
import unittest

from harness import ALLOTD, DaemonTest, wait_until
from test_metrics import parse_exposition, value

SLEEP = ["sleep", "300"]
# Ignores SIGTERM (the ignore is inherited by sleep): it stops only at SIGKILL, after the grace.
STUBBORN = ["sh", "-c", "trap '' TERM; sleep 600"]
SHOW = ["sh", "-c", "echo \"$ALLOT_MIG_INSTANCES|${CUDA_VISIBLE_DEVICES}|\""]


class MigLocalTest(DaemonTest):
    # one virtual node: 1 whole GPU and a MIG layout of 3 x 1g.10gb and 2 x 3g.40gb
    gpus = "1xA100-80GiB"
    args = ("--mig-layout", "1g.10gb=3,3g.40gb=2")

    def reason(self, name):
        w = self.d.workload(name)
        return w.get("reason") or ""

    def wait_reason(self, name, text):
        wait_until(lambda: text in self.reason(name), what="reason of %s: %s" % (name, text))
        return self.reason(name)

    def logs(self, name):
        status, text, _ = self.d.request("GET", "/api/v1/workloads/%s/logs" % name)
        self.assertEqual(status, 200, text)
        return text

    def node(self):
        return self.d.request("GET", "/api/v1/nodes")[1]["items"][0]

    def test_a_mig_workload_runs_with_its_instances_in_its_environment(self):
        self.project("team")
        self.submit("hold", "team", SLEEP, mig={"1g.10gb": 2})
        w = self.d.wait_state("hold", "running")
        self.assertEqual(w["tasks"][0]["mig_instances"], ["1g.10gb:0", "1g.10gb:1"])
        self.submit("show", "team", SHOW, mig={"1g.10gb": 1})
        w = self.d.wait_state("show", "succeeded", timeout=30)
        # the instance left free, and no device: a MIG task on virtual GPUs sees nothing else
        self.assertEqual(self.logs("show"), "1g.10gb:2||\n")
        self.assertEqual(w["tasks"][0]["mig_instances"], ["1g.10gb:2"])
        self.assertIn("MIG 1g.10gb:2", " ".join(e["message"] for e in self.d.events("show")))
        # once "hold" is gone its instances are free again: the lowest are given first
        self.assertEqual(self.d.request("DELETE", "/api/v1/workloads/hold")[0], 202)
        wait_until(lambda: self.d.request("GET", "/api/v1/workloads/hold")[0] == 404,
                   what="hold deleted")
        self.submit("again", "team", SHOW, mig={"1g.10gb": 1})
        self.d.wait_state("again", "succeeded", timeout=30)
        self.assertEqual(self.logs("again"), "1g.10gb:0||\n")

    def test_instances_held_are_kept_across_a_restart(self):
        self.project("team")
        self.submit("hold", "team", SLEEP, mig={"1g.10gb": 2})
        self.d.wait_state("hold", "running")
        self.d.stop()  # its task runs on; allotd re-adopts it with its instances from the store
        self.d.start()
        w = self.d.wait_state("hold", "running")
        self.assertEqual(w["tasks"][0]["mig_instances"], ["1g.10gb:0", "1g.10gb:1"])
        self.submit("show", "team", SHOW, mig={"1g.10gb": 1})
        self.d.wait_state("show", "succeeded", timeout=30)
        self.assertEqual(self.logs("show"), "1g.10gb:2||\n")

    def test_two_profiles_in_one_workload_are_placed_counted_and_shown(self):
        self.project("team")
        w = self.submit("both", "team", SLEEP, mig={"3g.40gb": 1, "1g.10gb": 2})
        self.assertEqual(w["mig"], {"1g.10gb": 2, "3g.40gb": 1})
        w = self.d.wait_state("both", "running")
        self.assertEqual(w["tasks"][0]["mig_instances"], ["1g.10gb:0", "1g.10gb:1", "3g.40gb:0"])
        node = self.node()
        self.assertEqual(node["mig"], {"1g.10gb": 3, "3g.40gb": 2})
        self.assertEqual(node["allocated"]["mig"], {"1g.10gb": 2, "3g.40gb": 1})
        self.assertEqual(node["allocated"]["gpu"], 5)  # 2 x 1 + 1 x 3 GPUs
        # the project's allocation counts them as GPUs: 5 (2 x 1g + 1 x 3g)
        wait_until(lambda: self.d.request("GET", "/api/v1/projects/team")[1]["status"]
                   ["allocated"]["gpu"] == 5, what="team allocated 5 GPUs")
        pool = self.d.request("GET", "/api/v1/pools/default")[1]
        self.assertEqual((pool["allocated_gpu"], pool["gpus"]), (5, 10))  # 1 + 3 x 1 + 2 x 3
        # the CLI: the workload's request, the node's instances in use, the cluster line of top
        out = self.d.cli("workload", "list").stdout
        self.assertIn("2x1g.10gb+3g.40gb", out)
        out = self.d.cli("workload", "describe", "both").stdout
        self.assertIn("MIG 2 x 1g.10gb + 1 x 3g.40gb", out)
        self.assertIn("1g.10gb:0,1g.10gb:1,3g.40gb:0", out)  # the task's instances
        out = self.d.cli("node", "list").stdout
        self.assertIn("MIG IN USE", out)
        self.assertIn("1g.10gb 2/3, 3g.40gb 1/2", out)
        self.assertRegex(out, r"\b5/10\b")  # 1 device + 3 x 1 + 2 x 3 GPUs of capacity
        out = self.d.cli("node", "describe", node["name"]).stdout
        self.assertRegex(out, r"1g\.10gb\s+3\s+2\s+1\n")  # offered, in use, free
        self.assertRegex(out, r"3g\.40gb\s+2\s+1\s+1\n")
        self.assertIn("GPUs allocated:", out.replace("  ", " ").replace("  ", " "))
        out = self.d.cli("top").stdout
        self.assertRegex(out, r"team\s+\S+\s+\S+\s+5\b")
        self.assertIn("cluster: 5 of 10 GPUs allocated", out)
        status, metrics, _ = self.d.request("GET", "/metrics")
        self.assertEqual(status, 200, metrics)
        f = parse_exposition(metrics)  # the strict parser of test_metrics.py
        self.assertEqual(value(f, "allot_node_allocated_gpus"), 5)
        self.assertEqual(value(f, "allot_node_mig_instances", profile="3g.40gb"), 2)
        self.assertEqual(value(f, "allot_node_allocated_mig_instances", profile="1g.10gb"), 2)
        self.assertEqual(value(f, "allot_node_allocated_mig_instances", profile="3g.40gb"), 1)
        self.assertEqual(value(f, "allot_queue_allocated_gpus", queue="team"), 5)

    def test_quota_counts_an_instance_as_its_compute_slices(self):
        self.project("team", limit={"gpu": 4})
        self.submit("big", "team", SLEEP, mig={"3g.40gb": 1})
        self.d.wait_state("big", "running")
        self.submit("small", "team", SLEEP, mig={"1g.10gb": 1})
        self.d.wait_state("small", "running")  # 3 + 1 = 4: within the limit
        self.submit("over", "team", SLEEP, mig={"1g.10gb": 1})
        reason = self.wait_reason("over", "limit")
        self.assertIn("allocated 4, requested 1, limit 4", reason)
        status = self.d.request("GET", "/api/v1/projects/team")[1]["status"]
        self.assertEqual(status["allocated"]["gpu"], 4)
        self.assertEqual(status["pending"]["gpu"], 1)

    def test_a_mig_task_that_fits_nowhere_is_explained_by_profile(self):
        self.project("team")
        self.submit("hold", "team", SLEEP, mig={"3g.40gb": 2})
        self.d.wait_state("hold", "running")
        self.submit("wait", "team", SLEEP, mig={"1g.10gb": 1, "3g.40gb": 1})
        reason = self.wait_reason("wait", "3g.40gb")
        self.assertIn("needs 1 x 3g.40gb on one node, the most free on a node is 0", reason)
        self.assertNotIn("GPU", reason.split("fits on no node:")[-1])  # not GPU figures
        snap = self.d.request("GET", "/api/v1/snapshot")[1]
        self.assertEqual(snap["jobs"][0]["tasks"][0]["mig"], {"3g.40gb": 2})
        # a profile no node offers: refused at submit, naming it, unless queued anyway
        status, body, _ = self.d.request("POST", "/api/v1/workloads", dict(
            name="none", project="team", command=SLEEP, mig={"2g.20gb": 1}))
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["field"], "mig")
        self.assertIn("no node offers MIG instances of 2g.20gb", body["error"]["message"])
        status, body, _ = self.d.request("POST", "/api/v1/workloads", dict(
            name="many", project="team", command=SLEEP, mig={"1g.10gb": 4}))
        self.assertEqual(status, 400, body)
        self.assertIn("4 x 1g.10gb per task: the most one node offers is 3",
                      body["error"]["message"])
        self.submit("none", "team", SLEEP, mig={"2g.20gb": 1}, queue_anyway=True)
        reason = self.wait_reason("none", "2g.20gb")
        self.assertIn("no node offers MIG instances of 2g.20gb", reason)

    def test_a_reclaimer_waits_pipelined_until_the_victims_instances_are_free(self):
        # team-a borrows both 3g.40gb instances (6 GPUs over a deserved 0) with tasks that
        # ignore SIGTERM; team-b, deserved 6, reclaims one: it waits pipelined while they stop
        self.project("team-a", deserved={"gpu": 0})
        self.project("team-b", deserved={"gpu": 6})
        for name in ("a1", "a2"):
            self.submit(name, "team-a", STUBBORN, mig={"3g.40gb": 1})
            self.d.wait_state(name, "running")
        self.submit("b1", "team-b", SLEEP, mig={"3g.40gb": 1})
        wait_until(lambda: self.d.workload("b1")["tasks"][0]["state"] == "pipelined",
                   what="b1 pipelined")
        w = self.d.wait_state("b1", "running", timeout=30)
        t = w["tasks"][0]
        # started once a victim had gone: one of the node's two instances, not a third
        self.assertIn(t["mig_instances"], (["3g.40gb:0"], ["3g.40gb:1"]))
        ends = [self.d.workload(n)["tasks"][0] for n in ("a1", "a2")]
        held = [e["mig_instances"] for e in ends if e["state"] == "running"]
        self.assertNotIn(t["mig_instances"], held)

    def test_consumption_counts_gpu_seconds_of_instances(self):
        self.project("team")
        self.submit("run", "team", ["sleep", "2"], mig={"3g.40gb": 1, "1g.10gb": 1})
        w = self.d.wait_state("run", "succeeded", timeout=30)
        t = w["tasks"][0]
        secs = t["finished_s"] - t["started_s"]
        self.assertGreaterEqual(secs, 2)
        status, body, _ = self.d.request(
            "GET", "/api/v1/reports/consumption?from=%d&to=%d" % (t["started_s"] - 10,
                                                                  t["finished_s"] + 10))
        self.assertEqual(status, 200, body)
        rows = {r["project"]: r for r in body["items"]}
        self.assertEqual(rows["team"]["gpu_seconds"], 4 * secs)  # 3g + 1g: 4 GPUs

    def test_cli_mig_repeated(self):
        self.project("team")
        self.d.cli("workload", "submit", "m", "-p", "team", "--mig", "1g.10gb=2", "--mig",
                   "3g.40gb", "--", "sleep", "300")
        self.assertEqual(self.d.workload("m")["mig"], {"1g.10gb": 2, "3g.40gb": 1})
        p = self.d.cli("workload", "submit", "n", "-p", "team", "--mig", "1g.10gb", "--mig",
                       "1g.10gb=2", "--", "true", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("1g.10gb given twice", p.stderr)

    def test_malformed_mig_input_names_the_field(self):
        self.project("team")
        nine = {"%dg.%dgb" % (g, m): 1 for g in range(1, 4) for m in (5, 10, 20)}
        for mig in ({}, [], {"1g.10gb": "1"}, {"1g.10gb": 1.5}, {"1g.10gb": 0},
                    {"1g.10gb": 5000}, {"8g.10gb": 1}, {"1g.010gb": 1}, {"1g.10gb+me": 1}, nine):
            status, reply, _ = self.d.request("POST", "/api/v1/workloads", dict(
                name="w", project="team", command=SLEEP, mig=mig, queue_anyway=True))
            self.assertEqual(status, 400, (mig, reply))
            self.assertEqual(reply["error"]["field"], "mig", (mig, reply))


class MigPriceTest(DaemonTest):
    gpus = "1xA100-80GiB"
    args = ("--mig-layout", "3g.40gb=2", "--gpu-price", "MIG=2", "--gpu-price", "default=9")

    def test_a_mig_run_is_priced_as_mig(self):
        self.project("team")
        self.submit("run", "team", ["sleep", "1"], mig={"3g.40gb": 1})
        t = self.d.wait_state("run", "succeeded", timeout=30)["tasks"][0]
        status, body, _ = self.d.request(
            "GET", "/api/v1/reports/consumption?from=%d&to=%d" % (t["started_s"] - 10,
                                                                  t["finished_s"] + 10))
        self.assertEqual(status, 200, body)
        row = body["items"][0]
        secs = t["finished_s"] - t["started_s"]
        self.assertEqual(row["gpu_seconds"], 3 * secs)
        self.assertAlmostEqual(row["cost"], 3 * secs / 3600 * 2)  # MIG's price, not default's


class MigLayoutPerNodeTest(DaemonTest):
    gpus = "1xA100-80GiB"
    args = ("--nodes", "3", "--mig-layout", "1g.10gb=7;;2g.20gb=1,1g.10gb=1")

    def test_each_node_gets_its_layout(self):
        nodes = self.d.request("GET", "/api/v1/nodes")[1]["items"]
        self.assertEqual([n["mig"] for n in nodes],
                         [{"1g.10gb": 7}, {}, {"1g.10gb": 1, "2g.20gb": 1}])
        self.project("team")
        self.submit("w", "team", SHOW, mig={"2g.20gb": 1, "1g.10gb": 1})
        w = self.d.wait_state("w", "succeeded", timeout=30)
        self.assertEqual(w["tasks"][0]["node"], nodes[2]["name"])


class MigLayoutErrorTest(unittest.TestCase):
    def refused(self, *args):
        state = tempfile.mkdtemp(prefix="allot-mig-")
        try:
            p = subprocess.run([ALLOTD, "--gpus", "1x80GiB", "--state-dir", state,
                                "--listen", "127.0.0.1:0", *args],
                               capture_output=True, text=True, timeout=30)
        finally:
            shutil.rmtree(state, ignore_errors=True)
        self.assertNotEqual(p.returncode, 0)
        return p.stderr

    def test_a_bad_layout_is_refused_naming_the_option(self):
        for spec in ("1g.10gb", "1g.10gb=0", "9g.10gb=1", "1g.10gb=1,1g.10gb=2", "1g.10gb=x",
                     "1g.10gb=7;3g.40gb=2"):
            err = self.refused("--mig-layout", spec)
            self.assertIn("--mig-layout", err, spec)


if __name__ == "__main__":
    unittest.main()
