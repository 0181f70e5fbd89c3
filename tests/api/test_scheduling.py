"""test_scheduling.py - quotas, fair share, over-quota lending, fractional sharing and gangs as
seen through allotd's API, with real processes on virtual GPUs."""
import os
import unittest

from harness import DaemonTest, wait_until

SLEEP = ["sleep", "300"]


class QuotaTest(DaemonTest):
    gpus = "2x80GiB"

    def test_idle_quota_is_lent_and_fair_share_follows_requests(self):
        self.project("team-a", deserved={"gpu": 1})
        self.project("team-b", deserved={"gpu": 1})
        self.submit("a1", "team-a", SLEEP, gpu=1)
        self.submit("a2", "team-a", SLEEP, gpu=1)
        self.d.wait_state("a1", "running")
        self.d.wait_state("a2", "running")  # team-b's idle GPU is lent to team-a
        a = self.d.request("GET", "/api/v1/projects/team-a")[1]["status"]
        self.assertEqual(a["fair_share"]["gpu"], 2)
        self.assertEqual(a["allocated"]["gpu"], 2)
        # team-b now wants its quota: fair share moves to 1 and 1, and reclaim takes the
        # borrowed GPU back (test_reclaim.py has the details)
        self.submit("b1", "team-b", SLEEP, gpu=1)
        self.d.wait_state("b1", "running", timeout=30)
        projects = {p["name"]: p["status"] for p in
                    self.d.request("GET", "/api/v1/projects")[1]["items"]}
        self.assertEqual(projects["team-a"]["fair_share"]["gpu"], 1)
        self.assertEqual(projects["team-b"]["fair_share"]["gpu"], 1)
        states = sorted(self.d.workload(n)["state"] for n in ("a1", "a2"))
        self.assertEqual(states, ["pending", "running"])
        # the lender's running workload ends: its requeued one gets the GPU back
        running = "a1" if self.d.workload("a1")["state"] == "running" else "a2"
        self.d.request("DELETE", "/api/v1/workloads/" + running)
        self.d.wait_state("a2" if running == "a1" else "a1", "running", timeout=30)

    def test_status_counts_each_projects_workloads_and_sums_them_in_the_department(self):
        status, _, _ = self.d.request("POST", "/api/v1/departments",
                                      {"name": "research", "deserved": {"gpu": 2}})
        self.assertEqual(status, 201)
        self.project("vision", department="research", deserved={"gpu": 1})
        self.project("speech", department="research", deserved={"gpu": 1})
        self.submit("v-run", "vision", SLEEP, gpu=1)
        self.submit("s-run", "speech", SLEEP, gpu=1)
        self.d.wait_state("v-run", "running")
        self.d.wait_state("s-run", "running")
        self.submit("v-wait", "vision", SLEEP, gpu=2)  # the two GPUs are taken
        wait_until(lambda: self.d.workload("v-wait")["reason"], what="a reason")
        listed = {p["name"]: p["status"] for p in
                  self.d.request("GET", "/api/v1/projects")[1]["items"]}
        for name, (waiting, running, gpus) in {"vision": (1, 1, 2), "speech": (0, 1, 0)}.items():
            one = self.d.request("GET", "/api/v1/projects/" + name)[1]["status"]
            for status in (listed[name], one):  # the list and the project agree
                self.assertEqual(status["workloads"], {"pending": waiting, "running": running})
                self.assertEqual(status["pending"]["gpu"], gpus)
        dept = self.d.request("GET", "/api/v1/departments/research")[1]["status"]
        self.assertEqual(dept["workloads"], {"pending": 1, "running": 2})
        self.assertEqual(dept["pending"]["gpu"], 2)
        listed = self.d.request("GET", "/api/v1/departments")[1]["items"]
        self.assertEqual([d["status"]["workloads"] for d in listed if d["name"] == "research"],
                         [{"pending": 1, "running": 2}])

    def test_limit_blocks_with_a_reason(self):
        self.project("capped", deserved={"gpu": 0}, limit={"gpu": 1})
        self.submit("c1", "capped", SLEEP, gpu=1)
        self.submit("c2", "capped", SLEEP, gpu=1)
        self.d.wait_state("c1", "running")
        w = wait_until(lambda: (w := self.d.workload("c2"))["reason_code"] and w, what="reason")
        self.assertEqual(w["reason_code"], "over_limit")
        self.assertIn("capped", w["reason"])
        self.assertEqual(w["queue_position"], 1)
        # raising the limit through the API lets it run
        status, body, _ = self.d.request("PATCH", "/api/v1/projects/capped",
                                         {"limit": {"gpu": 2}})
        self.assertEqual(status, 200, body)
        self.d.wait_state("c2", "running")
        events = self.d.request("GET", "/api/v1/workloads/c2/events")[1]["items"]
        kinds = [e["kind"] for e in events]
        self.assertEqual(kinds[0], "submitted")
        self.assertIn("pending", kinds)
        self.assertIn("scheduled", kinds)
        self.assertIn("started", kinds)


class QueuePositionTest(DaemonTest):
    gpus = "1x80GiB"

    def test_list_pages_and_single_gets_show_the_engines_order(self):
        """Positions follow the engine's job order per project (priority first), and a list page
        (ranked by one sort) agrees with single GETs (ranked by a scan)."""
        self.project("p1", deserved={"gpu": 0}, limit={"gpu": 0})
        self.project("p2", deserved={"gpu": 0}, limit={"gpu": 0})
        answered = {}
        for name, project, priority in (("low", "p1", 10), ("high", "p1", 100),
                                        ("other", "p2", 10), ("mid", "p1", 50)):
            answered[name] = self.submit(name, project, SLEEP, gpu=1,
                                         priority=priority)["queue_position"]
        self.assertEqual(answered, {"low": 1, "high": 1, "other": 1, "mid": 2})
        want = {"high": 1, "mid": 2, "low": 3, "other": 1}
        for name, position in want.items():
            self.assertEqual(self.d.workload(name)["queue_position"], position, name)
        items = self.d.request("GET", "/api/v1/workloads?limit=1000")[1]["items"]
        self.assertEqual({w["name"]: w["queue_position"] for w in items}, want)
        page = self.d.request("GET", "/api/v1/workloads?project=p1&limit=2&offset=1")[1]
        self.assertEqual([(w["name"], w["queue_position"]) for w in page["items"]],
                         [("high", 1), ("mid", 2)])


class FractionTest(DaemonTest):
    gpus = "1xA100-80GiB,1xT4-16GiB"

    def test_two_halves_share_one_device_and_see_it(self):
        self.project("team-a")
        cmd = ["sh", "-c", "echo dev=$CUDA_VISIBLE_DEVICES nv=$NVIDIA_VISIBLE_DEVICES "
                           "frac=$ALLOT_GPU_FRACTION mib=$ALLOT_GPU_MEMORY_LIMIT_MIB "
                           "w=$ALLOT_WORKLOAD p=$ALLOT_PROJECT; sleep 300"]
        self.submit("demo", "team-a", cmd, gpu_fraction=0.5)
        self.submit("demo-2", "team-a", cmd, gpu_fraction=0.5)
        a = self.d.wait_state("demo", "running")
        b = self.d.wait_state("demo-2", "running")
        self.assertEqual(a["gpu_devices"], b["gpu_devices"])
        self.assertEqual(len(a["gpu_devices"]), 1)
        dev = a["gpu_devices"][0]
        for name in ("demo", "demo-2"):
            text = wait_until(lambda: self.d.request(
                "GET", "/api/v1/workloads/%s/logs" % name)[1], what="log of " + name)
            mib = 40960 if dev == 0 else 8192
            self.assertEqual(text.strip(), "dev=%d nv=%d frac=0.500 mib=%d w=%s p=team-a"
                             % (dev, dev, mib, name))
        node = self.d.request("GET", "/api/v1/nodes")[1]["items"][0]
        self.assertEqual(node["gpus"][dev]["allocated"], 1.0)
        self.assertEqual(sorted(node["gpus"][dev]["workloads"]), ["demo", "demo-2"])
        self.assertEqual([g["model"] for g in node["gpus"]], ["A100", "T4"])

    def test_memory_request_picks_a_device_with_room(self):
        self.project("team-a")
        self.submit("big", "team-a", SLEEP, gpu_memory_mib=40000)
        w = self.d.wait_state("big", "running")
        self.assertEqual(w["gpu_devices"], [0])  # only the 80 GiB device has 40000 MiB


class GangTest(DaemonTest):
    gpus = "2x80GiB"

    def test_gang_waits_until_all_members_fit(self):
        self.project("team-a")
        self.submit("hog", "team-a", SLEEP, gpu=1)
        self.d.wait_state("hog", "running")
        self.submit("gang", "team-a", ["sleep", "300"], gpu=1, workers=2, min_members=2)
        w = wait_until(lambda: (w := self.d.workload("gang"))["reason_code"] and w,
                       what="gang reason")
        self.assertEqual(w["state"], "pending")
        self.assertIn(w["reason_code"], ("gang_incomplete", "no_node_fits"))
        self.assertTrue(all(t["state"] == "pending" for t in w["tasks"]))
        self.d.request("DELETE", "/api/v1/workloads/hog")
        w = self.d.wait_state("gang", "running")
        wait_until(lambda: all(t["state"] == "running"
                               for t in self.d.workload("gang")["tasks"]), what="both members")
        w = self.d.workload("gang")
        self.assertEqual(sorted(w["gpu_devices"]), [0, 1])
        self.assertIsNone(w["reason"])

    def test_elastic_job_starts_what_fits(self):
        self.project("team-a")
        self.submit("el", "team-a", SLEEP, gpu=1, workers=3, min_members=1)
        self.d.wait_state("el", "running")
        w = wait_until(lambda: (w := self.d.workload("el")) and
                       sum(t["state"] == "running" for t in w["tasks"]) == 2 and w,
                       what="two of three tasks")
        self.assertEqual([t["state"] for t in w["tasks"]].count("pending"), 1)


if __name__ == "__main__":
    unittest.main()
