#!/usr/bin/env python3
"""sim_reservation.py - how long large gangs wait in a busy cluster, with reservations off and on
(docs/engine.md, "Reservations"; docs/simulation.md, "Reservations"). A synthetic trace in the
Philly format, made here from a fixed seed (reproducible): one virtual cluster of 16 nodes x 8
GPUs; for --days days, small jobs (1, 2, 4 or 8 GPUs; exponential durations, mean 2 h) arrive at
random to load the cluster about 75 %, and a 64-GPU gang (8 tasks of 8) every 4 hours for 2 hours.
Every job has a time limit as a user would give it (`--time-limits hours`: its duration rounded
up to the next hour). Runs `allot sim philly` (allotd's own loop on a virtual clock) twice:
reservations off, then on for gangs of 64 GPUs after 300 s. Prints `name: value unit` lines.

usage: sim_reservation.py ALLOT [--days N] [--seed S] [--prefix NAME]
"""
import argparse
import json
import os
import random
import subprocess
import tempfile
import time

SMALL_SIZES = [(1, 0.6), (2, 0.1), (4, 0.15), (8, 0.15)]
NODES, GPUS_PER_NODE = 16, 8
EPOCH = 1506816000  # 2017-10-01 00:00 UTC


def stamp(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def trace(days, seed):
    """The jobs as (arrival, duration, gpus) rows: small ones by a Poisson process, one gang of 64
    every 4 hours."""
    rng = random.Random(seed)
    mean_gpus = sum(g * p for g, p in SMALL_SIZES)
    rate = 0.75 * NODES * GPUS_PER_NODE / (mean_gpus * 7200.0)  # jobs per second at 75 %
    rows, t, end = [], 0.0, days * 86400
    while True:
        t += rng.expovariate(rate)
        if t >= end:
            break
        r, gpus = rng.random(), 1
        for g, p in SMALL_SIZES:
            if r < p:
                gpus = g
                break
            r -= p
        rows.append((int(t), max(60, min(12 * 3600, int(rng.expovariate(1 / 7200.0)))), gpus))
    for k in range(int(end // 14400)):
        rows.append((k * 14400 + 1800, 7200, 64))
    rows.sort()
    return rows


def run(allot, jobs, vcs, extra):
    began = time.monotonic()
    r = subprocess.run([allot, "sim", "philly", "--jobs", jobs, "--vcs", vcs, "--json",
                        "--time-limits", "hours", *extra],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout), time.monotonic() - began


def size_class(out, gpus):
    for c in out["by_size"]:
        if c["gpus_min"] <= gpus <= c["gpus_max"]:
            return c
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("allot")
    ap.add_argument("--days", type=int, default=4)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--prefix", default="")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        jobs, vcs = os.path.join(tmp, "jobs.csv"), os.path.join(tmp, "vcs.csv")
        with open(jobs, "w") as f:
            f.write("timestamp,duration,num_gpus,gpu_time,cluster\n")
            for arrival, duration, gpus in trace(args.days, args.seed):
                f.write("%s,%d.0,%d,%d.0,busy\n" % (stamp(EPOCH + arrival), duration, gpus,
                                                    duration * gpus))
        with open(vcs, "w") as f:
            f.write("vc,node num\nbusy,%d\n" % NODES)
        for mode, extra in (("off", []),
                            ("on", ["--reservation-min-gpus", "64", "--reservation-wait", "300"])):
            out, took = run(args.allot, jobs, vcs, extra)
            name = "%ssim_reservation_%s" % (args.prefix, mode)
            big, small = size_class(out, 64), out["total"]
            print("%s_wall: %.1f s (%d jobs, %d cycles)" % (name, took, small["jobs"],
                                                            out["cycles"]))
            print("%s_utilisation: %.2f %%" % (name, out["utilisation_mean_pct"]))
            print("%s_gang64_jobs: %d jobs (%d started)" % (name, big["jobs"], big["started"]))
            for k in ("mean", "p50", "p95"):
                print("%s_gang64_wait_%s: %.2f h" % (name, k, big["queueing_delay_s"][k] / 3600))
            for c in out["by_size"]:
                if c["gpus_max"] <= 8:
                    print("%s_small_%d_%d_wait_mean: %.2f h (%d jobs)"
                          % (name, c["gpus_min"], c["gpus_max"],
                             c["queueing_delay_s"]["mean"] / 3600, c["jobs"]))
            print("%s_all_wait_mean: %.2f h" % (name, small["queueing_delay_s"]["mean"] / 3600))
            print("%s_all_jct_mean: %.2f h" % (name, small["jct_s"]["mean"] / 3600))
            print("%s_evictions: %d" % (name, out["evictions"]))


if __name__ == "__main__":
    main()
