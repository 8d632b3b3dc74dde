#!/usr/bin/env python3
"""W-stats against numpy (serial, 1 process): runs tests/ref_wstats_print and recomputes every
tensor's np.percentile([0, 25, 50, 75, 100]) (default 'linear'), np.std (ddof 0) or np.var
(ddof 1) and np.mean in float64, within 1e-12 relative to the tensor's magnitude.
Usage: ref_wstats.py PATH/TO/ref_wstats_print. Exits 77 (skip) when numpy is missing."""
import subprocess
import sys

try:
    import numpy as np
except ImportError as e:
    print(f"SKIP: numpy is not installed for {sys.executable} ({e})")
    sys.exit(77)

TOL = 1e-12
NAMES = ["p0", "p25", "p50", "p75", "p100", "spread", "mean"]


def reference(x, spread):
    with np.errstate(invalid="ignore", divide="ignore"):  # ddof=1 of one weight is NaN
        s = np.std(x) if spread == 0 else (np.var(x, ddof=1) if x.size > 1 else np.nan)
    return list(np.percentile(x, [0, 25, 50, 75, 100])) + [s, np.mean(x)]


def main():
    out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    passed = failed = 0
    worst = 0.0
    for line in out.splitlines():
        head, weights = line.split(":")
        fields = head.split()
        spread, n = int(fields[0]), int(fields[1])
        got = [float(v) for v in fields[2:]]
        # %.9g round-trips float32, so this recovers the exact weights zoolens saw.
        x = np.array([float(v) for v in weights.split()], dtype=np.float32).astype(np.float64)
        assert x.size == n, line[:80]
        scale = float(np.max(np.abs(x)))
        for name, g, r in zip(NAMES, got, reference(x, spread)):
            if np.isnan(r) or np.isnan(g):
                ok = np.isnan(r) and np.isnan(g)
            else:
                err = abs(g - r) / max(abs(r), scale, np.finfo(float).tiny)
                worst = max(worst, err)
                ok = err <= TOL
            if ok:
                passed += 1
            else:
                failed += 1
                print(f"spread {spread}, n {n}: {name} = {g!r}, numpy {r!r}", file=sys.stderr)
    print(f"numpy {np.__version__}: largest relative difference {worst:.3g}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
