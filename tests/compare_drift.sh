#!/bin/sh
# zoolens compare on a real report: identical -> 0 even at tolerance 0; a perturbed score -> 1 with
# a "drift:" line naming it; a removed result -> 1 "missing:"; an unreadable report -> 2 and one
# error line. Serial. usage: compare_drift.sh ZOOLENS REPORT.json WORKDIR
set -u
zl=$1 rep=$2 dir=$3
fail=0
check() { # expected-code description command...
  want=$1 what=$2
  shift 2
  out=$("$@" 2>&1)
  got=$?
  if [ "$got" -ne "$want" ]; then
    printf 'FAIL %s: exit %s, expected %s\n%s\n' "$what" "$got" "$want" "$out"
    fail=$((fail + 1))
  fi
  printf '%s\n' "$out" >"$dir/last.out"
}
check 0 "identical at tolerance 0" "$zl" compare "$rep" "$rep" --tolerance 0
# Perturb the first "r2" (the first result's mean score) in its last digits.
sed '0,/"r2": \([-0-9.e]*\)/s//"r2": 0.123456789/' "$rep" >"$dir/perturbed.json"
check 1 "perturbed r2" "$zl" compare "$rep" "$dir/perturbed.json"
grep -q '^drift: .* r2: .* -> 0.123456789' "$dir/last.out" || { echo "FAIL no drift line"; fail=$((fail + 1)); }
/usr/bin/python3 - "$rep" "$dir/fewer.json" <<'PY' || { echo "SKIP part: no python3"; }
import json, sys
r = json.load(open(sys.argv[1]))
r["results"] = r["results"][1:]
json.dump(r, open(sys.argv[2], "w"))
PY
if [ -f "$dir/fewer.json" ]; then
  check 1 "missing result" "$zl" compare "$rep" "$dir/fewer.json"
  grep -q '^missing: ' "$dir/last.out" || { echo "FAIL no missing line"; fail=$((fail + 1)); }
  check 1 "new result" "$zl" compare "$dir/fewer.json" "$rep"
  grep -q '^new: ' "$dir/last.out" || { echo "FAIL no new line"; fail=$((fail + 1)); }
fi
check 2 "unreadable" "$zl" compare "$rep" "$dir/nonexistent.json"
grep -qx "zoolens: $dir/nonexistent.json: cannot read the report: unable to open $dir/nonexistent.json: No such file or directory (line -1)" "$dir/last.out" ||
  { echo "FAIL unreadable message:"; cat "$dir/last.out"; fail=$((fail + 1)); }
check 2 "usage" "$zl" compare "$rep"
[ "$fail" -eq 0 ] && echo "7 passed, 0 failed" || echo "0 passed, $fail failed"
exit "$fail"
