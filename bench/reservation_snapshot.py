#!/usr/bin/env python3
"""reservation_snapshot.py - writes a large snapshot on stdout to time reservation plans with
`allot replay` (docs/engine.md, "Reservations"): 2,000 nodes of 8 GPUs holding 1-GPU running
tasks (80 % with a time limit of 1-4 h), 50 waiting large gangs and 200 small jobs, from a fixed
seed. `whole`: gangs of 8 tasks x 8 GPUs, nodes holding 5-8 tasks; `shared`: gangs of 128 tasks
x 0.5 GPU, every device held. `off` leaves reservations off, `on` sets 64 GPUs after 300 s.

usage: reservation_snapshot.py on|off [whole|shared] > FILE; time allot replay FILE
"""
import json
import random
import sys


def main():
    on = sys.argv[1] == "on"
    shared = len(sys.argv) > 2 and sys.argv[2] == "shared"
    rng = random.Random(7)
    nodes = [{"name": "n%04d" % i, "gpus": 8, "cpu_millis": 128000,
              "memory_bytes": 1024 * 10**9} for i in range(2000)]
    queue = {"name": "team", "parent": None, "priority": 100,
             "deserved": {"gpu": -1, "cpu_millis": -1, "memory_bytes": -1},
             "limit": {"gpu": -1, "cpu_millis": -1, "memory_bytes": -1},
             "over_quota_weight": {"gpu": 1, "cpu": 1, "memory": 1}}
    jobs, k = [], 0
    for n in range(2000):
        for g in range(rng.choice([8] if shared else [5, 6, 7, 7, 8])):
            j = {"name": "r%05d" % k, "queue": "team", "priority": 50, "preemptible": True,
                 "min_members": 1, "created_s": -5000, "started_s": -rng.randint(0, 3000)}
            if rng.random() < 0.8:
                j["time_limit_s"] = rng.randint(3600, 4 * 3600)
            j["tasks"] = [{"name": "r%05d-0" % k, "state": "running", "node": "n%04d" % n,
                           "gpus": 1, "gpu_indices": [g], "cpu_millis": 1000,
                           "memory_bytes": 10**9}]
            jobs.append(j)
            k += 1
    ask, count = ({"gpu_fraction": 0.5}, 128) if shared else ({"gpus": 8}, 8)
    for i in range(50):
        jobs.append({"name": "g%02d" % i, "queue": "team", "priority": 50, "preemptible": True,
                     "min_members": count, "created_s": -4000 + i, "time_limit_s": 7200,
                     "tasks": [dict({"name": "g%02d-%d" % (i, x), "state": "pending",
                                     "cpu_millis": 1000, "memory_bytes": 10**9}, **ask)
                               for x in range(count)]})
    for i in range(200):
        j = {"name": "s%03d" % i, "queue": "team", "priority": 50, "preemptible": True,
             "min_members": 1, "created_s": -100 + i}
        if rng.random() < 0.5:
            j["time_limit_s"] = 1800
        j["tasks"] = [{"name": "s%03d-0" % i, "state": "pending", "gpus": rng.choice([1, 2, 4]),
                       "cpu_millis": 1000, "memory_bytes": 10**9}]
        jobs.append(j)
    config = {"actions": ["allocate"], "gpu_placement": "binpack", "cpu_placement": "binpack",
              "gpu_device_placement": "pack", "shared_gpu_node_preference": True}
    if on:
        config.update({"reservation_min_gpus": 64, "reservation_wait_s": 300})
    json.dump({"name": "reservation-bench", "now_s": 0, "config": config, "nodes": nodes,
               "queues": [queue], "jobs": jobs}, sys.stdout)


if __name__ == "__main__":
    main()
