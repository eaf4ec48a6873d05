#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Retention from the command line and in `vigil serve`, with the clock
# given (--now): reports filed through the public form, closed; a legal
# hold (vigil holds add/rm/ls) keeps one report's contact details out of
# a run and out of an erase request (vigil reports erase); `vigil
# retention show` and `run --dry-run` count without deleting, `run`
# deletes on the day and not the second before, reads the policy of a
# serve configuration file, and the audit log still verifies; an admin
# holds and releases a report at the console; `vigil serve` runs the job
# itself under the fleet's lease.
# Usage: test_retention_cli.sh VIGIL_BINARY TESTDATA_DIR
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
DAY=86400

file_report() { # file_report NAME: the reference
  curl -s --noproxy '*' --max-time 30 "$U/report" -D "$T/hdr" -o /dev/null \
    -d "incident_type=luring&technology=website&urls=https%3A%2F%2Fexample.com%2F$1&description=seen&luring_meet=yes&luring_images=no&contact_name=$1&contact_email=$1%40example.org"
  grep -i '^location:' "$T/hdr" | tr -d '\r' | sed 's/.*ref=//'
}
close_report() { # close_report REF TIME
  sqlite3 "$DB" "INSERT INTO incidents (report_id, incident_type, outcome, updated_at) SELECT id, 'luring', 'police', $2 FROM reports WHERE reference = '$1'"
  sqlite3 "$DB" "UPDATE reports SET status = 'closed' WHERE reference = '$1'"
}
contacts() { sqlite3 "$DB" "SELECT COUNT(*) FROM reports WHERE reporter_contact IS NOT NULL"; }
v() { "$VIGIL" "$@" --db "$DB" >"$T/out" 2>"$T/err"; echo $?; }

serve_start --no-retention
check "serving" test -n "$PORT"
R1=$(file_report one); R2=$(file_report two); R3=$(file_report three)
check "three reports with contact details" test "$(contacts)" -eq 3
kill -TERM "$PID"; wait "$PID" 2>/dev/null; PID=
close_report "$R1" $T0
close_report "$R2" $T0
DUE=$((T0 + 365 * DAY))

# holds
check "holds add: a hold on a report" test "$(v holds add report "$R2" --reason 'police request 7')" = 0
check "holds add: says which" grep -q "^hold [0-9]* on report $R2" "$T/out"
check "holds add: held already is a failure" test "$(v holds add report "$R2" --reason again)" = 1
check "holds add: and says so" grep -q "already held" "$T/err"
check "holds add: no such report" test "$(v holds add report AAAA-AAAA-AAAA --reason x)" = 1
check "holds add: the reason is required" test "$(v holds add report "$R1")" = 2
check "holds add: a case by number; no such case" test "$(v holds add case 99 --reason x)" = 1
check "holds ls: the hold in force" bash -c "[ \"\$('$VIGIL' holds ls --db '$DB' | grep -c \"report $R2 set .*: police request 7\")\" -eq 1 ]"

# show and dry run count, nothing changes
check "retention show: exit 0" test "$(v retention show --now $DUE)" = 0
check "retention show: contact due 1, held 1" grep -q "^contact .*365 days .*due 1, held 1" "$T/out"
check "retention show: the audit log is kept" grep -q "^audit .*never" "$T/out"
check "retention run --dry-run: would delete 1" bash -c "[ \"\$('$VIGIL' retention run --dry-run --now $DUE --db '$DB' | grep -c '^contact .*would delete 1, held 1')\" -eq 1 ]"
check "--dry-run deletes nothing" test "$(contacts)" -eq 3
check "--dry-run writes no audit record" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM audit_log WHERE action = 'retention.run'")" -eq 0

# the second before, then the day
check "retention run the second before: exit 0" test "$(v retention run --now $((DUE - 1)))" = 0
check "the second before: nothing deleted" test "$(contacts)" -eq 3
check "retention run on the day: exit 0" test "$(v retention run --now $DUE)" = 0
check "on the day: contact deleted 1, held 1" grep -q "^contact .*deleted 1, held 1" "$T/out"
check "on the day: the held and the open report keep theirs" test "$(contacts)" -eq 2
check "R1's contact details gone" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM reports WHERE reference = '$R1' AND reporter_contact IS NULL")" -eq 1
check "one audit record per run, with the counts" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM audit_log WHERE action = 'retention.run' AND detail LIKE '%deleted contact=1 %held contact=1 %'")" -eq 1

# erase requests
check "reports erase: refused under a hold" test "$(v reports erase "$R2" --reason 'asked by e-mail')" = 1
check "reports erase: says why" grep -q "legal hold" "$T/err"
check "holds rm: releases it" test "$(v holds rm report "$R2" --reason 'request answered')" = 0
check "holds rm: none in force now" test "$(v holds rm report "$R2")" = 1
check "holds ls: none in force" bash -c "'$VIGIL' holds ls --db '$DB' | grep -q '^no holds in force'"
check "holds ls --all: the released one" bash -c "'$VIGIL' holds ls --all --db '$DB' | grep -q \"report $R2 set .* released \""
check "reports erase: exit 0" test "$(v reports erase "$R2" --reason 'asked by e-mail')" = 0
check "reports erase: says so" grep -q "contact details erased" "$T/out"
check "reports erase: gone" test "$(contacts)" -eq 1
check "reports erase: the reason is required" test "$(v reports erase "$R3")" = 2
check "reports erase: no such report" test "$(v reports erase AAAA-AAAA-AAAA --reason x)" = 1
check "audited: hold.add, hold.release, report.erase" bash -c "'$VIGIL' audit ls --db '$DB' > '$T/audit' && grep -q ' hold.add report#.*police request 7' '$T/audit' && grep -q ' hold.release report#' '$T/audit' && grep -q ' report.erase report#.*asked by e-mail; contact details cleared' '$T/audit'"

# the policy from a serve configuration file, its other lines ignored
cat >"$T/serve.conf" <<CONF
listen = 127.0.0.1:0
trust-proxy = yes
retention-contact = never
retention-reports = 10
CONF
check "retention show --config: exit 0" test "$(v retention show --config "$T/serve.conf" --now $DUE)" = 0
check "--config: contact never" grep -q "^contact .*never" "$T/out"
check "--config: reports 10 days, R1 due" grep -q "^reports .*10 days .*due 2, held 0" "$T/out"
check "the command line wins" bash -c "'$VIGIL' retention show --config '$T/serve.conf' --retention-reports 1000 --now $DUE --db '$DB' | grep -q '^reports .*1000 days .*due 0'"
check "a bad number is a usage error" test "$(v retention run --retention-contact -1)" = 2
check "an unknown action is a usage error" test "$(v retention purge)" = 2
check "retention run: the reports go" test "$(v retention run --config "$T/serve.conf" --now $DUE)" = 0
check "retention run: two reports deleted" grep -q "^reports .*deleted 2" "$T/out"
check "retention run: with their incidents" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM incidents")" -eq 0
check "the audit log verifies after the runs" bash -c "'$VIGIL' audit verify --db '$DB' | grep -q '^audit log intact'"

# the console: an admin puts a report under a hold and releases it (CSRF
# as every console POST); an analyst sees the hold but gets no form
PW='correct horse battery'
echo "$PW" | "$VIGIL" users add root --role admin --db "$DB" >/dev/null
echo "$PW" | "$VIGIL" users add alice --db "$DB" >/dev/null
serve_start --no-retention
c() { local jar=$1 url=$2; shift 2
  curl -s --noproxy '*' --max-time 30 -b "$T/$jar" -c "$T/$jar" "$U$url" "$@"; }
csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -1 | grep -o '[0-9a-f]\{64\}'; }
for who in root alice; do
  c "$who" /console/login >"$T/login.html"
  c "$who" /console/login -d "csrf=$(csrf_of "$T/login.html")&username=$who&password=$PW" -o /dev/null
done
ID3=$(sqlite3 "$DB" "SELECT id FROM reports WHERE reference = '$R3'")
c root "/console/reports/$ID3" >"$T/page.html"
check "console: not held, an admin gets the form" bash -c "grep -q 'id=\"add-hold\" method=\"post\" action=\"/console/reports/$ID3/hold\"' '$T/page.html' && ! grep -q 'id=\"hold-in-force\"' '$T/page.html'"
check "console: a hold without the form's token is refused" test "$(c root "/console/reports/$ID3/hold" -d "reason=x" -o /dev/null -w '%{http_code}')" = 403
CS=$(csrf_of "$T/page.html")
check "console: a hold needs its reason" test "$(c root "/console/reports/$ID3/hold" -d "csrf=$CS&reason=" -o /dev/null -w '%{http_code}')" = 422
check "console: an analyst may not" test "$(c alice "/console/reports/$ID3/hold" -d "csrf=$(c alice "/console/reports/$ID3" | csrf_of /dev/stdin)&reason=x" -o /dev/null -w '%{http_code}')" = 403
check "console: the hold, then back to the page" test "$(c root "/console/reports/$ID3/hold" -d "csrf=$CS&reason=court+order+9" -o /dev/null -w '%{http_code}')" = 303
check "console: held in the store" bash -c "'$VIGIL' holds ls --db '$DB' | grep -q \"report $R3 set .*: court order 9\""
check "console: audited in the admin's name" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM audit_log a JOIN users u ON u.id = a.user_id WHERE a.action = 'hold.add' AND u.username = 'root' AND a.object_id = $ID3")" -eq 1
c alice "/console/reports/$ID3" >"$T/page.html"
check "console: an analyst sees the hold and no form" bash -c "grep -q 'id=\"hold-in-force\"' '$T/page.html' && grep -q 'court order 9' '$T/page.html' && ! grep -q 'release-hold' '$T/page.html'"
c root "/console/reports/$ID3" >"$T/page.html"
check "console: release" test "$(c root "/console/reports/$ID3/release" -d "csrf=$CS&reason=lifted" -o /dev/null -w '%{http_code}')" = 303
check "console: released in the store" bash -c "'$VIGIL' holds ls --db '$DB' | grep -q '^no holds in force'"
c root "/console/reports/$ID3?lang=fr" >"$T/page.html"
check "console: in French too" grep -q 'Conserver pour motif juridique' "$T/page.html"
kill -TERM "$PID"; wait "$PID" 2>/dev/null; PID=

# the job in serve, under the fleet's lease, every second here
close_report "$R3" $(($(date +%s) - 10))
RUNS=$(sqlite3 "$DB" "SELECT COUNT(*) FROM audit_log WHERE action = 'retention.run'")
serve_start --retention-interval 1 --retention-contact 0
check "serving with the retention job" test -n "$PORT"
for _ in $(seq 100); do
  [ "$(contacts)" -eq 0 ] && break
  sleep 0.1
done
check "serve: the closed report's contact details went" test "$(contacts)" -eq 0
check "serve: the run recorded under the lease" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM job_runs WHERE name = 'retention' AND outcome = 'ok'")" -ge 1
check "serve: and audited" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM audit_log WHERE action = 'retention.run'")" -gt "$RUNS"
kill -TERM "$PID"; wait "$PID" 2>/dev/null; PID=
check "the audit log verifies after serve's runs" bash -c "'$VIGIL' audit verify --db '$DB' | grep -q '^audit log intact'"
finish
