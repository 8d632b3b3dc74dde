#!/usr/bin/env bash
# The default analysis, zoolens against its Python peer, side by side in one run on the same file
# and folds: synth a zoo of N networks, run `zoolens analyze` (default features and estimators) at
# RANKS ranks, then jobs/bench/peer.py (numpy features, scikit-learn StandardScaler + RidgeCV and
# HistGradientBoostingRegressor, 2 threads) on the rows and folds zoolens used; print one table of
# seconds per phase, R² / τ per feature set × estimator and the ratio of the totals, and write it
# as markdown to WORKDIR/table.md.
# Usage: jobs/bench/scale_bench.sh [N] [RANKS] [WORKDIR]   (defaults 120000, 2, a temporary
# directory; N networks take N x 20 KB of disk). ZOOLENS overrides the binary, ZL_MPIEXEC the
# launcher.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-120000}
ranks=${2:-2}
work=${3:-$(mktemp -d)}
mkdir -p "$work"
zoolens=${ZOOLENS:-$here/build/jobs/zoolens}
launch=${ZL_MPIEXEC:-mpirun --oversubscribe $([ "$(id -u)" -ne 0 ] || echo --allow-run-as-root)}
python=/usr/bin/python3
[ -x "$zoolens" ] || { echo "scale_bench: $zoolens is missing: run jobs/setup.sh (or set ZOOLENS)" >&2; exit 1; }
[ -x "$python" ] || { echo "scale_bench: $python is missing: apt-get install python3" >&2; exit 1; }
"$python" "$here/jobs/bench/peer.py" --check # exits 1 naming the missing package
export OMPI_MCA_mpi_yield_when_idle=1

echo "scale_bench: $n networks, zoolens at $ranks ranks, in $work" >&2
$launch -n "$ranks" "$zoolens" synth --networks "$n" --out "$work/s.h5" >/dev/null
rm -rf "$work/zl"
cat "$work/s.h5" >/dev/null # both read from the page cache
if ! $launch -n "$ranks" "$zoolens" analyze "$work/s.h5" --out "$work/zl" >"$work/analyze.log" 2>&1; then
  tail -n 20 "$work/analyze.log" >&2
  echo "scale_bench: zoolens analyze failed (log: $work/analyze.log)" >&2
  exit 1
fi
cat "$work/s.h5" >/dev/null
OMP_NUM_THREADS=2 "$python" "$here/jobs/bench/peer.py" "$work/s.h5" "$work/zl" "$work/table.md"
echo "scale_bench: markdown table in $work/table.md" >&2
