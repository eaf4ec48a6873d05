#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README promises of `vigil serve` that had no test (issue 22): the form
# says reports can be anonymous (English and French); the queue's filters
# (status, type) list exactly the matching reports; an admin disables a
# list entry from the console (an analyst cannot); every state-changing
# console POST an admin or analyst can reach adds exactly one audit record
# naming the actor; confirming an RDAP suggestion from the console; and the
# default --rate-limit of 30 reports a minute per address.
# Usage: test_console_promises.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
FIX="$HERE/../fixtures"
. "$HERE/lib.sh"
T=$(mktemp -d)
PID= RPID=
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  [ -n "$RPID" ] && kill "$RPID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
DB="$T/vigil.db"
PW='correct horse battery'
q() { sqlite3 "$DB" "$1"; }

echo "$PW" | "$VIGIL" users add ann --db "$DB" >/dev/null
echo "$PW" | "$VIGIL" users add root --role admin --db "$DB" >/dev/null
echo "$PW" | "$VIGIL" users add dave --db "$DB" >/dev/null
"$VIGIL" lists create known --db "$DB" >/dev/null
printf '%s\n' f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22 \
  0000f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c0000 >"$T/h.txt"
"$VIGIL" lists import known "$T/h.txt" --format lines --algo pdq --db "$DB" >/dev/null

# an RDAP suggestion, made as test_providers.sh makes them
python3 "$FIX/rdap_server.py" >"$T/rdap.out" 2>"$T/rdap.err" &
RPID=$!
for _ in $(seq 50); do grep -q '^PORT' "$T/rdap.out" && break; sleep 0.1; done
P=$(awk '/^PORT/ {print $2}' "$T/rdap.out")
cat >"$T/ipv4.json" <<EOF
{"version": "1.0", "services": [[["192.0.2.0/24"], ["http://127.0.0.1:$P/"]]]}
EOF
"$VIGIL" providers lookup https://site.test/ --ip 192.0.2.210 --save --db "$DB" \
  --rdap-bootstrap "$T/ipv4.json" --rdap-http-loopback >"$T/rdap.txt" 2>&1
SUG=$(q "SELECT id FROM providers WHERE source = 'rdap' AND confirmed = 0")
check "an RDAP suggestion to confirm" test -n "$SUG"

start() { # start OUT_PREFIX [serve options...]: sets PID and U
  local pre=$1; shift
  "$VIGIL" serve --db "$DB" --no-crawl --listen 127.0.0.1:0 "$@" \
    >"$T/$pre.out" 2>"$T/$pre.err" &
  PID=$!
  PORT=
  for _ in $(seq 100); do
    PORT=$(grep -o ':[0-9][0-9]*/' "$T/$pre.out" 2>/dev/null | tr -d ':/')
    [ -n "$PORT" ] && break
    sleep 0.05
  done
  U="http://127.0.0.1:$PORT"
}
c() { local jar=$1 url=$2; shift 2
  curl -s --noproxy '*' --max-time 30 -b "$T/$jar" -c "$T/$jar" "$U$url" "$@"; }
code() { c "$@" -o /dev/null -w '%{http_code}'; }
csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -1 | grep -o '[0-9a-f]\{64\}'; }
signin() { # signin JAR USER
  c "$1" /console/login >"$T/login.html"
  c "$1" /console/login -d "csrf=$(csrf_of "$T/login.html")&username=$2&password=$PW" -o /dev/null
  c "$1" /console >"$T/$1.q"
  csrf_of "$T/$1.q"
}

# ---- default --rate-limit: 30 reports a minute from one address ----
start rl
check "serving with the default rate limit" test -n "$PORT"
R='incident_type=csam&technology=website&urls=https%3A%2F%2Fexample.com%2Frl&description=rate'
: >"$T/rl.codes"
for i in $(seq 31); do code pub /report -d "$R" >>"$T/rl.codes"; echo >>"$T/rl.codes"; done
check "default --rate-limit 30: 30 reports accepted" test "$(head -30 "$T/rl.codes" | grep -c '^303$')" -eq 30
check "  the 31st within the minute: 429" test "$(sed -n 31p "$T/rl.codes")" = 429
# --per-address 32: of 40 idle connections from one address, 32 stay open
python3 - "$PORT" >"$T/pa.txt" <<'EOF2'
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) for _ in range(40)]
time.sleep(1.5)
open_ = 0
for s in socks:
    s.settimeout(0.05)
    try:
        open_ += s.recv(1) != b""
    except socket.timeout:
        open_ += 1
    except OSError:
        pass
print(open_)
EOF2
check "default --per-address 32: 32 of 40 connections from one address kept" test "$(cat "$T/pa.txt")" = 32
TASKS8=$(ls "/proc/$PID/task" | wc -l)
kill -TERM "$PID"; wait "$PID"; PID=
start t3 --threads 3
TASKS3=$(ls "/proc/$PID/task" | wc -l)
kill -TERM "$PID"; wait "$PID"; PID=
check "default --threads 8: five threads more than with --threads 3 ($TASKS8, $TASKS3)" test $((TASKS8 - TASKS3)) -eq 5

start s --rate-limit 0
check "serving" test -n "$PORT"

# ---- the form says reports can be anonymous ----
c pub '/report?lang=en' >"$T/en.html"
check "the form says plainly that reports can be anonymous (English)" grep -qF 'You can report anonymously.' "$T/en.html"
c pub '/report?lang=fr' >"$T/fr.html"
check "  and in French" grep -qF 'Vous pouvez faire un signalement anonyme.' "$T/fr.html"

# ---- the queue's filters ----
q 'DELETE FROM frontier' 2>/dev/null
for t in luring csam csam trafficking; do
  c pub /report -d "incident_type=$t&technology=chat&detail=x&description=filter+$t&luring_meet=no&luring_images=no" -o /dev/null
done
AS=$(signin a ann)
check "the analyst signed in" test -n "$AS"
OPEN=$(q "SELECT MIN(r.id) FROM reports r WHERE r.description = 'filter csam'")
c a "/console/reports/$OPEN/open" -d "csrf=$AS" -o /dev/null
listed() { # listed QUERY: the report ids the queue lists, sorted
  c a "/console$1" | grep -o 'class="report-link" href="/console/reports/[0-9]*"' | grep -o '[0-9]*"$' | tr -d '"' | sort -n | tr '\n' ' '; }
want() { q "SELECT r.id FROM reports r $1 ORDER BY r.id" | tr '\n' ' '; }
TYPE="EXISTS (SELECT 1 FROM incidents i WHERE i.report_id = r.id AND i.incident_type = 'csam') OR (NOT EXISTS (SELECT 1 FROM incidents i WHERE i.report_id = r.id) AND r.incident_type = 'csam')"
check "the queue unfiltered lists every report" test "$(listed '')" = "$(want '')"
check "filter status=in_review: only the one taken into review" test "$(listed '?status=in_review')" = "$OPEN "
check "filter status=new: all the others" test "$(listed '?status=new')" = "$(want "WHERE r.status = 'new'")"
check "filter type=csam: exactly the csam reports" bash -c "[ '$(listed '?type=csam')' = '$(want "WHERE $TYPE")' ] && [ -n '$(want "WHERE $TYPE")' ] && [ '$(want "WHERE $TYPE")' != '$(want '')' ]"
check "filter type=trafficking: the one" test "$(listed '?type=trafficking')" = "$(want "WHERE r.description = 'filter trafficking'")"
check "status and type together" test "$(listed '?status=new&type=csam')" = "$(want "WHERE r.status = 'new' AND ($TYPE)")"

# ---- every state-changing console POST is audited, once, naming its actor ----
RS=$(signin r root)
check "the admin signed in" test -n "$RS"
ANN=$(q "SELECT id FROM users WHERE username = 'ann'")
ROOT=$(q "SELECT id FROM users WHERE username = 'root'")
ACTS=0
act() { # act DESC JAR ACTOR_ID URL DATA: a 2xx/3xx answer and one audit record by ACTOR
  local d=$1 jar=$2 who=$3 url=$4 data=$5 n0 n1 st last
  n0=$(q 'SELECT COUNT(*) FROM audit_log')
  st=$(code "$jar" "$url" -d "$data")
  n1=$(q 'SELECT COUNT(*) FROM audit_log')
  last=$(q 'SELECT user_id FROM audit_log ORDER BY id DESC LIMIT 1')
  ACTS=$((ACTS + 1))
  check "audited once, by its actor: $d ($st)" bash -c "[ '$st' -ge 200 ] && [ '$st' -lt 400 ] && [ $n1 -eq \$(( $n0 + 1 )) ] && [ '$last' = '$who' ]"
}
c pub /report -d "incident_type=csam&technology=website&urls=https%3A%2F%2Fexample.com%2Fc&description=with+contact&contact_email=alex%40example.org" -o /dev/null
ID=$(q "SELECT MAX(id) FROM reports")
act "POST /console/reports/ID/open" a "$ANN" "/console/reports/$ID/open" "csrf=$AS"
act "POST /console/reports/ID/contact" a "$ANN" "/console/reports/$ID/contact" "csrf=$AS"
INC=$(q "SELECT MIN(id) FROM incidents WHERE report_id = $ID")
act "POST /console/reports/ID/incidents/IID" a "$ANN" "/console/reports/$ID/incidents/$INC" "csrf=$AS&incident_type=luring&outcome=police&notes=n"
act "POST /console/reports/ID/incidents" a "$ANN" "/console/reports/$ID/incidents" "csrf=$AS&incident_type=csam"
act "POST /console/admin/users" r "$ROOT" /console/admin/users "csrf=$RS&username=bob&role=analyst&password=$PW"
act "POST /console/admin/users/NAME/disable" r "$ROOT" /console/admin/users/bob/disable "csrf=$RS"
act "POST /console/admin/users/NAME/enable" r "$ROOT" /console/admin/users/bob/enable "csrf=$RS"
act "POST /console/admin/users/NAME/unlock" r "$ROOT" /console/admin/users/bob/unlock "csrf=$RS"
act "POST /console/admin/keys" r "$ROOT" /console/admin/keys "csrf=$RS&name=Partner"
KID=$(q "SELECT id FROM api_keys WHERE name = 'Partner'")
act "POST /console/admin/keys/ID/revoke" r "$ROOT" "/console/admin/keys/$KID/revoke" "csrf=$RS"
LID=$(q "SELECT id FROM hash_lists WHERE name = 'known'")
EID=$(q "SELECT MIN(id) FROM list_entries WHERE list_id = $LID")
EID2=$(q "SELECT MAX(id) FROM list_entries WHERE list_id = $LID")
act "POST /console/lists/ID/entries/EID (disable)" r "$ROOT" "/console/lists/$LID/entries/$EID2" "csrf=$RS&enabled=0"
act "POST /console/lists/ID/entries/EID (enable)" r "$ROOT" "/console/lists/$LID/entries/$EID2" "csrf=$RS&enabled=1"
act "POST /console/admin/providers" r "$ROOT" /console/admin/providers "csrf=$RS&name=Manual+Host&emails=abuse%40manual.test&domains=manual.test&networks=&language=en&notes="
MID=$(q "SELECT id FROM providers WHERE name = 'Manual Host'")
act "POST /console/admin/providers/ID (save)" r "$ROOT" "/console/admin/providers/$MID" "csrf=$RS&name=Manual+Host&emails=abuse%40manual.test&domains=manual.test&networks=&language=fr&notes=edited"
act "POST /console/admin/providers/ID/confirm" r "$ROOT" "/console/admin/providers/$SUG/confirm" "csrf=$RS"
act "POST /console/admin/providers/ID/delete" r "$ROOT" "/console/admin/providers/$MID/delete" "csrf=$RS"
# a partner's feedback on a match (the hash-check API), resolved by an
# analyst; an entry in flood quarantine, released by one
FKEY=$("$VIGIL" apikeys add fb --scopes lookup --partner fbp --db "$DB" | tail -1)
"$VIGIL" lists share known fbp --db "$DB" >/dev/null
c pub /v1/feedback -H "Authorization: Bearer $FKEY" -H 'Content-Type: application/json' \
  -d "{\"entry_id\": $EID, \"verdict\": \"false_positive\", \"note\": \"ours\"}" -o /dev/null
FID=$(q "SELECT MAX(id) FROM partner_feedback")
act "POST /console/feedback/ID (keep)" a "$ANN" "/console/feedback/$FID" "csrf=$AS&action=keep"
q "INSERT INTO flood_quarantines (entry_id, list_id, at, reason, hour, matches, media, baseline, baseline_hours) SELECT id, list_id, $(date +%s), 'rate', $(($(date +%s) / 3600)), 5000, 4000, 336, 168 FROM list_entries WHERE id = $EID2; UPDATE list_entries SET enabled = 0 WHERE id = $EID2"
act "POST /console/quarantine/ENTRY (release)" a "$ANN" "/console/quarantine/$EID2" "csrf=$AS"
# the POST routes of src/web: those driven above, and those left out on
# purpose (the public form and API, the hash-check API: test_api_*.sh,
# sign-in and sign-out, and the media review and reveal, which need a
# crawl: test_serve_review.sh audits them)
SRC="$HERE/../../src/web"
grep -ho '"POST", *"[^"]*"' "$SRC"/*.c | grep -o '"/[^"]*"' | tr -d '"' | sort -u >"$T/routes"
printf '%s\n' /api/v1/reports /console/admin/keys '/console/admin/keys/*' \
  /console/admin/providers '/console/admin/providers/*' /console/admin/users \
  '/console/admin/users/*' '/console/feedback/*' '/console/lists/*' \
  /console/login /console/logout '/console/media/*' '/console/quarantine/*' \
  '/console/reports/*' /report /v1/media/ /v1/url/ /v1/pdq/ /v1/feedback \
  /m/feedback /m/lookup /h/hash /c/banks '/c/bank/*' | sort >"$T/known"
check "the POST routes of src/web are those this test knows" diff "$T/known" "$T/routes"
check "18 state-changing console POSTs driven" test "$ACTS" -eq 18
check "the audit chain holds" "$VIGIL" audit verify --db "$DB"

# ---- confirming the RDAP suggestion from the console ----
check "the RDAP suggestion is confirmed" test "$(q "SELECT confirmed FROM providers WHERE id = $SUG")" = 1
check "  and audited as a confirmation by root" test "$(q "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'provider.confirm%' AND object_id = $SUG AND user_id = $ROOT")" -eq 1
"$VIGIL" providers ls --suggested --db "$DB" >"$T/sug.txt" 2>&1
check "  no longer listed as suggested" bash -c "! grep -q 'Example Hosting Inc (RDAP)' '$T/sug.txt'"

# ---- an admin disables a list entry from the console; an analyst cannot ----
check "an analyst cannot disable an entry: 403" test "$(code a "/console/lists/$LID/entries/$EID" -d "csrf=$AS&enabled=0")" = 403
check "  it stays enabled" test "$(q "SELECT enabled FROM list_entries WHERE id = $EID")" = 1
check "without the CSRF token: 403" test "$(code r "/console/lists/$LID/entries/$EID" -d 'enabled=0')" = 403
check "the admin disables it: 303" test "$(code r "/console/lists/$LID/entries/$EID" -d "csrf=$RS&enabled=0")" = 303
"$VIGIL" lists show known --db "$DB" >"$T/show.txt"
check "vigil lists show: 2 entries, 1 enabled" grep -qx 'entries   2 (1 enabled)' "$T/show.txt"
check "the store has it disabled" test "$(q "SELECT enabled FROM list_entries WHERE id = $EID")" = 0
"$VIGIL" lists export known --format lines --db "$DB" >"$T/exp.txt"
OFF=$(q "SELECT lower(hex(value)) FROM list_entries WHERE id = $EID")
ON=$(q "SELECT lower(hex(value)) FROM list_entries WHERE id = $EID2")
check "the export leaves it out, keeps the other" bash -c "[ -n '$OFF' ] && ! grep -qx '$OFF' '$T/exp.txt' && grep -qx '$ON' '$T/exp.txt'"

kill -TERM "$PID"; wait "$PID"; PID=
finish
