"""test_reclaim_policy.py - the preemption and reclaim policy knobs through allotd: a workload
with "preemption_policy": "Never" (allot workload submit --preemption-policy Never) evicts
nothing and waits; allotd --queue-priority-in-quota-reclaim lets a project of higher priority
take back what a lower-priority project holds within its deserved quota, which it never does
without the flag."""
import unittest

from harness import DaemonTest, wait_until

SLEEP = ["sleep", "300"]


def two_projects(t):
    """low (priority 80) fills both GPUs within its deserved quota; high (priority 120) asks."""
    t.project("low", deserved={"gpu": 2}, priority=80)
    t.project("high", deserved={"gpu": 2}, priority=120)
    for name in ("l0", "l1"):
        t.submit(name, "low", SLEEP, gpu=1, priority="train")
        t.d.wait_state(name, "running")
    t.submit("h", "high", SLEEP, gpu=1, priority="train")


class InQuotaReclaimOffTest(DaemonTest):
    def test_in_quota_resources_stay_without_the_flag(self):
        two_projects(self)
        h = wait_until(lambda: (x := self.d.workload("h"))["reason"] and x, what="a reason")
        self.assertEqual(h["state"], "pending")
        self.assertEqual(self.d.workload("l1")["state"], "running")
        snap = self.d.request("GET", "/api/v1/snapshot")[1]
        self.assertNotIn("queue_priority_in_quota_reclaim", snap["config"])


class InQuotaReclaimOnTest(DaemonTest):
    args = ("--queue-priority-in-quota-reclaim",)

    def test_a_higher_priority_project_reclaims_in_quota_resources(self):
        two_projects(self)
        self.d.wait_state("h", "running", timeout=30)
        states = sorted(self.d.workload(n)["state"] for n in ("l0", "l1"))
        self.assertEqual(states[0], "pending")  # one of low's went back to wait
        snap = self.d.request("GET", "/api/v1/snapshot")[1]
        self.assertIs(snap["config"]["queue_priority_in_quota_reclaim"], True)


class PreemptionPolicyTest(DaemonTest):
    def test_a_never_workload_waits_instead_of_preempting(self):
        self.project("team", deserved={"gpu": 2})
        for name in ("t0", "t1"):
            self.submit(name, "team", SLEEP, gpu=1, priority="train")
            self.d.wait_state(name, "running")
        self.d.cli("workload", "submit", "never", "-p", "team", "--gpu", "1", "--priority",
                   "inference", "--preemption-policy", "Never", "--", *SLEEP)
        w = wait_until(lambda: (x := self.d.workload("never"))["reason"] and x, what="a reason")
        self.assertEqual((w["state"], w["preemption_policy"]), ("pending", "Never"))
        self.assertIn("preemption policy is Never", w["reason"])
        self.assertEqual([self.d.workload(n)["state"] for n in ("t0", "t1")],
                         ["running", "running"])
        self.assertIn("Never (it evicts nothing", self.d.cli("workload", "describe",
                                                             "never").stdout)
        # the same request without the policy preempts
        self.submit("urgent", "team", SLEEP, gpu=1, priority="inference")
        self.d.wait_state("urgent", "running", timeout=30)

    def test_a_bad_policy_names_the_field(self):
        self.project("p")
        status, body, _ = self.d.request(
            "POST", "/api/v1/workloads", dict(name="w", project="p", command=["true"],
                                              preemption_policy="Sometimes"))
        self.assertEqual((status, body["error"]["field"]), (400, "preemption_policy"))
        r = self.d.cli("workload", "submit", "x", "-p", "p", "--preemption-policy", "Sometimes",
                       "--", "true", check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--preemption-policy", r.stderr)


if __name__ == "__main__":
    unittest.main()
