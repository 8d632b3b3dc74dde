#!/bin/sh
# valgrind's memcheck on a small analyze at 1 rank (tests/valgrind.cmake): a 60-network MLP synth
# zoo through the default feature sets and estimators. Fails on any memcheck error (invalid
# access, uninitialised value, definite or possible leak) outside what SUPP suppresses.
# Usage: valgrind.sh VALGRIND SUPP DIR ZOOLENS LAUNCHER...   (VALGRIND empty or *-NOTFOUND: skip)
valgrind=$1 supp=$2 dir=$3 zoolens=$4
shift 4
case "$valgrind" in
  "" | *NOTFOUND) echo "SKIP: valgrind not found (apt-get install valgrind; jobs/setup.sh installs it)"; exit 77 ;;
esac
rm -rf "$dir" && mkdir -p "$dir" || exit 1
"$@" "$zoolens" synth --networks 60 --architecture mlp --seed 3 --out "$dir/zoo.h5" || exit 1
# One BLAS thread: OpenBLAS's thread pool only adds valgrind noise and time.
OPENBLAS_NUM_THREADS=1 "$@" "$valgrind" --error-exitcode=99 --leak-check=full \
  --errors-for-leak-kinds=definite,possible --num-callers=40 --suppressions="$supp" \
  --log-file="$dir/memcheck.%p.log" "$zoolens" analyze "$dir/zoo.h5" --rff-features 64 \
  --out "$dir/out"
rc=$?
log=$(ls "$dir"/memcheck.*.log 2>/dev/null | head -n 1)
if [ $rc -ne 0 ] || [ -z "$log" ] || ! grep -q "ERROR SUMMARY: 0 errors" "$log"; then
  echo "memcheck: analyze exited $rc"
  [ -n "$log" ] && cat "$log"
  exit 1
fi
grep "ERROR SUMMARY" "$log"
