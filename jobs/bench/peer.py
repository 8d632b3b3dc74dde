#!/usr/bin/env python3
"""The Python peer of `zoolens analyze`: what a user would otherwise run, timed side by side.

Reads the same zoo with h5py in blocks, computes zoolens's feature sets with numpy vectorised over
networks (the same definitions as tests/ref_features.py and mpi/features.c), then per feature set
and outer fold fits StandardScaler + RidgeCV (zoolens's per-row lambda grid times n_train, efficient
leave-one-out) and HistGradientBoostingRegressor (default settings, random_state 0), on the rows
and folds zoolens used (from REPORT_DIR/predictions.h5). Prints one markdown table, zoolens's
seconds per phase and scores (REPORT_DIR/report.json) next to the peer's, and writes it to OUT.md.

Usage: peer.py ZOO.h5 REPORT_DIR OUT.md     (run by jobs/bench/scale_bench.sh)
       peer.py --check                       (exits 1 with a message if a package is missing)
Threads: whatever OMP_NUM_THREADS says (scale_bench.sh sets 2); set it before Python starts."""
import json
import os
import sys
import time

T_START = time.perf_counter()
try:
    import h5py
    import numpy as np
    from scipy.stats import kendalltau
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
except ImportError as e:
    print(f"peer.py: {e} for {sys.executable}: install python3-numpy python3-scipy python3-sklearn "
          "python3-h5py (Debian)", file=sys.stderr)
    sys.exit(1)

LAMBDAS = 10.0 ** (-6.0 + 0.5 * np.arange(19))  # zoolens's per-row lambda grid
Q = [0, 25, 50, 75, 100]
BLOCK = 2048  # rows of the file read at a time
SETS = ["wstats", "hparams", "spectral", "pooled"]
BOOKKEEPING = {"random_seed", "dataset", "dnn_architecture", "epochs", "epochs_between_checkpoints"}
COND_FLOOR = 1e-30


def rows_folds(group, zoo_index=0, *more):
    """Zoo zoo_index's rows in a predictions.h5 result group, ascending, with their folds (int64)
    and the further columns named in more, in the same order."""
    sel = group["zoo"][:] == zoo_index
    o = np.argsort(group["row"][:][sel])
    rows, fold = (group[c][:][sel][o].astype(np.int64) for c in ("row", "fold"))
    return (rows, fold) + tuple(group[c][:][sel][o] for c in more)


def wstats_cols(t):
    """W-stats of each row of t (networks x values): percentiles, population std, mean."""
    return [np.percentile(t, Q, axis=1).T, t.std(1)[:, None], t.mean(1)[:, None]]


class Layout:
    def __init__(self, f):
        lay = f["layout"][:]
        self.tensors = [(int(r["offset"]), int(r["size"]), r["shape"].decode(), int(r["kind"]) == 0)
                        for r in lay]
        self.kernels = [(o, n, tuple(int(d) for d in s.strip("()").split(",") if d.strip()))
                        for o, n, s, k in self.tensors if k]
        if not self.kernels:
            sys.exit("peer.py: /layout has no kernel tensor")
        self.kernel_idx = np.concatenate([np.arange(o, o + n) for o, n, _, k in self.tensors if k])
        self.bias_idx = np.concatenate([np.arange(o, o + n) for o, n, _, k in self.tensors if not k])


def wstats(w, L):
    cols = []
    for o, n, _, _ in L.tensors:
        cols += wstats_cols(w[:, o:o + n])
    return np.hstack(cols)


def spectral(w, L):
    cols = []
    for o, n, shape in L.kernels:
        m = w[:, o:o + n].reshape(len(w), -1, shape[-1])
        s = np.linalg.svd(m, compute_uv=False)  # batched over networks, descending
        fro2 = (m * m).sum(axis=(1, 2))
        s1, nuc = s[:, 0], s.sum(1)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = s / nuc[:, None]
            h = -np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0).sum(1)
            zero = s1 == 0  # a zero kernel: stable rank, log cond, effective rank 0
            stable = np.where(zero, 0.0, fro2 / (s1 * s1))
            logc = np.where(zero, 0.0, np.log(s1 / np.maximum(s[:, -1], COND_FLOOR * s1)))
            eff = np.where(zero, 0.0, np.exp(h))
        cols.append(np.stack([s1, np.sqrt(fro2), stable, nuc, logc, eff], axis=1))
    return np.hstack(cols)


def pooled(w, L):
    (fo, fn, _), (lo, ln, _) = L.kernels[0], L.kernels[-1]
    cols = wstats_cols(w[:, fo:fo + fn]) + wstats_cols(w[:, lo:lo + ln])
    cols += wstats_cols(w[:, L.kernel_idx]) + wstats_cols(w[:, L.bias_idx])
    return np.hstack(cols)


def hparams(f, rows):
    """As mpi/features.c: hparams in name order, minus bookkeeping and constant ones; categorical
    ones one-hot over all their labels; numeric ones log10 when positive and spanning a decade,
    missing values filled with the mean in the feature's scale."""
    cols = []
    for name in sorted(f["hparams"]):
        if name in BOOKKEEPING:
            continue
        d = f["hparams"][name]
        v = d[:][rows]
        if "labels" in d.attrs:
            nl = len(d.attrs["labels"])
            ok = (v >= 0) & (v < nl)
            if len(np.unique(v[ok])) > 1:
                oh = np.zeros((len(v), nl))
                oh[np.nonzero(ok)[0], v[ok]] = 1.0
                cols.append(oh)
            continue
        fin = np.isfinite(v)
        if not fin.any() or v[fin].max() <= v[fin].min():
            continue
        lo, hi = v[fin].min(), v[fin].max()
        x = np.log10(np.where(fin, v, 1.0)) if lo > 0 and hi >= 10 * lo else v.astype(np.float64)
        x = np.where(fin, x, x[fin].mean())
        cols.append(x[:, None])
    if not cols:
        sys.exit("peer.py: no hyperparameter varies across the networks")
    return np.hstack(cols)


def features(zoo, rows, wanted):
    """The wanted feature sets for the (sorted) rows, and seconds per phase."""
    t = {"read": 0.0, **{s: 0.0 for s in wanted}}
    out = {s: [] for s in wanted if s != "hparams"}
    with h5py.File(zoo, "r") as f:
        L = Layout(f)
        ds = f["weights"]
        for lo in range(0, ds.shape[0], BLOCK):
            a, b = np.searchsorted(rows, [lo, lo + BLOCK])
            if a == b:
                continue
            t0 = time.perf_counter()
            w = ds[lo:min(lo + BLOCK, ds.shape[0])]
            w = w[rows[a:b] - lo].astype(np.float64)
            t["read"] += time.perf_counter() - t0
            for s, fn in (("wstats", wstats), ("spectral", spectral), ("pooled", pooled)):
                if s in out:
                    t0 = time.perf_counter()
                    out[s].append(fn(w, L))
                    t[s] += time.perf_counter() - t0
        X = {s: np.vstack(v) for s, v in out.items()}
        if "hparams" in wanted:
            t0 = time.perf_counter()
            X["hparams"] = hparams(f, rows)
            t["hparams"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        y = f["metrics/test_accuracy"][:][rows]
        t["read"] += time.perf_counter() - t0
    return X, y, t


def scores(y, p, fold):
    r2, tau = [], []
    for k in range(fold.max() + 1):
        m = fold == k
        r2.append(1 - ((y[m] - p[m]) ** 2).sum() / ((y[m] - y[m].mean()) ** 2).sum())
        tau.append(kendalltau(y[m], p[m])[0])  # tau-b
    return float(np.mean(r2)), float(np.mean(tau))


def write_table(head, t, md):
    """Prints head and the rows t (strings; the first row the header) as a markdown table, the first
    column left-aligned and the others right-aligned, and writes the same text to the file md."""
    wid = [max(len(r[i]) for r in t) for i in range(len(t[0]))]
    lines = [f"| {r[0]:<{wid[0]}} | " + " | ".join(f"{c:>{w}}" for c, w in zip(r[1:], wid[1:])) +
             " |" for r in t]
    lines.insert(1, f"|{'-' * (wid[0] + 2)}|" + "|".join("-" * (w + 1) + ":" for w in wid[1:]) + "|")
    text = head + "\n\n" + "\n".join(lines) + "\n"
    print(text, end="")
    with open(md, "w") as fh:
        fh.write(text)


def main():
    if sys.argv[1:] == ["--check"]:
        return 0
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    zoo, rep_dir, md = sys.argv[1:]
    rep = json.load(open(os.path.join(rep_dir, "report.json")))
    if len(rep["inputs"]) != 1:
        sys.exit("peer.py: the report must be of one zoo file")
    name = f"{rep['inputs'][0]['dataset']}/{rep['inputs'][0]['architecture']}"
    results = [r for r in rep["results"] if r["train"] == r["test"] == name]
    combos = list(dict.fromkeys(r["features"] for r in results))
    wanted = [s for s in SETS if any(s in c.split("+") for c in combos)]
    bad = [p for c in combos for p in c.split("+") if p not in SETS]
    if bad:
        sys.exit(f"peer.py: feature set {bad[0]} has no peer here")

    with h5py.File(os.path.join(rep_dir, "predictions.h5"), "r") as p:
        rows, fold = rows_folds(p[f"{combos[0]}_{results[0]['estimator']}"])
    K = int(fold.max()) + 1

    X, y, tf = features(zoo, rows, wanted)
    t_ridge = t_hgb = 0.0
    peer = {}
    for c in combos:
        Xc = np.hstack([X[s] for s in c.split("+")])
        pr, pg = np.empty_like(y), np.empty_like(y)
        for k in range(K):
            tr, te = fold != k, fold == k
            t0 = time.perf_counter()
            m = make_pipeline(StandardScaler(), RidgeCV(alphas=LAMBDAS * tr.sum()))
            pr[te] = m.fit(Xc[tr], y[tr]).predict(Xc[te])
            t1 = time.perf_counter()
            hgb = HistGradientBoostingRegressor(random_state=0)
            pg[te] = hgb.fit(Xc[tr], y[tr]).predict(Xc[te])
            t_ridge += t1 - t0
            t_hgb += time.perf_counter() - t1
        peer[(c, "ridge")], peer[(c, "rff")] = scores(y, pr, fold), scores(y, pg, fold)
    peer_total = time.perf_counter() - T_START
    peer_rf = tf["read"] + sum(tf[s] for s in wanted)

    s = rep["run"]["seconds"]
    zl_rf = s["read"] + s["features"]
    zl_other = s["total"] - s["checksum"] - zl_rf - s["solve"]
    ranks = rep["run"].get("ranks", "?")
    thr = os.environ.get("OMP_NUM_THREADS", "unset")
    blas = ""
    try:
        from threadpoolctl import threadpool_info
        b = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if b:
            blas = (f"; numpy's BLAS: {b[0].get('internal_api')} {b[0].get('version')} "
                    f"({b[0].get('architecture')} kernel, {b[0].get('num_threads')} threads)")
    except ImportError:
        pass

    def sec(v):
        return f"{v:.2f}"

    zl = {(r["features"], r["estimator"]): (r["r2"], r["kendall_tau"]) for r in results}
    head = (f"{name}: {len(y)} networks, {K} folds (zoolens's, from predictions.h5), "
            f"zoolens at {ranks} ranks, peer with OMP_NUM_THREADS={thr}{blas}; "
            f"numpy {np.__version__}, scikit-learn {__import__('sklearn').__version__}; "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end; both read "
            "the file from the page cache.")
    t = [("seconds", f"zoolens ({ranks} ranks)", f"peer (numpy + scikit-learn, {thr} threads)"),
         ("checksum (digest of the input)", sec(s["checksum"]), "—"),
         ("read + features", sec(zl_rf), sec(peer_rf)),
         ("· read weights (h5py in blocks of %d rows for the peer)" % BLOCK, sec(s["read"]),
          sec(tf["read"])),
         ("· features, all sets", sec(s["features"]), sec(peer_rf - tf["read"]))]
    t += [(f"·· {w}" + (" (its read included)" if w == "hparams" else ""), "—", sec(tf[w]))
          for w in wanted]
    t += [("estimators", sec(s["solve"]), sec(t_ridge + t_hgb)),
          ("· ridge / StandardScaler + RidgeCV (LOO)", "—", sec(t_ridge)),
          ("· rff / HistGradientBoostingRegressor (defaults)", "—", sec(t_hgb)),
          ("other (zoolens: partition, scoring, report; peer: imports, folds, scoring)",
           sec(zl_other), sec(peer_total - peer_rf - t_ridge - t_hgb)),
          ("**total**", f"**{sec(s['total'])}**", f"**{sec(peer_total)}**"),
          ("**peer / zoolens total**", "", f"**{peer_total / s['total']:.2g}×**")]
    for c in combos:
        for est, other in (("ridge", "RidgeCV"), ("rff", "HistGradientBoosting")):
            if (c, est) in zl:
                a, b = zl[(c, est)], peer[(c, est)]
                t.append((f"R² / τ {c}: zoolens {est} vs {other}", f"{a[0]:.4f} / {a[1]:.4f}",
                          f"{b[0]:.4f} / {b[1]:.4f}"))
    write_table(head, t, md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
