"""test_sso.py - single sign-on against a real OpenID provider (npm's oidc-provider, run by
tests/oidc/provider.py): `allot login --sso` with the browser's part walked through the
provider's own forms, SSO users made on first sign-in with their groups mapped to roles by
access rules, key rotation at the provider, a CI job's ID token exchanged for a session, and
refusals: a token for another audience, a used or unknown callback, a name a local user has."""
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from harness import ALLOT, Daemon, wait_until

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "oidc"))
from provider import Provider, available, client  # noqa: E402

OTHER_CB = "http://127.0.0.1:9/callback"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browse(url):
    """GET as the browser does at the end of a login: (status, text)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


# CI (ALLOT_REQUIRE_OIDC=1, .ci/run) may not skip: scripts/setup installs the provider.
if available() and os.environ.get("ALLOT_REQUIRE_OIDC") == "1":
    raise RuntimeError("the OpenID provider cannot run here: " + available())


@unittest.skipIf(available(), "the OpenID provider cannot run here: %s" % available())
class SsoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        port = free_port()
        cls.callback = "http://127.0.0.1:%d/api/v1/sso/callback" % port
        cls.idp = Provider(
            clients=[client("allotd", "allotd-secret", [cls.callback]),
                     client("other-app", "other-secret", [OTHER_CB])],
            users={"alice": {"preferred_username": "alice", "email": "alice@example.com",
                             "email_verified": True, "groups": ["ml-team"]},
                   "bob": {"preferred_username": "bob", "groups": []}}).start()
        cls.secret = tempfile.NamedTemporaryFile("w", suffix=".secret", delete=False)
        cls.secret.write("allotd-secret\n")
        cls.secret.close()
        cls.d = Daemon(args=("--listen", "127.0.0.1:%d" % port, "--oidc-issuer", cls.idp.issuer,
                             "--oidc-client-id", "allotd", "--oidc-client-secret-file",
                             cls.secret.name, "--oidc-jwks-refetch", "0", "--login-rate",
                             "1000")).start()
        d = cls.d
        assert d.request("POST", "/api/v1/projects", {"name": "ml"})[0] == 201
        assert d.request("POST", "/api/v1/access-rules", {
            "subject": "group:ml-team", "role": "l1-researcher", "scope": "project:ml"})[0] == 201

    @classmethod
    def tearDownClass(cls):
        try:
            cls.d.stop()
        finally:
            cls.d.cleanup()
            cls.idp.stop()
            os.unlink(cls.secret.name)

    def sign_in(self, user):
        """The API's flow: start, the browser's part at the provider and back at allotd, then
        the device code's tokens. (status of the callback page, page, token answer)."""
        status, start, _ = self.d.request("POST", "/api/v1/sso/start", token=False)
        self.assertEqual(status, 200, start)
        pending = self.d.request("POST", "/api/v1/token", token=False, body={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": start["device_code"]})
        self.assertEqual((pending[0], pending[1]["error"]["code"]), (400, "authorization_pending"))
        back = self.idp.login(start["url"], user)
        self.assertTrue(back.startswith(self.callback), back)
        page_status, page = browse(back)
        status, tokens, _ = self.d.request("POST", "/api/v1/token", token=False, body={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": start["device_code"]})
        return page_status, page, (status, tokens, back)

    def test_allot_login_sso_signs_in_through_the_browser_and_groups_give_roles(self):
        home = tempfile.mkdtemp(prefix="allot-sso-")
        env = dict(os.environ, ALLOT_CONFIG=os.path.join(home, "config"))
        cli = subprocess.Popen([ALLOT, "login", "--server", self.d.url, "--sso"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            url = None
            while url is None:
                line = cli.stderr.readline()
                self.assertTrue(line, "allot login --sso printed no address")
                if line.strip().startswith(self.idp.issuer):
                    url = line.strip()
            status, page = browse(self.idp.login(url, "alice"))
            self.assertEqual(status, 200, page)
            self.assertIn("user:alice", page)
            out, err = cli.communicate(timeout=30)
            self.assertEqual(cli.returncode, 0, err)
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.wait()
        who = subprocess.run([ALLOT, "whoami", "-o", "json"], env=env, capture_output=True,
                             text=True)
        self.assertEqual(who.returncode, 0, who.stderr)
        self.assertIn('"subject": "user:alice"', who.stdout)
        self.assertIn('"scope": "project:ml"', who.stdout)
        p = subprocess.run([ALLOT, "workload", "submit", "hello", "-p", "ml", "--", "true"],
                           env=env, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        user = self.d.request("GET", "/api/v1/users/alice")[1]
        self.assertEqual((user["source"], user["groups"], user["email"]),
                         ("sso", ["ml-team"], "alice@example.com"))

    def test_groups_follow_the_provider_at_each_sign_in(self):
        status, page, (code, tokens, _) = self.sign_in("alice")
        self.assertEqual((status, code), (200, 200), page)
        roles = self.d.request("GET", "/api/v1/whoami", token=tokens["access_token"])[1]["roles"]
        self.assertEqual(roles, [{"role": "l1-researcher", "scope": "project:ml"}])
        users = dict(self.idp.users)
        users["alice"] = dict(users["alice"], groups=[])
        self.idp.set_users(users)
        try:
            status, page, (code, tokens, _) = self.sign_in("alice")
            self.assertEqual((status, code), (200, 200), page)
            me = self.d.request("GET", "/api/v1/whoami", token=tokens["access_token"])[1]
            self.assertEqual(me["roles"], [])
        finally:
            users["alice"] = dict(users["alice"], groups=["ml-team"])
            self.idp.set_users(users)

    def test_a_rotated_key_at_the_provider_is_fetched_and_used(self):
        self.assertEqual(self.sign_in("alice")[2][0], 200)
        self.idp.rotate_key()
        status, page, (code, tokens, _) = self.sign_in("alice")
        self.assertEqual((status, code), (200, 200), page)

    def test_a_callback_is_good_once(self):
        status, page, (code, tokens, back) = self.sign_in("alice")
        self.assertEqual(code, 200)
        status, page = browse(back)
        self.assertEqual(status, 400)
        self.assertIn("no sign-in is waiting", page)
        status, page = browse(self.callback + "?code=x&state=forged")
        self.assertEqual(status, 400)

    def test_a_ci_jobs_id_token_is_exchanged_and_one_for_another_audience_is_refused(self):
        token = self.idp.id_token_for("allotd", "allotd-secret", self.callback, "alice")
        status, body, _ = self.d.request("POST", "/api/v1/token", token=False, body={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": token})
        self.assertEqual((status, body.get("subject")), (200, "user:alice"), body)
        self.assertNotIn("refresh_token", body)
        other = self.idp.id_token_for("other-app", "other-secret", OTHER_CB, "alice")
        status, body, _ = self.d.request("POST", "/api/v1/token", token=False, body={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": other})
        self.assertEqual(status, 401)
        self.assertIn("audience", body["error"]["message"])
        tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        status, body, _ = self.d.request("POST", "/api/v1/token", token=False, body={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": tampered})
        self.assertEqual(status, 401)

    def test_a_name_a_local_user_has_is_not_taken_over(self):
        assert self.d.request("POST", "/api/v1/users", {"name": "bob",
                                                       "password": "a-long-password"})[0] == 201
        try:
            status, page, (code, tokens, _) = self.sign_in("bob")
            self.assertEqual(status, 401)
            self.assertIn("a user named bob exists", page)
            self.assertEqual(code, 401)
        finally:
            self.d.request("DELETE", "/api/v1/users/bob")

    def test_sso_sign_ins_are_audited(self):
        self.sign_in("alice")
        rows = self.d.request("GET", "/api/v1/audit?subject=user:alice&limit=1000")[1]["items"]
        self.assertIn("sso", [r["resource"]["name"] for r in rows if r["verb"] == "login"])


class NotConfigured(unittest.TestCase):
    def test_sso_without_an_issuer_says_how_to_configure_it(self):
        d = Daemon().start()
        try:
            status, body, _ = d.request("POST", "/api/v1/sso/start", token=False)
            self.assertEqual(status, 409)
            self.assertIn("--oidc-issuer", body["error"]["message"])
        finally:
            d.stop()
            d.cleanup()


if __name__ == "__main__":
    unittest.main()
