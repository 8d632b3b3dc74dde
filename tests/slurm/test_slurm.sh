#!/usr/bin/env bash
# The jobs/slurm batch scripts under a real one-node SLURM on localhost (slurm_up.sh): a synth
# zoo by srun, analyze.sbatch on it (4 ranks on fewer CPUs: --overcommit), a 2-task
# train-array.sbatch (crashed, resumed by resubmitting, resubmitted once more: complete files
# skip; the files analysed as one zoo), and nightly.sbatch three times: golden
# installed, reproduced, and drift against a perturbed golden (must exit 1). Prints job ids and
# states. Exit 0 pass, 1 fail, 77 skip (no SLURM/munge, not root, daemons cannot start).
# Usage: tests/slurm/test_slurm.sh ZOOLENS SOURCE_DIR
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 ZOOLENS SOURCE_DIR" >&2; exit 2; }
zoolens=$(realpath "$1") src=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
scripts=$src/jobs/slurm
py=/usr/bin/python3
[ -x "$py" ] || py=python3

skip() { echo "test_slurm: SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to run slurmctld, slurmd and munged"
for exe in /usr/sbin/slurmctld /usr/sbin/slurmd /usr/sbin/munged; do
  [ -x "$exe" ] || skip "$exe is not installed (apt-get install --no-install-recommends slurmctld slurmd slurm-client munge)"
done
command -v sbatch >/dev/null || skip "sbatch is not installed (apt-get install slurm-client)"
[ -x "$zoolens" ] || { echo "test_slurm: no zoolens at $1" >&2; exit 1; }

# One SLURM test at a time on a machine (several build trees may run it): wait for the lock.
exec 9>"/run/zoolens-slurm.lock"
if ! flock -n 9; then
  echo "test_slurm: waiting for another SLURM test to finish (/run/zoolens-slurm.lock)"
  flock -w 420 9 || skip "another SLURM test held /run/zoolens-slurm.lock for 7 minutes"
fi
export ZL_SLURM_LOCK_HELD=1

work=$(mktemp -d "${TMPDIR:-/tmp}/zl-slurm-test.XXXXXX")
chmod 0755 "$work"
cd "$work" # the jobs' submit and working directory
jobs=()       # every job id submitted, for the summary and to cancel on the way out
failures=0
up=0
cleanup() {
  local rc=$?
  if [ "$up" = 1 ]; then
    [ ${#jobs[@]} -eq 0 ] || scancel "${jobs[@]}" 2>/dev/null || true
    bash "$here/slurm_down.sh" || true
  fi
  if [ "$rc" -eq 0 ]; then rm -rf "$work"; else echo "test_slurm: kept $work for inspection"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "== bringing up SLURM on localhost"
urc=0
bash "$here/slurm_up.sh" || urc=$?
[ "$urc" -eq 0 ] || { [ "$urc" -eq 77 ] && skip "SLURM could not start (see above)"; exit "$urc"; }
up=1
sinfo

# Settings every job inherits (sbatch exports the environment): the binary under test, and no
# CMA single-copy (containers often forbid ptrace).
export ZOOLENS=$zoolens OMPI_MCA_btl_vader_single_copy_mechanism=none

fail() { echo "test_slurm: FAIL: $*"; failures=$((failures + 1)); }
fields() { grep -oE "\\b($1)=[^ ]*" | paste -sd' ' -; }
show_job() { # show_job ID: SLURM's record of the job (an array: of every task), and its jobcomp line
  local line jid
  echo "-- scontrol -o show job $1:"
  while read -r line; do
    echo "   $(fields 'JobId|ArrayJobId|ArrayTaskId|JobName|JobState|ExitCode|NumNodes|NumTasks|NodeList|BatchHost' <<<"$line")"
    jid=$(fields JobId <<<"$line")
    grep -E "^$jid " /var/log/slurm/zl-test-jobcomp.log 2>/dev/null |
      fields 'JobId|JobState|ExitCode|NodeCnt|ProcCnt|StartTime|EndTime' | sed 's/^/   jobcomp: /' || true
  done < <(scontrol -o show job "$1" 2>/dev/null || true)
}
# submit NAME EXPECTED_RC SBATCH_ARGS...: sbatch --wait, check the exit code, show the job.
submit() {
  local name=$1 want=$2 id rc=0
  shift 2
  echo
  echo "== $name: sbatch --wait $*"
  id=$(sbatch --parsable --wait "$@") || rc=$?
  id=${id%%;*}
  [ -z "$id" ] || jobs+=("$id")
  echo "job id ${id:-none}: sbatch --wait returned $rc (expected $want)"
  for f in "$work"/*-"$id".out "$work"/*-"$id"_*.out; do
    [ -e "$f" ] && { echo "-- ${f##*/}:"; sed 's/^/   | /' "$f"; }
  done
  [ -z "$id" ] || show_job "$id"
  [ "$rc" -eq "$want" ] || fail "$name: exit code $rc, expected $want"
  LAST_JOB=$id
}

echo
echo "== synth zoo through srun (a job step under SLURM)"
srun --mpi=pmix -n 2 "$zoolens" synth --networks 500 --seed 11 --out "$work/zoo.h5" ||
  fail "srun zoolens synth"

# W-stats + ridge only, to keep the test short (analyze's own tests cover the other features).
fast=(--features wstats --estimator ridge)
submit analyze 0 -n 4 --overcommit --time=10 "$scripts/analyze.sbatch" zoo.h5 -- --folds 5 --seed 2 "${fast[@]}"
[ -s "$work/zl-report-$LAST_JOB/report.json" ] || fail "analyze.sbatch wrote no $work/zl-report-$LAST_JOB/report.json"
grep -qE "launcher: srun --mpi=pmix --kill-on-bad-exit=1 .*--ntasks=4 --overcommit" \
  "$work/zl-analyze-$LAST_JOB.out" ||
  fail "analyze.sbatch did not launch with srun --mpi=pmix --kill-on-bad-exit=1 --overcommit"
grep -q "oversubscribed=1" "$work/zl-analyze-$LAST_JOB.out" || fail "analyze.sbatch missed the oversubscription"

# train-array: only with a zoolens that has 'train' and data to train on.
has_train=0
srun --mpi=pmix -n 1 "$zoolens" --help 2>/dev/null | grep -qE '^[[:space:]]+train[[:space:]]' && has_train=1
data="" dataset=""
if [ -d /usr/share/datasets/fashion-mnist ]; then
  data=/usr/share/datasets/fashion-mnist dataset=fashion_mnist
elif [ -d "$src/../shared/data/mnist" ]; then
  data=$(realpath "$src/../shared/data/mnist") dataset=mnist
fi
if [ "$has_train" = 0 ]; then
  echo
  echo "== train-array: SKIPPED: this zoolens has no 'train' command yet"
elif [ -z "$data" ]; then
  echo
  echo "== train-array: SKIPPED: no Fashion-MNIST or MNIST idx files to train on"
else
  export ZL_DATASET=$dataset ZL_DATA=$data ZL_RUNS=6 ZL_CHECKPOINTS=0,1 ZL_SEED=5
  # First submission crashes each task after its first run (train --stop-after 1): .part files.
  submit "train-array, crashing after 1 run per task" 1 --array=0-1 -n 1 --time=10 \
    "$scripts/train-array.sbatch" -- --stop-after 1
  n_part=$(find "$work/zoo-$dataset-cnn-s5" -name '*.h5.part' 2>/dev/null | wc -l)
  [ "$n_part" -eq 2 ] || fail "train-array: expected 2 interrupted .part files, found $n_part"
  ls -l "$work/zoo-$dataset-cnn-s5"
  submit "train-array resubmitted (resumes the .part files)" 0 --array=0-1 -n 1 --time=10 \
    "$scripts/train-array.sbatch"
  grep -q "resuming the interrupted" "$work"/zl-train-"$LAST_JOB"_0.out || fail "task 0 did not resume"
  n_files=$(find "$work/zoo-$dataset-cnn-s5" -name '*.h5' 2>/dev/null | wc -l)
  [ "$n_files" -eq 2 ] || fail "train-array: expected 2 zoo files, found $n_files"
  ls -l "$work/zoo-$dataset-cnn-s5"
  submit "train-array resubmitted again (files complete: tasks skip)" 0 --array=0-1 -n 1 --time=10 \
    "$scripts/train-array.sbatch"
  grep -q "complete already" "$work"/zl-train-"$LAST_JOB"_0.out || fail "resubmitted task 0 did not skip"
  submit "analyze the array's files as one zoo (a directory argument)" 0 -n 2 --time=10 \
    "$scripts/analyze.sbatch" "zoo-$dataset-cnn-s5/" -- --folds 3 "${fast[@]}"
  unset ZL_DATASET ZL_DATA ZL_RUNS ZL_CHECKPOINTS ZL_SEED
fi

# nightly: a small fixed configuration; train when possible (auto), else synth.
export ZL_NIGHTLY_DIR=$work/nightly ZL_NETWORKS=400 ZL_RUNS=6 ZL_CHECKPOINTS=0,1 ZL_FOLDS=3 ZL_SEED=1 \
  ZL_ANALYZE_ARGS="${fast[*]}"
[ -z "$data" ] || export ZL_DATASET=$dataset ZL_DATA=$data
submit "nightly #1 (no golden: installs it)" 0 -n 2 --time=10 "$scripts/nightly.sbatch"
grep -q "INSTALLED" "$work/zl-nightly-$LAST_JOB.out" || fail "nightly #1 did not install the golden"
# The second run launches with mpirun inside the allocation (the fallback without PMIx in srun):
# the same ranks must reproduce the golden the srun run made.
ZL_LAUNCHER=mpirun submit "nightly #2 (launcher mpirun; must reproduce)" 0 -n 2 --time=10 \
  "$scripts/nightly.sbatch"
grep -qE "launcher: mpirun .*--allow-run-as-root.* -n 2" "$work/zl-nightly-$LAST_JOB.out" ||
  fail "nightly #2 did not launch with mpirun --allow-run-as-root -n 2"
grep -q "REPRODUCED" "$work/zl-nightly-$LAST_JOB.out" || fail "nightly #2 did not report REPRODUCED"

golden=$(find "$work/nightly/golden" -name report.json | head -n 1)
echo
echo "== perturbing the golden $golden"
"$py" - "$golden" <<'EOF'
import json, sys
path = sys.argv[1]
with open(path) as f:
    report = json.load(f)
result = report["results"][0]
field = next(k for k in ("r2", "rmse", "kendall_tau", "lambda") if isinstance(result.get(k), (int, float)))
old = result[field]
result[field] = old + 0.05 * max(1.0, abs(old))
with open(path, "w") as f:
    json.dump(report, f, indent=2)
print(f"golden results[0].{field}: {old!r} -> {result[field]!r}")
EOF
submit "nightly #3 (perturbed golden: must drift)" 1 -n 2 --time=10 "$scripts/nightly.sbatch"
grep -q "DRIFT" "$work/zl-nightly-$LAST_JOB.out" || fail "nightly #3 did not report DRIFT"
grep -q "^drift: " "$work/zl-nightly-$LAST_JOB.out" || fail "nightly #3 did not print what drifted"
echo "-- history.tsv:"
sed 's/^/   /' "$work/nightly/history.tsv"

echo
echo "== summary of the jobs (scontrol show job)"
for id in "${jobs[@]}"; do
  while read -r line; do
    echo "   $(fields 'JobId|ArrayTaskId|JobName|JobState|ExitCode|NumTasks' <<<"$line")"
  done < <(scontrol -o show job "$id" 2>/dev/null || true)
done
if [ "$failures" -ne 0 ]; then
  echo "test_slurm: $failures check(s) FAILED"
  exit 1
fi
echo "test_slurm: all SLURM job checks passed"
