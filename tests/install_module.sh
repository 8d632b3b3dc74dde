#!/bin/bash
# cmake --install into a fresh prefix, then from an Lmod shell: module use PREFIX/share/modulefiles,
# module load zoolens, zoolens --version, synth + analyze at 2 ranks with the installed binary, and
# the installed analyze.sbatch (outside SLURM) finding zoolens through ZL_MODULES=zoolens.
# Usage: install_module.sh CMAKE BUILD_DIR WORK_DIR VERSION LAUNCHER...   (skips with 77 without Lmod)
set -euo pipefail
cmake=$1 build=$2 work=$3 version=$4
shift 4
launch=("$@")
init=""
for f in /usr/share/lmod/lmod/init/bash /etc/profile.d/lmod.sh; do
  if [ -r "$f" ]; then init=$f; break; fi
done
[ -n "$init" ] || { echo "SKIP: Lmod not installed (apt-get install lmod; jobs/setup.sh installs it)"; exit 77; }

rm -rf "$work"
mkdir -p "$work"
cd "$work"
prefix=$work/prefix
"$cmake" --install "$build" --prefix "$prefix" >install.log
for f in bin/zoolens share/zoolens/slurm/analyze.sbatch share/zoolens/slurm/train-array.sbatch \
         share/zoolens/slurm/nightly.sbatch share/zoolens/bench/analyze_scale.sh; do
  [ -x "$prefix/$f" ] || { echo "FAIL: $prefix/$f missing or not executable"; exit 1; }
done
[ -r "$prefix/share/modulefiles/zoolens/$version" ] ||
  { echo "FAIL: no modulefile $prefix/share/modulefiles/zoolens/$version"; exit 1; }

# A user's shell: Lmod, then the module; zoolens must come from the prefix, not the build tree.
# (Lmod's scripts are not written for set -u.)
set +u
# shellcheck disable=SC1090
. "$init"
module use "$prefix/share/modulefiles"
module load zoolens || { echo "FAIL: module load zoolens"; exit 1; }
set -u
echo "loaded: $(module -t list 2>&1 | tr '\n' ' ')"
[ "$(command -v zoolens)" = "$prefix/bin/zoolens" ] ||
  { echo "FAIL: zoolens on PATH is '$(command -v zoolens)', not $prefix/bin/zoolens"; exit 1; }
[ "${ZOOLENS_ROOT:-}" = "$prefix" ] || { echo "FAIL: ZOOLENS_ROOT='${ZOOLENS_ROOT:-}'"; exit 1; }
zoolens --version
"${launch[@]}" zoolens synth --networks 200 --out x.h5
"${launch[@]}" zoolens analyze x.h5 --out r --features wstats --estimator ridge
[ -s r/report.json ] || { echo "FAIL: no r/report.json"; exit 1; }
module purge
set +u
module unuse "$prefix/share/modulefiles"
set -u
! command -v zoolens >/dev/null || { echo "FAIL: zoolens still on PATH after module purge"; exit 1; }

# A batch job: a fresh bash without the module function; the script loads ZL_MODULES itself.
env -u BASH_FUNC_module%% -u BASH_FUNC_ml%% ZL_MODULES=zoolens ZL_OUT="$work/r-sbatch" \
  MODULEPATH="$prefix/share/modulefiles${MODULEPATH:+:$MODULEPATH}" ZL_NTASKS=2 \
  ZL_LAUNCH="${launch[*]}" ZL_ANALYZE_ARGS="--features wstats --estimator ridge" \
  bash "$prefix/share/zoolens/slurm/analyze.sbatch" x.h5 2>&1 | tee sbatch.log
grep -q "zoolens: $prefix/bin/zoolens" sbatch.log ||
  { echo "FAIL: analyze.sbatch did not use $prefix/bin/zoolens"; exit 1; }
[ -s r-sbatch/report.json ] || { echo "FAIL: no r-sbatch/report.json"; exit 1; }
echo "installed zoolens $version in $prefix: module load, analyze and analyze.sbatch work"
