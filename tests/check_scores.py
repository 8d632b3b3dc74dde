#!/usr/bin/env python3
"""Asserts on the scores of a report.json (standard library only).
Usage: check_scores.py REPORT.json margin FEATURES BETTER WORSE MIN  -- R2(BETTER) - R2(WORSE) >= MIN
       check_scores.py REPORT.json below MAX                           -- every cross-validated R2 <= MAX
       check_scores.py REPORT.md cells FEATURES,... ESTIMATORS,...     -- the main table has a row
                                                                          with a number per pair
       check_scores.py REPORT.json chosen ESTIMATOR KEY,... [NULL,...] -- every result of ESTIMATOR,
                                    and each of its folds, gives each KEY as a positive integer (what
                                    it chose) and each NULL as null (what it does not have)
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
if sys.argv[2] == "chosen":
    keys, nulls = sys.argv[4].split(","), sys.argv[5].split(",") if len(sys.argv) > 5 else []
    mine = [r for r in rep["results"] if r["estimator"] == sys.argv[3]]
    ok = bool(mine)
    for r in mine:
        # A cross-validated result's choices are per fold; a transfer result's (no folds) its own.
        for f in r["per_fold"] or [r]:
            got = {k: f.get(k) for k in keys + nulls}
            print(f"{r['train']} -> {r['test']} {r['features']} fold {f.get('fold', '-')}: {got}")
            ok &= all(type(f.get(k)) is int and f[k] > 0 for k in keys)
            ok &= all(k in f and f[k] is None for k in nulls)
elif sys.argv[2] == "margin":
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
