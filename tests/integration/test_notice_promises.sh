#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README promises of `vigil notices` that test_notices.sh does not reach,
# with real servers on loopback and the simulated clock (`run-once --at`):
# nginx (tests/fixtures/nginx_hosts.sh, server blocks written here) serves
# two photos of a test list on 127.0.0.1 and one on 127.0.0.2, a missing
# file answering 410; aiosmtpd (tests/fixtures/smtp_server.py) takes the
# notices.
#  a. --escalate-after defaults to 5: the case is not escalated after four
#     notices, and is after the fifth; the same fifth cycle with
#     --escalate-after 6 does not escalate it (the control).
#  b. a case is removed when its URL answers 410 (the re-check's reason
#     recorded), the other case of the same notice staying up.
#  c. a case whose provider has no abuse address waits for an admin: no
#     provider assigned, no notice, counted as "no provider".
#  d. `notices test-smtp`: a relay refusing the sender (553 at MAIL) is a
#     `local` failure, exit 1; the same relay takes another sender (the
#     control).
#  e. the environment's http_proxy, HTTPS_PROXY, ALL_PROXY... are ignored
#     by the re-checks (the 410 re-check of b runs with them set) and by
#     RDAP (a lookup against tests/fixtures/rdap_server.py): a recording
#     proxy (tests/fixtures/proxy_server.py) hears nothing, the servers
#     answer directly.
#     `vigil serve --proxy`: its notices' re-checks go through that proxy
#     (a case's re-check made due in the store); without --proxy, the
#     same re-check does not (the control).
#  f. RDAP queries send `Accept: application/rdap+json` (first, the
#     preferred type), as the RDAP server records.
# Usage: test_notice_promises.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
FIX="$ROOT/tests/fixtures"
. "$HERE/lib.sh"
T=$(mktemp -d)
SMTP_PID= PROXY_PID= RDAP_PID= SERVE_PID=
cleanup() {
  [ -n "$SERVE_PID" ] && kill -9 "$SERVE_PID" 2>/dev/null
  [ -n "$SMTP_PID" ] && kill "$SMTP_PID" 2>/dev/null
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
  [ -n "$RDAP_PID" ] && kill "$RDAP_PID" 2>/dev/null
  bash "$FIX/nginx_hosts.sh" stop "$T/ng" >/dev/null 2>&1
  [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
DB="$T/vigil.db"
v() { "$VIGIL" "$@" --db "$DB"; }
q() { sqlite3 "$DB" "$1"; }
PY=
for p in python3 /usr/bin/python3; do
  "$p" -c 'import aiosmtpd' 2>/dev/null && { PY=$p; break; }
done
[ -n "$PY" ] || { echo "not ok - python3-aiosmtpd is missing (scripts/install-deps)"; exit 1; }

mkdir -p "$T/www" "$T/mail"
cp "$DATA/photos/0029.jpg" "$T/www/known.jpg"
cp "$DATA/photos/0030.jpg" "$T/www/gone.jpg"
cp "$DATA/photos/0031.jpg" "$T/www/orphan.jpg"
printf '<!doctype html><title>p</title><img src="known.jpg"><img src="gone.jpg">\n' >"$T/www/page.html"
printf '<!doctype html><title>q</title><img src="orphan.jpg">\n' >"$T/www/other.html"
cat >"$T/servers.conf" <<'EOF'
server {
    listen 127.0.0.1:@PORT@;
    server_name 127.0.0.1;
    location / { root @DIR@/www; try_files $uri =410; }
}
server {
    listen 127.0.0.2:@PORT@;
    server_name _;
    location / { root @DIR@/www; try_files $uri =410; }
}
EOF
bash "$FIX/nginx_hosts.sh" start "$T/servers.conf" "$T/ng" >"$T/ports" ||
  { echo "not ok - starting nginx"; exit 1; }
NP=$(awk '/^PORT / {print $2}' "$T/ports")
"$PY" "$FIX/smtp_server.py" --dir "$T/mail" --reject-sender refused@hotline.example \
  >"$T/smtp.out" 2>"$T/smtp.err" &
SMTP_PID=$!
for _ in $(seq 300); do grep -q '^PORT' "$T/smtp.out" && break; sleep 0.1; done
SP=$(awk '/^PORT/ {print $2}' "$T/smtp.out")
: >"$T/proxy.log"
python3 "$FIX/proxy_server.py" "$T/proxy.log" >"$T/proxy.out" 2>/dev/null &
PROXY_PID=$!
python3 "$FIX/rdap_server.py" >"$T/rdap.out" 2>"$T/rdap.err" &
RDAP_PID=$!
for _ in $(seq 300); do grep -q '^PORT' "$T/proxy.out" && grep -q '^PORT' "$T/rdap.out" && break; sleep 0.1; done
PP=$(awk '/^PORT/ {print $2}' "$T/proxy.out")
PROXY="http://127.0.0.1:$PP"
RP=$(awk '/^PORT/ {print $2}' "$T/rdap.out")
check "nginx, aiosmtpd, proxy, RDAP server" test -n "$NP" -a -n "$SP" -a -n "$PP" -a -n "$RP"
envp() { # envp COMMAND...: with every proxy variable pointing at the recording proxy
  http_proxy=$PROXY HTTP_PROXY=$PROXY https_proxy=$PROXY HTTPS_PROXY=$PROXY \
    ALL_PROXY=$PROXY all_proxy=$PROXY NO_PROXY= no_proxy= "$@"
}

for f in known gone orphan; do "$VIGIL" hash --json "$T/www/$f.jpg"; done >"$T/list.jsonl"
v lists create known --category csam >/dev/null
v lists import known "$T/list.jsonl" >/dev/null
printf 'name,abuse_emails,language,networks\nLoopback One,abuse@one.test,en,127.0.0.1/32\nLoopback Two,,en,127.0.0.2/32\n' |
  v providers import - >"$T/import.out" 2>&1
v crawl --seed "http://127.0.0.1:$NP/page.html" --seed "http://127.0.0.2:$NP/other.html" \
  --allow-private --delay 0 --quiet >/dev/null 2>&1
check "the crawl detected the three photos" test "$(q 'SELECT COUNT(DISTINCT media_id) FROM detections')" -eq 3

NOW=$(($(date +%s) + 60))
cycle() { # cycle OFFSET_SECONDS [OPTIONS...]: one notice cycle at NOW + offset
  local at=$((NOW + $1)); shift
  v notices run-once --at "$at" --hotline "Test Hotline" --notice-contact tips@hotline.example \
    --legal-basis "Test Act s. 1" --smtp-relay "smtp://127.0.0.1:$SP" --smtp-starttls none \
    --smtp-from notices@hotline.example --notice-allow-private "$@"
}
case_of() { q "SELECT c.id FROM cases c JOIN urls u ON u.id = c.url_id WHERE u.url LIKE '%/$1.jpg'"; }
show() { v notices show "$(case_of "$1")"; }
cycle 0 >"$T/c0"
K=$(case_of known); G=$(case_of gone); O=$(case_of orphan)
check "three cases opened" test -n "$K" -a -n "$G" -a -n "$O"

# ---- c. no abuse address: waits for an admin
check "c: the registry has 127.0.0.2's provider, without an abuse address" \
  bash -c "'$VIGIL' providers ls --db '$DB' | grep -q '^Loopback Two  *confirmed en -  '"
check "c: the case on 127.0.0.2 (its provider without an abuse address): no provider" \
  bash -c "'$VIGIL' notices show $O --db '$DB' | grep -q '^  provider    (none known)'"
check "c: ... counted as 'no provider 1' by the cycle" grep -q 'no provider 1)' "$T/c0"
check "c: ... and no notice was written for it" bash -c "! grep -rl 'orphan.jpg' '$T/mail' && [ \$(ls '$T/mail'/*.eml | wc -l) -eq 1 ]"

# ---- b. 410: removed
rm "$T/www/gone.jpg"
from=$(($(wc -l <"$T/ng/access.log") + 1))
envp cycle 3601 >"$T/c1"
sleep 0.3
check "b: a URL answering 410 at its re-check: the case is removed, 'HTTP 410'" \
  test "$(q "SELECT status || ' ' || removal FROM cases WHERE id = $G")" = "removed HTTP 410"
check "b: ... the other case of the notice is still up" \
  test "$(q "SELECT status FROM cases WHERE id = $K")" = "open"
check "e: that re-check ran with the proxy variables set: nginx answered it" \
  bash -c "tail -n +$from '$T/ng/access.log' | grep -q ' 410 /gone.jpg$'"
check "e: ... and the proxy heard nothing" test ! -s "$T/proxy.log"

# ---- a. escalation after 5 notices by default
escalated() { v notices show "$K" | grep -q '^  status .*(escalated)'; }
for d in 1 2 3; do cycle $((d * 86400 + d * 60)) >/dev/null; done
check "a: four notices sent for the case" test "$(ls "$T/mail"/*.eml | wc -l)" -eq 4
check "a: after four notices, not escalated" bash -c "! '$VIGIL' notices show $K --db '$DB' | grep -q '(escalated)'"
cp "$DB" "$T/before5.db"
cycle $((4 * 86400 + 240)) >"$T/c5"
check "a: five notices sent" test "$(ls "$T/mail"/*.eml | wc -l)" -eq 5
check "a: after the fifth notice, escalated (the default 5)" escalated
DB="$T/before5.db"
cycle $((4 * 86400 + 240)) --escalate-after 6 >/dev/null
check "a (control): the same cycle with --escalate-after 6: not escalated" bash -c "! '$VIGIL' notices show $K --db '$DB' | grep -q '(escalated)'"

# ---- d. test-smtp: a refused sender is a local failure
"$VIGIL" notices test-smtp --relay "smtp://127.0.0.1:$SP" --starttls none \
  --from refused@hotline.example --to abuse@one.test >"$T/d.out" 2>&1; rc=$?
check "d: the relay refuses the sender (553 at MAIL): local failure, exit 1" \
  bash -c "[ $rc -eq 1 ] && grep -q '^local failure at mail .*553 ' '$T/d.out'"
"$VIGIL" notices test-smtp --relay "smtp://127.0.0.1:$SP" --starttls none \
  --from notices@hotline.example --to abuse@one.test >"$T/d2.out" 2>&1; rc=$?
check "d (control): another sender through the same relay: sent, exit 0" \
  bash -c "[ $rc -eq 0 ] && grep -q '^sent' '$T/d2.out'"

# ---- e. serve --proxy: the notices' re-checks go through it
serve_recheck() { # serve_recheck [--proxy URL]: serve until case K's due re-check is recorded
  local n
  n=$(q "SELECT COUNT(*) FROM rechecks")
  q "UPDATE cases SET next_check_at = 0 WHERE id = $K"
  "$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --no-crawl --rate-limit 0 \
    --hotline "Test Hotline" --smtp-relay "smtp://127.0.0.1:$SP" --smtp-starttls none \
    --smtp-from notices@hotline.example --notice-allow-private --notice-interval 10 \
    "$@" >"$T/serve.out" 2>"$T/serve.err" &
  SERVE_PID=$!
  for _ in $(seq 200); do [ "$(q "SELECT COUNT(*) FROM rechecks")" -gt "$n" ] && break; sleep 0.1; done
  kill -TERM "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null; SERVE_PID=
  [ "$(q "SELECT COUNT(*) FROM rechecks")" -gt "$n" ]
}
: >"$T/proxy.log"
check "e: serve without --proxy: the due re-check is made" serve_recheck
check "e: ... not through the proxy" test ! -s "$T/proxy.log"
check "e: serve --proxy: the due re-check is made" serve_recheck --proxy "$PROXY"
check "e: ... through the proxy" grep -q "^GET http://127.0.0.1:$NP/known.jpg " "$T/proxy.log"
: >"$T/proxy.log"

# ---- e, f. RDAP: no proxy from the environment; Accept: application/rdap+json
cat >"$T/ipv4.json" <<EOF
{"version": "1.0", "services": [[["198.51.100.0/24"], ["http://127.0.0.1:$RP/"]]]}
EOF
envp v providers lookup https://site.test/a.jpg --ip 198.51.100.7 \
  --rdap-bootstrap "$T/ipv4.json" --rdap-http-loopback >"$T/rdap.lookup" 2>&1; rc=$?
curl --noproxy '*' -s "http://127.0.0.1:$RP/_stats" >"$T/rdap.stats"
total() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"])' "$T/rdap.stats"; }
check "e: an RDAP lookup with the proxy variables set: found by rdap" \
  bash -c "[ $rc -eq 0 ] && grep -q '^found     rdap ' '$T/rdap.lookup'"
check "e: ... the RDAP server answered one query" test "$(total)" = 1
check "e: ... and the proxy heard nothing" test ! -s "$T/proxy.log"
check "f: the query's Accept: application/rdap+json first" python3 - "$T/rdap.stats" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))["accept"]
print("    Accept:", a)
sys.exit(0 if len(a) == 1 and a[0].split(",")[0].strip() == "application/rdap+json" else 1)
EOF

# ---- b. a host that no longer resolves: removed, saying so
# (the case's URL moved to a name that never resolves: .invalid, RFC 6761)
q "UPDATE urls SET url = 'http://gone-host.invalid:$NP/known.jpg', host = 'gone-host.invalid' WHERE id = (SELECT url_id FROM cases WHERE id = $K)"
cycle $((6 * 86400)) >/dev/null
check "b: a URL whose host no longer resolves: the case is removed, saying so" \
  test "$(q "SELECT status || ' ' || removal FROM cases WHERE id = $K")" = "removed the host no longer resolves"

finish
