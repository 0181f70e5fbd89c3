"""test_names.py - workload names are unique per project: two projects may each run a "train";
a name that is unique needs no project, an ambiguous one is refused with the projects named,
and `project=` (the CLI's -p) picks one."""
import unittest

from harness import DaemonTest, wait_until


class PerProjectNamesTest(DaemonTest):
    def test_two_projects_each_have_their_own_train(self):
        self.project("team-a")
        self.project("team-b")
        self.submit("train", "team-a", ["sh", "-c", "echo from a; sleep 300"])
        self.submit("train", "team-b", ["sh", "-c", "echo from b; sleep 300"])
        status, body, _ = self.d.request("POST", "/api/v1/workloads",
                                         {"name": "train", "project": "team-a",
                                          "command": ["true"]})
        self.assertEqual((status, body["error"]["code"], body["error"]["field"]),
                         (409, "already_exists", "name"))
        self.assertIn("team-a", body["error"]["message"])

        status, body, _ = self.d.request("GET", "/api/v1/workloads/train")
        self.assertEqual((status, body["error"]["code"], body["error"]["field"]),
                         (409, "ambiguous", "project"))
        self.assertIn("team-a, team-b", body["error"]["message"])
        for team in ("team-a", "team-b"):
            w = self.d.wait_state("train?project=" + team, "running")
            self.assertEqual(w["project"], team)
            wait_until(lambda: self.d.request("GET", "/api/v1/workloads/train/logs?project=" + team)
                       [1] == "from %s\n" % team[-1], what="team %s's output" % team)
            events = self.d.request("GET", "/api/v1/workloads/train/events?project=" + team)
            self.assertEqual(events[0], 200)
        self.assertEqual(self.d.request("GET", "/api/v1/workloads/train?project=nope")[0], 404)
        self.assertEqual(self.d.request("GET", "/api/v1/workloads/train?project=team-a")[1]
                         ["tasks"][0]["state"], "running")
        listed = self.d.request("GET", "/api/v1/workloads?project=team-b")[1]
        self.assertEqual([(w["name"], w["project"]) for w in listed["items"]],
                         [("train", "team-b")])

        # The CLI: ambiguous without -p (exit 4, 409: the projects named), then by project.
        p = self.d.cli("workload", "describe", "train", check=False)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("team-a, team-b", p.stderr)
        self.assertIn("team-b", self.d.cli("workload", "describe", "train", "-p", "team-b").stdout)
        self.assertIn("from a", self.d.cli("workload", "logs", "train", "--project", "team-a").stdout)
        bad = self.d.cli("workload", "logs", "train", "-p", "Team A", check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--project", bad.stderr)
        self.d.cli("workload", "delete", "train", "-p", "team-a", "--wait")
        self.assertEqual(self.d.request("GET", "/api/v1/workloads/train")[1]["project"], "team-b")

        # Per-project uniqueness is the store's too: a restart keeps both names apart.
        self.submit("train", "team-a", ["sleep", "300"])
        self.d.stop()
        self.d.start()
        for team in ("team-a", "team-b"):
            self.assertEqual(self.d.workload("train?project=" + team)["project"], team)


if __name__ == "__main__":
    unittest.main()
