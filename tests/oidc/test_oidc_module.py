#!/usr/bin/env python3
"""test_oidc_module.py - allotd's OIDC module (src/daemon/oidc) against a real OpenID provider
(npm's oidc-provider, tests/oidc/provider.py), through the probe program
(tests/oidc/oidc_probe.c) given as the first argument: login with groups, key rotation, and
the refusals (wrong audience, expired, tampered, wrong nonce or state, mismatching issuer)."""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import provider as idp_mod  # noqa: E402

PROBE = os.environ.get("OIDC_PROBE", "build/tests/oidc/oidc_probe")
CALLBACK = "https://127.0.0.1:9/api/v1/sso/callback"
USERS = {
    "alice": {"preferred_username": "alice", "email": "alice@example.com",
              "groups": ["ml-team", "gpu-admins"]},
    "bob": {"email": "bob@example.com", "email_verified": True, "groups": []},
}


class Probe:
    """One oidc_probe process: one relying party whose caches live across requests."""

    def __init__(self, tmp, **cfg):
        path = os.path.join(tmp, "probe-%d.json" % id(self))
        with open(path, "w") as f:
            json.dump(cfg, f)
        self.proc = subprocess.Popen([PROBE, path], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def ask(self, **req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("oidc_probe exited (status %s)" % self.proc.wait())
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        rc = self.proc.wait(30)
        self.proc.stdout.close()
        if rc != 0:
            raise AssertionError("oidc_probe exited with %d (a sanitizer report?)" % rc)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class OidcModuleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = idp_mod.available()
        if why:
            raise unittest.SkipTest(why)
        cls.tmp = tempfile.mkdtemp(prefix="allot-oidc-test-")
        clients = [
            idp_mod.client("allotd", "allotd-secret", [CALLBACK]),
            idp_mod.client("other-app", "other-secret", [CALLBACK]),
            idp_mod.client("short-lived", "short-secret", [CALLBACK]),
            idp_mod.client("allotd-es", "es-secret", [CALLBACK],
                           id_token_signed_response_alg="ES256"),
        ]
        cls.idp = idp_mod.Provider(clients=clients, users=USERS, kty=("RSA", "EC"),
                                   id_token_ttls={"short-lived": 1}).start()
        cls.probes = []

    @classmethod
    def tearDownClass(cls):
        cls.idp.stop()

    def tearDown(self):
        for p in self.probes:
            p.close()
        self.probes = []

    def probe(self, client_id="allotd", secret="allotd-secret", **extra):
        cfg = {"issuer": self.idp.issuer, "client_id": client_id, "client_secret": secret,
               "redirect_uri": CALLBACK}
        cfg.update(extra)
        p = Probe(self.tmp, **cfg)
        self.probes.append(p)
        return p

    def login(self, probe, user="alice"):
        """begin -> the provider's forms -> the callback's query, and what begin gave."""
        begun = probe.ask(op="begin")
        self.assertTrue(begun["ok"], begun)
        back = idp_mod.parse_callback(self.idp.login(begun["url"], user))
        self.assertIn("code", back, back)
        return begun["pending"], back

    def finish(self, probe, user="alice"):
        pending, back = self.login(probe, user)
        return probe.ask(op="finish", pending=pending, **back)

    def assertRefused(self, answer, words):
        self.assertFalse(answer["ok"], answer)
        self.assertIn(words, answer["error"])

    # -- logins that work

    def test_login_gives_subject_username_email_and_groups(self):
        got = self.finish(self.probe())
        self.assertTrue(got["ok"], got)
        self.assertEqual(got["claims"]["subject"], "alice")
        self.assertEqual(got["claims"]["username"], "alice")
        self.assertEqual(got["claims"]["email"], "alice@example.com")
        self.assertEqual(got["claims"]["groups"], ["ml-team", "gpu-admins"])

    def test_username_falls_back_to_a_verified_email_and_groups_set_by_the_test(self):
        self.idp.set_users(dict(USERS, bob={"email": "bob@example.com", "email_verified": True,
                                            "groups": ["viewers"]},
                                carol={"email": "carol@example.com", "email_verified": False}))
        try:
            got = self.finish(self.probe(), "bob")
            carol = self.finish(self.probe(), "carol")
        finally:
            self.idp.set_users(USERS)
        self.assertTrue(got["ok"], got)
        self.assertEqual(got["claims"]["username"], "bob@example.com")
        self.assertEqual(got["claims"]["groups"], ["viewers"])
        # An email the provider has not verified is not a user name: the subject is.
        self.assertTrue(carol["ok"], carol)
        self.assertEqual(carol["claims"]["username"], "carol")
        self.assertEqual(carol["claims"]["groups"], [])

    def test_es256_id_tokens_verify(self):
        got = self.finish(self.probe("allotd-es", "es-secret"))
        self.assertTrue(got["ok"], got)
        self.assertEqual(got["claims"]["groups"], ["ml-team", "gpu-admins"])

    def test_second_login_after_key_rotation_refetches_the_keys_once(self):
        # 2 s: the forged-kid checks below must fall inside the interval even on a loaded machine.
        probe = self.probe(jwks_refetch_s=2)
        self.assertTrue(self.finish(probe)["ok"])
        self.assertEqual(probe.ask(op="fetches")["jwks_fetches"], 1)
        old_kids = {k["kid"] for k in self.idp.jwks()["keys"]}
        new_kids = self.idp.rotate_key()
        self.assertFalse(old_kids & set(new_kids))
        time.sleep(2.1)  # past the probe's refetch interval
        got = self.finish(probe)
        self.assertTrue(got["ok"], got)
        self.assertEqual(probe.ask(op="fetches")["jwks_fetches"], 2)
        # A token naming an unknown kid right after: refused, and no fetch (rate limited).
        token = self.idp.id_token_for("allotd", "allotd-secret", CALLBACK, "alice")
        head, payload, sig = token.split(".")
        header = json.loads(unb64url(head))
        header["kid"] = "no-such-kid"
        forged = ".".join([b64url(json.dumps(header).encode()), payload, sig])
        self.assertRefused(probe.ask(op="verify", id_token=forged),
                           'kid "no-such-kid" not in the issuer\'s keys')
        self.assertRefused(probe.ask(op="verify", id_token=forged), "kid")
        self.assertEqual(probe.ask(op="fetches")["jwks_fetches"], 2)

    def test_bare_id_token_of_this_client_verifies(self):
        token = self.idp.id_token_for("allotd", "allotd-secret", CALLBACK, "alice")
        got = self.probe().ask(op="verify", id_token=token)
        self.assertTrue(got["ok"], got)
        self.assertEqual(got["claims"]["groups"], ["ml-team", "gpu-admins"])

    def test_client_secret_post_where_the_provider_takes_only_that(self):
        post_only = idp_mod.Provider(
            clients=[idp_mod.client("allotd", "allotd-secret", [CALLBACK],
                                    auth_method="client_secret_post")],
            users=USERS, client_auth_methods=["client_secret_post"]).start()
        try:
            self.assertEqual(post_only.discovery()["token_endpoint_auth_methods_supported"],
                             ["client_secret_post"])
            probe = Probe(self.tmp, issuer=post_only.issuer, client_id="allotd",
                          client_secret="allotd-secret", redirect_uri=CALLBACK)
            self.probes.append(probe)
            begun = probe.ask(op="begin")
            back = idp_mod.parse_callback(post_only.login(begun["url"], "alice"))
            got = probe.ask(op="finish", pending=begun["pending"], **back)
        finally:
            post_only.stop()
        self.assertTrue(got["ok"], got)
        self.assertEqual(got["claims"]["groups"], ["ml-team", "gpu-admins"])

    def test_threads_verifying_at_once_share_one_key_fetch(self):
        token = self.idp.id_token_for("allotd", "allotd-secret", CALLBACK, "alice")
        probe = self.probe()  # nothing cached yet: the threads race to the first fetch
        got = probe.ask(op="verify_many", id_token=token, threads=8, rounds=25)
        self.assertEqual(got["verified"], 200, got)
        self.assertEqual(probe.ask(op="fetches")["jwks_fetches"], 1)

    # -- refusals

    def test_id_token_for_another_client_is_refused(self):
        token = self.idp.id_token_for("other-app", "other-secret", CALLBACK, "alice")
        self.assertRefused(self.probe().ask(op="verify", id_token=token),
                           'ID token audience "other-app" is not this client')
        self.assertTrue(self.probe("other-app", "other-secret").ask(op="verify",
                                                                    id_token=token)["ok"])

    def test_expired_id_token_is_refused(self):
        token = self.idp.id_token_for("short-lived", "short-secret", CALLBACK, "alice")
        time.sleep(2.2)
        self.assertRefused(self.probe("short-lived", "short-secret", leeway_s=0).ask(
            op="verify", id_token=token), "the ID token expired")

    def test_tampered_id_token_is_refused(self):
        token = self.idp.id_token_for("allotd", "allotd-secret", CALLBACK, "alice")
        head, payload, sig = token.split(".")
        claims = json.loads(unb64url(payload))
        claims["groups"] = ["system-administrators"]
        tampered = ".".join([head, b64url(json.dumps(claims).encode()), sig])
        probe = self.probe()
        self.assertRefused(probe.ask(op="verify", id_token=tampered),
                           "signature does not verify")
        none = ".".join([b64url(b'{"alg":"none"}'), payload, ""])
        self.assertRefused(probe.ask(op="verify", id_token=none), 'algorithm "none"')
        hs = ".".join([b64url(b'{"alg":"HS256","kid":"x"}'), payload, sig])
        self.assertRefused(probe.ask(op="verify", id_token=hs), 'algorithm "HS256"')

    def test_wrong_nonce_is_refused(self):
        probe = self.probe()
        pending, back = self.login(probe)
        other = probe.ask(op="begin")["pending"]
        self.assertRefused(probe.ask(op="finish", pending=dict(pending, nonce=other["nonce"]),
                                     **back), "nonce is not this login's")

    def test_wrong_state_is_refused(self):
        probe = self.probe()
        pending, back = self.login(probe)
        other = probe.ask(op="begin")["pending"]
        self.assertRefused(probe.ask(op="finish", pending=other, **back),
                           "state is not this login's")

    def test_code_used_twice_is_refused(self):
        probe = self.probe()
        pending, back = self.login(probe)
        self.assertTrue(probe.ask(op="finish", pending=pending, **back)["ok"])
        self.assertRefused(probe.ask(op="finish", pending=pending, **back), "invalid_grant")

    def test_wrong_client_secret_is_refused(self):
        probe = self.probe(secret="not-the-secret")
        pending, back = self.login(probe)
        self.assertRefused(probe.ask(op="finish", pending=pending, **back), "invalid_client")

    def test_discovery_with_a_mismatching_issuer_is_refused(self):
        probe = self.probe(issuer=self.idp.issuer + "/")
        self.assertRefused(probe.ask(op="begin"), "not the configured one exactly")

    def test_unreachable_issuer_is_an_error_not_a_crash(self):
        probe = self.probe(issuer="http://127.0.0.1:9")
        self.assertRefused(probe.ask(op="begin"), "cannot fetch the issuer's discovery")


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        PROBE = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
