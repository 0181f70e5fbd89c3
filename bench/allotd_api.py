#!/usr/bin/env python3
"""allotd_api.py - allotd's API as a user meets it (release build): the latency from a submit to
its task running (median of --latency-runs), durable submits per second from 16 keep-alive
clients into a project whose limit keeps everything pending (each answered only once its
transaction is on disk), then the time of a 1,000-item list page with all of them in the state.
Prints `name: value unit` lines.

usage: allotd_api.py ALLOTD [--workloads N] [--latency-runs N] [--prefix NAME]
"""
import argparse
import statistics
import time

from allotd_client import Allotd

CLIENTS = 16


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("allotd")
    ap.add_argument("--workloads", type=int, default=20000)
    ap.add_argument("--latency-runs", type=int, default=30)
    ap.add_argument("--prefix", default="")
    args = ap.parse_args()
    a = Allotd(args.allotd, "--gpus", "1x80GiB")
    try:
        def call(conn, method, path, body=None):
            return a.call(conn, method, path, body)[1]

        def gone(c, name):
            return a.call(c, "GET", "/api/v1/workloads/" + name, ok=(200, 404))[0] == 404

        conn = a.connect()
        call(conn, "POST", "/api/v1/projects", {"name": "latency"})
        latencies = []
        for i in range(args.latency_runs):
            name = "lat-%d" % i
            began = time.monotonic()
            call(conn, "POST", "/api/v1/workloads", {"name": name, "project": "latency",
                                                     "command": ["sleep", "30"],
                                                     "gpu_fraction": 0.1})
            while not all(t["pid"] for t in call(conn, "GET", "/api/v1/workloads/" + name)["tasks"]):
                time.sleep(0.0005)
            latencies.append((time.monotonic() - began) * 1000)
            call(conn, "DELETE", "/api/v1/workloads/" + name)
            while gone(conn, name) is False:  # stopped before the next one (and before exit)
                time.sleep(0.005)
        if latencies:
            print("%ssubmit_to_running_ms: %.1f ms (median of %d)"
                  % (args.prefix, statistics.median(latencies), len(latencies)))
        call(conn, "POST", "/api/v1/projects", {"name": "bench", "limit": {"gpu": 0}})
        per_client = args.workloads // CLIENTS
        took = a.submit_all([("w-%d" % i, "bench", {"command": ["true"], "gpu": 1})
                             for i in range(per_client * CLIENTS)], CLIENTS)
        print("%ssubmits_per_s: %.0f submits/s" % (args.prefix, per_client * CLIENTS / took))
        times = []
        for _ in range(9):
            began = time.monotonic()
            call(conn, "GET", "/api/v1/workloads?limit=1000&offset=%d" % (per_client * CLIENTS // 2))
            times.append((time.monotonic() - began) * 1000)
        print("%slist_page_1000_ms: %.1f ms (of %d workloads, all pending)"
              % (args.prefix, statistics.median(times), per_client * CLIENTS))
    finally:
        a.stop()


if __name__ == "__main__":
    main()
