#!/usr/bin/env python3
"""Checks the report of an analysis that degenerate input must not break (tests/baddata.cmake).

usage: baddata_report.py OUT_DIR ZOO.h5 [--dropped N | --dropped-from FILE]

Passes when report.json names ZOO.h5 with the expected count of rows dropped for non-finite
weights, every result used the rest, every R² (mean and per fold) is a number, and each
result's held-out targets in predictions.h5 are /metrics/test_accuracy of the rows used, as
zoolens read them (so an integer column is read as its values). Exits 77 without h5py.
"""
import json
import math
import sys

try:
    import h5py
    import numpy as np
except ImportError:
    print("baddata_report: h5py or numpy missing: skipped")
    sys.exit(77)

out, zoo = sys.argv[1:3]
dropped = 0
if len(sys.argv) == 5 and sys.argv[3] == "--dropped":
    dropped = int(sys.argv[4])
elif len(sys.argv) == 5 and sys.argv[3] == "--dropped-from":
    dropped = int(open(sys.argv[4]).read())
elif len(sys.argv) != 3:
    sys.exit(__doc__)

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


report = json.load(open(out + "/report.json"))
inputs = report["inputs"]
check(len(inputs) == 1 and inputs[0]["path"].endswith(zoo.split("/")[-1]), "inputs: %s" % inputs)
rows = inputs[0]["networks"]
check(inputs[0]["dropped_nonfinite"] == dropped,
      "dropped_nonfinite %s, expected %d" % (inputs[0]["dropped_nonfinite"], dropped))
with h5py.File(zoo, "r") as f:
    acc = f["metrics/test_accuracy"][...].astype(np.float64)
with h5py.File(out + "/predictions.h5", "r") as p:
    for r in report["results"]:
        name = "%s %s" % (r["features"], r["estimator"])
        check(r["networks"] == rows - dropped,
              "%s: %s networks, expected %d" % (name, r["networks"], rows - dropped))
        r2 = [r["r2"]] + [f["r2"] for f in r["per_fold"]]
        check(all(isinstance(v, float) and math.isfinite(v) for v in r2), "%s: R² %s" % (name, r2))
        g = p["%s_%s" % (r["features"], r["estimator"])]
        true, row = g["true"][...], g["row"][...]
        check(len(true) == rows - dropped and np.array_equal(true, acc[row]),
              "%s: held-out targets are not /metrics/test_accuracy" % name)
for f in failures:
    print("baddata_report: " + f)
print("baddata_report: %s" % ("FAILED" if failures else "ok"))
sys.exit(1 if failures else 0)
