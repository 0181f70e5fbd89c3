"""provider.py - a real OpenID provider for allot's tests (npm's oidc-provider run by provider.mjs
on 127.0.0.1): start and stop it, make and rotate its signing keys, set its users and groups, and
walk the browser's part of a login with plain HTTP requests (no browser).

    cb = "https://127.0.0.1:9/api/v1/sso/callback"
    with Provider(clients=[client("allotd", "secret", [cb])],
                  users={"alice": {"groups": ["ml-team"]}}) as idp:
        idp.issuer                      # http://127.0.0.1:PORT
        callback = idp.login(authorization_url, "alice")   # the redirect URI with code and state
        query = parse_callback(callback)                    # {"code": .., "state": .., "iss": ..}
        idp.rotate_key()                # new signing keys (new kids); the old ones are gone
        idp.set_users({...})            # new users or groups, no restart
        tokens = idp.exchange_code("allotd", "secret", query["code"], cb, verifier)

Keys are made with Python's `cryptography` where it is installed, else with Node's crypto (Node
runs the provider anyway). Node and tests/oidc/node_modules (`npm ci`, scripts/setup) are needed.
"""
import base64
import html.parser
import http.cookiejar
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def available():
    """Why the provider cannot run here ('' when it can)."""
    if not shutil.which("node"):
        return "node is not installed"
    if not os.path.isdir(os.path.join(HERE, "node_modules", "oidc-provider")):
        return "tests/oidc/node_modules is missing (run scripts/setup: npm ci in tests/oidc)"
    return ""


def client(client_id, secret, redirect_uris, auth_method="client_secret_basic", **extra):
    """A confidential client of the authorization-code flow, as oidc-provider takes it."""
    meta = {
        "client_id": client_id,
        "client_secret": secret,
        "redirect_uris": list(redirect_uris),
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": auth_method,
    }
    meta.update(extra)
    return meta


def _b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _int_b64url(value, size=None):
    size = size or (value.bit_length() + 7) // 8
    return _b64url(value.to_bytes(size, "big"))


def make_jwk(kty="RSA", kid=None):
    """A private signing JWK (RSA 2048 for RS256, or EC P-256 for ES256) with a fresh kid."""
    kid = kid or "k-" + secrets.token_hex(6)
    try:
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
    except ImportError:
        return _node_jwk(kty, kid)
    if kty == "RSA":
        n = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_numbers()
        pub = n.public_numbers
        jwk = {"kty": "RSA", "n": _int_b64url(pub.n), "e": _int_b64url(pub.e),
               "d": _int_b64url(n.d), "p": _int_b64url(n.p), "q": _int_b64url(n.q),
               "dp": _int_b64url(n.dmp1), "dq": _int_b64url(n.dmq1), "qi": _int_b64url(n.iqmp),
               "alg": "RS256"}
    else:
        n = ec.generate_private_key(ec.SECP256R1()).private_numbers()
        jwk = {"kty": "EC", "crv": "P-256", "x": _int_b64url(n.public_numbers.x, 32),
               "y": _int_b64url(n.public_numbers.y, 32), "d": _int_b64url(n.private_value, 32),
               "alg": "ES256"}
    jwk.update({"kid": kid, "use": "sig"})
    return jwk


def _node_jwk(kty, kid):
    script = (
        "const c=require('node:crypto');"
        "const k=process.argv[1]==='RSA'?c.generateKeyPairSync('rsa',{modulusLength:2048})"
        ":c.generateKeyPairSync('ec',{namedCurve:'P-256'});"
        "process.stdout.write(JSON.stringify(k.privateKey.export({format:'jwk'})))")
    jwk = json.loads(subprocess.run(["node", "-e", script, kty], check=True,
                                    capture_output=True, text=True).stdout)
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256" if kty == "RSA" else "ES256"})
    return jwk


def public_jwk(jwk):
    """The public half of a private JWK."""
    keep = {"kty", "kid", "use", "alg", "n", "e", "crv", "x", "y"}
    return {k: v for k, v in jwk.items() if k in keep}


def parse_callback(url):
    """The query of a redirect back to the client: {"code", "state", "iss"} or an "error"."""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class _Form(html.parser.HTMLParser):
    """The first <form> of a page: its action, method and inputs."""

    def __init__(self):
        super().__init__()
        self.action, self.method, self.inputs, self._in_form, self._done = None, "get", {}, False, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self._done and not self._in_form:
            self._in_form, self.action = True, a.get("action", "")
            self.method = (a.get("method") or "get").lower()
        elif tag == "input" and self._in_form and a.get("name"):
            self.inputs[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


class Provider:
    """One oidc-provider process on 127.0.0.1 (a free port unless `port` is given)."""

    def __init__(self, clients=(), users=None, kty=("RSA",), id_token_ttl=3600,
                 id_token_ttls=None, client_auth_methods=None, port=0, workdir=None):
        self._own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="allot-oidc-")
        self.clients = list(clients)
        self.users = dict(users or {})
        self.id_token_ttl = id_token_ttl
        self.id_token_ttls = dict(id_token_ttls or {})
        self.client_auth_methods = client_auth_methods
        self.port = port
        self.kty = tuple(kty)
        self.keys = [make_jwk(t) for t in self.kty]
        self.proc = None
        self.issuer = None
        self._lines = []
        self._cond = threading.Condition()

    # -- lifecycle

    def _write(self):
        with open(os.path.join(self.dir, "keys.json"), "w") as f:
            json.dump({"keys": self.keys}, f)
        os.chmod(os.path.join(self.dir, "keys.json"), 0o600)
        cfg = {"port": self.port, "jwks_file": os.path.join(self.dir, "keys.json"),
               "clients": self.clients, "users": self.users, "id_token_ttl": self.id_token_ttl,
               "id_token_ttls": self.id_token_ttls}
        if self.client_auth_methods:
            cfg["client_auth_methods"] = list(self.client_auth_methods)
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            json.dump(cfg, f)

    def _read_output(self):
        for line in self.proc.stdout:
            with self._cond:
                self._lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._lines.append(None)  # the process ended
            self._cond.notify_all()

    def _wait_line(self, prefix, timeout=20.0):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, line in enumerate(self._lines):
                    if line is None:
                        raise RuntimeError("oidc-provider exited: " + self._stderr_tail())
                    if line.startswith(prefix):
                        del self._lines[: i + 1]
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("oidc-provider did not say %r: %s" % (prefix, self._stderr_tail()))
                self._cond.wait(left)

    def _stderr_tail(self):
        try:
            with open(os.path.join(self.dir, "stderr.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def start(self):
        why = available()
        if why:
            raise RuntimeError(why)
        self._write()
        self._stderr = open(os.path.join(self.dir, "stderr.log"), "w")
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "provider.mjs"),
                                      os.path.join(self.dir, "config.json")],
                                     stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                     cwd=HERE)
        threading.Thread(target=self._read_output, daemon=True).start()
        self.port = int(self._wait_line("ready ").split()[1])
        self.issuer = "http://127.0.0.1:%d" % self.port
        return self

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.proc = None
            self._stderr.close()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def reload(self):
        """Re-reads the configuration and keys (after a change below), keeping sessions."""
        self._write()
        self.proc.send_signal(signal.SIGHUP)
        line = self._wait_line("reload")
        if line != "reloaded":
            raise RuntimeError(line)

    # -- what a test changes

    def rotate_key(self, keep_old=False):
        """Signs with new keys from now on (one per key type it was started with, new kids);
        the old keys stay published only with keep_old. Returns the new kids."""
        new = [make_jwk(t) for t in self.kty]
        self.keys = new + (self.keys if keep_old else [])
        self.reload()
        return [k["kid"] for k in new]

    def set_users(self, users):
        """Replaces the users: {"name": {claims, e.g. "groups": [...], "email": ...}}."""
        self.users = dict(users)
        self.reload()

    def add_client(self, meta):
        self.clients.append(meta)
        self.reload()

    def jwks(self):
        """The public keys as the provider publishes them."""
        with urllib.request.urlopen(self.discovery()["jwks_uri"], timeout=10) as r:
            return json.load(r)

    def discovery(self):
        url = self.issuer + "/.well-known/openid-configuration"
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)

    # -- the browser's part of a login

    def login(self, authorization_url, username, password="any", redirect_prefix=None,
              max_steps=20):
        """Follows an authorization URL through the provider's login and consent forms as
        `username`, and returns the URL the provider redirects the browser to at the end (the
        client's redirect URI with code and state, or with an error). A fresh browser each time
        (new cookies), so each login asks for the password again."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
        url, data = authorization_url, None
        for _ in range(max_steps):
            try:
                resp = opener.open(urllib.request.Request(url, data=data), timeout=10)
                status, headers, body = resp.status, resp.headers, resp.read().decode()
            except urllib.error.HTTPError as e:
                status, headers, body = e.code, e.headers, e.read().decode(errors="replace")
            if status in (301, 302, 303, 307, 308):
                nxt = urllib.parse.urljoin(url, headers["Location"])
                if not nxt.startswith(self.issuer + "/") or (
                        redirect_prefix and nxt.startswith(redirect_prefix)):
                    return nxt  # back to the client: the browser's part is over
                url, data = nxt, None
                continue
            if status != 200:
                raise RuntimeError("provider answered %d at %s: %s" % (status, url, body[:500]))
            form = _Form()
            form.feed(body)
            if form.action is None:
                raise RuntimeError("no form at %s: %s" % (url, body[:500]))
            fields = dict(form.inputs)
            if "login" in fields or "password" in fields:
                fields.update({"login": username, "password": password})
            url = urllib.parse.urljoin(url, form.action)
            data = urllib.parse.urlencode(fields).encode() if form.method == "post" else None
            if data is None:
                url += "?" + urllib.parse.urlencode(fields)
        raise RuntimeError("login did not finish in %d steps" % max_steps)

    def exchange_code(self, client_id, secret, code, redirect_uri, verifier):
        """The token endpoint's answer for a code (client_secret_basic): what a client gets,
        e.g. an ID token for another client to present elsewhere."""
        form = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code,
                                       "redirect_uri": redirect_uri, "code_verifier": verifier})
        auth = base64.b64encode(("%s:%s" % (urllib.parse.quote(client_id, safe=""),
                                            urllib.parse.quote(secret, safe=""))).encode())
        req = urllib.request.Request(self.discovery()["token_endpoint"], data=form.encode(),
                                     headers={"Authorization": "Basic " + auth.decode()})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def id_token_for(self, client_id, secret, redirect_uri, username,
                     scope="openid profile email groups"):
        """An ID token issued to `client_id` for `username` (the whole code flow, acting as
        that client): what a CI job would present to a token-exchange grant."""
        verifier, challenge = pkce_pair()
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
            "scope": scope, "state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge, "code_challenge_method": "S256"})
        back = parse_callback(self.login(self.discovery()["authorization_endpoint"] + "?" + query,
                                         username))
        if "code" not in back:
            raise RuntimeError("the provider gave no code: %r" % back)
        return self.exchange_code(client_id, secret, back["code"], redirect_uri,
                                  verifier)["id_token"]


def pkce_pair():
    """A PKCE verifier and its S256 challenge, for a test acting as a client itself."""
    import hashlib
    verifier = _b64url(secrets.token_bytes(32))
    return verifier, _b64url(hashlib.sha256(verifier.encode()).digest())
