"""test_http_abuse.py - what a security probe of allotd's HTTP layer found (issue 13): floods of
wrong tokens and of idle or slow connections must not stop valid requests, and the
Authorization header is read strictly (one, whole, the scheme in any case, before any body)."""
import os
import socket
import sqlite3
import threading
import time
import unittest

from harness import Daemon, DaemonTest, wait_until

VALID_WITHIN_S = 2.0  # a generous bound: the figures are bench/allotd_abuse.py's


def head(path, token, method="GET", extra=b""):
    return (method.encode() + b" " + path.encode() + b" HTTP/1.1\r\nHost: allotd\r\n"
            b"Connection: close\r\n" + (b"Authorization: Bearer " + token + b"\r\n"
                                        if token is not None else b"") + extra + b"\r\n")


class RawClient:
    def __init__(self, daemon):
        host, port = daemon.url.split("//")[1].split(":")
        self.addr = (host, int(port))

    def connect(self, timeout=10):
        return socket.create_connection(self.addr, timeout=timeout)

    def exchange(self, data, timeout=10):
        """Sends `data`, returns everything answered until the server closes."""
        with self.connect(timeout) as s:
            s.sendall(data)
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out
                out += chunk

    def status(self, data):
        return int(self.exchange(data).split(b" ", 2)[1])


class HeaderTest(DaemonTest):
    def setUp(self):
        super().setUp()
        self.raw = RawClient(self.d)
        self.token = self.d.token.encode()

    def test_a_nul_after_the_token_is_refused(self):
        self.assertEqual(self.raw.status(head("/api/v1/projects", self.token)), 200)
        for junk in (b"\x00", b"\x00junk", b"\x00 more"):
            self.assertEqual(self.raw.status(head("/api/v1/projects", self.token + junk)), 401,
                             junk)

    def test_two_authorization_headers_are_refused(self):
        for second in (self.token, b"allot_wrong"):
            status = self.raw.status(head("/api/v1/projects", self.token,
                                          extra=b"Authorization: Bearer " + second + b"\r\n"))
            self.assertEqual(status, 400, second)

    def test_the_bearer_scheme_is_case_insensitive(self):
        for scheme in (b"bearer", b"BEARER", b"bEaReR"):
            data = (b"GET /api/v1/projects HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
                    b"Authorization: " + scheme + b" " + self.token + b"\r\n\r\n")
            self.assertEqual(self.raw.status(data), 200, scheme)
        for bad in (b"Bearer", b"Bearer ", b"Bearertoken", b"Basic " + self.token,
                    b"Bearer " + self.token + b" extra"):
            data = (b"GET /api/v1/projects HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
                    b"Authorization: " + bad + b"\r\n\r\n")
            self.assertEqual(self.raw.status(data), 401, bad)

    def test_a_bad_token_gets_no_100_continue(self):
        with self.raw.connect() as s:
            s.sendall(head("/api/v1/projects", b"allot_wrong", method="POST",
                           extra=b"Content-Type: application/json\r\nContent-Length: 20\r\n"
                                 b"Expect: 100-continue\r\n"))
            answer = s.recv(4096)
        self.assertTrue(answer.startswith(b"HTTP/1.1 401"), answer)
        self.assertNotIn(b"100 Continue", answer)

    def test_a_good_token_gets_100_continue_and_its_body_read(self):
        body = b'{"name": "team-c"}'
        with self.raw.connect() as s:
            s.sendall(head("/api/v1/projects", self.token, method="POST",
                           extra=b"Content-Type: application/json\r\nContent-Length: %d\r\n"
                                 b"Expect: 100-continue\r\n" % len(body)))
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 100"))
            s.sendall(body)
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 201"))

    def test_no_token_appears_in_the_log(self):
        self.raw.status(head("/api/v1/projects", b"allot_guessed_secret"))
        self.raw.status(head("/api/v1/projects", self.token))
        log = self.d.log()
        self.assertNotIn(self.d.token, log)
        self.assertNotIn("allot_guessed_secret", log)


def argon2id_hash(token):
    """An Argon2id string of the token, made with libsodium through ctypes (as allotd did)."""
    import ctypes
    import ctypes.util
    sodium = ctypes.CDLL(ctypes.util.find_library("sodium"))
    sodium.sodium_init()
    out = ctypes.create_string_buffer(128)
    sodium.crypto_pwhash_str.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong,
                                         ctypes.c_ulonglong, ctypes.c_size_t]
    ops = sodium.crypto_pwhash_opslimit_interactive()
    mem = sodium.crypto_pwhash_memlimit_interactive()
    assert sodium.crypto_pwhash_str(out, token.encode(), len(token), ops, mem) == 0
    return out.value.decode()


class LegacyTokenTest(unittest.TestCase):
    def setUp(self):
        self.d = Daemon().start()

    def tearDown(self):
        try:
            self.d.stop()
        finally:
            self.d.cleanup([])

    def hashes(self):
        db = sqlite3.connect(os.path.join(self.d.state_dir, "allot.db"))
        rows = [row[0] for row in db.execute("SELECT hash FROM tokens ORDER BY id")]
        db.close()
        return rows

    def set_hashes(self, hashes):
        db = sqlite3.connect(os.path.join(self.d.state_dir, "allot.db"))
        db.execute("DELETE FROM tokens")
        for h in hashes:
            db.execute("INSERT INTO tokens (name, hash, role, created_s) VALUES "
                       "('admin', ?, 'admin', 0)", (h,))
        db.commit()
        db.close()

    def test_tokens_are_stored_as_blake2b_digests(self):
        (stored,) = self.hashes()
        self.assertTrue(stored.startswith("blake2b:"), stored)
        self.assertEqual(len(stored), len("blake2b:") + 64)
        self.assertNotIn(self.d.token, stored)

    def test_an_argon2id_admin_token_is_upgraded_on_start(self):
        self.d.stop()
        self.set_hashes([argon2id_hash(self.d.token)])
        self.d.start()
        (stored,) = self.hashes()
        self.assertTrue(stored.startswith("blake2b:"), stored)
        self.assertEqual(self.d.request("GET", "/api/v1/projects")[0], 200)

    def test_an_argon2id_token_not_in_admin_token_is_still_accepted(self):
        other = "allot_" + "k" * 43
        self.d.stop()
        self.set_hashes([argon2id_hash(self.d.token), argon2id_hash(other)])
        self.d.start()
        stored = self.hashes()
        self.assertTrue(stored[0].startswith("blake2b:"), stored)
        self.assertTrue(stored[1].startswith("$argon2id$"), stored)
        self.assertIn("Argon2id", self.d.log())
        self.assertEqual(self.d.request("GET", "/api/v1/projects", token=other)[0], 200)
        self.assertEqual(self.d.request("GET", "/api/v1/projects", token=other)[0], 200)
        self.assertEqual(self.d.request("GET", "/api/v1/projects", token="allot_wrong")[0], 401)
        self.assertEqual(self.d.request("GET", "/api/v1/projects")[0], 200)


def valid_requests_during(test, daemon, count=20):
    """Makes `count` valid requests one after another; each must succeed within the bound."""
    for _ in range(count):
        began = time.monotonic()
        status, body, _ = daemon.request("GET", "/api/v1/projects")
        took = time.monotonic() - began
        test.assertEqual(status, 200, body)
        test.assertLess(took, VALID_WITHIN_S)


class FloodTest(DaemonTest):
    def test_wrong_token_floods_do_not_slow_valid_requests(self):
        raw = RawClient(self.d)
        stop = threading.Event()
        wrong = []

        def flood(k):
            while not stop.is_set():
                wrong.append(raw.status(head("/api/v1/projects", b"allot_wrong%d" % k)))

        threads = [threading.Thread(target=flood, args=(k,)) for k in range(16)]
        for t in threads:
            t.start()
        try:
            wait_until(lambda: len(wrong) > 50, what="the flood to start")
            valid_requests_during(self, self.d)
            self.assertEqual(self.d.request("GET", "/healthz", token=False)[0], 200)
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(set(wrong), {401})

    def test_idle_connections_do_not_block_valid_requests(self):
        raw = RawClient(self.d)
        idle = [raw.connect() for _ in range(300)]
        try:
            valid_requests_during(self, self.d)
            began = time.monotonic()
            self.assertEqual(self.d.request("GET", "/healthz", token=False)[0], 200)
            self.assertLess(time.monotonic() - began, VALID_WITHIN_S)
        finally:
            for s in idle:
                s.close()


class SlowClientTest(DaemonTest):
    args = ("--header-timeout", "2", "--idle-timeout", "3")

    def test_a_connection_without_a_request_is_closed_at_the_header_timeout(self):
        s = RawClient(self.d).connect(timeout=10)
        began = time.monotonic()
        self.assertEqual(s.recv(100), b"")  # closed by allotd
        self.assertLess(time.monotonic() - began, 5)
        s.close()

    def test_a_slow_trickle_is_closed_at_the_header_timeout(self):
        s = RawClient(self.d).connect(timeout=10)
        data = head("/api/v1/projects", self.d.token.encode())
        began = time.monotonic()
        closed = False
        for byte in data:
            try:
                s.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            time.sleep(0.25)
            if time.monotonic() - began > 8:
                break
        if not closed:
            try:
                closed = s.recv(100) == b""
            except OSError:
                closed = True
        self.assertTrue(closed)
        self.assertLess(time.monotonic() - began, 5)
        s.close()

    def test_a_kept_alive_connection_may_wait_for_its_next_request(self):
        s = RawClient(self.d).connect(timeout=10)
        keep = head("/healthz", None).replace(b"Connection: close\r\n", b"")
        s.sendall(keep)
        self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200"))
        time.sleep(2.5)  # past the header timeout, within the idle timeout
        s.sendall(keep)
        self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200"))
        s.close()


class DescriptorsRunOutTest(DaemonTest):
    args = ("--header-timeout", "1")

    def test_idle_connections_that_use_up_the_descriptors_are_closed(self):
        """With 400 descriptors, 300 idle connections leave allotd none to accept with: the
        header deadline closes them, and valid requests are served again."""
        import resource
        resource.prlimit(self.d.proc.pid, resource.RLIMIT_NOFILE, (400, 400))
        raw = RawClient(self.d)
        idle = [raw.connect() for _ in range(300)]
        try:
            for _ in range(5):
                began = time.monotonic()
                status, body, _ = self.d.request("GET", "/api/v1/projects")
                self.assertEqual(status, 200, body)
                self.assertLess(time.monotonic() - began, 1 + VALID_WITHIN_S)
        finally:
            for s in idle:
                s.close()


class PerAddressLimitTest(DaemonTest):
    args = ("--max-connections-per-ip", "8")

    def test_connections_over_the_per_address_limit_are_closed(self):
        """Nine connections from one address against a limit of eight: exactly one is closed
        unanswered. Which one depends on the order allotd's threads accept them in (not
        always the order they were made), so each is asked and the answers counted."""
        raw = RawClient(self.d)
        held = [raw.connect() for _ in range(9)]
        try:
            answers = []
            for s in held:
                try:
                    s.sendall(head("/healthz", None))
                    answers.append(s.recv(100))
                except (ConnectionResetError, BrokenPipeError):
                    answers.append(b"")
            served = sum(1 for a in answers if a.startswith(b"HTTP/1.1 200"))
            self.assertGreaterEqual(sum(1 for a in answers if a == b""), 1, answers)
            self.assertLessEqual(served, 8, answers)
            self.assertGreaterEqual(served, 7, answers)  # the limit, not a failure of allotd
        finally:
            for s in held:
                s.close()
        def served():  # allotd sees the held ones closed a moment later
            try:
                return self.d.request("GET", "/healthz", token=False)[0] == 200
            except OSError:
                return False
        wait_until(served, what="a connection once the held ones closed")


if __name__ == "__main__":
    unittest.main()
