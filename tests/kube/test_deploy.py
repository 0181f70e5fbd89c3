"""test_deploy.py - deploy/ against a real API server: it applies cleanly (twice), KAI-style
Queue and PodGroup objects are accepted with every field KAI users set and read back unchanged,
malformed ones are refused naming the field, and allot's service account may do what the
scheduler does and no more. Also checks the test cluster itself: nodes played by the test are
Ready with their GPUs, and a Job's pod waits for allot."""
import json
import os
import unittest

from cluster import ROOT, Cluster, wait_until

DEPLOY = os.path.join(ROOT, "deploy")
SA = "system:serviceaccount:allot-system:allot"


class DeployTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster().__enter__()
        cls.c.kubectl("apply", "-R", "-f", DEPLOY)
        wait_until(lambda: cls.c.kubectl("get", "queues", check=False).returncode == 0, 30,
                   "the Queue resource to be served")

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def get(self, *args):
        return json.loads(self.c.kubectl("get", "-o", "json", *args).stdout)

    def test_deploy_applies_again_unchanged(self):
        out = self.c.kubectl("apply", "-R", "-f", DEPLOY).stdout
        self.assertNotIn("configured", out)  # every object "unchanged"
        self.assertIn("unchanged", out)
        classes = {p["metadata"]["name"]: p["value"]
                   for p in self.get("priorityclasses")["items"]}
        self.assertEqual((classes["train"], classes["build-preemptible"], classes["build"],
                          classes["inference"]), (50, 75, 100, 125))

    def test_allotd_runs_as_the_scheduler_account_with_a_standby(self):
        d = self.get("deployment", "allotd", "-n", "allot-system")
        self.assertEqual(d["spec"]["replicas"], 2)  # one active (the Lease), one standing by
        pod_spec = d["spec"]["template"]["spec"]
        self.assertEqual(pod_spec["serviceAccountName"], "allot")
        args = pod_spec["containers"][0]["args"]
        self.assertEqual(args[:2], ["--backend", "kubernetes"])
        self.assertEqual(self.get("service", "allotd", "-n", "allot-system")["spec"]["ports"][0][
            "port"], 7373)

    def test_kai_queues_and_podgroups_are_accepted_as_written(self):
        department = {"apiVersion": "scheduling.run.ai/v2", "kind": "Queue",
                      "metadata": {"name": "research"},
                      "spec": {"displayName": "Research", "priority": 100, "resources": {
                          "gpu": {"quota": 16, "limit": -1, "overQuotaWeight": 1},
                          "cpu": {"quota": -1, "limit": -1, "overQuotaWeight": 1},
                          "memory": {"quota": -1, "limit": -1, "overQuotaWeight": 1}}}}
        project = {"apiVersion": "scheduling.run.ai/v2", "kind": "Queue",
                   "metadata": {"name": "team-a"},
                   "spec": {"parentQueue": "research", "preemptMinRuntime": "10m",
                            "reclaimMinRuntime": "5m", "resources": {
                                "gpu": {"quota": 4.5, "limit": 8, "overQuotaWeight": 2}}}}
        self.c.kubectl("create", "namespace", "team-a")
        group = {"apiVersion": "scheduling.run.ai/v2alpha2", "kind": "PodGroup",
                 "metadata": {"name": "train-1", "namespace": "team-a"},
                 "spec": {"queue": "team-a", "minMember": 4, "priorityClassName": "train",
                          "preemptibility": "preemptible",
                          "subGroups": [{"name": "workers", "minMember": 3},
                                        {"name": "leader", "minMember": 1}]}}
        self.c.apply([department, project, group])
        got = self.get("queue", "team-a")["spec"]
        self.assertEqual(got["parentQueue"], "research")
        self.assertEqual(got["resources"]["gpu"], {"quota": 4.5, "limit": 8, "overQuotaWeight": 2})
        self.assertEqual(self.get("queue", "research")["spec"]["resources"]["memory"]["quota"], -1)
        pg = self.get("podgroup", "train-1", "-n", "team-a")["spec"]
        self.assertEqual((pg["queue"], pg["minMember"], pg["preemptibility"]),
                         ("team-a", 4, "preemptible"))
        self.assertEqual([s["name"] for s in pg["subGroups"]], ["workers", "leader"])
        # The short name KAI users type.
        self.assertIn("train-1", self.c.kubectl("get", "pg", "-n", "team-a").stdout)

    def test_malformed_podgroups_are_refused_naming_the_field(self):
        self.c.kubectl("create", "namespace", "team-bad")
        for spec, field in (({"queue": "q", "minMember": 0}, "spec.minMember"),
                            ({"queue": "q", "preemptibility": "sometimes"},
                             "spec.preemptibility"),
                            ({"queue": "q", "subGroups": [{"minMember": 1}]},
                             "spec.subGroups[0].name"),
                            ({"queue": 7}, "spec.queue")):
            r = self.c.kubectl("apply", "-f", "-", check=False, input=json.dumps(
                {"apiVersion": "scheduling.run.ai/v2alpha2", "kind": "PodGroup",
                 "metadata": {"name": "bad", "namespace": "team-bad"}, "spec": spec}))
            self.assertNotEqual(r.returncode, 0, spec)
            self.assertIn(field, r.stderr, spec)

    def test_the_scheduler_account_may_do_what_allot_does(self):
        def can(verb, resource, namespace=None):
            args = ["auth", "can-i", verb, resource, "--as", SA]
            if namespace:
                args += ["-n", namespace]
            return self.c.kubectl(*args, check=False).stdout.strip() == "yes"

        for verb, resource in (("watch", "pods"), ("list", "nodes"), ("create", "pods/binding"),
                               ("create", "pods/eviction"), ("patch", "pods/status"),
                               ("get", "pods/log"), ("create", "events"),
                               ("watch", "priorityclasses.scheduling.k8s.io"),
                               ("watch", "queues.scheduling.run.ai"),
                               ("update", "podgroups.scheduling.run.ai/status"),
                               ("create", "podgroups.scheduling.run.ai"),
                               ("create", "jobs.batch"), ("get", "replicasets.apps")):
            self.assertTrue(can(verb, resource), "%s %s" % (verb, resource))
        self.assertTrue(can("update", "leases.coordination.k8s.io", "allot-system"))
        for verb, resource in (("delete", "nodes"), ("create", "secrets"), ("get", "secrets"),
                               ("update", "leases.coordination.k8s.io")):  # not cluster-wide
            self.assertFalse(can(verb, resource), "%s %s" % (verb, resource))

    def test_the_test_cluster_plays_kubelets_and_runs_controllers(self):
        self.c.add_gpu_node("gpu-0", gpus=8)
        node = self.get("node", "gpu-0")
        self.assertEqual(node["status"]["allocatable"]["nvidia.com/gpu"], "8")
        self.assertEqual(node["metadata"]["labels"]["nvidia.com/gpu.product"],
                         "NVIDIA-H100-80GB-HBM3")
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
        self.assertEqual(ready[0]["status"], "True")
        self.c.kubectl("create", "namespace", "team-j")
        self.c.apply({"apiVersion": "batch/v1", "kind": "Job",
                      "metadata": {"name": "one", "namespace": "team-j"},
                      "spec": {"template": {"spec": {
                          "restartPolicy": "Never", "schedulerName": "allot",
                          "containers": [{"name": "c", "image": "busybox"}]}}}})
        wait_until(lambda: self.get("pods", "-n", "team-j")["items"], 30, "the Job's pod")
        pod = self.get("pods", "-n", "team-j")["items"][0]
        self.assertEqual(pod["spec"]["schedulerName"], "allot")
        self.assertNotIn("nodeName", pod["spec"])  # no scheduler but allot binds it


if __name__ == "__main__":
    unittest.main()
