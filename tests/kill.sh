#!/bin/sh
# Killed processes (issue 11, item 4): `kill -9` of rank RANK of a 2-rank job while it works. The
# job must end with a non-zero status within 10 s and leave nothing that looks complete; a killed
# train must leave its .part, which a rerun resumes to the same bytes as an uninterrupted run.
# Prints the seconds from the kill to the end of the job.
# usage: kill.sh analyze ZOOLENS RANK ZOO LAUNCHER...
#        kill.sh train ZOOLENS RANK DATA_DIR LAUNCHER...
set -u
what=$1 zl=$2 rank=$3 input=$4
shift 4
. "$(dirname "$0")/fail_lib.sh"

# The pid of rank $2 among the descendants of process $1: the launcher's children (Open MPI), or
# their children (MPICH's hydra proxy). The rank is read from the environment the launcher set.
rank_pid() {
  for c in $(ps -o pid= --ppid "$1"); do
    for p in $c $(ps -o pid= --ppid "$c"); do
      if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null |
        grep -qxE "(OMPI_COMM_WORLD_RANK|PMI_RANK)=$2"; then
        echo "$p"
        return
      fi
    done
  done
}

# Waits up to 60 s for the shell test $1 to succeed while the job (pid $job) runs.
wait_for() {
  i=0
  while ! eval "$1"; do
    kill -0 "$job" 2>/dev/null || { echo "FAIL: the job ended before: $1"; exit 1; }
    i=$((i + 1))
    [ $i -lt 600 ] || { echo "FAIL: no progress in 60 s: $1"; kill -9 "$job"; exit 1; }
    sleep 0.1
  done
}

# Kills rank $rank of the job (pid $job) and checks how it ends; $name names the case.
kill_rank() {
  kill -0 "$job" 2>/dev/null || { echo "FAIL: $name: the job ended before the kill"; exit 1; }
  victim=$(rank_pid "$job" "$rank")
  [ -n "$victim" ] || { echo "FAIL: rank $rank of launcher $job not found"; kill -9 "$job"; exit 1; }
  t0=$(date +%s.%N)
  kill -9 "$victim"
  # A hang must fail, not stall ctest: the launcher gets 30 s, then is killed.
  i=0
  while kill -0 "$job" 2>/dev/null && [ $i -lt 300 ]; do
    i=$((i + 1))
    sleep 0.1
  done
  t=$(since "$t0")
  kill -9 "$job" 2>/dev/null
  wait "$job"
  got=$?
  echo "$name: rank $rank (pid $victim) killed; the job ended with status $got after ${t}s"
  [ "$got" -ne 0 ] || fail "$name: exit status 0 after a rank was killed"
  [ "$(echo "$t < 10" | bc)" -eq 1 ] || fail "$name: took ${t}s (limit 10 s)"
  no_crash "$name" "$name.err"
}

case $what in
analyze)
  name=kill_analyze_r$rank
  rm -rf "$name"
  "$@" "$zl" analyze "$input" --out "$name" --rff-features 64 >"$name.out" 2>"$name.err" &
  job=$!
  # Killed once the first estimator's plot is written: features done, seven estimators to go.
  wait_for 'ls "$name"/pred_*.svg >/dev/null 2>&1'
  kill_rank
  # A killed rank 0 cannot remove its predictions.h5.part; the name says it is unfinished, and a
  # rerun into the same directory replaces it.
  none_left "$name" "$name/report.json" "$name/report.md" "$name/predictions.h5"
  "$@" "$zl" analyze "$input" --out "$name" --features wstats --estimator ridge >/dev/null \
    2>"$name.rerun" || fail "$name: the rerun failed"
  [ -f "$name/report.json" ] || fail "$name: the rerun wrote no report.json"
  none_left "$name" "$name/predictions.h5.part"
  ;;
train)
  name=kill_train_r$rank
  opts="--dataset mnist --data $input --runs 16 --checkpoints 0,1,2 --train-limit 1000 --test-limit 400 --batch-size 64 --seed 5"
  ref=$name.ref.h5 out=$name.h5
  rm -f "$ref" "$out" "$out.part"
  # The uninterrupted run, timed from its .part's creation (the data loaded) to its end.
  # shellcheck disable=SC2086 # the options are meant to be split into words
  "$@" "$zl" train $opts --out "$ref" >/dev/null 2>&1 &
  job=$!
  wait_for '[ -e "$ref.part" ]'
  t0=$(date +%s.%N)
  wait "$job" || { echo "the uninterrupted run failed"; exit 1; }
  part=$(echo "$(since "$t0") * 0.4" | bc -l)
  # shellcheck disable=SC2086
  "$@" "$zl" train $opts --out "$out" >"$name.out" 2>"$name.err" &
  job=$!
  # Killed well before the end, with some runs marked complete and others being trained or written.
  wait_for '[ -e "$out.part" ]'
  sleep "$part"
  kill_rank
  none_left "$name" "$out"
  [ -f "$out.part" ] || fail "$name: no $out.part to resume"
  # shellcheck disable=SC2086
  "$@" "$zl" train $opts --out "$out" >/dev/null 2>"$name.resume" || fail "$name: the rerun failed"
  echo "$name: rerun: $(grep resuming "$name.resume")"
  cmp "$out" "$ref" || fail "$name: the resumed zoo is not the same bytes as the uninterrupted one"
  ;;
*)
  echo "kill.sh: '$what' is not analyze or train"
  exit 2
  ;;
esac
[ $status -eq 0 ] || cat "$name.err"
exit $status
