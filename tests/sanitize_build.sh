#!/bin/sh
# Configures and builds the second tree of tests/sanitize.cmake: ZL_SANITIZE (address +
# undefined) at -O1 (ASan's advice: fast, with exact stacks) and, when clang is there, ZL_FUZZ with
# clang (libFuzzer ships with it). DIR persists, so a second run only rebuilds what changed.
# Usage: sanitize_build.sh CMAKE SOURCE_DIR DIR CC CLANG WERROR MPIEXEC_FLAGS SHARED_DIR
#   CC: the compiler without clang; CLANG empty or *-NOTFOUND: no fuzzing.
cmake=$1 src=$2 dir=$3 cc=$4 clang=$5 werror=$6 mpiflags=$7 shared=$8
fuzz=OFF
case "$clang" in
  "" | *NOTFOUND) echo "no clang (apt-get install clang): sanitizers with $cc, no fuzzing" ;;
  *) cc=$clang fuzz=ON ;;
esac
mkdir -p "$dir" || exit 1
CC=$cc "$cmake" -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-O1 -g" \
  -DZL_SANITIZE=ON -DZL_FUZZ=$fuzz -DZL_WERROR="$werror" "-DZL_MPIEXEC_FLAGS=$mpiflags" \
  "-DZL_SHARED_DIR=$shared" >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; exit 1; }
"$cmake" --build "$dir" -j 2 >"$dir/build.log" 2>&1 || { tail -n 60 "$dir/build.log"; exit 1; }
echo "built $dir with $cc: ZL_SANITIZE=ON ZL_FUZZ=$fuzz"
