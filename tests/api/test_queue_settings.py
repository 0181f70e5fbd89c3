"""test_queue_settings.py - departments' and projects' min runtimes through the API and the
CLI: set, inherited, changed, cleared, validated, kept across a restart, and put into the
snapshot with the jobs' start times."""
import json
import unittest

from harness import DaemonTest

SLEEP = ["sleep", "300"]


class MinRuntimeTest(DaemonTest):
    def settings(self, kind, name):
        status, body, _ = self.d.request("GET", "/api/v1/%s/%s" % (kind, name))
        self.assertEqual(status, 200, body)
        return body["preempt_min_runtime_s"], body["reclaim_min_runtime_s"]

    def snapshot_queues(self):
        return {q["name"]: q for q in self.d.request("GET", "/api/v1/snapshot")[1]["queues"]}

    def test_api_round_trip_and_restart(self):
        status, body, _ = self.d.request("POST", "/api/v1/departments",
                                         {"name": "research", "preempt_min_runtime_s": 600,
                                          "reclaim_min_runtime_s": 0})
        self.assertEqual(status, 201, body)
        self.assertEqual((body["preempt_min_runtime_s"], body["reclaim_min_runtime_s"]), (600, 0))
        p = self.project("team-a", department="research", reclaim_min_runtime_s=30)
        self.assertEqual((p["preempt_min_runtime_s"], p["reclaim_min_runtime_s"]), (None, 30))
        listed = self.d.request("GET", "/api/v1/projects")[1]["items"][0]
        self.assertEqual(listed["reclaim_min_runtime_s"], 30)
        self.assertIsNone(listed["preempt_min_runtime_s"])

        # the snapshot carries what is set and leaves out what is inherited
        queues = self.snapshot_queues()
        self.assertEqual(queues["research"]["preempt_min_runtime_s"], 600)
        self.assertEqual(queues["research"]["reclaim_min_runtime_s"], 0)
        self.assertEqual(queues["team-a"]["reclaim_min_runtime_s"], 30)
        self.assertNotIn("preempt_min_runtime_s", queues["team-a"])

        # PATCH changes one, null goes back to inheriting, others stay
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/team-a",
                                         {"preempt_min_runtime_s": 45})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.settings("projects", "team-a"), (45, 30))
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/team-a",
                                         {"reclaim_min_runtime_s": None})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.settings("projects", "team-a"), (45, None))

        self.d.stop()
        self.d.start()
        self.assertEqual(self.settings("projects", "team-a"), (45, None))
        self.assertEqual(self.settings("departments", "research"), (600, 0))
        self.assertNotIn("reclaim_min_runtime_s", self.snapshot_queues()["team-a"])

    def test_a_project_moved_into_a_later_department_survives_a_restart(self):
        """allotd restarts after a project was moved into a department created after it, and
        keeps the creation order (issue 10)."""
        self.project("early")
        status, body, _ = self.d.request("POST", "/api/v1/departments", {"name": "late"})
        self.assertEqual(status, 201, body)
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/early", {"department": "late"})
        self.assertEqual(status, 200, body)
        self.d.stop()
        self.d.start()
        self.assertEqual(self.d.request("GET", "/api/v1/projects/early")[1]["department"], "late")
        names = [q["name"] for q in self.d.request("GET", "/api/v1/snapshot")[1]["queues"]]
        self.assertLess(names.index("early"), names.index("late"))

    def test_bad_values_name_the_field(self):
        cases = [
            ({"preempt_min_runtime_s": -1}, "preempt_min_runtime_s", ">= 0"),
            ({"reclaim_min_runtime_s": "10m"}, "reclaim_min_runtime_s", "number of seconds"),
            ({"reclaim_min_runtime_s": True}, "reclaim_min_runtime_s", "number of seconds"),
            ({"preempt_min_runtime_s": 1.5}, "preempt_min_runtime_s", "integer"),
            ({"preempt_min_runtime_s": 10 ** 13}, "preempt_min_runtime_s", "<="),
        ]
        for fields, field, message in cases:
            status, body, _ = self.d.request("POST", "/api/v1/projects",
                                             dict(name="bad", **fields))
            self.assertEqual(status, 400, body)
            self.assertEqual(body["error"]["code"], "invalid_argument")
            self.assertEqual(body["error"]["field"], field, body)
            self.assertIn(message, body["error"]["message"])
        self.project("ok")
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/ok",
                                         {"reclaim_min_runtime_s": -5})
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["field"], "reclaim_min_runtime_s")
        self.assertEqual(self.settings("projects", "ok"), (None, None))

    def test_cli_sets_shows_and_clears(self):
        self.d.cli("department", "create", "research", "--preempt-min-runtime", "2h")
        self.d.cli("project", "create", "team-a", "--department", "research",
                   "--preempt-min-runtime", "10m", "--reclaim-min-runtime", "30s")
        self.assertEqual(self.settings("projects", "team-a"), (600, 30))
        self.assertEqual(self.settings("departments", "research"), (7200, None))
        out = self.d.cli("project", "describe", "team-a").stdout
        self.assertIn("preempt 10m, reclaim 30s", out)
        self.d.cli("project", "update", "team-a", "--preempt-min-runtime", "inherit",
                   "--reclaim-min-runtime=90")
        self.assertEqual(self.settings("projects", "team-a"), (None, 90))
        out = self.d.cli("project", "describe", "team-a").stdout
        self.assertIn("preempt inherited from department research, reclaim 90s", out)
        out = self.d.cli("department", "describe", "research").stdout
        self.assertIn("preempt 2h, reclaim none", out)
        shown = json.loads(self.d.cli("project", "describe", "team-a", "--json").stdout)
        self.assertEqual(shown["reclaim_min_runtime_s"], 90)
        for bad in ("-5", "10x", "soon"):
            p = self.d.cli("project", "update", "team-a", "--reclaim-min-runtime", bad,
                           check=False)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("--reclaim-min-runtime", p.stderr)
        self.assertEqual(self.settings("projects", "team-a"), (None, 90))

    def test_running_jobs_carry_their_start_time(self):
        self.project("team-a")
        self.submit("w", "team-a", SLEEP, gpu=1)
        self.submit("queued", "team-a", SLEEP, gpu=1, workers=3)  # 3 GPUs: does not fit yet
        w = self.d.wait_state("w", "running")
        self.assertIsNotNone(w["started_s"])
        jobs = {j["name"]: j for j in self.d.request("GET", "/api/v1/snapshot")[1]["jobs"]}
        self.assertEqual(jobs["w"]["started_s"], w["started_s"])
        self.assertNotIn("started_s", jobs["queued"])
        config = self.d.request("GET", "/api/v1/snapshot")[1]["config"]
        self.assertEqual(config["actions"], ["allocate", "consolidation", "reclaim", "preempt",
                                             "stalegangeviction"])


if __name__ == "__main__":
    unittest.main()
