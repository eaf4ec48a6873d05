#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `vigil lists quarantine`: an entry flood quarantine took out (made here
# as the store makes one: its quarantine row, the entry disabled) is
# listed with its list, value, reason and counts, in text and JSON; it no
# longer matches; `release` enables it again (it matches), audited, and
# the listing keeps it with --all; releasing twice, a bad id and a bad
# action are refused with their exit statuses.
# Usage: test_flood_cli.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
store_init "$T/vigil.db"
v() { "$VIGIL" "$@" --db "$DB"; }
# matched ENTRY: does `vigil match` of seeding.jpg return the entry?
matched() {
  v match --json "$ROOT/samples/seeding.jpg" | python3 -c '
import json, sys
print(any(m["entry"] == int(sys.argv[1]) for m in json.load(sys.stdin)["matches"]))' "$1" | grep -qx True
}
not_matched() { ! matched "$1"; }

v lists create known >/dev/null
"$VIGIL" hash "$ROOT/samples" >"$T/samples.csv"
v lists import known "$T/samples.csv" >/dev/null
pdq=$("$VIGIL" hash "$ROOT/samples/seeding.jpg" | cut -d, -f1)
E=$(v match --json "$ROOT/samples/seeding.jpg" | python3 -c '
import json, sys
print([m["entry"] for m in json.load(sys.stdin)["matches"] if m["distance"] == 0][0])')
check "seeding.jpg's entry matches before" matched "$E"
out=$(v lists quarantine)
check "nothing quarantined: the header alone" test "$(echo "$out" | wc -l)" -eq 1
check "... and [] in JSON" test "$(v lists quarantine --json)" = "[]"

now=$(date +%s)
sqlite3 "$DB" "INSERT INTO flood_quarantines (entry_id, list_id, at, reason,
  hour, matches, media, baseline, baseline_hours) SELECT id, list_id, $now,
  'rate', $((now / 3600)), 5000, 4000, 336, 168 FROM list_entries
  WHERE id = $E; UPDATE list_entries SET enabled = 0 WHERE id = $E;"
check "quarantined: no longer matches" not_matched "$E"
v lists quarantine >"$T/ls"
check "ls: one line under the header" test "$(wc -l <"$T/ls")" -eq 2
check "ls: entry, list, algo, reason, counts, mean, value" \
  grep -qE "^1 +$E +known +pdq +rate +5000 +4000 +2\.00 +[0-9T:Z-]+ +$pdq\$" "$T/ls"
v lists quarantine ls --json >"$T/json"
check "--json: the fields the console shows" python3 - "$T/json" "$E" "$pdq" <<'EOF'
import json, sys
q = json.load(open(sys.argv[1]))
assert len(q) == 1, q
q = q[0]
want = {"id": 1, "list": "known", "entry": int(sys.argv[2]), "algo": "pdq",
        "value": sys.argv[3], "reason": "rate", "matches": 5000,
        "media": 4000, "baseline_mean": 2.0, "baseline_hours": 168,
        "released_at": None, "released_by": None}
for k, v in want.items():
    assert q[k] == v, (k, q[k], v)
assert q["at"].endswith("Z") and q["hour"].endswith(":00:00Z"), q
EOF

check "release: exit 0" bash -c "'$VIGIL' lists quarantine release $E --db '$DB' | grep -q 'entry $E released'"
check "released: matches again" matched "$E"
check "released: not in force" test "$(v lists quarantine --json)" = "[]"
check "--all: with its release time" grep -qE "^1 +$E +known .* [0-9T:-]+Z\$" <(v lists quarantine --all)
check "the release is audited" bash -c "'$VIGIL' audit ls --db '$DB' | grep -q 'entry.release'"
v lists quarantine release "$E" 2>"$T/err" >/dev/null
check "released twice: exit 1" test $? -eq 1
check "... saying why" grep -q "is not quarantined" "$T/err"
v lists quarantine release x1 >/dev/null 2>&1
check "a bad entry id: exit 2" test $? -eq 2
v lists quarantine frob >/dev/null 2>&1
check "a bad action: exit 2" test $? -eq 2
check "--help: exit 0 with the actions" bash -c "'$VIGIL' lists quarantine --help | grep -q 'release ENTRY_ID'"
check "lists --help names it" bash -c "'$VIGIL' lists --help | grep -q 'quarantine \[ls|release ENTRY_ID\]'"
finish
