#!/usr/bin/env bash
# The README's quickstart: set up (idempotent), build, make a small zoo, analyse it with MPI and
# print where the report is. Usage: jobs/quickstart.sh [OUT_DIR]   (default ./quickstart-out)
# ZL_MPIEXEC overrides the launcher, e.g. ZL_MPIEXEC="srun" (default: mpirun -n 2, plus the flags
# running as root and on 2 cores need).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/quickstart-out}
build=${ZL_BUILD_DIR:-$here/build}
"$here/jobs/setup.sh" "$build"
zoolens="$build/jobs/zoolens"
if [ -z "${ZL_MPIEXEC:-}" ]; then
  ZL_MPIEXEC="mpirun -n 2 --oversubscribe"
  [ "$(id -u)" -ne 0 ] || ZL_MPIEXEC="$ZL_MPIEXEC --allow-run-as-root"
fi
mkdir -p "$out"
$ZL_MPIEXEC "$zoolens" synth --networks 3000 --out "$out/synth.h5" --seed 1
$ZL_MPIEXEC "$zoolens" analyze "$out/synth.h5" --out "$out/report"
echo "quickstart: the report is $out/report/report.md (data: $out/report/report.json)"
