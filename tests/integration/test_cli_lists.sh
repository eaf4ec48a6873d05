#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `vigil lists` and `vigil match` end to end on a fresh SQLite store: every
# import format, export round trips, per-list and per-entry enable/disable,
# allow lists, exit statuses, bad import files (errors with line numbers,
# nothing imported) and an import killed mid-transaction.
# Usage: test_cli_lists.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1; DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
store_init "$T/vigil.db"
v() { "$VIGIL" "$@" --db "$DB"; }
count() { # count LIST: enabled entries of a list
  v lists show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries_enabled"])'
}

# --- creating lists
check "create block list" bash -c "'$VIGIL' lists create known --source analysts --db '$DB' | grep -q 'created block list known'"
v lists create known >/dev/null 2>"$T/err"; rc=$?
check "duplicate name refused" test $rc -eq 1
check "duplicate name explained" grep -q 'a list named "known" exists' "$T/err"
v lists create 'bad name!' >/dev/null 2>&1; check "bad name is a usage error" test $? -eq 2
v lists create x --distance 300 >/dev/null 2>&1; check "distance 300 refused" test $? -eq 2
check "create allow list" bash -c "'$VIGIL' lists create fp --allow --db '$DB' | grep -q 'allow list fp'"
check "create with category and distance" bash -c "'$VIGIL' lists create near --category harmful-abusive --distance 10 --db '$DB' >/dev/null"
[ -n "${VIGIL_TEST_PG:-}" ] || # SQLite's own
  check "schema in WAL mode" bash -c "sqlite3 '$DB' 'PRAGMA journal_mode' | grep -qx wal"

# --- imports in every format
"$VIGIL" hash "$ROOT/samples" >"$T/samples.csv"
"$VIGIL" hash --json "$ROOT/samples" >"$T/samples.jsonl"
check "import hashcsv" bash -c "'$VIGIL' lists import known '$T/samples.csv' --db '$DB' | grep -q '(hashcsv): 5 hashes, 5 added, 0 already present'"
check "re-import counts present" bash -c "'$VIGIL' lists import known '$T/samples.csv' --db '$DB' | grep -q '5 hashes, 0 added, 5 already present'"
check "import jsonl: pdq + 3 digests per file" bash -c "'$VIGIL' lists import near '$T/samples.jsonl' --db '$DB' | grep -q '(jsonl): 20 hashes, 20 added'"
check "show lists the import history" bash -c "'$VIGIL' lists show known --db '$DB' | grep -c 'import [0-9]' | grep -qx 2"
cut -d, -f1 "$T/samples.csv" >"$T/lines.txt"
v lists create plain >/dev/null
v lists import plain "$T/lines.txt" >/dev/null 2>"$T/err"; rc=$?
check "64-hex lines without --algo refused" test $rc -eq 1
check "... with advice" grep -q -- "--algo" "$T/err"
check "... and nothing imported" test "$(count plain)" -eq 0
check "lines with --algo pdq" bash -c "'$VIGIL' lists import plain '$T/lines.txt' --algo pdq --db '$DB' | grep -q '5 added'"
printf 'hash,algorithm,category,id,metadata\n' >"$T/h.csv"
grep -o '"md5":"[0-9a-f]*"' "$T/samples.jsonl" | cut -d'"' -f4 | head -2 |
  awk '{printf "%s,md5,sexual-exploitation,ext-%d,\"partner, record %d\"\n", $1, NR, NR}' >>"$T/h.csv"
v lists create partner >/dev/null
check "csv with header" bash -c "'$VIGIL' lists import partner '$T/h.csv' --db '$DB' | grep -q '(csv): 2 hashes, 2 added'"

# --- export round trips
v lists export near --format csv >"$T/near.csv"
v lists create copy >/dev/null
check "export csv imports back whole" bash -c "'$VIGIL' lists import copy '$T/near.csv' --db '$DB' | grep -q '20 hashes, 20 added'"
v lists export copy --format csv >"$T/copy.csv"
check "csv export is stable" cmp -s <(tail -n +2 "$T/near.csv" | sort) <(tail -n +2 "$T/copy.csv" | sort)
v lists export near --format jsonl -o "$T/near.jsonl"
check "jsonl export: 20 lines" test "$(wc -l <"$T/near.jsonl")" -eq 20
check "lines export: 5 lines" test "$(v lists export plain --format lines | wc -l)" -eq 5

# --- matching
S="$ROOT/samples"
v match "$S/fish.gif" >"$T/out"; rc=$?
check "match exits 1 on a match" test $rc -eq 1
check "plain match line" grep -Eq "^$S/fish.gif: match list=known entry=[0-9]+ category=csam algo=pdq distance=0 variant=orig$" "$T/out"
check "exact digest matches too" grep -q "list=near .* algo=sha256 distance=0" "$T/out"
v match --json "$S/fish.gif" >"$T/j"
check "json match fields" python3 - "$T/j" <<'PY'
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o["path"].endswith("fish.gif") and len(o["pdq"]) == 64 and o["quality"] == 100
assert o["allowed"] is False
m = [x for x in o["matches"] if x["list"] == "near" and x["algo"] == "md5"][0]
assert m["category"] == "harmful-abusive" and m["distance"] == 0 and m["variant"] is None
p = [x for x in o["matches"] if x["list"] == "known"][0]
assert p["algo"] == "pdq" and p["variant"] == "orig" and p["metadata"].endswith("fish.gif")
assert set(p) == {"list", "entry", "category", "algo", "distance", "variant", "external_id", "metadata"}
PY
v match --json "$S/goldfish.webp" >"$T/j"
check "csv metadata and external id returned" python3 - "$T/j" <<'PY'
import json, sys
o = json.loads(open(sys.argv[1]).read())
ms = [x for x in o["matches"] if x["list"] == "partner"]
assert len(ms) == 1, ms
assert ms[0]["external_id"] == "ext-2" and ms[0]["metadata"] == "partner, record 2"
assert ms[0]["category"] == "sexual-exploitation" and ms[0]["algo"] == "md5"
PY
convert -size 64x64 gradient:blue-yellow "$T/other.png"
v match "$T/other.png" >"$T/out"; rc=$?
check "no match exits 0" test $rc -eq 0
check "no-known-match" grep -qx "$T/other.png: no-known-match" "$T/out"
v match "$T/missing.jpg" >/dev/null 2>&1; check "unreadable file exits 2" test $? -eq 2
v match >/dev/null 2>&1; check "no PATH exits 2" test $? -eq 2
"$VIGIL" match --db "$T/nodir/x/../../nonexistent.db" "$S/fish.gif" >/dev/null 2>&1
check "a new store has no lists: no match" test $? -eq 0

# --- enable / disable
for l in near plain copy partner; do v lists disable $l >/dev/null; done
v match "$S/fish.gif" >/dev/null; check "still matched by known" test $? -eq 1
v lists disable known >/dev/null
v match "$S/fish.gif" >/dev/null; check "disabled list does not match" test $? -eq 0
v lists enable known >/dev/null
h=$(grep fish.gif "$T/samples.csv" | cut -d, -f1)
check "quarantine one entry by hash" bash -c "'$VIGIL' lists disable known --entry $h --db '$DB' | grep -q quarantined"
v match "$S/fish.gif" >/dev/null; check "quarantined entry does not match" test $? -eq 0
v match "$S/trout.png" >/dev/null; check "other entries still match" test $? -eq 1
v lists enable known --entry $h >/dev/null
v match "$S/fish.gif" >/dev/null; check "released entry matches again" test $? -eq 1
v lists disable known --entry 999999 >/dev/null 2>&1; check "unknown entry id fails" test $? -eq 1
v lists export known --format lines >"$T/k.txt"
check "export skips nothing when all enabled" test "$(wc -l <"$T/k.txt")" -eq 5

# --- allow lists suppress
grep fish.gif "$T/samples.csv" >"$T/fp.csv"
v lists import fp "$T/fp.csv" >/dev/null
v match --json "$S/fish.gif" >"$T/j"; rc=$?
check "allowed image exits 0" test $rc -eq 0
check "allowed json" python3 - "$T/j" <<'PY'
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o["allowed"] is True and o["matches"] == []
assert o["allowed_by"][0]["list"] == "fp" and o["allowed_by"][0]["distance"] == 0
assert [x["list"] for x in o["suppressed"]] == ["known"]
PY
v match "$S/fish.gif" | grep -q "allowed list=fp"; check "allowed plain line" test $? -eq 0
v lists disable fp >/dev/null
v match "$S/fish.gif" >/dev/null; check "disabled allow list no longer suppresses" test $? -eq 1

# --- bad import files: line numbers, nothing imported
v lists create strict >/dev/null
printf '%s\n' "$(printf 'a%.0s' {1..32})" "$(printf '0%.0s' {1..31})" "0123456789abcdef0123456789abcdeg" \
  "$(printf 'b%.0s' {1..32})" "$(printf 'a%.0s' {1..32})" >"$T/bad.txt"
v lists import strict "$T/bad.txt" >/dev/null 2>"$T/err"; rc=$?
check "bad file exits 1" test $rc -eq 1
check "wrong length on line 2" grep -q "bad.txt:2: .*31" "$T/err"
check "non-hex on line 3" grep -q "bad.txt:3: .*'g'" "$T/err"
check "duplicate on line 5 names line 1" grep -q "bad.txt:5: duplicate md5 hash (first on line 1)" "$T/err"
check "summary says nothing imported" grep -q "3 bad lines; nothing imported" "$T/err"
check "strict list still empty" test "$(count strict)" -eq 0
{ printf 'ffffffffffffffffffffffffffffffff\n'; head -c 100000 /dev/zero | tr '\0' 'a'; printf '\n'; } >"$T/huge.txt"
v lists import strict "$T/huge.txt" >/dev/null 2>"$T/err"
check "huge line refused with its number" grep -q "huge.txt:2: line longer than" "$T/err"
printf 'ffffffffffffffffffffffffffffffff\n\xff\xfe\n' >"$T/enc.txt"
v lists import strict "$T/enc.txt" >/dev/null 2>"$T/err"
check "invalid UTF-8 refused with its number" grep -q "enc.txt:2: .*UTF-8" "$T/err"
check "strict list still empty after all" test "$(count strict)" -eq 0
v lists import nosuch "$T/lines.txt" >/dev/null 2>"$T/err"
check "import into a missing list" grep -q 'no list named "nosuch"' "$T/err"
v lists import strict "$T/none.txt" >/dev/null 2>"$T/err"
check "import of a missing file" grep -q "none.txt" "$T/err"

# --- a killed import leaves the list as it was
python3 -c "
import random
r = random.Random(7)
for _ in range(20000): print('%032x' % r.getrandbits(128))" >"$T/many.txt"
before=$(count known)
VIGIL_TEST_KILL_AFTER_ROWS=5000 "$VIGIL" lists import known "$T/many.txt" --db "$DB" >/dev/null 2>&1; rc=$?
check "import was killed (SIGKILL)" test $rc -eq 137
check "killed import left the list as it was" test "$(count known)" -eq "$before"
check "killed import left no history" bash -c "'$VIGIL' lists show known --db '$DB' | grep -c 'import [0-9]' | grep -qx 2"
[ -n "${VIGIL_TEST_PG:-}" ] || # SQLite's own
  check "the store is intact" bash -c "sqlite3 '$DB' 'PRAGMA integrity_check' | grep -qx ok"
check "the import then succeeds" bash -c "'$VIGIL' lists import known '$T/many.txt' --db '$DB' | grep -q '20000 added'"

# --- rm
v lists rm copy >/dev/null 2>"$T/err"; rc=$?
check "rm of a non-empty list wants --yes" test $rc -eq 2
check "rm --yes" bash -c "'$VIGIL' lists rm copy --yes --db '$DB' | grep -q 'deleted list copy'"
check "entries went with it" test "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM list_entries WHERE list_id NOT IN (SELECT id FROM hash_lists)')" -eq 0
check "ls lists the rest" test "$(v lists ls --json | wc -l)" -eq 6

# --- every change above is in the audit log, named as the operator's
ME="cli:$(id -un)"
v audit ls --limit 0 >"$T/audit"
has_rec() { grep -Eq "^[0-9]+ [^ ]+ cli $1 list#[0-9]+ \[$ME\]$2" "$T/audit"; }
check "list creations audited, with the operator" has_rec list.create " known, block list, category csam"
check "the allow list too" has_rec list.create " fp, allow list"
check "one record per import" test "$(grep -c ' list.import ' "$T/audit")" -eq $(( $(sqlite3 "$DB" 'SELECT COUNT(*) FROM list_imports') + 1 )) # + copy's, deleted
check "imports say file and counts" has_rec list.import " .*samples.csv \(hashcsv\): 5 lines, 5 added, 0 already present"
check "list disable and enable audited" bash -c "grep -q ' cli list.disable list#' '$T/audit' && grep -q ' cli list.enable list#' '$T/audit'"
check "entry quarantine audited" bash -c "grep -Eq ' cli entry.disable entry#[0-9]+ \[$ME\]$' '$T/audit' && grep -q ' cli entry.enable entry#' '$T/audit'"
check "deletion audited" has_rec list.delete " copy"
check "a refused rm is not" test "$(grep -c ' list.delete ' "$T/audit")" -eq 1
check "the audit chain holds" bash -c "'$VIGIL' audit verify --db '$DB' | grep -q '^audit log intact'"

finish
