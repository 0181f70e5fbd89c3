#!/usr/bin/env python3
"""sim_philly.py - a timed simulation of the Philly trace through allotd's own loop (`allot sim
philly`, release build): the wall time of a window of --days days from 2017-10-01 (30 by
default: a month, 46,722 jobs, simulated until the last of them ends), the cycles run and the
seconds skipped. Prints `name: value unit` lines.

usage: sim_philly.py ALLOT [--days N] [--traces DIR] [--prefix NAME]
"""
import argparse
import json
import os
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("allot")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--traces", default=os.path.join(HERE, "..", "..", "shared", "traces",
                                                      "philly-pollux"))
    ap.add_argument("--prefix", default="")
    args = ap.parse_args()
    jobs = os.path.join(args.traces, "philly_jobs.csv")
    if not os.path.exists(jobs):
        print("%ssim_philly: skipped (no trace at %s)" % (args.prefix, jobs))
        return
    began = time.monotonic()
    r = subprocess.run([args.allot, "sim", "philly",
                        "--jobs", jobs,
                        "--vcs", os.path.join(args.traces, "philly_vc_nodes.csv"),
                        "--from", "2017-10-01", "--days", str(args.days), "--json"],
                       capture_output=True, text=True, check=True)
    took = time.monotonic() - began
    out = json.loads(r.stdout)
    name = "%ssim_philly_%dd" % (args.prefix, args.days)
    print("%s_wall: %.1f s (allot sim philly, trace read to result printed)" % (name, took))
    print("%s_simulated: %.1f days (%d jobs, until the last ends)"
          % (name, out["simulated_seconds"] / 86400, out["total"]["jobs"]))
    print("%s_speedup: %.0f x (simulated seconds per wall second)"
          % (name, out["simulated_seconds"] / took))
    print("%s_cycles: %d cycles" % (name, out["cycles"]))
    print("%s_seconds_skipped: %d s" % (name, out["seconds_skipped"]))
    print("%s_cycle_mean: %.3f ms" % (name, out["wall_seconds"] * 1000 / max(out["cycles"], 1)))
    print("%s_utilisation: %.2f %%" % (name, out["utilisation_mean_pct"]))


if __name__ == "__main__":
    main()
