"""test_enforcement.py - a task holding a share of a GPU runs under liballot-cuda.so on the
local backend (LD_PRELOAD, its memory cap, its ledger), unless its workload or allotd opts out;
a whole-GPU task is not wrapped; the workload's API object and `allot workload describe` say
which; the ledger's shared-memory segment is gone once the task ends."""
import os
import signal
import unittest

from harness import ALLOTD, Daemon, DaemonTest, wait_until

LIBRARY = os.path.abspath(os.path.join(os.path.dirname(ALLOTD), "..", "liballot-cuda.so"))
# Prints its environment, then makes the segment the library would make at its first
# allocation (this command makes none: it never calls CUDA).
ENV_CMD = ["sh", "-c", "env; [ -z \"$ALLOT_TASK_LEDGER\" ] || "
                       ": > /dev/shm/allot-cuda-$ALLOT_TASK_LEDGER"]


def env_of(d, name):
    d.wait_state(name, "succeeded")
    text = d.request("GET", "/api/v1/workloads/%s/logs" % name)[1]
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


class EnforcedTest(DaemonTest):
    gpus = "2xA100-80GiB"
    args = ("--cuda-library", LIBRARY)

    def test_portion_runs_under_the_library_with_half_the_memory(self):
        self.project("team-a")
        self.submit("half", "team-a", ENV_CMD, gpu_fraction=0.5,
                    env={"LD_PRELOAD": "libtask.so"})
        env = env_of(self.d, "half")
        self.assertEqual(env.get("LD_PRELOAD"), LIBRARY + " libtask.so")
        self.assertEqual(env.get("ALLOT_GPU_MEMORY_LIMIT_MIB"), "40960")
        ledger = env.get("ALLOT_TASK_LEDGER", "")
        self.assertRegex(ledger, r"^[0-9a-f]{8}-[0-9]+-0-1$")
        w = self.d.workload("half")
        self.assertEqual(w["enforce"], True)
        self.assertEqual(w["enforcement"], {"active": True, "reason": None, "library": LIBRARY,
                                            "memory_limit_mib": 40960})
        out = self.d.cli("workload", "describe", "half", "-p", "team-a").stdout
        self.assertIn("GPU enforcement:", out)
        self.assertIn("active (memory cap 40960 MiB per device, liballot-cuda.so)", out)
        wait_until(lambda: not os.path.exists("/dev/shm/allot-cuda-" + ledger),
                   what="the ledger's segment to go")

    def test_memory_request_over_two_devices(self):
        self.project("team-a")
        self.submit("mem", "team-a", ENV_CMD, gpu_memory_mib=8192, gpu_device_count=2)
        env = env_of(self.d, "mem")
        self.assertEqual(env.get("LD_PRELOAD"), LIBRARY)
        self.assertEqual(env.get("ALLOT_GPU_MEMORY_LIMIT_MIB"), "8192")
        self.assertEqual(self.d.workload("mem")["enforcement"]["memory_limit_mib"], 8192)

    def test_no_enforce_and_whole_gpus_are_not_wrapped(self):
        self.project("team-a")
        self.d.cli("workload", "submit", "free", "-p", "team-a", "--gpu-portion", "0.5",
                   "--no-enforce", "--", *ENV_CMD)
        self.submit("whole", "team-a", ENV_CMD, gpu=1)
        for name, reason in (("free", "--no-enforce"), ("whole", "whole GPUs")):
            env = env_of(self.d, name)
            self.assertNotIn("LD_PRELOAD", env, name)
            self.assertNotIn("ALLOT_TASK_LEDGER", env, name)
            w = self.d.workload(name)
            self.assertEqual(w["enforcement"]["active"], False)
            self.assertEqual(w["enforcement"]["reason"], reason)
            out = self.d.cli("workload", "describe", name, "-p", "team-a").stdout
            self.assertIn("off: " + reason, out)
        self.assertEqual(self.d.workload("free")["enforce"], False)
        self.d.stop()  # the opt-out is stored with the workload
        self.d.start()
        self.assertEqual(self.d.workload("free")["enforce"], False)
        self.assertEqual(self.d.workload("free")["enforcement"]["reason"], "--no-enforce")

    def test_the_segment_goes_when_the_task_ends_after_allotd_crashed(self):
        self.project("team-a")
        # where the task sees it (not the state dir: hidden from tasks)
        marker = "/dev/shm/allot-test-go-%d" % os.getpid()
        self.addCleanup(lambda: os.path.exists(marker) and os.unlink(marker))
        self.submit("long", "team-a", ["sh", "-c", "echo $ALLOT_TASK_LEDGER; "
                                                   ": > /dev/shm/allot-cuda-$ALLOT_TASK_LEDGER; "
                                                   "while [ ! -e %s ]; do sleep 0.1; done" % marker],
                    gpu_fraction=0.5)
        self.d.wait_state("long", "running")
        ledger = wait_until(lambda: self.d.request("GET", "/api/v1/workloads/long/logs")[1].strip(),
                            what="the ledger's name")
        segment = "/dev/shm/allot-cuda-" + ledger
        wait_until(lambda: os.path.exists(segment), what="the task's segment")
        self.d.proc.send_signal(signal.SIGKILL)
        self.d.wait_killed()
        open(marker, "w").close()  # the task ends while allotd is down
        wait_until(lambda: not os.path.exists(segment), what="the supervisor to remove it")
        os.unlink(marker)
        self.d.start()
        self.d.wait_state("long", "succeeded")

    def test_a_killed_supervisors_segment_goes_with_its_workload(self):
        self.project("team-a")
        self.submit("killed", "team-a", ["sh", "-c", "echo $ALLOT_TASK_LEDGER; "
                                                     ": > /dev/shm/allot-cuda-$ALLOT_TASK_LEDGER; "
                                                     "sleep 300"], gpu_fraction=0.5)
        w = self.d.wait_state("killed", "running")
        ledger = wait_until(lambda: self.d.request(
            "GET", "/api/v1/workloads/killed/logs")[1].strip(), what="the ledger's name")
        segment = "/dev/shm/allot-cuda-" + ledger
        wait_until(lambda: os.path.exists(segment), what="the task's segment")
        os.kill(w["tasks"][0]["pid"], signal.SIGKILL)  # the supervisor: it removes nothing
        self.d.wait_state("killed", "failed")
        self.assertTrue(os.path.exists(segment))
        status = self.d.request("DELETE", "/api/v1/workloads/killed")[0]
        self.assertIn(status, (200, 202, 204))
        wait_until(lambda: not os.path.exists(segment), what="the segment to go with it")


class DisabledTest(DaemonTest):
    gpus = "1xA100-80GiB"
    args = ("--cuda-library", LIBRARY, "--no-enforce")

    def test_allotd_no_enforce_leaves_portions_unwrapped(self):
        self.project("team-a")
        self.submit("half", "team-a", ENV_CMD, gpu_fraction=0.5)
        env = env_of(self.d, "half")
        self.assertNotIn("LD_PRELOAD", env)
        self.assertEqual(env.get("ALLOT_GPU_MEMORY_LIMIT_MIB"), "40960")  # still told
        self.assertEqual(self.d.workload("half")["enforcement"]["reason"], "allotd --no-enforce")
        out = self.d.cli("workload", "describe", "half", "-p", "team-a").stdout
        self.assertIn("off: allotd --no-enforce", out)


class MissingLibraryTest(DaemonTest):
    gpus = "1xA100-80GiB"
    args = ("--cuda-library", "/nonexistent/liballot-cuda.so")

    def test_tasks_run_and_say_why_not(self):
        self.project("team-a")
        self.submit("half", "team-a", ENV_CMD, gpu_fraction=0.5)
        env = env_of(self.d, "half")
        self.assertNotIn("LD_PRELOAD", env)
        reason = self.d.workload("half")["enforcement"]["reason"]
        self.assertIn("no liballot-cuda.so at /nonexistent/liballot-cuda.so", reason)
        self.assertEqual(self.d.log().count("GPU enforcement off"), 1)


if __name__ == "__main__":
    unittest.main()
