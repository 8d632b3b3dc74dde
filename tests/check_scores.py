#!/usr/bin/env python3
"""Asserts on the scores of a report.json (standard library only).
Usage: check_scores.py REPORT.json margin FEATURES BETTER WORSE MIN  -- R2(BETTER) - R2(WORSE) >= MIN
       check_scores.py REPORT.json below MAX                           -- every cross-validated R2 <= MAX
"""
import json
import sys

rep = json.load(open(sys.argv[1]))
cv = [r for r in rep["results"] if r["train"] == r["test"]]
ok = True
if sys.argv[2] == "margin":
    feats, better, worse, need = sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6])
    r2 = {r["estimator"]: r["r2"] for r in cv if r["features"] == feats}
    print(f"{feats}: R2 {better} {r2[better]:.4f}, {worse} {r2[worse]:.4f} (need a margin of {need})")
    ok = r2[better] - r2[worse] >= need
else:
    top = float(sys.argv[3])
    for r in cv:
        print(f"{r['features']} {r['estimator']}: R2 {r['r2']:.4f} (at most {top})")
        ok &= r["r2"] <= top
print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
sys.exit(0 if ok else 1)
