"""test_audit.py - the audit log: every change made through the API leaves one row (who, from
where, what, before -> after) committed with the change, refused logins are recorded coalesced,
the rows survive restarts and crashes, filter and page, and the hash chain finds an edited row."""
import os
import signal
import sqlite3
import time
import unittest
import urllib.request

from harness import Daemon, DaemonTest, wait_until


class AuditTest(DaemonTest):
    def rows(self, query=""):
        """The rows after the first start's own (user admin and its rule, made by "system")."""
        status, body, _ = self.d.request("GET", "/api/v1/audit" + query)
        self.assertEqual(status, 200, body)
        return [r for r in body["items"] if r["subject"] != "system"]

    def changes(self, query=""):
        return [r for r in self.rows(query) if r["verb"] != "login"]

    def test_the_first_start_records_the_first_administrator(self):
        status, body, _ = self.d.request("GET", "/api/v1/audit")
        first = [(r["subject"], r["verb"], r["resource"]["kind"], r["resource"]["name"])
                 for r in body["items"][:2]]
        self.assertEqual(first, [("system", "create", "user", "admin"),
                                 ("system", "create", "access-rule", "user:admin")])

    def verify(self):
        status, body, _ = self.d.request("GET", "/api/v1/audit/verify")
        self.assertEqual(status, 200, body)
        return body

    def test_every_write_kind_leaves_its_row(self):
        status, body, _ = self.d.request("POST", "/api/v1/departments", {"name": "research"})
        self.assertEqual(status, 201, body)
        self.project("team-a", department="research")
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/team-a", {"priority": 7})
        self.assertEqual(status, 200, body)
        self.submit("job", "team-a", ["sleep", "300"], env={"PASSWORD": "hunter2"})
        self.d.wait_state("job", "running")
        for verb in ("suspend", "resume"):
            status, body, _ = self.d.request("POST", "/api/v1/workloads/job/" + verb)
            self.assertEqual(status, 200, body)
        status, body, _ = self.d.request("DELETE", "/api/v1/workloads/job")
        self.assertIn(status, (200, 202), body)
        wait_until(lambda: self.d.workload("job") is None, what="job to go")
        status, body, _ = self.d.request("DELETE", "/api/v1/projects/team-a")
        self.assertEqual(status, 200, body)
        status, body, _ = self.d.request("DELETE", "/api/v1/departments/research")
        self.assertEqual(status, 200, body)

        rows = self.changes()
        got = [(r["verb"], r["resource"]["kind"], r["resource"]["project"], r["resource"]["name"])
               for r in rows]
        self.assertEqual(got, [
            ("create", "department", None, "research"),
            ("create", "project", "team-a", "team-a"),
            ("update", "project", "team-a", "team-a"),
            ("submit", "workload", "team-a", "job"),
            ("suspend", "workload", "team-a", "job"),
            ("resume", "workload", "team-a", "job"),
            ("delete", "workload", "team-a", "job"),
            ("delete", "project", "team-a", "team-a"),
            ("delete", "department", None, "research"),
        ])
        self.assertEqual([r["seq"] for r in rows], list(range(3, len(rows) + 3)))  # after 2
        for r in rows:
            self.assertEqual(r["subject"], "token:admin")
            self.assertRegex(r["source"], r"^127\.0\.0\.1:\d+$")
            self.assertLessEqual(abs(r["time_s"] - time.time()), 60)
            self.assertRegex(r["hash"], r"^[0-9a-f]{64}$")
        create, update, submit, suspend = rows[1], rows[2], rows[3], rows[4]
        self.assertIsNone(create["before"])
        self.assertEqual(create["after"]["department"], "research")
        self.assertEqual((update["before"]["priority"], update["after"]["priority"]), (100, 7))
        self.assertIsNone(submit["before"])
        self.assertEqual(submit["after"]["spec"]["command"], ["sleep", "300"])
        self.assertEqual(submit["after"]["spec"]["env"], {"PASSWORD": "(redacted)"})
        self.assertNotIn("hunter2", str(self.rows()))
        self.assertEqual((suspend["before"]["state"], suspend["after"]["state"]),
                         ("running", "suspended"))
        self.assertIsNone(rows[7]["after"])  # the project is gone
        self.assertEqual(self.verify(), {"ok": True, "rows": len(rows) + 2})

    def test_a_forced_project_delete_is_one_row(self):
        self.project("team-a")
        self.submit("job", "team-a", ["sleep", "300"])
        self.d.wait_state("job", "running")
        status, body, _ = self.d.request("DELETE", "/api/v1/projects/team-a?force=true")
        self.assertEqual(status, 202, body)
        last = self.changes()[-1]
        self.assertEqual((last["verb"], last["resource"]["name"], last["outcome"]),
                         ("delete", "team-a", "deleting"))
        self.assertEqual(last["after"], {"deleting": True, "stopping": 1})
        self.assertEqual(last["before"]["priority"], 100)
        out = self.d.cli("audit", "list", "-o", "yaml").stdout
        self.assertIn("outcome: deleting", out)

    def test_a_refused_write_leaves_no_row(self):
        self.project("team-a")
        before = self.changes()
        for method, path, body, status in (
                ("POST", "/api/v1/projects", {"name": "team-a"}, 409),
                ("POST", "/api/v1/projects", {"name": "Bad Name"}, 400),
                ("POST", "/api/v1/workloads", {"name": "w", "project": "none",
                                               "command": ["true"]}, 400),
                ("POST", "/api/v1/workloads/none/suspend", None, 404)):
            self.assertEqual(self.d.request(method, path, body)[0], status, path)
        self.assertEqual(self.changes(), before)

    def test_filters_and_paging(self):
        self.project("team-a")
        self.project("team-b")
        self.submit("a1", "team-a", ["true"])
        self.submit("b1", "team-b", ["true"])
        names = lambda rows: [r["resource"]["name"] for r in rows]
        self.assertEqual(names(self.rows("?project=team-a")), ["team-a", "a1"])
        self.assertEqual(names(self.rows("?project=team-b&subject=token:admin")), ["team-b", "b1"])
        self.assertEqual(self.rows("?subject=user:nobody"), [])
        self.assertEqual(len(self.rows("?since=1h")), 4)
        self.assertEqual(self.rows("?since=%d" % (time.time() + 3600)), [])
        status, body, _ = self.d.request("GET", "/api/v1/audit?limit=2&offset=3")
        self.assertEqual((body["total"], names(body["items"])), (6, ["team-b", "a1"]))
        status, body, _ = self.d.request("GET", "/api/v1/audit?since=yesterday")
        self.assertEqual((status, body["error"]["field"]), (400, "since"))

        out = self.d.cli("audit", "list", "-p", "team-a").stdout
        self.assertIn("SEQ", out)
        self.assertIn("workload team-a/a1", out)
        self.assertNotIn("team-b", out)
        self.assertEqual(self.d.cli("audit", "list", "--subject", "token:admin", "-o",
                                    "name").stdout.split(), ["audit/3", "audit/4", "audit/5",
                                                             "audit/6"])
        self.assertIn('"verb": "submit"', self.d.cli("audit", "list", "--since", "10m",
                                                     "-o", "json").stdout)
        self.assertEqual(self.d.cli("audit", "list", "--since", "12", check=False).returncode, 2)

    def test_failed_logins_are_coalesced_per_address(self):
        for _ in range(20):
            self.assertEqual(self.d.request("GET", "/api/v1/nodes", token="wrong")[0], 401)
        self.assertEqual(self.d.request("GET", "/api/v1/nodes", token=False)[0], 401)
        rows = self.rows("?subject=unknown")
        self.assertEqual(len(rows), 1, rows)
        r = rows[0]
        self.assertEqual((r["verb"], r["resource"]["kind"], r["outcome"]),
                         ("login", "token", "denied"))
        self.assertEqual(r["after"]["count"], 1)
        self.assertRegex(r["source"], r"^127\.0\.0\.1:\d+$")
        self.assertEqual(self.d.request("GET", "/api/v1/nodes")[0], 200)  # valid ones still pass
        self.assertTrue(self.verify()["ok"])

    def test_rows_survive_a_restart_and_an_edit_is_found(self):
        self.project("team-a")
        self.submit("job", "team-a", ["true"])
        before = self.rows()
        self.d.stop()
        self.d.start()
        self.assertEqual(self.rows(), before)
        self.assertEqual(self.d.cli("audit", "verify").returncode, 0)
        self.d.stop()
        db = sqlite3.connect(os.path.join(self.d.state_dir, "allot.db"))
        db.execute("UPDATE audit SET subject = 'token:someone-else' WHERE seq = 2")
        db.commit()
        db.close()
        self.d.start()
        p = self.d.cli("audit", "verify", check=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("first bad row: 2", p.stderr)
        self.assertEqual(self.verify()["first_bad_seq"], 2)

    def test_a_removed_row_is_found(self):
        self.project("team-a")
        self.project("team-b")
        self.project("team-c")
        self.d.stop()
        db = sqlite3.connect(os.path.join(self.d.state_dir, "allot.db"))
        db.execute("DELETE FROM audit WHERE seq = 2")
        db.commit()
        db.close()
        self.d.start()
        self.assertEqual(self.verify()["first_bad_seq"], 2)

    def test_an_acknowledged_change_and_its_row_survive_a_kill(self):
        self.project("team-a")
        self.submit("job", "team-a", ["true"])
        self.d.proc.kill()  # SIGKILL right after the acknowledgements
        self.d.wait_killed()
        self.d.start()
        self.assertIsNotNone(self.d.workload("job"))
        self.assertEqual([r["verb"] for r in self.changes()], ["create", "submit"])
        self.assertTrue(self.verify()["ok"])

    def test_a_change_killed_before_its_commit_leaves_neither(self):
        self.project("team-a")
        self.d.stop()
        self.d.start(env={"ALLOTD_FAILPOINTS": "audit-appended"})
        try:
            self.d.request("POST", "/api/v1/projects", {"name": "team-b"})
        except Exception:
            pass  # allotd died before answering
        self.d.wait_killed()
        self.d.start()
        status, _, _ = self.d.request("GET", "/api/v1/projects/team-b")
        self.assertEqual(status, 404)
        self.assertEqual([r["resource"]["name"] for r in self.changes()], ["team-a"])
        self.assertTrue(self.verify()["ok"])


if __name__ == "__main__":
    unittest.main()
