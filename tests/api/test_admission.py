"""test_admission.py - admission that tells the truth (issue 12, item 3): contradictory quotas
refused on create and update, requests no node could ever hold refused at submit unless queued
anyway, and a project deleted with its live workloads only when forced - through the API and
the CLI."""
import unittest

from harness import DaemonTest, pid_alive, wait_until

SLEEP = ["sleep", "300"]
# A task that ignores SIGTERM: only the kill after the grace period ends it.
STUBBORN = ["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"]


class AdmissionTest(DaemonTest):
    def refused(self, method, path, body, status, code, field, *texts):
        """The request is refused as stated; the message holds every text."""
        got, answer, _ = self.d.request(method, path, body)
        self.assertEqual(got, status, answer)
        err = answer["error"]
        self.assertEqual((err["code"], err.get("field")), (code, field), err)
        for text in texts:
            self.assertIn(text, err["message"])
        return err["message"]

    def invalid(self, method, path, body, field, *texts):
        return self.refused(method, path, body, 400, "invalid_argument", field, *texts)

    def cli_fails(self, args, code, *texts):
        """allot exits with `code` (2: allotd's 400 invalid_argument, 4: a 409) and says each
        text on standard error."""
        r = self.d.cli(*args, check=False)
        self.assertEqual(r.returncode, code, (r.stdout, r.stderr))
        for text in texts:
            self.assertIn(text, r.stderr)
        return r

    def get(self, kind, name):
        status, body, _ = self.d.request("GET", "/api/v1/%s/%s" % (kind, name))
        return body if status == 200 else None

    def department(self, name, **fields):
        status, body, _ = self.d.request("POST", "/api/v1/departments", dict(name=name, **fields))
        self.assertEqual(status, 201, body)
        return body


class QuotaRulesTest(AdmissionTest):
    def test_deserved_above_limit_is_refused_per_resource(self):
        for kind in ("projects", "departments"):
            self.invalid("POST", "/api/v1/" + kind,
                         {"name": "a", "deserved": {"gpu": 6}, "limit": {"gpu": 4}},
                         "deserved.gpu", "deserved 6 GPUs is above the limit of 4 GPUs")
        self.invalid("POST", "/api/v1/projects",
                     {"name": "a", "deserved": {"cpu_millis": 8000}, "limit": {"cpu_millis": 4000}},
                     "deserved.cpu_millis", "8 cores", "4 cores")
        self.invalid("POST", "/api/v1/projects",
                     {"name": "a", "deserved": {"memory_bytes": 2 << 30},
                      "limit": {"memory_bytes": 1 << 30}},
                     "deserved.memory_bytes", "2 GiB", "1 GiB")
        self.assertIsNone(self.get("projects", "a"))
        # equal is fine, and so is an unlimited CPU deserved (not under quota) under a limit
        self.project("a", deserved={"gpu": 4, "cpu_millis": -1},
                     limit={"gpu": 4, "cpu_millis": 4000})

    def test_an_update_may_not_take_deserved_above_limit(self):
        self.project("a", deserved={"gpu": 2}, limit={"gpu": 4})
        self.invalid("PATCH", "/api/v1/projects/a", {"deserved": {"gpu": 5}}, "deserved.gpu",
                     "deserved 5 GPUs is above the limit of 4 GPUs")
        self.invalid("PATCH", "/api/v1/projects/a", {"limit": {"gpu": 1}}, "deserved.gpu",
                     "deserved 2 GPUs is above the limit of 1 GPU")
        self.assertEqual((self.get("projects", "a")["deserved"]["gpu"],
                          self.get("projects", "a")["limit"]["gpu"]), (2, 4))
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/a",
                                         {"deserved": {"gpu": 1}, "limit": {"gpu": 1}})
        self.assertEqual(status, 200, body)

    def test_an_unlimited_gpu_guarantee_is_refused(self):
        for kind in ("projects", "departments"):
            self.invalid("POST", "/api/v1/" + kind, {"name": "a", "deserved": {"gpu": -1}},
                         "deserved.gpu", "a guarantee cannot be unlimited")
        self.project("a", deserved={"gpu": 1})
        self.invalid("PATCH", "/api/v1/projects/a", {"deserved": {"gpu": -1}}, "deserved.gpu",
                     "cannot be unlimited")
        # malformed amounts are refused by the parser, naming the field
        for value in (-2, "two", 1e300, True):
            self.invalid("PATCH", "/api/v1/projects/a", {"deserved": {"gpu": value}},
                         "deserved.gpu")
        self.invalid("PATCH", "/api/v1/projects/a", {"limit": {"cpu_millis": -5}},
                     "limit.cpu_millis")
        self.assertEqual(self.get("projects", "a")["deserved"]["gpu"], 1)

    def test_projects_may_not_deserve_more_than_their_department(self):
        self.department("d", deserved={"gpu": 4})
        self.project("p1", department="d", deserved={"gpu": 3})
        self.invalid("POST", "/api/v1/projects", {"name": "p2", "department": "d",
                                                  "deserved": {"gpu": 2}},
                     "deserved.gpu", "projects of department d would deserve 5 GPUs in all, "
                     "above its 4 GPUs")
        self.project("p2", department="d", deserved={"gpu": 1})
        self.invalid("PATCH", "/api/v1/projects/p2", {"deserved": {"gpu": 1.5}}, "deserved.gpu",
                     "4.5 GPUs in all")
        # moving a project in counts too
        self.project("top", deserved={"gpu": 1})
        self.invalid("PATCH", "/api/v1/projects/top", {"department": "d"}, "deserved.gpu",
                     "would deserve 5 GPUs in all")
        self.assertIsNone(self.get("projects", "top")["department"])
        # lowering the department below its projects is refused; raising it is not
        self.invalid("PATCH", "/api/v1/departments/d", {"deserved": {"gpu": 3}}, "deserved.gpu",
                     "projects of department d deserve 4 GPUs in all, above its 3 GPUs")
        status, body, _ = self.d.request("PATCH", "/api/v1/departments/d", {"deserved": {"gpu": 5}})
        self.assertEqual(status, 200, body)
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/top", {"department": "d"})
        self.assertEqual(status, 200, body)
        # a project may lower its own guarantee, and leave
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/p1", {"deserved": {"gpu": 0}})
        self.assertEqual(status, 200, body)
        status, body, _ = self.d.request("PATCH", "/api/v1/departments/d", {"deserved": {"gpu": 2}})
        self.assertEqual(status, 200, body)

    def test_a_department_guaranteeing_cpu_needs_its_projects_in_numbers(self):
        self.project("p1", department=None)
        self.department("d")
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/p1", {"department": "d"})
        self.assertEqual(status, 200, body)
        # p1's CPU is not under quota (-1, the default): d cannot guarantee CPU over it
        self.invalid("PATCH", "/api/v1/departments/d", {"deserved": {"cpu_millis": 8000}},
                     "deserved.cpu_millis", "project p1 of department d has an unlimited CPU",
                     "8 cores")
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/p1",
                                         {"deserved": {"cpu_millis": 6000}})
        self.assertEqual(status, 200, body)
        status, body, _ = self.d.request("PATCH", "/api/v1/departments/d",
                                         {"deserved": {"cpu_millis": 8000}})
        self.assertEqual(status, 200, body)
        self.invalid("POST", "/api/v1/projects", {"name": "p2", "department": "d"},
                     "deserved.cpu_millis", "department d guarantees 8 cores of CPU",
                     "not unlimited")
        self.invalid("POST", "/api/v1/projects", {"name": "p2", "department": "d",
                                                  "deserved": {"cpu_millis": 3000}},
                     "deserved.cpu_millis", "9 cores in all, above its 8 cores")
        self.project("p2", department="d", deserved={"cpu_millis": 2000})

    def test_a_department_limit_bounds_its_projects_guarantees(self):
        self.department("d", limit={"gpu": 4, "cpu_millis": 8000})
        self.invalid("POST", "/api/v1/projects", {"name": "p1", "department": "d",
                                                  "deserved": {"cpu_millis": 9000}},
                     "deserved.cpu_millis", "above its limit of 8 cores")
        self.project("p1", department="d", deserved={"cpu_millis": 6000})
        self.project("p2", department="d")  # CPU not under quota: within any limit
        self.invalid("PATCH", "/api/v1/departments/d", {"limit": {"cpu_millis": 4000}},
                     "limit.cpu_millis", "deserve 6 cores in all, above its limit of 4 cores")
        # a project's limit above its department's is legal (as in KAI): the department caps it
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/p2", {"limit": {"gpu": 8}})
        self.assertEqual(status, 200, body)

    def test_the_cli_gets_the_same_answers(self):
        self.cli_fails(("project", "create", "a", "--gpu-deserved", "6", "--gpu-limit", "4"), 2,
                       "deserved 6 GPUs is above the limit of 4 GPUs", "(--gpu-deserved)")
        self.cli_fails(("project", "create", "a", "--gpu-deserved", "unlimited"), 2,
                       "a guarantee cannot be unlimited")
        self.d.cli("department", "create", "d", "--gpu-deserved", "2")
        self.d.cli("project", "create", "a", "--department", "d", "--gpu-deserved", "2")
        self.cli_fails(("project", "create", "b", "--department", "d", "--gpu-deserved", "0.5"), 2,
                       "projects of department d would deserve 2.5 GPUs in all, above its 2 GPUs")
        self.cli_fails(("department", "update", "d", "--gpu-deserved", "1"), 2,
                       "deserve 2 GPUs in all, above its 1 GPU")
        self.assertEqual(self.get("departments", "d")["deserved"]["gpu"], 2)

    def test_refused_writes_leave_nothing_behind_across_a_restart(self):
        self.department("d", deserved={"gpu": 1})
        self.invalid("POST", "/api/v1/projects", {"name": "p", "department": "d",
                                                  "deserved": {"gpu": 2}}, "deserved.gpu")
        self.d.stop()
        self.d.start()
        self.assertIsNone(self.get("projects", "p"))
        self.project("p", department="d", deserved={"gpu": 1})


class NeverFitsTest(AdmissionTest):
    gpus = "1xA100-80GiB,1xT4-16GiB"

    def node(self):
        return self.d.request("GET", "/api/v1/nodes")[1]["items"][0]

    def submit_refused(self, field, *texts, **request):
        body = dict(name="big", project="p", command=["true"], **request)
        message = self.invalid("POST", "/api/v1/workloads", body, field, *texts)
        self.assertIsNone(self.d.workload("big"))
        return message

    def test_requests_no_node_could_hold_are_refused_naming_the_field(self):
        self.project("p")
        node = self.node()
        self.submit_refused("gpu", "no node can ever hold 3 GPUs per task: the largest has 2",
                            "queue_anyway", gpu=3)
        self.submit_refused("gpu_memory_mib", "no GPU can ever hold 100000 MiB per device: the "
                            "largest has 81920 MiB", gpu_memory_mib=100000)
        # 20,000 MiB fits the A100 only: not on two devices of one node
        self.submit_refused("gpu_device_count", "20000 MiB on each of 2 GPUs",
                            "the most one node has with that much memory is 1",
                            gpu_memory_mib=20000, gpu_device_count=2)
        self.submit_refused("gpu_device_count", "a share of 3 GPUs per task: the largest has 2",
                            gpu_fraction=0.5, gpu_device_count=3)
        self.submit_refused("cpu_millis", "no node can ever hold", "of CPU per task",
                            cpu_millis=node["cpu_millis"] + 1000)
        self.submit_refused("memory_bytes", "of memory per task: the largest has",
                            memory_bytes=node["memory_bytes"] + (1 << 30))
        self.submit_refused("queue_anyway", "must be true or false", gpu=3, queue_anyway="yes")
        self.submit_refused("queue_anyway", "must be true or false", queue_anyway=1)

    def test_what_fits_a_node_exactly_is_taken(self):
        self.project("p")
        node = self.node()
        self.submit("whole", "p", SLEEP, gpu=2, cpu_millis=node["cpu_millis"],
                    memory_bytes=node["memory_bytes"])
        self.d.wait_state("whole", "running")  # its process recorded: the test stops it
        self.submit("spread", "p", SLEEP, gpu_memory_mib=16000, gpu_device_count=2)
        self.submit("share", "p", SLEEP, gpu_fraction=0.25, gpu_device_count=2,
                    queue_anyway=False)
        # judged per task: a gang larger than the cluster is not refused here
        self.submit("gang", "p", SLEEP, gpu=1, workers=3)

    def test_queue_anyway_queues_it_with_the_reason(self):
        self.project("p")
        w = self.submit("later", "p", ["true"], gpu=3, queue_anyway=True)
        self.assertEqual(w["state"], "pending")
        w = wait_until(lambda: (x := self.d.workload("later"))["reason_code"] and x,
                       what="a pending reason")
        self.assertEqual(w["reason_code"], "no_node_fits")
        self.assertNotIn("queue_anyway", w)

    def test_the_cli_refuses_and_says_why_unless_queued_anyway(self):
        self.project("p")
        self.cli_fails(("workload", "submit", "big", "-p", "p", "--gpu", "3", "--", "true"), 2,
                       "no node can ever hold 3 GPUs per task: the largest has 2", "(--gpu)",
                       "--queue-anyway")
        self.cli_fails(("workload", "submit", "big", "-p", "p", "--gpu-memory", "100GiB", "--",
                        "true"), 2, "no GPU can ever hold 102400 MiB per device")
        self.assertIsNone(self.d.workload("big"))
        self.cli_fails(("workload", "submit", "big", "-p", "p", "--queue-anyway=yes", "--",
                        "true"), 2)
        out = self.d.cli("workload", "submit", "big", "-p", "p", "--gpu", "3", "--queue-anyway",
                         "--", "true").stdout
        self.assertIn("workload big submitted to project p", out)
        self.assertEqual(self.d.workload("big")["state"], "pending")


class ForceDeleteTest(AdmissionTest):
    def busy_project(self):
        """Project p with a running task that ignores SIGTERM and a pending workload; the
        running task's pid."""
        self.project("p")
        self.submit("runs", "p", STUBBORN, gpu=1)
        self.submit("waits", "p", ["true"], gpu=2)
        pid = self.d.wait_state("runs", "running")["tasks"][0]["pid"]
        wait_until(lambda: "ready" in str(self.d.request("GET", "/api/v1/workloads/runs/logs")[1]),
                   what="the trap to be set")
        return pid

    def test_a_project_with_live_workloads_asks_for_force(self):
        self.busy_project()
        message = self.refused("DELETE", "/api/v1/projects/p", None, 409, "failed_precondition",
                               None, "project p has 2 live workloads", "--force")
        self.assertIn("stops and deletes them", message)
        self.refused("DELETE", "/api/v1/projects/p?force=maybe", None, 400, "invalid_argument",
                     "force", "true or false")
        self.assertIsNotNone(self.get("projects", "p"))
        self.assertEqual(self.d.workload("runs")["state"], "running")
        self.cli_fails(("project", "delete", "p"), 4, "2 live workloads", "--force")

    def test_force_stops_the_workloads_then_removes_the_project(self):
        pid = self.busy_project()
        status, body, _ = self.d.request("DELETE", "/api/v1/projects/p?force=true")
        self.assertEqual((status, body["name"], body["deleting"]), (202, "p", True))
        self.assertIsNone(self.d.workload("waits"))  # pending: gone at once
        self.assertEqual(self.d.workload("runs")["state"], "deleting")
        # while it goes: no submit, no update; another delete says it is going
        self.refused("POST", "/api/v1/workloads",
                     {"name": "more", "project": "p", "command": ["true"]},
                     409, "failed_precondition", "project", "project p is being deleted")
        self.refused("PATCH", "/api/v1/projects/p", {"priority": 1}, 409, "failed_precondition",
                     None, "being deleted")
        self.assertEqual(self.d.request("DELETE", "/api/v1/projects/p")[0], 202)
        self.assertTrue(self.get("projects", "p")["deleting"])
        wait_until(lambda: self.get("projects", "p") is None, timeout=20, what="p gone")
        wait_until(lambda: not pid_alive(pid), what="the task to be killed")
        self.assertIsNone(self.d.workload("runs"))
        self.d.stop()
        self.d.start()
        self.assertIsNone(self.get("projects", "p"))
        self.assertEqual(self.d.request("GET", "/api/v1/workloads")[1]["total"], 0)
        # the names are free again
        self.project("p")
        self.submit("runs", "p", ["true"])

    def test_the_cli_deletes_with_force(self):
        pid = self.busy_project()
        out = self.d.cli("project", "delete", "p", "--force").stdout
        self.assertIn("project p is being deleted: its workloads are stopping", out)
        wait_until(lambda: self.get("projects", "p") is None, timeout=20, what="p gone")
        wait_until(lambda: not pid_alive(pid), what="the task to be killed")
        self.project("q")
        self.submit("done", "q", ["true"])
        self.d.wait_state("done", "succeeded")
        self.assertEqual(self.d.cli("project", "delete", "q", "--force").stdout.strip(),
                         "project q deleted")
        self.cli_fails(("project", "delete", "q", "--force"), 3, "no project named")

    def test_force_with_nothing_running_deletes_at_once(self):
        self.project("p")
        self.submit("waits", "p", ["true"], gpu=2, queue_anyway=True)
        self.submit("done", "p", ["true"])
        self.d.wait_state("done", "succeeded")
        status, body, _ = self.d.request("DELETE", "/api/v1/projects/p?force=1")
        self.assertEqual((status, body), (200, {"name": "p", "deleted": True}))
        self.assertEqual(self.d.request("GET", "/api/v1/workloads")[1]["total"], 0)

    def test_a_department_with_projects_is_refused_even_with_force(self):
        self.department("d")
        self.project("a", department="d")
        self.project("b", department="d")
        for path in ("/api/v1/departments/d", "/api/v1/departments/d?force=true"):
            self.refused("DELETE", path, None, 409, "failed_precondition", None,
                         "department d still has 2 projects (a, b)", "never projects")
        self.cli_fails(("department", "delete", "d"), 4, "still has 2 projects")
        self.cli_fails(("department", "delete", "d", "--force"), 2, "unknown option '--force'")
        self.d.request("DELETE", "/api/v1/projects/a")
        self.d.request("DELETE", "/api/v1/projects/b")
        status, body, _ = self.d.request("DELETE", "/api/v1/departments/d?force=true")
        self.assertEqual((status, body), (200, {"name": "d", "deleted": True}))


class ForceDeleteRestartTest(AdmissionTest):
    grace = 8  # long enough for allotd to restart while the task is still being stopped

    def test_a_delete_in_progress_survives_a_restart(self):
        self.project("p")
        self.submit("runs", "p", STUBBORN)
        pid = self.d.wait_state("runs", "running")["tasks"][0]["pid"]
        wait_until(lambda: "ready" in str(self.d.request("GET", "/api/v1/workloads/runs/logs")[1]),
                   what="the trap to be set")
        self.assertEqual(self.d.request("DELETE", "/api/v1/projects/p?force=true")[0], 202)
        self.d.stop()
        self.assertTrue(pid_alive(pid))  # the task outlives allotd, still to be stopped
        self.d.start()
        self.assertTrue(self.get("projects", "p")["deleting"])
        self.assertEqual(self.d.workload("runs")["state"], "deleting")
        wait_until(lambda: self.get("projects", "p") is None, timeout=30, what="p gone")
        wait_until(lambda: not pid_alive(pid), what="the task to be killed")


if __name__ == "__main__":
    unittest.main()
