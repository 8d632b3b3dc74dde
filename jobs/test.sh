#!/usr/bin/env bash
# The test command of the README: set up (idempotent), build, and run every test with ctest
# (MPI tests at 1, 2 and 4 ranks). Usage: jobs/test.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
"$here/jobs/setup.sh" "$build"
cd "$build"
ctest --output-on-failure -j "$(nproc)"
