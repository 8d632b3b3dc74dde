#!/usr/bin/env python3
"""Transfer from zoo A to an identical copy B equals the in-sample ridge fit on A: recomputes the
W-stats of A with numpy, fits scikit-learn's Ridge at the lambda zoolens chose (alpha = lambda * n on
standardised features) on every row of A, and checks R2 and tau of that in-sample fit against the
A -> B transfer result. Usage: ref_transfer.py A.h5 REPORT_DIR. Exits 77 without numpy/h5py/sklearn."""
import json
import sys

try:
    import h5py
    import numpy as np
    from scipy.stats import kendalltau
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler
except ImportError as e:
    print(f"SKIP: {e}")
    sys.exit(77)

with h5py.File(sys.argv[1], "r") as f:
    lay = [(int(r["offset"]), int(r["size"])) for r in f["layout"][:]]
    w = f["weights"][:].astype(np.float64)
    y = f["metrics/test_accuracy"][:]
cols = []
for o, sz in lay:
    t = w[:, o:o + sz]
    cols += [np.percentile(t, [0, 25, 50, 75, 100], axis=1).T, t.std(1)[:, None], t.mean(1)[:, None]]
X = np.hstack(cols)
rep = json.load(open(f"{sys.argv[2]}/report.json"))
res = [r for r in rep["results"] if r["train"] != r["test"] and r["estimator"] == "ridge"
       and r["features"] == "wstats"][0]
sc = StandardScaler().fit(X)
p = Ridge(alpha=res["lambda"] * len(y), solver="cholesky").fit(sc.transform(X), y).predict(sc.transform(X))
r2 = 1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum()
tau = kendalltau(y, p)[0]
print(f"in-sample (scikit-learn): R2 {r2:.8f} tau {tau:.8f}; transfer {res['train']} -> {res['test']}: "
      f"R2 {res['r2']:.8f} tau {res['kendall_tau']:.8f}")
ok = abs(r2 - res["r2"]) < 1e-8 and abs(tau - res["kendall_tau"]) < 1e-8
print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
sys.exit(0 if ok else 1)
