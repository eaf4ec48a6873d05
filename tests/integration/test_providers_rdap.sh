#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The RDAP bootstrap and cache from the command line: `vigil providers
# rdap-bootstrap --from DIR --dir DIR` installs IANA's files only when
# they pass (a huge, malformed or other-version file is refused, nothing
# replaced), says which bootstrap is used with its publication dates (exit
# 1 on the shipped fallback); `lookup --rdap-bootstrap DIR` routes each
# range to the registry the file names, caches each answer for its
# network (two addresses, one request; again after its max-age), and on a
# refused bootstrap says why and uses the shipped one.  Against
# tests/fixtures/rdap_registries.py (two registries counting requests).
# Usage: test_providers_rdap.sh VIGIL_BINARY TESTDATA_DIR
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

python3 "$FIX/rdap_registries.py" >"$T/rdap.out" 2>"$T/rdap.err" &
SERVER_PID=$!
for _ in $(seq 50); do grep -q '^PORT' "$T/rdap.out" && break; sleep 0.1; done
P=$(awk '/^PORT/ {print $2}' "$T/rdap.out")
[ -n "$P" ] || { echo "not ok - starting the RDAP registries"; exit 1; }
stat_of() { curl --noproxy '*' -s "http://127.0.0.1:$P/_stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# IANA's excerpt (tests/fixtures/iana-rdap), its registries made local:
# RIPE's ranges to registry b, everyone else's to a, the documentation
# ranges added to the services they belong with
mkdir "$T/iana" "$T/installed"
python3 - "$FIX/iana-rdap" "$T/iana" "$P" <<'PY'
import json, sys
src, dst, port = sys.argv[1], sys.argv[2], sys.argv[3]
for name, extra in (("ipv4.json", {"rdap.arin.net": ["192.0.2.0/24", "198.51.100.0/24"],
                                   "rdap.db.ripe.net": ["203.0.113.0/24"]}),
                    ("ipv6.json", {"rdap.arin.net": ["2001:db8::/32"]})):
    doc = json.load(open("%s/%s" % (src, name)))
    for svc in doc["services"]:
        host = svc[1][0].split("/")[2]
        svc[0].extend(extra.get(host, []))
        reg = "b" if host == "rdap.db.ripe.net" else "a"
        svc[1] = ["http://127.0.0.1:%s/%s/" % (port, reg)]
    json.dump(doc, open("%s/%s" % (dst, name), "w"), indent=2)
PY

# --- installing and showing the bootstrap
"$VIGIL" providers rdap-bootstrap --from "$T/iana" --dir "$T/installed" >"$T/out" 2>&1; rc=$?
check "install: exit 0" test $rc -eq 0
check "install: says what, with the publication dates" has "$T/out" "^installed $T/installed/ipv4.json (published 2026-11-20T22:00:02Z), $T/installed/ipv6.json (published 2026-11-20T22:00:01Z)$"
check "install: the files are there" cmp -s "$T/iana/ipv4.json" "$T/installed/ipv4.json"
check "install: no temporary file left" test -z "$(ls -A "$T/installed" | grep -v '^ipv[46].json$')"
"$VIGIL" providers rdap-bootstrap --dir "$T/installed" >"$T/out" 2>&1; rc=$?
check "show: exit 0" test $rc -eq 0
check "show: the prefixes" has "$T/out" "^prefixes  53$"

# bad downloads: refused, nothing replaced
mkdir "$T/huge" "$T/malformed" "$T/version" "$T/fallback-dir"
cp "$T/iana/ipv6.json" "$T/huge/"; cp "$T/iana/ipv6.json" "$T/malformed/"; cp "$T/iana/ipv6.json" "$T/version/"
python3 -c "import sys; sys.stdout.write('{\"version\": \"1.0\", \"services\": [], \"x\": \"' + 'x' * (5 << 20) + '\"}')" >"$T/huge/ipv4.json"
head -c 200 "$T/iana/ipv4.json" >"$T/malformed/ipv4.json"
sed 's/"version": "1.0"/"version": "2.0"/' "$T/iana/ipv4.json" >"$T/version/ipv4.json"
for bad in huge malformed version; do
  "$VIGIL" providers rdap-bootstrap --from "$T/$bad" --dir "$T/installed" >"$T/out" 2>&1; rc=$?
  check "$bad: refused, exit 1" test $rc -eq 1
  check "$bad: nothing replaced" cmp -s "$T/iana/ipv4.json" "$T/installed/ipv4.json"
done
"$VIGIL" providers rdap-bootstrap --from "$T/huge" --dir "$T/installed" >"$T/out" 2>&1
check "huge: says why" has "$T/out" "refused $T/huge/ipv4.json (nothing installed): .*over 4194304 bytes"
"$VIGIL" providers rdap-bootstrap --from "$T/malformed" --dir "$T/installed" >"$T/out" 2>&1
check "malformed: says why" has "$T/out" "refused $T/malformed/ipv4.json (nothing installed): .*not JSON"
"$VIGIL" providers rdap-bootstrap --from "$T/version" --dir "$T/installed" >"$T/out" 2>&1
check "wrong version: says why" has "$T/out" "version \"2.0\", not \"1.0\" (RFC 9224)"
"$VIGIL" providers rdap-bootstrap --dir "$T/version" >"$T/out" 2>"$T/err"; rc=$?
check "a refused bootstrap in use: exit 1" test $rc -eq 1
check "a refused bootstrap in use: says why on stderr" has "$T/err" "RDAP bootstrap refused: $T/version/ipv4.json: version \"2.0\""
check "a refused bootstrap in use: the shipped fallback, with its date" has "$T/out" "^bootstrap the shipped fallback .*data/rdap-bootstrap-ipv4.json (published 2024-01-01T00:00:00Z)"
"$VIGIL" providers rdap-bootstrap --from "$T/nowhere" --dir "$T/installed" >"$T/out" 2>&1; rc=$?
check "--from a missing directory: exit 1" test $rc -eq 1
check "--from a missing directory: says so" has "$T/out" "wants the directory of IANA's ipv4.json"

# --- lookups through the installed bootstrap
r() { v providers lookup "$@" --rdap-bootstrap "$T/installed" --rdap-http-loopback; }
r https://site.test/a.jpg --ip 198.51.100.7 >"$T/out"; rc=$?
check "lookup: exit 0" test $rc -eq 0
check "lookup: ARIN's range, registry a" has "$T/out" "^abuse     abuse@a.test$"
check "lookup: which bootstrap, with its date" has "$T/out" "^bootstrap $T/installed/ipv4.json (published 2026-11-20T22:00:02Z), "
r https://site.test/b.jpg --ip 198.51.100.250 >"$T/out"
check "lookup: the second address of the network from the cache" has "$T/out" "(cached)$"
check "lookup: two addresses of one network, one request" test "$(stat_of total)" -eq 1
check "lookup: cached for the network (cidr0), its max-age" test "$(q "SELECT expires_at - fetched_at FROM rdap_cache WHERE handle = 'NET-A-198.51.100.0/24'")" = 60
r https://site.test/ --ip 203.0.113.5 >"$T/out"
check "lookup: RIPE's range goes to registry b" has "$T/out" "^abuse     abuse@b.test$"
check "lookup: ... one request there" test "$(stat_of b)" -eq 1
r https://site.test/ --ip 2001:db8::5 --json >"$T/out"
check "lookup: IPv6, the bootstrap in JSON" has "$T/out" '"bootstrap":"'"$T"'/installed/ipv4.json (published 2026-11-20T22:00:02Z), '
# the cache's expiry: an entry past its time is asked again
q "UPDATE rdap_cache SET expires_at = fetched_at - 1 WHERE handle = 'NET-A-198.51.100.0/24'" >/dev/null
r https://site.test/c.jpg --ip 198.51.100.9 >"$T/out"
check "lookup: after its TTL, a new request" test "$(stat_of total)" -eq 4
check "lookup: ... and not from the cache" bash -c "! grep -q '(cached)' '$T/out'"

# --- a refused bootstrap given to lookup: the shipped fallback, said
"$VIGIL" providers lookup https://site.test/ --ip 192.0.2.9 --db "$DB" --rdap-bootstrap "$T/malformed" --rdap-http-loopback --rdap-timeout 1000 >"$T/out" 2>"$T/err"
check "lookup, malformed bootstrap: not JSON, the fallback used" has "$T/err" "RDAP bootstrap refused: $T/malformed/ipv4.json: not JSON.*; using the shipped fallback .*rdap-bootstrap-ipv4.json (published 2024-01-01T00:00:00Z)"
check "lookup, malformed bootstrap: the output names the fallback" has "$T/out" "^bootstrap the shipped fallback "
check "lookup, malformed bootstrap: nothing asked of the local registries" test "$(stat_of total)" -eq 4

finish
