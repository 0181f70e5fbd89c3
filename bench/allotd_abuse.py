#!/usr/bin/env python3
"""allotd_abuse.py - valid requests' latency while allotd is abused (release build, issue 13):
p50 and p99 of GET /api/v1/projects from one keep-alive client, alone, during a flood of
unknown tokens from --flooders clients (each a new connection per request, in processes of
their own), and with --idle
connections open that never send a request. Target: p99 < 50 ms under both. Prints
`name: value unit` lines.

usage: allotd_abuse.py ALLOTD [--requests N] [--flooders N] [--idle N] [--prefix NAME]
"""
import argparse
import multiprocessing
import socket
import threading
import time

from allotd_client import Allotd

FLOOD_PROCESSES = 4


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def valid_latencies(a, requests):
    conn = a.connect()
    took = []
    for _ in range(requests):
        began = time.monotonic()
        a.call(conn, "GET", "/api/v1/projects")
        took.append((time.monotonic() - began) * 1000)
    conn.close()
    return took


def report(prefix, name, took):
    print("%s%s_p50_ms: %.2f ms" % (prefix, name, percentile(took, 50)))
    print("%s%s_p99_ms: %.2f ms" % (prefix, name, percentile(took, 99)))


def flood_process(host, port, threads, stop, count):
    """`threads` clients sending unknown tokens until `stop`; adds what they sent to `count`."""
    request = (b"GET /api/v1/projects HTTP/1.1\r\nHost: allotd\r\nConnection: close\r\n"
               b"Authorization: Bearer allot_%s\r\n\r\n")
    counts = [0] * threads

    def flood(k):
        while not stop.is_set():
            with socket.create_connection((host, port), timeout=30) as s:
                s.sendall(request % (b"wrong%d_%d" % (k, counts[k])))
                while s.recv(65536):
                    pass
            counts[k] += 1

    workers = [threading.Thread(target=flood, args=(k,)) for k in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    with count.get_lock():
        count.value += sum(counts)


def wrong_token_flood(a, clients, stop, count):
    """The flooders, in processes of their own (the measuring client shares no interpreter lock
    with them): FLOOD_PROCESSES of clients/FLOOD_PROCESSES threads."""
    procs = [multiprocessing.Process(target=flood_process,
                                     args=(a.host, a.port, clients // FLOOD_PROCESSES, stop, count))
             for _ in range(FLOOD_PROCESSES)]
    for p in procs:
        p.start()
    return procs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("allotd")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--flooders", type=int, default=32)
    ap.add_argument("--idle", type=int, default=300)
    ap.add_argument("--prefix", default="")
    args = ap.parse_args()
    a = Allotd(args.allotd, "--gpus", "1x80GiB")
    try:
        report(args.prefix, "valid_alone", valid_latencies(a, args.requests))

        stop, count = multiprocessing.Event(), multiprocessing.Value("l", 0)
        procs = wrong_token_flood(a, args.flooders, stop, count)
        time.sleep(0.5)
        began = time.monotonic()
        took = valid_latencies(a, args.requests)
        seconds = time.monotonic() - began
        stop.set()
        for p in procs:
            p.join()
        report(args.prefix, "valid_under_wrong_token_flood", took)
        print("%swrong_tokens_refused_per_s: %.0f requests/s (%d clients)"
              % (args.prefix, count.value / seconds, args.flooders))

        idle = [socket.create_connection((a.host, a.port), timeout=30) for _ in range(args.idle)]
        try:
            report(args.prefix, "valid_with_%d_idle" % args.idle,
                   valid_latencies(a, args.requests))
        finally:
            for s in idle:
                s.close()
    finally:
        a.stop()


if __name__ == "__main__":
    main()
