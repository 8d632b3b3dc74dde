# Shared checks of the failure tests (fulldisk.sh, fault.sh, kill.sh), sourced by them: a failing
# zoolens job must end within 10 s with exit status 1, exactly one "zoolens: " line naming the file
# or phase and the cause, and no crash; nothing it leaves may look complete.
status=0
fail() { echo "FAIL: $*"; status=1; }

# Seconds since $1 (a `date +%s.%N`), to the millisecond.
since() { echo "$(date +%s.%N) - $1" | bc; }

# Fails NAME when the stderr file $2 reports a crash.
no_crash() {
  if grep -qiE 'segmentation|signal 11|core dumped|infinite loop closing' "$2"; then
    fail "$1: crashed"
  fi
}

# Fails NAME ($1) for each of the files $2... that exists.
none_left() {
  name=$1
  shift
  for f; do [ ! -e "$f" ] || fail "$name: $f left behind"; done
}

# expect_fail NAME WANT COMMAND...: runs a zoolens job (usually under the launcher) and checks
# status 1, the time it took, the one error line (matching the regular expression WANT after
# "zoolens: .*") and crash messages. Prints the seconds the failing job took to end.
expect_fail() {
  name=$1 want=$2
  shift 2
  t0=$(date +%s.%N)
  timeout 30 "$@" >"$name.out" 2>"$name.err"
  got=$?
  t=$(since "$t0")
  echo "$name: exit $got after ${t}s: $(grep '^zoolens: ' "$name.err")"
  [ "$got" -eq 1 ] || fail "$name: exit status $got, expected 1"
  [ "$(echo "$t < 10" | bc)" -eq 1 ] || fail "$name: took ${t}s (limit 10 s)"
  [ "$(grep -c '^zoolens: ' "$name.err")" -eq 1 ] || fail "$name: not exactly one zoolens: line"
  grep -q "^zoolens: .*$want" "$name.err" || fail "$name: the error line does not match '$want'"
  no_crash "$name" "$name.err"
  [ $status -eq 0 ] || cat "$name.err"
}
