#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The hash-check API speaks to the clients platforms already run (issue 15,
# section 5): the requests of C3P's Shield SDK and HMA's documented curl
# calls, sent as those clients send them, with the status codes and JSON
# answers checked field by field.
# Usage: test_api_compat.sh VIGIL_BINARY TESTDATA_DIR
#
# The Shield SDK (arachnid_shield_sdk, api/v1.py; docs/ECOSYSTEM.md,
# "Shield"), base URL ending in "/", as the client sends it:
#   client = ArachnidShield(username=USER, password=KEY)  # HTTP Basic
#   client.scan_media_from_bytes(contents, mime_type)
#     POST {base}v1/media/   Authorization: Basic b64(USER:KEY)
#                            Content-Type: <mime_type>   body: the raw bytes
#   client.scan_media_from_url(url)
#     POST {base}v1/url/     Content-Type: application/json  {"url": url}
#   client.scan_pdq_hashes(hashes)
#     POST {base}v1/pdq/     Content-Type: application/json
#                            {"hashes": ["<base64 of the 32 bytes>", ...]}
# HMA 1.x's documented calls (docs/ECOSYSTEM.md, "4. HMA HTTP surface"),
# as its README spells them, plus the key HMA leaves to a proxy (Bearer):
#   curl -X POST -H 'Content-Type: application/json' \
#        -d '{"name": "TEST_BANK"}' $U/c/banks
#   curl -X POST -H 'Content-Type: application/json' \
#        -d '{"pdq": "<hex>"}' $U/c/bank/TEST_BANK/signal
#   curl "$U/m/lookup?signal_type=pdq&signal=<hex>"
#   curl "$U/c/bank/TEST_BANK/content/ID?include_signals=true"
#   curl -X PUT -H 'Content-Type: application/json' \
#        -d '{"disable_until_ts": 0}' $U/c/bank/TEST_BANK/content/ID
#   (HMA's magic values: 0 disabled, 1 enabled, else disabled until then)
#   curl "$U/m/lookup?url=..."   curl "$U/h/hash?url=..."
#   curl $U/c/banks   curl $U/m/index/status   curl $U/status
set -u
VIGIL=$1
TESTDATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
PID= HPID=
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  [ -n "$HPID" ] && kill -9 "$HPID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
store_init "$T/vigil.db"
P=$TESTDATA/photos
A=$P/0240.webp # its PDQ on CSAM_PDQ: a near match
B=$P/0029.jpg  # its SHA-256 on HARMFUL_SHA, its PDQ on CSAM_PDQ
C=$P/0548.png  # its MD5 on MD5_META (with an id and metadata)
N1=$P/0193.webp N2=$P/0015.jpg # on no list
E=$P/0197.webp # a signal of the partner's own bank
F=$P/0234.webp # content of the partner's own bank, from the body

c() { curl -s --noproxy '*' --max-time 30 "$@"; }
# call CURL-ARGS...: the answer's body into $T/b, its status printed
call() { c -o "$T/b" -w '%{http_code}' "$@"; }
# j DESCRIPTION PYEXPR: the JSON of $T/b as d satisfies PYEXPR (with
# json, base64, hashlib; f(PATH) is a file's bytes); else d is shown
j() {
  check "$1" python3 - "$T/b" "$2" <<'EOF'
import base64, hashlib, json, sys
def f(p):
    return open(p, "rb").read()
raw = open(sys.argv[1], "rb").read()
try:
    d = json.loads(raw)
except ValueError:
    d = None
ok = False
try:
    ok = eval(sys.argv[2])
except Exception as e:
    print("  (%r)" % e)
if not ok:
    print("  answer: %s" % raw[:600].decode("utf-8", "replace"))
sys.exit(0 if ok else 1)
EOF
}
pdq() { "$VIGIL" hash "$1" | cut -d, -f1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }
md5() { md5sum "$1" | cut -d' ' -f1; }
b64() { python3 -c 'import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$1"; }
q() { python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# --- the lists, shared with partner P; one not shared
L() { "$VIGIL" lists "$@" --db "$DB" >/dev/null; }
L create CSAM_PDQ --category csam
L create HARMFUL_SHA --category harmful-abusive
L create MD5_META --category csam
{ pdq "$A"; pdq "$B"; } >"$T/pdq.txt"
sha256 "$B" >"$T/sha.txt"
printf 'hash,algorithm,id,metadata\n%s,md5,ext-77,"{""case"":""k9""}"\n' \
  "$(md5 "$C")" >"$T/md5.csv"
L import CSAM_PDQ "$T/pdq.txt" --algo pdq
L import HARMFUL_SHA "$T/sha.txt" --algo sha256
L import MD5_META "$T/md5.csv" --format csv
check "three lists imported" test "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM list_entries')" -eq 4
L share CSAM_PDQ P
L share HARMFUL_SHA P
L share MD5_META P --metadata
KEY=$("$VIGIL" apikeys add "Platform P" --partner P \
  --scopes lookup,hash,curate --db "$DB" | tail -1)

# a web server on the loopback for the URL routes (serve --allow-private)
mkdir "$T/www" && cp "$A" "$B" "$N1" "$F" "$T/www/"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$T/www" \
  >"$T/http.out" 2>/dev/null &
HPID=$!
for _ in $(seq 100); do
  HP=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$T/http.out")
  [ -n "$HP" ] && break
  sleep 0.05
done
W="http://127.0.0.1:$HP"
serve_start --allow-private
check "serving" test -n "$PORT"
for _ in $(seq 300); do
  [ "$(c -o /dev/null -w '%{http_code}' "$U/status")" = 200 ] && break
  sleep 0.1
done

# --- HMA: GET /status, /m/index/status
check "GET /status: 200 I-AM-ALIVE once the index is loaded" \
  test "$(call "$U/status")-$(cat "$T/b")" = "200-I-AM-ALIVE"
BEARER=(-H "Authorization: Bearer $KEY")
check "GET /m/index/status: 200" test "$(call "${BEARER[@]}" "$U/m/index/status")" = 200
j "  {\"pdq\": {present, built_to, size}}" \
  "d['pdq']['present'] is True and isinstance(d['pdq']['built_to'], int) and d['pdq']['size'] == 4"

# --- Shield: POST v1/media/, Basic auth as the SDK sends it
SDK=(-u "sdk-user:$KEY")
media() { # media FILE MIME: POST v1/media/ as scan_media_from_bytes
  call "${SDK[@]}" -X POST "$U/v1/media/" -H "Content-Type: $2" \
    --data-binary @"$1"
}
shield_common() { # the fields of every media answer, for FILE
  j "  size_bytes, sha1_base32 (RFC 4648 of the SHA-1), sha256_hex of $(basename "$1")" \
    "d['size_bytes'] == len(f('$1')) and d['sha1_base32'] == base64.b32encode(hashlib.sha1(f('$1')).digest()).decode().rstrip('=') and d['sha256_hex'] == hashlib.sha256(f('$1')).hexdigest()"
}
check "v1/media/ without Authorization: 401" test "$(call -X POST "$U/v1/media/" -H 'Content-Type: image/webp' --data-binary @"$A")" = 401
check "v1/media/ near match (webp): 200" test "$(media "$A" image/webp)" = 200
shield_common "$A"
j "  classification csam, match_type near" \
  "d['classification'] == 'csam' and d['match_type'] == 'near'"
j "  near_match_details: one, with sha1_base32, sha256_hex, classification, timestamp" \
  "len(d['near_match_details']) == 1 and set(d['near_match_details'][0]) >= {'sha1_base32', 'sha256_hex', 'classification', 'timestamp'} and d['near_match_details'][0]['classification'] == 'csam'"
j "  matches name the shared list, PDQ at distance 0" \
  "[(m['list'], m['algo'], m['distance']) for m in d['matches']] == [('CSAM_PDQ', 'pdq', 0)]"
j "  no crawl found the list's item: its sha1_base32 and sha256_hex null" \
  "d['near_match_details'][0]['sha1_base32'] is None and d['near_match_details'][0]['sha256_hex'] is None"
# a crawl found media with the entry's PDQ (its digests made up)
sqlite3 "$DB" "INSERT INTO media (sha256, first_seen_at) VALUES (x'$(printf 'ab%.0s' $(seq 32))', 1);
  INSERT INTO media_hashes (media_id, algo, value) SELECT id, 'pdq', x'$(pdq "$A")' FROM media;
  INSERT INTO media_hashes (media_id, algo, value) SELECT id, 'sha1', x'$(printf 'cd%.0s' $(seq 20))' FROM media;"
check "v1/media/ again once a crawl found that item: 200" test "$(media "$A" image/webp)" = 200
j "  near_match_details carry the found item's SHA-1 (base32) and SHA-256" \
  "d['near_match_details'][0]['sha1_base32'] == base64.b32encode(bytes([0xcd] * 20)).decode() and d['near_match_details'][0]['sha256_hex'] == 'ab' * 32"
j "  the query's own hashes" \
  "d['hashes']['sha256'] == hashlib.sha256(f('$A')).hexdigest() and d['hashes']['pdq'] == '$(pdq "$A")'"

check "v1/media/ exact match (jpeg, SHA-256) and a near one: 200" test "$(media "$B" image/jpeg)" = 200
shield_common "$B"
j "  match_type exact; csam (the PDQ list) wins over harmful-abusive-material" \
  "d['match_type'] == 'exact' and d['classification'] == 'csam'"
j "  both matches shown, the SHA-256 one of class harmful-abusive-material" \
  "sorted((m['list'], m['algo'], m['classification']) for m in d['matches']) == [('CSAM_PDQ', 'pdq', 'csam'), ('HARMFUL_SHA', 'sha256', 'harmful-abusive-material')]"

check "v1/media/ exact match by MD5 (png), a --metadata share: 200" test "$(media "$C" image/png)" = 200
shield_common "$C"
j "  exact, csam, no near_match_details" \
  "d['match_type'] == 'exact' and d['classification'] == 'csam' and d['near_match_details'] == []"
j "  with the entry's external id and metadata" \
  "d['matches'][0]['external_id'] == 'ext-77' and json.loads(d['matches'][0]['metadata']) == {'case': 'k9'}"
for n in "$N1:image/webp" "$N2:image/jpeg"; do
  check "v1/media/ $(basename "${n%%:*}") on no list: 200" test "$(media "${n%%:*}" "${n#*:}")" = 200
  shield_common "${n%%:*}"
  j "  no-known-match, match_type null, no details" \
    "d['classification'] == 'no-known-match' and d['match_type'] is None and d['near_match_details'] == [] and d['matches'] == []"
done

# --- Shield: POST v1/url/ {"url"}
check "v1/url/ of a listed photo: 200" test "$(call "${SDK[@]}" -X POST "$U/v1/url/" -H 'Content-Type: application/json' -d "{\"url\": \"$W/$(basename "$A")\"}")" = 200
shield_common "$A"
j "  near, csam, and the URL" \
  "d['match_type'] == 'near' and d['classification'] == 'csam' and d['url'] == '$W/$(basename "$A")'"
check "v1/url/ of an unlisted photo: 200" test "$(call "${SDK[@]}" -X POST "$U/v1/url/" -H 'Content-Type: application/json' -d "{\"url\": \"$W/$(basename "$N1")\"}")" = 200
j "  no-known-match" "d['classification'] == 'no-known-match' and d['match_type'] is None"

# --- Shield: POST v1/pdq/ {"hashes": [base64...]}
HA=$(b64 "$(pdq "$A")") HN=$(b64 "$(pdq "$N1")")
check "v1/pdq/ two hashes: 200" test "$(call "${SDK[@]}" -X POST "$U/v1/pdq/" -H 'Content-Type: application/json' -d "{\"hashes\": [\"$HA\", \"$HN\"]}")" = 200
j "  scanned_hashes keyed by the hashes as sent" \
  "set(d) == {'scanned_hashes'} and set(d['scanned_hashes']) == {'$HA', '$HN'}"
j "  the listed one: csam, near, distance 0; the other null" \
  "d['scanned_hashes']['$HA']['classification'] == 'csam' and d['scanned_hashes']['$HA']['match_type'] == 'near' and d['scanned_hashes']['$HA']['distance'] == 0 and d['scanned_hashes']['$HN'] is None"

# --- HMA: lookups by signal
check "GET /m/lookup pdq: 200" test "$(call "${BEARER[@]}" "$U/m/lookup?signal_type=pdq&signal=$(pdq "$A")")" = 200
j "  {\"CSAM_PDQ\": [{bank_content_id: N, distance: \"0\"}]}, distance a string" \
  "list(d) == ['CSAM_PDQ'] and len(d['CSAM_PDQ']) == 1 and isinstance(d['CSAM_PDQ'][0]['bank_content_id'], int) and d['CSAM_PDQ'][0]['distance'] == '0'"
check "GET /m/lookup md5 (a --metadata share): 200" test "$(call "${BEARER[@]}" "$U/m/lookup?signal_type=md5&signal=$(md5 "$C")")" = 200
j "  MD5_META with distance \"0\", external_id and metadata" \
  "list(d) == ['MD5_META'] and d['MD5_META'][0]['distance'] == '0' and d['MD5_META'][0]['external_id'] == 'ext-77'"
check "GET /m/lookup video_md5 is md5: 200" test "$(call "${BEARER[@]}" "$U/m/lookup?signal_type=video_md5&signal=$(md5 "$C")")" = 200
j "  MD5_META" "list(d) == ['MD5_META']"
check "GET /m/lookup sha256 with banks=CSAM_PDQ: 200" test "$(call "${BEARER[@]}" "$U/m/lookup?signal_type=sha256&signal=$(sha256 "$B")&banks=CSAM_PDQ")" = 200
j "  the filter leaves HARMFUL_SHA out: {}" "d == {}"
check "GET /m/lookup of an unlisted hash: 200 {}" test "$(call "${BEARER[@]}" "$U/m/lookup?signal_type=pdq&signal=$(pdq "$N1")")-$(cat "$T/b")" = "200-{}"
check "GET /m/lookup?url=: 200" test "$(call "${BEARER[@]}" "$U/m/lookup?url=$(q "$W/$(basename "$B")")")" = 200
j "  {\"pdq\": {CSAM_PDQ}, \"sha256\": {HARMFUL_SHA}}, distances strings" \
  "list(d['pdq']) == ['CSAM_PDQ'] and d['pdq']['CSAM_PDQ'][0]['distance'] == '0' and list(d['sha256']) == ['HARMFUL_SHA'] and d['md5'] == {}"
check "GET /h/hash?url=: 200" test "$(call "${BEARER[@]}" "$U/h/hash?url=$(q "$W/$(basename "$A")")")" = 200
j "  {\"pdq\": hex, md5, sha1, sha256}" \
  "d['pdq'] == '$(pdq "$A")' and d['md5'] == hashlib.md5(f('$A')).hexdigest() and d['sha256'] == hashlib.sha256(f('$A')).hexdigest()"
check "POST /h/hash with the body: 200" test "$(call "${BEARER[@]}" -X POST "$U/h/hash" -H 'Content-Type: image/webp' --data-binary @"$N1")" = 200
j "  its PDQ" "d['pdq'] == '$(pdq "$N1")'"

# --- HMA: banks
JSON=(-H 'Content-Type: application/json')
check "POST /c/banks: 201" test "$(call "${BEARER[@]}" "${JSON[@]}" -X POST -d '{"name": "TEST_BANK"}' "$U/c/banks")" = 201
j "  {name, matching_enabled_ratio: 1.0}" \
  "d['name'] == 'TEST_BANK' and d['matching_enabled_ratio'] == 1.0"
check "POST /c/banks again: 403" test "$(call "${BEARER[@]}" "${JSON[@]}" -X POST -d '{"name": "TEST_BANK"}' "$U/c/banks")" = 403
j "  {\"message\": ...}" "isinstance(d['message'], str) and d['message']"
check "GET /c/banks: 200" test "$(call "${BEARER[@]}" "$U/c/banks")" = 200
j "  [{name, matching_enabled_ratio}]: the shared lists and the own bank" \
  "sorted(b['name'] for b in d) == ['CSAM_PDQ', 'HARMFUL_SHA', 'MD5_META', 'TEST_BANK'] and all(isinstance(b['matching_enabled_ratio'], float) for b in d)"
sleep 1.2 # the node's copy of the shares is stale now: read again on the way
check "GET /c/banks once the shares' copy is stale: 200" test "$(call "${BEARER[@]}" "$U/c/banks")" = 200
j "  the same banks" "sorted(b['name'] for b in d) == ['CSAM_PDQ', 'HARMFUL_SHA', 'MD5_META', 'TEST_BANK']"
check "GET /c/bank/TEST_BANK: 200" test "$(call "${BEARER[@]}" "$U/c/bank/TEST_BANK")" = 200
j "  the bank" "d['name'] == 'TEST_BANK'"
PE=$(pdq "$E")
check "POST /c/bank/TEST_BANK/signal: 200" test "$(call "${BEARER[@]}" "${JSON[@]}" -X POST -d "{\"pdq\": \"$PE\"}" "$U/c/bank/TEST_BANK/signal")" = 200
j "  {id, signals: {pdq: hex}}" "isinstance(d['id'], int) and d['signals'] == {'pdq': '$PE'}"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/b")
# an added entry matches within 1 s (the lookup polled every 50 ms)
# (what it answers as BANK:ID:DISTANCE words)
lookup_e() {
  call "${BEARER[@]}" "$U/m/lookup?signal_type=pdq&signal=$PE" >/dev/null
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join("%s:%s:%s" % (b, x["bank_content_id"], x["distance"]) for b in d for x in d[b]))' "$T/b"
}
within() { # within WANT: lookup_e gives WANT within 1 s
  local t0=$(date +%s%N)
  while [ $(( ($(date +%s%N) - t0) / 1000000 )) -le 1000 ]; do
    [ "$(lookup_e)" = "$1" ] && return 0
    sleep 0.05
  done
  echo "  got: $(cat "$T/b")"
  return 1
}
HIT="TEST_BANK:$ID:0"
check "the signal matches within 1 s: $HIT" within "$HIT"
check "GET .../content/ID?include_signals=true: 200" test "$(call "${BEARER[@]}" "$U/c/bank/TEST_BANK/content/$ID?include_signals=true")" = 200
j "  {id, bank, disable_until_ts 1 (enabled), original_media_uri, signals}" \
  "d['id'] == $ID and d['bank'] == 'TEST_BANK' and d['disable_until_ts'] == 1 and 'original_media_uri' in d and d['signals'] == {'pdq': '$PE'}"
check "PUT disable_until_ts 0 (disabled): 200" test "$(call "${BEARER[@]}" "${JSON[@]}" -X PUT -d '{"disable_until_ts": 0}' "$U/c/bank/TEST_BANK/content/$ID")" = 200
j "  disable_until_ts 0" "d['disable_until_ts'] == 0"
check "  it stops matching within 1 s" within ""
check "PUT disable_until_ts 1 (enabled): 200" test "$(call "${BEARER[@]}" "${JSON[@]}" -X PUT -d '{"disable_until_ts": 1}' "$U/c/bank/TEST_BANK/content/$ID")" = 200
check "  it matches again within 1 s" within "$HIT"
check "PUT disable_until_ts a minute from now (disabled until then): 200, 0" bash -c "[ \"\$(curl -s --noproxy '*' -H 'Authorization: Bearer $KEY' -H 'Content-Type: application/json' -X PUT -d '{\"disable_until_ts\": '\$(( \$(date +%s) + 60 ))'}' '$U/c/bank/TEST_BANK/content/$ID' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"disable_until_ts\"])')\" = 0 ]"
check "  it stops matching" within ""
check "PUT disable_until_ts a minute ago: enabled again" test "$(call "${BEARER[@]}" "${JSON[@]}" -X PUT -d "{\"disable_until_ts\": $(( $(date +%s) - 60 ))}" "$U/c/bank/TEST_BANK/content/$ID")" = 200
check "  it matches again" within "$HIT"

check "POST /c/bank/TEST_BANK/content from the body, with a note: 200" test "$(call "${BEARER[@]}" -X POST -H 'Content-Type: image/webp' --data-binary @"$F" "$U/c/bank/TEST_BANK/content?note=seen")" = 200
j "  {id, signals: {pdq: the photo's}}" "isinstance(d['id'], int) and d['signals'] == {'pdq': '$(pdq "$F")'}"
FID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/b")
check "  GET it: the note in its metadata" test "$(call "${BEARER[@]}" "$U/c/bank/TEST_BANK/content/$FID")" = 200
j "  metadata {note}" "d['metadata'] == {'note': 'seen'} and 'signals' not in d"
check "POST content ?url=: 200" test "$(call "${BEARER[@]}" -X POST "$U/c/bank/TEST_BANK/content?url=$(q "$W/$(basename "$N1")")")" = 200
j "  its PDQ" "d['signals'] == {'pdq': '$(pdq "$N1")'}"
check "  and the photo matches it by media now (v1/media/)" bash -c "sleep 0.5; [ \"\$(curl -s --noproxy '*' -u 'u:$KEY' -X POST '$U/v1/media/' -H 'Content-Type: image/webp' --data-binary @'$N1' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"matches\"][0][\"list\"])')\" = TEST_BANK ]"

# page through the bank: 3 entries, 2 a page
check "GET .../content?limit=2: 200" test "$(call "${BEARER[@]}" "$U/c/bank/TEST_BANK/content?limit=2")" = 200
j "  two items in id order, next the last id" \
  "len(d['items']) == 2 and d['items'][0]['id'] < d['items'][1]['id'] and d['next'] == d['items'][1]['id'] and all('signals' in i for i in d['items'])"
NEXT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next"])' "$T/b")
check "GET .../content?after=NEXT&limit=2: 200" test "$(call "${BEARER[@]}" "$U/c/bank/TEST_BANK/content?after=$NEXT&limit=2")" = 200
j "  the last item, next null" "len(d['items']) == 1 and d['items'][0]['id'] > $NEXT and d['next'] is None"

check "DELETE .../content/ID: 200 {deleted: 1}" test "$(call "${BEARER[@]}" -X DELETE "$U/c/bank/TEST_BANK/content/$ID")-$(cat "$T/b")" = '200-{"deleted":1}'
check "  it stops matching within 1 s" within ""
check "PUT /c/bank/TEST_BANK enabled false: 200" test "$(call "${BEARER[@]}" "${JSON[@]}" -X PUT -d '{"enabled": false}' "$U/c/bank/TEST_BANK")" = 200
j "  matching_enabled_ratio 0" "d['matching_enabled_ratio'] == 0"
check "DELETE /c/bank/TEST_BANK: 200" test "$(call "${BEARER[@]}" -X DELETE "$U/c/bank/TEST_BANK")" = 200
check "  then GET it: 404 with a message" test "$(call "${BEARER[@]}" "$U/c/bank/TEST_BANK")" = 404
j "  {\"message\": ...}" "'TEST_BANK' in d['message']"
check "every curation call audited (key as the actor)" test "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM audit_log WHERE user_id < 0')" -ge 7

kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
check "a graceful stop" test $rc -eq 0
finish
