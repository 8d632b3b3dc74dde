#!/bin/sh
# A zoo as 300 shard files in files/ (tests/shards.cmake) analyses like the whole file
# (report_whole/): the shards listed one by one, and the directory files/ under `ulimit -n 256`,
# which only works when the files are not all open at once (an MPI-IO handle per file per rank).
# The directory must stand for the same files in the same order as the list: the two reports,
# inputs included, are the same. 2 ranks.
# usage: shards.sh ZOOLENS 'ANALYZE OPTIONS' LAUNCHER...
set -u
zoolens=$1
options=$2
shift 2
fail() {
  echo "FAIL: $*"
  exit 1
}
n=$(ls files/*.h5 | wc -l)
[ "$n" -eq 300 ] || fail "files/ holds $n shards, not 300"
rm -rf report_files report_dir
start=$(date +%s)
# shellcheck disable=SC2086 # the options and the file list are words
"$@" "$zoolens" analyze files/*.h5 $options --out report_files || fail "analyze files/*.h5"
echo "300 files listed: $(($(date +%s) - start)) s"
"$zoolens" compare report_whole/report.json report_files/report.json --ignore-inputs ||
  fail "300 shards do not reproduce the whole file"
start=$(date +%s)
# shellcheck disable=SC2086
(ulimit -n 256 && "$@" "$zoolens" analyze files $options --out report_dir) ||
  fail "analyze files/ under ulimit -n 256"
echo "directory under ulimit -n 256: $(($(date +%s) - start)) s"
"$zoolens" compare report_files/report.json report_dir/report.json ||
  fail "the directory is not the same inputs as the file list"
grep -q '"path": "files/shard-00299.h5"' report_dir/report.json ||
  fail "report_dir/report.json does not list files/shard-00299.h5"
