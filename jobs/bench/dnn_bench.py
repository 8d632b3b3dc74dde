#!/usr/bin/env python3
"""zoolens's dnn estimator next to scikit-learn's MLPRegressor with the same hidden layers, on the
same W-stats and the same outer folds (read from predictions.h5): R2, Kendall tau and seconds.
Usage: dnn_bench.py ZOO.h5 REPORT_DIR --hidden 64,64 [--zoo I] [--require-within D]
REPORT_DIR is an analyze run with --features wstats --estimator dnn (its run.seconds.solve is
zoolens's time). MLPRegressor gets the features standardised on each outer training set, its
defaults (Adam at 1e-3, minibatches of 200, 200 epochs), once as they are and once with early
stopping on 10 % of the training set (as zoolens stops early on an inner fold). With
--require-within D it exits 1 unless zoolens's R2 is at least the better of the two - D; 77 without the Python packages (a test then skips).
Debian: python3-sklearn, python3-h5py."""
import argparse
import json
import sys
import time
import warnings

try:
    import h5py
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import StandardScaler
except ImportError as e:
    print(f"SKIP: {e}")
    sys.exit(77)
import peer  # jobs/bench/peer.py: the Python peer's W-stats and scores


ap = argparse.ArgumentParser()
ap.add_argument("zoo")
ap.add_argument("report")
ap.add_argument("--hidden", default="1000,1000")
ap.add_argument("--zoo-index", type=int, default=0)
ap.add_argument("--require-within", type=float)
a = ap.parse_args()
hidden = tuple(int(u) for u in a.hidden.split(","))
with h5py.File(a.zoo) as f, h5py.File(f"{a.report}/predictions.h5") as p:
    g = p[next(k for k in p if k.startswith("wstats_dnn") or k.startswith("wstats_"))]
    rows, fold, zp = peer.rows_folds(g, a.zoo_index, "predicted")
    X = peer.wstats(f["weights"][rows, :].astype(np.float64), peer.Layout(f))
    y = f["metrics/test_accuracy"][:][rows]
K = fold.max() + 1


def sklearn(early):
    pred = np.empty_like(y)
    t0 = time.perf_counter()
    for k in range(K):
        tr, te = fold != k, fold == k
        sc = StandardScaler().fit(X[tr])
        mlp = MLPRegressor(hidden_layer_sizes=hidden, early_stopping=early, random_state=k)
        pred[te] = mlp.fit(sc.transform(X[tr]), y[tr]).predict(sc.transform(X[te]))
    return peer.scores(y, pred, fold) + (time.perf_counter() - t0,)


warnings.simplefilter("ignore", ConvergenceWarning)
runs = {"early stopping": sklearn(True), "200 epochs": sklearn(False)}
rep = json.load(open(f"{a.report}/report.json"))
name = f"{rep['inputs'][a.zoo_index]['dataset']}/{rep['inputs'][a.zoo_index]['architecture']}"
zl = next(r for r in rep["results"] if r["train"] == r["test"] == name and r["features"] == "wstats"
          and r["estimator"] == "dnn")
zs = rep["run"]["seconds"]["solve"]
sk_r2 = max(r[0] for r in runs.values())
print(f"{name}: {len(y)} networks, {K} folds (zoolens's), W-stats, hidden layers {a.hidden}")
print(f"| estimator | R² | τ | seconds |\n|---|---|---|---|")
print(f"| zoolens dnn ({rep['run']['ranks']} ranks) | {zl['r2']:.4f} | {zl['kendall_tau']:.4f} | {zs:.1f} |")
for how, (r2, tau, sec) in runs.items():
    print(f"| scikit-learn MLPRegressor, {how} | {r2:.4f} | {tau:.4f} | {sec:.1f} |")
if a.require_within is not None:
    ok = zl["r2"] >= sk_r2 - a.require_within
    print(f"zoolens dnn R2 {zl['r2']:.4f} {'>=' if ok else '<'} MLPRegressor {sk_r2:.4f} - {a.require_within}")
    print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
    sys.exit(0 if ok else 1)
