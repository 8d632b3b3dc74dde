#!/usr/bin/env bash
# zoolens's gbm estimator against scikit-learn's HistGradientBoostingRegressor (2 threads), side by
# side on the same zoo, features and folds (issue 12): synth a zoo of N networks (or take ZOO),
# run `zoolens analyze --estimator gbm --features FEATURES` at RANKS ranks, then
# jobs/bench/gbm_bench.py on the rows and folds zoolens used; print one table of seconds, R² and τ
# and write it as markdown to WORKDIR/gbm_table.md.
# Usage: jobs/bench/gbm_bench.sh [N] [RANKS] [WORKDIR] [FEATURES]   (defaults 120000, 2, a
# temporary directory, wstats; N networks take N x 20 KB of disk). ZOOLENS overrides the binary,
# ZL_MPIEXEC the launcher, ZOO an existing zoo file to use instead of synthesizing one.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-120000}
ranks=${2:-2}
work=${3:-$(mktemp -d)}
feats=${4:-wstats}
mkdir -p "$work"
zoolens=${ZOOLENS:-$here/build/jobs/zoolens}
launch=${ZL_MPIEXEC:-mpirun --oversubscribe $([ "$(id -u)" -ne 0 ] || echo --allow-run-as-root)}
python=/usr/bin/python3
[ -x "$zoolens" ] || { echo "gbm_bench: $zoolens is missing: run jobs/setup.sh (or set ZOOLENS)" >&2; exit 1; }
"$python" "$here/jobs/bench/peer.py" --check # exits 1 naming the missing package
export OMPI_MCA_mpi_yield_when_idle=1

zoo=${ZOO:-$work/s.h5}
if [ -z "${ZOO:-}" ]; then
  echo "gbm_bench: $n networks, zoolens at $ranks ranks, in $work" >&2
  $launch -n "$ranks" "$zoolens" synth --networks "$n" --out "$zoo" >/dev/null
fi
rm -rf "$work/gbm"
cat "$zoo" >/dev/null # both read from the page cache
# CPU seconds of every rank (the launcher waits for them), for a machine others load too.
if ! /usr/bin/time -o "$work/gbm.cpu" -f "%U %S" $launch -n "$ranks" "$zoolens" analyze "$zoo" \
  --features "$feats" --estimator gbm --out "$work/gbm" >"$work/gbm.log" 2>&1; then
  tail -n 20 "$work/gbm.log" >&2
  echo "gbm_bench: zoolens analyze failed (log: $work/gbm.log)" >&2
  exit 1
fi
OMP_NUM_THREADS=2 "$python" "$here/jobs/bench/gbm_bench.py" "$zoo" "$work/gbm" "$feats" \
  "$work/gbm_table.md" "$work/gbm.cpu"
echo "gbm_bench: markdown table in $work/gbm_table.md" >&2
