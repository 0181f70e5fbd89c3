"""test_retention.py - finished workloads leave allotd's memory after --retention and stay
queryable from the store: listed (paged, in creation order, by state), shown, their logs and
events read, their names taken until deleted, across restarts and project deletes."""
import os
import sqlite3
import unittest

from harness import DaemonTest, wait_until


class RetentionTest(DaemonTest):
    args = ("--retention", "0")  # finished ones leave memory at the next cycle

    def health(self):
        return self.d.request("GET", "/healthz", token=False)[1]

    def retired(self, n):
        return wait_until(lambda: self.health()["workloads"]["retired"] == n,
                          what="%d retired workloads (now %s)" % (n, self.health()["workloads"]))

    def test_finished_workloads_are_served_from_the_store(self):
        self.project("team-a")
        self.submit("ok", "team-a", ["sh", "-c", "echo hello"], gpu=1)
        self.submit("bad", "team-a", ["sh", "-c", "exit 3"])
        self.submit("live", "team-a", ["sleep", "300"])
        self.d.wait_state("live", "running")
        self.retired(2)
        self.assertEqual(self.health()["workloads"]["in_memory"], 1)

        ok = self.d.workload("ok")
        self.assertEqual((ok["state"], ok["exit_code"], ok["gpu"]), ("succeeded", 0, 1))
        self.assertEqual(ok["tasks"][0]["state"], "succeeded")
        self.assertEqual(ok["tasks"][0]["gpu_devices"], [0])
        self.assertIsNone(ok["tasks"][0]["pid"])
        self.assertEqual(self.d.workload("bad")["exit_code"], 3)
        status, text, _ = self.d.request("GET", "/api/v1/workloads/ok/logs")
        self.assertEqual((status, text), (200, "hello\n"))
        kinds = [e["kind"] for e in self.d.events("ok")]
        self.assertIn("scheduled", kinds)
        self.assertIn("finished", kinds)

        every = self.d.request("GET", "/api/v1/workloads")[1]
        self.assertEqual([w["name"] for w in every["items"]], ["ok", "bad", "live"])
        self.assertEqual(every["total"], 3)
        self.assertEqual(every["items"][2]["state"], "running")  # from memory
        page = self.d.request("GET", "/api/v1/workloads?limit=1&offset=1")[1]
        self.assertEqual(([w["name"] for w in page["items"]], page["total"]), (["bad"], 3))
        done = self.d.request("GET", "/api/v1/workloads?state=succeeded")[1]
        self.assertEqual([w["name"] for w in done["items"]], ["ok"])
        self.assertEqual(done["total"], 1)
        failed = self.d.request("GET", "/api/v1/workloads?state=failed&project=team-a")[1]
        self.assertEqual(([w["name"] for w in failed["items"]], failed["total"]), (["bad"], 1))
        mine = self.d.request("GET", "/api/v1/workloads?project=team-a&limit=2&offset=1")[1]
        self.assertEqual(([w["name"] for w in mine["items"]], mine["total"]),
                         (["bad", "live"], 3))  # each filter has a statement of its own
        self.project("team-b")
        none = self.d.request("GET", "/api/v1/workloads?project=team-b&state=failed")[1]
        self.assertEqual((none["items"], none["total"]), ([], 0))
        status, missing, _ = self.d.request("GET", "/api/v1/workloads?project=nosuch&state=failed")
        self.assertEqual((status, missing["error"]["field"]), (404, "project"))
        listed = self.d.cli("workload", "list", "--json").stdout
        self.assertIn('"ok"', listed)  # the CLI pages through the same list

        # Its name stays taken until it is deleted; then it is gone with its output.
        status, body, _ = self.d.request("POST", "/api/v1/workloads",
                                         {"name": "ok", "project": "team-a", "command": ["true"]})
        self.assertEqual((status, body["error"]["code"]), (409, "already_exists"))
        self.assertEqual(self.d.request("DELETE", "/api/v1/workloads/ok")[0], 200)
        self.assertEqual(self.d.request("GET", "/api/v1/workloads/ok")[0], 404)
        self.assertEqual(self.health()["workloads"]["retired"], 1)
        self.submit("ok", "team-a", ["sh", "-c", "echo again"])
        wait_until(lambda: self.d.request("GET", "/api/v1/workloads/ok/logs")[1] == "again\n",
                   what="the new output only")

    def test_retired_workloads_survive_a_restart_and_go_with_their_project(self):
        self.project("team-a")
        self.project("team-b")
        self.submit("a1", "team-a", ["true"])
        self.submit("b1", "team-b", ["true"])
        self.retired(2)
        self.d.stop()
        self.d.start()
        self.assertEqual(self.health()["workloads"], {"in_memory": 0, "retired": 2})
        self.assertEqual(self.d.workload("a1")["state"], "succeeded")
        self.assertEqual(self.d.request("DELETE", "/api/v1/projects/team-a")[0], 200)
        self.assertEqual(self.d.request("GET", "/api/v1/workloads/a1")[0], 404)
        self.assertEqual(self.d.request("GET", "/api/v1/workloads")[1]["total"], 1)
        self.project("team-a")
        self.submit("a1", "team-a", ["true"])  # the name is free again
        self.d.wait_state("a1", "succeeded")

    def test_a_store_repair_keeps_the_retired_rows(self):
        """After a failed cycle allotd rewrites the store from memory and deletes the rows of
        workloads memory no longer has: not those of retired ones, which are in the store
        only."""
        self.project("team-a")
        self.submit("old", "team-a", ["true"])
        self.retired(1)
        with sqlite3.connect(os.path.join(self.d.state_dir, "allot.db"), timeout=30) as db:
            db.execute("CREATE TRIGGER inject BEFORE UPDATE ON workloads "
                       "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
        self.submit("new", "team-a", ["true"])  # its cycle's records fail: a repair follows
        wait_until(lambda: self.health()["status"] == "degraded", what="a degraded health")
        with sqlite3.connect(os.path.join(self.d.state_dir, "allot.db"), timeout=30) as db:
            db.execute("DROP TRIGGER inject")
        wait_until(lambda: self.health()["status"] == "ok", what="health back to ok")
        self.assertEqual(self.d.workload("old")["state"], "succeeded")
        self.d.stop()
        self.d.start()
        self.assertEqual(self.d.workload("old")["state"], "succeeded")


if __name__ == "__main__":
    unittest.main()
