#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The hash-check API refuses bad input, each with its clear error, and
# stores nothing for it (issue 15, sections 2 and 5): a body over the
# upload cap (413), bytes that are no image, a truncated image and a pixel
# bomb (422 with the reason), bad hex or base64 hashes, 1,001 hashes in a
# batch, unknown banks, a URL to a private address, a key without the
# scope, a revoked key, a key over its rate or its daily quota (429 with
# Retry-After); a partner never learns of a list not shared with it, sees
# metadata only where the share allows, and may not change the hotline's
# banks.  The lists' entries and the audit log are the same after.
# Usage: test_api_refusals.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
TESTDATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
store_init "$T/vigil.db"
P=$TESTDATA/photos
A=$P/0240.webp # on SHARED_PDQ (shared with partner P)
H=$P/0241.webp # on SECRET_LIST only (shared with partner Q, not P)
M=$P/0548.png  # on META_LIST (shared with P without --metadata)

c() { curl -s --noproxy '*' --max-time 30 "$@"; }
# call CURL-ARGS...: the body into $T/b, the headers into $T/h, the status
call() { c -o "$T/b" -D "$T/h" -w '%{http_code}' "$@"; }
# j DESCRIPTION PYEXPR: the JSON of $T/b as d satisfies PYEXPR (raw: its
# text); else the answer is shown
j() {
  check "$1" python3 - "$T/b" "$2" <<'EOF'
import json, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
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
    print("  answer: %s" % raw[:600])
sys.exit(0 if ok else 1)
EOF
}
pdq() { "$VIGIL" hash "$1" | cut -d, -f1; }
b64() { python3 -c 'import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$1"; }

L() { "$VIGIL" lists "$@" --db "$DB" >/dev/null; }
L create SHARED_PDQ --category csam
L create SECRET_LIST --category csam
L create META_LIST --category csam
pdq "$A" >"$T/a.txt"
{ pdq "$H"; sha256sum "$H" | cut -d' ' -f1; } >"$T/h.txt"
printf 'hash,algorithm,id,metadata\n%s,pdq,secret-ext-1,"{""secret"":""hidden-meta-9""}"\n%s,sha256,,\n' \
  "$(pdq "$H")" "$(sha256sum "$H" | cut -d' ' -f1)" >"$T/h.csv"
printf 'hash,algorithm,id,metadata\n%s,pdq,meta-ext-5,"{""case"":""meta-case-3""}"\n' \
  "$(pdq "$M")" >"$T/m.csv"
L import SHARED_PDQ "$T/a.txt" --algo pdq
L import SECRET_LIST "$T/h.csv" --format csv
L import META_LIST "$T/m.csv" --format csv
L share SHARED_PDQ P
L share META_LIST P
L share SECRET_LIST Q --metadata
L share SHARED_PDQ Q
key() { "$VIGIL" apikeys add "$@" --db "$DB" | tail -1; }
KEY=$(key "P main" --partner P --scopes lookup,hash,curate)
KQ=$(key "Q main" --partner Q --scopes lookup,curate)
HASHONLY=$(key "P hasher" --partner P --scopes hash)
LOOKONLY=$(key "P looker" --partner P --scopes lookup)
REVOKED=$(key "P old" --partner P --scopes lookup,hash,curate)
RATED=$(key "P rated" --partner P --scopes lookup --rate 3)
QUOTA=$(key "P quota" --partner P --scopes lookup --quota 3)
"$VIGIL" apikeys revoke 5 --db "$DB" >/dev/null

serve_start --api-max-upload 128K
check "serving with --api-max-upload 128K" test -n "$PORT"
for _ in $(seq 300); do
  [ "$(c -o /dev/null -w '%{http_code}' "$U/status")" = 200 ] && break
  sleep 0.1
done
AUTH=(-H "Authorization: Bearer $KEY")
JSON=(-H 'Content-Type: application/json')
media() { # media FILE [KEY]: POST /v1/media/ with the file's bytes
  call -H "Authorization: Bearer ${2:-$KEY}" -X POST "$U/v1/media/" \
    -H 'Content-Type: application/octet-stream' --data-binary @"$1"
}
check "the partner's own bank: 201" test "$(call "${AUTH[@]}" "${JSON[@]}" -X POST -d '{"name": "OWN_BANK"}' "$U/c/banks")" = 201
counts() {
  sqlite3 "$DB" "SELECT (SELECT COUNT(*) FROM list_entries) || ' entries, ' || (SELECT COUNT(*) FROM audit_log) || ' audit rows, ' || (SELECT COUNT(*) FROM hash_lists) || ' lists, ' || (SELECT COUNT(*) FROM list_shares) || ' shares'"
}
BEFORE=$(counts)

# --- bodies and media
head -c 200000 /dev/urandom >"$T/big"
for r in /v1/media/ /m/lookup /h/hash /c/bank/OWN_BANK/content; do
  check "POST $r over the cap (200 KB > 128K): 413" test "$(call "${AUTH[@]}" -X POST "$U$r" -H 'Content-Type: image/jpeg' --data-binary @"$T/big")" = 413
done
python3 -c 'print("{\"hashes\": [" + ",".join(["\"" + "A" * 43 + "=\""] * 8000) + "]}")' >"$T/bigjson"
check "POST /v1/pdq/ over the JSON cap (380 KB): 413" test "$(call "${AUTH[@]}" "${JSON[@]}" -X POST --data-binary @"$T/bigjson" "$U/v1/pdq/")" = 413
printf 'this is not an image, only some text\n' >"$T/text"
check "bytes that are no image: 422" test "$(media "$T/text")" = 422
j "  with the reason" "d['detail'].startswith('the media could not be hashed: ') and len(d['detail']) > 35"
check "  on /m/lookup too: 422 {message}" test "$(call "${AUTH[@]}" -X POST "$U/m/lookup" --data-binary @"$T/text")" = 422
j "  with the reason" "d['message'].startswith('the media could not be hashed: ')"
check "  and as a bank's content: 422" test "$(call "${AUTH[@]}" -X POST "$U/c/bank/OWN_BANK/content" --data-binary @"$T/text")" = 422
check "an empty body: 400" test "$(call "${AUTH[@]}" -X POST "$U/v1/media/" -H 'Content-Type: image/jpeg')" = 400
head -c 30000 "$P/0029.jpg" >"$T/trunc.jpg"
check "a truncated JPEG: 422" test "$(media "$T/trunc.jpg")" = 422
j "  saying it is truncated" "'truncated JPEG' in d['detail']"
head -c 20000 "$P/0548.png" >"$T/trunc.png"
check "a truncated PNG: 422" test "$(media "$T/trunc.png")" = 422
j "  saying it is truncated" "'PNG' in d['detail']"
python3 - "$T/bomb.png" "$P/0015.jpg" "$T/bomb.jpg" <<'EOF'
import struct, sys, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
rows = zlib.compress(b"\0" * 30001 * 16)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n"
    + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0))
    + chunk(b"IDAT", rows) + chunk(b"IEND", b""))
j = bytearray(open(sys.argv[2], "rb").read())
i = 2
while j[i] == 0xFF and j[i + 1] not in (0xC0, 0xC1, 0xC2):
    i += 2 + struct.unpack(">H", j[i + 2:i + 4])[0]
j[i + 5:i + 9] = struct.pack(">HH", 30000, 30000)
open(sys.argv[3], "wb").write(j)
EOF
for b in bomb.png bomb.jpg; do
  check "a pixel bomb ($b, 30000x30000, $(stat -c %s "$T/$b") bytes): 422" test "$(media "$T/$b")" = 422
  j "  naming the pixel limit" "'pixel' in d['detail']"
done

# --- hashes
check "GET /m/lookup with a bad hex signal: 400" test "$(call "${AUTH[@]}" "$U/m/lookup?signal_type=pdq&signal=zz$(pdq "$A" | cut -c3-)")" = 400
j "  saying what a signal is" "'hex' in d['message']"
check "  a PDQ one digit short: 400" test "$(call "${AUTH[@]}" "$U/m/lookup?signal_type=pdq&signal=$(pdq "$A" | cut -c2-)")" = 400
check "  an unknown signal type: 400" test "$(call "${AUTH[@]}" "$U/m/lookup?signal_type=photodna&signal=00")" = 400
j "  naming the types" "'pdq' in d['message']"
check "POST /c/bank/OWN_BANK/signal with bad hex: 400" test "$(call "${AUTH[@]}" "${JSON[@]}" -X POST -d '{"pdq": "not-hex"}' "$U/c/bank/OWN_BANK/signal")" = 400
GOOD=$(b64 "$(pdq "$A")")
check "POST /v1/pdq/ with bad base64: 422" test "$(call "${AUTH[@]}" "${JSON[@]}" -X POST -d "{\"hashes\": [\"$GOOD\", \"!!not base64!!\"]}" "$U/v1/pdq/")" = 422
j "  naming the hash" "d['detail'] == 'hashes[1] is not the base64 of 32 bytes'"
check "  the base64 of 31 bytes: 422" test "$(call "${AUTH[@]}" "${JSON[@]}" -X POST -d "{\"hashes\": [\"$(b64 "$(pdq "$A" | cut -c3-)")\"]}" "$U/v1/pdq/")" = 422
check "  a hex hash where base64 is due: 422" test "$(call "${AUTH[@]}" "${JSON[@]}" -X POST -d "{\"hashes\": [\"$(pdq "$A")\"]}" "$U/v1/pdq/")" = 422
python3 -c 'import sys; print("{\"hashes\": [" + ",".join(["\"" + sys.argv[1] + "\""] * 1001) + "]}")' "$GOOD" >"$T/1001"
check "1,001 hashes in a batch: 422" test "$(call "${AUTH[@]}" "${JSON[@]}" -X POST --data-binary @"$T/1001" "$U/v1/pdq/")" = 422
j "  saying the most" "d['detail'] == 'at most 1000 hashes a request, not 1001'"
python3 -c 'import sys; print("{\"hashes\": [" + ",".join(["\"" + sys.argv[1] + "\""] * 1000) + "]}")' "$GOOD" >"$T/1000"
check "  1,000: 200" test "$(call "${AUTH[@]}" "${JSON[@]}" -X POST --data-binary @"$T/1000" "$U/v1/pdq/")" = 200
check "no hashes: 422" test "$(call "${AUTH[@]}" "${JSON[@]}" -X POST -d '{"hashes": []}' "$U/v1/pdq/")" = 422
check "not JSON: 415" test "$(call "${AUTH[@]}" -X POST -H 'Content-Type: text/plain' -d 'x' "$U/v1/pdq/")" = 415

# --- banks, URLs
check "GET /c/bank/NO_SUCH_BANK: 404" test "$(call "${AUTH[@]}" "$U/c/bank/NO_SUCH_BANK")" = 404
j "  {message}" "d == {'message': 'no bank named NO_SUCH_BANK'}"
cp "$T/b" "$T/nosuch.404"
check "GET /m/lookup?banks=NO_SUCH_BANK: 400" test "$(call "${AUTH[@]}" "$U/m/lookup?signal_type=pdq&signal=$(pdq "$A")&banks=NO_SUCH_BANK")" = 400
j "  {message}" "d == {'message': 'no bank named NO_SUCH_BANK'}"
cp "$T/b" "$T/nosuch.400"
check "a bank name not UPPER_WITH_UNDERSCORE: 400" test "$(call "${AUTH[@]}" "${JSON[@]}" -X POST -d '{"name": "lower-case"}' "$U/c/banks")" = 400
for url in http://127.0.0.1:$PORT/status http://10.1.2.3/x.jpg http://169.254.169.254/latest http://[::1]:$PORT/ http://localhost:$PORT/; do
  check "POST /v1/url/ $url: 422" test "$(call "${AUTH[@]}" "${JSON[@]}" -X POST -d "{\"url\": \"$url\"}" "$U/v1/url/")" = 422
  j "  not public, refused as the crawler refuses it" "'not public' in d['detail']"
done
check "GET /m/lookup?url= a private address: 422 not public" bash -c "[ \$(curl -s --noproxy '*' -o '$T/b' -w '%{http_code}' -H 'Authorization: Bearer $KEY' '$U/m/lookup?url=http%3A%2F%2F127.0.0.1%3A$PORT%2Fstatus') = 422 ] && grep -q 'not public' '$T/b'"
check "POST bank content ?url= a private address: 422" test "$(call "${AUTH[@]}" -X POST "$U/c/bank/OWN_BANK/content?url=http%3A%2F%2F192.168.1.1%2Fa.jpg")" = 422
check "a URL that is not http(s): 422" test "$(call "${AUTH[@]}" "${JSON[@]}" -X POST -d '{"url": "file:///etc/passwd"}' "$U/v1/url/")" = 422

# --- keys
check "a key with only the hash scope on /v1/media/: 403" test "$(media "$A" "$HASHONLY")" = 403
j "  naming the scope lookup" "'\"lookup\"' in d['detail']"
check "a lookup key on /c/banks: 403" test "$(call -H "Authorization: Bearer $LOOKONLY" "$U/c/banks")" = 403
j "  naming the scope curate" "'\"curate\"' in d['message']"
check "a lookup key on /h/hash: 403" test "$(call -H "Authorization: Bearer $LOOKONLY" -X POST --data-binary @"$A" "$U/h/hash")" = 403
j "  naming the scope hash" "'\"hash\"' in d['message']"
check "a lookup key adding a signal: 403" test "$(call -H "Authorization: Bearer $LOOKONLY" "${JSON[@]}" -X POST -d "{\"pdq\": \"$(pdq "$A")\"}" "$U/c/bank/OWN_BANK/signal")" = 403
check "a revoked key (Bearer): 401" test "$(media "$A" "$REVOKED")" = 401
j "  saying a valid key is needed" "'API key' in d['detail']"
check "a revoked key (Basic, as the Shield SDK): 401" test "$(call -u "sdk:$REVOKED" -X POST --data-binary @"$A" "$U/v1/media/")" = 401
check "  with WWW-Authenticate" grep -qi '^www-authenticate: basic' "$T/h"
check "a key that is no key: 401" test "$(media "$A" "vgk_nope")" = 401
codes=""
for i in 1 2 3 4; do codes="$codes $(media "$A" "$RATED")"; done
check "a key of --rate 3: the fourth request at once gets 429 (codes:$codes)" test "$codes" = " 200 200 200 429"
j "  saying its rate" "'rate' in d['detail']"
check "  with Retry-After (about 20 s)" bash -c "grep -i '^retry-after:' '$T/h' | tr -dc 0-9 | { read s; [ \"\$s\" -ge 15 ] && [ \"\$s\" -le 21 ]; }"
codes=""
for i in 1 2 3 4 5; do codes="$codes $(call -H "Authorization: Bearer $QUOTA" "$U/m/lookup?signal_type=pdq&signal=$(pdq "$A")")"; done
check "a key of --quota 3: the fourth request of the day gets 429 (codes:$codes)" test "$codes" = " 200 200 200 429 429"
j "  saying its quota" "'quota' in d['message']"
check "  with Retry-After until 00:00 UTC" bash -c "s=\$(grep -i '^retry-after:' '$T/h' | tr -dc 0-9); left=\$((86400 - \$(date -u +%s) % 86400)); [ \$((s - left)) -ge -3 ] && [ \$((s - left)) -le 3 ]"
check "  counted in the store for the fleet" test "$(sqlite3 "$DB" "SELECT requests FROM api_usage WHERE key_id = 7")" -ge 1

# --- what a partner may see
check "a photo on a list not shared with P: 200" test "$(media "$H")" = 200
j "  no-known-match, no match" "d['classification'] == 'no-known-match' and d['match_type'] is None and d['matches'] == []"
j "  nothing names the list, its entries or their metadata" "'SECRET' not in raw and 'secret' not in raw and 'hidden-meta' not in raw"
check "  the same photo for partner Q (shared): a match" bash -c "[ \$(curl -s --noproxy '*' -H 'Authorization: Bearer $KQ' -X POST --data-binary @'$H' '$U/v1/media/' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"matches\"][0][\"list\"])') = SECRET_LIST ]"
check "its hash on /v1/pdq/: 200" test "$(call "${AUTH[@]}" "${JSON[@]}" -X POST -d "{\"hashes\": [\"$(b64 "$(pdq "$H")")\"]}" "$U/v1/pdq/")" = 200
j "  null, nothing named" "list(d['scanned_hashes'].values()) == [None] and 'SECRET' not in raw"
check "its hash on /m/lookup: 200 {}" test "$(call "${AUTH[@]}" "$U/m/lookup?signal_type=pdq&signal=$(pdq "$H")")-$(cat "$T/b")" = "200-{}"
check "its SHA-256 on /m/lookup: 200 {}" test "$(call "${AUTH[@]}" "$U/m/lookup?signal_type=sha256&signal=$(sha256sum "$H" | cut -d' ' -f1)")-$(cat "$T/b")" = "200-{}"
check "GET /c/banks: 200" test "$(call "${AUTH[@]}" "$U/c/banks")" = 200
j "  without the list not shared" "sorted(b['name'] for b in d) == ['META_LIST', 'OWN_BANK', 'SHARED_PDQ'] and 'SECRET' not in raw"
# asked by name, it answers exactly as for a bank that does not exist
check "GET /c/bank/SECRET_LIST: the 404 of a bank that does not exist" bash -c "[ \$(curl -s --noproxy '*' -o '$T/b' -w '%{http_code}' -H 'Authorization: Bearer $KEY' '$U/c/bank/SECRET_LIST') = 404 ] && [ \"\$(sed 's/SECRET_LIST/NO_SUCH_BANK/g' '$T/b')\" = \"\$(cat '$T/nosuch.404')\" ]"
check "/m/lookup?banks=SECRET_LIST: the 400 of a bank that does not exist" bash -c "[ \$(curl -s --noproxy '*' -o '$T/b' -w '%{http_code}' -H 'Authorization: Bearer $KEY' '$U/m/lookup?signal_type=pdq&signal=$(pdq "$H")&banks=SECRET_LIST') = 400 ] && [ \"\$(sed 's/SECRET_LIST/NO_SUCH_BANK/g' '$T/b')\" = \"\$(cat '$T/nosuch.400')\" ]"
check "  only the name asked is in it, nothing of the list" bash -c "! grep -q 'secret\|hidden-meta\|csam' '$T/b'"
check "a photo on a list shared without --metadata: a match" test "$(media "$M")-$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["matches"][0]["list"])' "$T/b")" = "200-META_LIST"
j "  without its external id or metadata" "'external_id' not in d['matches'][0] and 'metadata' not in d['matches'][0] and 'meta-ext-5' not in raw and 'meta-case-3' not in raw"
check "  nor on /m/lookup" test "$(call "${AUTH[@]}" "$U/m/lookup?signal_type=pdq&signal=$(pdq "$M")")" = 200
j "  (META_LIST without them)" "list(d) == ['META_LIST'] and 'external_id' not in d['META_LIST'][0] and 'meta-ext-5' not in raw"
check "  nor in the bank's content" test "$(call "${AUTH[@]}" "$U/c/bank/META_LIST/content")" = 200
j "  (items without metadata)" "len(d['items']) == 1 and d['items'][0]['metadata'] is None and 'meta-case-3' not in raw"

# --- the hotline's banks are read-only to a partner
EID=$(curl -s --noproxy '*' -H "Authorization: Bearer $KEY" "$U/m/lookup?signal_type=pdq&signal=$(pdq "$A")" | python3 -c 'import json,sys; print(json.load(sys.stdin)["SHARED_PDQ"][0]["bank_content_id"])')
check "GET /c/bank/SHARED_PDQ: 200" test "$(call "${AUTH[@]}" "$U/c/bank/SHARED_PDQ")" = 200
for r in "PUT /c/bank/SHARED_PDQ {\"enabled\":false}" "DELETE /c/bank/SHARED_PDQ" \
  "POST /c/bank/SHARED_PDQ/signal {\"pdq\":\"$(pdq "$H")\"}" \
  "PUT /c/bank/SHARED_PDQ/content/$EID {\"disable_until_ts\":0}" \
  "DELETE /c/bank/SHARED_PDQ/content/$EID"; do
  set -- $r
  check "$1 $2: 403" test "$(call "${AUTH[@]}" "${JSON[@]}" -X "$1" ${3:+-d "$3"} "$U$2")" = 403
  j "  read-only, it says" "'belongs to the hotline' in d['message']"
done
check "POST /c/bank/SHARED_PDQ/content: 403" test "$(call "${AUTH[@]}" -X POST --data-binary @"$H" "$U/c/bank/SHARED_PDQ/content")" = 403
check "  and SHARED_PDQ still matches" test "$(call "${AUTH[@]}" "$U/m/lookup?signal_type=pdq&signal=$(pdq "$A")" && python3 -c 'import json,sys; print(list(json.load(open(sys.argv[1]))))' "$T/b")" = "200['SHARED_PDQ']"
check "Q may not change P's own bank either: 404 (not shared with Q)" test "$(call -H "Authorization: Bearer $KQ" "${JSON[@]}" -X POST -d "{\"pdq\": \"$(pdq "$H")\"}" "$U/c/bank/OWN_BANK/signal")" = 404

AFTER=$(counts)
check "nothing stored by the refusals: $AFTER" test "$BEFORE" = "$AFTER"
check "the audit chain verifies" bash -c "\"$VIGIL\" audit verify --db \"$DB\" >/dev/null"
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
check "a graceful stop" test $rc -eq 0
finish
