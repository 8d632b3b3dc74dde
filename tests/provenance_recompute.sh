#!/bin/sh
# Recomputes zoolens digests with standard tools alone (xxhsum for xxh128, coreutils for the
# rest), exactly as README.md ("Checksums of the inputs") tells users to, and compares them with
# zoolens's. Exit 77 (skip) when a tool is missing.
# usage: provenance_recompute.sh ALG PIECE DIGESTS   lines "hex  path" (sha256sum's format)
#        provenance_recompute.sh ALG PIECE REPORT.json PYTHON   every inputs[].files[] of a report
# ALG: xxh128 (xxhsum -H2, 32 hex digits) or sha256 (sha256sum, 64)
set -u
alg=$1
piece=$2
list=$3
case $alg in
xxh128) hash="xxhsum -H2" width=32 ;;
sha256) hash="sha256sum" width=64 ;;
*) echo "unknown digest $alg"; exit 2 ;;
esac
for t in split ${hash%% *} cut tr basenc; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not found (coreutils, xxhash)"; exit 77; }
done
case $list in
*.json)
  pairs=$(mktemp)
  trap 'rm -f "$pairs"' EXIT
  "$4" -c 'import json, sys
alg = sys.argv[2]
r = json.load(open(sys.argv[1]))
assert all(i["checksum"] == alg + " of the " + alg + " of each 64 MiB piece" for i in r["inputs"])
for i in r["inputs"]:
    for f in i["files"]:
        kind, hex = f["digest"].split(":")
        assert kind == alg, f["digest"]
        assert f["sha256"] == (hex if alg == "sha256" else ""), f["sha256"]
        print(hex + "  " + f["path"])' "$list" "$alg" >"$pairs" || exit 1
  list=$pairs ;;
esac
status=0
n=0
while read -r want path; do
  got=$(split -b "$piece" --filter="$hash | cut -c1-$width | tr a-f A-F | basenc --base16 -d" \
    "$path" | $hash | cut -c1-$width)
  n=$((n + 1))
  if [ "$got" != "$want" ]; then
    echo "$path: zoolens $want, $hash $got"
    status=1
  fi
done <"$list"
[ "$n" -gt 0 ] || { echo "no digests in $3"; exit 1; }
echo "$n $alg digests recomputed with split -b $piece and $hash"
exit "$status"
