#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `vigil db`: status (backend, masked URL, version, pending migrations, rows
# by table, exit 0 / 3 pending / 4 newer) without migrating; migrate (to a
# version, then the rest, saying which); copy of a store built through the
# CLI (a list import, users, an API key, a report through the API, a crawl
# of a local site with a detection, audit records) into a new SQLite store:
# every row the same, the counts of status equal, `vigil audit verify`
# intact on the copy under the source's key; a copy into a store that holds
# rows, or from an older schema into a newer one, or with the wrong audit
# key, refused; a copy that loses rows said and rolled back; and a --db
# password never printed.
# Usage: test_cli_db.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  bash "$ROOT/tests/fixtures/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
DB="$T/src.db"
v() { "$VIGIL" "$@"; }

# ---- status and migrate on a new store ----
v db status --db "$T/none.db" >"$T/out" 2>&1; rc=$?
check "status of a missing database: exit 1, not made" bash -c "[ $rc -eq 1 ] && grep -q 'no such database' '$T/out' && [ ! -e '$T/none.db' ]"
v db migrate --db "$T/old.db" --to 5 >"$T/out" 2>&1; rc=$?
check "migrate --to 5: exit 0, applies 1 to 5 and says so" bash -c "[ $rc -eq 0 ] && [ \$(grep -c '^applied ' '$T/out') -eq 5 ] && grep -q '^applied 5: ' '$T/out'"
v db status --db "$T/old.db" >"$T/out" 2>&1; rc=$?
LATEST=$(v db status --db "$T/old.db" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["latest"])')
check "status at 5: exit 3 (pending), the pending ones listed" bash -c "[ $rc -eq 3 ] && grep -q '^schema: version 5, latest $LATEST (pending)' '$T/out' && grep -q '^pending migrations: $((LATEST - 5))' '$T/out' && grep -Eq '^ +6  notices' '$T/out'"
check "status did not migrate" test "$(sqlite3 "$T/old.db" 'SELECT MAX(version) FROM schema_migrations')" -eq 5
check "status: backend, database, rows of the tables at 5 only" bash -c "grep -qx 'backend: sqlite' '$T/out' && grep -qx 'database: $T/old.db' '$T/out' && grep -Eq '^  users +0$' '$T/out' && ! grep -Eq '^  media_hashes ' '$T/out'"
v db migrate --db "$T/old.db" >"$T/out" 2>&1; rc=$?
check "migrate: the rest, exit 0" bash -c "[ $rc -eq 0 ] && [ \$(grep -c '^applied ' '$T/out') -eq $((LATEST - 5)) ] && grep -q '^schema version $LATEST, was 5' '$T/out'"
v db migrate --db "$T/old.db" >"$T/out" 2>&1; rc=$?
check "migrate again: nothing to apply" bash -c "[ $rc -eq 0 ] && grep -q 'nothing to apply' '$T/out'"
v db status --db "$T/old.db" >/dev/null 2>&1; rc=$?
check "status when current: exit 0" test $rc -eq 0
v db migrate --db "$T/new.db" --to 0 >/dev/null 2>&1; rc=$?
check "migrate --to 0: a usage error, nothing made" bash -c "[ $rc -eq 2 ] && [ ! -e '$T/new.db' ]"

# ---- a store with content, through the CLI ----
v hash --json "$ROOT/samples/seeding.jpg" "$ROOT/samples/trout.png" >"$T/known.jsonl"
v lists create known --category test --db "$DB" >/dev/null
v lists import known "$T/known.jsonl" --db "$DB" >/dev/null
echo 'correct horse battery' | v users add alice --role admin --db "$DB" >/dev/null
echo 'another long password' | v users add bob --db "$DB" >/dev/null
KEY=$(v apikeys add "Partner A" --db "$DB" | tail -1)
serve_start
if [ -n "$PORT" ]; then
  curl -s --noproxy '*' --max-time 20 -X POST "$U/api/v1/reports" \
    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"incident_type":"luring","technology":"website","urls":["https://example.com/chat"],"description":"asked to meet","luring_meet":"yes","luring_images":"no","contact":{"name":"Alex","email":"alex@example.org"}}' \
    -o /dev/null
fi
kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=
mkdir -p "$T/site"
cp "$ROOT/samples/seeding.jpg" "$ROOT/samples/goldfish.webp" "$T/site/"
printf '<html><body><img src="seeding.jpg"><img src="goldfish.webp"></body></html>\n' >"$T/site/index.html"
NPORT=$(bash "$ROOT/tests/fixtures/nginx_site.sh" start "$T/site" "$T/ng" | awk '/^PORT/ {print $2}')
v crawl --db "$DB" --seed "http://127.0.0.1:$NPORT/index.html" --max-depth 1 \
  --allow-private --delay 0 --quiet >/dev/null 2>&1
q() { sqlite3 "$1" "$2"; }
export -f q
check "the source holds a report, a detection, media, users, audit records" bash -c "[ \$(q '$DB' 'SELECT COUNT(*) FROM reports') -eq 1 ] && [ \$(q '$DB' 'SELECT COUNT(*) FROM detections') -ge 1 ] && [ \$(q '$DB' 'SELECT COUNT(*) FROM media') -ge 2 ] && [ \$(q '$DB' 'SELECT COUNT(*) FROM users') -eq 2 ] && [ \$(q '$DB' 'SELECT COUNT(*) FROM audit_log') -ge 5 ]"

# ---- copy ----
v db copy --from "$DB" --to "$T/copy/copy.db" >"$T/copy.out" 2>&1; rc=$?
check "copy: exit 0" test $rc -eq 0 || cat "$T/copy.out"
check "copy: the counts of each table, and the audit chain checked" bash -c "grep -Eq '^  users +2$' '$T/copy.out' && grep -q '^audit log intact on the copy: [0-9]* records, MACs checked from record 1' '$T/copy.out'"
v db status --db "$DB" --json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["tables"], sort_keys=True))' >"$T/s1"
v db status --db "$T/copy/copy.db" --json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["tables"], sort_keys=True))' >"$T/s2"
check "status: the same rows in every table" bash -c "cmp -s '$T/s1' '$T/s2' && grep -q '\"media_hashes\": [1-9]' '$T/s1'"
check "every row the same (EXCEPT both ways, every table)" python3 - "$DB" "$T/copy/copy.db" <<'EOF'
import sqlite3, sys
a = sqlite3.connect(sys.argv[1])
a.execute("ATTACH ? AS c", (sys.argv[2],))
tables = [r[0] for r in a.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'")]
assert len(tables) >= 27, tables
for t in tables:
    for x, y in (("main", "c"), ("c", "main")):
        n = a.execute(f"SELECT COUNT(*) FROM (SELECT * FROM {x}.{t} EXCEPT SELECT * FROM {y}.{t})").fetchone()[0]
        assert n == 0, (t, x, y, n)
EOF
v audit verify --db "$T/copy/copy.db" --audit-key "$DB.audit-key" >"$T/out" 2>&1; rc=$?
check "audit verify on the copy, under the source's key: intact" bash -c "[ $rc -eq 0 ] && grep -q '^audit log intact' '$T/out'"

v db copy --from "$DB" --to "$T/copy/copy.db" >"$T/out" 2>&1; rc=$?
check "a second copy into it: refused (exit 1, not empty)" bash -c "[ $rc -eq 1 ] && grep -q 'the destination is not empty' '$T/out'"
check "  and nothing added" test "$(q "$T/copy/copy.db" 'SELECT COUNT(*) FROM users')" -eq 2
v db migrate --db "$T/v5.db" --to 5 >/dev/null
v db copy --from "$T/v5.db" --to "$T/old.db" >"$T/out" 2>&1; rc=$?
check "a copy from schema 5 into a newer store: refused" bash -c "[ $rc -eq 1 ] && grep -q 'the source is at schema version 5 and the destination at $LATEST' '$T/out'"
v db migrate --db "$T/older.db" --to 3 >/dev/null
v db copy --from "$DB" --to "$T/older.db" >"$T/out" 2>&1; rc=$?
check "a copy into an empty store at an older schema: migrated, copied" bash -c "[ $rc -eq 0 ] && [ \$(q '$T/older.db' 'SELECT MAX(version) FROM schema_migrations') -eq $LATEST ] && [ \$(q '$T/older.db' 'SELECT COUNT(*) FROM users') -eq 2 ]"
head -c 32 /dev/urandom >"$T/other.key"; chmod 600 "$T/other.key"
v db copy --from "$DB" --to "$T/w.db" --audit-key "$T/other.key" >"$T/out" 2>&1; rc=$?
check "the wrong audit key: the source's chain does not verify, nothing copied" bash -c "[ $rc -eq 1 ] && grep -q 'the source: audit record 1 does not match its MAC' '$T/out' && [ \$(q '$T/w.db' 'SELECT COUNT(*) FROM users' 2>/dev/null || echo 0) -eq 0 ]"
v db migrate --db "$T/lossy.db" >/dev/null
q "$T/lossy.db" "CREATE TRIGGER lose AFTER INSERT ON api_keys BEGIN DELETE FROM api_keys WHERE id = NEW.id; END"
v db copy --from "$DB" --to "$T/lossy.db" >"$T/out" 2>&1; rc=$?
check "a copy that loses rows: exit 1, the table and counts named" bash -c "[ $rc -eq 1 ] && grep -q 'api_keys: 1 rows in the source, 1 written, 0 in the copy' '$T/out' && grep -Eq '^  api_keys .*DIFFERENT' '$T/out'"
check "  and rolled back: nothing kept" test "$(q "$T/lossy.db" 'SELECT COUNT(*) FROM users')" -eq 0

# ---- newer than this vigil ----
q "$T/old.db" "INSERT INTO schema_migrations VALUES (999, 'from the future', 0)"
v db status --db "$T/old.db" >"$T/out" 2>&1; rc=$?
check "status of a newer schema: exit 4, said" bash -c "[ $rc -eq 4 ] && grep -q '^schema: version 999, latest $LATEST (newer)' '$T/out'"
v db migrate --db "$T/old.db" >"$T/out" 2>&1; rc=$?
check "migrate of a newer schema: exit 1, said" bash -c "[ $rc -eq 1 ] && grep -q 'newer than this vigil knows' '$T/out'"

# ---- a password in --db is never printed ----
cd "$T" || exit 1 # an SQLite file named after a libpq string lands here
for url in 'postgresql://u:secret@127.0.0.1:1/x' 'postgres://u:secret@127.0.0.1:1/x?sslmode=disable' \
           'host=127.0.0.1 port=1 password=secret dbname=x'; do
  v db status --db "$url" >"$T/out" 2>&1; rc=$?
  v db migrate --db "$url" >>"$T/out" 2>&1
  v db copy --from "$url" --to "$T/x.db" --audit-key "$T/other.key" >>"$T/out" 2>&1
  v db copy --from "$DB" --to "$url" >>"$T/out" 2>&1
  v lists ls --db "$url" >>"$T/out" 2>&1
  check "'$url': exit 1, the password never printed" bash -c "[ $rc -eq 1 ] && ! grep -q secret '$T/out' && grep -q '\\*\\*\\*' '$T/out'"
done

v db >/dev/null 2>&1; rc=$?
check "no action: a usage error" test $rc -eq 2
v db status --to 3 >/dev/null 2>&1; rc=$?
check "status --to: a usage error" test $rc -eq 2
v db --help | grep -q 'Usage: vigil db status'
check "--help" test $? -eq 0
finish
