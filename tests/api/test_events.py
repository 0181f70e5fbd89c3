"""test_events.py - GET /api/v1/events: the recent changes of workloads and queues, listed or
followed as server-sent events: in order and as they happen, resumed after a disconnect without
loss, only what the caller may read, a slow reader dropped without allotd growing, many
followers costing submits nothing measurable, followers kept past the idle timeout, and bad
parameters refused naming the field."""
import json
import os
import select
import subprocess
import socket
import threading
import time
import unittest

from harness import ALLOT, Daemon, DaemonTest, wait_until

PASSWORD = "a-long-test-password"


class Follower:
    """A raw connection following the stream; events() parses what came so far."""

    def __init__(self, d, query="", token=None, headers=(), rcvbuf=None):
        host, port = d.url.split("//")[1].rsplit(":", 1)
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect((host, int(port)))
        lines = ["GET /api/v1/events?follow=1%s HTTP/1.1" % query, "Host: allotd",
                 "Authorization: Bearer " + (token or d.token), *headers]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.raw = b""
        self.closed = False
        self.read_until(lambda: b"\r\n\r\n" in self.raw, 10)
        self.head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        self.status = int(self.head.split()[1])

    def read_some(self, timeout):
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        self.raw += chunk
        return True

    def read_until(self, predicate, timeout):
        deadline = time.time() + timeout
        while not predicate() and not self.closed and time.time() < deadline:
            self.read_some(min(0.2, max(0.0, deadline - time.time())))
        return predicate()

    def body(self):
        """The chunked body decoded as far as it came."""
        out, rest = b"", self.raw
        while b"\r\n" in rest:
            size_text, after = rest.split(b"\r\n", 1)
            size = int(size_text, 16)
            if size == 0 or len(after) < size + 2:
                break
            out += after[:size]
            rest = after[size + 2:]
        return out.decode()

    def events(self):
        """[(id, type, data)] of the events whole so far (comments and retry: left out)."""
        found = []
        for block in self.body().split("\n\n")[:-1]:  # the last one is not whole yet
            fields = {}
            for line in block.split("\n"):
                if line and not line.startswith(":") and ":" in line:
                    key, value = line.split(":", 1)
                    fields[key] = value[1:] if value.startswith(" ") else value
            if "event" in fields and "data" in fields and "id" in fields:
                found.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
        return found

    def wait_for(self, predicate, timeout=10, what="events"):
        if not self.read_until(lambda: predicate(self.events()), timeout):
            raise AssertionError("%s did not come: %s" % (what, self.events()))
        return self.events()

    def close(self):
        self.sock.close()


def of(events, name):
    return [(t, e.get("state")) for _, t, e in events if e.get("name") == name]


class EventsTest(DaemonTest):
    args = ("--idle-timeout", "2")

    def setUp(self):
        super().setUp()
        self.project("a")
        self.followers = []

    def tearDown(self):
        for f in self.followers:
            f.close()
        super().tearDown()

    def follow(self, *args, **kwargs):
        f = Follower(self.d, *args, **kwargs)
        self.followers.append(f)
        return f

    def test_a_follower_receives_a_workloads_events_in_order_as_they_happen(self):
        f = self.follow()
        self.assertEqual(f.status, 200, f.head)
        self.assertIn(b"Content-Type: text/event-stream", f.head)
        start = time.time()
        self.submit("w1", "a", ["sleep", "1"])
        f.wait_for(lambda ev: of(ev, "w1"), 5, "w1 submitted")
        self.assertLess(time.time() - start, 1.0, "the event came late: after a poll?")
        events = f.wait_for(lambda ev: ("workload.state", "succeeded") in of(ev, "w1"), 15,
                            "w1 succeeded")
        self.assertEqual(of(events, "w1"), [("workload.submitted", "pending"),
                                             ("workload.state", "running"),
                                             ("workload.state", "succeeded")])
        ids = [i for i, _, _ in events]
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(len(set(ids)), len(ids))
        submitted = [e for _, t, e in events if t == "workload.submitted"][0]
        for field in ("id", "type", "time_s", "kind", "name", "project", "department", "owner",
                      "workload_kind", "state", "previous", "reason_code", "reason_short",
                      "reason", "exit_code"):
            self.assertIn(field, submitted)
        self.assertEqual(submitted["kind"], "workload")
        # the list answers the same events, with the same ids
        status, body, _ = self.d.request("GET", "/api/v1/events?kind=workload")
        self.assertEqual(status, 200, body)
        self.assertEqual([e["id"] for e in body["items"]],
                         [i for i, t, _ in events if t.startswith("workload.")])
        self.assertFalse(body["reset"])

    def test_queue_changes_and_deletes_are_events_too(self):
        f = self.follow("&kind=queue")
        self.assertEqual(self.d.request("PATCH", "/api/v1/projects/a", {"priority": 7})[0], 200)
        self.project("b")
        self.assertEqual(self.d.request("DELETE", "/api/v1/projects/b")[0], 200)
        events = f.wait_for(lambda ev: any(t == "queue.deleted" for _, t, _ in ev), 5)
        self.assertEqual([(t, e["name"]) for _, t, e in events],
                         [("queue.updated", "a"), ("queue.created", "b"), ("queue.deleted", "b")])
        self.assertEqual(events[0][2]["queue_kind"], "project")

    def test_resume_with_last_event_id_loses_nothing(self):
        f = self.follow()
        self.submit("w1", "a", ["sleep", "30"])
        first = f.wait_for(lambda ev: len(ev) >= 1, 5)[0][0]
        f.close()
        # while no one follows: more changes
        self.submit("w2", "a", ["sleep", "30"])
        self.d.wait_state("w2", "running")
        self.assertEqual(self.d.request("DELETE", "/api/v1/workloads/w1")[0] // 100, 2)
        expected = [e["id"] for e in
                    self.d.request("GET", "/api/v1/events?since_id=%d" % first)[1]["items"]]
        self.assertGreaterEqual(len(expected), 3)
        again = self.follow(headers=["Last-Event-ID: %d" % first])
        events = again.wait_for(lambda ev: len(ev) >= len(expected), 5)
        self.assertEqual([i for i, _, _ in events][:len(expected)], expected)
        self.assertIn(("workload.submitted", "pending"), of(events, "w2"))
        self.assertIn(("workload.state", "deleting"), of(events, "w1"))
        # since_id= does the same
        by_query = self.follow("&since_id=%d" % first)
        events = by_query.wait_for(lambda ev: len(ev) >= len(expected), 5)
        self.assertEqual([i for i, _, _ in events][:len(expected)], expected)

    def test_changes_seen_by_a_follower_are_not_seen_twice_after_a_resume(self):
        f = self.follow()
        self.submit("w1", "a", ["sleep", "30"])
        events = f.wait_for(lambda ev: ("workload.state", "running") in of(ev, "w1"), 10)
        f.close()
        again = self.follow(headers=["Last-Event-ID: %d" % events[-1][0]])
        self.submit("w2", "a", ["sleep", "30"])
        resumed = again.wait_for(lambda ev: of(ev, "w2"), 5)
        self.assertEqual(of(resumed, "w1"), [])

    def test_many_followers_do_not_slow_submits(self):
        def submits(prefix, n=15):
            start = time.time()
            for i in range(n):  # more GPUs than there are: pending, no process
                self.submit("%s-%d" % (prefix, i), "a", ["true"], gpu=2, workers=2,
                            queue_anyway=True)
            return time.time() - start
        submits("warm", 3)
        alone = submits("alone")
        followers = [self.follow() for _ in range(50)]
        stop = threading.Event()

        def drain():
            while not stop.is_set():
                ready, _, _ = select.select([f.sock for f in followers], [], [], 0.1)
                for f in followers:
                    if f.sock in ready:
                        f.read_some(0)
        reader = threading.Thread(target=drain)
        reader.start()
        try:
            followed = submits("followed")
            wait_until(lambda: all(
                len([1 for _, t, e in f.events() if t == "workload.submitted" and
                     e["name"].startswith("followed-")]) == 15 for f in followers), 15,
                "every follower to have every submit")
        finally:
            stop.set()
            reader.join()
        self.assertLess(followed, alone * 2 + 0.5,
                        "15 submits took %.2fs alone, %.2fs with 50 followers" % (alone, followed))
        health = self.d.request("GET", "/healthz")[1]
        self.assertEqual(health["events"]["followers"], 50)

    def test_a_follower_outlives_the_idle_timeout(self):
        f = self.follow()
        time.sleep(4.5)  # more than twice --idle-timeout
        self.submit("late", "a", ["sleep", "30"])
        f.wait_for(lambda ev: of(ev, "late"), 5, "an event after the idle timeout")
        self.assertFalse(f.closed)

    def test_allot_events_prints_a_line_per_event_and_follows(self):
        self.submit("w1", "a", ["true"])
        self.d.wait_state("w1", "succeeded")
        out = self.d.cli("events", "-p", "a").stdout.splitlines()
        self.assertEqual([line.split()[1:3] for line in out],
                         [["queue.created", "project"], ["workload.submitted", "a/w1"],
                          ["workload.state", "a/w1"], ["workload.state", "a/w1"]], out)
        self.assertIn("succeeded (was running)", out[-1])
        lines = self.d.cli("events", "--kind", "workload", "-o", "json").stdout.splitlines()
        self.assertEqual([json.loads(line)["type"] for line in lines],
                         ["workload.submitted", "workload.state", "workload.state"])
        bad = self.d.cli("events", "--kind", "x", check=False)
        self.assertEqual(bad.returncode, 2, bad.stderr)
        self.assertIn("kind", bad.stderr)
        p = subprocess.Popen([ALLOT, "events", "-f", "-o", "json", "--limit", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ, ALLOT_SERVER=self.d.url,
                                      ALLOT_TOKEN=self.d.token))
        try:
            time.sleep(1.5)  # -f is following by now
            self.submit("w2", "a", ["true"])
            self.d.wait_state("w2", "succeeded")
            time.sleep(1)
        finally:
            p.terminate()
            out, err = p.communicate(timeout=10)
        events = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([(e["type"], e.get("state")) for e in events],
                         [("workload.state", "succeeded"), ("workload.submitted", "pending"),
                          ("workload.state", "running"), ("workload.state", "succeeded")], err)
        self.assertEqual(events[1]["name"], "w2")

    def test_malformed_parameters_are_refused_naming_the_field(self):
        for query, field in (("since_id=abc", "since_id"), ("since_id=-1", "since_id"),
                             ("kind=x", "kind"), ("project=Not_A_Name", "project"),
                             ("follow=maybe", "follow"), ("limit=0", "limit")):
            status, body, _ = self.d.request("GET", "/api/v1/events?" + query)
            self.assertEqual(status, 400, query)
            self.assertEqual(body["error"]["field"], field, body)
        status, body, _ = self.d.request("GET", "/api/v1/events?follow=1",
                                         headers={"Last-Event-ID": "yesterday"})
        self.assertEqual(status, 400)
        self.assertEqual(body["error"]["field"], "Last-Event-ID", body)
        self.assertEqual(self.d.request("GET", "/api/v1/events", token=False)[0], 401)


class EventsRingTest(DaemonTest):
    """A small ring: resumes older than it, and slow readers."""
    args = ("--idle-timeout", "2", "--events-kept", "64")

    def setUp(self):
        super().setUp()
        self.project("a")

    def update(self, n):
        for i in range(n):
            status, body, _ = self.d.request("PATCH", "/api/v1/projects/a",
                                             {"priority": 10 + i % 2})
            self.assertEqual(status, 200, body)

    def test_a_resume_older_than_the_ring_is_told_to_list_again(self):
        first = self.d.request("GET", "/api/v1/events")[1]["last_id"]
        self.update(70)
        listed = self.d.request("GET", "/api/v1/events?since_id=%d" % first)[1]
        self.assertTrue(listed["reset"])
        f = Follower(self.d, "&since_id=%d" % first)
        try:
            events = f.wait_for(lambda ev: len(ev) >= 1, 5)
            self.assertEqual(events[0][1], "reset")
            self.assertEqual(events[0][0], listed["last_id"])
            self.update(1)  # and it goes on after the reset
            events = f.wait_for(lambda ev: len(ev) >= 2, 5)
            self.assertEqual(events[1][1], "queue.updated")
        finally:
            f.close()
        # ids of an earlier allotd (larger than any now) are a reset too
        self.assertTrue(self.d.request("GET", "/api/v1/events?since_id=%d" %
                                       (listed["last_id"] + 10**9))[1]["reset"])

    def test_a_slow_reader_is_dropped_without_allotd_growing(self):
        def rss_kib():
            with open("/proc/%d/status" % self.d.proc.pid) as f:
                return int([l for l in f if l.startswith("VmRSS:")][0].split()[1])
        slow = Follower(self.d, rcvbuf=4096)  # and then reads nothing for a while
        fast = Follower(self.d)
        stop = threading.Event()

        def keep_up():
            while not stop.is_set():
                fast.read_some(0.1)
        reader = threading.Thread(target=keep_up)
        reader.start()
        try:
            self.update(50)
            before = rss_kib()
            self.update(550)
            wait_until(lambda: self.d.request("GET", "/healthz")[1]["events"]["followers"] == 1,
                       15, "the slow reader to be dropped (%s; the other closed: %s)" % (
                           self.d.request("GET", "/healthz")[1]["events"], fast.closed))
            grown = rss_kib() - before
            # the ring holds 64 events whatever happens; what grows is the sanitizer's
            # quarantine of freed memory, not anything kept for the slow reader
            self.assertLess(grown, 64 * 1024, "allotd grew by %d KiB" % grown)
            health = self.d.request("GET", "/healthz")[1]["events"]
            self.assertLessEqual(health["kept"], 64)
            # the slow reader finds its stream ended short of the last event
            slow.read_until(lambda: False, 5)
            self.assertTrue(slow.closed)
            got = [i for i, _, _ in slow.events()]
            self.assertLess(max(got or [0]), health["last_id"])
            # the one that kept up has everything
            stop.set()
            reader.join()
            fast_events = fast.wait_for(lambda ev: len(ev) >= 600, 10)
            self.assertEqual(fast_events[-1][0], health["last_id"])
            self.assertEqual([t for _, t, _ in fast_events], ["queue.updated"] * 600)
        finally:
            stop.set()
            reader.join()
            fast.close()
            slow.close()


class EventsAccessTest(unittest.TestCase):
    """Who sees what: a researcher of one project, a viewer of one department."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(args=("--login-rate", "1000", "--rate-limit", "0")).start()
        d = cls.d
        for name in ("d1", "d2"):
            assert d.request("POST", "/api/v1/departments", {"name": name})[0] == 201
        for name, dep in (("a", "d1"), ("b", "d2")):
            assert d.request("POST", "/api/v1/projects", {"name": name, "department": dep})[0] == 201
        cls.tokens = {}
        for user, role, scope in (("ra", "l1-researcher", "project:a"),
                                  ("v2", "viewer", "department:d2")):
            assert d.request("POST", "/api/v1/users", {"name": user, "password": PASSWORD})[0] == 201
            assert d.request("POST", "/api/v1/access-rules",
                             {"subject": "user:" + user, "role": role, "scope": scope})[0] == 201
            status, body, _ = d.request("POST", "/api/v1/token", token=False, body={
                "grant_type": "password", "username": user, "password": PASSWORD})
            assert status == 200, body
            cls.tokens[user] = body["access_token"]

    @classmethod
    def tearDownClass(cls):
        try:
            cls.d.stop()
        finally:
            cls.d.cleanup()

    def test_a_caller_gets_only_the_events_of_what_it_may_read(self):
        ra = Follower(self.d, token=self.tokens["ra"])
        v2 = Follower(self.d, token=self.tokens["v2"])
        admin = Follower(self.d)
        try:
            for name, project in (("in-a", "a"), ("in-b", "b")):
                status, body, _ = self.d.request("POST", "/api/v1/workloads", {
                    "name": name, "project": project, "command": ["sleep", "30"]})
                self.assertEqual(status, 201, body)
            for project in ("b", "a"):
                status, body, _ = self.d.request("PATCH", "/api/v1/projects/" + project,
                                                 {"priority": 7})
                self.assertEqual(status, 200, body)
            # the admin's stream has all of it; by then the others have theirs
            admin.wait_for(lambda ev: [e["name"] for _, t, e in ev if t == "queue.updated"] ==
                           ["b", "a"], 10)
            time.sleep(0.5)
            for f, mine, other in ((ra, "a", "b"), (v2, "b", "a")):
                f.read_until(lambda: False, 0.5)
                events = f.events()
                self.assertTrue(events, "no events at all")
                projects = {e.get("project") for _, t, e in events if t.startswith("workload.")}
                self.assertEqual(projects, {mine}, events)
                queues = {e["name"] for _, t, e in events if t.startswith("queue.")}
                self.assertEqual(queues, {mine}, events)
            # the list is filtered alike, and project= cannot reach past it
            for user, other in (("ra", "b"), ("v2", "a")):
                status, body, _ = self.d.request("GET", "/api/v1/events?project=" + other,
                                                 token=self.tokens[user])
                self.assertEqual((status, body["items"]), (200, []))
        finally:
            for f in (ra, v2, admin):
                f.close()


if __name__ == "__main__":
    unittest.main()
