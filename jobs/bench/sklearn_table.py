#!/usr/bin/env python3
"""The independent scikit-learn side of the paper's table: ridge (RidgeCV-style inner CV over the
same lambda grid) and HistGradientBoosting on the same W-stats and the same folds zoolens used
(read from predictions.h5), printed next to zoolens's own R2 / tau from report.json.
Usage: sklearn_table.py ZOO.h5 REPORT_DIR [ZOO_INDEX [--require-EST-within D]...]
(Debian: python3-sklearn, python3-h5py). With --require-EST-within D (EST: rff, issue 5's target,
or gbm, zoolens's own boosted trees, issue 12; either or both) it exits 1 unless zoolens's W-stats
EST R2 is at least the boosted trees' R2 - D, and 77 without the Python packages (a test then
skips). The rows and folds come from any W-stats group of predictions.h5 (every estimator has the
same folds)."""
import json
import sys

try:
    import h5py
    import numpy as np
    from scipy.stats import kendalltau
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler
except ImportError as e:
    print(f"SKIP: {e}")
    sys.exit(77)

LAMBDAS = 10.0 ** (-6.0 + 0.5 * np.arange(19))


def wstats(w, layout):
    cols = []
    for off, size in layout:
        t = w[:, off:off + size].astype(np.float64)
        cols += [np.percentile(t, [0, 25, 50, 75, 100], axis=1).T, t.std(1)[:, None], t.mean(1)[:, None]]
    return np.hstack(cols)


def ridge(X, y, tr, te, lam):
    sc = StandardScaler().fit(X[tr])
    return Ridge(alpha=lam * tr.sum(), solver="cholesky").fit(sc.transform(X[tr]), y[tr]).predict(sc.transform(X[te]))


def scores(y, p, fold):
    r2, tau = [], []
    for k in range(fold.max() + 1):
        m = fold == k
        r2.append(1 - ((y[m] - p[m]) ** 2).sum() / ((y[m] - y[m].mean()) ** 2).sum())
        tau.append(kendalltau(y[m], p[m])[0])
    return np.mean(r2), np.mean(tau)


zoo, out = sys.argv[1], sys.argv[2]
zi = int(sys.argv[3]) if len(sys.argv) > 3 else 0
flags = {"--require-rff-within": "rff", "--require-gbm-within": "gbm"}
required = [(flags[sys.argv[i]], float(sys.argv[i + 1])) for i in range(4, len(sys.argv) - 1, 2)]
with h5py.File(zoo) as f, h5py.File(f"{out}/predictions.h5") as p:
    g = p[next(k for k in p if k.startswith("wstats_"))]
    sel = g["zoo"][:] == zi
    rows, fold = g["row"][:][sel], g["fold"][:][sel]
    o = np.argsort(rows)
    rows, fold = rows[o], fold[o]
    layout = [(int(r["offset"]), int(r["size"])) for r in f["layout"][:]]
    X, y = wstats(f["weights"][rows, :], layout), f["metrics/test_accuracy"][:][rows]
K = fold.max() + 1
pr, pg = np.empty_like(y), np.empty_like(y)
for k in range(K):
    sse = np.zeros(len(LAMBDAS))
    for v in range(K):
        if v != k:
            tr, va = (fold != k) & (fold != v), fold == v
            sse += [((ridge(X, y, tr, va, l) - y[va]) ** 2).sum() for l in LAMBDAS]
    best = len(LAMBDAS) - 1 - int(np.argmin(sse[::-1]))
    pr[fold == k] = ridge(X, y, fold != k, fold == k, LAMBDAS[best])
    gbm = HistGradientBoostingRegressor(max_iter=500, learning_rate=0.05, random_state=0)
    pg[fold == k] = gbm.fit(X[fold != k], y[fold != k]).predict(X[fold == k])
rep = json.load(open(f"{out}/report.json"))
name = f"{rep['inputs'][zi]['dataset']}/{rep['inputs'][zi]['architecture']}"
zl = {(r["features"], r["estimator"]): (r["r2"], r["kendall_tau"]) for r in rep["results"]
      if r["train"] == r["test"] == name}
print(f"{name}: {len(y)} networks, {K} folds (zoolens's), W-stats features")
print(f"  scikit-learn ridge              R2 {scores(y, pr, fold)[0]:.4f}  tau {scores(y, pr, fold)[1]:.4f}")
print(f"  scikit-learn HistGradientBoost  R2 {scores(y, pg, fold)[0]:.4f}  tau {scores(y, pg, fold)[1]:.4f}")
for (fe, es), (r2, tau) in zl.items():
    print(f"  zoolens {fe:>8} {es:<6}          R2 {r2:.4f}  tau {tau:.4f}")
if required:
    gbm, bad = scores(y, pg, fold)[0], 0
    for est, within in required:
        ours = zl[("wstats", est)][0]
        ok = ours >= gbm - within
        bad += not ok
        print(f"zoolens wstats {est} R2 {ours:.4f} {'>=' if ok else '<'} boosted trees {gbm:.4f} - {within}")
    print(f"{len(required) - bad} passed, {bad} failed")
    sys.exit(1 if bad else 0)
