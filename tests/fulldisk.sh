#!/bin/sh
# Full disks and unwritable places (issue 11, item 5): analyze and synth on 2 ranks must end
# within 10 s with exit status 1, exactly one "zoolens: " line naming the file and the cause, no
# crash, and no output left that looks complete (predictions.h5, report.json, a zoo, a .part).
# A small tmpfs is the full disk (root only: skips with 77 when mount is not permitted).
# usage: fulldisk.sh ZOOLENS LAUNCHER...   (run in an empty scratch directory)
set -u
zl=$1
shift
. "$(dirname "$0")/fail_lib.sh"

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
for size in 2m; do
  mount -t tmpfs -o size=$size tmpfs full || exit 1
  expect_fail "analyze_$size" "No space left on device" "$@" "$zl" analyze z.h5 --out full/out \
    --features wstats --estimator ridge
  for f in predictions.h5 predictions.h5.part report.json report.md; do
    [ ! -e "full/out/$f" ] || fail "analyze_$size: full/out/$f left behind"
  done
  umount full
done

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
  mount -t tmpfs -o size=$size tmpfs full || exit 1
  expect_fail "synth_$size" "full/s.h5.part" "$@" "$zl" synth --networks 2000 --out full/s.h5
  for f in s.h5 s.h5.part; do
    [ ! -e "full/$f" ] || fail "synth_$size: full/$f left behind"
  done
  umount full
done

# An unwritable output directory: root ignores permission bits, so a read-only bind mount.
mkdir -p rosrc ro && mkdir -p rosrc/out
if mount --bind rosrc ro 2>/dev/null && mount -o remount,bind,ro ro 2>/dev/null; then
  expect_fail analyze_readonly "Read-only file system" "$@" "$zl" analyze z.h5 --out ro/out \
    --features wstats --estimator ridge
  expect_fail synth_readonly "Read-only file system" "$@" "$zl" synth --networks 20 --out ro/s.h5
  [ -z "$(ls rosrc/out)" ] || fail "readonly: files left in the read-only directory"
  umount ro
else
  echo "SKIP (readonly case): cannot make a read-only bind mount"
fi
exit $status
