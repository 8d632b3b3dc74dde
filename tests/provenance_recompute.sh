#!/bin/sh
# Recomputes zoolens checksums with coreutils alone, exactly as README.md ("Checksums of the
# inputs") tells users to, and compares them with zoolens's. Exit 77 (skip) when a tool is missing.
# usage: provenance_recompute.sh PIECE DIGESTS   lines "hex  path" (sha256sum's format)
#        provenance_recompute.sh PIECE REPORT.json PYTHON   every inputs[].files[] of a report
set -u
piece=$1
list=$2
for t in split sha256sum cut tr basenc; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not found (coreutils)"; exit 77; }
done
case $list in
*.json)
  pairs=$(mktemp)
  trap 'rm -f "$pairs"' EXIT
  "$3" -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert all(i["checksum"] == "sha256 of the sha256 of each 64 MiB piece" for i in r["inputs"])
for i in r["inputs"]:
    for f in i["files"]:
        print(f["sha256"] + "  " + f["path"])' "$list" >"$pairs" || exit 1
  list=$pairs ;;
esac
status=0
n=0
while read -r want path; do
  got=$(split -b "$piece" --filter='sha256sum | cut -c1-64 | tr a-f A-F | basenc --base16 -d' \
    "$path" | sha256sum | cut -c1-64)
  n=$((n + 1))
  if [ "$got" != "$want" ]; then
    echo "$path: zoolens $want, coreutils $got"
    status=1
  fi
done <"$list"
[ "$n" -gt 0 ] || { echo "no digests in $2"; exit 1; }
echo "$n digests recomputed with split -b $piece"
exit "$status"
