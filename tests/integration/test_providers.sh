#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `vigil providers`: the CSV import (all or nothing, every bad record by
# line, duplicates and conflicts refused) and export (round trip), and
# `lookup`: by domain, by network (IPv4, IPv6, a resolved host), by origin
# AS and by RDAP against tests/fixtures/rdap_server.py (ARIN- and
# RIPE-shaped answers, a redirect, missing and malformed contacts, 404,
# slow and oversized answers), the cache proven by the server's request
# count, suggestions saved, confirmed and exported.
# Usage: test_providers.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
FIX="$HERE/../fixtures"
. "$HERE/lib.sh"
T=$(mktemp -d)
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$T"' EXIT
store_init "$T/vigil.db"
v() { "$VIGIL" "$@" --db "$DB"; }
q() { sqlite3 "$DB" "$1"; }
has() { grep -q -- "$2" "$1" || { echo "    no '$2' in:"; sed 's/^/      /' "$1"; return 1; }; }

# --- import, export, round trip
cat >"$T/providers.csv" <<'EOF'
name,abuse_emails,language,domains,networks,one_notice_per_url,notes
Example Host,abuse@example-host.test;noc@example-host.test,en,example-host.test *.cdn.example-host.test,192.0.2.0/25 AS64500,0,"Big host, answers within a day"
Hébergeur Exemple,abus@hebergeur.test,fr,Bücher.test b.example.co.uk,2001:db8:42::/48 198.51.100.128/25,1,"Two lines:
the second"
Loopback Labs,abuse@loopback.test,en,,127.0.0.0/8 ::1,0,
Origin Networks,abuse@origin-networks.test,en,,AS64501,0,only by AS
EOF
v providers import "$T/providers.csv" >"$T/out" 2>"$T/err"; rc=$?
check "import: exit 0" test $rc -eq 0
check "import: says what it did" has "$T/out" "imported .*providers.csv: 4 providers, 4 added, 0 updated, 0 unchanged"
check "four providers stored" test "$(q 'SELECT COUNT(*) FROM providers')" -eq 4
check "IDN domain in punycode" test "$(q "SELECT COUNT(*) FROM provider_domains WHERE domain = 'xn--bcher-kva.test'")" -eq 1
check "a wildcard is its domain" test "$(q "SELECT COUNT(*) FROM provider_domains WHERE domain = 'cdn.example-host.test'")" -eq 1
check "audited" test "$(q "SELECT COUNT(*) FROM audit_log WHERE action = 'provider.add'")" -eq 4
v providers ls >"$T/ls"
check "ls lists them" has "$T/ls" "Hébergeur Exemple .*confirmed fr abus@hebergeur.test"
v providers export -o "$T/export.csv"
check "export has the header" bash -c "head -1 '$T/export.csv' | grep -qx 'name,abuse_emails,language,domains,networks,one_notice_per_url,notes'"
check "export quotes what needs it" has "$T/export.csv" '^Example Host,abuse@example-host.test;noc@example-host.test,en,cdn.example-host.test example-host.test,192.0.2.0/25 AS64500,0,"Big host, answers within a day"$'
"$VIGIL" providers import "$T/export.csv" --db "$T/copy.db" >/dev/null
"$VIGIL" providers export --db "$T/copy.db" >"$T/export2.csv"
check "export, import, export: the same file" cmp "$T/export.csv" "$T/export2.csv"
v providers import "$T/export.csv" >"$T/out"
check "importing the export changes nothing" has "$T/out" "4 providers, 0 added, 0 updated, 4 unchanged"
check "and audits nothing" test "$(q "SELECT COUNT(*) FROM audit_log")" -eq 4

# --- a bad file: every bad record by line, nothing written
cat >"$T/bad.csv" <<'EOF'
name,abuse_emails,language,domains,networks,one_notice_per_url,notes
Example Host,changed@example-host.test,en,example-host.test,192.0.2.0/25,0,
New One,abuse@new.test,en,new.test,,0,
Bad Mail,abuse at bad.test,en,,,0,
Bad Net,abuse@badnet.test,en,,192.0.2.1/24,0,
Bad Lang,abuse@lang.test,de,,,0,
New One,abuse@again.test,en,,,0,
Thief,abuse@thief.test,en,b.example.co.uk,,0,
Short,abuse@short.test,en
EOF
before=$(q "SELECT COUNT(*) FROM audit_log")
v providers import "$T/bad.csv" >"$T/out" 2>"$T/err"; rc=$?
check "bad file: exit 1" test $rc -eq 1
check "line 4: the e-mail" has "$T/err" "bad.csv:4: abuse e-mail 'abuse' is not an address"
check "line 5: host bits, with the fix" has "$T/err" "bad.csv:5: network 192.0.2.1/24 has bits set after its prefix (did you mean 192.0.2.0/24?)"
check "line 6: the language" has "$T/err" "bad.csv:6: language is en or fr, not 'de'"
check "line 9: too few fields" has "$T/err" "bad.csv:9: 3 fields where the header has 7"
check "line 7: a name given twice" has "$T/err" "bad.csv:7: provider New One is also on line 3"
check "nothing imported, and why" has "$T/err" "bad.csv: 5 bad records: nothing imported"
check "nothing written" test "$(q "SELECT abuse_emails FROM providers WHERE name = 'Example Host'")" = "abuse@example-host.test,noc@example-host.test"
check "no new provider" test "$(q "SELECT COUNT(*) FROM providers")" -eq 4
check "no audit record" test "$(q "SELECT COUNT(*) FROM audit_log")" -eq "$before"
# a conflict with a provider the file does not name: refused by the store
printf 'name,abuse_emails,domains\nFine,a@fine.test,fine.test\nThief,abuse@thief.test,www.example-host.test example-host.test\n' >"$T/conflict.csv"
v providers import "$T/conflict.csv" >/dev/null 2>"$T/err"; rc=$?
check "a domain of another provider: exit 1" test $rc -eq 1
check "names the line and the owner" has "$T/err" "conflict.csv:3: domain example-host.test is registered to provider Example Host: nothing imported"
check "all or nothing: Fine was not added" test "$(q "SELECT COUNT(*) FROM providers WHERE name = 'Fine'")" -eq 0
printf 'name,email\nx,y\n' >"$T/header.csv"
v providers import "$T/header.csv" >/dev/null 2>"$T/err"; rc=$?
check "an unknown column: exit 1" test $rc -eq 1
check "says which" has "$T/err" "header.csv:1: unknown column 'email'"
v providers import "$T/none.csv" >/dev/null 2>"$T/err"; rc=$?
check "a missing file: exit 1" test $rc -eq 1
v providers frobnicate >/dev/null 2>&1; rc=$?
check "an unknown action: exit 2" test $rc -eq 2

# --- lookup without RDAP: domain, network
v providers lookup 'https://img.cdn.example-host.test/a/b.jpg?x=1' --no-rdap >"$T/out"; rc=$?
check "by domain: exit 0" test $rc -eq 0
check "by domain: the longest suffix" has "$T/out" "^found     domain cdn.example-host.test$"
check "by domain: the provider" has "$T/out" "^provider  Example Host (confirmed)$"
check "by domain: the contacts" has "$T/out" "^abuse     abuse@example-host.test, noc@example-host.test$"
v providers lookup https://shop.b.example.co.uk/ --no-rdap >"$T/out"
check "by domain: a sub-subdomain" has "$T/out" "^found     domain b.example.co.uk$"
v providers lookup https://www.xn--bcher-kva.test/ --no-rdap >"$T/out"
check "by domain: an IDN" has "$T/out" "^provider  Hébergeur Exemple"
v providers lookup https://site.test/x.jpg --ip 192.0.2.100 --no-rdap >"$T/out"
check "by network: IPv4" has "$T/out" "^found     network 192.0.2.0/25$"
v providers lookup https://site.test/x.jpg --ip 192.0.2.200 --no-rdap >"$T/out" 2>&1; rc=$?
check "outside the /25: none, exit 1" test $rc -eq 1
check "and why" has "$T/out" "reason    no provider registered for site.test or 192.0.2.200, and RDAP is off"
v providers lookup https://site.test/ --ip 2001:db8:42::1 --no-rdap --json >"$T/out"
check "by network: IPv6, as JSON" has "$T/out" '"method":"network","matched":"2001:db8:42::/48","provider":"Hébergeur Exemple","confirmed":true,"abuse_emails":\["abus@hebergeur.test"\]'
v providers lookup http://localhost:8080/x --no-rdap >"$T/out"
check "by network: a host resolved by DNS" has "$T/out" "^provider  Loopback Labs"
v providers lookup http://no-such-host.invalid/ --no-rdap >"$T/out"; rc=$?
check "an unknown host: exit 1" test $rc -eq 1
check "says it cannot resolve" has "$T/out" "cannot resolve no-such-host.invalid"

# --- RDAP against the fixture server
python3 "$FIX/rdap_server.py" >"$T/rdap.out" 2>"$T/rdap.err" &
SERVER_PID=$!
for _ in $(seq 50); do grep -q '^PORT' "$T/rdap.out" && break; sleep 0.1; done
P=$(awk '/^PORT/ {print $2}' "$T/rdap.out")
[ -n "$P" ] || { echo "not ok - starting the RDAP server"; exit 1; }
cat >"$T/ipv4.json" <<EOF
{"version": "1.0", "services": [
  [["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"], ["http://127.0.0.1:$P/"]]]}
EOF
cat >"$T/ipv6.json" <<EOF
{"version": "1.0", "services": [[["2001:db8::/32"], ["http://127.0.0.1:$P/"]]]}
EOF
requests() { curl --noproxy '*' -s "http://127.0.0.1:$P/_stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }
r() { v providers lookup "$@" --rdap-bootstrap "$T/ipv4.json" --rdap-bootstrap "$T/ipv6.json" --rdap-http-loopback; }

r https://site.test/a.jpg --ip 198.51.100.7 >"$T/out"; rc=$?
check "RDAP: exit 0" test $rc -eq 0
check "RDAP: found by rdap" has "$T/out" "^found     rdap 198.51.100.0/25 ...$"
check "RDAP: RIPE style, two contacts (mailto: and a duplicate gone)" has "$T/out" "^abuse     abuse@exemple-hebergement.test, security@exemple-hebergement.test$"
check "RDAP: the holder" has "$T/out" "Exemple Hebergement SAS$"
check "RDAP: one request" test "$(requests)" -eq 1
r https://other.test/b.jpg --ip 198.51.100.60 >"$T/out"
check "RDAP: the cache answers for the network" has "$T/out" "(cached)$"
check "RDAP: no second request" test "$(requests)" -eq 1
r https://site.test/ --ip 192.0.2.200 --json >"$T/out"
check "RDAP: ARIN style, the abuse contact nested in the organisation" has "$T/out" '"abuse_emails":\["abuse@example-hosting.test"\]'
check "RDAP: the network and holder in JSON" has "$T/out" '"handle":"NET-192-0-2-0-1","name":"EXAMPLE-HOSTING-NET","org":"Example Hosting Inc"'
check "RDAP: two requests" test "$(requests)" -eq 2
check "RDAP: the answer is in the cache" test "$(q "SELECT status || ' ' || abuse_emails FROM rdap_cache WHERE handle = 'NET-192-0-2-0-1'")" = "ok abuse@example-hosting.test"
r https://site.test/ --ip 203.0.113.113 >"$T/out"
check "RDAP: the origin AS names a registered provider" has "$T/out" "^found     asn AS64501$"
check "RDAP: ... Origin Networks" has "$T/out" "^provider  Origin Networks (confirmed)$"
r https://site.test/ --ip 203.0.113.33 >"$T/out"
check "RDAP: a redirect to another registry is followed" has "$T/out" "^server    http://127.0.0.1:$P/rir2/ip/203.0.113.33$"
check "RDAP: ... and its contact used" has "$T/out" "^abuse     abuse@redirected.test$"
r https://site.test/ --ip 2001:db8::99 >"$T/out"
check "RDAP: IPv6" has "$T/out" "^abuse     abuse@v6.example-hosting.test$"
r https://site.test/ --ip 2001:db8:42::99 >"$T/out"
check "RDAP: not asked when a registered network holds the address" has "$T/out" "^found     network 2001:db8:42::/48$"

# no abuse contact: a clear answer, exit 1
r https://site.test/ --ip 203.0.113.1 >"$T/out"; rc=$?
check "no vCard: exit 1" test $rc -eq 1
check "no vCard: found none" has "$T/out" "^found     none$"
check "no vCard: says so" has "$T/out" "reason    RDAP for 203.0.113.1: no abuse contact: the abuse entity has no readable vCard"
r https://site.test/ --ip 203.0.113.17 >"$T/out"; rc=$?
check "malformed vCards: exit 1" test $rc -eq 1
check "malformed vCards: the injection is refused, not sent" has "$T/out" "no abuse contact: no valid e-mail address in the abuse vCard (refused: 'abuse@bad.test??Bcc: victim@else.test')"
check "malformed vCards: no e-mail at all" has "$T/out" "^abuse     -$"
r https://site.test/ --ip 203.0.113.200 >"$T/out"; rc=$?
check "404: exit 1" test $rc -eq 1
check "404: not found" has "$T/out" "not found: no registry holds this address (404)"
n=$(requests)
r https://site.test/ --ip 203.0.113.200 >"$T/out"
check "404: cached too" test "$(requests)" -eq "$n"
start=$(date +%s)
r https://site.test/ --ip 203.0.113.49 --rdap-timeout 1000 >"$T/out"; rc=$?
took=$(( $(date +%s) - start ))
check "slow: gives up in time (${took}s)" test $rc -eq 1 -a $took -le 3
check "slow: says so" has "$T/out" "no answer within 1000 ms"
start=$(date +%s)
r https://site.test/ --ip 203.0.113.161 >"$T/out"; rc=$?
took=$(( $(date +%s) - start ))
check "slower than 15 s, no --rdap-timeout: gives up at the 15 s default (${took}s)" \
  bash -c "[ $rc -eq 1 ] && [ $took -ge 14 ] && [ $took -le 18 ] && grep -q 'no answer within 15000 ms' '$T/out'"
r https://site.test/ --ip 203.0.113.65 >"$T/out"
check "oversized: refused" has "$T/out" "the answer is over 1048576 bytes"
r https://site.test/ --ip 203.0.113.81 >"$T/out"
check "not JSON: says so" has "$T/out" "the answer is not JSON"
r https://site.test/ --ip 203.0.113.97 >"$T/out"
check "a redirect loop: stops" has "$T/out" "more than 3 redirects"
"$VIGIL" providers lookup https://site.test/ --ip 198.51.100.7 --rdap-bootstrap "$T/ipv4.json" --db "$T/fresh.db" >"$T/out"; rc=$?
check "without the test option: no http, no documentation addresses" has "$T/out" "198.51.100.7 is not a public address"

# suggestions: saved, found by network, left out of exports until confirmed
r https://site.test/ --ip 192.0.2.210 --save >"$T/out"
check "save: a suggested provider" has "$T/out" "^provider  Example Hosting Inc (RDAP) (suggested)$"
v providers ls --suggested >"$T/out"
check "ls --suggested" has "$T/out" "^Example Hosting Inc (RDAP) .*suggested en abuse@example-hosting.test"
v providers lookup https://site.test/ --ip 192.0.2.220 --no-rdap >"$T/out"
check "then found by network" has "$T/out" "^found     network 192.0.2.0/24$"
v providers export >"$T/out" 2>"$T/err"
check "export leaves it out" bash -c "! grep -q 'RDAP' '$T/out'"
check "and says so" has "$T/err" "1 suggested provider left out"
v providers confirm "Example Hosting Inc (RDAP)" >"$T/out"
check "confirm" has "$T/out" "provider Example Hosting Inc (RDAP) confirmed"
check "confirmed: exported" bash -c "'$VIGIL' providers export --db '$DB' | grep -q '^Example Hosting Inc (RDAP),abuse@example-hosting.test,en,,192.0.2.0/24,0,'"
check "confirm audited" test "$(q "SELECT COUNT(*) FROM audit_log WHERE action = 'provider.confirm'")" -eq 1
# --- end to end: a crawl's detection, a notice cycle, the registry's
# provider found by the server's address, the notice delivered to it
PY=
for p in python3 /usr/bin/python3; do
  "$p" -c 'import aiosmtpd' 2>/dev/null && { PY=$p; break; }
done
ROOT=$(cd "$HERE/../.." && pwd)
PHOTO="$ROOT/samples/seeding.jpg"
E="$T/e2e.db"
e() { "$VIGIL" "$@" --db "$E"; }
python3 "$FIX/hostile_server.py" --photo "$PHOTO" >"$T/web.out" 2>/dev/null &
WEB_PID=$!
"${PY:-python3}" "$FIX/smtp_server.py" --dir "$T/mail" --certdir "$T/certs" >"$T/smtp.out" 2>"$T/smtp.err" &
SMTP_PID=$!
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; kill "$WEB_PID" "$SMTP_PID" 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 300); do grep -q '^PORT' "$T/web.out" && grep -q '^PORT' "$T/smtp.out" && break; sleep 0.1; done
WP=$(awk '/^PORT/ {print $2}' "$T/web.out"); SP=$(awk '/^PORT/ {print $2}' "$T/smtp.out")
check "e2e: python3-aiosmtpd and the servers are there" test -n "$PY" -a -n "$WP" -a -n "$SP"
e lists create known >/dev/null
"$VIGIL" hash "$PHOTO" | e lists import known - >/dev/null
printf 'name,abuse_emails,networks
Loopback Labs,abuse@loopback.test,127.0.0.0/8 ::1
' | e providers import - >/dev/null
e crawl --seed "http://127.0.0.1:$WP/photo.jpg" --allow-private --ignore-robots --delay 0 --quiet >/dev/null 2>&1
check "e2e: the crawl detected the photo" test "$(sqlite3 "$E" 'SELECT COUNT(*) FROM detections')" -ge 1
e notices run-once --hotline "Test Hotline" --notice-contact tips@hotline.example \
  --smtp-relay "smtp://127.0.0.1:$SP" --smtp-starttls none --smtp-from notices@hotline.example \
  --notice-allow-private --rdap-bootstrap "$T/ipv4.json" >"$T/out" 2>&1
check "e2e: the case names the provider" test "$(sqlite3 "$E" "SELECT p.name FROM cases c JOIN providers p ON p.id = c.provider_id")" = "Loopback Labs"
for _ in $(seq 50); do ls "$T/mail"/*.json >/dev/null 2>&1 && break; sleep 0.1; done
check "e2e: the notice went to its abuse address" bash -c "cat '$T/mail'/*.json 2>/dev/null | grep -q '\"abuse@loopback.test\"'"

v providers show "Origin Networks" >"$T/out"
check "show" has "$T/out" "^networks  AS64501$"
v providers rm "Origin Networks" >"$T/out"
check "rm" has "$T/out" "deleted provider Origin Networks"
v providers rm "Origin Networks" >/dev/null 2>"$T/err"; rc=$?
check "rm again: exit 1" test $rc -eq 1
check "rm again: says so" has "$T/err" "no provider named Origin Networks"
finish
