"""sso_provider.py - runs tests/oidc's real OpenID provider (npm's oidc-provider) for the
dashboard's single sign-on test: `python3 sso_provider.py CALLBACK_URL` prints one JSON line,
{"issuer": URL} once it serves (or {"skip": why} where it cannot run here), and stops the
provider when its standard input ends. Users: alice, in group ml-team."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oidc"))
from provider import Provider, available, client  # noqa: E402

if available():
    print(json.dumps({"skip": available()}), flush=True)
    sys.exit(0)
idp = Provider(clients=[client("allotd", "allotd-secret", [sys.argv[1]])],
               users={"alice": {"preferred_username": "alice", "groups": ["ml-team"]}}).start()
try:
    print(json.dumps({"issuer": idp.issuer}), flush=True)
    sys.stdin.read()
finally:
    idp.stop()
