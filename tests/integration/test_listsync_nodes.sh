#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Matching nodes see list changes made by another process on the same
# store, without a reload (issue 14, hash/match workers), on one SQLite
# file: `vigil serve` matching through its intake (a report's URL crawled,
# its image matched) while `vigil lists` runs beside it.  An entry
# quarantined stops matching within 1 s; an import of 100,000 PDQ hashes
# (random ones and one test photo's) matches within 5 s; a long `vigil
# crawl` picks up a list enabled while it runs.  The measured delays are
# printed: from the `vigil lists` command's return (its commit) to the
# node's log line saying it applied the change, and the node's own figure
# (commit to applied, from the change log's time).
# Usage: test_listsync_nodes.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1; DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
FIX="$ROOT/tests/fixtures"
T=$(mktemp -d)
PID=; CPID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  [ -n "$CPID" ] && kill "$CPID" 2>/dev/null
  bash "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
store_init "$T/vigil.db"
PHOTO="$DATA/photos/0001.jpg"
c() { curl -s --noproxy '*' --max-time 20 "$@"; }
ms() { echo $(($(date +%s%N) / 1000000)); }

# the site: pages p1..p3 (reported) and c1..c6 (a chain for `vigil
# crawl`), each showing its own copy of the photo
mkdir -p "$T/www"
for i in 1 2 3; do
  cp "$PHOTO" "$T/www/i$i.jpg"
  echo "<html><body><img src=\"i$i.jpg\"></body></html>" >"$T/www/p$i.html"
done
for i in 1 2 3 4 5 6; do
  cp "$PHOTO" "$T/www/ci$i.jpg"
  echo "<html><body><img src=\"ci$i.jpg\"><a href=\"c$((i + 1)).html\">next</a></body></html>" >"$T/www/c$i.html"
done
PORT_SITE=$(bash "$FIX/nginx_site.sh" start "$T/www" "$T/ng" | awk '/^PORT/ {print $2}')
[ -n "$PORT_SITE" ] || { echo "not ok - starting nginx"; exit 1; }
SITE="http://127.0.0.1:$PORT_SITE"

"$VIGIL" hash --json "$PHOTO" >"$T/photo.jsonl"
PDQ=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["pdq"])' "$T/photo.jsonl")
echo "$PDQ" >"$T/known.txt" # its PDQ only: a digest would match it too
"$VIGIL" lists create known --category test --db "$DB" >/dev/null
"$VIGIL" lists import known "$T/known.txt" --algo pdq --db "$DB" >/dev/null
EID=$(sqlite3 "$DB" "SELECT id FROM list_entries WHERE algo = 'pdq'")
KEY=$("$VIGIL" apikeys add "Partner" --db "$DB" | tail -1)

# serve with its crawl of reported URLs (serve_start turns it off)
"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --rate-limit 0 --allow-private "${SERVE_KEY[@]}" \
  >"$T/serve.out" 2>"$T/serve.err" &
PID=$!
PORT=
for _ in $(seq 600); do
  PORT=$(sed -n 's|^vigil: serving on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/serve.out")
  [ -n "$PORT" ] && break
  kill -0 "$PID" 2>/dev/null || break
  sleep 0.05
done
check "serving, crawling reported URLs" test -n "$PORT"

report() { # report PAGE: a report of $SITE/PAGE through the API
  c -X POST "http://127.0.0.1:$PORT/api/v1/reports" \
    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d "{\"incident_type\":\"csam\",\"technology\":\"website\",\"urls\":[\"$SITE/$1\"],\"description\":\"test\"}" \
    -o /dev/null -w '%{http_code}'
}
sighted() { # sighted IMAGE: seen by a crawl (waits up to 30 s)
  for _ in $(seq 300); do
    [ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM sightings g JOIN urls u ON u.id = g.url_id WHERE u.url = '$SITE/$1'")" -gt 0 ] && return 0
    sleep 0.1
  done
  return 1
}
matched_by() { # matched_by IMAGE: the lists its detections name
  sqlite3 "$DB" "SELECT DISTINCT l.name FROM detections d JOIN sightings g ON g.id = d.sighting_id JOIN urls u ON u.id = g.url_id JOIN hash_lists l ON l.id = d.list_id WHERE u.url = '$SITE/$1'"
}
applied() { # applied FILE: the log lines saying changes were applied
  grep -c 'lists: [0-9]* changes* applied' "$1"
}
# wait_applied FILE BEFORE MIN_ENTRIES: until FILE has a line applying a
# change beyond the BEFORE first, with at least MIN_ENTRIES entries held;
# prints the milliseconds waited and the node's own figure
wait_applied() {
  local t0 line
  t0=$(ms)
  for _ in $(seq 1000); do
    line=$(grep 'lists: [0-9]* changes* applied' "$1" | tail -n +$(($2 + 1)) |
      awk -v min="$3" '{ n = $0; sub(/.*\(/, "", n); sub(/ entries.*/, "", n); if (n + 0 >= min) print }' | tail -1)
    if [ -n "$line" ]; then
      echo "$(($(ms) - t0)) $(echo "$line" | sed -n 's/.*the last \([0-9]*\) ms after.*/\1/p')"
      return 0
    fi
    sleep 0.01
  done
  return 1
}

# 1. the photo matches the known list through the intake
check "a report: 201" test "$(report p1.html)" = 201
check "  its image crawled" sighted i1.jpg
check "  and matched by the list known" test "$(matched_by i1.jpg)" = known

# 2. the entry quarantined by another process: the node stops matching it
N=$(applied "$T/serve.err")
"$VIGIL" lists disable known --entry "$EID" --db "$DB" >/dev/null
read -r WAITED LAG < <(wait_applied "$T/serve.err" "$N" 0)
echo "# entry disabled: applied by serve ${WAITED:-?} ms after the command returned (node: ${LAG:-?} ms after the commit)"
check "  applied by the serving node within 1 s" test "${WAITED:-9999}" -lt 1000
check "a report of the photo again: 201" test "$(report p2.html)" = 201
check "  its image crawled" sighted i2.jpg
check "  and matched by nothing" test -z "$(matched_by i2.jpg)"

# 3. 100,000 random PDQ hashes and the photo's imported by another process
python3 - "$T/big.txt" "$PDQ" <<'EOF'
import random, sys
r = random.Random(14)
lines = ["%064x" % r.getrandbits(256) for _ in range(100000)]
lines.insert(r.randrange(len(lines)), sys.argv[2])
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
"$VIGIL" lists create big --category test --db "$DB" >/dev/null
HELD=$(grep 'lists: [0-9]* changes* applied' "$T/serve.err" | tail -1 | sed -n 's/.*(\([0-9]*\) entries).*/\1/p')
N=$(applied "$T/serve.err")
T0=$(ms)
"$VIGIL" lists import big "$T/big.txt" --algo pdq --db "$DB" >/dev/null
T1=$(ms)
read -r WAITED LAG < <(wait_applied "$T/serve.err" "$N" $((${HELD:-1} + 100001)))
echo "# import of 100001 hashes: $((T1 - T0)) ms to import; applied by serve ${WAITED:-?} ms after the command returned (node: ${LAG:-?} ms after the commit)"
check "  applied by the serving node within 5 s" test "${WAITED:-9999}" -lt 5000
check "  as one change" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM list_changes WHERE kind = 'import' AND list_id = (SELECT id FROM hash_lists WHERE name = 'big')")" -eq 1
check "a report of the photo again: 201" test "$(report p3.html)" = 201
check "  its image crawled" sighted i3.jpg
check "  and matched by the list big" test "$(matched_by i3.jpg)" = big

# 4. a long `vigil crawl` (a chain of 6 pages, 700 ms between requests):
# big disabled at its start, enabled once its first image was seen
"$VIGIL" lists disable big --db "$DB" >/dev/null
"$VIGIL" crawl --db "$DB" --seed "$SITE/c1.html" --allow-private --delay 700 \
  --max-depth 10 >"$T/crawl.out" 2>"$T/crawl.err" &
CPID=$!
check "vigil crawl: its first image seen" sighted ci1.jpg
N=$(applied "$T/crawl.err")
"$VIGIL" lists enable big --db "$DB" >/dev/null
read -r WAITED LAG < <(wait_applied "$T/crawl.err" "$N" 0)
echo "# list enabled: applied by vigil crawl ${WAITED:-?} ms after the command returned (node: ${LAG:-?} ms after the commit)"
check "  applied by the crawl within 1 s" test "${WAITED:-9999}" -lt 1000
wait "$CPID"
check "  the crawl ended well" test $? -eq 0
CPID=
check "  the first image matched nothing (big was off)" test -z "$(matched_by ci1.jpg)"
check "  the last image matched by big (on by then)" test "$(matched_by ci6.jpg)" = big

kill "$PID"
wait "$PID"
check "serve stopped cleanly" test $? -eq 0
PID=
finish
