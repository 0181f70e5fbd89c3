"""test_tls.py - TLS for allotd's API (issue 13, item 6): a self-signed pair made once in the
state dir and reused, files given with --tls-cert/--tls-key, refusals of files that are not
a certificate or its key; allot trusting allotd by --ca-file, a pinned fingerprint or a local
state dir, and failing with exit 6 and a clear message for any other certificate; plain HTTP
only on loopback; streams over TLS; a slow handshake dropped like a slow request."""
import hashlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.request

from harness import ALLOT as ALLOT_PATH, ALLOTD, Daemon, DaemonTest, wait_until
from test_interactive import PROMPT_LOOP, PtyCli

ALLOT = os.path.abspath(ALLOT_PATH)
FINGERPRINT = re.compile(r"(?:[0-9A-F]{2}:){31}[0-9A-F]{2}")


def fingerprint_of_der(der):
    return ":".join("%02X" % b for b in hashlib.sha256(der).digest())


def fingerprint_of_pem(path):
    with open(path) as f:
        return fingerprint_of_der(ssl.PEM_cert_to_DER_cert(f.read()))


def openssl_pair(directory, name, cn="localhost", san="DNS:localhost,IP:127.0.0.1"):
    """A self-signed certificate and its key made by openssl (another party's files)."""
    cert, key = os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                    "-subj", "/CN=" + cn, "-addext", "subjectAltName=" + san, "-days", "2"],
                   check=True, capture_output=True)
    return cert, key


def served_certificate(port):
    """The certificate allotd shows on port, DER (not verified: it is what is looked at)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw) as s:
            return s.getpeercert(binary_form=True)


def port_of(url):
    return int(url.rsplit(":", 1)[1])


def allot(daemon, *args, env=None, input=None):
    """The real allot, with exactly the environment given (no server, token or trust of the
    harness's unless passed)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("ALLOT_")}
    base["ALLOT_CONFIG"] = os.environ["ALLOT_CONFIG"]
    return subprocess.run([ALLOT, *args], capture_output=True, text=True, timeout=60,
                          env=dict(base, **(env or {})), input=input)


class SelfSignedTest(unittest.TestCase):
    """--tls: the pair is made on the first start, reused on later ones."""

    def setUp(self):
        self.d = Daemon(args=["--tls"])
        self.tmp = tempfile.mkdtemp(prefix="allot-tls-")

    def tearDown(self):
        try:
            self.d.stop()
        finally:
            self.d.cleanup()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def test_a_pair_is_made_once_with_private_files_and_reused(self):
        self.d.start()
        self.assertTrue(self.d.url.startswith("https://127.0.0.1:"), self.d.url)
        first = self.d.log()
        self.assertEqual(first.count("made a self-signed TLS certificate"), 1, first)
        printed = FINGERPRINT.findall(first)
        cert, key = self.d.tls_file("allotd-tls.crt"), self.d.tls_file("allotd-tls.key")
        self.assertEqual(printed, [fingerprint_of_pem(cert)])
        for path in (cert, key):
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600, path)
        self.assertEqual(fingerprint_of_der(served_certificate(port_of(self.d.url))), printed[0])
        self.d.stop()
        self.d.start()
        again = self.d.log()[len(first):]
        self.assertNotIn("made a self-signed", again)
        self.assertEqual(FINGERPRINT.findall(again), [])  # printed once, when it was made
        self.assertEqual(fingerprint_of_der(served_certificate(port_of(self.d.url))), printed[0])
        shown = subprocess.run([ALLOTD, "--state-dir", self.d.state_dir, "--print-fingerprint"],
                               capture_output=True, text=True, timeout=30)
        self.assertEqual((shown.returncode, shown.stdout), (0, printed[0] + "\n"), shown.stderr)
        with open(self.d.tls_file("allotd.fingerprint")) as f:
            self.assertEqual(f.read(), printed[0] + "\n")

    def test_a_pair_made_for_other_names_is_kept_with_a_warning(self):
        self.d.start()
        fp = fingerprint_of_pem(self.d.tls_file("allotd-tls.crt"))
        self.d.stop()
        self.d.args += ["--tls-san", "gpu9.example.com"]
        before = len(self.d.log())
        self.d.start()
        said = self.d.log()[before:]
        self.assertIn("does not name gpu9.example.com", said)
        self.assertIn("remove allotd-tls.crt and allotd-tls.key", said)
        self.assertEqual(fingerprint_of_pem(self.d.tls_file("allotd-tls.crt")), fp)

    def test_pythons_ssl_with_the_certificate_as_ca_talks_to_the_api(self):
        self.d.start()
        for host in ("127.0.0.1", "localhost"):  # both are names of the certificate
            ctx = ssl.create_default_context(cafile=self.d.tls_file("allotd-tls.crt"))
            url = "https://%s:%d/api/v1/projects" % (host, port_of(self.d.url))
            req = urllib.request.Request(url, headers={"Authorization": "Bearer " + self.d.token})
            with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
                self.assertEqual(r.status, 200)
                self.assertIn(b'"items"', r.read())
        with self.assertRaises(ssl.SSLCertVerificationError):  # not trusted by default
            ssl.create_default_context().wrap_socket(
                socket.create_connection(("127.0.0.1", port_of(self.d.url)), timeout=10),
                server_hostname="127.0.0.1")

    def test_plain_http_to_the_tls_port_gets_nothing_useful(self):
        self.d.start()
        with socket.create_connection(("127.0.0.1", port_of(self.d.url)), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: allotd\r\nConnection: close\r\n\r\n")
            got = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    got += chunk
            except OSError:
                pass
        self.assertNotIn(b"HTTP/1.1 200", got)
        self.assertNotIn(b"status", got)
        p = allot(self.d, "project", "list", env={"ALLOT_SERVER": self.d.url.replace("https",
                                                                                      "http"),
                                                   "ALLOT_TOKEN": self.d.token})
        self.assertEqual(p.returncode, 6, p.stderr)  # never a fallback to what answers

    def test_the_cli_trusts_a_ca_file_a_pinned_fingerprint_and_the_state_dir(self):
        self.d.start()
        fp = fingerprint_of_pem(self.d.tls_file("allotd-tls.crt"))
        server = {"ALLOT_SERVER": self.d.url, "ALLOT_TOKEN": self.d.token}
        ways = [
            ("--ca-file", self.d.tls_file("allotd-tls.crt")),
            ("--tls-fingerprint", fp),
            ("--tls-fingerprint", fp.replace(":", "").lower()),
        ]
        for option, value in ways:
            p = allot(self.d, option, value, "project", "list", env=server)
            self.assertEqual(p.returncode, 0, (option, value, p.stderr))
        p = allot(self.d, "project", "list", "--state-dir", self.d.state_dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        # a workload submitted over TLS, seen over TLS
        p = allot(self.d, "project", "create", "tls-p", "--state-dir", self.d.state_dir)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_login_keeps_the_trust_in_the_context(self):
        self.d.start()
        fp = fingerprint_of_pem(self.d.tls_file("allotd-tls.crt"))
        token_file = os.path.join(self.tmp, "token")
        with open(token_file, "w") as f:
            f.write(self.d.token + "\n")
        for option, value, name in (("--tls-fingerprint", fp, "pinned"),
                                    ("--ca-file", self.d.tls_file("allotd-tls.crt"), "ca")):
            config = os.path.join(self.tmp, name + ".config")
            env = {"ALLOT_CONFIG": config}
            p = allot(self.d, "login", "--server", self.d.url, "--token-file", token_file,
                      option, value, "--context", name, env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(config) as f:
                self.assertIn(value, f.read())
            p = allot(self.d, "project", "list", env=env)  # nothing repeated
            self.assertEqual(p.returncode, 0, p.stderr)
        local = {"ALLOT_CONFIG": os.path.join(self.tmp, "local.config")}
        p = allot(self.d, "login", "--state-dir", self.d.state_dir, env=local)
        self.assertEqual(p.returncode, 0, p.stderr)  # trusted by the state dir's fingerprint
        p = allot(self.d, "project", "list", env=local)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = allot(self.d, "login", "--server", self.d.url, "--token-file", token_file,
                  env={"ALLOT_CONFIG": os.path.join(self.tmp, "none.config")})
        self.assertEqual(p.returncode, 6, p.stderr)  # nothing trusted, nothing saved
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "none.config")))

    def test_another_certificate_fails_with_exit_6_and_says_what_to_pass(self):
        self.d.start()
        other_cert, _ = openssl_pair(self.tmp, "other")
        fp = fingerprint_of_pem(self.d.tls_file("allotd-tls.crt"))
        wrong = ("00" if not fp.startswith("00") else "11") + fp[2:]
        server = {"ALLOT_SERVER": self.d.url, "ALLOT_TOKEN": self.d.token}
        cases = [
            ((), "--ca-file"),  # the system's CAs do not vouch for it
            (("--ca-file", other_cert), "--ca-file " + other_cert),
            (("--tls-fingerprint", wrong), fp),  # names what allotd showed
        ]
        for args, said in cases:
            p = allot(self.d, *args, "project", "list", env=server)
            self.assertEqual(p.returncode, 6, (args, p.stderr))
            self.assertIn(said, p.stderr, args)
            self.assertIn("certificate", p.stderr, args)
            self.assertNotIn("Traceback", p.stderr)
        p = allot(self.d, "--tls-fingerprint", "not-one", "project", "list", env=server)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--tls-fingerprint", p.stderr)
        # exec's stream checks the certificate the same way
        p = allot(self.d, "--tls-fingerprint", wrong, "workload", "exec", "w", "-p", "p", "--",
                  "true", env=server)
        self.assertEqual(p.returncode, 6, p.stderr)
        self.assertIn(fp, p.stderr)

    def test_a_broken_pair_in_the_state_dir_is_refused_naming_its_files(self):
        self.d.start()
        self.d.stop()
        with open(self.d.tls_file("allotd-tls.key"), "w") as f:
            f.write("not a key\n")
        p = subprocess.run([ALLOTD, "--state-dir", self.d.state_dir, "--listen", "127.0.0.1:0",
                            "--tls"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("allotd-tls.key", p.stderr)
        self.assertIn("not a PEM private key", p.stderr)
        self.assertIn("remove", p.stderr)


class ListenTest(unittest.TestCase):
    """Beyond loopback: with TLS allowed, without it refused."""

    def test_every_address_with_tls_is_served_and_without_it_refused(self):
        d = Daemon(args=["--listen", "0.0.0.0:0", "--tls", "--tls-san", "allot.example.com"])
        try:
            d.start()
            self.assertTrue(d.url.startswith("https://0.0.0.0:"), d.url)
            ctx = ssl.create_default_context(cafile=d.tls_file("allotd-tls.crt"))
            with urllib.request.urlopen("https://127.0.0.1:%d/healthz" % port_of(d.url),
                                        timeout=30, context=ctx) as r:
                self.assertEqual(r.status, 200)
            text = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in",
                                   d.tls_file("allotd-tls.crt")], capture_output=True,
                                  text=True).stdout
            self.assertIn("DNS:allot.example.com", text)
        finally:
            try:
                d.stop()  # closes the test's handle on its log (cleanup kills what holds one)
            finally:
                d.cleanup()
        state = tempfile.mkdtemp(prefix="allot-tls-")
        try:
            p = subprocess.run([ALLOTD, "--state-dir", state, "--listen", "0.0.0.0:0"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("--tls", p.stderr)
            self.assertIn("--insecure-http", p.stderr)
        finally:
            shutil.rmtree(state, ignore_errors=True)


class GivenFilesTest(unittest.TestCase):
    """--tls-cert and --tls-key: served when they are a certificate and its key."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="allot-tls-")
        self.cert, self.key = openssl_pair(self.tmp, "server")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def refused(self, *args):
        state = os.path.join(self.tmp, "state")
        p = subprocess.run([ALLOTD, "--state-dir", state, "--listen", "127.0.0.1:0", *args],
                           capture_output=True, text=True, timeout=60)
        self.assertGreater(p.returncode, 0, p.stderr)  # an exit, not a crash
        self.assertFalse(os.path.exists(os.path.join(state, "allotd.addr")))
        self.assertNotIn("AddressSanitizer", p.stderr)
        return p.stderr

    def test_given_files_are_served(self):
        d = Daemon(args=["--tls-cert", self.cert, "--tls-key", self.key])
        try:
            d.start()
            self.assertTrue(d.url.startswith("https://"), d.url)
            self.assertFalse(os.path.exists(d.tls_file("allotd-tls.crt")))  # none made
            fp = fingerprint_of_pem(self.cert)
            self.assertEqual(fingerprint_of_der(served_certificate(port_of(d.url))), fp)
            with open(d.tls_file("allotd.fingerprint")) as f:
                self.assertEqual(f.read().strip(), fp)
            ctx = ssl.create_default_context(cafile=self.cert)
            with urllib.request.urlopen(d.url.replace("127.0.0.1", "localhost") + "/healthz",
                                        timeout=30, context=ctx) as r:
                self.assertEqual(r.status, 200)
            p = allot(d, "--ca-file", self.cert, "project", "list",
                      env={"ALLOT_SERVER": d.url, "ALLOT_TOKEN": d.token})
            self.assertEqual(p.returncode, 0, p.stderr)
            p = allot(d, "project", "list", "--state-dir", d.state_dir)
            self.assertEqual(p.returncode, 0, p.stderr)
            shown = subprocess.run([ALLOTD, "--tls-cert", self.cert, "--print-fingerprint"],
                                   capture_output=True, text=True, timeout=30)
            self.assertEqual(shown.stdout, fp + "\n", shown.stderr)
        finally:
            try:
                d.stop()  # closes the test's handle on its log (cleanup kills what holds one)
            finally:
                d.cleanup()

    def test_malformed_files_are_refused_naming_the_option_and_the_problem(self):
        other_cert, other_key = openssl_pair(self.tmp, "other")
        garbage = os.path.join(self.tmp, "garbage.pem")
        with open(garbage, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
        text = os.path.join(self.tmp, "text")
        with open(text, "w") as f:
            f.write("hello\n")
        encrypted = os.path.join(self.tmp, "encrypted.key")
        subprocess.run(["openssl", "pkcs8", "-topk8", "-in", self.key, "-out", encrypted,
                        "-passout", "pass:secret"], check=True, capture_output=True)
        missing = os.path.join(self.tmp, "missing.pem")
        cases = [
            (["--tls-cert", missing, "--tls-key", self.key], ["--tls-cert", "cannot read"]),
            (["--tls-cert", text, "--tls-key", self.key], ["--tls-cert", "no certificate"]),
            (["--tls-cert", garbage, "--tls-key", self.key], ["--tls-cert", "not a PEM"]),
            (["--tls-cert", self.cert, "--tls-key", text], ["--tls-key", "not a PEM private key"]),
            (["--tls-cert", self.cert, "--tls-key", self.cert], ["--tls-key", "private key"]),
            (["--tls-cert", self.cert, "--tls-key", other_key], ["--tls-key", "not the key of"]),
            (["--tls-cert", self.cert, "--tls-key", encrypted], ["--tls-key", "encrypted"]),
            (["--tls-cert", self.cert], ["--tls-key"]),
            (["--tls-key", self.key], ["--tls-cert"]),
            (["--tls-san", "x.example.com"], ["--tls-san", "--tls"]),
            (["--tls", "--tls-cert", self.cert, "--tls-key", self.key], ["--tls"]),
        ]
        for args, words in cases:
            err = self.refused(*args)
            for w in words:
                self.assertIn(w, err, args)
        del other_cert


class StreamTest(DaemonTest):
    """exec and port-forward streams over TLS (libcurl's TLS connection in allot, MHD's in
    allotd)."""
    args = ("--tls",)

    def test_exec_passes_stdin_stdout_stderr_and_the_exit_code_over_tls(self):
        self.project("p")
        self.submit("ws", "p", ["sleep", "300"], kind="workspace")
        self.d.wait_state("ws", "running")
        p = allot(self.d, "workload", "exec", "ws", "--", "sh", "-c",
                  "tr a-z A-Z; echo oops >&2; exit 7", input="some input\n" * 2000,
                  env={"ALLOT_STATE_DIR": self.d.state_dir})
        self.assertEqual((p.returncode, p.stdout, p.stderr), (7, "SOME INPUT\n" * 2000, "oops\n"))

    def test_attach_over_tls_takes_input_detaches_and_sees_the_end(self):
        self.project("p")
        self.submit("ws", "p", ["python3", "-c", PROMPT_LOOP], kind="workspace")
        self.d.wait_state("ws", "running")
        term = PtyCli(self.d, "workload", "attach", "ws")
        term.read_until(b"ws> ")
        term.type(b"hello\r")
        term.read_until(b"got hello")
        term.type(b"\x10\x11")  # ^P ^Q
        term.read_until(b"detached")
        self.assertEqual(term.wait(), 0)
        again = PtyCli(self.d, "workload", "attach", "ws")
        again.read_until(b"ws> ")
        again.type(b"quit\r")
        again.read_until(b"ended (exit code")
        self.assertEqual(again.wait(), 5)

    def test_port_forward_carries_a_request_and_its_answer_over_tls(self):
        self.project("p")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            remote = s.getsockname()[1]
        self.submit("web", "p", ["python3", "-m", "http.server", str(remote), "--bind",
                                 "127.0.0.1"], kind="workspace")
        self.d.wait_state("web", "running")
        wait_until(lambda: self.d.cli("workload", "exec", "web", "--", "python3", "-c",
                                      "import socket; socket.create_connection(('127.0.0.1', %d))"
                                      % remote, check=False).returncode == 0,
                   what="the server to listen")
        env = dict(os.environ, ALLOT_SERVER=self.d.url, ALLOT_TOKEN=self.d.token,
                   **self.d.tls_env())
        forward = subprocess.Popen([ALLOT, "workload", "port-forward", "web", "0:%d" % remote],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        try:
            line = forward.stdout.readline()
            local = int(re.search(r"127\.0\.0\.1:(\d+) -> %d" % remote, line).group(1))
            for _ in range(2):
                with urllib.request.urlopen("http://127.0.0.1:%d/" % local, timeout=15) as r:
                    self.assertEqual(r.status, 200)
                    self.assertIn(b"Directory listing", r.read())
        finally:
            forward.send_signal(signal.SIGINT)
            status = forward.wait(timeout=15)
            errors = forward.stderr.read()
            forward.stdout.close()
            forward.stderr.close()
        self.assertEqual(status, 0, errors)


    def test_a_task_that_closes_its_connection_closes_the_forwarded_one(self):
        """libmicrohttpd passes no half-close through TLS: allotd's relay ends the stream when
        the task's side ends, so that the client still sees the end."""
        self.project("p")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            remote = s.getsockname()[1]
        server = ("import socket\n"
                  "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                  "s.bind(('127.0.0.1', %d)); s.listen(5)\n"
                  "while True:\n"
                  "    c, _ = s.accept(); c.recv(100); c.sendall(b'bye\\n'); c.close()\n" % remote)
        self.submit("banner", "p", ["python3", "-c", server], kind="workspace")
        self.d.wait_state("banner", "running")
        env = dict(os.environ, ALLOT_SERVER=self.d.url, ALLOT_TOKEN=self.d.token,
                   **self.d.tls_env())
        forward = subprocess.Popen([ALLOT, "workload", "port-forward", "banner", "0:%d" % remote],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        try:
            local = int(re.search(r"127\.0\.0\.1:(\d+) ->", forward.stdout.readline()).group(1))

            def answered():
                with socket.create_connection(("127.0.0.1", local), timeout=10) as c:
                    c.sendall(b"hi")
                    got = b""
                    while True:
                        chunk = c.recv(100)
                        if not chunk:
                            return got
                        got += chunk
            self.assertEqual(wait_until(answered, what="the task's answer and its end"), b"bye\n")
        finally:
            forward.send_signal(signal.SIGINT)
            status = forward.wait(timeout=15)
            errors = forward.stderr.read()
            forward.stdout.close()
            forward.stderr.close()
        self.assertEqual(status, 0, errors)


class SlowHandshakeTest(DaemonTest):
    """A TLS handshake is part of the request a new connection owes within --header-timeout."""
    args = ("--tls", "--header-timeout", "2")

    def closed_within(self, s, seconds):
        began = time.monotonic()
        try:
            got = s.recv(100)
        except OSError:
            got = b""
        self.assertEqual(got, b"")
        self.assertLess(time.monotonic() - began, seconds)

    def test_a_connection_that_sends_nothing_is_closed_at_the_header_timeout(self):
        s = socket.create_connection(("127.0.0.1", port_of(self.d.url)), timeout=10)
        try:
            self.closed_within(s, 5)
        finally:
            s.close()

    def test_half_a_client_hello_is_closed_at_the_header_timeout(self):
        # a TLS record header promising 512 bytes of ClientHello, and only the first few
        hello = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03])
        s = socket.create_connection(("127.0.0.1", port_of(self.d.url)), timeout=10)
        try:
            s.sendall(hello + os.urandom(40))
            self.closed_within(s, 5)
        finally:
            s.close()
        status, _, _ = self.d.request("GET", "/healthz", token=False)  # others still served
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
