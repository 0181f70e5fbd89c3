#!/usr/bin/env python3
"""allotd_api.py - allotd's API as a user meets it (release build): the latency from a submit to
its task running (median of --latency-runs), durable submits per second from 16 keep-alive
clients into a project whose limit keeps everything pending (each answered only once its
transaction is on disk), then the time of a 1,000-item list page with all of them in the state.
Prints `name: value unit` lines.

usage: allotd_api.py ALLOTD [--workloads N] [--latency-runs N] [--prefix NAME]
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time

CLIENTS = 16


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("allotd")
    ap.add_argument("--workloads", type=int, default=20000)
    ap.add_argument("--latency-runs", type=int, default=30)
    ap.add_argument("--prefix", default="")
    args = ap.parse_args()
    state = tempfile.mkdtemp(prefix="allot-bench-")
    proc = subprocess.Popen([args.allotd, "--state-dir", state, "--listen", "127.0.0.1:0",
                             "--gpus", "1x80GiB"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        addr = os.path.join(state, "allotd.addr")
        deadline = time.monotonic() + 30
        while not os.path.exists(addr):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("allotd did not start")
            time.sleep(0.05)
        host, port = open(addr).read().strip().split("//")[1].split(":")
        with open(os.path.join(state, "admin.token")) as f:
            headers = {"Authorization": "Bearer " + f.read().strip(),
                       "Content-Type": "application/json"}

        def call(conn, method, path, body=None):
            conn.request(method, path, json.dumps(body) if body is not None else None, headers)
            r = conn.getresponse()
            data = r.read()
            if r.status >= 300:
                raise SystemExit("%s %s: %d %s" % (method, path, r.status, data[:200]))
            return data

        def gone(c, name):
            c.request("GET", "/api/v1/workloads/" + name, None, headers)
            r = c.getresponse()
            r.read()
            return r.status == 404

        conn = http.client.HTTPConnection(host, int(port))
        call(conn, "POST", "/api/v1/projects", {"name": "latency"})
        latencies = []
        for i in range(args.latency_runs):
            name = "lat-%d" % i
            began = time.monotonic()
            call(conn, "POST", "/api/v1/workloads", {"name": name, "project": "latency",
                                                     "command": ["sleep", "30"],
                                                     "gpu_fraction": 0.1})
            while not all(t["pid"] for t in json.loads(
                    call(conn, "GET", "/api/v1/workloads/" + name))["tasks"]):
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

        def client(k):
            c = http.client.HTTPConnection(host, int(port))
            for i in range(per_client):
                call(c, "POST", "/api/v1/workloads", {"name": "w-%d-%d" % (k, i),
                                                      "project": "bench", "command": ["true"],
                                                      "gpu": 1})

        began = time.monotonic()
        threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - began
        print("%ssubmits_per_s: %.0f submits/s" % (args.prefix, per_client * CLIENTS / took))
        times = []
        for _ in range(9):
            began = time.monotonic()
            call(conn, "GET", "/api/v1/workloads?limit=1000&offset=%d" % (per_client * CLIENTS // 2))
            times.append((time.monotonic() - began) * 1000)
        print("%slist_page_1000_ms: %.1f ms (of %d workloads, all pending)"
              % (args.prefix, statistics.median(times), per_client * CLIENTS))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
