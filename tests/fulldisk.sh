#!/bin/sh
# Full disks and unwritable places (issue 11, item 5): analyze, synth, train and import on 2 ranks
# must end within 10 s with exit status 1, exactly one "zoolens: " line naming the file and the
# cause, no crash, and no output left that looks complete (predictions.h5, report.json, a zoo, a
# .part of the commands that cannot resume; train resumes a flushed .part: only its zoo counts).
# A small tmpfs is the full disk (root only: skips with 77 when mount is not permitted).
# usage: fulldisk.sh ZOOLENS TRAIN_DATA ZOO_DIR LAUNCHER...   (run in an empty scratch directory)
#   TRAIN_DATA: the train_data program (tests/train_data.c) that writes train's small data set;
#   ZOO_DIR: a tiny Small CNN Zoo directory to import (tests/zoo_fixtures.c's tiny_gz).
set -u
zl=$1 train_data=$2 zoo_dir=$3
shift 3
. "$(dirname "$0")/fail_lib.sh"

# on_full NAME SIZE WANT LEFT COMMAND...: runs the failing job COMMAND (expect_fail NAME WANT) with
# a fresh tmpfs of SIZE at full/, then fails NAME for each of the files LEFT (names under full/,
# space-separated) found on it.
on_full() {
  job=$1 size=$2 want=$3 left=$4
  shift 4
  mount -t tmpfs -o size="$size" tmpfs full || exit 1
  expect_fail "$job" "$want" "$@"
  for f in $left; do none_left "$job" "full/$f"; done
  umount full
}

mkdir -p probe
if ! mount -t tmpfs -o size=64k tmpfs probe 2>/dev/null; then
  echo "SKIP: cannot mount a tmpfs (not root, or no CAP_SYS_ADMIN): no full file system to test"
  exit 77
fi
umount probe
trap 'umount full 2>/dev/null; umount ro 2>/dev/null' EXIT

"$@" "$zl" synth --networks 2000 --seed 3 --out z.h5 >/dev/null || { echo "synth failed"; exit 1; }

# analyze: the predictions.h5 write fails (2 MiB).
mkdir -p full
on_full analyze_2m 2m "No space left on device" \
  "out/predictions.h5 out/predictions.h5.part out/report.json out/report.md" \
  "$@" "$zl" analyze z.h5 --out full/out --features wstats --estimator ridge

# analyze: a disk with room for predictions.h5 but not for the report files.
mount -t tmpfs -o size=8m tmpfs full || exit 1
"$@" "$zl" analyze z.h5 --out full/ok --features wstats --estimator ridge >/dev/null 2>&1 ||
  fail "analyze with room failed"
need=$(du -k full/ok/predictions.h5 | cut -f1)
svg=$(du -ck full/ok/*.svg | tail -1 | cut -f1)
rm -rf full/ok
free=$(df -k --output=avail full | tail -1)
# Leave room for the plots and predictions.h5 (whole 4 KiB pages), none for report.md/report.json.
dd if=/dev/zero of=full/filler bs=1k count=$((free - need - svg)) 2>/dev/null
expect_fail analyze_report "No space left on device" "$@" "$zl" analyze z.h5 --out full/out \
  --features wstats --estimator ridge
for f in predictions.h5 predictions.h5.part report.json report.md report.json.tmp report.md.tmp; do
  [ ! -e "full/out/$f" ] || fail "analyze_report: full/out/$f left behind"
done
umount full

# synth: a full disk at creation (64 KiB: one rank fails inside HDF5's collective dataset creation)
# and while writing the weights (2 MiB).
for size in 64k 2m; do
  on_full "synth_$size" $size "full/s.h5.part" "s.h5 s.h5.part" \
    "$@" "$zl" synth --networks 2000 --out full/s.h5
done

# train (8 runs of 2 checkpoints, 16 rows of 4970 weights, on 256 small images): a full disk at
# creation (12 and 16 KiB: the first flush of the new .part fails; a .part never flushed holds
# nothing to resume and is removed) and while writing the weights of the first round (64 KiB: the
# flushed .part may stay, to be resumed, but no t.h5). At 16 KiB the flush's collective write is
# cut short: under Open MPI's ompio one rank took its short write for success while the other
# failed, and both waited inside HDF5's flush until killed (jobs/main.c chooses ROMIO).
have_train=0
if "$train_data" data >/dev/null 2>&1; then
  have_train=1
  train_opts="--dataset mnist --data data --runs 8 --checkpoints 0,1 --train-limit 256
              --test-limit 128 --batch-size 64"
  for size in 12k 16k; do
    on_full "train_$size" $size "full/t.h5.part" "t.h5 t.h5.part" \
      "$@" "$zl" train $train_opts --out full/t.h5
  done
  on_full train_64k 64k "full/t.h5.part" "t.h5" "$@" "$zl" train $train_opts --out full/t.h5
else
  echo "SKIP (train cases): $train_data could not write train's data set"
fi

# import (105 networks x 4970 weights, 2 MiB): a full disk at creation (16 KiB: one rank fails
# creating an hparam column) and while writing the weights (1 MiB, in blocks of 1 MiB).
have_import=0
if [ -f "$zoo_dir/weights.npy" ]; then
  have_import=1
  on_full import_16k 16k "full/i.h5.part" "i.h5 i.h5.part" "$@" "$zl" import "$zoo_dir" full/i.h5
  on_full import_1m 1m "full/i.h5.part" "i.h5 i.h5.part" \
    "$@" "$zl" import "$zoo_dir" full/i.h5 --block-mib 1
else
  echo "SKIP (import cases): no zoo directory at $zoo_dir (made by the zoo_fixtures test)"
fi

# An unwritable output directory: root ignores permission bits, so a read-only bind mount.
mkdir -p rosrc ro && mkdir -p rosrc/out
if mount --bind rosrc ro 2>/dev/null && mount -o remount,bind,ro ro 2>/dev/null; then
  expect_fail analyze_readonly "Read-only file system" "$@" "$zl" analyze z.h5 --out ro/out \
    --features wstats --estimator ridge
  expect_fail synth_readonly "Read-only file system" "$@" "$zl" synth --networks 20 --out ro/s.h5
  [ $have_train -eq 0 ] || expect_fail train_readonly "Read-only file system" \
    "$@" "$zl" train $train_opts --out ro/out/t.h5
  [ $have_import -eq 0 ] || expect_fail import_readonly "Read-only file system" \
    "$@" "$zl" import "$zoo_dir" ro/out/i.h5
  [ -z "$(ls rosrc/out)" ] || fail "readonly: files left in the read-only directory"
  umount ro
else
  echo "SKIP (readonly case): cannot make a read-only bind mount"
fi
exit $status
