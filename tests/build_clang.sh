#!/bin/sh
# Builds the zoolens target with clang in Release (-O3) and -DZL_WERROR=ON into a temporary
# directory, so code that only gcc -O2 accepts fails CI (1 process, make -j2).
# Usage: build_clang.sh CMAKE SOURCE_DIR CLANG   (CLANG empty or *-NOTFOUND: skip with 77)
cmake=$1 src=$2 clang=$3
case "$clang" in
  "" | *NOTFOUND) echo "SKIP: clang not found (apt-get install clang; jobs/setup.sh installs it)"; exit 77 ;;
esac
[ -x "$clang" ] || { echo "SKIP: $clang is gone (apt-get install clang)"; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/zl-build-clang.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
CC=$clang "$cmake" -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DZL_WERROR=ON \
  -DBUILD_TESTING=OFF >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; exit 1; }
"$cmake" --build "$dir" --target zoolens -j 2 || exit 1
echo "built zoolens with $clang -O3 -Werror"
