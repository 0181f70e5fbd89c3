"""test_sim.py - `allot sim openb` on its own (no allotd): the small lists in tests/data/openb,
the --json keys, the --csv header, --seeds medians, identical output for one seed, several
policies compared with an SVG plot, and usage errors that name the flag."""
import json
import os
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

from harness import ALLOT

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "openb")
NODES = os.path.join(DATA, "nodes.csv")
PODS = os.path.join(DATA, "pods.csv")


def sim(*args):
    return subprocess.run([ALLOT, "sim", "openb", *args], capture_output=True, text=True,
                          timeout=60)


class SimOpenbTest(unittest.TestCase):
    def test_json_has_the_final_rates_and_the_series(self):
        r = sim("--nodes", NODES, "--pods", PODS, "--policy", "fgd", "--seed", "7", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        for key in ("final_allocation_rate", "final_fragmentation_rate", "policy", "seed",
                    "inflate", "placements", "failed", "arrived_pct", "allocation_pct",
                    "fragmentation_pct", "fragmentation_of_idle_pct"):
            self.assertIn(key, doc)
        self.assertEqual(doc["policy"], "fgd")
        self.assertEqual(doc["seed"], 7)
        self.assertEqual(doc["inflate"], 1.3)
        self.assertEqual(len(doc["arrived_pct"]), len(doc["allocation_pct"]))
        self.assertTrue(0 < doc["final_allocation_rate"] <= 100)
        self.assertEqual(doc["placements"] + doc["failed"], doc["pods"])

    def test_default_policy_is_allot_and_one_seed_repeats_byte_for_byte(self):
        a = sim("--nodes", NODES, "--pods", PODS, "--json")
        b = sim("--nodes", NODES, "--pods", PODS, "--json")
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)
        self.assertEqual(json.loads(a.stdout)["policy"], "allot")
        table = sim("--nodes", NODES, "--pods", PODS)
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertIn("ARRIVED%", table.stdout)
        self.assertIn("final", table.stdout)

    def test_csv_has_one_row_per_arrived_percent(self):
        r = sim("--nodes", NODES, "--pods", PODS, "--policy", "bestfit", "--csv")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0],
                         "arrived_pct,allocation_pct,fragmentation_pct,fragmentation_of_idle_pct")
        levels = [int(line.split(",")[0]) for line in lines[1:]]
        self.assertEqual(levels, sorted(set(levels)))
        self.assertEqual(levels[0], 0)

    def test_seeds_print_each_and_the_median(self):
        r = sim("--nodes", NODES, "--pods", PODS, "--seeds", "1-3", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual([run["seed"] for run in doc["runs"]], [1, 2, 3])
        finals = sorted(run["final_allocation_rate"] for run in doc["runs"])
        self.assertAlmostEqual(doc["median_final_allocation_rate"], finals[1], places=2)

    def test_policies_compared_in_tables_and_a_plot(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "openb.svg")
            r = sim("--nodes", NODES, "--pods", PODS, "--policy", "allot,binpack,fgd",
                    "--plot", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            for policy in ("allot", "binpack", "fgd"):
                self.assertIn("policy %s," % policy, r.stdout)
            svg = ET.parse(path).getroot()  # well-formed XML
            ns = "{http://www.w3.org/2000/svg}"
            lines = svg.iter(ns + "polyline")
            self.assertEqual(len(list(lines)), 6)  # allocated and fragmented per policy
            texts = [t.text for t in svg.iter(ns + "text")]
            self.assertIn("allot: allocated", texts)
            self.assertIn("fgd: fragmented", texts)
            bad = sim("--nodes", NODES, "--pods", PODS, "--plot", "/nonexistent/x.svg")
            self.assertEqual(bad.returncode, 1)
            self.assertIn("/nonexistent/x.svg", bad.stderr)

    def test_bad_flags_and_files_are_named(self):
        cases = [
            (("--pods", PODS), "--nodes"),
            (("--nodes", NODES), "--pods"),
            (("--nodes", NODES, "--pods", PODS, "--policy", "worstfit"), "--policy"),
            (("--nodes", NODES, "--pods", PODS, "--inflate", "x"), "--inflate"),
            (("--nodes", NODES, "--pods", PODS, "--seed", "-1"), "--seed"),
            (("--nodes", NODES, "--pods", PODS, "--seeds", "9-3"), "--seeds"),
            (("--nodes", NODES, "--pods", PODS, "--json", "--csv"), "--csv"),
            (("--nodes", NODES, "--pods", PODS, "--frobnicate"), "--frobnicate"),
            (("--nodes", NODES, "--pods", PODS, "--policy", "allot,,fgd"), "--policy"),
            (("--nodes", NODES, "--pods", PODS, "--policy", "allot,fgd", "--json"), "--json"),
            (("--nodes", NODES, "--pods", PODS, "--seeds", "1-2", "--plot", "x.svg"), "--plot"),
        ]
        for args, named in cases:
            r = sim(*args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertIn(named, r.stderr, args)
        missing = sim("--nodes", NODES, "--pods", "/nonexistent/pods.csv")
        self.assertEqual(missing.returncode, 1)
        self.assertIn("/nonexistent/pods.csv", missing.stderr)


if __name__ == "__main__":
    unittest.main()
