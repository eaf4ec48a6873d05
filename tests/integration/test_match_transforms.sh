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
check "have $N photos" test "$(ls "$T/known" | wc -l)" -eq "$N"
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
"$VIGIL" match --json --db "$DB" "$T/copies" >"$T/out"
check "every copy answered" test "$(wc -l <"$T/out")" -eq $((N * 5))
check "each copy matches its original's entry and nothing else" python3 - "$T/out" <<'PY'
import json, os, sys
bad = []
for line in open(sys.argv[1]):
    o = json.loads(line)
    orig = os.path.basename(o["path"]).split(".")[0]
    got = sorted(os.path.basename(m["metadata"]).split(".")[0] for m in o["matches"])
    if got != [orig]:
        bad.append((os.path.basename(o["path"]), got))
for b in bad:
    print("  mismatch:", b)
sys.exit(1 if bad else 0)
PY
check "rotations matched through a dihedral variant" bash -c \
  "grep '\.rot90\.png' '$T/out' | grep -vc '\"variant\":\"rot90\"' | grep -qx 0"
check "mirrors (left-right) matched through flipy, PDQ's name" bash -c \
  "grep '\.mirror\.png' '$T/out' | grep -vc '\"variant\":\"flipy\"' | grep -qx 0"
"$VIGIL" match --json --db "$DB" "$T/known" >"$T/self"
check "distinct photos match only themselves" python3 - "$T/self" <<'PY'
import json, os, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    got = [os.path.basename(m["metadata"]) for m in o["matches"]]
    assert got == [os.path.basename(o["path"])], (o["path"], got)
PY
finish
