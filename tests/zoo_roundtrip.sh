#!/bin/sh
# Imports a Small CNN Zoo directory with the zoolens binary, checks every value of the zoo against
# the directory (test_import) and runs zoolens info on it, all under the same launcher. Exits 77
# (skipped) when the directory does not exist, e.g. without the project's shared/ folder.
# usage: zoo_roundtrip.sh SRC_DIR OUT.h5 ZOOLENS CHECKER 'IMPORT OPTIONS' LAUNCHER...
set -u
src=$1
out=$2
zoolens=$3
checker=$4
options=$5
shift 5
if [ ! -d "$src" ]; then
  echo "skipped: $src does not exist (configure with -DZL_SHARED_DIR=<the shared/ folder>)"
  exit 77
fi
rm -f "$out" "$out.part"
# shellcheck disable=SC2086 # the options are words
"$@" "$zoolens" import "$src" "$out" $options || exit 1
# shellcheck disable=SC2086
"$@" "$checker" "$src" "$out" $options || exit 1
"$@" "$zoolens" info "$out" >/dev/null || exit 1
