#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copies also hosted and re-uploads in every display of the figures: cases
# linked as the notice cycle links them (tests/unit/test_reupload.c proves
# the linking) are counted per provider by `vigil notices report` (table,
# --csv with the median hours from removal to reappearance, --json),
# described by `vigil notices show` and shown at the console's notices
# page, the figures and each case's tag.
# Usage: test_reupload_report.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
store_init "$T/vigil.db"
T0=1700000000
H=3600
DAY=86400
v() { "$VIGIL" "$@" --db "$DB"; }

v notices ls >/dev/null
# provider A: case 1, and case 2 found with it (also hosted); both removed
# at T0 + 2 h; back 3 days later at A (case 4), 7 days later at B (case 3)
sqlite3 "$DB" "INSERT INTO providers (id, name, abuse_emails, created_at) VALUES (1, 'Host A', 'abuse@a.example', 0), (2, 'Host B', 'abuse@b.example', 0)"
for i in 1 2 3 4; do
  sqlite3 "$DB" "INSERT INTO urls (id, url, host, first_seen_at) VALUES ($i, 'https://h$i.example/x.jpg', 'h$i.example', $T0)"
done
sqlite3 "$DB" "INSERT INTO cases (id, url_id, provider_id, opened_at, detected_at, first_notice_at, removed_at, status, also_hosted_with, reupload_of, reappeared_after) VALUES
  (1, 1, 1, $T0, $T0, $T0, $((T0 + 2 * H)), 'removed', NULL, NULL, NULL),
  (2, 2, 1, $T0, $T0, $T0, $((T0 + 2 * H)), 'removed', 1, NULL, NULL),
  (3, 3, 2, $((T0 + 2 * H + 7 * DAY)), $((T0 + 2 * H + 7 * DAY)), NULL, NULL, 'open', NULL, 2, $((7 * DAY))),
  (4, 4, 1, $((T0 + 2 * H + 3 * DAY)), $((T0 + 2 * H + 3 * DAY)), NULL, NULL, 'open', NULL, 2, $((3 * DAY)))"
check "four cases" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM cases")" -eq 4

v notices report --csv >"$T/r.csv"
check "CSV: also hosted, re-uploads and the median hours per provider" python3 - "$T/r.csv" <<'EOF'
import csv, sys
r = {x["provider"]: x for x in csv.DictReader(open(sys.argv[1]))}
a, b = r["Host A"], r["Host B"]
ok = (len(r) == 2 and a["also_hosted"] == "1" and a["reuploads"] == "1"
      and a["reupload_median_hours"] == "72.0" and b["also_hosted"] == "0"
      and b["reuploads"] == "1" and b["reupload_median_hours"] == "168.0"
      and a["removed"] == "2" and a["still_up"] == "1")
sys.exit(0 if ok else 1)
EOF
v notices report >"$T/r.txt"
check "table: the columns named, Host A's row" bash -c "head -1 '$T/r.txt' | grep -q 'ALSO  *REUPLOAD  *REUP h' && grep -Eq '^Host A .* 1 +1 +72\.0\$' '$T/r.txt'"
v notices report --json >"$T/r.json"
check "JSON: counts, each delay and the median in seconds" python3 - "$T/r.json" <<'EOF'
import json, sys
r = {x["provider"]: x for x in json.load(open(sys.argv[1]))}
b = r["Host B"]
sys.exit(0 if b["also_hosted"] == 0 and b["reuploads"] == 1
         and b["reappeared_after"] == [7 * 86400]
         and b["reappear_median_s"] == 7 * 86400
         and r["Host A"]["also_hosted"] == 1 else 1)
EOF
check "notices show: the mirror is also hosted with the first case" bash -c "'$VIGIL' notices show 2 --db '$DB' | grep -q 'also hosted with case 1'"
check "notices show: the re-upload, its delay and the removed case" bash -c "'$VIGIL' notices show 3 --db '$DB' | grep -q 're-uploaded 168.0 h after the removal of case 2'"
check "notices ls --json: the links" python3 -c "
import json, subprocess, sys
c = {x['id']: x for x in json.loads(subprocess.check_output(['$VIGIL', 'notices', 'ls', '--json', '--db', '$DB']))}
sys.exit(0 if c[2]['also_hosted_with'] == 1 and c[2]['reappeared_after'] is None
         and c[4]['reupload_of'] == 2 and c[4]['reappeared_after'] == 3 * 86400
         and c[1]['also_hosted_with'] is None else 1)"

# the console
PW='correct horse battery'
echo "$PW" | v users add root --role admin >/dev/null
serve_start
check "serving" test -n "$PORT"
c() { curl -s --noproxy '*' --max-time 30 -b "$T/jar" -c "$T/jar" "$U$1" "${@:2}"; }
csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -1 | grep -o '[0-9a-f]\{64\}'; }
c /console/login >"$T/login.html"
c /console/login -d "csrf=$(csrf_of "$T/login.html")&username=root&password=$PW" -o /dev/null
c /console/notices >"$T/n.html"
check "console: per provider, also hosted, re-uploaded and the median time" python3 - "$T/n.html" <<'EOF'
import re, sys
h = open(sys.argv[1]).read()
rows = re.search(r'<table id="providers".*?<tbody>(.*?)</tbody>', h, re.S).group(1)
a = re.search(r"<tr><td>Host A</td>(.*?)</tr>", rows).group(1)
b = re.search(r"<tr><td>Host B</td>(.*?)</tr>", rows).group(1)
cells = lambda r: re.findall(r"<td>(.*?)</td>", r)
ca, cb = cells(a), cells(b)
sys.exit(0 if ca[8:11] == ["1", "1", "3 d 0 h"] and cb[8:11] == ["0", "1", "7 d 0 h"]
         and "Median time to re-upload" in h else 1)
EOF
check "console: each case's tag" bash -c "grep -q 'also hosted with case 1' '$T/n.html' && grep -q 're-uploaded 7 d 0 h after the removal of case 2' '$T/n.html'"
kill -TERM "$PID"; wait "$PID" 2>/dev/null; PID=
finish
