#!/usr/bin/env bash
# The test command of the README: set up (idempotent), build, and run every test with ctest
# (MPI tests at 1, 2 and 4 ranks). Usage: jobs/test.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
"$here/jobs/setup.sh" "$build"
cd "$build"
# The sanitizer tree, the fuzzers and valgrind (labels sanitize, valgrind) add about 5 minutes on
# 2 cores: CI (CI=true) runs them on every change; elsewhere ZL_TEST_ALL=1 asks for them.
if [ "${CI:-}" = true ] || [ "${ZL_TEST_ALL:-}" = 1 ]; then
  ctest --output-on-failure -j "$(nproc)"
else
  echo "test: skipping the sanitizer, fuzz and valgrind tests (CI runs them; ZL_TEST_ALL=1 here)" >&2
  ctest --output-on-failure -j "$(nproc)" -LE 'sanitize|valgrind'
fi
