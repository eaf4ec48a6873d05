#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The hash-check API on two `vigil serve` nodes sharing one store (issue
# 15, section 4): a signal added to a bank through node A matches on node
# B, and a content disabled through A stops matching on B, each within
# 1 s of the call's answer; /status and /readyz answer on both; a lookup
# through B's own listener (--api-listen) sees the same.  The delays are
# printed.  On PostgreSQL too (test_api_fleet_pg).
# Usage: test_api_fleet.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1; DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
A=; B=
cleanup() {
  [ -n "$A" ] && kill "$A" 2>/dev/null
  [ -n "$B" ] && kill "$B" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
store_init "$T/vigil.db"
c() { curl -s --noproxy '*' --max-time 20 "$@"; }
ms() { echo $(($(date +%s%N) / 1000000)); }

KEY=$("$VIGIL" apikeys add acme --partner acme --scopes lookup,curate --db "$DB" | tail -1)
node() { # node NAME [OPTS]: start a node, its pid in PID, its ports in P, PA
  local name=$1; shift
  "$VIGIL" serve --db "$DB" --no-crawl --listen 127.0.0.1:0 --rate-limit 0 \
    --node-name "$name" "${SERVE_KEY[@]}" "$@" >"$T/$name.out" 2>"$T/$name.err" &
  PID=$!; P=; PA=
  for _ in $(seq 600); do
    P=$(sed -n 's|^vigil: serving on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/$name.out")
    PA=$(sed -n 's|^vigil: API on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/$name.out")
    [ -n "$P" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  PA=${PA:-$P}
}
node a; A=$PID; UA="http://127.0.0.1:$P"
node b --api-listen 127.0.0.1:0; B=$PID; UB="http://127.0.0.1:$PA"; UBMAIN="http://127.0.0.1:$P"
check "two nodes on one store" bash -c "kill -0 $A && kill -0 $B"
check "B's API on its own listener" test "$UB" != "$UBMAIN"
ready() { for _ in $(seq 200); do [ "$(c -o /dev/null -w '%{http_code}' "$1/status")" = 200 ] && return 0; sleep 0.05; done; return 1; }
check "/status: I-AM-ALIVE on A once the index is loaded" bash -c "$(declare -f c ready); ready '$UA' && [ \"\$(c '$UA/status')\" = I-AM-ALIVE ]"
check "  and on B's API listener" bash -c "$(declare -f c ready); ready '$UB'"
check "B's main listener has no API route" test "$(c -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "$UBMAIN/m/index/status")" = 404

auth=(-H "Authorization: Bearer $KEY")
check "a bank made through A: 201" test "$(c -o /dev/null -w '%{http_code}' "${auth[@]}" -H 'Content-Type: application/json' -d '{"name":"ACME_FLEET"}' "$UA/c/banks")" = 201
"$VIGIL" hash "$DATA/photos/0007.jpg" | cut -d, -f1 >"$T/pdq"
PDQ=$(cat "$T/pdq")
lookup_b() { c "${auth[@]}" "$UB/m/lookup?signal_type=pdq&signal=$PDQ"; }
check "not known on B before" test "$(lookup_b)" = "{}"

# add through A, poll B every 20 ms
c "${auth[@]}" -d "{\"pdq\":\"$PDQ\"}" "$UA/c/bank/ACME_FLEET/signal" >"$T/added"
t0=$(ms)
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/added")
seen=
for _ in $(seq 250); do
  lookup_b | grep -q "\"bank_content_id\":$ID" && { seen=$(ms); break; }
  sleep 0.02
done
ADD_MS=$(( ${seen:-999999} - t0 ))
echo "# added through A, matching on B after $ADD_MS ms"
check "added through A: matches on B within 1 s ($ADD_MS ms)" test "$ADD_MS" -lt 1000

# disable through A
c "${auth[@]}" -X PUT -d '{"disable_until_ts": 0}' "$UA/c/bank/ACME_FLEET/content/$ID" -o /dev/null
t0=$(ms)
gone=
for _ in $(seq 250); do
  [ "$(lookup_b)" = '{}' ] && { gone=$(ms); break; }
  sleep 0.02
done
DIS_MS=$(( ${gone:-999999} - t0 ))
echo "# disabled through A, gone from B after $DIS_MS ms"
check "disabled through A: no longer matches on B within 1 s ($DIS_MS ms)" test "$DIS_MS" -lt 1000

# enable again through B, matching on A
c "${auth[@]}" -X PUT -d '{"disable_until_ts": 1}' "$UB/c/bank/ACME_FLEET/content/$ID" -o /dev/null
t0=$(ms)
back=
for _ in $(seq 250); do
  c "${auth[@]}" "$UA/m/lookup?signal_type=pdq&signal=$PDQ" | grep -q "\"bank_content_id\":$ID" && { back=$(ms); break; }
  sleep 0.02
done
EN_MS=$(( ${back:-999999} - t0 ))
echo "# enabled through B, matching on A after $EN_MS ms"
check "enabled through B: matches on A within 1 s ($EN_MS ms)" test "$EN_MS" -lt 1000
# vigil check against the real server: hashes only, then --upload
printf '%s\n' "$KEY" >"$T/key"; chmod 600 "$T/key"
"$VIGIL" check --server "$UB" --key-file "$T/key" "$DATA/photos/0007.jpg" "$DATA/photos/0008.jpg" >"$T/check.out"; rc=$?
check "vigil check (hashes only): exit 1, the bank's photo near, the other no match" bash -c "[ $rc = 1 ] && grep -qP '0007.jpg\tcsam\tnear$' '$T/check.out' && grep -qP '0008.jpg\tno-known-match\t-$' '$T/check.out'"
"$VIGIL" check --server "$UA" --key-file "$T/key" --upload --json "$DATA/photos/0007.jpg" >"$T/check.json"; rc=$?
check "vigil check --upload --json: exit 1, the server's answer with the file's size" bash -c "[ $rc = 1 ] && python3 -c 'import json,os,sys; j=json.loads(open(sys.argv[1]).readline()); sys.exit(0 if j[\"match_type\"] == \"near\" and j[\"answer\"][\"size_bytes\"] == os.path.getsize(sys.argv[2]) else 1)' '$T/check.json' '$DATA/photos/0007.jpg'"
check "the changes are audited as the key's" test "$("$VIGIL" audit ls --db "$DB" | grep -c ' key:')" -ge 4
finish
