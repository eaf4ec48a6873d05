#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The crawler's memory under attack: the hostile server on 64 host names
# (h0.localhost ... h63.localhost, which libcurl resolves to the loopback
# itself), each a page whose "images" are a gzip bomb, an endless body, a
# photo and the same photo gzip-encoded, all fetched at once.  With
# --max-inflight-bytes 32M the crawl's peak RSS stays under the budget plus
# 64 MiB, the crawl finishes, and every URL has its state and reason; the
# gzip-encoded photo, paused and resumed on the way, hashes like the photo.
# Usage: test_crawl_budget.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1; DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
FIX="$ROOT/tests/fixtures"
T=$(mktemp -d)
HOSTILE_PID=
cleanup() {
  [ -n "$HOSTILE_PID" ] && kill "$HOSTILE_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

PHOTO="$DATA/photos/0029.jpg" # small: hashing's own memory stays small
python3 "$FIX/hostile_server.py" --photo "$PHOTO" >"$T/hostile.out" 2>/dev/null &
HOSTILE_PID=$!
for _ in $(seq 600); do grep -q '^PORT' "$T/hostile.out" && break; sleep 0.1; done
HP=$(awk '/^PORT/ {print $2}' "$T/hostile.out")
[ -n "$HP" ] || { echo "not ok - starting the hostile server"; exit 1; }
HOSTS=64
for i in $(seq 0 $((HOSTS - 1))); do
  echo "http://h$i.localhost:$HP/bombs.html"
done >"$T/seeds"

BUDGET_MIB=${BUDGET_MIB:-32}
DB="$T/a.db"
# peak RSS of the crawl (KiB) from getrusage, the crawl's own exit status
python3 - "$T/rss" "$VIGIL" crawl --db "$DB" --seeds "$T/seeds" \
  --allow-private --ignore-robots --delay 0 --per-host 4 --timeout 60 \
  --max-inflight-bytes "${BUDGET_MIB}M" --quiet --json -j 1 >"$T/summary.json" <<'EOF2'
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)
EOF2
rc=$?
rss_kib=$(cat "$T/rss")
limit_kib=$(( (BUDGET_MIB + 64) * 1024 ))
check "crawl exits 0" test $rc -eq 0
check "crawl finished" grep -q '"status":"finished"' "$T/summary.json"
if ldd "$VIGIL" 2>/dev/null | grep -q libasan; then
  # ASan's shadow and quarantine are memory of its own: the bound is the
  # release build's to show; here, no sanitizer report and the rest
  ok "peak RSS $((rss_kib / 1024)) MiB (not checked under ASan)"
else
  check "peak RSS $((rss_kib / 1024)) MiB under the budget + 64 MiB ($((limit_kib / 1024)) MiB)" \
    test "$rss_kib" -lt "$limit_kib"
fi

sqlite3 "$DB" "SELECT u.url || ' ' || f.state || ' ' || COALESCE(f.error, '')
               FROM frontier f JOIN urls u ON u.id = f.url_id" >"$T/states"
count() { grep -c -- "$1" "$T/states"; }
want() { # want DESCRIPTION PATTERN: every host's URL in that state
  local n; n=$(count "$2")
  [ "$n" -eq "$HOSTS" ] || { echo "    $n of $HOSTS match '$2'"; grep -v -- "$2" "$T/states" | grep -- "${2%% *}" | head -3 | sed 's/^/      /'; return 1; }
}
check "every page done" want "pages" "/bombs.html done $"
check "every gzip bomb: too-large, after decompression" want "bombs" "/bomb.jpg failed too-large: body over the"
check "every endless image: too-large" want "endless" "/huge.jpg failed too-large: body over the"
check "every photo done" want "photos" "/photo.jpg done"
check "every gzip-encoded photo done" want "gz photos" "/photo.jpg.gz done"
check "nothing left queued or leased" test "$(grep -c -v ' done \| failed ' "$T/states")" -eq 0
check "no URL without a state: $((HOSTS * 5)) in all" test "$(wc -l <"$T/states")" -eq $((HOSTS * 5))
# the gzip-encoded photo, held back and resumed, decoded to the same bytes
check "the gzip-encoded photos hashed as the photo" python3 - "$DB" "$PHOTO" <<'EOF2'
import hashlib, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
want = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
rows = con.execute("SELECT hex(m.sha256) FROM sightings s JOIN urls u ON u.id = s.url_id"
                   " JOIN media m ON m.id = s.media_id WHERE u.url LIKE '%.gz'").fetchall()
bad = [r[0] for r in rows if r[0].lower() != want]
print("    %d sightings of the gzip-encoded photo, %d differ" % (len(rows), len(bad)))
sys.exit(0 if len(rows) == 64 and not bad else 1)
EOF2

finish
