#!/usr/bin/env python3
"""allotd_submit.py - benchmark of allotd (release build): submit-to-running latency and durable
submits per second (each answered only after its SQLite transaction is on disk).

usage: bench/allotd_submit.py [--allotd build/allotd] [--latency-runs 30] [--submits 4000]
                              [--clients 8]
Prints medians and percentiles; run it several times on a quiet machine."""
import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time


class Client:
    def __init__(self, url, token):
        host, port = url.split("//")[1].rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        self.conn.request(method, path, json.dumps(body) if body is not None else None,
                          self.headers)
        resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, json.loads(data) if data else None


def start(allotd, state):
    proc = subprocess.Popen([allotd, "--state-dir", state, "--listen", "127.0.0.1:0",
                             "--gpus", "1x80GiB", "--grace-period", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    addr = os.path.join(state, "allotd.addr")
    while not os.path.exists(addr):
        time.sleep(0.01)
    with open(addr) as f, open(os.path.join(state, "admin.token")) as t:
        return proc, f.read().strip(), t.read().strip()


def latency(c, runs):
    samples = []
    for i in range(runs):
        name = "lat-%d" % i
        t0 = time.perf_counter()
        status, _ = c.call("POST", "/api/v1/workloads",
                           {"name": name, "project": "bench", "command": ["sleep", "30"],
                            "gpu_fraction": 0.1})
        assert status == 201, status
        while True:
            _, w = c.call("GET", "/api/v1/workloads/" + name)
            if w["state"] == "running":
                break
            time.sleep(0.0005)
        samples.append((time.perf_counter() - t0) * 1000)
        c.call("DELETE", "/api/v1/workloads/" + name)
    return samples


def throughput(url, token, total, clients):
    per = total // clients
    errors = []

    def worker(k):
        c = Client(url, token)
        for i in range(per):
            status, body = c.call("POST", "/api/v1/workloads",
                                  {"name": "tp-%d-%d" % (k, i), "project": "bench",
                                   "command": ["true"], "gpu": 2})
            if status != 201:
                errors.append(body)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    assert not errors, errors[:3]
    return per * clients / elapsed, elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--allotd", default="build/allotd")
    ap.add_argument("--latency-runs", type=int, default=30)
    ap.add_argument("--submits", type=int, default=4000)
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()
    state = tempfile.mkdtemp(prefix="allot-bench-")
    proc, url, token = start(args.allotd, state)
    try:
        c = Client(url, token)
        assert c.call("POST", "/api/v1/projects", {"name": "bench"})[0] == 201
        lat = sorted(latency(c, args.latency_runs))
        q = statistics.quantiles(lat, n=10)
        print("submit-to-running latency over %d workloads: median %.1f ms, p10 %.1f ms, "
              "p90 %.1f ms, max %.1f ms" % (len(lat), statistics.median(lat), q[0], q[-1],
                                          lat[-1]))
        rate, elapsed = throughput(url, token, args.submits, args.clients)
        print("durable submits: %d in %.2f s from %d clients = %.0f submits/s"
              % (args.submits // args.clients * args.clients, elapsed, args.clients, rate))
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
