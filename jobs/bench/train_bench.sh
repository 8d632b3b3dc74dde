#!/usr/bin/env bash
# Training throughput (examples x epochs / s) of zoolens's CNN against PyTorch on CPU, side by side
# in one run: for each configuration the two alternate REPEATS times on the same data, one thread
# each, and the best of each is compared (the 2 vCPUs here are shared, so the best run is the one
# least disturbed). PyTorch runs with glibc's malloc told to keep its memory: without that it
# returns big blocks to the OS and page-faults them back, 5-7x slower (toolchain.md).
#
# usage: jobs/bench/train_bench.sh [DATA_DIR]    (default ../shared/data/mnist)
# env:   BUILD_DIR (default build), EPOCHS (2), REPEATS (3), PYTHON (/usr/bin/python3)
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
data=${1:-$src/../shared/data/mnist}
build=${BUILD_DIR:-$src/build}
epochs=${EPOCHS:-2}
repeats=${REPEATS:-3}
python=${PYTHON:-/usr/bin/python3}

if [[ ! -d $data ]]; then
  echo "train_bench: $data: no such data directory (the four MNIST idx files)" >&2
  exit 1
fi
if ! "$python" -c 'import torch, numpy' 2>/dev/null; then
  echo "train_bench: installing Debian's python3-torch" >&2
  apt-get install -y python3-torch python3-numpy >/dev/null
fi

# The C driver links the kernels library of the build tree.
cmake -S "$src" -B "$build" >/dev/null
make -C "$build" -j1 zl_kernels >/dev/null
cc -O2 -std=c11 -Wall -Wextra -Werror -I"$src/kernels" "$src/jobs/bench/bench_train.c" \
  "$build/kernels/libzl_kernels.a" -lopenblas -llapacke -lz -lm -o "$build/bench_train"

cpus=$(nproc --all)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
# OpenBLAS names its kernel when loaded with OPENBLAS_VERBOSE=2 (the usage error is expected).
core=$( (OPENBLAS_VERBOSE=2 "$build/bench_train" 2>&1 || true) | sed -n 's/^Core: *//p' | head -n1)
echo "OpenBLAS kernel: ${core:-unknown}; $cpus CPUs; epochs $epochs, best of $repeats"

rate() { grep -o '[0-9]* examples\*epochs/s' | grep -o '^[0-9]*'; }

run_config() { # label, then the options both programs take
  local label=$1 best_c=0 best_t=0 c t
  shift
  for ((r = 0; r < repeats; r++)); do
    c=$("$build/bench_train" "$data" --epochs "$epochs" "$@" | tee /dev/stderr | rate)
    t=$(MALLOC_MMAP_THRESHOLD_=17179869184 MALLOC_TRIM_THRESHOLD_=17179869184 \
      "$python" "$src/jobs/bench/train_bench_torch.py" "$data" --epochs "$epochs" "$@" |
      tee /dev/stderr | rate)
    ((c > best_c)) && best_c=$c
    ((t > best_t)) && best_t=$t
  done
  awk -v l="$label" -v c="$best_c" -v t="$best_t" \
    'BEGIN { printf "%-28s zoolens %7d  pytorch %7d  ratio %.2f\n", l, c, t, c / t }'
}

results=$(
  run_config "cnn adam relu" --activation relu
  run_config "cnn adam tanh dropout 0.3" --activation tanh --dropout 0.3
  run_config "cnn sgd relu dropout 0.3" --optimizer sgd --activation relu --dropout 0.3
  run_config "mlp adam relu" --arch mlp --activation relu
)
echo "examples*epochs/s, one thread, batch 512 (best of $repeats):"
echo "$results"
