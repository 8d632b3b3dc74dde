#!/bin/sh
# Runs a command that must fail (usually under mpiexec): checks its exit code and that exactly one
# line on stderr starts with "zoolens: " and equals the expected one. The launcher's own lines
# ("mpiexec detected that one or more processes exited with non-zero status", …) are ignored.
# usage: expect_error.sh CODE 'zoolens: <message>' COMMAND [ARGS...]
set -u
code=$1
want=$2
shift 2
err=$(mktemp)
# Every rank exits by itself here, yet Open MPI's launcher, on a non-zero exit, waits its
# SIGTERM-to-SIGKILL grace (1 s by default) before it ends: a second of sleep per bad-input
# test. The fault and kill tests keep the default a user has.
OMPI_MCA_odls_base_sigkill_timeout=${OMPI_MCA_odls_base_sigkill_timeout:-0} "$@" >/dev/null 2>"$err"
got=$?
lines=$(grep '^zoolens: ' "$err")
status=0
if [ "$got" -ne "$code" ]; then
  echo "exit code $got, expected $code"
  status=1
fi
if [ "$lines" != "$want" ]; then
  printf 'error lines:\n%s\nexpected:\n%s\n' "$lines" "$want"
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "--- stderr:"
  cat "$err"
fi
rm -f "$err"
exit "$status"
