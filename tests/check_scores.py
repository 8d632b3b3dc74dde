#!/usr/bin/env python3
"""Asserts on the scores of a report.json (standard library only).
Usage: check_scores.py REPORT.json margin FEATURES BETTER WORSE MIN  -- R2(BETTER) - R2(WORSE) >= MIN
       check_scores.py REPORT.json below MAX                           -- every cross-validated R2 <= MAX
       check_scores.py REPORT.md cells FEATURES,... ESTIMATORS,...     -- the main table has a row
                                                                          with a number per pair
"""
import json
import sys

if sys.argv[2] == "cells":
    lines = open(sys.argv[1]).read().splitlines()
    ok = True
    for fe in sys.argv[3].split(","):
        for es in sys.argv[4].split(","):
            row = [l for l in lines if l.startswith(f"| {fe} | {es} |")]
            cells = row[0].strip("|").split("|")[2:] if row else []
            good = bool(cells) and all("/" in c and c.split("/")[0].strip().lstrip("-").replace(".", "", 1).isdigit() for c in cells)
            print(f"{fe} {es}: {'|'.join(cells) if cells else 'no row'}")
            ok &= good
    print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
    sys.exit(0 if ok else 1)
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
