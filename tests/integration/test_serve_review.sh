#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# From a public report to the verified list, through `vigil serve`: a
# report names a page (nginx on 127.0.0.1) showing a known photo and an
# unknown one; the server's crawler fetches it; the known photo is a
# detection, the unknown one waits in the console's media review with a
# sealed thumbnail, sent blurred and greyscale until an analyst reveals it
# (audited); two analysts classify it, the second vote puts its hashes on
# the verified list and deletes the thumbnail; every step is audited.
# Usage: test_serve_review.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
FIX="$HERE/../fixtures"
. "$HERE/lib.sh"
T=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  bash "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
store_init "$T/vigil.db"
PW='correct horse battery'

# the reported page: one photo on the known list, one nobody knows
mkdir -p "$T/www"
cp "$DATA/photos/0001.jpg" "$T/www/known.jpg"
cp "$DATA/photos/0002.jpg" "$T/www/new.jpg"
printf '<!doctype html><title>p</title><img src="known.jpg"><img src="new.jpg">\n' >"$T/www/page.html"
NPORT=$(bash "$FIX/nginx_site.sh" start "$T/www" "$T/ng" | awk '/^PORT/ {print $2}')
[ -n "$NPORT" ] || { echo "not ok - starting nginx"; exit 1; }
"$VIGIL" hash --json "$T/www/known.jpg" >"$T/known.jsonl"
"$VIGIL" lists create known --category test --db "$DB" >/dev/null
"$VIGIL" lists import known "$T/known.jsonl" --db "$DB" >/dev/null
echo "$PW" | "$VIGIL" users add ann --db "$DB" >/dev/null
echo "$PW" | "$VIGIL" users add ben --db "$DB" >/dev/null

"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --rate-limit 0 "${SERVE_KEY[@]}" \
  --allow-private >"$T/serve.out" 2>"$T/serve.err" &
PID=$!
for _ in $(seq 100); do
  PORT=$(grep -o ':[0-9][0-9]*/' "$T/serve.out" 2>/dev/null | tr -d ':/')
  [ -n "$PORT" ] && break
  sleep 0.05
done
U="http://127.0.0.1:$PORT"
c() { local jar=$1 url=$2; shift 2
  curl -s --noproxy '*' --max-time 30 -b "$T/$jar" -c "$T/$jar" "$U$url" "$@"; }
csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -1 | grep -o '[0-9a-f]\{64\}'; }
login() { # login JAR USER
  c "$1" /console/login >"$T/l.html"
  c "$1" /console/login -d "csrf=$(csrf_of "$T/l.html")&username=$2&password=$PW" -o /dev/null
}

c pub /report -d "incident_type=csam&technology=website&urls=http%3A%2F%2F127.0.0.1%3A$NPORT%2Fpage.html&description=seen+there" -o /dev/null
check "the report is stored" test "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM reports')" -eq 1
# the crawler (1 s between requests to a host) fetches robots, page, 2 images
for _ in $(seq 240); do
  [ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM media WHERE review = 'pending'" 2>/dev/null)" = 1 ] &&
    [ "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM detections' 2>/dev/null)" -ge 1 ] && break
  sleep 0.25
done
check "the server crawled the reported page: the known photo detected" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM detections d JOIN hash_lists l ON l.id = d.list_id WHERE l.name = 'known'")" -ge 1
check "the unknown photo awaits review" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM media WHERE review = 'pending'")" -eq 1
MID=$(sqlite3 "$DB" "SELECT id FROM media WHERE review = 'pending'")
check "its thumbnail is sealed, not a JPEG at rest" bash -c "[ \"\$(sqlite3 '$DB' \"SELECT hex(substr(thumbnail, 1, 3)) FROM media WHERE id = $MID\")\" != FFD8FF ] && [ \$(sqlite3 '$DB' \"SELECT length(thumbnail) FROM media WHERE id = $MID\") -gt 200 ]"

login a ann
c a /console/media >"$T/q.html"
c a /console/reports/1 >"$T/r.html"
check "the report's page shows both photos: one matched, one awaiting review" bash -c "grep -q '<span class=\"tag urgent\">known</span>' '$T/r.html' && grep -q 'href=\"/console/media/$MID\"' '$T/r.html' && grep -q 'Awaiting review' '$T/r.html'"
check "the media review queue lists it with its report" bash -c "grep -q 'href=\"/console/media/$MID\"' '$T/q.html' && grep -q 'href=\"/console/reports/1\"' '$T/q.html'"
c a "/console/media/$MID" >"$T/m.html"
check "its page: hashes, where seen, no reveal yet" bash -c "grep -q \"\$(sha256sum '$T/www/new.jpg' | cut -c1-64)\" '$T/m.html' && grep -q 'new.jpg' '$T/m.html' && grep -q 'id=\"thumb\" class=\"veiled\"' '$T/m.html'"
c a "/console/media/$MID/thumb" -D "$T/t.hdr" -o "$T/veiled.jpg"
# revealing changes the audit log: a POST with the form's token, never a GET
# (a prefetch or a link preview must change nothing)
c a "/console/media/$MID/thumb?reveal=1" -o "$T/get-reveal.jpg"
c a "/console/media/$MID?reveal=1" -o "$T/get-reveal.html"
check "a GET reveals nothing and writes nothing" bash -c "cmp -s '$T/veiled.jpg' '$T/get-reveal.jpg' && grep -q 'id=\"thumb\" class=\"veiled\"' '$T/get-reveal.html' && [ \$(sqlite3 '$DB' \"SELECT COUNT(*) FROM audit_log WHERE action = 'media.reveal'\") -eq 0 ]"
check "a reveal without the form's token: 403" test "$(c a "/console/media/$MID/reveal" -d '' -o /dev/null -w '%{http_code}')" = 403
c a "/console/media/$MID/reveal" -d "csrf=$(csrf_of "$T/m.html")" -o "$T/revealed.html"
python3 - "$T/revealed.html" "$T/clear.jpg" <<'EOF'
import base64, re, sys
m = re.search(r'id="thumb" src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"', open(sys.argv[1]).read())
open(sys.argv[2], 'wb').write(base64.b64decode(m.group(1)) if m else b'')
EOF
check "the veiled thumbnail is a greyscale JPEG" python3 - "$T/veiled.jpg" "$T/clear.jpg" <<'EOF'
import sys
v, c = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
def comps(b):  # the number of components in the JPEG's SOF0/SOF2
    i = 2
    while i < len(b):
        m, n = b[i + 1], int.from_bytes(b[i + 2:i + 4], 'big')
        if m in (0xC0, 0xC1, 0xC2):
            return b[i + 9]
        i += 2 + n
ok = v[:3] == b'\xff\xd8\xff' and c[:3] == b'\xff\xd8\xff' and comps(v) == 1 and comps(c) == 3 and v != c
sys.exit(0 if ok else 1)
EOF
check "thumbnails are not cached by the browser" grep -qi '^cache-control: no-store' "$T/t.hdr"
check "revealing is audited" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM audit_log WHERE action = 'media.reveal' AND object_id = $MID")" -eq 1
CS=$(csrf_of "$T/m.html")
check "a vote without the CSRF token: 403" test "$(c a "/console/media/$MID/review" -d 'classification=csam' -o /dev/null -w '%{http_code}')" = 403
c a "/console/media/$MID/review" -d "csrf=$CS&classification=csam" -D "$T/v1.hdr" -o /dev/null
check "first vote recorded, awaiting agreement" bash -c "grep -qi '^location: /console/media/$MID?result=recorded' '$T/v1.hdr' && [ \$(sqlite3 '$DB' \"SELECT review FROM media WHERE id = $MID\") = pending ]"
check "voting twice does not count twice" bash -c "curl -s --noproxy '*' -b '$T/a' -o /dev/null -D - -d 'csrf=$CS&classification=csam' '$U/console/media/$MID/review' | grep -qi 'result=recorded'"
login b ben
c b "/console/media/$MID" >"$T/m2.html"
c b "/console/media/$MID/review" -d "csrf=$(csrf_of "$T/m2.html")&classification=csam" -D "$T/v2.hdr" -o /dev/null
check "the second analyst agrees: verified" grep -qi "^location: /console/media/$MID?result=verified" "$T/v2.hdr"
check "its SHA-256 is on the verified list" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM list_entries e JOIN hash_lists l ON l.id = e.list_id WHERE l.name = 'verified' AND e.algo = 'sha256' AND hex(e.value) = upper('$(sha256sum "$T/www/new.jpg" | cut -c1-64)')")" -eq 1
check "where it was seen, it is now a detection of the verified list" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM detections d JOIN hash_lists l ON l.id = d.list_id WHERE l.name = 'verified' AND d.media_id = $MID")" -ge 1
check "the thumbnail is deleted" test "$(sqlite3 "$DB" "SELECT thumbnail IS NULL FROM media WHERE id = $MID")" -eq 1
check "the queue is empty" grep -q 'Nothing awaits review' <(c b /console/media)
check "the thumbnail is gone from the console too" test "$(c b "/console/media/$MID/thumb" -o /dev/null -w '%{http_code}')" = 404
check "votes and the decision are audited; the chain holds" bash -c "[ \$(sqlite3 '$DB' \"SELECT COUNT(*) FROM audit_log WHERE action LIKE 'review.%'\") -ge 3 ] && '$VIGIL' audit verify --db '$DB' >/dev/null"

kill -TERM "$PID"; wait "$PID"; RC=$?; PID=
check "graceful stop with the crawler running" test "$RC" -eq 0
check "the standing crawl is left resumable" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM frontier WHERE state = 'leased'")" -eq 0
finish
