#!/usr/bin/env python3
"""Spectral and pooled features against numpy (serial, 1 process): runs tests/ref_features_print
and recomputes, from the printed layout and weights alone, each kernel's singular values
(np.linalg.svd of the tensor reshaped to (prod(shape[:-1]), shape[-1])) and features, and the
W-stats (np.percentile 'linear', np.std / np.var(ddof=1), np.mean) of the first kernel, the last
kernel, all kernels and all biases, within 1e-10 relative.
Usage: ref_features.py PATH/TO/ref_features_print. Exits 77 (skip) when numpy is missing."""
import ast
import subprocess
import sys

try:
    import numpy as np
except ImportError as e:
    print(f"SKIP: numpy is not installed for {sys.executable} ({e})")
    sys.exit(77)

TOL = 1e-10
SPECTRAL = ["spectral_norm", "frobenius", "stable_rank", "nuclear", "log_cond", "effective_rank"]
POOLS = ["first_kernel", "last_kernel", "kernels", "biases"]
STATS = ["p0", "p25", "p50", "p75", "p100", "spread", "mean"]


def spectral(w, shape):
    m = w.reshape(shape).reshape(-1, shape[-1])
    s = np.linalg.svd(m, compute_uv=False)
    p = s / s.sum()
    p = p[p > 0]
    return [s[0], np.linalg.norm(m), np.linalg.norm(m) ** 2 / s[0] ** 2, s.sum(),
            np.log(s[0] / max(s[-1], 1e-30 * s[0])), np.exp(-(p * np.log(p)).sum())]


def wstats(x, spread):
    s = np.std(x) if spread == 0 else np.var(x, ddof=1)
    return list(np.percentile(x, [0, 25, 50, 75, 100])) + [s, np.mean(x)]


class Checker:
    def __init__(self):
        self.passed = self.failed = 0
        self.worst = 0.0

    def close(self, what, got, ref, scale):
        err = abs(got - ref) / max(abs(ref), scale, np.finfo(float).tiny)
        self.worst = max(self.worst, err)
        if err <= TOL:
            self.passed += 1
        else:
            self.failed += 1
            print(f"{what} = {got!r}, numpy {ref!r}", file=sys.stderr)


def check_row(c, name, tensors, spread, w, got_s, got_p):
    kernels = [(o, n, sh) for k, o, n, sh in tensors if k]
    ref = [v for o, n, sh in kernels for v in spectral(w[o:o + n], sh)]
    assert len(ref) == len(got_s), f"{name}: {len(got_s)} spectral features, expected {len(ref)}"
    for j, (g, r) in enumerate(zip(got_s, ref)):
        # The log condition number of a well-conditioned kernel is near 0: absolute below 1.
        c.close(f"{name} kernel {j // 6} {SPECTRAL[j % 6]}", g, r, 1.0 if j % 6 == 4 else 0.0)
    first, last = kernels[0], kernels[-1]
    pools = [w[first[0]:first[0] + first[1]], w[last[0]:last[0] + last[1]],
             np.concatenate([w[o:o + n] for k, o, n, sh in tensors if k]),
             np.concatenate([w[o:o + n] for k, o, n, sh in tensors if not k])]
    assert len(got_p) == 28, f"{name}: {len(got_p)} pooled features"
    for g_i, x in enumerate(pools):
        for j, r in enumerate(wstats(x, spread)):
            c.close(f"{name} spread {spread} {POOLS[g_i]} {STATS[j]}", got_p[7 * g_i + j], r,
                    float(np.max(np.abs(x))))


def main():
    out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    c = Checker()
    name, tensors, spread, w, got_s = None, [], 0, None, None
    for line in out.splitlines():
        tag, rest = line[0], line[2:]
        if tag == "L":
            name, tensors = rest, []
        elif tag == "T":
            k, o, n, shape = rest.split(" ", 3)
            shape = ast.literal_eval(shape)
            assert int(n) == int(np.prod(shape)), line
            tensors.append((int(k), int(o), int(n), shape))
        elif tag == "R":
            head, weights = rest.split(":")
            spread = int(head)
            # %.9g round-trips float32, so this recovers the exact weights zoolens saw.
            w = np.array(weights.split(), dtype=np.float32).astype(np.float64)
        elif tag == "S":
            got_s = [float(v) for v in rest.split()]
        elif tag == "P":
            check_row(c, name, tensors, spread, w, got_s, [float(v) for v in rest.split()])
    print(f"numpy {np.__version__}: largest relative difference {c.worst:.3g}")
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed or not c.passed else 0


if __name__ == "__main__":
    sys.exit(main())
