#!/usr/bin/env bash
# Memory per rank and throughput of analyze as the zoo grows 10x: synth zoos of N and 10N networks,
# analyse each at RANKS ranks side by side in one run, print peak resident memory per rank (from
# report.json) and networks/s. Usage: jobs/bench/analyze_scale.sh [N] [RANKS] [WORKDIR]
# (defaults 20000, 2, a temporary directory; 10N networks take 10N x 20 KB of disk).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-20000}
ranks=${2:-2}
work=${3:-$(mktemp -d)}
mkdir -p "$work"
zoolens=${ZOOLENS:-$here/build/jobs/zoolens}
# Installed (PREFIX/share/zoolens/bench) there is no build tree: use zoolens on PATH (module load).
[ -n "${ZOOLENS:-}" ] || [ -x "$zoolens" ] || zoolens=$(command -v zoolens) || { echo "$0: no zoolens: set ZOOLENS" >&2; exit 2; }
launch=${ZL_MPIEXEC:-mpirun --oversubscribe $([ "$(id -u)" -ne 0 ] || echo --allow-run-as-root)}
export OMPI_MCA_mpi_yield_when_idle=1
printf '%10s %8s %16s %14s %12s\n' networks ranks peak_rss_MiB read+feat_s networks/s
for m in "$n" $((10 * n)); do
  $launch -n "$ranks" "$zoolens" synth --networks "$m" --out "$work/s$m.h5" >/dev/null
  $launch -n "$ranks" "$zoolens" analyze "$work/s$m.h5" --out "$work/r$m" >/dev/null 2>&1
  /usr/bin/python3 - "$work/r$m/report.json" "$m" "$ranks" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["run"]["seconds"]
t = s["read"] + s["features"]
print(f"{sys.argv[2]:>10} {sys.argv[3]:>8} {r['run']['peak_rss_mib']:16.1f} {t:14.2f} "
      f"{int(sys.argv[2]) / s['total']:12.0f}")
PY
  rm -f "$work/s$m.h5"
done
