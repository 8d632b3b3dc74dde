#!/bin/sh
# A short zoolens train run on MNIST learns and numpy reproduces its accuracies; 2 ranks.
# Best final test accuracy >= 0.5 (chance: 0.1). Skips (77) without the MNIST files.
# usage: train_mnist.sh DATA_DIR ZOOLENS CHECK_TRAIN_ZOO PYTHON REF_FORWARD LAUNCHER...
set -u
data=$1 zoolens=$2 check=$3 python=$4 ref=$5
shift 5
if [ ! -e "$data/train-images-idx3-ubyte.gz" ] && [ ! -e "$data/train-images-idx3-ubyte" ]; then
  echo "skipping: no MNIST idx files in $data"
  exit 77
fi
rm -f mnist.h5 mnist.h5.part
"$@" "$zoolens" train --dataset mnist --data "$data" --runs 8 --out mnist.h5 --checkpoints 0,2,4 \
  --train-limit 12000 --test-limit 2000 --batch-size 32 --seed 1 || exit 1
"$check" mnist.h5 0 8 0,2,4 0.5 || exit 1
"$python" "$ref" mnist.h5 "$data" 2000
rc=$?
if [ "$rc" -eq 77 ]; then
  echo "(the numpy cross-check skipped)"
  rc=0
fi
exit "$rc"
