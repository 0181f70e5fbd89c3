#!/usr/bin/env python3
"""allotd_fleet.py - allotd at fleet scale (release build, local backend): a virtual inventory of
--nodes nodes x 8 GPUs (1,000 GPUs by default), departments and projects, then --running
workloads that run (a tenth of a GPU each, real processes), --finished CPU-only ones that have
run and ended, and the rest pending (tenths of a GPU the full fleet cannot give) up to
--workloads.
Prints, as `name: value unit`: durable submits per second while the pending ones arrive (16
keep-alive clients, once the running ones' processes are up), the scheduling cycle's median over quiet cycles (the whole cycle, the model
build and the engine, from GET /healthz), a 1,000-item list page, a GET /metrics (whole, and
how long it held the state lock), and allotd's peak memory.

The finished ones are history: one runs, and the store is seeded with copies of its rows (as
if they had run long ago, past allotd's retention), since running 50,000 commands would be a
benchmark of fork. The seeding writes allotd's SQLite tables directly, so it follows the
store's schema (src/daemon/store.c).

usage: allotd_fleet.py ALLOTD [--workloads N] [--running N] [--finished N] [--nodes N]
                       [--quiet-cycles N] [--prefix NAME]
"""
import argparse
import os
import sqlite3
import statistics
import time

from allotd_client import Allotd

CLIENTS = 16
DEPARTMENTS = 10
PROJECTS_PER_DEPARTMENT = 10


def wait_total(a, conn, query, total, timeout):
    deadline = time.monotonic() + timeout
    while True:
        n = a.call(conn, "GET", "/api/v1/workloads?limit=1&" + query)[1]["total"]
        if n >= total:
            return
        if time.monotonic() > deadline:
            raise SystemExit("timed out: %s is %d of %d" % (query, n, total))
        time.sleep(0.5)


def wait_processes(cmdline, count, timeout):
    """Until `count` processes run with this command line: a task is running once placed, and
    its process is started after (10,000 of them take seconds, and their start would be timed
    with the submits that follow)."""
    deadline = time.monotonic() + timeout
    while True:
        n = 0
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        n += f.read() == cmdline
                except OSError:
                    pass
        if n >= count:
            return
        if time.monotonic() > deadline:
            raise SystemExit("timed out: %d of %d processes started" % (n, count))
        time.sleep(1)


def quiet_cycles(a, conn, count):
    """The timings of the next `count` cycles (allotd runs one a second when idle)."""
    seen, parts = None, {p: [] for p in ("cycle_ms", "poll_ms", "model_ms", "engine_ms",
                                         "record_ms")}
    deadline = time.monotonic() + count * 10 + 30
    while len(parts["cycle_ms"]) < count and time.monotonic() < deadline:
        h = a.call(conn, "GET", "/healthz")[1]
        if seen is not None and h["cycles"] > seen:
            for part in parts:
                parts[part].append(h["timing"][part]["last"])
        seen = h["cycles"]
        time.sleep(0.1)
    return parts


def seed_history(a, projects, count):
    """Copies of the one finished workload's rows in the store (allotd stopped), finished two
    hours ago: past the default retention, so allotd keeps them in the store only."""
    db = sqlite3.connect(os.path.join(a.state, "allot.db"))
    spec, = db.execute("SELECT spec FROM workloads WHERE name = 'done-0'").fetchone()
    task = db.execute("SELECT idx, state, node, gpu_devices, started_s, finished_s, exit_code "
                      "FROM tasks WHERE workload_id = (SELECT id FROM workloads "
                      "WHERE name = 'done-0')").fetchone()
    old = int(time.time()) - 7200
    with db:
        for i in range(1, count):
            cur = db.execute("INSERT INTO workloads (name, project, spec, state, created_s, "
                             "finished_s, exit_code, started_s) VALUES (?, ?, ?, 'succeeded', "
                             "?, ?, 0, ?)", ("done-%d" % i, projects[i % len(projects)], spec,
                                             old - 60, old, old - 30))
            db.execute("INSERT INTO tasks (workload_id, idx, state, node, gpu_devices, "
                       "started_s, finished_s, exit_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (cur.lastrowid, *task))
    db.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("allotd")
    ap.add_argument("--workloads", type=int, default=100000)
    ap.add_argument("--running", type=int, default=10000)
    ap.add_argument("--finished", type=int, default=10000)
    ap.add_argument("--nodes", type=int, default=125)
    ap.add_argument("--quiet-cycles", type=int, default=15)
    ap.add_argument("--prefix", default="")
    ap.add_argument("--hold", type=float, default=0, help="seconds to keep allotd up at the end "
                    "(to profile its quiet cycles)")
    args = ap.parse_args()
    pending = args.workloads - args.running - args.finished
    if pending < 0 or args.running > args.nodes * 8 * 10:
        raise SystemExit("--running must fit (10 per GPU) and --workloads cover the others")
    a = Allotd(args.allotd, "--gpus", "8xH100-80GiB", "--nodes", str(args.nodes))
    try:
        conn = a.connect()
        projects = []
        gpus = args.nodes * 8
        deserved = gpus // (DEPARTMENTS * PROJECTS_PER_DEPARTMENT)
        for d in range(DEPARTMENTS):
            a.call(conn, "POST", "/api/v1/departments",  # its projects' guarantees, together
                   {"name": "dept-%d" % d, "deserved": {"gpu": deserved * PROJECTS_PER_DEPARTMENT}})
            for p in range(PROJECTS_PER_DEPARTMENT):
                name = "proj-%d-%d" % (d, p)
                a.call(conn, "POST", "/api/v1/projects",
                       {"name": name, "department": "dept-%d" % d, "deserved": {"gpu": deserved}})
                projects.append(name)

        def items(prefix, n, body):
            return [("%s-%d" % (prefix, i), projects[i % len(projects)], body) for i in range(n)]

        a.submit_all(items("done", 1, {"command": ["true"]}), 1)
        wait_total(a, conn, "state=succeeded", 1, 60)
        a.proc.terminate()
        a.proc.wait()
        seed_history(a, projects, args.finished)
        a.start()
        conn = a.connect()
        a.submit_all(items("run", args.running,
                           {"command": ["sleep", "1000000"], "gpu_fraction": 0.1}), CLIENTS)
        wait_total(a, conn, "state=running", args.running, 600)
        wait_processes(b"sleep\x001000000\x00", args.running, 600)
        # Tenths too: a whole GPU would have consolidation move the running tenths around.
        took = a.submit_all(items("wait", pending, {"command": ["true"], "gpu_fraction": 0.1}),
                            CLIENTS)
        print("%sfleet_submits_per_s: %.0f submits/s (%d pending ones, %d in the state)"
              % (args.prefix, pending / took, pending, args.workloads))
        busy = a.call(a.connect(), "GET", "/healthz")[1]["timing"]  # cycles during the submits
        for part in ("poll_ms", "model_ms", "engine_ms", "record_ms", "cycle_ms"):
            print("%sfleet_submitting_%s: %.1f ms (median of the last %d cycles, while "
                  "submitting)" % (args.prefix, part.replace("_ms", "_p50_ms"),
                                   busy[part]["p50"], busy["window"]))
        conn = a.connect()  # the first one idled through the submits
        parts = quiet_cycles(a, conn, args.quiet_cycles)
        for part in ("cycle_ms", "poll_ms", "model_ms", "engine_ms", "record_ms"):
            print("%sfleet_%s: %.1f ms (median of %d quiet cycles; %d workloads, %d running, "
                  "%d GPUs on %d nodes)" % (args.prefix, part.replace("_ms", "_p50_ms"),
                                            statistics.median(parts[part]), len(parts[part]),
                                            args.workloads, args.running, gpus, args.nodes))
        times = []
        for i in range(9):
            began = time.monotonic()
            a.call(conn, "GET", "/api/v1/workloads?limit=1000&offset=%d"
                   % (i * args.workloads // 10))
            times.append((time.monotonic() - began) * 1000)
        print("%sfleet_list_page_1000_ms: %.1f ms (median of 9 pages across the list)"
              % (args.prefix, statistics.median(times)))
        times, locked = [], []
        for i in range(9):  # GET /metrics as Prometheus scrapes it
            began = time.monotonic()
            conn.request("GET", "/metrics", headers=a.headers)
            r = conn.getresponse()
            text = r.read().decode()
            times.append((time.monotonic() - began) * 1000)
            if r.status != 200:
                raise SystemExit("GET /metrics: %d %s" % (r.status, text[:200]))
            locked.append(1000 * float(next(line.split()[1] for line in text.splitlines()
                                             if line.startswith("allot_scrape_lock_seconds "))))
        print("%sfleet_metrics_scrape_ms: %.1f ms (median of 9 GET /metrics, %d bytes)"
              % (args.prefix, statistics.median(times), len(text)))
        print("%sfleet_metrics_lock_ms: %.2f ms (median of 9 scrapes: the state lock held)"
              % (args.prefix, statistics.median(locked)))
        print("%sfleet_allotd_peak_mib: %.0f MiB" % (args.prefix, a.rss_peak_mib()), flush=True)
        print("allotd pid %d" % a.proc.pid, flush=True)
        time.sleep(args.hold)
    finally:
        a.stop()


if __name__ == "__main__":
    main()
