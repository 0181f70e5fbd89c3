"""test_http.py - allotd's HTTP surface: tokens, malformed and oversized input, unknown paths."""
import os
import stat
import time
import unittest

from harness import DaemonTest, wait_until


class AuthTest(DaemonTest):
    def test_healthz_needs_no_token(self):
        status, body, _ = self.d.request("GET", "/healthz", token=False)
        self.assertEqual((status, body["status"], body["cycle_error"]), (200, "ok", None))

    def test_healthz_times_the_last_cycles(self):
        self.project("team-a")
        self.submit("w", "team-a", ["true"])
        body = wait_until(lambda: (b := self.d.request("GET", "/healthz", token=False)[1])
                          ["timing"]["window"] >= 2 and b, what="two cycles")
        self.assertGreaterEqual(body["cycles"], body["timing"]["window"])
        for part in ("poll_ms", "model_ms", "engine_ms", "record_ms", "cycle_ms"):
            t = body["timing"][part]
            self.assertTrue(0 <= t["p50"] <= t["p90"] <= t["max"], body)
        self.assertGreaterEqual(body["timing"]["cycle_ms"]["max"],
                                body["timing"]["engine_ms"]["max"])

    def test_missing_or_wrong_token_is_401_without_detail(self):
        for token in (False, "allot_wrong", "x" * 500):
            status, body, _ = self.d.request("GET", "/api/v1/projects", token=token)
            self.assertEqual(status, 401, token)
            self.assertEqual(body["error"]["code"], "unauthenticated")
            self.assertNotIn("allot_", body["error"]["message"])
        status, _, _ = self.d.request("GET", "/api/v1/projects",
                                      headers={"Authorization": "Basic abc"}, token=False)
        self.assertEqual(status, 401)

    def test_admin_token_file_is_private_and_works(self):
        path = os.path.join(self.d.state_dir, "admin.token")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        status, body, _ = self.d.request("GET", "/api/v1/projects")
        self.assertEqual(status, 200, body)

    def test_token_is_stored_hashed(self):
        import sqlite3
        db = sqlite3.connect(os.path.join(self.d.state_dir, "allot.db"))
        hashes = [row[0] for row in db.execute("SELECT hash FROM tokens")]
        db.close()
        self.assertEqual(len(hashes), 1)
        self.assertTrue(hashes[0].startswith("blake2b:"), hashes[0])  # issue 13
        self.assertNotIn(self.d.token, hashes[0])


class BadInputTest(DaemonTest):
    def expect_error(self, method, path, status, code, field=None, **kw):
        got, body, _ = self.d.request(method, path, **kw)
        self.assertEqual(got, status, body)
        self.assertEqual(body["error"]["code"], code, body)
        if field is not None:
            self.assertEqual(body["error"].get("field"), field, body)
        return body

    def test_malformed_json(self):
        body = self.expect_error("POST", "/api/v1/projects", 400, "invalid_argument",
                                 raw=b'{"name": "a",')
        self.assertIn("malformed JSON", body["error"]["message"])
        self.expect_error("POST", "/api/v1/projects", 400, "invalid_argument", raw=b"[1, 2]")
        self.expect_error("POST", "/api/v1/projects", 400, "invalid_argument", raw=b"")
        self.expect_error("POST", "/api/v1/projects", 400, "invalid_argument",
                          raw=b'{"name": "a", "name": "b"}')

    def test_wrong_types_and_unknown_fields_name_the_field(self):
        self.expect_error("POST", "/api/v1/projects", 400, "invalid_argument", "deserved.gpu",
                          body={"name": "p", "deserved": {"gpu": "two"}})
        self.expect_error("POST", "/api/v1/projects", 400, "invalid_argument", "colour",
                          body={"name": "p", "colour": "red"})
        self.expect_error("POST", "/api/v1/projects", 400, "invalid_argument", "name",
                          body={"name": "Bad Name"})
        self.expect_error("POST", "/api/v1/projects", 400, "invalid_argument", "department",
                          body={"name": "p", "department": "nowhere"})
        self.project("p")
        self.expect_error("POST", "/api/v1/projects", 409, "already_exists", "name",
                          body={"name": "p"})
        cases = [
            ({"gpu": "1"}, "gpu"),
            ({"gpu": -1}, "gpu"),
            ({"gpu_fraction": 1.5}, "gpu_fraction"),
            ({"gpu_fraction": 1e308}, "gpu_fraction"),
            ({"gpu_fraction": -1e308}, "gpu_fraction"),
            ({"gpu": 1, "gpu_fraction": 0.5}, "gpu"),
            ({"command": []}, "command"),
            ({"command": ["ok", 3]}, "command[1]"),
            ({"priority": "urgent"}, "priority"),
            ({"workers": 2, "min_members": 3}, "min_members"),
            ({"env": {"A": 1}}, "env.A"),
            ({"workdir": "relative"}, "workdir"),
            ({"preemptible": "yes"}, "preemptible"),
            ({"extra": True}, "extra"),
            ({"project": "nope"}, "project"),
        ]
        for fields, field in cases:
            body = dict(name="w", project="p", command=["true"])
            body.update(fields)
            self.expect_error("POST", "/api/v1/workloads", 400, "invalid_argument", field,
                              body=body)
        self.assertEqual(self.d.request("GET", "/api/v1/workloads")[1]["total"], 0)

    def test_integers_beyond_int64_name_the_field(self):
        big = b"99999999999999999999"
        cases = [
            (b'{"name": "w", "project": "p", "command": ["true"], "workers": ' + big + b'}',
             "workers"),
            (b'{"name": "w", "project": "p", "command": ["true", ' + big + b']}', "command[1]"),
            (b'{"name": "w", "project": "p", "env": {"A": "x", "B": -' + big + b'}}', "env.B"),
            (b'{"name": "w", "project": "p", "command": ["a\\\"]{,:"], "gpu": ' + big + b'}',
             "gpu"),
        ]
        for raw, field in cases:
            self.expect_error("POST", "/api/v1/workloads", 400, "invalid_argument", field,
                              raw=raw)
        self.expect_error("POST", "/api/v1/projects", 400, "invalid_argument", "deserved.gpu",
                          raw=b'{"name": "p", "deserved": {"gpu": ' + big + b'}}')

    def test_bad_query_parameters(self):
        self.expect_error("GET", "/api/v1/workloads?limit=0", 400, "invalid_argument", "limit")
        self.expect_error("GET", "/api/v1/workloads?limit=%2B5", 400, "invalid_argument", "limit")
        self.expect_error("GET", "/api/v1/workloads?limit=%205", 400, "invalid_argument", "limit")
        self.expect_error("GET", "/api/v1/workloads?limit=abc", 400, "invalid_argument", "limit")
        self.expect_error("GET", "/api/v1/workloads?state=sleeping", 400, "invalid_argument",
                          "state")

    def test_oversized_body_is_413(self):
        big = b'{"name": "p", "pad": "' + b"x" * (200 * 1024) + b'"}'
        self.expect_error("POST", "/api/v1/projects", 413, "payload_too_large", raw=big)
        # the connection handling survives it
        self.assertEqual(self.d.request("GET", "/api/v1/projects")[0], 200)

    def test_a_nul_escape_names_nothing(self):
        """%00 does not cut a path short: DELETE .../victim%00/logs is not about victim."""
        self.project("p")
        self.submit("victim", "p", ["sleep", "30"])
        status, _, _ = self.d.request("DELETE", "/api/v1/workloads/victim%00/logs")
        self.assertIn(status, (400, 404, 405))  # 405: logs are never deleted
        status, _, _ = self.d.request("DELETE", "/api/v1/workloads/victim%00")
        self.assertIn(status, (400, 404))
        self.assertIsNotNone(self.d.workload("victim"))

    def test_healthz_answers_get_only(self):
        self.assertEqual(self.d.request("GET", "/healthz", token=False)[0], 200)
        self.expect_error("POST", "/healthz", 405, "method_not_allowed", token=False)
        self.expect_error("DELETE", "/healthz", 405, "method_not_allowed", token=False)

    def test_unknown_paths_and_methods(self):
        self.expect_error("GET", "/api/v1/nothing", 404, "not_found")
        self.expect_error("GET", "/api/v2/projects", 404, "not_found")
        self.expect_error("GET", "/api/v1/projects/none", 404, "not_found")
        self.expect_error("PUT", "/api/v1/projects", 405, "method_not_allowed")
        self.expect_error("DELETE", "/api/v1/nodes", 405, "method_not_allowed")
        body = self.expect_error("PUT", "/api/v1/workloads/x", 405, "method_not_allowed")
        self.assertIn("GET, DELETE", body["error"]["message"])  # the route table's methods
        self.expect_error("GET", "/api/v1/workloads/x/nope", 404, "not_found")
        self.expect_error("GET", "/api/v1/snapshot/x", 404, "not_found")

    def test_fuzzed_bodies_never_crash(self):
        import random
        rng = random.Random(7)
        seed = b'{"name": "w", "project": "p", "command": ["true"], "gpu_fraction": 0.5}'
        self.project("p")
        for _ in range(150):
            data = bytearray(seed)
            for _ in range(rng.randint(1, 6)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            status, _, _ = self.d.request("POST", "/api/v1/workloads", raw=bytes(data))
            self.assertIn(status, (201, 400, 409), data)  # 409: "w" landed before
        self.assertEqual(self.d.request("GET", "/healthz", token=False)[0], 200)


class SubmitRaceTest(DaemonTest):
    def test_same_name_submits_from_many_clients_get_one_workload_and_409s(self):
        """Of concurrent submits of one name exactly one lands; the others get 409 naming it,
        also when the first is still being written by the group commit (issue 10: a third of
        such submits got 500 and took unrelated submits down with them; then allotd renamed
        them demo-2, demo-3, ... by a quadratic search)."""
        import threading
        self.project("p")
        results = []

        def client():
            for k in range(12):
                status, body, _ = self.d.request(
                    "POST", "/api/v1/workloads",
                    dict(name="same-%d" % k, project="p", command=["true"], cpu_millis=1))
                results.append((k, status, body))

        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for k in range(12):
            mine = [(s, b) for n, s, b in results if n == k]
            self.assertEqual(sorted(s for s, _ in mine), [201] + [409] * 7, mine)
            for status, body in mine:
                if status == 201:
                    self.assertEqual(body["name"], "same-%d" % k)
                else:
                    self.assertEqual(body["error"]["field"], "name")
                    self.assertIn("same-%d" % k, body["error"]["message"])
        self.assertEqual(self.d.request("GET", "/api/v1/workloads?limit=1000")[1]["total"], 12)

    def test_a_submit_racing_a_project_delete_is_not_a_server_error(self):
        """Submits to a project being deleted get 201, 400 or 409, never 500 (issue 10)."""
        import threading
        for round_ in range(10):
            name = "p%d" % round_
            self.project(name)
            statuses = []

            def client():
                for i in range(10):
                    statuses.append(self.d.request(
                        "POST", "/api/v1/workloads",
                        dict(name="w", project=name, command=["true"], cpu_millis=1))[0])

            threads = [threading.Thread(target=client) for _ in range(4)]
            for t in threads:
                t.start()
            for _ in range(50):  # deletes win once the project's workloads are done
                if self.d.request("DELETE", "/api/v1/projects/" + name)[0] == 200:
                    break
                time.sleep(0.02)
            for t in threads:
                t.join()
            self.assertFalse([s for s in statuses if s >= 500], statuses)


if __name__ == "__main__":
    unittest.main()
