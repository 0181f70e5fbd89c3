"""test_semi_preemptible.py - semi-preemptible workloads through allotd: "preemptibility":
"semi-preemptible" (allot workload submit --semi-preemptible) is stored and survives a restart,
its first min_members workers run within deserved quota and the workers beyond over it, the
snapshot carries it, describe says so; a bad or contradictory value is refused naming the
field."""
import json
import unittest

from harness import DaemonTest, wait_until

SLEEP = ["sleep", "300"]


class SemiPreemptibleTest(DaemonTest):
    gpus = "4xA100-80GiB"

    def running(self, name):
        w = self.d.workload(name)
        return sum(t["state"] == "running" for t in w["tasks"])

    def test_core_within_deserved_extras_over_quota_and_kept_across_a_restart(self):
        self.project("team-a", deserved={"gpu": 1})
        self.d.cli("workload", "submit", "semi", "-p", "team-a", "--gpu", "1", "--workers", "3",
                   "--min-members", "1", "--semi-preemptible", "--", *SLEEP)
        # the core of 1 fits the deserved GPU; the 2 workers beyond run over quota
        wait_until(lambda: self.running("semi") == 3, what="3 workers running")
        w = self.d.workload("semi")
        self.assertEqual((w["preemptibility"], w["preemptible"]), ("semi-preemptible", False))
        # a non-preemptible worker finds the deserved quota taken by the core
        self.submit("np", "team-a", SLEEP, gpu=1, preemptible=False)
        np = wait_until(lambda: (x := self.d.workload("np"))["reason"] and x, what="a reason")
        self.assertEqual(np["state"], "pending")
        self.assertIn("within deserved quota", np["reason"])
        out = self.d.cli("workload", "describe", "semi").stdout
        self.assertIn("semi (the first 1 workers are not)", out)
        snap = self.d.request("GET", "/api/v1/snapshot")[1]
        job = [j for j in snap["jobs"] if j["name"] == "semi"][0]
        self.assertEqual((job["preemptibility"], job["preemptible"]), ("semi-preemptible", False))
        self.d.stop()
        self.d.start()
        self.assertEqual(self.d.workload("semi")["preemptibility"], "semi-preemptible")

    def test_a_core_over_deserved_quota_is_refused_with_its_part_named(self):
        self.project("team-a", deserved={"gpu": 1})
        self.submit("big", "team-a", SLEEP, gpu=1, workers=3, min_members=2,
                    preemptibility="semi-preemptible")
        w = wait_until(lambda: (x := self.d.workload("big"))["reason"] and x, what="a reason")
        self.assertEqual(w["state"], "pending")
        self.assertIn("semi-preemptible core (first 2 tasks)", w["reason"])

    def test_bad_values_name_the_field(self):
        self.project("p")
        cases = [
            {"preemptibility": "sometimes"},
            {"preemptibility": 3},
            {"preemptibility": "semi-preemptible", "preemptible": True},
            {"preemptibility": "preemptible", "preemptible": False},
        ]
        for fields in cases:
            status, body, _ = self.d.request(
                "POST", "/api/v1/workloads", dict(name="w", project="p", command=["true"],
                                                  **fields))
            self.assertEqual((status, body["error"]["field"]), (400, "preemptibility"), fields)
        r = self.d.cli("workload", "submit", "x", "-p", "p", "--semi-preemptible",
                       "--non-preemptible", "--", "true", check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--semi-preemptible", r.stderr)
        listed = json.loads(self.d.cli("workload", "list", "--json").stdout)
        self.assertEqual(listed, [])


if __name__ == "__main__":
    unittest.main()
