#!/usr/bin/env bash
# The README's quickstart: set up (idempotent), build, train a small real zoo on Fashion-MNIST
# (Debian's dataset-fashion-mnist) on 2 ranks, analyse it and print where the report is.
# Usage: jobs/quickstart.sh [OUT_DIR]   (default ./quickstart-out)
# ZL_MPIEXEC overrides the launcher (default: mpirun -n 2 --oversubscribe, plus --allow-run-as-root
# as root); ZL_RUNS the number of training runs (default 64).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/quickstart-out}
build=${ZL_BUILD_DIR:-$here/build}
runs=${ZL_RUNS:-64}
data=/usr/share/datasets/fashion-mnist
"$here/jobs/setup.sh" "$build"
zoolens="$build/jobs/zoolens"
if [ -z "${ZL_MPIEXEC:-}" ]; then
  ZL_MPIEXEC="mpirun -n 2 --oversubscribe"
  [ "$(id -u)" -ne 0 ] || ZL_MPIEXEC="$ZL_MPIEXEC --allow-run-as-root"
fi
# Two ranks on two cores must yield when idle, or waiting ranks spin against the working one.
export OMPI_MCA_mpi_yield_when_idle=1
mkdir -p "$out"
# The paper's CNN and hyperparameter space, 3 epochs with checkpoints before training and after
# each epoch (the paper trains 86 epochs; this is the minutes-long version). Rerunning resumes.
$ZL_MPIEXEC "$zoolens" train --dataset fashion_mnist --data "$data" --runs "$runs" \
  --checkpoints 0,1,2,3 --seed 1 --out "$out/fashion_mnist.h5"
$ZL_MPIEXEC "$zoolens" info "$out/fashion_mnist.h5"
$ZL_MPIEXEC "$zoolens" analyze "$out/fashion_mnist.h5" --out "$out/report"
echo "quickstart: the report is $out/report/report.md (data: $out/report/report.json, plots: $out/report/*.svg)"
