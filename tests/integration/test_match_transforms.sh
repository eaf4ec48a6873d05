#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What a hotline relies on: copies of a known photo made with ImageMagick
# (resized, re-compressed, cropped a little, rotated, mirrored) match that
# photo's list entry, and only it; the other photos match nothing but
# their own entry.  Photos from tests/data/photos.
# Usage: test_match_transforms.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1; DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
DB="$T/vigil.db"
N=${MATCH_TRANSFORM_PHOTOS:-12}

mkdir -p "$T/known" "$T/copies"
# every other full-size camera photo (the JPEGs); the 320-pixel thumbnails
# lose too much when halved again, which bench/RESULTS.md measures
# (scaled to 1024 pixels first, to keep the test quick)
ls "$DATA/photos"/*.jpg | awk 'NR % 2 == 1' | head -n "$N" | while read -r p; do
  convert "$p" -resize '1024x1024>' -quality 92 "$T/known/$(basename "$p")" 2>/dev/null
done
check "have $N photos (at least one)" bash -c "[ $N -gt 0 ] && [ \$(ls '$T/known' | wc -l) -eq $N ]"
"$VIGIL" lists create known --db "$DB" >/dev/null
"$VIGIL" hash "$T/known" >"$T/known.csv"
"$VIGIL" lists import known "$T/known.csv" --db "$DB" >/dev/null
check "imported" test "$("$VIGIL" lists show known --json --db "$DB" | grep -o '"entries":[0-9]*')" = "\"entries\":$N"

for p in "$T/known"/*; do
  b=$(basename "$p"); b=${b%.*}
  {
    convert "$p" -resize 50% "$T/copies/$b.half.jpg"
    convert "$p" -quality 40 "$T/copies/$b.q40.jpg"
    # a little: 1 % off each side (bench/RESULTS.md has larger crops)
    convert "$p" -gravity center -crop 98%x98%+0+0 +repage "$T/copies/$b.crop.jpg"
    convert "$p" -rotate 90 "$T/copies/$b.rot90.png"
    convert "$p" -flop "$T/copies/$b.mirror.png"
  } 2>/dev/null
done
check "have $((N * 5)) copies" test "$(ls "$T/copies" | wc -l)" -eq $((N * 5))
"$VIGIL" match --json --db "$DB" "$T/copies" >"$T/out"
check "vigil match: exit 1, since copies matched" test $? -eq 1
check "every copy answered" test "$(wc -l <"$T/out")" -eq $((N * 5))
# each check counts what it looked at and fails on fewer than expected
check "each copy matches its original's entry and nothing else" python3 - "$T/out" $((N * 5)) <<'PY'
import json, os, sys
bad, seen = [], 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    seen += 1
    orig = os.path.basename(o["path"]).split(".")[0]
    got = sorted(os.path.basename(m["metadata"]).split(".")[0] for m in o["matches"])
    if got != [orig]:
        bad.append((os.path.basename(o["path"]), got))
for b in bad:
    print("  mismatch:", b)
print("  %d copies checked" % seen)
sys.exit(1 if bad or seen != int(sys.argv[2]) else 0)
PY
check "all $N rotations matched through a dihedral variant" test \
  "$(grep '\.rot90\.png' "$T/out" | grep -c '"variant":"rot90"')" -eq "$N"
check "all $N mirrors (left-right) matched through flipy, PDQ's name" test \
  "$(grep '\.mirror\.png' "$T/out" | grep -c '"variant":"flipy"')" -eq "$N"
"$VIGIL" match --json --db "$DB" "$T/known" >"$T/self"
check "vigil match on the originals: exit 1" test $? -eq 1
check "distinct photos match only themselves" python3 - "$T/self" "$N" <<'PY'
import json, os, sys
seen = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    got = [os.path.basename(m["metadata"]) for m in o["matches"]]
    assert got == [os.path.basename(o["path"])], (o["path"], got)
    seen += 1
assert seen == int(sys.argv[2]), "%d photos checked" % seen
PY
mkdir "$T/other"
convert -size 64x64 gradient:navy-orange "$T/other/unknown.png"
"$VIGIL" match --db "$DB" "$T/other" >"$T/none"
check "a photo not on the list: exit 0, no-known-match" bash -c "[ $? -eq 0 ] && grep -q 'unknown.png: no-known-match' '$T/none'"
finish
