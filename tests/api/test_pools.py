"""test_pools.py - node pools through allotd: the local backend's virtual nodes in pools
(--node-pools), /api/v1/pools, a project's quota per pool, a workload's node_pool, and what
the cycle does with them (a workload runs on its pool's nodes only)."""
import json
import os
import sqlite3
import subprocess
import time
import unittest

from harness import ALLOT, DaemonTest, wait_until

SLEEP = ["sleep", "300"]


class NodePoolTest(DaemonTest):
    args = ("--nodes", "3", "--node-pools", "a100:1,h100:1")

    def pool(self, name):
        status, body, _ = self.d.request("GET", "/api/v1/pools/" + name)
        self.assertEqual(status, 200, body)
        return body

    def node_of(self, name):
        return self.d.workload(name)["tasks"][0]["node"]

    def test_pools_listed_with_their_nodes(self):
        status, body, _ = self.d.request("GET", "/api/v1/pools")
        self.assertEqual(status, 200, body)
        self.assertEqual([(p["name"], p["default"], p["nodes"], p["gpus"]) for p in body["items"]],
                         [("default", True, 1, 2), ("a100", False, 1, 2), ("h100", False, 1, 2)])
        nodes = {n["name"]: n["pool"] for n in self.d.request("GET", "/api/v1/nodes")[1]["items"]}
        self.assertEqual(sorted(nodes.values(), key=str), [None, "a100", "h100"])
        status, body, _ = self.d.request("GET", "/api/v1/pools/nope")
        self.assertEqual(status, 404, body)

    def test_a_pool_lists_only_the_projects_its_reader_may_read(self):
        self.project("team", pools={"a100": {"deserved": {"gpu": 1}}})
        self.project("other")
        admin = [p["name"] for p in self.pool("a100")["projects"]]
        self.assertEqual(sorted(admin), ["other", "team"])
        token = self.d.signed_in("rita", "a-long-test-password", "l1-researcher", "project:team")
        status, body, _ = self.d.request("GET", "/api/v1/pools/a100", token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual([p["name"] for p in body["projects"]], ["team"])
        self.assertEqual(body["nodes"], 1)  # the pool itself is whoever reads nodes'

    def test_workloads_run_in_their_pool_with_the_pools_quota(self):
        p = self.project("team", pools={"a100": {"deserved": {"gpu": 2}, "limit": {"gpu": 2}}})
        self.assertEqual(p["pools"]["a100"]["deserved"]["gpu"], 2)
        self.assertEqual(p["pools"]["a100"]["limit"]["gpu"], 2)
        self.submit("w-a100", "team", SLEEP, gpu=2, node_pool="a100")
        self.submit("w-default", "team", SLEEP, gpu=2)
        self.d.wait_state("w-a100", "running")
        self.d.wait_state("w-default", "running")
        nodes = {n["name"]: n["pool"] for n in self.d.request("GET", "/api/v1/nodes")[1]["items"]}
        self.assertEqual(nodes[self.node_of("w-a100")], "a100")
        self.assertIsNone(nodes[self.node_of("w-default")])
        # a100 is full and the project's limit there is 2: pending although h100 is idle
        self.submit("w-more", "team", SLEEP, gpu=1, node_pool="a100")
        self.submit("w-nowhere", "team", SLEEP, gpu=1, node_pool="a800")
        time.sleep(2)
        self.assertEqual(self.d.workload("w-more")["state"], "pending")
        self.assertEqual(self.d.workload("w-nowhere")["state"], "pending")
        a100 = self.pool("a100")
        self.assertEqual(a100["allocated_gpu"], 2)
        self.assertEqual(set(a100["projects"][0].pop("usage")), {"gpu", "cpu", "memory"})
        self.assertEqual(a100["projects"], [{"name": "team", "deserved_gpu": 2, "limit_gpu": 2,
                                             "allocated_gpu": 2, "fair_share_gpu": 2}])
        self.assertEqual(self.pool("default")["projects"][0]["allocated_gpu"], 2)
        self.assertEqual(self.pool("h100")["projects"][0]["allocated_gpu"], 0)
        # the snapshot carries the job's pool and the queue's per-pool quota
        snap = self.d.request("GET", "/api/v1/snapshot")[1]
        jobs = {j["name"]: j for j in snap["jobs"]}
        self.assertEqual(jobs["w-a100"]["pool"], "a100")
        self.assertNotIn("pool", jobs["w-default"])
        queue = [q for q in snap["queues"] if q["name"] == "team"][0]
        self.assertEqual(queue["pools"]["a100"]["deserved"]["gpu"], 2)

    def test_pool_quota_changed_removed_and_kept_across_a_restart(self):
        self.project("team", deserved={"gpu": 1},
                     pools={"a100": {"deserved": {"gpu": 2}}, "h100": {"limit": {"gpu": 1}}})
        # a new entry starts from the project's own values
        body = self.d.request("GET", "/api/v1/projects/team")[1]
        self.assertEqual(body["pools"]["h100"]["deserved"]["gpu"], 1)
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/team",
                                         {"pools": {"h100": None, "a100": {"limit": {"gpu": 3}}}})
        self.assertEqual(status, 200, body)
        self.assertEqual(list(body["pools"]), ["a100"])
        self.assertEqual(body["pools"]["a100"]["deserved"]["gpu"], 2)
        self.assertEqual(body["pools"]["a100"]["limit"]["gpu"], 3)
        self.d.stop()
        self.d.start()
        body = self.d.request("GET", "/api/v1/projects/team")[1]
        self.assertEqual(body["pools"]["a100"]["limit"]["gpu"], 3)
        self.assertEqual(list(body["pools"]), ["a100"])

    def test_bad_values_name_the_field(self):
        cases = [
            ("/api/v1/projects", {"name": "p", "pools": {"default": {}}}, "pools.default"),
            ("/api/v1/projects", {"name": "p", "pools": {"a100": {"deserved": {"gpu": -2}}}},
             "pools.a100.deserved.gpu"),
            ("/api/v1/projects", {"name": "p", "pools": {"a100": {"quota": 1}}}, "pools.a100.quota"),
            ("/api/v1/projects", {"name": "p", "pools": {"a100": {"usage": {"gpu": 1}}}},
             "pools.a100.usage"),  # usage is measured, never set
            ("/api/v1/projects", {"name": "p", "pools": []}, "pools"),
        ]
        for path, body, field in cases:
            status, reply, _ = self.d.request("POST", path, body)
            self.assertEqual(status, 400, reply)
            self.assertEqual(reply["error"]["field"], field, reply)
        self.project("team")
        for pool in ("default", "", "a b"):
            status, reply, _ = self.d.request("POST", "/api/v1/workloads",
                                              {"name": "w", "project": "team", "command": SLEEP,
                                               "node_pool": pool})
            self.assertEqual(status, 400, reply)
            self.assertEqual(reply["error"]["field"], "node_pool", reply)

    def test_department_checks_hold_per_pool(self):
        status, body, _ = self.d.request("POST", "/api/v1/departments",
                                         {"name": "research", "deserved": {"gpu": 4},
                                          "pools": {"a100": {"deserved": {"gpu": 2}}}})
        self.assertEqual(status, 201, body)
        self.project("vision", department="research", deserved={"gpu": 1})
        # in a100 the project's own 1 GPU counts beside the new one's entry: 1 + 2 > 2
        status, body, _ = self.d.request("POST", "/api/v1/projects",
                                         {"name": "speech", "department": "research",
                                          "deserved": {"gpu": 1},
                                          "pools": {"a100": {"deserved": {"gpu": 2}}}})
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["field"], "pools.a100.deserved.gpu", body)
        self.assertIn("in pool a100, projects of department research would deserve 3 GPUs",
                      body["error"]["message"])
        self.project("speech", department="research", deserved={"gpu": 1},
                     pools={"a100": {"deserved": {"gpu": 1}}})
        # a pool the department does not list: its own 4 GPUs bound the entries there
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/speech",
                                         {"pools": {"h100": {"deserved": {"gpu": 4}}}})
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["field"], "pools.h100.deserved.gpu", body)
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/speech",
                                         {"pools": {"h100": {"deserved": {"gpu": 3}}}})
        self.assertEqual(status, 200, body)
        # an entry's own deserved above its limit
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/speech",
                                         {"pools": {"h100": {"limit": {"gpu": 2}}}})
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["field"], "pools.h100.deserved.gpu", body)
        # the department's entry (or its own quota) cannot fall below what its projects deserve
        status, body, _ = self.d.request("PATCH", "/api/v1/departments/research",
                                         {"pools": {"a100": {"deserved": {"gpu": 1}}}})
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["field"], "pools.a100.deserved.gpu", body)
        self.assertIn("deserve 2 GPUs in all, above its 1 GPU", body["error"]["message"])
        status, body, _ = self.d.request("PATCH", "/api/v1/departments/research",
                                         {"deserved": {"gpu": 3}})
        self.assertEqual(status, 400, body)  # h100: vision's own 1 + speech's 3 > 3
        self.assertEqual(body["error"]["field"], "pools.h100.deserved.gpu", body)
        status, body, _ = self.d.request("PATCH", "/api/v1/departments/research",
                                         {"deserved": {"gpu": 5},
                                          "pools": {"a100": {"deserved": {"gpu": 3}}}})
        self.assertEqual(status, 200, body)

    def test_cli_pool_quotas_pools_and_node_pool(self):
        self.d.cli("project", "create", "team", "--gpu-deserved", "1", "--pool", "a100",
                   "--gpu-deserved", "2", "--gpu-limit", "3", "--pool", "h100", "--gpu-weight", "4")
        body = self.d.request("GET", "/api/v1/projects/team")[1]
        self.assertEqual(body["deserved"]["gpu"], 1)  # before --pool: the project's own
        self.assertEqual((body["pools"]["a100"]["deserved"]["gpu"],
                          body["pools"]["a100"]["limit"]["gpu"]), (2, 3))
        self.assertEqual(body["pools"]["h100"]["over_quota_weight"]["gpu"], 4)
        out = self.d.cli("project", "describe", "team").stdout
        self.assertIn("Pool a100", out)
        self.assertIn("GPUs deserved 2, limit 3, weight 1", out)
        self.d.cli("project", "update", "team", "--no-pool", "h100")
        self.assertEqual(list(self.d.request("GET", "/api/v1/projects/team")[1]["pools"]),
                         ["a100"])
        self.d.cli("workload", "submit", "w", "-p", "team", "--gpu", "1", "--node-pool", "h100",
                   "--", "sleep", "300")
        self.d.wait_state("w", "running")
        out = self.d.cli("pool", "list").stdout
        self.assertRegex(out, r"h100\s+1\s+1/2")
        self.assertRegex(out, r"default\s+1\s+0/2")
        out = self.d.cli("pool", "describe", "h100").stdout
        self.assertRegex(out, r"team\s+1\s+-\s+\S+\s+1")  # its own quota in h100 now; holds 1
        p = self.d.cli("pool", "describe", "nope", check=False)
        self.assertNotEqual(p.returncode, 0)


class PoolUsageTest(DaemonTest):
    """Time-based fair share per node pool: usage is kept per (project, pool), as a share of
    the pool's capacity, and changes the division only in its pool."""
    # a 64 s window (2 s buckets), no decay, KAI's k of 1
    args = ("--nodes", "3", "--node-pools", "a100:1,h100:1", "--usage-window", "64",
            "--usage-k", "1")

    def projects_in(self, pool):
        status, body, _ = self.d.request("GET", "/api/v1/pools/" + pool)
        self.assertEqual(status, 200, body)
        return {p["name"]: p for p in body["projects"]}

    def test_usage_in_one_pool_changes_only_that_pools_division(self):
        self.project("team-a")
        self.project("team-b")
        self.submit("a1", "team-a", SLEEP, gpu=2, node_pool="a100", priority="train")
        self.d.wait_state("a1", "running")
        wait_until(lambda: self.projects_in("a100")["team-a"]["usage"]["gpu"] >= 0.8,
                   timeout=30, what="team-a's usage of a100 to reach 0.8")
        self.assertEqual(self.projects_in("h100")["team-a"]["usage"]["gpu"], 0.0)
        # the default pool is where the project's own usage is kept: nothing there
        status, q, _ = self.d.request("GET", "/api/v1/projects/team-a")
        self.assertEqual(q["status"]["usage"]["share"]["gpu"], 0.0, q)
        self.assertGreaterEqual(q["status"]["usage"]["pools"]["a100"]["gpu"], 0.8, q)
        self.assertNotIn("h100", q["status"]["usage"]["pools"])
        out = self.d.cli("project", "describe", "team-a").stdout
        self.assertRegex(out, r"Usage by pool:\s+a100 GPU (0\.[89]\d|1\.00)")

        # h100: both ask for more than its 2 GPUs and run nothing there: 1 and 1 whatever
        # team-a did in a100. a100: team-a's usage near 1 leaves team-b the over-quota
        self.submit("ha", "team-a", SLEEP, gpu=3, node_pool="h100", priority="train",
                    queue_anyway=True)
        self.submit("hb", "team-b", SLEEP, gpu=3, node_pool="h100", priority="train",
                    queue_anyway=True)
        self.submit("b1", "team-b", SLEEP, gpu=2, node_pool="a100", priority="train")
        wait_until(lambda: self.projects_in("a100")["team-b"]["fair_share_gpu"] == 2,
                   timeout=30, what="team-b's fair share in a100 to become 2")
        h100 = self.projects_in("h100")
        self.assertEqual((h100["team-a"]["fair_share_gpu"], h100["team-b"]["fair_share_gpu"]),
                         (1, 1), h100)
        out = self.d.cli("pool", "describe", "a100").stdout
        self.assertIn("GPU USAGE", out)
        self.assertRegex(out, r"team-a\s+.*\s+[89]\d%|team-a\s+.*\s+100%")

        # the snapshot carries the usage per pool, and replays to the same division
        snap = self.d.request("GET", "/api/v1/snapshot")[1]
        self.assertIs(snap["config"]["usage_per_pool"], True)
        queues = {q["name"]: q for q in snap["queues"]}
        self.assertGreater(queues["team-a"]["pools"]["a100"]["usage"]["gpu"], 0.5, queues)
        self.assertNotIn("h100", queues["team-a"].get("pools", {}))
        path = os.path.join(self.d.state_dir, "live.json")
        with open(path, "w") as f:
            json.dump(snap, f)
        replay = json.loads(subprocess.run([ALLOT, "replay", "--json", path],
                                           capture_output=True, text=True, check=True).stdout)
        shares = {q["name"]: q["fair_share"]["gpu"] for q in replay["queues"]}
        # summed over the pools: a100 0 and 2, h100 1 and 1
        self.assertEqual((shares["team-a"], shares["team-b"]), (1, 3), replay["queues"])

        # stored per pool, and read back by the next allotd
        self.d.stop()
        db = sqlite3.connect(os.path.join(self.d.state_dir, "allot.db"))
        pools_stored = {r[0] for r in db.execute(
            "SELECT DISTINCT pool FROM queue_usage WHERE queue = 'team-a'")}
        db.close()
        self.assertIn("a100", pools_stored)
        self.d.start()
        self.assertGreater(self.projects_in("a100")["team-a"]["usage"]["gpu"], 0.5)


class MigRequestTest(DaemonTest):
    def test_a_mig_request_is_kept_and_waits_where_no_node_offers_it(self):
        self.project("team")
        status, reply, _ = self.d.request("POST", "/api/v1/workloads", dict(
            name="m", project="team", command=SLEEP, mig={"1g.10gb": 2}))
        self.assertEqual(status, 400, reply)  # no node could ever hold it: refused at submit
        self.assertEqual(reply["error"]["field"], "mig", reply)
        self.assertIn("no node offers MIG instances of 1g.10gb", reply["error"]["message"])
        w = self.submit("m", "team", SLEEP, mig={"1g.10gb": 2}, queue_anyway=True)
        self.assertEqual(w["mig"], {"1g.10gb": 2})
        time.sleep(1.5)
        self.assertEqual(self.d.workload("m")["state"], "pending")  # the local nodes offer none
        nodes = self.d.request("GET", "/api/v1/nodes")[1]["items"]
        self.assertEqual(nodes[0]["mig"], {})
        snap = self.d.request("GET", "/api/v1/snapshot")[1]
        task = [j for j in snap["jobs"] if j["name"] == "m"][0]["tasks"][0]
        self.assertEqual(task["mig"], {"1g.10gb": 2})

    def test_cli_submit_mig(self):
        self.project("team")
        self.d.cli("workload", "submit", "m", "-p", "team", "--mig", "3g.40gb=2", "--queue-anyway",
                   "--", "sleep", "300")
        self.assertEqual(self.d.workload("m")["mig"], {"3g.40gb": 2})
        p = self.d.cli("workload", "submit", "n", "-p", "team", "--mig", "9g.1gb", "--", "true",
                       check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--mig", p.stderr)  # allotd's error names the option

    def test_bad_mig_requests_name_the_field(self):
        self.project("team")
        for fields in ({"mig": {"9g.10gb": 1}}, {"mig": {"1g.10gb": 0}},
                       {"mig": {}}, {"mig": {"1g.10gb": 1}, "gpu": 1}):
            status, reply, _ = self.d.request("POST", "/api/v1/workloads",
                                              dict(name="w", project="team", command=SLEEP,
                                                   **fields))
            self.assertEqual(status, 400, reply)
            self.assertEqual(reply["error"]["field"], "mig", reply)


if __name__ == "__main__":
    unittest.main()
