"""test_sim_timed.py - `allot sim philly`: a hand-made trace whose outcome is worked out by hand
(queueing delays, completion times, one reclaim that evicts), run through allotd's own loop in
its sim mode; the same result with the second skipping off; two runs alike; the table, --json
and --csv forms; bad flags and malformed traces refused; nothing left behind."""
import json
import os
import random
import subprocess
import tempfile
import unittest

from harness import ALLOT, ALLOTD, wait_until

HEADER = "timestamp,duration,num_gpus,gpu_time,cluster\n"

# Two VCs of one 8-GPU node each (2 nodes, 16 GPUs), deserved 8 GPUs each.
#   j0 (vca, 16 GPUs, 100 s) arrives at 0 and takes both nodes: 8 of them over vca's quota.
#   j1 (vcb, 8 GPUs, 100 s) arrives at 10: reclaim evicts j0 (a gang: both tasks, one
#      eviction), j1 is pipelined onto the freed node and starts at 11, when allotd's next
#      cycle has seen the evicted tasks exit: delay 1, ends at 111, JCT 101.
#   j2 (zzz, not in the VC table: project "unlisted", deserved 0; 1 GPU, 30 s) arrives at 20
#      and starts at once on the other node: delay 0, ends at 50, JCT 30.
#   j0, requeued, needs both nodes whole: starts again at 111 when j1 ends and runs its whole
#      100 s again: ends at 211, JCT 211, delay 0 (its first start was at 0).
TRACE = (HEADER +
         "2017-10-01 00:00:20,30,1,30,zzz\n"
         "2017-10-01 00:00:00,100,16,1600,vca\n"
         "2017-10-01 00:00:10,99.2,8,800,vcb\n")
VCS = "vc,node num\nvca,1\nvcb,1\n"


def dist(mean, p50, p95, p99):
    return {"mean": mean, "p50": p50, "p95": p95, "p99": p99}


class SimTimedTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="test-sim-timed-")
        self.tmp = os.path.join(self.dir, "tmp")
        os.mkdir(self.tmp)
        self.jobs = self.write("jobs.csv", TRACE)
        self.vcs = self.write("vcs.csv", VCS)

    def tearDown(self):
        self.assertEqual(os.listdir(self.tmp), [], "allot sim left its directory behind")
        subprocess.run(["rm", "-rf", self.dir], check=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def sim(self, *args, jobs=None):
        env = dict(os.environ, TMPDIR=self.tmp)
        return subprocess.run([ALLOT, "sim", "philly", "--jobs", jobs or self.jobs, "--vcs",
                               self.vcs, "--allotd", ALLOTD, *args], capture_output=True,
                              text=True, timeout=120, env=env)

    def result(self, *args, jobs=None):
        r = self.sim("--json", *args, jobs=jobs)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_hand_made_trace_has_the_outcome_worked_out_by_hand(self):
        out = self.result()
        self.assertEqual((out["trace"], out["nodes"], out["gpus"]), ("philly", 2, 16))
        self.assertEqual(out["simulated_seconds"], 211)
        self.assertEqual(out["evictions"], 1)
        by_name = {p["name"]: p for p in out["projects"]}
        self.assertEqual(list(by_name), ["vca", "vcb", "unlisted"])
        vca, vcb, unlisted = by_name["vca"], by_name["vcb"], by_name["unlisted"]
        self.assertEqual((vca["deserved_gpus"], vcb["deserved_gpus"], unlisted["deserved_gpus"]),
                         (8, 8, 0))
        self.assertEqual(vca["queueing_delay_s"], dist(0, 0, 0, 0))
        self.assertEqual(vca["jct_s"], dist(211, 211, 211, 211))
        self.assertEqual(vca["evictions"], 1)
        self.assertEqual(vcb["queueing_delay_s"], dist(1, 1, 1, 1))
        self.assertEqual(vcb["jct_s"], dist(101, 101, 101, 101))
        self.assertEqual(unlisted["jct_s"], dist(30, 30, 30, 30))
        total = out["total"]
        self.assertEqual((total["jobs"], total["started"], total["finished"]), (3, 3, 3))
        self.assertEqual(total["jct_s"], dist(114, 101, 211, 211))
        series = [(x["time_s"], x["allocated_gpus"], x["pending_jobs"], x["running_jobs"])
                  for x in out["utilisation"]]
        self.assertEqual(series, [(0, 16, 0, 1), (10, 0, 2, 0), (11, 8, 1, 1), (20, 9, 1, 2),
                                  (50, 8, 1, 1), (111, 16, 0, 1), (211, 0, 0, 0)])
        # GPU-seconds: 16*10 + 8*9 + 9*30 + 8*61 + 16*100 = 2590 of 16*211.
        self.assertAlmostEqual(out["utilisation_mean_pct"], 2590 / (16 * 211) * 100, places=2)
        # vca's fair share is 8 throughout (vcb asks for its 8 from 10 on): over it by 8 for
        # 0..10, under it by 8 for 10..111, at 16 = its share once vcb is done.
        self.assertGreater(vca["fair_share_error_pct"], 20)

    def test_a_large_gang_reserves_and_waits_less(self):
        # One VC of two 8-GPU nodes; every job has a time limit (--time-limits hours: its
        # duration rounded up to the next hour). a (8 GPUs, 1000 s, limit 1 h) arrives at 0 on
        # node0; b (4 GPUs, 5000 s, limit 2 h) at 1 on node1; g (16 GPUs: 2 tasks of 8, 100 s)
        # at 10 waits for both nodes; c (4 GPUs, 100000 s, limit 28 h) arrives at 400.
        #   off: c takes node1's 4 idle GPUs at 400; g waits until c ends at 100400 (delay
        #     100390); c's delay 0.
        #   on (gangs of 16 after 300 s): at 310 g plans by the limits: node0 frees at 3600,
        #     node1 at 1 + 7200 = 7201, so it reserves both from 7201; c (400 + 28 h > 7201) may
        #     not backfill and waits. b ends at 5001: g starts (delay 4991), ends at 5101, and c
        #     starts then (delay 4701).
        trace = self.write("gang.csv", HEADER +
                           "2017-10-01 00:00:00,1000,8,8000,v\n"
                           "2017-10-01 00:00:01,5000,4,20000,v\n"
                           "2017-10-01 00:00:10,100,16,1600,v\n"
                           "2017-10-01 00:06:40,100000,4,400000,v\n")
        self.vcs = self.write("vcs2.csv", "vc,node num\nv,2\n")
        by_size = {}
        for mode, extra in (("off", []), ("on", ["--reservation-min-gpus", "16",
                                                 "--reservation-wait", "300"])):
            out = self.result("--time-limits", "hours", *extra, jobs=trace)
            by_size[mode] = {(c["gpus_min"], c["gpus_max"]): c for c in out["by_size"]}
        gang = {m: by_size[m][(9, 32)]["queueing_delay_s"] for m in by_size}
        small = {m: by_size[m][(2, 8)]["queueing_delay_s"] for m in by_size}
        self.assertEqual(gang["off"]["mean"], 100390, gang)
        self.assertEqual(gang["on"]["mean"], 4991, gang)
        self.assertEqual(small["off"]["p99"], 0, small)
        self.assertEqual(small["on"]["p99"], 4701, small)

    def test_skipping_seconds_changes_no_result(self):
        skipped, every = self.result(), self.result("--no-skip")
        self.assertGreater(skipped["seconds_skipped"], 150)
        self.assertEqual(every["seconds_skipped"], 0)
        self.assertEqual(every["cycles"], 212)  # every second of 0..211
        self.assertLess(skipped["cycles"], 20)
        for r in (skipped, every):
            for k in ("wall_seconds", "cycles", "seconds_skipped", "skip"):
                del r[k]
        self.assertEqual(skipped, every)

    def test_skipping_changes_no_result_under_contention(self):
        # A random but fixed trace that keeps 4 nodes busy: queueing, reclaims, gangs.
        rng = random.Random(7)
        rows = []
        for i in range(120):
            t = rng.randrange(0, 3600)
            rows.append("2017-10-01 %02d:%02d:%02d,%d,%d,0,%s\n" % (
                t // 3600, t // 60 % 60, t % 60, rng.randrange(20, 900),
                rng.choice([1, 1, 1, 2, 4, 8, 16]), rng.choice(["vca", "vcb", "vcc", "zzz"])))
        jobs = self.write("busy.csv", HEADER + "".join(rows))
        self.vcs = self.write("busy-vcs.csv", "vc,node num\nvca,2\nvcb,1\nvcc,1\n")
        skipped, every = self.result(jobs=jobs), self.result("--no-skip", jobs=jobs)
        self.assertGreater(skipped["total"]["queueing_delay_s"]["p95"], 60)
        self.assertEqual(skipped["total"]["finished"], 120)
        self.assertLess(skipped["cycles"], every["cycles"])
        for r in (skipped, every):
            for k in ("wall_seconds", "cycles", "seconds_skipped", "skip"):
                del r[k]
        self.assertEqual(skipped, every)

    def test_two_runs_give_the_same_output(self):
        a, b = self.sim("--csv"), self.sim("--csv")
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)
        first, second = self.result(), self.result()
        del first["wall_seconds"], second["wall_seconds"]
        self.assertEqual(first, second)

    def test_table_json_and_csv(self):
        r = self.sim()
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("trace philly: 2 nodes, 16 GPUs; 211 simulated"))
        header = next(l for l in lines if l.startswith("PROJECT"))
        for column in ("DESERVED", "JOBS", "WAIT-P95", "JCT-P99", "FS-ERR%", "EVICTIONS"):
            self.assertIn(column, header)
        self.assertTrue(any(l.split()[:4] == ["TOTAL", "3", "3", "0"] for l in lines), r.stdout)
        out = self.result()
        for key in ("trace", "nodes", "gpus", "simulated_seconds", "wall_seconds", "cycles",
                    "evictions", "projects", "utilisation", "total"):
            self.assertIn(key, out)
        for key in ("name", "deserved_gpus", "jobs", "queueing_delay_s", "jct_s",
                    "fair_share_error_pct", "evictions"):
            self.assertIn(key, out["projects"][0])
        csv = self.sim("--csv")
        self.assertEqual(csv.stdout.splitlines()[0],
                         "time_s,allocated_gpus,utilisation_pct,pending_jobs,running_jobs")
        self.assertEqual(csv.stdout.splitlines()[1], "0,16,100.00,0,1")
        svg = os.path.join(self.dir, "util.svg")
        r = self.sim("--plot", svg)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("trace philly:"))
        with open(svg) as f:
            chart = f.read()
        self.assertIn("<svg", chart)
        self.assertIn("GPU utilisation", chart)
        r = self.sim("--plot", os.path.join(self.dir, "no-such-dir", "u.svg"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("--plot:", r.stderr)

    def test_a_stopped_sim_leaves_no_process_or_file(self):
        long = self.write("long.csv", HEADER + "2017-10-01 00:00:00,100000000,1,0,vca\n")
        p = subprocess.Popen([ALLOT, "sim", "philly", "--jobs", long, "--vcs", self.vcs,
                              "--allotd", ALLOTD, "--no-skip"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=dict(os.environ,
                                                                          TMPDIR=self.tmp))

        def children():
            found = []
            for pid in os.listdir("/proc"):
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        if self.tmp.encode() in f.read() and int(pid) != p.pid:
                            found.append(int(pid))
                except (OSError, ValueError):
                    pass
            return found

        wait_until(lambda: children(), what="allotd running")
        p.terminate()
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 128 + 15, err)
        self.assertIn("stopped by signal 15", err)
        wait_until(lambda: not children(), what="allotd gone")

    def test_bad_flags_and_traces_are_refused(self):
        r = self.sim("--bogus")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown option '--bogus'", r.stderr)
        r = self.sim("--json", "--csv")
        self.assertEqual(r.returncode, 2)
        r = self.sim("--days", "2")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--from", r.stderr)
        bad = self.write("bad.csv", HEADER + "2017-10-01 00:00:00,100,1,100,vca\n"
                                             "2017-10-01 00:00:00,-1,1,100,vca\n")
        r = self.sim(jobs=bad)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(bad + ":3: duration: must be a number of seconds, >= 0", r.stderr)
        zero = self.write("zero.csv", HEADER + "2017-10-01 00:00:00,100,0,0,vca\n")
        r = self.sim(jobs=zero)
        self.assertIn(zero + ":2: num_gpus:", r.stderr)
        r = self.sim(jobs=self.write("empty.csv", ""))
        self.assertIn("empty.csv:1: header: empty file", r.stderr)
        r = self.sim(jobs=self.write("other.csv", "a,b\n1,2\n"))
        self.assertIn("header: unknown column layout", r.stderr)


DLRM_HEADER = ("instance_sn,role,app_name,cpu_request,cpu_limit,gpu_request,gpu_limit,"
               "rdma_request,rdma_limit,memory_request,memory_limit,disk_request,disk_limit,"
               "max_instance_per_node,creation_time,scheduled_time,deletion_time\n")


class SimDlrmTest(unittest.TestCase):
    """`allot sim dlrm` on one node of 1 GPU and 8 vCPUs:
    a0 (app_a, HN, 2 vCPU) from 0 to 100 holds the GPU; app_a deserves 1 GPU, its peak.
    b0 (app_b, HN) created at 10, ran 40 s in the trace: inference is never preempted, so it
    waits for a0's end: starts at 100, ends at 140 (delay 90, JCT 130).
    c0 (app_b, CN, 4 vCPU, no GPU) from 20 for 10 s: the CPU is free, it runs at once."""

    def test_instances_wait_for_the_gpu_an_inference_service_holds(self):
        d = tempfile.mkdtemp(prefix="test-sim-dlrm-")
        try:
            instances = os.path.join(d, "dlrm.csv")
            with open(instances, "w") as f:
                f.write(DLRM_HEADER +
                        "a0,HN,app_a,2,2,1,1,25,25,1,1,1,1,8,0,0,100\n"
                        "b0,HN,app_b,2,2,1,1,25,25,1,1,1,1,8,10,10,50\n"
                        "c0,CN,app_b,4,4,0,0,25,25,1,1,1,1,-1,20,20,30\n")
            nodes = os.path.join(d, "nodes.csv")
            with open(nodes, "w") as f:
                f.write("gpu_model,gpu_capacity_num,cpu_num,node_name\nA10,1,8,0\n")
            r = subprocess.run([ALLOT, "sim", "dlrm", "--instances", instances, "--nodes", nodes,
                                "--allotd", ALLOTD, "--json"], capture_output=True, text=True,
                               timeout=120, env=dict(os.environ, TMPDIR=d))
            self.assertEqual(r.returncode, 0, r.stderr)
            out = json.loads(r.stdout)
            self.assertEqual((out["trace"], out["nodes"], out["gpus"]), ("dlrm", 1, 1))
            self.assertEqual(out["simulated_seconds"], 140)
            a, b = out["projects"]
            self.assertEqual((a["name"], a["deserved_gpus"], b["name"], b["deserved_gpus"]),
                             ("app-a", 1, "app-b", 1))
            self.assertEqual(a["jct_s"], dist(100, 100, 100, 100))
            self.assertEqual(b["queueing_delay_s"], dist(45, 0, 90, 90))
            self.assertEqual(b["jct_s"], dist(70, 10, 130, 130))
            self.assertEqual(out["evictions"], 0)
            r = subprocess.run([ALLOT, "sim", "dlrm", "--instances", instances, "--allotd",
                                ALLOTD], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 2)
            self.assertIn("--nodes", r.stderr)
            self.assertEqual(sorted(os.listdir(d)), ["dlrm.csv", "nodes.csv"])
        finally:
            subprocess.run(["rm", "-rf", d], check=True)


if __name__ == "__main__":
    unittest.main()
