#!/usr/bin/env bash
# W-stats feature extraction, zoolens vs numpy, side by side in one run on the same zoo file:
# zoolens analyze (1 rank, read + W-stats seconds from report.json) against numpy's
# np.percentile/std/mean per tensor vectorised over networks (h5py read included).
# Usage: jobs/bench/wstats_bench.sh [N] [WORKDIR] [RUNS]
#   (default 20000 networks, a temporary directory, 1 run). With RUNS > 1 zoolens runs RUNS times
#   and the minimum and median of its W-stats time per network are printed: a shared machine's
#   speed varies from one minute to the next. ZOOLENS_BASE=<another zoolens> alternates the two
#   binaries run by run, prints both and the ratio of the medians, and checks that their reports
#   are the same to the bit (zoolens compare --tolerance 0).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-20000}
work=${2:-$(mktemp -d)}
runs=${3:-1}
mkdir -p "$work"
zoolens=${ZOOLENS:-$here/build/jobs/zoolens}
# Installed (PREFIX/share/zoolens/bench) there is no build tree: use zoolens on PATH (module load).
[ -n "${ZOOLENS:-}" ] || [ -x "$zoolens" ] || zoolens=$(command -v zoolens) || { echo "$0: no zoolens: set ZOOLENS" >&2; exit 2; }
launch=${ZL_MPIEXEC:-mpirun --oversubscribe $([ "$(id -u)" -ne 0 ] || echo --allow-run-as-root)}
echo "OpenBLAS: $("$zoolens" --version | grep BLAS)"
$launch -n 1 "$zoolens" synth --networks "$n" --out "$work/w.h5" >/dev/null
cat "$work/w.h5" >/dev/null # both read from the page cache
# One analyze of binary $2 into $work/$1, its W-stats µs per network appended to $work/$1.us.
run() {
  $launch -n 1 "$2" analyze "$work/w.h5" --out "$work/$1" --features wstats --estimator ridge \
    >/dev/null 2>&1
  /usr/bin/python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))["run"]["seconds"]
print(s["features"] / int(sys.argv[2]) * 1e6)' "$work/$1/report.json" "$n" >>"$work/$1.us"
}
rm -f "$work/r.us" "$work/base.us"
for _ in $(seq "$runs"); do
  run r "$zoolens"
  [ -z "${ZOOLENS_BASE:-}" ] || run base "$ZOOLENS_BASE"
done
/usr/bin/python3 - "$work" <<'PY'
import os, statistics, sys
work = sys.argv[1]
def show(name, label):
    v = sorted(float(x) for x in open(os.path.join(work, name + ".us")))
    print(f"{label}: W-stats {v[0]:.2f} us/network at best, median {statistics.median(v):.2f} "
          f"over {len(v)} run(s)")
    return statistics.median(v)
m = show("r", "zoolens")
if os.path.exists(os.path.join(work, "base.us")):
    b = show("base", "ZOOLENS_BASE")
    print(f"median zoolens / ZOOLENS_BASE: {m / b:.3f}")
PY
if [ -n "${ZOOLENS_BASE:-}" ]; then
  "$zoolens" compare "$work/base/report.json" "$work/r/report.json" --tolerance 0
fi
/usr/bin/python3 - "$work/w.h5" "$work/r/report.json" <<'PY'
import json, sys, time
import h5py, numpy as np
rep = json.load(open(sys.argv[2]))
s = rep["run"]["seconds"]
zl = s["read"] + s["features"]
t0 = time.perf_counter()
with h5py.File(sys.argv[1], "r") as f:
    lay = [(int(r["offset"]), int(r["size"])) for r in f["layout"][:]]
    n = f["weights"].shape[0]
    feats = []
    for lo in range(0, n, 2000):
        w = f["weights"][lo:lo + 2000].astype(np.float64)
        cols = []
        for o, sz in lay:
            t = w[:, o:o + sz]
            cols += [np.percentile(t, [0, 25, 50, 75, 100], axis=1).T, t.std(1)[:, None], t.mean(1)[:, None]]
        feats.append(np.hstack(cols))
np_s = time.perf_counter() - t0
print(f"networks {n}: zoolens read+W-stats {zl:.3f} s ({zl / n * 1e6:.1f} us/network), "
      f"numpy {np_s:.3f} s ({np_s / n * 1e6:.1f} us/network), ratio numpy/zoolens {np_s / zl:.1f}x")
PY
