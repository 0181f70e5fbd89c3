"""test_metrics.py - GET /metrics against a busy allotd: every line checked by a strict parser of
the Prometheus text exposition format (0.0.4) written here, the numbers checked against what
was done (a project with 2 GPUs allocated shows 2), who may scrape (the scrape token, a viewer;
not a researcher, not without a token; the scrape token nothing else), and a real Prometheus
(Debian's `prometheus`) scraping allotd with the scrape token until a PromQL query returns the
project's allocation."""
import json
import math
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from harness import Daemon, wait_until

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_value(text):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ValueError("not a sample value: %r" % text)
    return float(text)


def parse_labels(text, where):
    """{name: value} of the inside of a label set, escapes resolved; strict."""
    labels, i = {}, 0
    while i < len(text):
        m = re.compile(LABEL + "=\"").match(text, i)
        if not m:
            raise ValueError("%s: bad label at %r" % (where, text[i:]))
        key = m.group(0)[:-2]
        i = m.end()
        value = []
        while True:
            if i >= len(text):
                raise ValueError("%s: unterminated label value" % where)
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                if nxt not in ("\\", "\"", "n"):
                    raise ValueError("%s: bad escape \\%s" % (where, nxt))
                value.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == "\"":
                i += 1
                break
            elif c == "\n":
                raise ValueError("%s: newline in a label value" % where)
            else:
                value.append(c)
                i += 1
        if key in labels:
            raise ValueError("%s: label %s twice" % (where, key))
        labels[key] = "".join(value)
        if i < len(text):
            if text[i] != ",":
                raise ValueError("%s: expected ',' at %r" % (where, text[i:]))
            i += 1
    return labels


def parse_exposition(text):
    """{family: {"type", "help", "samples": [(name, labels, value)]}}, checking the format's
    rules; raises ValueError naming the line at fault."""
    if not text.endswith("\n"):
        raise ValueError("the text does not end with a newline")
    families, order, current = {}, [], None
    sample_re = re.compile(r"(%s)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$" % NAME)

    def family_of(name):
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[:-len(suffix)] if name.endswith(suffix) else None
            if base and families.get(base, {}).get("type") == "histogram":
                return base
        return name

    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d (%r)" % (n, line)
        if line.startswith("#"):
            m = re.fullmatch(r"# (HELP|TYPE) (%s) (.*)" % NAME, line)
            if not m:
                if re.match(r"# (HELP|TYPE)", line):
                    raise ValueError("%s: malformed" % where)
                continue  # a comment
            kind, name, rest = m.groups()
            fam = families.setdefault(name, {"type": None, "help": None, "samples": []})
            if fam["samples"]:
                raise ValueError("%s: %s after the family's samples" % (where, kind))
            if kind == "HELP":
                if fam["help"] is not None:
                    raise ValueError("%s: second HELP" % where)
                if re.search(r"\\[^\\n]", rest):
                    raise ValueError("%s: bad escape in HELP" % where)
                fam["help"] = rest
            else:
                if fam["type"] is not None:
                    raise ValueError("%s: second TYPE" % where)
                if rest not in TYPES:
                    raise ValueError("%s: unknown type" % where)
                fam["type"] = rest
            if name not in order:
                order.append(name)
            current = name
            continue
        if not line.strip():
            raise ValueError("%s: empty line" % where)
        m = sample_re.match(line)
        if not m:
            raise ValueError("%s: not a sample" % where)
        name, labels_text, value_text, _ = m.groups()
        labels = parse_labels(labels_text or "", where)
        value = parse_value(value_text)
        fam_name = family_of(name)
        if fam_name != current:
            raise ValueError("%s: sample of %s outside its family's block (in %s)" %
                             (where, fam_name, current))
        fam = families[fam_name]
        if fam["type"] is None:
            raise ValueError("%s: sample before its TYPE" % where)
        fam["samples"].append((name, labels, value))
    for name, fam in families.items():
        check_family(name, fam)
    return families


def check_family(name, fam):
    seen = set()
    for sname, labels, _ in fam["samples"]:
        key = (sname, tuple(sorted(labels.items())))
        if key in seen:
            raise ValueError("%s: series %r twice" % (name, key))
        seen.add(key)
    if fam["type"] == "counter":
        if not name.endswith("_total"):
            raise ValueError("counter %s does not end in _total" % name)
        for _, _, v in fam["samples"]:
            if v < 0 or math.isnan(v):
                raise ValueError("counter %s has %r" % (name, v))
    if fam["type"] != "histogram":
        for sname, _, _ in fam["samples"]:
            if sname != name:
                raise ValueError("%s: sample %s of another name" % (name, sname))
        return
    series = {}
    for sname, labels, v in fam["samples"]:
        rest = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
        s = series.setdefault(rest, {"buckets": [], "sum": None, "count": None})
        if sname == name + "_bucket":
            if "le" not in labels:
                raise ValueError("%s: bucket without le" % name)
            s["buckets"].append((parse_value(labels["le"]), v))
        elif sname == name + "_sum":
            s["sum"] = v
        elif sname == name + "_count":
            s["count"] = v
        else:
            raise ValueError("%s: sample %s in a histogram" % (name, sname))
    for rest, s in series.items():
        b = s["buckets"]
        if not b or b[-1][0] != math.inf:
            raise ValueError("%s%r: buckets do not end in +Inf" % (name, rest))
        if [le for le, _ in b] != sorted(le for le, _ in b) or len({le for le, _ in b}) != len(b):
            raise ValueError("%s%r: le not ascending" % (name, rest))
        if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
            raise ValueError("%s%r: buckets not cumulative" % (name, rest))
        if s["count"] is None or s["sum"] is None:
            raise ValueError("%s%r: no _count or _sum" % (name, rest))
        if b[-1][1] != s["count"]:
            raise ValueError("%s%r: +Inf bucket %r != _count %r" % (name, rest, b[-1][1],
                                                                    s["count"]))


def value(families, name, **labels):
    """The value of the one sample of `name` whose labels include `labels`."""
    fam = name if name in families else name.rsplit("_", 1)[0]  # a histogram's _count, _sum
    got = [v for n, l, v in families[fam]["samples"]
           if n == name and all(l.get(k) == x for k, x in labels.items())]
    if len(got) != 1:
        raise AssertionError("%s%r: %d samples" % (name, labels, len(got)))
    return got[0]


class ParserRefuses(unittest.TestCase):
    """The parser is strict: what it must refuse."""

    GOOD = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 3\n"

    def test_it_accepts_a_good_text(self):
        self.assertEqual(value(parse_exposition(self.GOOD), "a_total", x="1"), 3)

    def test_it_refuses_bad_texts(self):
        bad = [
            self.GOOD[:-1],  # no final newline
            self.GOOD + "# TYPE a_total counter\n",  # TYPE twice, after samples
            "# TYPE a counter\na 1\n",  # counter without _total
            "# TYPE a gauge\na{x=\"\\q\"} 1\n",  # bad escape
            "# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n",  # label twice
            "# TYPE a gauge\na 1\na 2\n",  # series twice
            "# TYPE a gauge\n# TYPE b gauge\na 1\n",  # sample outside its block
            "a 1\n",  # sample before TYPE
            "# TYPE a gauge\na one\n",  # bad value
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
            "h_sum 1\nh_count 1\n",  # not cumulative
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",  # no +Inf
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",  # != count
        ]
        for text in bad:
            with self.subTest(text=text):
                with self.assertRaises(ValueError):
                    parse_exposition(text)


def get(url, token=None):
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PASSWORD = "a-long-test-password"


def stop_and_remove(d, tmp):
    """Stops allotd `d` (None: never made) and its tasks, and removes `tmp` (None: none)."""
    try:
        if d is not None:
            pids = d.task_pids() if d.proc is not None else None
            try:
                d.stop()
            finally:
                d.cleanup(pids)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


class MetricsTest(unittest.TestCase):
    """One busy allotd: team-a runs a 2-GPU workload, team-b a fraction, a third waits."""

    @classmethod
    def setUpClass(cls):
        cls.d = cls.tmp = None
        try:
            cls.busy_allotd()
        except BaseException:
            cls.tearDownClass()  # not called after a failed setUpClass: no process left
            raise

    @classmethod
    def busy_allotd(cls):
        cls.tmp = tempfile.mkdtemp(prefix="allot-metrics-")
        cls.scrape_token = "scrape-" + os.urandom(24).hex()
        cls.token_file = os.path.join(cls.tmp, "scrape.token")
        with open(cls.token_file, "w") as f:
            f.write(cls.scrape_token + "\n")
        cls.d = Daemon(gpus="4xA100-80GiB", args=(
            "--metrics-token-file", cls.token_file, "--rate-limit", "0")).start()
        d = cls.d
        ok = [d.request("POST", "/api/v1/departments", {"name": "research",
                                                         "deserved": {"gpu": 4}})[0],
              d.request("POST", "/api/v1/projects", {"name": "team-a", "department": "research",
                                                      "deserved": {"gpu": 2}})[0],
              d.request("POST", "/api/v1/projects", {"name": "team-b", "department": "research",
                                                      "deserved": {"gpu": 2}})[0]]
        assert ok == [201, 201, 201], ok
        for name, project, fields in (("big", "team-a", {"gpu": 2}),
                                      ("half", "team-b", {"gpu_fraction": 0.5}),
                                      ("huge", "team-b", {"gpu": 4})):
            status, body, _ = d.request("POST", "/api/v1/workloads", dict(
                name=name, project=project, command=["sleep", "300"], **fields))
            assert status == 201, body
        d.wait_state("big", "running")
        d.wait_state("half", "running")
        cls.tokens = {user: d.signed_in(user, PASSWORD, role, scope) for user, role, scope in (
            ("res", "l1-researcher", "project:team-a"), ("viewer", "viewer", "system"),
            ("pviewer", "viewer", "project:team-a"))}

    @classmethod
    def tearDownClass(cls):
        stop_and_remove(cls.d, cls.tmp)

    def scrape(self, token=None):
        status, text, headers = get(self.d.url + "/metrics", token or self.scrape_token)
        self.assertEqual(status, 200, text)
        self.assertEqual(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        return parse_exposition(text)

    def test_the_text_follows_the_format_and_names_the_families(self):
        f = self.scrape()
        for name, kind in (("allot_cycle_duration_seconds", "histogram"),
                           ("allot_cycle_part_duration_seconds", "histogram"),
                           ("allot_cycle_action_duration_seconds", "histogram"),
                           ("allot_decisions_total", "counter"),
                           ("allot_queue_deserved_gpus", "gauge"),
                           ("allot_queue_fair_share_gpus", "gauge"),
                           ("allot_queue_allocated_gpus", "gauge"),
                           ("allot_queue_requested_gpus", "gauge"),
                           ("allot_queue_pending_gpus", "gauge"),
                           ("allot_queue_allocated_cpu_cores", "gauge"),
                           ("allot_queue_allocated_memory_bytes", "gauge"),
                           ("allot_node_allocated_gpus", "gauge"),
                           ("allot_gpu_allocated_ratio", "gauge"),
                           ("allot_gpu_allocated_memory_bytes", "gauge"),
                           ("allot_workloads", "gauge"),
                           ("allot_queueing_duration_seconds", "histogram"),
                           ("allot_api_requests_total", "counter"),
                           ("allot_api_request_duration_seconds", "histogram"),
                           ("allot_store_commit_duration_seconds", "histogram")):
            with self.subTest(family=name):
                self.assertIn(name, f)
                self.assertEqual(f[name]["type"], kind)
                self.assertTrue(f[name]["help"])
                self.assertTrue(name.startswith("allot_"))
        self.assertEqual({l["part"] for n, l, _ in f["allot_cycle_part_duration_seconds"]
                          ["samples"]}, {"poll", "model", "engine", "record"})
        actions = f["allot_cycle_action_duration_seconds"]["samples"]
        self.assertEqual({l["action"] for n, l, _ in actions},
                         {"allocate", "consolidation", "reclaim", "preempt",
                          "stalegangeviction"})  # the engine's (and KAI's) names
        runs = {l["action"]: v for n, l, v in actions if n.endswith("_count")}
        self.assertGreater(runs["allocate"], 0)  # every cycle that ran the engine allocates

    def test_the_numbers_are_what_was_done(self):
        f = self.scrape()
        self.assertEqual(value(f, "allot_queue_allocated_gpus", queue="team-a"), 2)
        self.assertEqual(value(f, "allot_queue_allocated_gpus", queue="team-b"), 0.5)
        self.assertEqual(value(f, "allot_queue_allocated_gpus", queue="research",
                               kind="department"), 2.5)
        self.assertEqual(value(f, "allot_queue_deserved_gpus", queue="team-a", kind="project",
                               department="research"), 2)
        self.assertEqual(value(f, "allot_queue_pending_gpus", queue="team-b"), 4)
        self.assertEqual(value(f, "allot_queue_requested_gpus", queue="team-b"), 4.5)
        self.assertEqual(value(f, "allot_node_allocated_gpus"), 2.5)
        self.assertEqual(value(f, "allot_node_gpus"), 4)
        ratios = sorted(v for _, _, v in f["allot_gpu_allocated_ratio"]["samples"])
        self.assertEqual(ratios, [0, 0.5, 1, 1])
        self.assertEqual(value(f, "allot_workloads", state="running"), 2)
        self.assertEqual(value(f, "allot_workloads", state="pending"), 1)
        self.assertGreaterEqual(value(f, "allot_decisions_total", kind="bind", reason="none"), 2)
        self.assertGreaterEqual(value(f, "allot_queueing_duration_seconds_count"), 2)
        self.assertGreaterEqual(value(f, "allot_cycle_duration_seconds_count"), 1)
        self.assertGreaterEqual(value(f, "allot_store_commit_duration_seconds_count"), 1)
        self.assertEqual(value(f, "allot_api_requests_total", route="/api/v1/workloads",
                               method="POST", code="201"), 3)
        # bounded by the route table: a workload's name is never a label
        routes = {l["route"] for _, l, _ in f["allot_api_requests_total"]["samples"]}
        self.assertFalse(any("big" in r for r in routes), routes)
        self.assertIn("/api/v1/workloads/*", {l["route"] for _, l, _ in self.after_get(
            "/api/v1/workloads/big")["allot_api_requests_total"]["samples"]})

    def after_get(self, path):
        self.assertEqual(self.d.request("GET", path)[0], 200)
        return self.scrape()

    def test_counters_grow_by_what_happened(self):
        self.scrape()  # counted once answered
        before = value(self.scrape(), "allot_api_requests_total", route="/metrics", code="200")
        after = value(self.scrape(), "allot_api_requests_total", route="/metrics", code="200")
        self.assertEqual(after, before + 1)

    def test_who_may_scrape(self):
        url = self.d.url + "/metrics"
        self.assertEqual(get(url)[0], 401)
        self.assertEqual(get(url, "not-a-token")[0], 401)
        self.assertEqual(get(url, self.tokens["res"])[0], 403)
        self.assertEqual(get(url, self.tokens["pviewer"])[0], 403)  # viewers of a project
        self.assertEqual(get(url, self.tokens["viewer"])[0], 200)
        self.assertEqual(get(url, self.d.token)[0], 200)  # the admin token
        self.assertEqual(get(url, self.scrape_token)[0], 200)
        self.assertEqual(self.d.request("POST", "/metrics", body={})[0], 405)

    def test_the_scrape_token_reads_nothing_else(self):
        for method, path in (("GET", "/api/v1/workloads"), ("GET", "/api/v1/whoami"),
                             ("GET", "/api/v1/nodes"), ("GET", "/api/v1/snapshot"),
                             ("POST", "/api/v1/token/revoke"), ("GET", "/api/v1/no-such")):
            with self.subTest(path=path):
                status = self.d.request(method, path, token=self.scrape_token,
                                        body={} if method == "POST" else None)[0]
                self.assertEqual(status, 403)

    def test_a_bad_scrape_token_file_stops_allotd(self):
        short = os.path.join(self.tmp, "short.token")
        with open(short, "w") as f:
            f.write("abc\n")
        d = Daemon(args=("--metrics-token-file", short))
        try:
            with self.assertRaises(AssertionError) as e:
                d.start()
            self.assertIn("16 to", str(e.exception))
            self.assertEqual(d.proc.wait(timeout=30), 1)
        finally:
            d.stderr.close()
            d.proc = None
            d.cleanup()


class MeasuredByNvml(unittest.TestCase):
    """allotd without --gpus asks NVML: a stand-in libnvidia-ml.so.1 (fake_nvml.c) measures its
    first device and not the utilisation of its second, which then has no sample."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="allot-nvml-")
        self.d = None
        lib = os.path.join(self.tmp, "libnvidia-ml.so.1")
        subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", lib,
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_nvml.c")],
                       check=True)
        self.d = Daemon(gpus=None)
        self.d.start(env={"LD_LIBRARY_PATH": self.tmp})

    def tearDown(self):
        stop_and_remove(self.d, self.tmp)

    def test_measured_devices_have_samples_and_the_others_none(self):
        status, text, _ = get(self.d.url + "/metrics", self.d.token)
        self.assertEqual(status, 200, text)
        f = parse_exposition(text)
        self.assertEqual(value(f, "allot_gpu_memory_bytes", gpu="0", model="NVIDIA H200"),
                         141 * 2 ** 30)
        self.assertEqual(value(f, "allot_gpu_utilization_ratio", gpu="0"), 0.37)
        self.assertEqual(value(f, "allot_gpu_memory_used_bytes", gpu="0"), 2 ** 30)
        measured = {l["gpu"] for _, l, _ in f["allot_gpu_utilization_ratio"]["samples"]}
        self.assertEqual(measured, {"0"})  # no made-up 0 for the second

    def test_virtual_gpus_have_no_measures(self):
        stop_and_remove(self.d, None)
        self.d = Daemon(gpus="2xA100-80GiB").start()
        status, text, _ = get(self.d.url + "/metrics", self.d.token)
        f = parse_exposition(text)
        self.assertNotIn("allot_gpu_utilization_ratio", f)
        self.assertNotIn("allot_gpu_memory_used_bytes", f)
        self.assertEqual(len(f["allot_gpu_allocated_ratio"]["samples"]), 2)


def prometheus_binary():
    return shutil.which("prometheus") or (
        "/usr/bin/prometheus" if os.access("/usr/bin/prometheus", os.X_OK) else None)


def why_no_prometheus():
    if not prometheus_binary():
        return "no prometheus binary (Debian's prometheus package: scripts/setup installs it)"
    return None


# CI (ALLOT_REQUIRE_PROMETHEUS=1, .ci/run) may not skip: scripts/setup installs it.
if why_no_prometheus() and os.environ.get("ALLOT_REQUIRE_PROMETHEUS") == "1":
    raise RuntimeError("Prometheus cannot run here: " + why_no_prometheus())


@unittest.skipIf(why_no_prometheus(), "Prometheus cannot run here: %s" % why_no_prometheus())
class RealPrometheus(unittest.TestCase):
    """Debian's Prometheus scrapes allotd with the scrape token every second."""

    def setUp(self):
        self.d = self.prom = self.prom_log = self.tmp = None
        try:
            self.start_both()
        except BaseException:
            self.tearDown()  # not called after a failed setUp: no process left
            raise

    def start_both(self):
        self.tmp = tempfile.mkdtemp(prefix="allot-prometheus-")
        token = "scrape-" + os.urandom(24).hex()
        token_file = os.path.join(self.tmp, "scrape.token")
        with open(token_file, "w") as f:
            f.write(token + "\n")
        self.d = Daemon(gpus="4xA100-80GiB", args=("--metrics-token-file", token_file))
        self.d.start()
        d = self.d
        assert d.request("POST", "/api/v1/departments", {"name": "research"})[0] == 201
        assert d.request("POST", "/api/v1/projects", {"name": "team-a",
                                                       "department": "research"})[0] == 201
        status, body, _ = d.request("POST", "/api/v1/workloads", {
            "name": "train", "project": "team-a", "gpu": 2, "command": ["sleep", "300"]})
        assert status == 201, body
        target = urllib.parse.urlparse(d.url).netloc
        self.port = free_port()
        config = os.path.join(self.tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n"
                    "  - job_name: allot\n    scrape_interval: 1s\n    scrape_timeout: 1s\n"
                    "    metrics_path: /metrics\n    bearer_token_file: %s\n"
                    "    static_configs:\n      - targets: ['%s']\n" % (token_file, target))
        self.prom_log = open(os.path.join(self.tmp, "prometheus.log"), "w")
        self.prom = subprocess.Popen(
            [prometheus_binary(), "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(self.tmp, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=self.prom_log, stderr=self.prom_log, start_new_session=True)

    def tearDown(self):
        try:
            if self.prom is not None:
                self.prom.terminate()
                try:
                    self.prom.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.prom.kill()
                    self.prom.wait()
            if self.prom_log is not None:
                self.prom_log.close()
        finally:
            stop_and_remove(self.d, self.tmp)

    def query(self, promql):
        url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (self.port,
                                                              urllib.parse.quote(promql))
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                body = json.loads(r.read())
        except (urllib.error.URLError, ConnectionError, OSError):
            return None
        if body.get("status") != "success":
            return None
        return body["data"]["result"]

    def prom_log_text(self):
        self.prom_log.flush()
        with open(self.prom_log.name) as f:
            return f.read()[-3000:]

    def test_a_promql_query_returns_the_projects_allocation(self):
        def allocated():
            r = self.query('allot_queue_allocated_gpus{queue="team-a",kind="project"}')
            return r and r[0]["value"][1] == "2"
        wait_until(lambda: allocated() or self.prom.poll() is not None, timeout=90,
                   what="Prometheus to scrape team-a's 2 GPUs")
        self.assertIsNone(self.prom.poll(), self.prom_log_text())
        self.assertTrue(allocated())
        # the scrape itself: up, and nothing Prometheus had to drop
        up = self.query('up{job="allot"}')
        self.assertEqual(up[0]["value"][1], "1")
        with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/targets" % self.port,
                                    timeout=5) as r:
            targets = json.loads(r.read())["data"]["activeTargets"]
        self.assertEqual([t["health"] for t in targets], ["up"], targets)
        self.assertEqual(targets[0]["lastError"], "")
        # a histogram and a counter through PromQL
        r = self.query("sum(allot_cycle_duration_seconds_count)")
        self.assertGreater(float(r[0]["value"][1]), 0)
        # a scrape is counted once answered: the next one shows it
        wait_until(lambda: self.query('allot_api_requests_total{route="/metrics",code="200"}'),
                   timeout=30, what="Prometheus to see its own scrapes counted")


if __name__ == "__main__":
    unittest.main()
