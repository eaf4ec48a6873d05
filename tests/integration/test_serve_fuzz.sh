#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Random requests at a running `vigil serve` (tests/fixtures/http_fuzz.py):
# random paths on every route, every method, the partner API's JSON fields
# and the forms mutated, with a valid key, session and CSRF token so they
# reach their handlers: no answer is a 5xx, the server keeps answering, and
# (in the ASan build) its stderr holds no sanitizer report.  Two seeds, as an
# admin (every route open) and as an analyst (admin routes refused).
# Usage: test_serve_fuzz.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
DB="$T/vigil.db"
PW='correct horse battery staple'
N=${SERVE_FUZZ_REQUESTS:-4000}

KEY=$("$VIGIL" apikeys add "Partner A" --db "$DB" | tail -1)
echo "$PW" | "$VIGIL" users add root --role admin --db "$DB" >/dev/null
echo "$PW" | "$VIGIL" users add ann --db "$DB" >/dev/null
serve_start
check "serving" test -n "$PORT"
c() { local jar=$1 url=$2; shift 2
  curl -s --noproxy '*' --max-time 30 -b "$T/$jar" -c "$T/$jar" "$U$url" "$@"; }
csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -1 | grep -o '[0-9a-f]\{64\}'; }
# a report, so /console/reports/1 and its actions exist
curl -s --noproxy '*' -X POST "$U/api/v1/reports" -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' \
  -d '{"incident_type":"luring","technology":"website","urls":["https://example.com/a"],"description":"d","contact":{"email":"a@example.org"}}' >/dev/null

# both sign in first: the admin's requests may change accounts (a random
# form can disable a user or end a session), so the analyst goes first
for who in root ann; do
  c "$who" /console/login >"$T/l.html"
  c "$who" /console/login -d "csrf=$(csrf_of "$T/l.html")&username=$who&password=$PW" -o /dev/null
  c "$who" /console >"$T/q.html"
  csrf_of "$T/q.html" >"$T/$who.csrf"
  check "$who signed in" test -s "$T/$who.csrf" -a -n "$(awk '$6 == "vg_session" {print $7}' "$T/$who")"
done
for who in ann root; do
  TOK=$(awk '$6 == "vg_session" {print $7}' "$T/$who")
  seed=$([ $who = root ] && echo 1 || echo 2)
  python3 "$HERE/../fixtures/http_fuzz.py" 127.0.0.1 "$PORT" "$KEY" "vg_session=$TOK" \
    "$(cat "$T/$who.csrf")" "$N" "$seed" >"$T/fuzz.$who"; rc=$?
  cat "$T/fuzz.$who"
  check "$N random requests as $who: no 5xx, never stopped answering" test $rc -eq 0
done
check "still serving the home page" test "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$U/")" = 200
check "the audit chain holds after it all" bash -c "'$VIGIL' audit verify --db '$DB' | grep -q intact"
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
check "SIGTERM: a graceful stop, exit 0" test $rc -eq 0
check "the server's stderr has no sanitizer report" bash -c "! grep -q 'Sanitizer\|runtime error' '$T/serve.err'"
finish
