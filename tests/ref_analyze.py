#!/usr/bin/env python3
"""Independent re-computation of `zoolens analyze` (W-stats + grouped-CV ridge) with numpy and
scikit-learn: reads the zoo with h5py, takes the rows and folds zoolens used from predictions.h5,
recomputes the features, the inner-CV choice of lambda and the held-out predictions, and checks
the predictions and per-fold R^2 / Kendall tau-b against zoolens's outputs.
Usage: ref_analyze.py ZOO.h5 REPORT_DIR [ZOO_INDEX]. Exits 77 (skip) when numpy, h5py, scipy or
scikit-learn is missing."""
import json
import sys

try:
    import h5py
    import numpy as np
    from scipy.stats import kendalltau
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler
except ImportError as e:  # the cross-check needs Debian's python3-sklearn, -h5py
    print(f"SKIP: {e}")
    sys.exit(77)

LAMBDAS = 10.0 ** (-6.0 + 0.5 * np.arange(19))


def wstats(w, layout):
    cols = []
    for off, size in layout:
        t = w[:, off:off + size].astype(np.float64)
        cols.append(np.percentile(t, [0, 25, 50, 75, 100], axis=1).T)
        cols.append(t.std(axis=1)[:, None])
        cols.append(t.mean(axis=1)[:, None])
    return np.hstack(cols)


def fit_predict(X, y, tr, te, lam):
    sc = StandardScaler().fit(X[tr])
    m = Ridge(alpha=lam * tr.sum(), solver="cholesky").fit(sc.transform(X[tr]), y[tr])
    return m.predict(sc.transform(X[te]))


def main():
    zoo_path, out_dir = sys.argv[1], sys.argv[2]
    zi = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    with h5py.File(zoo_path, "r") as f:
        layout = [(int(r["offset"]), int(r["size"])) for r in f["layout"][:]]
        acc = f["metrics/test_accuracy"][:]
        with h5py.File(f"{out_dir}/predictions.h5", "r") as p:
            g = p["wstats_ridge"]
            sel = g["zoo"][:] == zi
            rows, fold, pred = g["row"][:][sel], g["fold"][:][sel], g["predicted"][:][sel]
        w = f["weights"][np.sort(rows), :]
    order = np.argsort(rows)
    rows, fold, pred = rows[order], fold[order], pred[order]
    X, y = wstats(w, layout), acc[rows]
    K = int(fold.max()) + 1
    ref = np.empty_like(y)
    for k in range(K):
        sse = np.zeros(len(LAMBDAS))
        for v in range(K):
            if v == k:
                continue
            tr, va = (fold != k) & (fold != v), fold == v
            for i, lam in enumerate(LAMBDAS):
                sse[i] += ((fit_predict(X, y, tr, va, lam) - y[va]) ** 2).sum()
        best = len(LAMBDAS) - 1 - int(np.argmin(sse[::-1]))  # ties: the larger lambda
        ref[fold == k] = fit_predict(X, y, fold != k, fold == k, LAMBDAS[best])
    rep = json.load(open(f"{out_dir}/report.json"))
    res = [r for r in rep["results"] if r["features"] == "wstats" and r["estimator"] == "ridge"][zi]
    ok = True
    diff = np.abs(ref - pred).max()
    print(f"max |prediction difference| = {diff:.3g}")
    ok &= diff < 1e-6
    r2s, taus = [], []
    for k in range(K):
        m = fold == k
        r2s.append(1 - ((y[m] - ref[m]) ** 2).sum() / ((y[m] - y[m].mean()) ** 2).sum())
        taus.append(kendalltau(y[m], ref[m])[0])
    r2, tau = float(np.mean(r2s)), float(np.mean(taus))
    print(f"scikit-learn: R2 {r2:.6f} tau {tau:.6f}; zoolens: R2 {res['r2']:.6f} "
          f"tau {res['kendall_tau']:.6f}")
    ok &= abs(r2 - res["r2"]) < 1e-6 and abs(tau - res["kendall_tau"]) < 1e-6
    print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
    sys.exit(0 if ok else 1)


main()
