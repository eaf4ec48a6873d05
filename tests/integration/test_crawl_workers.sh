#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Crawl workers (docs/FLEET-CRAWL.md) against nginx on 127.0.0.1, all on
# one SQLite file: `vigil crawl --create-only` then three `vigil crawl
# --worker ID` find exactly what one plain `vigil crawl` finds (the sorted
# lists of URLs with their states, of sightings (URL, page, SHA-256) and of
# detections); then three workers of which one is killed with -9 twice
# (and started again) and another frozen (SIGSTOP) past its leases' time
# then thawed (its late results dropped, counted lost) still find the
# same, each sighting and detection once, every URL done or failed and
# none queued or leased; robots.txt is
# fetched once for the fleet; and with --per-host 2 --delay 300 nginx's own
# log shows no more than 2 requests in flight and no two starts closer
# than 300 ms across the three workers (pages slowed by limit_rate so that
# transfers would overlap more without the limit).
# Usage: test_crawl_workers.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1; DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
FIX="$ROOT/tests/fixtures"
T=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  bash "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1
  bash "$FIX/nginx_site.sh" stop "$T/slow" >/dev/null 2>&1
  [ -n "${KEEP:-}" ] && { echo "kept $T"; return; }; rm -rf "$T"
}
trap cleanup EXIT
# the workers' stores: SQLite files, or PostgreSQL databases in the _pg
# run (lib.sh); the plain crawl they are compared with is SQLite's
store_init "$T/w.db"; W=$DB
K=$(db_for "$T/k.db"); P=$(db_for "$T/p.db")

python3 "$FIX/gen_site.py" test "$T/site" --photos "$DATA/photos" >/dev/null ||
  { echo "not ok - generating the site"; exit 1; }
PORT=$(bash "$FIX/nginx_site.sh" start "$T/site/www" "$T/ng" | awk '/^PORT/ {print $2}')
[ -n "$PORT" ] || { echo "not ok - starting nginx"; exit 1; }
BASE="http://127.0.0.1:$PORT"
"$VIGIL" hash --json "$T/site/known"/* >"$T/known.jsonl"
mklist() { # mklist DB
  "$VIGIL" lists create known --category test --db "$1" >/dev/null &&
    "$VIGIL" lists import known "$T/known.jsonl" --db "$1" >/dev/null
}
OPTS=(--seed "$BASE/index.html" --max-depth 3 --allow-private --max-in-flight 4)

# found DB: what a store's crawl 1 found, sorted, one line each
found() {
  sqlite3 "$1" "SELECT 'url', u.url, f.state FROM frontier f JOIN urls u ON
      u.id = f.url_id WHERE f.crawl_id = 1 ORDER BY u.url" &&
  sqlite3 "$1" "SELECT 'sighting', u.url, p.url, hex(m.sha256) FROM sightings g
      JOIN urls u ON u.id = g.url_id LEFT JOIN urls p ON p.id = g.page_url_id
      JOIN media m ON m.id = g.media_id ORDER BY 2, 3, 4" &&
  "$VIGIL" detections --db "$1" --json | python3 -c '
import json, sys
rows = sorted("detection %s %s %s %s %s %s" % (d["url"], d["page_url"], d["sha256"],
              d["entry"], d["algo"], d["variant"]) for d in map(json.loads, sys.stdin))
print("\n".join(rows))'
}
# once DB: no sighting or detection twice, nothing queued or leased
once() {
  [ "$(sqlite3 "$1" "SELECT COUNT(*) - COUNT(DISTINCT url_id) FROM sightings")" -eq 0 ] &&
  [ "$(sqlite3 "$1" "SELECT COUNT(*) FROM (SELECT g.url_id, d.entry_id FROM detections d
      JOIN sightings g ON g.id = d.sighting_id GROUP BY 1, 2 HAVING COUNT(*) > 1) AS twice")" -eq 0 ] &&
  [ "$(sqlite3 "$1" "SELECT COUNT(*) FROM frontier WHERE state NOT IN ('done', 'failed')")" -eq 0 ] &&
  [ "$(sqlite3 "$1" "SELECT COUNT(*) FROM crawl_fetches")" -eq 0 ]
}
worker() { # worker DB N [OPTIONS...]: a worker of crawl 1 in the background
  local db=$1 n=$2; shift 2
  "$VIGIL" crawl --db "$db" --worker 1 --quiet --json "$@" \
    >"$T/w$n.json" 2>"$T/w$n.err" &
  PIDS+=($!)
}
done_count() { sqlite3 "$1" "SELECT COUNT(*) FROM frontier WHERE state IN ('done', 'failed')" 2>/dev/null || echo 0; }

# --- one plain crawl: the reference
mklist "$T/plain.db"
"$VIGIL" crawl --db "$T/plain.db" "${OPTS[@]}" --delay 0 --quiet --json >"$T/plain.json"
check "a plain crawl finishes" grep -q '"status":"finished"' "$T/plain.json"
found "$T/plain.db" >"$T/plain.found"
check "  it found the site's detections" test "$(grep -c '^detection' "$T/plain.found")" -ge 7

# --- three workers
mklist "$W"
"$VIGIL" crawl --db "$W" "${OPTS[@]}" --delay 0 --create-only >"$T/create.out"
check "--create-only: crawl 1 created, nothing fetched" bash -c "grep -qx 'crawl 1 created' '$T/create.out' && [ \$(sqlite3 '$W' \"SELECT COUNT(*) FROM frontier WHERE state = 'queued'\") -eq 1 ]"
sleep 1.2; LOGSTART=$(wc -l <"$T/ng/access.log")
PIDS=(); for n in 1 2 3; do worker "$W" $n; done
rc=0; for p in "${PIDS[@]}"; do wait "$p" || rc=1; done; PIDS=()
check "three workers exit 0, each finished" bash -c "[ $rc -eq 0 ] && [ \$(grep -l '\"status\":\"finished\"' '$T'/w[123].json | wc -l) -eq 3 ] && ! grep -q . '$T'/w[123].err"
echo "    pages fetched by each: $(for n in 1 2 3; do python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["pages"] + d["media"], end=" ")' "$T/w$n.json"; done)"
found "$W" >"$T/w.found"
check "  the same URLs, states, sightings and detections as the plain crawl" diff "$T/plain.found" "$T/w.found"
check "  each once, nothing queued or leased" once "$W"
check "  crawl status: finished" bash -c "'$VIGIL' crawl status --db '$W' 1 | grep -q 'crawl 1: finished'"
sleep 1.2 # nginx flushes its log every second
check "  robots.txt fetched once for the three" test "$(tail -n +$((LOGSTART + 1)) "$T/ng/access.log" | grep -c ' /robots.txt ')" -eq 1

# --- three workers, one killed with -9 twice and started again
mklist "$K"
"$VIGIL" crawl --db "$K" "${OPTS[@]}" --delay 150 --create-only --json >"$T/createk.out"
check "--create-only --json" grep -qx '{"crawl":1}' "$T/createk.out"
TOTAL=$(grep -c '^url' "$T/plain.found")
PIDS=(); for n in 1 2 3; do worker "$K" $n --lease 2; done
KILLED=""; STOPPED=""
wait_done() { for _ in $(seq 500); do [ "$(done_count "$K")" -ge "$1" ] && break; sleep 0.02; done; }
kill_w1() {
  kill -9 "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null
  KILLED+=" $(done_count "$K")"
  worker "$K" 1 --lease 2; PIDS=("${PIDS[-1]}" "${PIDS[@]:1:2}")
}
wait_done 6; kill_w1
wait_done 12; kill_w1
# worker 2 frozen (SIGSTOP) while it holds leases, past their time: the
# others take them; thawed, it finishes them late and must record nothing
# (last: the others may finish the crawl while it sleeps)
# (frozen first, then asked: a lease seen while it is stopped is one it
# cannot have committed; none, and it is thawed and tried again)
wait_done 18
HELD=0
for _ in $(seq 400); do
  kill -STOP "${PIDS[1]}"
  HELD=$(sqlite3 "$K" "SELECT COUNT(*) FROM frontier WHERE state = 'leased' AND lease_owner LIKE '%:${PIDS[1]}:%'" 2>/dev/null)
  [ "${HELD:-0}" -gt 0 ] 2>/dev/null && break
  kill -CONT "${PIDS[1]}"; HELD=0; sleep 0.02
done
STOPPED=$(done_count "$K"); sleep 3.5; kill -CONT "${PIDS[1]}"
check "  worker 2 frozen while it held $HELD lease(s)" test "$HELD" -gt 0
echo "    worker 1 killed with -9 at$KILLED, worker 2 frozen 3.5 s at $STOPPED, of $TOTAL URLs done"
rc=0; for p in "${PIDS[@]}"; do wait "$p" || rc=1; done; PIDS=()
check "  the workers exit 0, finished" bash -c "[ $rc -eq 0 ] && [ \$(grep -l '\"status\":\"finished\"' '$T'/w[123].json | wc -l) -eq 3 ]"
check "  the kills and the freeze came before the end" bash -c "for k in $KILLED $STOPPED; do [ \$k -lt $TOTAL ] || exit 1; done"
echo "    URLs leased more than once: $(sqlite3 "$K" 'SELECT COUNT(*) FROM frontier WHERE attempts > 1')"
check "  the frozen worker's late results dropped (its summary's \"lost\")" python3 -c 'import json,sys; n = json.load(open(sys.argv[1]))["lost"]; print("    lost: %d" % n); sys.exit(0 if n >= 1 else 1)' "$T/w2.json"
found "$K" >"$T/k.found"
check "  the same URLs, states, sightings and detections as the plain crawl" diff "$T/plain.found" "$T/k.found"
check "  each once, every URL done or failed, none queued or leased" once "$K"

# --- politeness across the fleet, from nginx's log: slow pages
mkdir -p "$T/slowsite"
python3 - "$T/slowsite" <<'EOF'
import os, sys
www = sys.argv[1]
pad = "<!-- " + "x" * 150000 + " -->\n"
links = "".join('<a href="p%d.html">%d</a>\n' % (i, i) for i in range(8))
open(os.path.join(www, "index.html"), "w").write("<!doctype html>" + links)
for i in range(8):
    open(os.path.join(www, "p%d.html" % i), "w").write("<!doctype html><p>%d</p>%s" % (i, pad))
open(os.path.join(www, "robots.txt"), "w").write("User-agent: *\nAllow: /\n")
EOF
SPORT=$(NGINX_SITE_SERVER="limit_rate 100k;" bash "$FIX/nginx_site.sh" start "$T/slowsite" "$T/slow" | awk '/^PORT/ {print $2}')
check "a slow nginx on 127.0.0.1" test -n "$SPORT"
mklist "$P"
"$VIGIL" crawl --db "$P" --seed "http://127.0.0.1:$SPORT/index.html" \
  --allow-private --max-in-flight 4 --per-host 2 --delay 300 --create-only >/dev/null
PIDS=(); for n in 1 2 3; do worker "$P" $n; done
rc=0; for p in "${PIDS[@]}"; do wait "$p" || rc=1; done; PIDS=()
check "  three workers, --per-host 2 --delay 300: exit 0, 9 URLs done" bash -c "[ $rc -eq 0 ] && [ \$(sqlite3 '$P' \"SELECT COUNT(*) FROM frontier WHERE state = 'done'\") -eq 9 ]"
echo "    requests sent by each: $(for n in 1 2 3; do python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["pages"], end=" ")' "$T/w$n.json"; done)"
sleep 1.2
check "  nginx: at most 2 in flight, starts at least 300 ms apart, fleet-wide" python3 - "$T/slow/access.log" <<'EOF'
import sys
reqs = []
for l in open(sys.argv[1]):
    f = l.split()
    end, took = float(f[0]), float(f[4])
    reqs.append((end - took, end))
reqs.sort()
starts = [s for s, _ in reqs]
gaps = [b - a for a, b in zip(starts, starts[1:])]
# in flight at each start: those begun and not yet ended
most = max(sum(1 for s, e in reqs if s <= t < e) for t in starts)
print("    %d requests, at most %d in flight, smallest gap %.3f s" % (len(reqs), most, min(gaps)))
print("    gaps: " + " ".join("%.3f" % g for g in sorted(gaps)[:6]) + " ...")
# a start is $msec - $request_time, each in 1 ms steps
sys.exit(0 if len(reqs) == 10 and most == 2 and min(gaps) >= 0.298 else 1)
EOF
finish
