#!/bin/sh
# zoolens train crashed at 2 ranks and resumed at 1 equals an uninterrupted run; reruns; 2 then 1 rank.
# A complete zoo is not retrained; other options or other data on an unfinished or complete zoo
# fail exactly.
# usage: train_resume.sh ZOOLENS H5DIFF EXPECT_ERROR REFERENCE.h5 SEED "TRAIN OPTIONS" LAUNCHER...
# (REFERENCE.h5 was trained with --seed SEED and the options, which set no --first-run.)
set -u
zoolens=$1 h5diff=$2 expect=$3 ref=$4 seed=$5 opts=$6
shift 6
fail() {
  echo "FAIL: $*"
  exit 1
}
rm -f crash.h5 crash.h5.part
# shellcheck disable=SC2086 # the options are meant to be split into words
if "$@" "$zoolens" train $opts --seed "$seed" --out crash.h5 --stop-after 2; then
  fail "--stop-after 2 exited 0"
fi
if [ ! -f crash.h5.part ] || [ -e crash.h5 ]; then
  fail "the crash did not leave crash.h5.part alone"
fi
again="rerun with the same options, or choose another --out"
# shellcheck disable=SC2086
sh "$expect" 1 "zoolens: crash.h5.part: was made with --first-run 0, not 1: $again" \
  "$@" "$zoolens" train $opts --seed "$seed" --out crash.h5 --first-run 1 || fail "first-run"
# The same options on data that differ in one pixel: refused (the file records the data's SHA-256).
rm -rf other && cp -r data other || fail "copying the data"
b=$(od -An -tu1 -j 116 -N1 data/train-images-idx3-ubyte | tr -d ' ')
# shellcheck disable=SC2059 # the format is the byte itself, in octal
printf "\\$(printf %o $((255 - b)))" | dd of=other/train-images-idx3-ubyte bs=1 seek=116 conv=notrunc 2>/dev/null ||
  fail "editing the copy"
cmp -s data/train-images-idx3-ubyte other/train-images-idx3-ubyte && fail "the copy was not changed"
# shellcheck disable=SC2086
sh "$expect" 1 "zoolens: crash.h5.part: was made from other data than other (the SHA-256 of its images and labels differs): rerun with the same data, or choose another --out" \
  "$@" "$zoolens" train $opts --data other --seed "$seed" --out crash.h5 || fail "other data"
# One rank, without the launcher: any rank count resumes any file.
# shellcheck disable=SC2086
"$zoolens" train $opts --seed "$seed" --out crash.h5 2>resume.err || fail "the resumed run failed"
grep "resuming crash.h5.part: 2 of" resume.err || fail "the run did not resume"
"$h5diff" crash.h5 "$ref" || fail "the resumed zoo differs from $ref"
# shellcheck disable=SC2086
"$zoolens" train $opts --seed "$seed" --out crash.h5 | grep "is complete already" ||
  fail "a complete zoo was not recognised"
# shellcheck disable=SC2086
sh "$expect" 1 "zoolens: crash.h5: was made with --seed $seed, not $((seed + 1)): $again" \
  "$@" "$zoolens" train $opts --seed $((seed + 1)) --out crash.h5 || fail "seed"
echo "crash, resume and reruns as expected"
