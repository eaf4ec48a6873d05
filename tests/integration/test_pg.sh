#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Vigil on PostgreSQL end to end, against a server of the test's own
# (tests/fixtures/pg_server.sh): the generated test site crawled into
# PostgreSQL gives exactly the detections the same crawl gives on SQLite;
# a crawl killed with -9 and resumed loses nothing and records nothing
# twice; `vigil serve` on PostgreSQL takes partner reports (each once,
# contact sealed); the audit chain verifies; the URL forms libpq takes
# (postgresql://, postgres://, key=value, PG* environment) all open the
# store; a wrong password or an absent server is a clear error that does
# not print the password; a newer schema is refused; the server stopped
# for 10 s in the middle of a crawl and of serving: both wait and go on.
# Usage: test_pg.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1; DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
FIX="$ROOT/tests/fixtures"
T=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  bash "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || bash "$FIX/pg_server.sh" stop "$T/pg" >/dev/null 2>&1
  [ -n "${KEEP:-}" ] && { echo "kept $T"; return; }; rm -rf "$T"
}
trap cleanup EXIT

bash "$FIX/pg_server.sh" start "$T/pg" || { echo "not ok - starting PostgreSQL"; exit 1; }
PGPORT_=$(cat "$T/pg/port")
pgurl() { echo "postgresql://vigil@/$1?host=$T/pg&port=$PGPORT_"; }
sql() { # sql DBNAME STATEMENT: one value
  psql -X -q -t -A "$(pgurl "$1")" -c "$2"
}
sql postgres "CREATE DATABASE crawl" && sql postgres "CREATE DATABASE resumed" \
  && sql postgres "CREATE DATABASE serve" && sql postgres "CREATE DATABASE forms" \
  || { echo "not ok - creating databases"; exit 1; }
export VIGIL_AUDIT_KEY="$T/audit.key"
heads() { export VIGIL_AUDIT_HEAD="$T/$1.audit-head"; } # one per database

python3 "$FIX/gen_site.py" test "$T/site" --photos "$DATA/photos" >/dev/null \
  || { echo "not ok - generating the site"; exit 1; }
PORT=$(bash "$FIX/nginx_site.sh" start "$T/site/www" "$T/ng" | awk '/^PORT/ {print $2}')
[ -n "$PORT" ] || { echo "not ok - starting nginx"; exit 1; }
BASE="http://127.0.0.1:$PORT"
"$VIGIL" hash --json "$T/site/known"/* >"$T/known.jsonl"

mklist() { # mklist DB
  "$VIGIL" lists create known --category test --db "$1" >/dev/null &&
    "$VIGIL" lists import known "$T/known.jsonl" --db "$1" >/dev/null
}
crawl() { # crawl DB [OPTIONS...]
  local db=$1; shift
  "$VIGIL" crawl --db "$db" --seed "$BASE/index.html" --max-depth 3 \
    --allow-private --delay 0 --quiet "$@"
}
quiet() { "$@" >/dev/null; }
dets() { # dets DB: the detections, one sorted line each
  "$VIGIL" detections --db "$1" --json | python3 -c '
import json, sys
rows = sorted("%s %s %s %s %s" % (d["url"], d["page_url"], d["sha256"], d["algo"], d["metadata"])
              for d in map(json.loads, sys.stdin))
print("\n".join(rows))'
}

# ---- the same crawl on both backends ----
LITE="$T/lite.db"
heads lite; mklist "$LITE" && crawl "$LITE" >/dev/null
PG=$(pgurl crawl); heads crawl
check "lists on PostgreSQL" mklist "$PG"
check "a crawl into PostgreSQL" quiet crawl "$PG"
dets "$LITE" >"$T/lite.txt"; dets "$PG" >"$T/pg.txt"
check "detections found" test "$(wc -l <"$T/pg.txt")" -gt 5
check "exactly the detections of the SQLite crawl" cmp -s "$T/lite.txt" "$T/pg.txt"
check "media hashed once each" test "$(sql crawl 'SELECT count(*) - count(DISTINCT sha256) FROM media')" = 0
check "audit chain intact" quiet "$VIGIL" audit verify --db "$PG"

# ---- killed -9 mid-crawl, resumed ----
R=$(pgurl resumed); heads resumed
mklist "$R"
"$VIGIL" crawl --db "$R" --seed "$BASE/index.html" --max-depth 3 \
  --allow-private --delay 150 --quiet >/dev/null 2>&1 &
CP=$! # vigil itself (a function run in the background would be a subshell)
sleep 1.5
kill -9 "$CP" 2>/dev/null; wait "$CP" 2>/dev/null
check "the killed crawl left work" test "$(sql resumed "SELECT count(*) FROM frontier WHERE state IN ('queued', 'leased')")" -gt 0
check "resumed" bash -c "'$VIGIL' crawl --db '$R' --resume --delay 0 --quiet >/dev/null"
dets "$R" >"$T/resumed.txt"
check "after the kill: the same detections" cmp -s "$T/lite.txt" "$T/resumed.txt"
check "  each once" test "$(sql resumed 'SELECT count(*) FROM (SELECT sighting_id, entry_id FROM detections GROUP BY 1, 2 HAVING count(*) > 1) AS x')" = 0
check "  no URL left queued or leased" test "$(sql resumed "SELECT count(*) FROM frontier WHERE state IN ('queued', 'leased')")" = 0

# ---- PostgreSQL gone for 10 s in the middle of a crawl ----
sql postgres "CREATE DATABASE outage" >/dev/null
O=$(pgurl outage); heads outage
mklist "$O"
"$VIGIL" crawl --db "$O" --seed "$BASE/index.html" --max-depth 3 \
  --allow-private --delay 200 --quiet >/dev/null 2>"$T/outage.err" &
CP=$!
sleep 1.5
bash "$FIX/pg_server.sh" pause "$T/pg" 10
wait "$CP"; rc=$?
check "PostgreSQL stopped 10 s mid-crawl: the crawl waited and finished (exit $rc)" test "$rc" -eq 0
check "  the server was gone while it ran (its heartbeat said so)" grep -q "heartbeat: postgresql" "$T/outage.err"
check "  nothing left queued or leased" test "$(sql outage "SELECT count(*) FROM frontier WHERE state IN ('queued', 'leased')")" = 0
dets "$O" >"$T/outage.txt"
check "  the same detections, each once" cmp -s "$T/lite.txt" "$T/outage.txt"

# ---- vigil serve on PostgreSQL ----
DB=$(pgurl serve); heads serve
KEY=$("$VIGIL" apikeys add "Partner A" --db "$DB" | tail -1)
serve_start --key-file "$T/seal.key"
check "serving on PostgreSQL" test -n "$PORT"
BODY='{"incident_type":"luring","technology":"website","urls":["https://example.com/chat"],"description":"asked to meet","luring_meet":"yes","luring_images":"no","contact":{"name":"Alex","email":"alex@example.org"},"language":"fr"}'
report() { # report IDEMPOTENCY-KEY: the status
  curl -s --noproxy '*' --max-time 20 -o /dev/null -w '%{http_code}' \
    -X POST "$U/api/v1/reports" -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' -H "Idempotency-Key: $1" -d "$BODY"
}
codes=
for k in k-1 k-2 k-1; do codes="$codes $(report $k)"; done
check "reports: 201, 201, then 200 for the retried key ($codes)" test "$codes" = " 201 201 200"
check "  stored once each" test "$(sql serve 'SELECT count(*) FROM reports')" = 2
check "  contact kept, sealed" test "$(sql serve 'SELECT count(*) FROM reports WHERE length(reporter_contact) > 40')" = 2
check "  no address in the clear" test "$(sql serve "SELECT count(*) FROM reports WHERE position('alex' IN encode(reporter_contact, 'escape')) > 0")" = 0
bash "$FIX/pg_server.sh" pause "$T/pg" 4 &
PP=$!
sleep 1
code=$(report k-3)
check "PostgreSQL gone: a report is refused with 503, not acknowledged (got $code)" test "$code" = 503
wait "$PP"
check "  back: the same report taken (201)" test "$(report k-3)" = 201
check "  stored once" test "$(sql serve 'SELECT count(*) FROM reports')" = 3
kill "$PID"; wait "$PID" 2>/dev/null; PID=

# ---- vigil db: copy SQLite to PostgreSQL and back ----
sql postgres "CREATE DATABASE copied" >/dev/null
C=$(pgurl copied)
heads lite
check "db copy SQLite -> PostgreSQL" quiet "$VIGIL" db copy --from "$LITE" --to "$C" --audit-key "$T/audit.key"
heads copied
check "  the audit chain verifies on PostgreSQL" quiet "$VIGIL" audit verify --db "$C"
check "  db status: current" quiet "$VIGIL" db status --db "$C"
"$VIGIL" db status --db "$LITE" --json >"$T/s1.json"
"$VIGIL" db status --db "$C" --json >"$T/s2.json"
counts() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d.get("tables", d.get("rows")), sort_keys=True))' "$1"; }
check "  the same row counts" test "$(counts "$T/s1.json")" = "$(counts "$T/s2.json")"
dets "$C" >"$T/copied.txt"
check "  the same detections" cmp -s "$T/lite.txt" "$T/copied.txt"
heads copied-again
check "  a new id continues after the copied ones" quiet "$VIGIL" lists create another --db "$C"
check "db copy PostgreSQL -> SQLite" quiet "$VIGIL" db copy --from "$C" --to "$T/back.db" --audit-key "$T/audit.key"
dets "$T/back.db" >"$T/back.txt"
check "  and back: the same detections" cmp -s "$T/lite.txt" "$T/back.txt"

# ---- URL forms, environment, errors ----
F=$(pgurl forms); heads forms
check "postgresql:// URL" quiet "$VIGIL" lists ls --db "$F"
check "postgres:// URL" quiet "$VIGIL" lists ls --db "postgres://vigil@/forms?host=$T/pg&port=$PGPORT_"
check "key=value string" quiet "$VIGIL" lists ls --db "host=$T/pg port=$PGPORT_ user=vigil dbname=forms"
check "PG* environment with postgresql://" quiet env PGHOST="$T/pg" PGPORT="$PGPORT_" PGUSER=vigil PGDATABASE=forms "$VIGIL" lists ls --db postgresql://
sql postgres "CREATE ROLE secretive LOGIN PASSWORD 'right-one'" >/dev/null
sed -i 's/^host.*127.0.0.1.*/host all all 127.0.0.1\/32 scram-sha-256/' "$T/pg/data/pg_hba.conf" 2>/dev/null
sql postgres "SELECT pg_reload_conf()" >/dev/null
"$VIGIL" lists ls --db "postgresql://secretive:wrong-pass@127.0.0.1:$PGPORT_/forms" >"$T/o" 2>"$T/e"
rc=$?
check "a wrong password: exit 1 (got $rc)" test "$rc" -eq 1
check "  the error says authentication failed" grep -q "authentication failed" "$T/e"
check "  and never prints the password" bash -c "! grep -q wrong-pass '$T/e' '$T/o'"
"$VIGIL" lists ls --db "postgresql://u:s3cret@127.0.0.1:1/x" >"$T/o" 2>"$T/e"
check "no server: a clear error naming the address" grep -q "127.0.0.1" "$T/e"
check "  without the password" bash -c "! grep -q s3cret '$T/e'"
sql forms "INSERT INTO schema_migrations VALUES (999, 'future', 0)" >/dev/null
"$VIGIL" lists ls --db "$F" >"$T/o" 2>"$T/e"
check "a newer schema refused" grep -q "newer than this vigil" "$T/e"
finish
