"""test_consumption.py - consumption recorded and reported by a real allotd: workloads of known
sizes run for a few seconds, and reports for windows before, across, after and cutting them give
the GPU-seconds per project, department and workload that the tasks' own start and end times
(the same clock, in whole seconds) say, exactly; a run that outlives allotd (killed) goes on
counting once re-adopted (and a store from before consumption rows gets one for it); idle GPU
time from utilisation samples; prices; the CLI's CSV; a researcher of one project sees only its rows;
malformed parameters are refused naming the field; old rows leave after the retention."""
import csv
import io
import os
import signal
import sqlite3
import subprocess
import time
import unittest

from harness import ALLOT, DaemonTest, wait_until

REPORT = "/api/v1/reports/consumption"


class ConsumptionTest(DaemonTest):
    gpus = "4xA100-80GiB"
    args = ("--gpu-price", "A100=3", "--gpu-price", "default=1")

    def setUp(self):
        super().setUp()
        d = self.d
        for name in ("d1", "d2"):
            self.assertEqual(d.request("POST", "/api/v1/departments", {"name": name})[0], 201)
        for name, dep in (("p1", "d1"), ("p2", "d1"), ("p3", "d2")):
            self.project(name, department=dep)

    def report(self, token=True, **params):
        query = "&".join("%s=%s" % kv for kv in params.items())
        status, body, _ = self.d.request("GET", REPORT + "?" + query, token=token)
        self.assertEqual(status, 200, body)
        return body

    def rows(self, key="project", **params):
        return {tuple(r[k] for k in key.split(",")): r
                for r in self.report(**params)["items"]}

    def run_to_end(self, name, project, seconds, **fields):
        self.submit(name, project, ["sleep", str(seconds)], **fields)
        return self.d.wait_state(name, "succeeded", timeout=60)

    @staticmethod
    def span(w):
        t = w["tasks"][0]
        return t["started_s"], t["finished_s"]

    def test_gpu_seconds_per_project_department_and_workload_over_windows(self):
        w1 = self.run_to_end("w1", "p1", 2, gpu=2, cpu_millis=500, memory_bytes=1 << 30)
        w2 = self.run_to_end("w2", "p2", 2, gpu_fraction=0.5)
        w3 = self.run_to_end("w3", "p3", 1, gpu=1)
        (s1, e1), (s2, e2), (s3, e3) = self.span(w1), self.span(w2), self.span(w3)
        self.assertGreaterEqual(e1 - s1, 2)
        first, last = min(s1, s2, s3), max(e1, e2, e3)

        # across all of them: each run whole
        by_project = self.rows(**{"from": first - 10, "to": last + 10})
        self.assertEqual(set(by_project), {("p1",), ("p2",), ("p3",)})
        p1 = by_project[("p1",)]
        self.assertEqual(p1["gpu_seconds"], 2 * (e1 - s1))
        self.assertAlmostEqual(p1["gpu_hours"], 2 * (e1 - s1) / 3600)
        self.assertEqual(p1["cpu_core_seconds"], 0.5 * (e1 - s1))
        self.assertEqual(p1["memory_byte_seconds"], (1 << 30) * (e1 - s1))
        self.assertEqual((p1["department"], p1["runs"]), ("d1", 1))
        self.assertIsNone(p1["idle_gpu_seconds"])  # virtual GPUs: utilisation not known
        self.assertEqual(by_project[("p2",)]["gpu_seconds"], 0.5 * (e2 - s2))
        self.assertEqual(by_project[("p3",)]["gpu_seconds"], 1 * (e3 - s3))

        by_department = self.rows("department", group_by="department",
                                  **{"from": first - 10, "to": last + 10})
        self.assertEqual(by_department[("d1",)]["gpu_seconds"], 2 * (e1 - s1) + 0.5 * (e2 - s2))
        self.assertEqual(by_department[("d2",)]["gpu_seconds"], e3 - s3)
        self.assertNotIn("project", by_department[("d1",)])

        by_workload = self.rows("project,workload", group_by="workload",
                                **{"from": first - 10, "to": last + 10})
        self.assertEqual(set(by_workload), {("p1", "w1"), ("p2", "w2"), ("p3", "w3")})
        self.assertEqual(by_workload[("p1", "w1")]["gpu_seconds"], 2 * (e1 - s1))

        # before and after them: nothing
        self.assertEqual(self.report(**{"from": first - 100, "to": first})["items"], [])
        self.assertEqual(self.report(**{"from": last, "to": last + 100})["items"], [])

    def test_a_window_cutting_runs_counts_only_their_part_inside(self):
        w = self.run_to_end("half", "p1", 4, gpu=2)
        s, e = self.span(w)
        self.assertGreaterEqual(e - s, 4)
        mid = s + (e - s) // 2
        first = self.rows(**{"from": s - 50, "to": mid})[("p1",)]
        second = self.rows(**{"from": mid, "to": e + 50})[("p1",)]
        self.assertEqual(first["gpu_seconds"], 2 * (mid - s))
        self.assertEqual(second["gpu_seconds"], 2 * (e - mid))
        inside = self.rows(**{"from": s + 1, "to": e - 1})[("p1",)]
        self.assertEqual(inside["gpu_seconds"], 2 * (e - s - 2))
        # RFC 3339 edges mean the same seconds
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mid))
        self.assertEqual(self.rows(**{"from": iso, "to": e + 50})[("p1",)]["gpu_seconds"],
                         2 * (e - mid))

    def test_a_run_still_going_counts_up_to_now_and_goes_on_across_an_allotd_crash(self):
        self.submit("long", "p2", ["sleep", "300"], gpu=1)
        w = self.d.wait_state("long", "running")
        start = w["tasks"][0]["started_s"]
        time.sleep(1.1)
        body = self.report(**{"from": start - 10})
        row = body["items"][0]
        self.assertEqual(row["gpu_seconds"], body["now_s"] - start)

        # allotd dies (SIGKILL): the task runs on and is re-adopted; its run continues
        self.d.proc.send_signal(signal.SIGKILL)
        self.d.wait_killed()
        time.sleep(1.1)
        self.d.start()
        self.d.wait_state("long", "running")
        self.assertIn("readopted", [e["kind"] for e in self.d.events("long")])
        body = self.report(**{"from": start - 10})
        row = body["items"][0]
        self.assertEqual((row["runs"], row["gpu_seconds"]), (1, body["now_s"] - start))
        self.assertGreaterEqual(row["gpu_seconds"], 1)

        # once deleted, its run has ended: the figure stops growing
        self.assertIn(self.d.request("DELETE", "/api/v1/workloads/long")[0], (200, 202))
        wait_until(lambda: self.d.workload("long") is None, 30, "long to go")
        ended = self.report(**{"from": start - 10})["items"][0]["gpu_seconds"]
        time.sleep(1.2)
        self.assertEqual(self.report(**{"from": start - 10})["items"][0]["gpu_seconds"], ended)

    def test_a_store_from_before_consumption_gets_rows_for_the_runs_it_re_adopts(self):
        self.submit("old", "p1", ["sleep", "300"], gpu=1)
        start = self.d.wait_state("old", "running")["tasks"][0]["started_s"]
        self.d.proc.send_signal(signal.SIGKILL)
        self.d.wait_killed()
        db = sqlite3.connect(os.path.join(self.d.state_dir, "allot.db"))
        db.executescript("DROP TABLE consumption; DROP TABLE queue_usage;"  # as version 9 was:
                         "ALTER TABLE workloads DROP COLUMN pending_since_s;"  # (13 adds it)
                         "PRAGMA user_version = 9;")
        db.close()
        self.d.start()
        self.d.wait_state("old", "running")
        time.sleep(1.1)
        body = self.report(**{"from": start - 10})
        self.assertEqual([(r["project"], r["runs"], r["gpu_seconds"]) for r in body["items"]],
                         [("p1", 1, body["now_s"] - start)])

    def test_cost_is_the_gpu_hours_times_the_price_of_their_model(self):
        s, e = self.span(self.run_to_end("priced", "p1", 1, gpu=2))
        cpu_only = self.run_to_end("cpu", "p3", 1, gpu=0, cpu_millis=100)
        body = self.report(**{"from": s - 10, "to": max(e, self.span(cpu_only)[1]) + 10})
        self.assertEqual(body["gpu_prices"], {"A100": 3.0, "default": 1.0})
        rows = {r["project"]: r for r in body["items"]}
        self.assertAlmostEqual(rows["p1"]["cost"], 2 * (e - s) / 3600 * 3)
        self.assertEqual(rows["p3"]["cost"], 0)
        self.assertEqual(rows["p3"]["gpu_seconds"], 0)

    def test_cli_csv_is_rfc_4180_with_a_header_and_matches_the_api(self):
        s, e = self.span(self.run_to_end("csv-1", "p1", 1, gpu=1))
        self.run_to_end("csv-2", "p3", 1, gpu=1)
        today = time.strftime("%Y-%m-%d", time.gmtime(s))
        tomorrow = time.strftime("%Y-%m-%d", time.gmtime(s + 86400))
        out = subprocess.run(
            [ALLOT, "report", "consumption", "--from", today, "--to", tomorrow, "--group-by",
             "workload", "-o", "csv"], capture_output=True, check=True,
            env=dict(os.environ, ALLOT_SERVER=self.d.url, ALLOT_TOKEN=self.d.token)).stdout.decode()
        self.assertTrue(out.endswith("\r\n") and out.count("\r\n") == 3, repr(out))
        rows = list(csv.DictReader(io.StringIO(out, newline="")))
        self.assertEqual(list(rows[0].keys()),
                         ["department", "project", "workload", "runs", "gpu_seconds", "gpu_hours",
                          "cpu_core_seconds", "memory_byte_seconds", "idle_gpu_seconds", "cost"])
        api = self.rows("project,workload", group_by="workload",
                        **{"from": today + "T00:00:00Z", "to": tomorrow + "T00:00:00Z"})
        self.assertEqual({(r["project"], r["workload"]) for r in rows}, set(api))
        for r in rows:
            want = api[(r["project"], r["workload"])]
            self.assertAlmostEqual(float(r["gpu_seconds"]), want["gpu_seconds"])
            self.assertEqual(r["idle_gpu_seconds"], "")  # not known: empty
            self.assertEqual(int(r["runs"]), want["runs"])
        self.assertEqual(float([r for r in rows if r["workload"] == "csv-1"][0]["gpu_seconds"]),
                         e - s)
        # the table, JSON and a duration ago work too
        table = self.d.cli("report", "consumption", "--from", "1d").stdout
        self.assertTrue(table.startswith("DEPARTMENT"), table)
        self.assertIn("p1", table)
        doc = self.d.cli("report", "consumption", "--from", "1d", "-o", "json").stdout
        self.assertIn('"gpu_seconds"', doc)

    def test_a_researcher_of_one_project_sees_only_its_rows(self):
        d = self.d
        self.run_to_end("mine", "p1", 1, gpu=1)
        self.run_to_end("theirs", "p2", 1, gpu=1)
        password = "a-long-test-password"
        self.assertEqual(d.request("POST", "/api/v1/users",
                                   {"name": "rita", "password": password})[0], 201)
        self.assertEqual(d.request("POST", "/api/v1/access-rules", {
            "subject": "user:rita", "role": "l1-researcher", "scope": "project:p1"})[0], 201)
        status, body, _ = d.request("POST", "/api/v1/token", token=False, body={
            "grant_type": "password", "username": "rita", "password": password})
        self.assertEqual(status, 200, body)
        token = body["access_token"]
        mine = self.report(token=token, **{"from": "1h"})["items"]
        self.assertEqual([r["project"] for r in mine], ["p1"])
        everyone = {r["project"]: r for r in self.report(**{"from": "1h"})["items"]}
        self.assertEqual(set(everyone), {"p1", "p2"})
        # grouped by department, only p1's part of d1
        d1 = self.report(token=token, group_by="department", **{"from": "1h"})["items"]
        self.assertEqual([(r["department"], r["gpu_seconds"]) for r in d1],
                         [("d1", everyone["p1"]["gpu_seconds"])])
        by_workload = self.report(token=token, group_by="workload", **{"from": "1h"})["items"]
        self.assertEqual([r["workload"] for r in by_workload], ["mine"])

    def test_malformed_parameters_are_refused_naming_the_field(self):
        for query, field in (("", "from"), ("from=yesterday", "from"),
                             ("from=2026-13-01T00:00:00Z", "from"), ("from=1h&to=soon", "to"),
                             ("from=1h&to=2h", "to"), ("from=1h&group_by=team", "group_by")):
            status, body, _ = self.d.request("GET", REPORT + "?" + query)
            self.assertEqual((status, body["error"]["field"]), (400, field), query)
        p = self.d.cli("report", "consumption", "--from", "1h", "--group-by", "team", check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--group-by", p.stderr)
        p = self.d.cli("report", "consumption", "--from", "2026-02-30x", check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        p = self.d.cli("report", "consumption", check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--from", p.stderr)


class IdleTest(DaemonTest):
    def test_idle_gpu_time_is_the_unbusy_share_of_the_sampled_time(self):
        # every device 25 % busy (allotd's test stand-in for NVML), sampled every second
        self.d.stop()
        self.d.start(env={"ALLOTD_TEST_GPU_BUSY": "25"})
        self.project("solo")
        self.submit("w", "solo", ["sleep", "4"], gpu=2)
        self.submit("cpu", "solo", ["sleep", "1"], gpu=0, cpu_millis=100)
        self.d.wait_state("w", "succeeded", timeout=60)
        self.d.wait_state("cpu", "succeeded", timeout=60)
        rows = {r["workload"]: r for r in self.d.request(
            "GET", REPORT + "?from=1h&group_by=workload")[1]["items"]}
        gpu_s, idle = rows["w"]["gpu_seconds"], rows["w"]["idle_gpu_seconds"]
        self.assertGreaterEqual(gpu_s, 8)
        # the sampled part of the run (all but its last second or two), three quarters idle
        self.assertLessEqual(idle, 0.75 * gpu_s)
        self.assertGreaterEqual(idle, 0.75 * (gpu_s - 2 * 2), rows["w"])
        self.assertEqual(rows["cpu"]["idle_gpu_seconds"], 0)  # no GPU: none idle
        project = self.d.request("GET", REPORT + "?from=1h")[1]["items"][0]
        self.assertEqual(project["idle_gpu_seconds"], idle)


class UnpricedTest(DaemonTest):
    def test_cost_is_null_where_no_price_is_set(self):
        self.project("solo")
        self.submit("w", "solo", ["sleep", "1"], gpu=1)
        self.d.wait_state("w", "succeeded", timeout=60)
        body = self.d.request("GET", REPORT + "?from=1h")[1]
        self.assertEqual(body["gpu_prices"], {})
        self.assertIsNone(body["items"][0]["cost"])
        self.assertGreaterEqual(body["items"][0]["gpu_seconds"], 1)


class RetentionTest(DaemonTest):
    args = ("--consumption-retention", "2")

    def test_rows_leave_once_their_run_ended_longer_ago_than_the_retention(self):
        self.project("solo")
        self.submit("w", "solo", ["sleep", "3"], gpu=1)
        self.d.wait_state("w", "running")
        time.sleep(1.1)  # a second into it (a run's first second counts once it is over)
        # a run still going is never dropped
        body = self.d.request("GET", REPORT + "?from=1h")[1]
        self.assertEqual(len(body["items"]), 1, (body, self.d.workload("w")))
        self.d.wait_state("w", "succeeded", timeout=60)
        wait_until(lambda: self.d.request("GET", REPORT + "?from=1h")[1]["items"] == [], 30,
                   "the row to be dropped")


if __name__ == "__main__":
    unittest.main()
