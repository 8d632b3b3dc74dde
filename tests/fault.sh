#!/bin/sh
# Injected faults (issue 11, item 3; ZL_FAULT, mpi/zl_comm.h): rank RANK of a 2-rank job fails in
# PHASE. The job must end within 10 s with exit status 1 and one line naming the phase, the rank
# and the cause, crash nothing, and leave no complete-looking output: no report or predictions.h5
# from analyze; from train no zoo, only the .part, which a rerun resumes to the same bytes as REF,
# an uninterrupted run's zoo ("-" for analyze).
# usage: fault.sh ZOOLENS RANK PHASE REF "COMMAND ARGS" LAUNCHER...   (--out is added here)
set -u
zl=$1 rank=$2 phase=$3 ref=$4 args=$5
shift 5
. "$(dirname "$0")/fail_lib.sh"
name=fault_r${rank}_$phase
want="$phase: fault injected by ZL_FAULT=$rank:$phase"
[ "$rank" -eq 0 ] || want="$want (rank $rank)"
want="$want\$"
case $args in
analyze*)
  rm -rf "$name"
  # shellcheck disable=SC2086 # the arguments are meant to be split into words
  ZL_FAULT=$rank:$phase expect_fail "$name" "$want" "$@" "$zl" $args --out "$name"
  for f in report.json report.md report.json.tmp report.md.tmp predictions.h5 predictions.h5.part; do
    none_left "$name" "$name/$f"
  done
  ;;
train*)
  rm -f "$name.h5" "$name.h5.part"
  # shellcheck disable=SC2086
  ZL_FAULT=$rank:$phase expect_fail "$name" "$want" "$@" "$zl" $args --out "$name.h5"
  none_left "$name" "$name.h5"
  [ -f "$name.h5.part" ] || fail "$name: no $name.h5.part to resume"
  # shellcheck disable=SC2086
  "$@" "$zl" $args --out "$name.h5" >/dev/null 2>"$name.resume" || fail "$name: the rerun failed"
  echo "$name: rerun: $(grep resuming "$name.resume")"
  cmp "$name.h5" "$ref" || fail "$name: the resumed zoo is not the same bytes as $ref"
  ;;
*)
  echo "fault.sh: '$args' is not an analyze or train command"
  exit 2
  ;;
esac
exit $status
