#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The proof that a hash algorithm is its own file plus one registry line:
# vigil-testalgos is vigil built with tests/algo_ahash.c registered (CMake
# option VIGIL_TEST_ALGOS), and ahash8 flows through `vigil hash --json`,
# a list import (guessed from its 16 hex digits), `vigil match` (a scan
# within its threshold) and a crawl's detections and media_hashes, with no
# other change.  The built-ins' output stays byte-identical to vigil's.
# Usage: test_algo_registry.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
TV=$(dirname "$VIGIL")/vigil-testalgos
if [ ! -x "$TV" ]; then
  echo "ok - skipped: built without VIGIL_TEST_ALGOS"
  finish; exit
fi
FIX="$ROOT/tests/fixtures"
T=$(mktemp -d)
cleanup() {
  bash "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
PHOTO="$ROOT/samples/seeding.jpg"
OTHER="$ROOT/samples/trout.png"

# --- vigil hash --json: the new key, the rest as vigil prints it
"$TV" hash --json "$ROOT/samples" >"$T/t.jsonl"
"$VIGIL" hash --json "$ROOT/samples" >"$T/v.jsonl"
check "hash --json has ahash8 (16 hex digits) for every image" \
  python3 -c 'import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 5 and all(re.fullmatch("[0-9a-f]{16}", r["ahash8"]) for r in rows)' "$T/t.jsonl"
check "without ahash8 the output is vigil's, byte for byte" \
  bash -c "sed 's/,\"ahash8\":\"[0-9a-f]*\"//' '$T/t.jsonl' | cmp -s - '$T/v.jsonl'"
check "CSV output is vigil's" \
  bash -c "cmp -s <('$TV' hash '$ROOT/samples') <('$VIGIL' hash '$ROOT/samples')"

# --- a list of ahash8 values: the photo's with one bit flipped
AH=$("$TV" hash --json "$PHOTO" | python3 -c 'import json, sys; print(json.load(sys.stdin)["ahash8"])')
NEAR=$(python3 -c "import sys; print('%016x' % (int('$AH', 16) ^ 1))")
echo "$NEAR" >"$T/list.txt"
DB="$T/v.db"
"$TV" lists create near --category test --db "$DB" >/dev/null
check "lists import takes a 16-hex line as ahash8" \
  bash -c "'$TV' lists import near '$T/list.txt' --db '$DB' >/dev/null"
check "the entry is stored as ahash8" \
  test "$(sqlite3 "$DB" "SELECT algo || ':' || hex(value) FROM list_entries")" = "ahash8:${NEAR^^}"
check "lists export writes it back" \
  bash -c "'$TV' lists export near --format jsonl --db '$DB' | grep -q '\"algorithm\":\"ahash8\"'"
check "plain vigil refuses the 16-hex line" \
  bash -c "! '$VIGIL' lists import near '$T/list.txt' --db '$T/plain.db' >/dev/null 2>&1"

# --- vigil match: a scan within the threshold
"$TV" match --db "$DB" --json "$PHOTO" "$OTHER" >"$T/match.jsonl"
check "match finds the photo by ahash8 at distance 1, not the other" \
  python3 -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
m = rows[0]["matches"]
assert len(m) == 1 and m[0]["algo"] == "ahash8" and m[0]["distance"] == 1, rows[0]
assert not rows[1].get("matches"), rows[1]' "$T/match.jsonl"

# --- a crawl: detections by ahash8, the value in media_hashes
mkdir -p "$T/www"
cp "$PHOTO" "$T/www/a.jpg"
cp "$OTHER" "$T/www/b.png"
printf '<html><body><img src="a.jpg"><img src="b.png"></body></html>\n' \
  >"$T/www/index.html"
PORT=$(bash "$FIX/nginx_site.sh" start "$T/www" "$T/ng" | awk '/^PORT/ {print $2}')
if [ -z "$PORT" ]; then
  bad "starting nginx"
else
  "$TV" crawl --db "$DB" --seed "http://127.0.0.1:$PORT/index.html" \
    --max-depth 2 --allow-private --delay 0 --quiet --json >/dev/null 2>&1
  "$TV" detections --db "$DB" --json >"$T/det.jsonl"
  check "the crawl detects a.jpg by ahash8" \
    python3 -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 1 and rows[0]["url"].endswith("/a.jpg"), rows
assert rows[0]["algo"] == "ahash8" and rows[0]["distance"] == 1, rows' "$T/det.jsonl"
  check "media_hashes holds both images' ahash8" \
    test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM media_hashes WHERE algo = 'ahash8' AND length(value) = 8")" -eq 2
fi
finish
