#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `vigil db backup`, `restore`, `verify` under intake load: `vigil serve`
# takes partner reports from two loaders without a pause while `vigil db
# backup` runs (SQLite's online backup; on PostgreSQL, the _pg run,
# pg_dump); every reference acknowledged before the backup began is in the
# store restored from it (into a new folder; a new database), on which
# `vigil db verify` and `vigil audit verify` pass; the backup says where
# the keys are and holds neither; an existing backup file, a restore over
# a store in use or holding rows are refused; a backup with bytes
# overwritten fails `vigil db verify` (on PostgreSQL, its restore fails
# and leaves the target as it was); a --db password is never printed.
# Usage: test_db_backup.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
PID=
LOADERS=()
cleanup() {
  touch "$T/stop"
  for p in "${LOADERS[@]}"; do kill "$p" 2>/dev/null; done
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
quiet() { "$@" >/dev/null 2>&1; }
store_init "$T/vigil.db"
PG=${VIGIL_TEST_PG:+1}
AUDIT_KEY="$T/vigil.db.audit-key" # beside the SQLite file; VIGIL_AUDIT_KEY on PG

KEY=$("$VIGIL" apikeys add "Partner A" --db "$DB" | tail -1)
# a store of some megabytes, so the backup takes many steps of pages
python3 -c 'import json, os
for _ in range(30000):
    print(json.dumps({"pdq": os.urandom(32).hex(), "quality": 100, "sha256": os.urandom(32).hex()}))' >"$T/big.jsonl"
"$VIGIL" lists create known --category test --db "$DB" >/dev/null
check "a list of 60000 hashes imported" quiet "$VIGIL" lists import known "$T/big.jsonl" --db "$DB"
serve_start
check "serving" test -n "$PORT"

# load TAG: file reports until $T/stop exists, each acknowledged
# reference appended (and flushed) to $T/acked.TAG as soon as it is known
load() {
  python3 - "$PORT" "$KEY" "$T/acked.$1" "$T/stop" "$1" <<'EOF'
import http.client, json, os, sys
port, key, out, stop, tag = sys.argv[1:]
conn, i = None, 0
with open(out, "a") as f:
    while not os.path.exists(stop):
        body = json.dumps({"incident_type": "luring", "technology": "website",
                           "urls": ["https://example.com/%s/%d" % (tag, i)],
                           "description": "load %s %d" % (tag, i),
                           "luring_meet": "yes", "luring_images": "no",
                           "contact": {"name": "Alex", "email": "alex@example.org"}})
        try:
            conn = conn or http.client.HTTPConnection("127.0.0.1", int(port), timeout=20)
            conn.request("POST", "/api/v1/reports", body,
                         {"Authorization": "Bearer " + key, "Content-Type": "application/json",
                          "Idempotency-Key": "%s-%d" % (tag, i)})
            r = conn.getresponse()
            data = r.read()
            if r.status in (200, 201):
                f.write(json.loads(data)["reference"] + "\n")
                f.flush()
                i += 1
        except (OSError, http.client.HTTPException):
            conn = None
EOF
}
acked() { cat "$T"/acked.* 2>/dev/null | sort -u; }
load a & LOADERS+=($!)
load b & LOADERS+=($!)
for _ in $(seq 200); do [ "$(acked | wc -l)" -ge 40 ] && break; sleep 0.1; done
check "the loaders' reports acknowledged before the backup ($(acked | wc -l))" test "$(acked | wc -l)" -ge 40

# ---- backup while the loaders go on ----
acked >"$T/before" # every reference acknowledged up to now
"$VIGIL" db backup --db "$DB" --to "$T/backup" >"$T/backup.out" 2>"$T/backup.err"; rc=$?
sleep 0.5
N_DURING=$(acked | wc -l)
touch "$T/stop"
for p in "${LOADERS[@]}"; do wait "$p"; done
LOADERS=()
check "backup under load: exit 0" test $rc -eq 0 || cat "$T/backup.err"
check "  intake went on meanwhile ($(wc -l <"$T/before") acknowledged before, $N_DURING just after)" test "$N_DURING" -gt "$(wc -l <"$T/before")"
check "  the backup file is its owner's only" test "$(stat -c %a "$T/backup")" = 600
check "  no temporary file left" bash -c "! ls '$T' | grep -q 'backup.tmp'"
N_BACKUP=$(sed -n 's/^  reports  *\([0-9]*\)$/\1/p' "$T/backup.out")
check "  rows of each table printed (reports: $N_BACKUP)" test "${N_BACKUP:-0}" -ge "$(wc -l <"$T/before")"
check "  the audit head it holds printed" grep -Eq '^audit head in the backup: [0-9]+:[0-9a-f]{64}$' "$T/backup.out"
check "  the keys named, not in the backup, to keep apart" bash -c "grep -q 'NOT in the backup, on purpose: the sealing key' '$T/backup.out' && grep -q 'Back them up separately' '$T/backup.out'"
if [ -z "$PG" ]; then
  check "  the sealing key and the audit key at their paths in the reminder" bash -c "grep -qF -- '--key-file: $T/vigil.db.key)' '$T/backup.out' && grep -qF -- '--audit-key: $AUDIT_KEY)' '$T/backup.out'"
  check "  an SQLite file of many steps of 256 pages, one file (no -wal beside it)" bash -c "head -c 15 '$T/backup' | grep -q 'SQLite format 3' && [ \$(stat -c %s '$T/backup') -gt \$((4 * 256 * 4096)) ] && [ ! -e '$T/backup-wal' ]"
fi
"$VIGIL" db backup --db "$DB" --to "$T/backup" >"$T/out" 2>&1; rc=$?
check "a second backup to the same file: refused (exit 1)" bash -c "[ $rc -eq 1 ] && grep -q 'exists: give --force' '$T/out'"
cp "$T/backup" "$T/backup2"
check "  --force replaces it" quiet "$VIGIL" db backup --db "$DB" --to "$T/backup2" --force
if [ -z "$PG" ]; then
  "$VIGIL" db backup --db "$DB" --to "$DB" --force >"$T/out" 2>&1; rc=$?
  check "  but never the database itself" bash -c "[ $rc -eq 1 ] && grep -q 'it is the database itself' '$T/out'"
fi

# ---- restore into a new folder (a new database) ----
if [ -n "$PG" ]; then R=$(db_for "$T/restored"); else R="$T/new/restored.db"; fi
"$VIGIL" db restore --from "$T/backup" --db "$R" --audit-key "$AUDIT_KEY" >"$T/restore.out" 2>&1; rc=$?
check "restore: exit 0, verified" bash -c "[ $rc -eq 0 ] && grep -q '^verify: all checks passed' '$T/restore.out'" || cat "$T/restore.out"
sqlite3 "$R" "SELECT reference FROM reports" | sort -u >"$T/restored.refs"
missing=$(comm -23 "$T/before" "$T/restored.refs" | wc -l)
check "every report acknowledged before the backup began is restored ($(wc -l <"$T/before") of them, $missing missing)" test "$missing" -eq 0
check "  the restored store holds what the backup counted ($N_BACKUP reports)" test "$(wc -l <"$T/restored.refs")" -eq "${N_BACKUP:-0}"
check "  and the list's 60000 hashes" test "$(sqlite3 "$R" "SELECT count(*) FROM list_entries")" -eq 60000
check "  contact details still sealed" test "$(sqlite3 "$R" "SELECT count(*) FROM reports WHERE reporter_contact IS NULL")" -eq 0
"$VIGIL" db verify --db "$R" --audit-key "$AUDIT_KEY" >"$T/out" 2>&1; rc=$?
check "db verify on the restored store: exit 0" bash -c "[ $rc -eq 0 ] && grep -q '^audit log intact: [0-9]* records, MACs checked from record 1' '$T/out'"
"$VIGIL" audit verify --db "$R" --audit-key "$AUDIT_KEY" >"$T/out" 2>&1; rc=$?
check "audit verify on the restored store: intact" bash -c "[ $rc -eq 0 ] && grep -q '^audit log intact' '$T/out'"
HEAD=$(sed -n 's/^audit head in the backup: //p' "$T/backup.out")
check "  the backup's audit head is the restored store's" quiet "$VIGIL" audit verify --db "$R" --audit-key "$AUDIT_KEY" --head "$HEAD"
"$VIGIL" db verify --db "$R" >"$T/out" 2>&1; rc=$?
if [ -z "$PG" ]; then
  check "db verify without the audit key: exit 1, said" bash -c "[ $rc -eq 1 ] && grep -q 'give --audit-key' '$T/out'"
fi

# ---- refusals ----
"$VIGIL" db restore --from "$T/backup" --db "$R" --audit-key "$AUDIT_KEY" >"$T/out" 2>&1; rc=$?
check "a restore into a store that holds rows: refused (exit 1)" bash -c "[ $rc -eq 1 ] && grep -Eq 'exists: restore into a new|has a schema' '$T/out'"
if [ -z "$PG" ]; then
  "$VIGIL" db restore --from "$T/backup" --db "$DB" --force >"$T/out" 2>&1; rc=$?
  check "a restore --force over the store vigil serve has open: refused" bash -c "[ $rc -eq 1 ] && grep -q 'another process has it open' '$T/out'"
  check "  the store untouched: serve still answers" test "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$U/")" = 200
fi
kill "$PID"; wait "$PID" 2>/dev/null; PID=
if [ -z "$PG" ]; then
  cp "$T/backup" "$T/old.db"
  "$VIGIL" db restore --from "$T/backup2" --db "$T/old.db" --force --audit-key "$AUDIT_KEY" >"$T/out" 2>&1; rc=$?
  check "a restore --force over a store no process has open: done, verified" bash -c "[ $rc -eq 0 ] && grep -q '^verify: all checks passed' '$T/out'"
fi

# ---- a damaged backup ----
cp "$T/backup" "$T/bad"
SIZE=$(stat -c %s "$T/bad")
python3 - "$T/bad" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
for at in range(len(b) // 3, len(b) // 3 + 8192):  # two pages in the middle
    b[at] ^= 0xA5
open(p, "wb").write(bytes(b))
EOF
check "  (the damaged copy has the same size, $SIZE bytes)" test "$(stat -c %s "$T/bad")" -eq "$SIZE"
if [ -z "$PG" ]; then
  "$VIGIL" db verify --db "$T/bad" --audit-key "$AUDIT_KEY" >"$T/out" 2>&1; rc=$?
  check "db verify of a backup with bytes overwritten: exit 1, FAILED said" bash -c "[ $rc -eq 1 ] && grep -q '^verify: FAILED' '$T/out'" || tail -5 "$T/out"
else
  R2=$(db_for "$T/damaged")
  "$VIGIL" db restore --from "$T/bad" --db "$R2" >"$T/out" 2>&1; rc=$?
  check "restore of a dump with bytes overwritten: exit 1" test $rc -eq 1 || tail -5 "$T/out"
  "$VIGIL" db verify --db "$R2" >"$T/out" 2>&1; rc=$?
  check "  db verify of what it left: exit 1 (no Vigil schema)" bash -c "[ $rc -eq 1 ] && grep -q '^verify: FAILED' '$T/out'"
fi

# ---- usage, and passwords ----
"$VIGIL" db backup --db "$DB" >/dev/null 2>&1; rc=$?
check "backup without --to: a usage error" test $rc -eq 2
"$VIGIL" db restore --from "$T/backup" >/dev/null 2>&1; rc=$?
check "restore without --db: a usage error" test $rc -eq 2
"$VIGIL" db verify --db "$DB" --force >/dev/null 2>&1; rc=$?
check "verify --force: a usage error" test $rc -eq 2
url='postgresql://u:secret@127.0.0.1:1/x'
"$VIGIL" db backup --db "$url" --to "$T/x" >"$T/out" 2>&1
"$VIGIL" db restore --from "$T/backup" --db "$url" --audit-key "$AUDIT_KEY" >>"$T/out" 2>&1
"$VIGIL" db verify --db "$url" --audit-key "$AUDIT_KEY" >>"$T/out" 2>&1; rc=$?
check "'$url': exit 1, the password never printed" bash -c "[ $rc -eq 1 ] && ! grep -q secret '$T/out' && grep -q '\\*\\*\\*' '$T/out'"
"$VIGIL" db --help | grep -q 'vigil db backup --to FILE'
check "--help names backup, restore, verify" test $? -eq 0
finish
