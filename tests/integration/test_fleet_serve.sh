#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two `vigil serve` nodes on ONE SQLite database (docs/FLEET.md), with a
# 10 s notice interval, a 3 s lease and a heartbeat a second: both beat
# in `vigil fleet status`; /healthz and /readyz answer (503 when the
# schema is not this program's); the notice cycles never overlap and each
# ran on one node; then node A is killed -9 in the middle of a cycle (its
# relay, a real SMTP server on 127.0.0.1, stored the notice and is slow
# to answer) while node B waits: B takes the cycle over once A's lease
# expires, sends the same notice (same Message-ID) to its own relay, and
# nothing else is sent twice; A shows stale, B alive.
# Usage: test_fleet_serve.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
FIX="$HERE/../fixtures"
. "$HERE/lib.sh"
T=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  bash "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
store_init "$T/vigil.db"
v() { "$VIGIL" "$@" --db "$DB"; }
q() { sqlite3 "$DB" "$1"; }
ms() { date +%s%3N; }
fleet() { v fleet status --json >"$T/fleet.json" && python3 - "$T/fleet.json" "$@"; }
PY=python3
for p in python3 /usr/bin/python3; do
  "$p" -c 'import aiosmtpd' 2>/dev/null && { PY=$p; break; }
done
get() { curl -s --noproxy '*' --max-time 10 -o "$T/body" -w '%{http_code}' "$1"; }

smtp() { # smtp NAME [ARGS...]: a relay storing into $T/NAME; sets SP
  local n=$1; shift
  mkdir -p "$T/$n"
  "$PY" "$FIX/smtp_server.py" --dir "$T/$n" --certdir "$T/certs" --starttls "$@" \
    >"$T/$n.out" 2>"$T/$n.err" &
  PIDS+=($!)
  SP=
  for _ in $(seq 300); do grep -q '^PORT' "$T/$n.out" && break; sleep 0.1; done
  SP=$(awk '/^PORT/ {print $2}' "$T/$n.out")
}
node() { # node NAME RELAY_PORT [ARGS...]: vigil serve as node NAME; sets PID, U
  local n=$1 p=$2; shift 2
  "$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --rate-limit 0 --node-name "$n" "${SERVE_KEY[@]}" \
    --notice-interval 10 --notice-lease 3 --heartbeat 1 \
    --hotline "Test Hotline" --notice-contact tips@hotline.example \
    --smtp-relay "smtp://127.0.0.1:$p" --smtp-cafile "$T/certs/ca.pem" \
    --smtp-from notices@hotline.example --notice-allow-private "$@" \
    >"$T/$n.out" 2>"$T/$n.err" &
  PID=$!
  PIDS+=($PID)
  local port=
  for _ in $(seq 600); do
    port=$(sed -n 's|^vigil: serving on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/$n.out")
    [ -n "$port" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  U="http://127.0.0.1:$port"
}
# no two runs of a job overlap: each (ended) run ends before the next starts
no_overlap() {
  python3 - "$T/fleet.json" <<'EOF'
import json, sys
runs = sorted(json.load(open(sys.argv[1]))["runs"], key=lambda r: r["started_ms"])
for a, b in zip(runs, runs[1:]):
    if a["ended_ms"] is None or a["ended_ms"] > b["started_ms"]:
        sys.exit("%r overlaps %r" % (a, b))
EOF
}

mkdir -p "$T/www"
cp "$DATA/photos/0029.jpg" "$T/www/known.jpg"
printf '<!doctype html><title>p</title><img src="known.jpg">\n' >"$T/www/page.html"
NP=$(bash "$FIX/nginx_site.sh" start "$T/www" "$T/ng" | awk '/^PORT/ {print $2}')
smtp slowmail --slow 120
SLOW=$SP
smtp mail
FAST=$SP
check "nginx and two SMTP relays" test -n "$NP" -a -n "$SLOW" -a -n "$FAST"
"$VIGIL" hash --json "$T/www/known.jpg" >"$T/known.jsonl"
v lists create known --category csam >/dev/null
v lists import known "$T/known.jsonl" >/dev/null
printf 'name,abuse_emails,language,networks\nLoopback Hosting,abuse@loopback.test,en,127.0.0.0/8\n' |
  v providers import - >/dev/null

# two nodes: A crawls reported URLs too (so it has a match index), B not
node A "$SLOW"
A=$PID UA=$U
node B "$FAST" --no-crawl
B=$PID UB=$U
check "two serve nodes on one database" bash -c "kill -0 $A && kill -0 $B"
check "/healthz: 200 ok" bash -c "[ \$(curl -s --noproxy '*' -o '$T/h' -w '%{http_code}' '$UA/healthz') = 200 ] && [ \"\$(cat '$T/h')\" = ok ]"
check "/readyz with an index: 200, its entries and the age of the list load" \
  bash -c "[ \$(curl -s --noproxy '*' -o '$T/r' -w '%{http_code}' '$UA/readyz') = 200 ] && python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j[\"ready\"] is True and j[\"index\"][\"entries\"] >= 1 and 0 <= j[\"index\"][\"lists_age_s\"] < 60 else 1)' '$T/r'"
check "/readyz on a node that does not crawl: 200 with its index too (the hash-check API matches there)" bash -c "[ \$(curl -s --noproxy '*' -o '$T/r' -w '%{http_code}' '$UB/readyz') = 200 ] && grep -q '\"index\":{\"entries\":' '$T/r'"
LATEST=$(q "SELECT MAX(version) FROM schema_migrations")
q "INSERT INTO schema_migrations VALUES ($((LATEST + 1)), 'from a newer vigil', 0)"
check "/readyz at a schema not this program's: 503 with the reason" bash -c "[ \$(curl -s --noproxy '*' -o '$T/r' -w '%{http_code}' '$UB/readyz') = 503 ] && grep -q 'newer than this program' '$T/r'"
check "/healthz stays 200 meanwhile (no store access)" test "$(get "$UB/healthz")" = 200
q "DELETE FROM schema_migrations WHERE version = $((LATEST + 1))"
check "ready again" test "$(get "$UB/readyz")" = 200
check "no rate limit on them: 60 probes in a row all answered" bash -c "for i in \$(seq 60); do [ \$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' '$UB/healthz') = 200 ] || exit 1; done"

sleep 2
check "fleet status: both nodes alive, with their roles and status" fleet <<'EOF'
import json, sys
n = {x["id"]: x for x in json.load(open(sys.argv[1]))["nodes"]}
ok = (set(n) == {"A", "B"} and all(x["state"] == "alive" for x in n.values())
      and n["A"]["roles"] == "serve,crawl,scheduler" and n["B"]["roles"] == "serve,scheduler"
      and n["A"]["status"].startswith("index ") and n["B"]["status"].startswith("index "))
sys.exit(0 if ok else 1)
EOF
v fleet status >"$T/fleet.txt"
check "fleet status in text: nodes, the lease, the runs" bash -c "grep -q '^  A  alive, serve,crawl,scheduler' '$T/fleet.txt' && grep -q '^  notices  ' '$T/fleet.txt' && grep -q '^recent runs: ' '$T/fleet.txt'"

# about two intervals: cycles on either node, one at a time
sleep 20
check "cycles ran, each on one node, all ended well" fleet <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["runs"]
sys.exit(0 if len(r) >= 2 and all(x["holder"] in ("A", "B") and x["outcome"] == "ok" for x in r) else 1)
EOF
check "no two runs overlap" no_overlap
check "one run an interval, fleet-wide (not one per node)" python3 - "$T/fleet.json" <<'EOF'
import json, sys
r = sorted(json.load(open(sys.argv[1]))["runs"], key=lambda x: x["started_ms"])
gaps = [b["started_ms"] - a["ended_ms"] for a, b in zip(r, r[1:])]
sys.exit(0 if gaps and min(gaps) >= 10000 else 1)
EOF

# B stops cleanly: its row goes; the crawl finds the photo, and A's next
# cycle stores the notice and hands it to its slow relay
kill -TERM "$B"; wait "$B"; RC=$?
check "B stops cleanly (exit 0), its row gone" bash -c "[ $RC -eq 0 ] && [ \$(sqlite3 '$DB' \"SELECT COUNT(*) FROM nodes WHERE id = 'B'\") -eq 0 ]"
v crawl --seed "http://127.0.0.1:$NP/page.html" --allow-private --delay 0 --quiet \
  --node-name C >/dev/null 2>&1
check "the crawl detected the photo, and left the fleet at its end" bash -c "[ \$(sqlite3 '$DB' 'SELECT COUNT(*) FROM detections') -ge 1 ] && [ \$(sqlite3 '$DB' \"SELECT COUNT(*) FROM nodes WHERE id = 'C'\") -eq 0 ]"
for _ in $(seq 300); do ls "$T/slowmail"/*.json >/dev/null 2>&1 && break; sleep 0.1; done
check "A's cycle handed the notice to its relay, which has not answered" bash -c "ls '$T/slowmail'/1.json >/dev/null && [ \"\$(sqlite3 '$DB' \"SELECT state || ' ' || attempts FROM notices\")\" = 'pending 0' ]"
node B2 "$FAST" --no-crawl
B2=$PID
sleep 4
check "B2 waits: A holds the lease, renewed past its 3 s, no run of B2's" fleet <<'EOF'
import json, sys, time
j = json.load(open(sys.argv[1]))
l = {x["name"]: x for x in j["leases"]}["notices"]
run = j["runs"][0]
ok = (l["holder"] == "A" and l["left_ms"] > 0 and run["holder"] == "A"
      and run["ended_ms"] is None and time.time() * 1000 - run["started_ms"] > 4000
      and all(r["holder"] != "B2" for r in j["runs"]))
sys.exit(0 if ok else 1)
EOF
KILLED=$(ms)
kill -9 "$A"; wait "$A" 2>/dev/null
for _ in $(seq 300); do ls "$T/mail"/*.json >/dev/null 2>&1 && break; sleep 0.1; done
for _ in $(seq 100); do [ "$(q "SELECT state FROM notices")" = sent ] && break; sleep 0.1; done
check "B2 took the cycle over once A's lease expired, and sent the notice" bash -c "[ \"\$(sqlite3 '$DB' \"SELECT state || ' ' || attempts FROM notices\")\" = 'sent 1' ] && [ \$(ls '$T/mail'/*.eml | wc -l) -eq 1 ]"
MID=$(q "SELECT message_id FROM notices")
check "the same notice, same Message-ID, at both relays: one notice, one case" bash -c "grep -qF '$MID' '$T/slowmail/1.eml' && grep -qF '$MID' '$T/mail/1.eml' && [ \$(sqlite3 '$DB' 'SELECT COUNT(*) FROM notices') -eq 1 ] && [ \$(sqlite3 '$DB' 'SELECT COUNT(*) FROM cases') -eq 1 ]"
check "each relay got it once" test "$(ls "$T/slowmail"/*.eml | wc -l)" -eq 1 -a "$(ls "$T/mail"/*.eml | wc -l)" -eq 1
check "B2's first run started after the kill, A's last never ended" fleet "$KILLED" <<'EOF'
import json, sys
runs = sorted(json.load(open(sys.argv[1]))["runs"], key=lambda r: r["started_ms"])
killed = int(sys.argv[2])
a = [r for r in runs if r["holder"] == "A"]
b2 = [r for r in runs if r["holder"] == "B2"]
ok = (a and a[-1]["ended_ms"] is None and b2 and b2[0]["started_ms"] > killed
      and all(r["ended_ms"] is not None for r in runs if r["holder"] != "A" or r is not a[-1])
      and all(r["ended_ms"] <= killed for r in a[:-1]))
sys.exit(0 if ok else 1)
EOF
for _ in $(seq 100); do
  v fleet status --json | grep -q '"state": "stale"' && break; sleep 0.1
done
check "fleet status: A stale (with its age), B2 alive" fleet <<'EOF'
import json, sys
n = {x["id"]: x for x in json.load(open(sys.argv[1]))["nodes"]}
ok = (set(n) == {"A", "B2"} and n["A"]["state"] == "stale" and n["A"]["age_ms"] > 3000
      and n["B2"]["state"] == "alive")
sys.exit(0 if ok else 1)
EOF
sleep 11
check "later cycles send nothing more" bash -c "[ \$(ls '$T/mail'/*.eml | wc -l) -eq 1 ] && [ \$(sqlite3 '$DB' 'SELECT COUNT(*) FROM notices') -eq 1 ]"
kill -TERM "$B2"; wait "$B2"; RC=$?
check "B2 stops cleanly" test "$RC" -eq 0
finish
