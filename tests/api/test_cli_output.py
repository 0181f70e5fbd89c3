"""test_cli_output.py - what allot prints: -o json|yaml|wide|name on every command, --no-headers,
errors as documents under -o json|yaml, one exit-code scheme whichever side checked, partial
states and short reasons, deleting many workloads at once, and `allot snapshot`."""
import json
import os
import subprocess
import tempfile

import yaml

from harness import ALLOT, DaemonTest, wait_until


class OutputTest(DaemonTest):
    def setUp(self):
        super().setUp()
        self.d.cli("project", "create", "team-a", "--gpu-deserved", "1")

    def test_formats_of_lists_and_objects(self):
        self.d.cli("workload", "submit", "w1", "-p", "team-a", "--gpu", "1", "--", "sleep", "60")
        self.d.wait_state("w1", "running")
        as_json = json.loads(self.d.cli("workload", "list", "-o", "json").stdout)
        as_yaml = yaml.safe_load(self.d.cli("workload", "list", "-o", "yaml").stdout)
        self.assertEqual(as_json, as_yaml)
        self.assertEqual(json.loads(self.d.cli("workload", "list", "--json").stdout), as_json)
        self.assertEqual(self.d.cli("workload", "list", "-o", "name").stdout, "workload/w1\n")
        self.assertEqual(self.d.cli("project", "list", "-oname").stdout, "project/team-a\n")
        self.assertEqual(self.d.cli("node", "list", "--output=name").stdout.split()[0][:5], "node/")
        wide = self.d.cli("workload", "list", "-o", "wide").stdout.splitlines()
        self.assertEqual(wide[0].split()[-3:], ["KIND", "PRIORITY", "REQUEST"])
        header = self.d.cli("workload", "list").stdout.splitlines()[0].split()
        self.assertEqual(header[2:4], ["STATE", "RESTARTS"])
        plain = self.d.cli("workload", "list", "--no-headers").stdout.splitlines()
        self.assertEqual(len(plain), 1)
        self.assertTrue(plain[0].startswith("w1 "), plain)
        described = yaml.safe_load(self.d.cli("workload", "describe", "w1", "-o", "yaml").stdout)
        self.assertEqual(described["name"], "w1")
        self.assertIn("events", described)
        q = yaml.safe_load(self.d.cli("project", "describe", "team-a", "-o", "yaml").stdout)
        self.assertEqual(q["deserved"]["gpu"], 1)
        self.assertIsInstance(json.loads(self.d.cli("top", "-o", "json").stdout), list)
        made = json.loads(self.d.cli("project", "create", "team-b", "-o", "json").stdout)
        self.assertEqual(made["name"], "team-b")
        self.assertEqual(self.d.cli("project", "delete", "team-b", "-o", "name").stdout,
                         "project/team-b\n")
        r = self.d.cli("workload", "list", "-o", "xml", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("'xml' is not a format", r.stderr)

    def test_errors_are_documents_under_json_and_share_one_exit_scheme(self):
        r = self.d.cli("workload", "describe", "nope", "-o", "json", check=False)
        self.assertEqual(r.returncode, 3)
        self.assertEqual(r.stdout, "")
        err = json.loads(r.stderr)["error"]
        self.assertEqual(err["code"], "not_found")
        self.assertIn("nope", err["message"])
        r = self.d.cli("project", "create", "team-a", "-o", "yaml", check=False)
        self.assertEqual(r.returncode, 4)
        self.assertEqual(yaml.safe_load(r.stderr)["error"]["code"], "already_exists")
        r = self.d.cli("workload", "submit", "x", "-p", "team-a", "--gpu-portion", "2", "--json",
                       "--", "true", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(json.loads(r.stderr)["error"]["code"], "usage")
        # the same mistake caught by allotd rather than by allot: the same status
        status, body, _ = self.d.request("POST", "/api/v1/workloads",
                                         {"name": "x", "project": "team-a", "command": ["true"],
                                          "gpu_fraction": 2})
        self.assertEqual(status, 400, body)
        r = self.d.cli("workload", "submit", "Bad_Name", "-p", "team-a", "--", "true",
                       check=False)
        self.assertEqual(r.returncode, 2, r.stderr)  # a name allotd refuses (400)
        self.assertIn("(NAME)", r.stderr)  # named as the user typed it, not as a JSON field
        r = self.d.cli("workload", "submit", "x", "-p", "missing", "--", "true", check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("(--project)", r.stderr)
        r = self.d.cli("department", "delete", "nope", check=False)
        self.assertEqual(r.returncode, 3)

    def test_partial_state_and_its_reason(self):
        self.d.cli("workload", "submit", "el", "-p", "team-a", "--gpu", "1", "--workers", "4",
                   "--min-members", "2", "--", "sleep", "60")
        w = wait_until(lambda: (w := self.d.workload("el"))["reason_short"] and
                       w["state"] == "running" and w, what="el partly running with a reason")
        self.assertEqual(sorted(t["state"] for t in w["tasks"]),
                         ["pending", "pending", "running", "running"])
        row = [line for line in self.d.cli("workload", "list").stdout.splitlines()
               if line.startswith("el ")][0]
        self.assertIn("2/4 running", row)
        self.assertTrue(row.rstrip().endswith(w["reason_short"]), row)
        described = self.d.cli("workload", "describe", "el").stdout
        self.assertIn("2/4 running", described)
        self.assertIn("Pending reason:  %s: " % w["reason_short"], described)

    def test_node_list_top_and_the_api_agree(self):
        self.d.cli("workload", "submit", "half", "-p", "team-a", "--gpu-portion", "0.5", "--",
                   "sleep", "60")
        self.d.wait_state("half", "running")
        self.d.cli("workload", "submit", "big", "-p", "team-a", "--gpu", "2", "--", "sleep", "60")
        self.d.cli("workload", "submit", "mem", "-p", "team-a", "--gpu-memory", "40GiB",
                   "--workers", "4", "--", "sleep", "60")  # 4 x half a device: cannot fit yet
        q = wait_until(lambda: (q := self.d.request("GET", "/api/v1/projects/team-a")[1])
                       ["status"]["requested"]["gpu"] == 4.5 and q, what="the cycle's figures")
        status = q["status"]
        self.assertEqual((status["allocated"]["gpu"], status["pending"]["gpu"]), (0.5, 4))
        top = [l.split() for l in self.d.cli("top").stdout.splitlines() if " team-a " in l][0]
        self.assertEqual(top[-2:], ["0.5", "4"])  # ALLOCATED, PENDING
        nodes = self.d.request("GET", "/api/v1/nodes")[1]["items"]
        row = self.d.cli("node", "list", "--no-headers").stdout.split()
        self.assertEqual(row[0], nodes[0]["name"])
        self.assertIn("0.5/2", row)  # GPU ALLOCATED: the API's allocated.gpu
        self.assertEqual(nodes[0]["allocated"]["gpu"], 0.5)
        self.assertIn("1/2", row)  # DEVICES IN USE

    def test_delete_many(self):
        self.d.cli("project", "create", "team-b")
        for name, project in [("a1", "team-a"), ("a2", "team-a"), ("b1", "team-b")]:
            self.d.cli("workload", "submit", name, "-p", project, "--", "sleep", "60")
        self.d.cli("workload", "submit", "done", "-p", "team-b", "--", "true")
        self.d.wait_state("done", "succeeded")
        for args, what in [(["workload", "delete", "--all"], "need -p PROJECT"),
                           (["workload", "delete"], "no workload NAME given"),
                           (["workload", "delete", "a1", "--all", "-p", "team-a"], "not both"),
                           (["workload", "delete", "--state", "weird", "-A"], "not a state")]:
            r = self.d.cli(*args, check=False)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(what, r.stderr)
        out = json.loads(self.d.cli("workload", "delete", "--state", "succeeded", "-A", "-o",
                                    "json").stdout)
        self.assertEqual([(o["name"], o["outcome"]) for o in out], [("done", "deleted")])
        r = self.d.cli("workload", "delete", "-p", "team-a", "--all", "--wait")
        self.assertEqual(sorted(r.stdout.splitlines()), ["workload a1 deleted",
                                                         "workload a2 deleted"])
        self.assertIsNone(self.d.workload("a1"))
        self.assertIsNotNone(self.d.workload("b1"))
        # several names; a missing one fails the command, the others still go
        r = self.d.cli("workload", "delete", "nope", "b1", "--wait", check=False)
        self.assertEqual(r.returncode, 3)
        self.assertIsNone(self.d.workload("b1"))

    def test_labels_select_what_to_list_and_delete(self):
        for name, labels in [("v1", ["team=vision", "tier=dev"]), ("v2", ["team=vision"]),
                             ("n1", ["team=nlp", "tier=dev"]), ("plain", [])]:
            args = [a for label in labels for a in ("-l", label)]
            self.d.cli("workload", "submit", name, "-p", "team-a", *args, "--", "sleep", "60")
        self.assertEqual(self.d.workload("v1")["labels"], {"team": "vision", "tier": "dev"})
        self.assertEqual(self.d.workload("plain")["labels"], {})

        def names(*selector):
            out = self.d.cli("workload", "list", "-o", "name", *selector).stdout.split()
            return sorted(n.split("/")[1] for n in out)
        self.assertEqual(names("-l", "team=vision"), ["v1", "v2"])
        self.assertEqual(names("-l", "team=vision,tier=dev"), ["v1"])
        self.assertEqual(names("-l", "tier!=dev"), ["plain", "v2"])
        self.assertEqual(names("-l", "tier"), ["n1", "v1"])
        self.assertEqual(names("-l", "!team"), ["plain"])
        self.assertEqual(names("--selector=team==nlp"), ["n1"])
        for bad in ("a=b=c", "=x", "a!b", "a,,b"):
            r = self.d.cli("workload", "list", "-l", bad, check=False)
            self.assertEqual(r.returncode, 2, (bad, r.stderr))
        r = self.d.cli("workload", "delete", "-l", "team=vision", "-p", "team-a", "--wait")
        self.assertEqual(sorted(r.stdout.splitlines()), ["workload v1 deleted",
                                                         "workload v2 deleted"])
        self.assertEqual(names(), ["n1", "plain"])
        # allotd refuses labels that are not labels, naming the label
        for labels, field in [({"bad key": "x"}, "labels.bad key"), ({"k": "-x"}, "labels.k"),
                              ({"k": 5}, "labels.k"), ("tier=dev", "labels"),
                              ({"a" * 64: "x"}, "labels." + "a" * 64)]:
            status, body, _ = self.d.request("POST", "/api/v1/workloads",
                                             {"name": "x", "project": "team-a", "command": ["true"],
                                              "labels": labels})
            self.assertEqual((status, body["error"]["field"]), (400, field), body)
        status, body, _ = self.d.request(
            "POST", "/api/v1/workloads", {"name": "pfx", "project": "team-a", "command": ["true"],
                                          "labels": {"example.com/owner": "me", "empty": ""}})
        self.assertEqual(status, 201, body)
        r = self.d.cli("workload", "submit", "y", "-p", "team-a", "-l", "bad key=x", "--", "true",
                       check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("(--label)", r.stderr)
        # they survive a restart
        self.d.stop()
        self.d.start()
        self.assertEqual(self.d.workload("n1")["labels"], {"team": "nlp", "tier": "dev"})

    def test_logs_as_a_document(self):
        self.d.cli("workload", "submit", "talk", "-p", "team-a", "--", "sh", "-c",
                   "echo one; echo two")
        self.d.wait_state("talk", "succeeded")
        doc = json.loads(self.d.cli("workload", "logs", "talk", "-o", "json").stdout)
        self.assertEqual(doc, {"name": "talk", "project": "team-a", "task": 0,
                               "log": "one\ntwo\n"})
        self.assertEqual(yaml.safe_load(self.d.cli("workload", "logs", "talk", "--tail", "1",
                                                   "-o", "yaml").stdout)["log"], "two\n")
        for args in (["-f", "--json"], ["-o", "name"]):
            r = self.d.cli("workload", "logs", "talk", *args, check=False)
            self.assertEqual(r.returncode, 2, args)
        r = self.d.cli("workload", "logs", "nope", "--json", check=False)
        self.assertEqual((r.returncode, json.loads(r.stderr)["error"]["code"]), (3, "not_found"))

    def test_snapshot_saves_the_live_state_for_replay(self):
        self.d.cli("workload", "submit", "w1", "-p", "team-a", "--gpu", "1", "--", "sleep", "60")
        self.d.wait_state("w1", "running")
        path = os.path.join(tempfile.mkdtemp(prefix="allot-snap-"), "live.json")
        r = self.d.cli("snapshot", "-o", path)
        self.assertIn("snapshot saved to", r.stderr)
        with open(path) as f:
            snap = json.load(f)
        self.assertIn("w1", [j["name"] for j in snap["jobs"]])
        replay = subprocess.run([ALLOT, "replay", path], capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(replay.returncode, 0, replay.stderr)
        self.assertEqual(json.loads(self.d.cli("snapshot").stdout)["jobs"][0]["name"], "w1")
        r = self.d.cli("snapshot", "-o", "/nonexistent/dir/x.json", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot write /nonexistent/dir/x.json", r.stderr)
