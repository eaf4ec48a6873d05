#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `vigil serve`'s partner intake API on 127.0.0.1: API keys (none, bad,
# revoked), the rules of a report with every error named, idempotent
# retries, 4xx for malformed and oversized bodies, security headers,
# contact details sealed at rest, reported URLs seeded for the crawler, a
# graceful SIGTERM, and SIGKILL at random moments under load: every report
# that got a reference is in the store after a restart.
# Usage: test_serve_api.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
store_init "$T/vigil.db"
c() { curl -s --noproxy '*' --max-time 20 "$@"; }
start() { # start the server (options: serve's), set PID and URL
  serve_start "$@"
  URL="$U/api/v1/reports"
}
post() { # post KEY BODY [curl options...]: prints body, then the status
  local key=$1 body=$2; shift 2
  c -X POST "$URL" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' -d "$body" -w '\n%{http_code}' "$@"
}
status() { tail -1; }

KEY=$("$VIGIL" apikeys add "Partner A" --db "$DB" | tail -1)
OLD=$("$VIGIL" apikeys add "Partner B" --db "$DB" | tail -1)
"$VIGIL" apikeys revoke 2 --db "$DB" >/dev/null
start
check "serving" test -n "$PORT"
GOOD='{"incident_type":"luring","technology":"website","urls":["HTTPS://Example.COM/a/../chat#x"],"description":"<script>alert(1)</script> asked to meet","luring_meet":"yes","luring_images":"no","named_child":true,"contact":{"name":"Alex","email":"alex@example.org"},"language":"fr"}'

post "$KEY" "$GOOD" -H 'Idempotency-Key: r-1' >"$T/r1"
check "201 Created" bash -c "[ \$(tail -1 '$T/r1') = 201 ]"
REF=$(head -1 "$T/r1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["reference"])')
check "a reference to quote" bash -c "echo '$REF' | grep -Eqx '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}'"
post "$KEY" "$GOOD" -H 'Idempotency-Key: r-1' >"$T/r2"
check "a retry with the same Idempotency-Key: 200, the same reference" bash -c "[ \$(tail -1 '$T/r2') = 200 ] && grep -q '$REF' '$T/r2'"
check "stored once" test "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM reports')" -eq 1
check "named child first in the queue" test "$(sqlite3 "$DB" 'SELECT priority FROM reports')" -eq 0
check "the description kept as sent" bash -c "sqlite3 '$DB' 'SELECT description FROM reports' | grep -qF '<script>alert(1)</script>'"
check "contact details sealed: no address in the database" bash -c "! sqlite3 '$DB' .dump | grep -q 'alex@example' && [ \$(sqlite3 '$DB' 'SELECT length(reporter_contact) FROM reports') -gt 40 ]"
check "the key file is private" bash -c "[ \$(stat -c %a '$SEAL_KEY') = 600 ]"
check "the URL seeded for the crawler, canonical, first" bash -c "sqlite3 '$DB' \"SELECT u.url, f.priority FROM frontier f JOIN urls u ON u.id = f.url_id\" | grep -qx 'https://example.com/chat|0'"

post "$KEY" '{"incident_type":"nope","technology":"website","urls":["javascript:alert(1)"],"contact":{"email":"bad"}}' >"$T/r3"
check "a broken report: 422" bash -c "[ \$(tail -1 '$T/r3') = 422 ]"
for f in incident_type description urls contact_email; do
  check "  names $f" grep -q "\"field\":\"$f\"" "$T/r3"
done
check "  in words" grep -q 'Please describe what happened' "$T/r3"
check "unknown field: 422" bash -c "[ \$(curl -s --noproxy '*' -X POST '$URL' -H 'Authorization: Bearer $KEY' -H 'Content-Type: application/json' -d '{\"incident_typo\":1}' -w '%{http_code}' -o /dev/null) = 422 ]"
check "no key: 401" bash -c "[ \$(curl -s --noproxy '*' -X POST '$URL' -H 'Content-Type: application/json' -d '{}' -w '%{http_code}' -o /dev/null) = 401 ]"
check "a key that is not a key: 401" bash -c "[ \$(curl -s --noproxy '*' -X POST '$URL' -H 'Authorization: Bearer nope' -H 'Content-Type: application/json' -d '{}' -w '%{http_code}' -o /dev/null) = 401 ]"
check "a revoked key: 401" test "$(post "$OLD" "$GOOD" | status)" = 401
# revoked by another process while serving: refused within a second
THIRD=$("$VIGIL" apikeys add "Partner C" --db "$DB" | tail -1)
check "a key added while serving works at once" test "$(post "$THIRD" '{}' | status)" = 422
"$VIGIL" apikeys revoke 3 --db "$DB" >/dev/null
sleep 1.2
check "a key revoked while serving: 401 a second later" test "$(post "$THIRD" '{}' | status)" = 401
# scopes: a key without "reports" may not submit (403 naming the scope)
NONE=$("$VIGIL" apikeys add "Partner D" --scopes none --db "$DB" | tail -1)
post "$NONE" "$GOOD" >"$T/r403"
check "a key with --scopes none: 403" test "$(status <"$T/r403")" = 403
check "  naming the missing scope" bash -c "head -1 '$T/r403' | python3 -c 'import json,sys; assert \"\\\"reports\\\"\" in json.load(sys.stdin)[\"detail\"]'"
EMPTY=$("$VIGIL" apikeys add "Partner F" --scopes "" --db "$DB" | tail -1)
check "an empty scope list (older console keys) means the default" test "$(post "$EMPTY" '{}' | status)" = 422
MANY=$("$VIGIL" apikeys add "Partner E" --scopes "lists, reports" --db "$DB" | tail -1)
check "a key whose scopes include reports passes (422 on an empty report)" test "$(post "$MANY" '{}' | status)" = 422
# a field name whose 40th byte starts a 2-byte character: cut whole, not 500
LONG=$(printf 'f%.0s' $(seq 39))
post "$KEY" "{\"${LONG}é\":1}" >"$T/rutf"
check "an unknown field with UTF-8 at the cut: 422, not 500" test "$(status <"$T/rutf")" = 422
check "  the name cut on a character boundary" bash -c "head -1 '$T/rutf' | python3 -c 'import json,sys; d=json.load(sys.stdin)[\"detail\"]; assert d.endswith(\"$LONG\\\"\"), d'"
check "not JSON: 415" bash -c "[ \$(curl -s --noproxy '*' -X POST '$URL' -H 'Authorization: Bearer $KEY' -H 'Content-Type: text/plain' -d 'x' -w '%{http_code}' -o /dev/null) = 415 ]"
check "malformed JSON: 400" test "$(post "$KEY" '{"incident_type":' | status)" = 400
check "a JSON array: 400" test "$(post "$KEY" '[1,2]' | status)" = 400
head -c 400000 /dev/zero | tr '\0' 'a' >"$T/big"
check "an oversized body: 413" bash -c "[ \$(curl -s --noproxy '*' -X POST '$URL' -H 'Authorization: Bearer $KEY' -H 'Content-Type: application/json' --data-binary @'$T/big' -w '%{http_code}' -o /dev/null) = 413 ]"
c -D "$T/headers" -o /dev/null -X POST "$URL" -H 'Content-Type: application/json' -d '{}'
check "security headers" bash -c "grep -qi '^content-security-policy:.*frame-ancestors .none.' '$T/headers' && grep -qi '^x-content-type-options: nosniff' '$T/headers' && grep -qi '^referrer-policy: same-origin' '$T/headers'"
check "GET is 405" bash -c "[ \$(curl -s --noproxy '*' '$URL' -w '%{http_code}' -o /dev/null) = 405 ]"
check "unknown path is 404" bash -c "[ \$(curl -s --noproxy '*' 'http://127.0.0.1:$PORT/nope' -w '%{http_code}' -o /dev/null) = 404 ]"
check "still one report" test "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM reports')" -eq 1
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
check "SIGTERM: a graceful stop, exit 0" test $rc -eq 0

# --- without --listen: 127.0.0.1:8080, never every interface (when 8080 is
# taken on this machine, the refusal names the address it tried)
"$VIGIL" serve --db "$T/default.db" --no-crawl >"$T/def.out" 2>&1 &
DPID=$!
for _ in $(seq 60); do grep -q '8080' "$T/def.out" && break; sleep 0.05; done
kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null
check "no --listen: 127.0.0.1:8080 ($(head -1 "$T/def.out"))" bash -c "grep -q 'serving on http://127.0.0.1:8080/\|cannot listen on 127.0.0.1:8080' '$T/def.out'"

# --- the rate limit per client address (and the thread and connection
# options: accepted when in range, refused with a usage error otherwise)
"$VIGIL" serve --db "$DB" --threads 0 >/dev/null 2>&1; rc=$?
check "--threads 0: a usage error" test $rc -eq 2
"$VIGIL" serve --db "$DB" --per-address 2000 >/dev/null 2>&1; rc=$?
check "--per-address 2000: a usage error" test $rc -eq 2
start --rate-limit 2 --threads 3 --per-address 8
codes=""
for i in 1 2 3; do codes="$codes $(post "$KEY" '{}' | status)"; done
check "rate limit 2: the third request gets 429 (codes:$codes)" test "$codes" = " 422 422 429"
c -D "$T/h429" -o /dev/null -X POST "$URL" -H 'Content-Type: application/json' -d '{}'
check "  with Retry-After" grep -qi '^retry-after: [0-9]' "$T/h429"
codes="$(post "$KEY" '{}' -H 'X-Real-IP: 192.0.2.7' | status) $(post "$KEY" '{}' -H 'X-Forwarded-For: 192.0.2.8' | status)"
check "  without --trust-proxy, X-Real-IP and X-Forwarded-For change nothing (codes: $codes)" test "$codes" = "429 429"
kill -TERM "$PID"; wait "$PID"; PID=
# IPv6 clients (X-Real-IP from a proxy on this machine) count by their /64
for b in 0 129; do
  "$VIGIL" serve --db "$DB" --ipv6-prefix $b >/dev/null 2>&1; rc=$?
  check "--ipv6-prefix $b: a usage error" test $rc -eq 2
done
v6() { post "$KEY" '{}' -H "X-Real-IP: $1" | status; }
start --rate-limit 2 --trust-proxy
codes="$(v6 2001:db8:5:6::1) $(v6 2001:db8:5:6::2) $(v6 2001:db8:5:6:a:b:c:d) $(v6 2001:db8:5:7::1)"
check "rotating addresses in one /64 shares its limit; the next /64 does not (codes: $codes)" test "$codes" = "422 422 429 422"
kill -TERM "$PID"; wait "$PID"; PID=
printf 'ipv6-prefix = 128\n' >"$T/v6.conf"
start --rate-limit 2 --trust-proxy --config "$T/v6.conf"
codes="$(v6 2001:db8:5:6::1) $(v6 2001:db8:5:6::2) $(v6 2001:db8:5:6::3)"
check "ipv6-prefix = 128 in the config file: each address its own (codes: $codes)" test "$codes" = "422 422 422"
kill -TERM "$PID"; wait "$PID"; PID=

# --- SIGKILL under load: every acknowledged report survives
: >"$T/acked"
for round in 1 2 3; do
  start
  for w in 1 2 3 4; do
    ( for i in $(seq 40); do
        out=$(post "$KEY" "{\"incident_type\":\"csam\",\"technology\":\"website\",\"urls\":[\"https://example.com/$round/$w/$i\"],\"description\":\"r$round w$w i$i\"}" 2>/dev/null)
        [ "$(echo "$out" | tail -1)" = 201 ] && echo "$out" | head -1 >>"$T/acked.$w"
      done ) &
  done
  sleep "0.$((RANDOM % 6 + 2))"
  kill -9 "$PID"; wait "$PID" 2>/dev/null; PID=
  wait
  cat "$T"/acked.* >>"$T/acked" 2>/dev/null; rm -f "$T"/acked.*
done
n=$(grep -c reference "$T/acked")
sqlite3 "$DB" "SELECT reference FROM reports" >"$T/have"
python3 - "$T/acked" "$T/have" >"$T/lost" <<'EOF'
import json, sys
acked = [json.loads(l)["reference"] for l in open(sys.argv[1]) if l.strip()]
have = set(open(sys.argv[2]).read().split())
print(len([r for r in acked if r not in have]))
EOF
check "killed 3 times under load: $n acknowledged, lost $(cat "$T/lost")" test "$n" -gt 0 -a "$(cat "$T/lost")" -eq 0
finish
