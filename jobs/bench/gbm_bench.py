#!/usr/bin/env python3
"""zoolens's gbm estimator next to scikit-learn's HistGradientBoostingRegressor, timed side by side
on the same zoo, feature set and folds (issue 12).

Reads the rows and folds zoolens used from REPORT_DIR/predictions.h5 (group FEATURES_gbm), computes
the feature set with numpy as jobs/bench/peer.py does (that module's code, imported), then fits
HistGradientBoostingRegressor per outer fold: scikit-learn's defaults (random_state 0; early
stopping on 10 % of the training rows above 10 000 of them) and the setting of
jobs/bench/sklearn_table.py (500 iterations, learning rate 0.05). Prints one markdown table of
seconds, R² and τ-b (the mean over the folds), zoolens's from report.json, and writes it to OUT.md.
Seconds are wall-clock and CPU (user + system, every thread or rank): on a machine others load
too, the CPU seconds still compare. CPU.txt holds zoolens's whole analyze (read and features
included), "USER SYSTEM" as /usr/bin/time -f "%U %S" writes it.

Usage: gbm_bench.py ZOO.h5 REPORT_DIR FEATURES OUT.md CPU.txt   (run by jobs/bench/gbm_bench.sh)
Threads: whatever OMP_NUM_THREADS says (gbm_bench.sh sets 2); set it before Python starts."""
import json
import os
import sys
import time

import peer  # jobs/bench/peer.py: the features and scores of the Python peer
import h5py
import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    zoo, rep_dir, feats, md, cpu_txt = sys.argv[1:]
    zl_cpu = sum(float(v) for v in open(cpu_txt).read().split()[-2:])
    rep = json.load(open(os.path.join(rep_dir, "report.json")))
    res = next(r for r in rep["results"] if r["features"] == feats and r["estimator"] == "gbm"
               and r["train"] == r["test"])
    with h5py.File(os.path.join(rep_dir, "predictions.h5"), "r") as p:
        rows, fold = peer.rows_folds(p[f"{feats}_gbm"])
    parts = feats.split("+")
    t0 = time.perf_counter()
    X, y, _ = peer.features(zoo, rows, [s for s in peer.SETS if s in parts])
    X = np.hstack([X[s] for s in parts])
    t_feat = time.perf_counter() - t0
    rows_out = []
    for name, kw in (("defaults", {}), ("500 iterations, rate 0.05", {"max_iter": 500,
                                                                      "learning_rate": 0.05})):
        p = np.empty_like(y)
        t0, c0 = time.perf_counter(), time.process_time()
        for k in range(int(fold.max()) + 1):
            m = HistGradientBoostingRegressor(random_state=0, **kw)
            p[fold == k] = m.fit(X[fold != k], y[fold != k]).predict(X[fold == k])
        rows_out.append((f"HistGradientBoostingRegressor ({name})", time.perf_counter() - t0,
                         time.process_time() - c0, *peer.scores(y, p, fold)))
    s = rep["run"]["seconds"]
    thr = os.environ.get("OMP_NUM_THREADS", "unset")
    head = (f"{rep['inputs'][0]['dataset']}/{rep['inputs'][0]['architecture']}: {len(y)} "
            f"networks, {feats} features ({X.shape[1]}), {int(fold.max()) + 1} folds (zoolens's); "
            f"zoolens gbm at {rep['run']['ranks']} ranks, scikit-learn "
            f"{__import__('sklearn').__version__} with OMP_NUM_THREADS={thr}; {os.cpu_count()} "
            f"cores, load average {os.getloadavg()[0]:.1f} at the end. Wall seconds: zoolens's "
            "solve phase (every inner and outer fit), scikit-learn's fits and predictions of the "
            "outer folds, features not included (zoolens's read + features "
            f"{s['read'] + s['features']:.2f} s, numpy's {t_feat:.2f} s). CPU seconds: zoolens's "
            "whole analyze, all ranks; scikit-learn's fits, all threads.")
    t = [("estimator", "wall s", "CPU s", "R²", "τ"),
         (f"zoolens gbm ({rep['run']['ranks']} ranks)", f"{s['solve']:.2f}", f"{zl_cpu:.2f}",
          f"{res['r2']:.4f}", f"{res['kendall_tau']:.4f}")]
    t += [(n, f"{sec:.2f}", f"{cpu:.2f}", f"{r2:.4f}", f"{tau:.4f}")
          for n, sec, cpu, r2, tau in rows_out]
    peer.write_table(head, t, md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
