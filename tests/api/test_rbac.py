"""test_rbac.py - roles x scopes x routes x verbs walked against a running allotd: every role in
a department or project scope (and the system administrator) tries every route on objects
inside and outside its scope, allowed and refused as the policy below says, lists filtered;
the policy here is written independently of the C table and checked against docs/rbac.md,
which `allotd --rbac-doc` must reproduce."""
import os
import re
import subprocess
import unittest

from harness import ALLOTD, Daemon, wait_until

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ROLES = ["system-admin", "department-admin", "research-manager", "l1-researcher",
         "l2-researcher", "viewer"]
ANY, OWN = "yes", "own"

# The policy, role by role: (resource, verb) -> yes | own (missing: refused).
WORKLOAD_USE = {("workload", v): ANY for v in ("read", "create", "delete", "control", "logs",
                                                "stream")}
# Everyone may read consumption reports, of the projects in their scope.
REPORT = {("report", "read"): ANY}
POLICY = {
    "system-admin": "everything",
    "department-admin": {**WORKLOAD_USE, **{
        ("project", "read"): ANY, ("project", "create"): ANY, ("project", "update"): ANY,
        ("project", "delete"): ANY, ("department", "read"): ANY, ("node", "read"): ANY,
        ("access-rule", "read"): ANY, ("access-rule", "create"): ANY,
        ("access-rule", "delete"): ANY, **REPORT}},
    "research-manager": {**WORKLOAD_USE, **{
        ("project", "read"): ANY, ("department", "read"): ANY, ("node", "read"): ANY,
        ("access-rule", "read"): ANY, ("access-rule", "create"): ANY,
        ("access-rule", "delete"): ANY, **REPORT}},
    "l1-researcher": {**WORKLOAD_USE, **{
        ("project", "read"): ANY, ("department", "read"): ANY, ("node", "read"): ANY, **REPORT}},
    "l2-researcher": {
        ("workload", "read"): ANY, ("workload", "create"): ANY, ("workload", "delete"): OWN,
        ("workload", "control"): OWN, ("workload", "logs"): OWN, ("workload", "stream"): OWN,
        ("project", "read"): ANY, ("department", "read"): ANY, ("node", "read"): ANY, **REPORT},
    "viewer": {("workload", "read"): ANY, ("project", "read"): ANY,
               ("department", "read"): ANY, ("node", "read"): ANY, ("snapshot", "read"): ANY,
               ("audit", "read"): ANY, ("metrics", "read"): ANY, **REPORT},
}
SYSTEM_ONLY = {"snapshot", "audit", "user", "group", "app", "metrics"}


def expected(role, scope, resource, verb, place, own=False):
    """Whether `role` held in `scope` ("system", "department:X", "project:Y") may `verb` the
    `resource` at place = (department, project) ("" where none)."""
    grant = POLICY[role]
    if grant != "everything":
        g = grant.get((resource, verb))
        if g is None or (g == OWN and not own):
            return False
    if resource == "node" or scope == "system":
        return True
    if resource in SYSTEM_ONLY:
        return False
    kind, name = scope.split(":")
    return (kind == "department" and place[0] == name) or (kind == "project" and place[1] == name)


class PolicyMatchesDocs(unittest.TestCase):
    def test_docs_rbac_md_is_current_and_says_what_this_policy_says(self):
        made = subprocess.run([ALLOTD, "--rbac-doc"], capture_output=True, text=True, check=True)
        with open(os.path.join(ROOT, "docs", "rbac.md")) as f:
            self.assertEqual(f.read(), made.stdout, "docs/rbac.md is stale: allotd --rbac-doc")
        rows = [line for line in made.stdout.splitlines()
                if re.match(r"\| [a-z-]+ \| [a-z]+ \|", line) and not line.startswith("| resource")]
        self.assertGreater(len(rows), 20)
        for row in rows:
            cells = [c.strip() for c in row.strip("|").split("|")]
            resource, verb, marks = cells[0], cells[1], cells[2:8]
            for role, mark in zip(ROLES, marks):
                grant = POLICY[role]
                want = ANY if grant == "everything" else grant.get((resource, verb), "-")
                self.assertEqual(mark, want, "%s %s for %s" % (verb, resource, role))


class RbacMatrix(unittest.TestCase):
    """One allotd; d1 holds p1 and p2, d2 holds p3. A user per role and scope."""

    SUBJECTS = [("system-admin", "system"), ("department-admin", "department:d1"),
                ("department-admin", "system"), ("research-manager", "project:p1"),
                ("research-manager", "department:d1"), ("l1-researcher", "project:p1"),
                ("l2-researcher", "project:p1"), ("viewer", "project:p1"),
                ("viewer", "system"), ("viewer", "department:d2")]
    PASSWORD = "a-long-test-password"

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(gpus="4xA100-80GiB", args=("--login-rate", "1000", "--rate-limit",
                                                  "0")).start()
        d = cls.d
        for name in ("d1", "d2"):
            assert d.request("POST", "/api/v1/departments", {"name": name})[0] == 201
        for name, dep in (("p1", "d1"), ("p2", "d1"), ("p3", "d2")):
            assert d.request("POST", "/api/v1/projects",
                             {"name": name, "department": dep})[0] == 201
        cls.tokens = {}
        for i, (role, scope) in enumerate(cls.SUBJECTS):
            user = "u%d-%s" % (i, role)
            assert d.request("POST", "/api/v1/users",
                             {"name": user, "password": cls.PASSWORD})[0] == 201
            assert d.request("POST", "/api/v1/access-rules",
                             {"subject": "user:" + user, "role": role, "scope": scope})[0] == 201
            status, body, _ = d.request("POST", "/api/v1/token", token=False, body={
                "grant_type": "password", "username": user, "password": cls.PASSWORD})
            assert status == 200, body
            cls.tokens[(role, scope)] = (user, body["access_token"])
        assert d.request("POST", "/api/v1/users", {"name": "nobody",
                                                   "password": cls.PASSWORD})[0] == 201
        cls.nobody = d.request("POST", "/api/v1/token", token=False, body={
            "grant_type": "password", "username": "nobody", "password": cls.PASSWORD})[1]
        cls.counter = 0

    @classmethod
    def tearDownClass(cls):
        try:
            cls.d.stop()
        finally:
            cls.d.cleanup()

    def fresh(self, prefix):
        RbacMatrix.counter += 1
        return "%s-%d" % (prefix, RbacMatrix.counter)

    def submit(self, project, token=True, name=None):
        """(status, name); a project the caller may not see is as unknown as one that does not
        exist (400 naming the field), counted as 404 here."""
        name = name or self.fresh("w")
        status, body, _ = self.d.request("POST", "/api/v1/workloads", token=token, body={
            "name": name, "project": project, "command": ["sleep", "300"]})
        if status == 400 and body["error"]["field"] == "project":
            status = 404
        return status, name

    def check(self, role, scope, allowed, status, what):
        if allowed:
            self.assertNotIn(status, (401, 403, 404), "%s in %s: %s should be allowed (%d)" %
                             (role, scope, what, status))
        else:
            self.assertIn(status, (403, 404), "%s in %s: %s should be refused (%d)" %
                          (role, scope, what, status))

    def test_workload_routes(self):
        d = self.d
        places = {"p1": ("d1", "p1"), "p3": ("d2", "p3")}
        for (role, scope), (user, token) in self.tokens.items():
            with self.subTest(role=role, scope=scope):
                for project, place in places.items():
                    # submit
                    status, mine = self.submit(project, token=token)
                    self.check(role, scope, expected(role, scope, "workload", "create", place),
                               status, "submit to " + project)
                    owned = status == 201
                    for own in (False, True):
                        if own and not owned:
                            continue
                        target = mine if own else self.submit(project)[1]
                        path = "/api/v1/workloads/%s?project=%s" % (target, project)
                        for verb, method, suffix in (
                                ("read", "GET", ""), ("read", "GET", "/events"),
                                ("logs", "GET", "/logs"), ("control", "POST", "/suspend"),
                                ("control", "POST", "/resume"), ("stream", "POST", "/exec"),
                                ("stream", "GET", "/attach"),
                                ("stream", "GET", "/portforward&port=80")):
                            p = path.replace("?", suffix.split("&")[0] + "?") + (
                                "&" + suffix.split("&")[1] if "&" in suffix else "")
                            status = d.request(method, p, token=token)[0]
                            self.check(role, scope,
                                       expected(role, scope, "workload", verb, place, own),
                                       status, "%s %s%s" % (method, project, suffix))
                        status = d.request("DELETE", path, token=token)[0]
                        self.check(role, scope,
                                   expected(role, scope, "workload", "delete", place, own),
                                   status, "delete in " + project)

    def test_lists_show_only_what_the_subject_may_read(self):
        d = self.d
        names = {p: self.submit(p)[1] for p in ("p1", "p2", "p3")}
        wait_until(lambda: {r["project"] for r in d.request(
            "GET", "/api/v1/reports/consumption?from=1d")[1]["items"]} >= {"p1", "p2", "p3"},
            what="a run in each project")
        for (role, scope), (user, token) in self.tokens.items():
            with self.subTest(role=role, scope=scope):
                status, body, _ = d.request("GET", "/api/v1/workloads?limit=1000", token=token)
                self.assertEqual(status, 200)
                seen = {w["project"] for w in body["items"]}
                for project, place in (("p1", ("d1", "p1")), ("p2", ("d1", "p2")),
                                       ("p3", ("d2", "p3"))):
                    may = expected(role, scope, "workload", "read", place)
                    self.assertEqual(project in seen, may, "%s sees %s" % (role, project))
                    self.assertEqual(body["total"], len(body["items"]))
                    # by name: found, or not found at all (never "forbidden": no leak)
                    status = d.request("GET", "/api/v1/workloads/" + names[project],
                                       token=token)[0]
                    self.assertEqual(status, 200 if may else 404)
                status, body, _ = d.request("GET", "/api/v1/projects", token=token)
                self.assertEqual(status, 200)
                got = {q["name"] for q in body["items"]} & {"p1", "p2", "p3"}
                want = {p for p, place in (("p1", ("d1", "p1")), ("p2", ("d1", "p2")),
                                           ("p3", ("d2", "p3")))
                        if expected(role, scope, "project", "read", place)}
                self.assertEqual(got, want)
                status, body, _ = d.request("GET", "/api/v1/departments", token=token)
                got = {q["name"] for q in body["items"]} & {"d1", "d2"}
                want = {dep for dep in ("d1", "d2")
                        if expected(role, scope, "department", "read", (dep, ""))}
                self.assertEqual(got, want)
                # consumption reports: the rows of the projects whose reports they may read
                status, body, _ = d.request("GET", "/api/v1/reports/consumption?from=1d",
                                            token=token)
                self.assertEqual(status, 200, body)
                got = {r["project"] for r in body["items"]} & {"p1", "p2", "p3"}
                want = {p for p, place in (("p1", ("d1", "p1")), ("p2", ("d1", "p2")),
                                           ("p3", ("d2", "p3")))
                        if expected(role, scope, "report", "read", place)}
                self.assertEqual(got, want, "%s in %s: report rows" % (role, scope))

    def test_queue_routes(self):
        d = self.d
        for (role, scope), (user, token) in self.tokens.items():
            with self.subTest(role=role, scope=scope):
                for dep in ("d1", "d2"):
                    name = self.fresh("q")
                    status = d.request("POST", "/api/v1/projects",
                                       {"name": name, "department": dep}, token=token)[0]
                    self.check(role, scope, expected(role, scope, "project", "create", (dep, "")),
                               status, "create project in " + dep)
                    if status != 201:
                        assert d.request("POST", "/api/v1/projects",
                                         {"name": name, "department": dep})[0] == 201
                    place = (dep, name)
                    status = d.request("GET", "/api/v1/projects/" + name, token=token)[0]
                    self.check(role, scope, expected(role, scope, "project", "read", place),
                               status, "read project")
                    status = d.request("PATCH", "/api/v1/projects/" + name, {"priority": 7},
                                       token=token)[0]
                    self.check(role, scope, expected(role, scope, "project", "update", place),
                               status, "update project")
                    status = d.request("DELETE", "/api/v1/projects/" + name, token=token)[0]
                    self.check(role, scope, expected(role, scope, "project", "delete", place),
                               status, "delete project")
                    status = d.request("GET", "/api/v1/departments/" + dep, token=token)[0]
                    self.check(role, scope, expected(role, scope, "department", "read", (dep, "")),
                               status, "read department")
                    status = d.request("PATCH", "/api/v1/departments/" + dep, {"priority": 100},
                                       token=token)[0]
                    self.check(role, scope,
                               expected(role, scope, "department", "update", (dep, "")),
                               status, "update department")
                name = self.fresh("dep")
                status = d.request("POST", "/api/v1/departments", {"name": name}, token=token)[0]
                self.check(role, scope, expected(role, scope, "department", "create", ("", "")),
                           status, "create department")
                if status == 201:
                    status = d.request("DELETE", "/api/v1/departments/" + name, token=token)[0]
                    self.check(role, scope,
                               expected(role, scope, "department", "delete", (name, "")),
                               status, "delete department")

    def test_system_routes(self):
        d = self.d
        for (role, scope), (user, token) in self.tokens.items():
            with self.subTest(role=role, scope=scope):
                for resource, method, path, body in (
                        ("node", "GET", "/api/v1/nodes", None),
                        ("snapshot", "GET", "/api/v1/snapshot", None),
                        ("audit", "GET", "/api/v1/audit", None),
                        ("audit", "GET", "/api/v1/audit/verify", None),
                        ("user", "GET", "/api/v1/users", None),
                        ("group", "GET", "/api/v1/groups", None),
                        ("app", "GET", "/api/v1/apps", None),
                        ("metrics", "GET", "/metrics", None)):
                    status = d.request(method, path, token=token)[0]
                    self.check(role, scope, expected(role, scope, resource, "read", ("", "")),
                               status, path)
                for resource, path, body in (
                        ("user", "/api/v1/users", {"password": self.PASSWORD}),
                        ("group", "/api/v1/groups", {}), ("app", "/api/v1/apps", {})):
                    name = self.fresh(resource)
                    status = d.request("POST", path, dict(body, name=name), token=token)[0]
                    self.check(role, scope, expected(role, scope, resource, "create", ("", "")),
                               status, "create " + resource)
                    if status != 201:
                        assert d.request("POST", path, dict(body, name=name))[0] == 201
                    status = d.request("DELETE", "%s/%s" % (path, name), token=token)[0]
                    self.check(role, scope, expected(role, scope, resource, "delete", ("", "")),
                               status, "delete " + resource)
                status = d.request("GET", "/api/v1/whoami", token=token)[0]
                self.assertEqual(status, 200)

    def test_access_rules_give_at_most_ones_own_role_in_ones_own_scope(self):
        d = self.d
        rank = {r: i for i, r in enumerate(ROLES)}
        for (role, scope), (user, token) in self.tokens.items():
            for give in ROLES:
                for target, place in (("project:p1", ("d1", "p1")), ("project:p3", ("d2", "p3")),
                                      ("department:d1", ("d1", "")), ("system", ("", ""))):
                    if give == "system-admin" and target != "system":
                        continue
                    if give == "department-admin" and target.startswith("project"):
                        continue
                    with self.subTest(role=role, scope=scope, give=give, target=target):
                        subject = "user:" + self.fresh("x")
                        status, body, _ = d.request("POST", "/api/v1/access-rules", {
                            "subject": subject, "role": give, "scope": target}, token=token)
                        may = (expected(role, scope, "access-rule", "create", place) and
                               rank[give] >= rank[role])
                        self.check(role, scope, may, status, "give %s in %s" % (give, target))
                        if status == 201:
                            status = d.request("DELETE", "/api/v1/access-rules/%d" % body["id"],
                                               token=token)[0]
                            self.assertEqual(status, 200)

    def test_a_subject_without_a_rule_may_do_nothing_but_ask_who_it_is(self):
        d, token = self.d, self.nobody["access_token"]
        for method, path in (("GET", "/api/v1/workloads"), ("GET", "/api/v1/projects"),
                             ("GET", "/api/v1/nodes"), ("GET", "/api/v1/audit"),
                             ("POST", "/api/v1/workloads")):
            status, body, _ = d.request(method, path, token=token, body={} if method == "POST"
                                        else None)
            self.assertEqual(status, 403, path)
            self.assertEqual(body["error"]["code"], "permission_denied")
        status, body, _ = d.request("GET", "/api/v1/whoami", token=token)
        self.assertEqual((status, body["subject"], body["roles"]), (200, "user:nobody", []))

    def test_a_group_rule_gives_its_role_to_members_and_goes_with_the_group(self):
        d = self.d
        assert d.request("POST", "/api/v1/groups", {"name": "vision"})[0] == 201
        assert d.request("POST", "/api/v1/users", {"name": "gina", "password": self.PASSWORD,
                                                   "groups": ["vision"]})[0] == 201
        token = d.request("POST", "/api/v1/token", token=False, body={
            "grant_type": "password", "username": "gina",
            "password": self.PASSWORD})[1]["access_token"]
        self.assertEqual(d.request("GET", "/api/v1/projects/p2", token=token)[0], 403)
        assert d.request("POST", "/api/v1/access-rules", {
            "subject": "group:vision", "role": "viewer", "scope": "project:p2"})[0] == 201
        self.assertEqual(d.request("GET", "/api/v1/projects/p2", token=token)[0], 200)
        self.assertEqual(d.request("GET", "/api/v1/projects/p1", token=token)[0], 404)
        assert d.request("DELETE", "/api/v1/groups/vision")[0] == 200
        self.assertEqual(d.request("GET", "/api/v1/projects/p2", token=token)[0], 403)

    def test_a_deleted_project_takes_its_rules_with_it(self):
        d = self.d
        assert d.request("POST", "/api/v1/projects", {"name": "tmp", "department": "d2"})[0] == 201
        assert d.request("POST", "/api/v1/access-rules", {
            "subject": "user:nobody", "role": "viewer", "scope": "project:tmp"})[0] == 201
        assert d.request("DELETE", "/api/v1/projects/tmp")[0] == 200
        rules = d.request("GET", "/api/v1/access-rules?subject=user:nobody")[1]["items"]
        self.assertEqual(rules, [])
        assert d.request("POST", "/api/v1/projects", {"name": "tmp", "department": "d2"})[0] == 201
        token = self.nobody["access_token"]
        self.assertEqual(d.request("GET", "/api/v1/projects/tmp", token=token)[0], 403)


if __name__ == "__main__":
    unittest.main()
