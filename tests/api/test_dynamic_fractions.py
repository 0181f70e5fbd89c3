"""test_dynamic_fractions.py - dynamic fractions through allotd: a workload asks a GPU portion
(or GPU memory) request and a limit above it; the request is stored, accounted and shown, the
limit travels with it (workload JSON, describe, snapshot), the task runs with its limit as its
cap beside its request and its device's segment; bad combinations are refused naming the flag
or field."""
import os
import unittest

from harness import ALLOTD, DaemonTest, wait_until

LIBRARY = os.path.abspath(os.path.join(os.path.dirname(ALLOTD), "..", "liballot-cuda.so"))
FAKE_DRIVER = os.path.abspath(os.path.join(os.path.dirname(ALLOTD), "..", "tests", "cuda"))
ENV_CMD = ["sh", "-c", "env"]
# A task that allocates each of its arguments (MiB) through the CUDA driver (tests/cuda's fake,
# under liballot-cuda.so as allotd injects it), prints each result, then sleeps.
ALLOCATE = r"""
import ctypes, os, sys, time
print("device ledger:", os.environ.get("ALLOT_GPU_DEVICE_LEDGER"), flush=True)
cu = ctypes.CDLL("libcuda.so.1")
dev, ctx = ctypes.c_int(), ctypes.c_void_p()
assert cu.cuInit(0) == 0 and cu.cuDeviceGet(ctypes.byref(dev), 0) == 0
assert cu.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), dev) == 0 and cu.cuCtxSetCurrent(ctx) == 0
for mib in map(int, sys.argv[1:]):
    p = ctypes.c_uint64()
    r = cu.cuMemAlloc_v2(ctypes.byref(p), ctypes.c_size_t(mib << 20))
    print("alloc %d: %d" % (mib, r), flush=True)
time.sleep(600)
"""
FAKE_ENV = {"LD_LIBRARY_PATH": FAKE_DRIVER, "FAKE_CUDA_MEMORY_MIB": "81920"}


def env_of(d, name):
    d.wait_state(name, "succeeded")
    text = d.request("GET", "/api/v1/workloads/%s/logs" % name)[1]
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


class DynamicFractionTest(DaemonTest):
    gpus = "2xA100-80GiB"
    args = ("--cuda-library", LIBRARY)

    def test_portion_request_and_limit_run_shown_and_stored(self):
        self.project("team-a")
        self.d.cli("workload", "submit", "burst", "-p", "team-a", "--gpu-portion-request",
                   "0.25", "--gpu-portion-limit", "0.5", "--", *ENV_CMD)
        env = env_of(self.d, "burst")
        self.assertEqual(env.get("ALLOT_GPU_MEMORY_LIMIT_MIB"), "40960")
        self.assertEqual(env.get("ALLOT_GPU_MEMORY_REQUEST_MIB"), "20480")
        self.assertRegex(env.get("ALLOT_GPU_DEVICE_LEDGER", ""), r"^[0-9a-f]{8}-n0-g[01]$")
        w = self.d.workload("burst")
        self.assertEqual((w["gpu_fraction"], w["gpu_fraction_limit"]), (0.25, 0.5))
        self.assertEqual(w["enforcement"]["memory_limit_mib"], 40960)
        self.assertEqual(w["enforcement"]["memory_request_mib"], 20480)
        out = self.d.cli("workload", "describe", "burst", "-p", "team-a").stdout
        self.assertIn("0.25 of a GPU (may grow to 0.5 while the device has room)", out)
        self.assertIn("20480 MiB guaranteed", out)
        self.d.stop()
        self.d.start()
        w = self.d.workload("burst")
        self.assertEqual((w["gpu_fraction"], w["gpu_fraction_limit"]), (0.25, 0.5))

    def test_memory_request_and_limit(self):
        self.project("team-a")
        self.d.cli("workload", "submit", "mem", "-p", "team-a", "--gpu-memory-request", "10GiB",
                   "--gpu-memory-limit", "40GiB", "--", *ENV_CMD)
        env = env_of(self.d, "mem")
        self.assertEqual(env.get("ALLOT_GPU_MEMORY_LIMIT_MIB"), "40960")
        self.assertEqual(env.get("ALLOT_GPU_MEMORY_REQUEST_MIB"), "10240")
        w = self.d.workload("mem")
        self.assertEqual((w["gpu_memory_mib"], w["gpu_memory_limit_mib"]), (10240, 40960))

    def test_a_plain_share_registers_its_request(self):
        self.project("team-a")
        self.d.cli("workload", "submit", "plain", "-p", "team-a", "--gpu-portion", "0.5", "--",
                   *ENV_CMD)
        env = env_of(self.d, "plain")
        self.assertEqual(env.get("ALLOT_GPU_MEMORY_LIMIT_MIB"), "40960")
        self.assertEqual(env.get("ALLOT_GPU_MEMORY_REQUEST_MIB"), "40960")
        w = self.d.workload("plain")
        self.assertNotIn("gpu_fraction_limit", w)
        self.assertNotIn("memory_request_mib", w["enforcement"])

    def test_the_snapshot_carries_the_limit_and_the_engine_accounts_the_request(self):
        self.project("team-a")
        # four requests of 0.25 with limits of 1.0 all run, on one device: the engine accounts
        # the requests (by their limits only two of the two devices would run)
        for i in range(4):
            self.submit("w%d" % i, "team-a", ["sleep", "30"], gpu_fraction=0.25,
                        gpu_fraction_limit=1.0)
        for i in range(4):
            self.d.wait_state("w%d" % i, "running")
        devices = {tuple(t["gpu_devices"]) for i in range(4)
                   for t in self.d.workload("w%d" % i)["tasks"]}
        self.assertEqual(len(devices), 1, devices)
        status, snap, _ = self.d.request("GET", "/api/v1/snapshot")
        self.assertEqual(status, 200)
        tasks = [t for j in snap["jobs"] for t in j["tasks"]]
        self.assertEqual({t.get("gpu_fraction_limit") for t in tasks}, {1.0})
        for i in range(4):
            self.d.cli("workload", "delete", "w%d" % i, "-p", "team-a")

    def test_bad_combinations_are_refused_naming_the_flag(self):
        self.project("team-a")
        bad = [
            (["--gpu-portion-limit", "0.5"], "--gpu-portion-limit goes with"),
            (["--gpu-portion-request", "0.5", "--gpu-portion-limit", "0.25"], "below"),
            (["--gpu-portion-request", "0.5", "--gpu-portion-limit", "1.5"],
             "--gpu-portion-limit"),
            (["--gpu-portion", "0.5", "--gpu-portion-request", "0.25"], "already given"),
            (["--gpu-memory-request", "1GiB", "--gpu-portion-limit", "0.5"],
             "--gpu-portion-limit goes with"),
            (["--gpu-portion-request", "0.25", "--gpu-memory-limit", "4GiB"],
             "--gpu-memory-limit goes with"),
            (["--gpu-memory-request", "4GiB", "--gpu-memory-limit", "1GiB"],
             "--gpu-memory-limit is below"),
        ]
        for flags, message in bad:
            p = self.d.cli("workload", "submit", "x", "-p", "team-a", *flags, "--", "true",
                           check=False)
            self.assertEqual(p.returncode, 2, (flags, p.stderr))
            self.assertIn(message, p.stderr, flags)
        fields = [
            ({"gpu_fraction": 0.5, "gpu_fraction_limit": 0.25}, "gpu_fraction_limit",
             "at least gpu_fraction"),
            ({"gpu_fraction": 0.5, "gpu_fraction_limit": 2}, "gpu_fraction_limit", "at most 1"),
            ({"gpu_memory_limit_mib": 4096}, "gpu_memory_limit_mib", "gpu_memory_mib request"),
            ({"gpu": 1, "gpu_fraction_limit": 0.5}, "gpu_fraction_limit", "gpu_fraction"),
            ({"gpu_memory_mib": 4096, "gpu_memory_limit_mib": 1024}, "gpu_memory_limit_mib",
             "at least gpu_memory_mib"),
        ]
        for body, field, message in fields:
            status, err, _ = self.d.request("POST", "/api/v1/workloads", dict(
                name="x", project="team-a", command=["true"], **body))
            self.assertEqual(status, 400, body)
            self.assertEqual(err["error"]["field"], field, body)
            self.assertIn(message, err["error"]["message"], body)


class BurstEvictionTest(DaemonTest):
    gpus = "1xA100-80GiB"
    args = ("--cuda-library", LIBRARY)

    def log(self, name):
        return self.d.request("GET", "/api/v1/workloads/%s/logs" % name)[1]

    def test_a_bursting_task_is_evicted_for_anothers_request(self):
        self.project("team-a")
        # a asks 0.25 of the 80 GiB device (20480 MiB) and may grow to all of it: it takes 60 GiB
        self.submit("a", "team-a", ["python3", "-c", ALLOCATE, "20480", "40960"],
                    gpu_fraction=0.25, gpu_fraction_limit=1.0, env=FAKE_ENV)
        wait_until(lambda: "alloc 40960: 0" in self.log("a"), what="a to burst to 60 GiB")
        # the device's segment outlives its tasks (the next ones on the device share it)
        device = self.log("a").split("device ledger: ")[1].split()[0]
        self.addCleanup(lambda: os.path.exists("/dev/shm/allot-cuda-dev-" + device) and
                        os.unlink("/dev/shm/allot-cuda-dev-" + device))
        # b's request (0.5: 40960 MiB) fits by requests, not beside what a uses
        self.submit("b", "team-a", ["python3", "-c", ALLOCATE, "40960"], gpu_fraction=0.5,
                    env=FAKE_ENV)
        evicted = wait_until(lambda: [e for e in self.d.events("a") if e["kind"] == "evicted"],
                             what="a evicted")[0]
        self.assertRegex(evicted["message"],
                         r"^task 0: evicted: used 61440 MiB of GPU 0 on \S+, above its request "
                         r"of 20480 MiB, which team-a/b needs for its request$")
        self.assertIn("pipelined", [e["kind"] for e in self.d.events("b")])
        wait_until(lambda: "alloc 40960: 0" in self.log("b"), what="b to get its request")
        # a runs again by its request; its growth now finds b's request in the way (2: out of
        # memory), its request still holds
        wait_until(lambda: "alloc 40960: 2" in self.log("a"), timeout=30,
                   what="a's growth refused on its second run")
        self.assertIn("alloc 20480: 0", self.log("a").split("alloc 40960: 0")[-1])
        for name in ("a", "b"):
            self.d.cli("workload", "delete", name, "-p", "team-a")

    def test_the_largest_burst_goes_first_and_only_as_many_as_needed(self):
        self.project("team-a")
        # a and b ask 10240 MiB each; a grows by 20480, b by 10240
        for name, sizes in (("a", ["10240", "20480"]), ("b", ["10240", "10240"])):
            self.submit(name, "team-a", ["python3", "-c", ALLOCATE, *sizes],
                        gpu_fraction=0.125, gpu_fraction_limit=1.0, env=FAKE_ENV)
            wait_until(lambda: "alloc %s: 0" % sizes[1] in self.log(name), what=name + " grown")
        device = self.log("a").split("device ledger: ")[1].split()[0]
        self.addCleanup(lambda: os.path.exists("/dev/shm/allot-cuda-dev-" + device) and
                        os.unlink("/dev/shm/allot-cuda-dev-" + device))
        # c's 40960 MiB: 30720 are left beside a's 30720 and b's 20480; evicting a is enough
        self.submit("c", "team-a", ["python3", "-c", ALLOCATE, "40960"], gpu_fraction=0.5,
                    env=FAKE_ENV)
        wait_until(lambda: "alloc 40960: 0" in self.log("c"), what="c to get its request")
        self.assertIn("evicted", [e["kind"] for e in self.d.events("a")])
        self.assertNotIn("evicted", [e["kind"] for e in self.d.events("b")])
        self.assertEqual(self.d.workload("b")["restarts"], 0)
        for name in ("a", "b", "c"):
            self.d.cli("workload", "delete", name, "-p", "team-a")


if __name__ == "__main__":
    unittest.main()
