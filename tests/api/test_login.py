"""test_login.py - signing in and out: passwords (Argon2id) exchanged for expiring access tokens
and refresh tokens, applications' client credentials, revocation by logout and by deleting the
subject, brute force met by lockout with backoff and per-address budgets, per-subject request
budgets, the first administrator a new store makes, and the CLI's login, whoami, logout and its
silent refresh of an expired token."""
import json
import os
import subprocess
import tempfile
import time
import unittest

from harness import ALLOT, Daemon, DaemonTest, wait_until

PASSWORD = "correct-horse-battery"


def read(path):
    with open(path) as f:
        return f.read()


def grant(d, **body):
    return d.request("POST", "/api/v1/token", body, token=False)


def make_user(d, name, password=PASSWORD, role=None, scope="system"):
    status, body, _ = d.request("POST", "/api/v1/users", {"name": name, "password": password})
    assert status == 201, body
    if role:
        status, body, _ = d.request("POST", "/api/v1/access-rules", {
            "subject": "user:" + name, "role": role, "scope": scope})
        assert status == 201, body


class Passwords(DaemonTest):
    args = ("--login-rate", "1000")

    def test_a_password_gives_an_access_token_that_works_and_a_refresh_token_that_does_not(self):
        make_user(self.d, "alice", role="viewer")
        status, body, _ = grant(self.d, grant_type="password", username="alice",
                                password=PASSWORD)
        self.assertEqual(status, 200)
        self.assertEqual((body["token_type"], body["subject"], body["expires_in"]),
                         ("Bearer", "user:alice", 3600))
        self.assertEqual(self.d.request("GET", "/api/v1/projects",
                                        token=body["access_token"])[0], 200)
        self.assertEqual(self.d.request("GET", "/api/v1/projects",
                                        token=body["refresh_token"])[0], 401)
        me = self.d.request("GET", "/api/v1/whoami", token=body["access_token"])[1]
        self.assertEqual(me["roles"], [{"role": "viewer", "scope": "system"}])

    def test_wrong_password_and_unknown_user_get_the_same_answer(self):
        make_user(self.d, "alice")
        a = grant(self.d, grant_type="password", username="alice", password="wrong-password!")
        b = grant(self.d, grant_type="password", username="mallory", password="wrong-password!")
        self.assertEqual((a[0], b[0]), (401, 401))
        self.assertEqual(a[1], b[1])

    def test_bad_bodies_name_the_field(self):
        for body, field in (({}, "grant_type"), ({"grant_type": "magic"}, "grant_type"),
                            ({"grant_type": "password", "password": "x"}, "username"),
                            ({"grant_type": "password", "username": "a"}, "password"),
                            ({"grant_type": "password", "username": 7, "password": "x"},
                             "username"),
                            ({"grant_type": "client_credentials", "client_id": "a"},
                             "client_secret"),
                            ({"grant_type": "refresh_token"}, "refresh_token")):
            status, reply, _ = grant(self.d, **body)
            self.assertEqual((status, reply["error"]["field"]), (400, field), body)
        status, reply, _ = self.d.request("POST", "/api/v1/token", raw=b"[1,2", token=False)
        self.assertEqual(status, 400)
        status, reply, _ = self.d.request("POST", "/api/v1/users", {"name": "bob",
                                                                   "password": "short"})
        self.assertEqual((status, reply["error"]["field"]), (400, "password"))
        status, reply, _ = self.d.request("POST", "/api/v1/users", {"name": "-bob",
                                                                   "password": PASSWORD})
        self.assertEqual((status, reply["error"]["field"]), (400, "name"))
        status, reply, _ = self.d.request("POST", "/api/v1/users", {"name": "bob",
                                                                   "password": PASSWORD,
                                                                   "colour": "red"})
        self.assertEqual((status, reply["error"]["field"]), (400, "colour"))

    def test_a_refresh_token_is_good_for_one_refresh(self):
        make_user(self.d, "alice", role="viewer")
        first = grant(self.d, grant_type="password", username="alice", password=PASSWORD)[1]
        status, second, _ = grant(self.d, grant_type="refresh_token",
                                  refresh_token=first["refresh_token"])
        self.assertEqual(status, 200)
        self.assertNotEqual(second["access_token"], first["access_token"])
        # the old pair is spent
        self.assertEqual(self.d.request("GET", "/api/v1/whoami",
                                        token=first["access_token"])[0], 401)
        self.assertEqual(grant(self.d, grant_type="refresh_token",
                               refresh_token=first["refresh_token"])[0], 401)
        self.assertEqual(self.d.request("GET", "/api/v1/whoami",
                                        token=second["access_token"])[0], 200)

    def test_logout_revokes_both_tokens_at_once_and_for_good(self):
        make_user(self.d, "alice", role="viewer")
        t = grant(self.d, grant_type="password", username="alice", password=PASSWORD)[1]
        status, body, _ = self.d.request("POST", "/api/v1/token/revoke", token=t["access_token"])
        self.assertEqual((status, body), (200, {"revoked": True}))
        self.assertEqual(self.d.request("GET", "/api/v1/whoami", token=t["access_token"])[0], 401)
        self.assertEqual(grant(self.d, grant_type="refresh_token",
                               refresh_token=t["refresh_token"])[0], 401)
        # still revoked after a restart (the store keeps it)
        self.d.stop()
        self.d.start()
        self.assertEqual(self.d.request("GET", "/api/v1/whoami", token=t["access_token"])[0], 401)
        # the break-glass token is no session
        self.assertEqual(self.d.request("POST", "/api/v1/token/revoke")[0], 409)

    def test_sessions_survive_a_restart(self):
        make_user(self.d, "alice", role="viewer")
        t = grant(self.d, grant_type="password", username="alice", password=PASSWORD)[1]
        self.d.stop()
        self.d.start()
        self.assertEqual(self.d.request("GET", "/api/v1/whoami", token=t["access_token"])[0], 200)
        self.assertEqual(grant(self.d, grant_type="refresh_token",
                               refresh_token=t["refresh_token"])[0], 200)

    def test_deleting_a_user_revokes_their_tokens_and_rules(self):
        make_user(self.d, "alice", role="viewer")
        t = grant(self.d, grant_type="password", username="alice", password=PASSWORD)[1]
        self.assertEqual(self.d.request("DELETE", "/api/v1/users/alice")[0], 200)
        self.assertEqual(self.d.request("GET", "/api/v1/whoami", token=t["access_token"])[0], 401)
        self.assertEqual(grant(self.d, grant_type="refresh_token",
                               refresh_token=t["refresh_token"])[0], 401)
        self.assertEqual(self.d.request("GET", "/api/v1/access-rules?subject=user:alice")[1]
                         ["items"], [])
        # a new alice does not inherit the old one's role
        make_user(self.d, "alice")
        t = grant(self.d, grant_type="password", username="alice", password=PASSWORD)[1]
        self.assertEqual(self.d.request("GET", "/api/v1/whoami", token=t["access_token"])[1]
                         ["roles"], [])

    def test_apps_sign_in_with_client_credentials_for_a_short_lived_token(self):
        status, app, _ = self.d.request("POST", "/api/v1/apps", {"name": "ci"})
        self.assertEqual(status, 201)
        self.assertNotIn("client_secret", json.dumps(self.d.request("GET", "/api/v1/apps")[1]))
        self.d.request("POST", "/api/v1/access-rules", {"subject": "app:ci", "role": "viewer",
                                                        "scope": "system"})
        status, t, _ = grant(self.d, grant_type="client_credentials", client_id="ci",
                             client_secret=app["client_secret"])
        self.assertEqual(status, 200)
        self.assertNotIn("refresh_token", t)
        self.assertEqual(self.d.request("GET", "/api/v1/whoami", token=t["access_token"])[1]
                         ["subject"], "app:ci")
        self.assertEqual(grant(self.d, grant_type="client_credentials", client_id="ci",
                               client_secret=app["client_secret"] + "x")[0], 401)
        self.assertEqual(self.d.request("DELETE", "/api/v1/apps/ci")[0], 200)
        self.assertEqual(self.d.request("GET", "/api/v1/whoami", token=t["access_token"])[0], 401)

    def test_sign_ins_and_refusals_are_audited_without_secrets(self):
        make_user(self.d, "alice")
        grant(self.d, grant_type="password", username="alice", password="not-the-password")
        grant(self.d, grant_type="password", username="alice", password=PASSWORD)
        rows = self.d.request("GET", "/api/v1/audit?limit=1000")[1]["items"]
        logins = [(r["subject"], r["outcome"]) for r in rows if r["verb"] == "login"]
        self.assertIn(("user:alice", "denied"), logins)
        self.assertIn(("user:alice", "ok"), logins)
        text = json.dumps(rows)
        self.assertNotIn(PASSWORD, text)
        self.assertNotIn("not-the-password", text)
        self.assertTrue(self.d.request("GET", "/api/v1/audit/verify")[1]["ok"])


class Expiry(DaemonTest):
    args = ("--token-ttl", "1", "--refresh-ttl", "3", "--login-rate", "1000")

    def test_an_expired_access_token_is_refused_and_a_refresh_renews_it(self):
        make_user(self.d, "alice", role="viewer")
        t = grant(self.d, grant_type="password", username="alice", password=PASSWORD)[1]
        self.assertEqual(t["expires_in"], 1)
        wait_until(lambda: self.d.request("GET", "/api/v1/whoami",
                                          token=t["access_token"])[0] == 401, timeout=5,
                   what="the access token to expire")
        status, again, _ = grant(self.d, grant_type="refresh_token",
                                 refresh_token=t["refresh_token"])
        self.assertEqual(status, 200)
        time.sleep(4)  # past the refresh token's life too
        self.assertEqual(grant(self.d, grant_type="refresh_token",
                               refresh_token=again["refresh_token"])[0], 401)

    def test_the_cli_renews_an_expired_token_by_itself(self):
        make_user(self.d, "alice", role="viewer")
        home = tempfile.mkdtemp(prefix="allot-login-")
        env = dict(os.environ, ALLOT_CONFIG=os.path.join(home, "config"))
        env.pop("ALLOT_SERVER", None)
        env.pop("ALLOT_TOKEN", None)
        run = lambda *a, **kw: subprocess.run([ALLOT, *a], capture_output=True, text=True,
                                              env=env, **kw)
        p = run("login", "--server", self.d.url, "--user", "alice", "--password-stdin",
                input=PASSWORD + "\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        token_file = os.path.join(home, "config.tokens", "127.0.0.1-" + self.d.url.split(":")[-1])
        self.assertEqual(os.stat(token_file).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(token_file + ".refresh").st_mode & 0o777, 0o600)
        before = read(token_file)
        time.sleep(1.5)
        p = run("whoami")
        self.assertEqual((p.returncode, p.stdout.splitlines()[0]), (0, "user:alice"), p.stderr)
        self.assertNotEqual(read(token_file), before)  # renewed and saved
        p = run("logout")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.exists(token_file))
        p = run("whoami")
        self.assertEqual(p.returncode, 5)


class BruteForce(DaemonTest):
    args = ("--login-rate", "1000")

    def test_repeated_failures_lock_the_account_with_backoff_until_unlocked(self):
        make_user(self.d, "alice", role="viewer")
        for _ in range(5):
            self.assertEqual(grant(self.d, grant_type="password", username="alice",
                                   password="guess-guess-guess")[0], 401)
        # locked: even the right password is refused, without being checked
        status, body, _ = grant(self.d, grant_type="password", username="alice",
                                password=PASSWORD)
        self.assertEqual(status, 429)
        self.assertIn("locked", body["error"]["message"])
        first = int(body["error"]["message"].split("try again in ")[1].split(" s")[0])
        self.assertTrue(55 <= first <= 60, first)
        status, body, _ = grant(self.d, grant_type="password", username="alice",
                                password=PASSWORD)
        later = int(body["error"]["message"].split("try again in ")[1].split(" s")[0])
        self.assertGreater(later, first + 30)  # each attempt while locked doubles the wait
        user = self.d.request("GET", "/api/v1/users/alice")[1]
        self.assertTrue(user["locked"])
        # an administrator unlocks it
        self.assertEqual(self.d.request("PATCH", "/api/v1/users/alice", {"unlock": True})[0], 200)
        self.assertEqual(grant(self.d, grant_type="password", username="alice",
                               password=PASSWORD)[0], 200)

    def test_the_lockout_survives_a_restart(self):
        make_user(self.d, "alice")
        for _ in range(5):
            grant(self.d, grant_type="password", username="alice", password="guess-guess-guess")
        self.d.stop()
        self.d.start()
        self.assertEqual(grant(self.d, grant_type="password", username="alice",
                               password=PASSWORD)[0], 429)


class AddressBudget(DaemonTest):
    args = ("--login-rate", "3")

    def test_an_address_gets_a_few_attempts_a_minute_whatever_the_user(self):
        statuses = [grant(self.d, grant_type="password", username="user%d" % i,
                          password="guess-guess-guess")[0] for i in range(5)]
        self.assertEqual(statuses, [401, 401, 401, 429, 429])
        status, body, _ = grant(self.d, grant_type="password", username="admin",
                                password="anything-at-all")
        self.assertEqual(status, 429)
        self.assertIn("try again in", body["error"]["message"])


class SubjectRate(DaemonTest):
    args = ("--rate-limit", "5", "--login-rate", "1000")

    def test_a_subject_over_its_request_rate_is_told_to_wait_and_others_are_not(self):
        make_user(self.d, "alice", role="viewer")
        t = grant(self.d, grant_type="password", username="alice", password=PASSWORD)[1]
        statuses = [self.d.request("GET", "/api/v1/whoami", token=t["access_token"])[0]
                    for _ in range(30)]
        self.assertIn(429, statuses)
        self.assertEqual(statuses[:5], [200] * 5)  # a burst of twice the rate first
        # the break-glass token has no budget
        self.assertTrue(all(self.d.request("GET", "/api/v1/whoami")[0] == 200 for _ in range(30)))


class FirstAdministrator(unittest.TestCase):
    def test_a_new_store_makes_user_admin_with_a_password_only_its_owner_reads(self):
        d = Daemon().start()
        try:
            path = os.path.join(d.state_dir, "admin.password")
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
            password = read(path).strip()
            self.assertGreaterEqual(len(password), 20)
            self.assertNotIn(password, d.log())  # said where, never what
            self.assertIn("admin.password", d.log())
            t = grant(d, grant_type="password", username="admin", password=password)[1]
            me = d.request("GET", "/api/v1/whoami", token=t["access_token"])[1]
            self.assertEqual(me["roles"], [{"role": "system-admin", "scope": "system"}])
            d.stop()
            d.start()  # not made again
            self.assertEqual(d.log().count("user \"admin\""), 1)
        finally:
            d.stop()
            d.cleanup()


if __name__ == "__main__":
    unittest.main()
