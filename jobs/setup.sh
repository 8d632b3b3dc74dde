#!/usr/bin/env bash
# Idempotent set-up shared by the quickstart and the tests: installs what zoolens needs from
# Debian (only what is missing), then configures and builds into BUILD_DIR (default ./build).
# Usage: jobs/setup.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}

packages=(
  build-essential cmake pkg-config
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
  libscalapack-openmpi-dev libopenblas-dev liblapacke-dev
  zlib1g-dev libjansson-dev libcsv-dev
  libssl-dev                               # SHA-256 of the inputs in report.json (libcrypto, --digest sha256)
  libxxhash-dev                            # XXH3-128 of the inputs in report.json (the default digest)
  xxhash                                   # provenance tests: recompute those digests with xxhsum
  dataset-fashion-mnist                    # the quickstart's data
  python3 python3-numpy python3-sklearn python3-h5py  # independent cross-checks in the tests
  librsvg2-bin libxml2-utils               # plot tests: render the SVGs (rsvg-convert), check XML (xmllint)
  slurmctld slurmd slurm-client munge      # one-node SLURM for the jobs/slurm scripts' test (slurm label)
  clang                                    # build test: the tree also builds with clang -O3 -Werror
  libclang-rt-dev                          # sanitizer tests: clang's ASan/UBSan runtimes and libFuzzer
  valgrind                                 # memcheck test: a small analyze with zero errors
  lmod                                     # install test: module load zoolens from an installed prefix
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Running as root (containers, CI) needs Open MPI's consent; clusters set their own launcher flags.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Warnings are errors in CI (which sets CI=true) and for developers who ask (ZL_WERROR=ON), never
# by default: a user's newer compiler must not break the build.
werror=${ZL_WERROR:-OFF}
[ "${CI:-}" != true ] || werror=ON
mkdir -p "$build"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZL_WERROR="$werror" \
  >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" -j "$(nproc)" >&2
echo "setup: built $build/jobs/zoolens" >&2
