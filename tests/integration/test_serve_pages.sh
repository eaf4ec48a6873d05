#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `vigil serve`'s public pages and analyst console over real HTTP on
# 127.0.0.1: the report form in English and French (errors next to their
# fields, everything entered kept, stored before "received"), help by
# country, the awareness video with byte ranges; XSS in every field comes
# back escaped, in the form and in the console; sign-in with CSRF,
# throttling (never a lockout), session fixation, roles, logout; admin pages for users, API
# keys (a key made in the console works on the API until revoked) and
# the audit log and its signed head; oversized and malformed bodies get 4xx.
# Usage: test_serve_pages.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
store_init "$T/vigil.db"
PW='correct horse battery'

echo "$PW" | "$VIGIL" users add alice --db "$DB" >/dev/null
echo "$PW" | "$VIGIL" users add root --role admin --db "$DB" >/dev/null
serve_start
check "serving" test -n "$PORT"
# the sealing key lives in libsodium's guarded memory: one read-only page
# between two inaccessible guard pages (its mlock is not checked: ASan
# turns mlock into a no-op)
check "the sealing key in guarded memory (read-only, between guard pages)" python3 - "$PID" <<'EOF'
import sys
rows = []
for line in open("/proc/%s/maps" % sys.argv[1]):
    f = line.split()
    a, b = (int(x, 16) for x in f[0].split("-"))
    rows.append((a, b, f[1], f[5] if len(f) > 5 else ""))
hits = [r for i, r in enumerate(rows[1:-1], 1)
        if r[2].startswith("r--") and not r[3] and rows[i - 1][1] == r[0]
        and rows[i - 1][2].startswith("---") and rows[i + 1][0] == r[1]
        and rows[i + 1][2].startswith("---")]
sys.exit(0 if len(hits) == 1 else 1)
EOF

# curl with a cookie jar per actor: c JAR URL [options...] (body to stdout)
c() { local jar=$1 url=$2; shift 2
  curl -s --noproxy '*' --max-time 30 -b "$T/$jar" -c "$T/$jar" "$U$url" "$@"; }
code() { c "$@" -o /dev/null -w '%{http_code}'; }
has() { grep -qF -- "$2" "$1"; }
csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -1 | grep -o '[0-9a-f]\{64\}'; }

# ---- public pages ----
c pub / >"$T/home.html"
check "home page in English with a way to report" bash -c "has() { grep -qF -- \"\$2\" \"\$1\"; }; has '$T/home.html' '<html lang=\"en\">' && has '$T/home.html' 'id=\"report-link\"'"
c pub '/report?lang=fr' >"$T/fr.html"
check "?lang=fr gives the form in French" has "$T/fr.html" 'Faire un signalement'
c pub /report >"$T/fr2.html"
check "the choice of French is remembered" has "$T/fr2.html" '<html lang="fr">'
curl -s --noproxy '*' -H 'Accept-Language: fr-CA,fr;q=0.9,en;q=0.5' "$U/report" >"$T/al.html"
check "Accept-Language picks French" has "$T/al.html" '<html lang="fr">'
check "every input of the form has a label" python3 - "$T/fr.html" <<'EOF'
import re, sys
h = open(sys.argv[1]).read()
ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', h)
labels = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', h))
missing = [i for i in ids if i not in labels]
sys.exit(1 if missing or len(ids) < 20 else 0)
EOF
check "the form says images must never be sent" has "$T/home.html" 'Never upload'

# a report with mistakes: errors next to fields, values kept, nothing stored
XSS='<script>alert(1)</script>"><img src=x onerror=alert(2)>'
ENC=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$XSS")
c pub '/report?lang=en' -o /dev/null
c pub /report -d "incident_type=luring&technology=website&urls=javascript:alert(1)&description=&contact_name=$ENC&contact_email=bad&detail=$ENC" \
  -o "$T/err.html" -w '%{http_code}' >"$T/err.code"
check "a report with mistakes comes back with 422" test "$(cat "$T/err.code")" = 422
check "an error summary linking to the fields" bash -c "grep -q 'id=\"error-summary\"' '$T/err.html' && grep -q 'href=\"#urls\"' '$T/err.html'"
for f in urls description luring_meet luring_images contact_email; do
  check "the error for $f is next to it" grep -q "id=\"$f-error\">[^<]" "$T/err.html"
done
check "what was entered is kept (escaped)" grep -qF 'value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"' "$T/err.html"
check "no injected markup in the page" bash -c "! grep -qF '<script>alert' '$T/err.html' && ! grep -qF '<img src=x' '$T/err.html'"
check "the type chosen is still chosen" grep -q 'id="type-luring" name="incident_type" value="luring" checked' "$T/err.html"
# XSS in every text field at once (script, attribute and URL injection)
c pub /report -d "incident_type=$ENC&technology=$ENC&incident_at=$ENC&urls=$ENC&detail=$ENC&description=$ENC&luring_meet=$ENC&contact_name=$ENC&contact_email=$ENC&contact_phone=$ENC&named_child=$ENC" -o "$T/xss.html"
check "XSS in every field comes back escaped" bash -c "[ \$(grep -c 'onerror' '$T/xss.html') -ge 6 ] && ! grep -qF '<script>alert' '$T/xss.html' && ! grep -qF '<img src=x' '$T/xss.html' && ! grep -qiF 'href=\"javascript:' '$T/xss.html'"
check "nothing stored for a report with mistakes" test "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM reports')" -eq 0

# the same report, right: stored before the page says received
c pub /report -d "incident_type=luring&technology=website&urls=https%3A%2F%2FExample.com%2Fchat%0D%0Ahttps%3A%2F%2Fexample.org%2Fp&description=$ENC&luring_meet=yes&luring_images=no&contact_name=$ENC&contact_email=alex%40example.org&incident_at=2026-11-28T21%3A30" \
  -D "$T/ok.hdr" -o /dev/null
LOC=$(grep -i '^location:' "$T/ok.hdr" | tr -d '\r' | cut -d' ' -f2)
check "303 to the confirmation" bash -c "grep -q '^HTTP/1.1 303' '$T/ok.hdr' && echo '$LOC' | grep -Eq '^/report/received\?ref=[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$'"
REF=${LOC##*=}
check "stored when acknowledged" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM reports WHERE reference = '$REF' AND channel = 'web'")" -eq 1
check "contact details sealed at rest" bash -c "! sqlite3 '$DB' .dump | grep -q 'alex@example'"
check "both URLs seeded for the crawler" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM frontier f JOIN urls u ON u.id = f.url_id WHERE u.url IN ('https://example.com/chat', 'https://example.org/p')")" -eq 2
c pub "$LOC" -H 'Accept-Language: en-GB' >"$T/rcv.html"
check "the confirmation shows the reference" grep -q "id=\"reference\">$REF<" "$T/rcv.html"
check "and links to help for the visitor's country" grep -q 'id="resources-link" href="/resources?country=GB"' "$T/rcv.html"
check "a made-up reference is not echoed" test "$(code pub '/report/received?ref=%3Cscript%3E')" = 404
check "an unknown path: 404, for GET and for POST alike" \
  bash -c "[ $(code pub /no/such/page) = 404 ] && [ $(code pub /no/such/page -X POST) = 404 ]"
check "a known page with another method: 405" test "$(code pub /report -X PUT)" = 405

# French report, named child: first in the queue
c fr '/report?lang=fr' -o /dev/null
c fr /report -d 'incident_type=intimate_images&technology=chat&detail=Snapchat+user+x&description=Il+menace&intimate_self=yes&intimate_threatened=yes&named_child=yes' -D "$T/fr.hdr" -o /dev/null
LOC2=$(grep -i '^location:' "$T/fr.hdr" | tr -d '\r' | cut -d' ' -f2)
c fr "$LOC2" >"$T/rcv-fr.html"
check "French confirmation" bash -c "grep -q '<html lang=\"fr\">' '$T/rcv-fr.html' && grep -q 'Votre numéro de référence' '$T/rcv-fr.html'"
REF2=${LOC2##*=}

# help by country
for cc in CA US GB AU NZ ZZ; do
  c pub "/resources?country=$cc" >"$T/res-$cc.html"
  check "help for $cc: hotline, children, parents" bash -c "for s in hotline children parents; do python3 -c 'import re,sys; h=open(sys.argv[1]).read(); i=h.index(\"id=\\\"\"+sys.argv[2]+\"\\\"\"); sys.exit(0 if \"<a href=\\\"http\" in h[i:i+3000] else 1)' '$T/res-$cc.html' \$s || exit 1; done"
done
check "the UK page names the UK hotline" grep -q 'Internet Watch Foundation' "$T/res-GB.html"
check "an unknown country gets the international help" grep -q 'id="country"' "$T/res-ZZ.html"

# awareness video, seekable
c pub /awareness >"$T/aw.html"
check "awareness page plays the sample video, then help" bash -c "grep -q 'id=\"awareness-video\"' '$T/aw.html' && grep -q '/static/video/awareness-sample.webm' '$T/aw.html' && grep -q 'id=\"resources\"' '$T/aw.html'"
c pub /static/video/awareness-sample.webm -H 'Range: bytes=100-199' -D "$T/range.hdr" -o "$T/range.bin"
check "the video answers a byte range with 206" bash -c "grep -q '^HTTP/1.1 206' '$T/range.hdr' && grep -qi '^content-range: bytes 100-199/' '$T/range.hdr' && [ \$(stat -c %s '$T/range.bin') -eq 100 ]"

# bad bodies
head -c 400000 /dev/zero | tr '\0' 'a' >"$T/big"
check "an oversized form body: 413" test "$(code pub /report --data-binary "@$T/big" -H 'Content-Type: application/x-www-form-urlencoded')" = 413
check "broken percent-encoding: 400" test "$(code pub /report -d 'description=%zz')" = 400
check "a form as multipart (uploads): 415" test "$(code pub /report -F 'description=x')" = 415
check "security headers on pages" bash -c "curl -s --noproxy '*' -D - -o /dev/null '$U/report' | grep -qi \"^content-security-policy: default-src 'self'.*frame-ancestors 'none'\""

# cross-site posts: open to anyone, but not to another site's page
XS='incident_type=csam&technology=website&urls=https%3A%2F%2Fexample.com%2Fxs&description=cross+site+test'
N0=$(sqlite3 "$DB" 'SELECT COUNT(*) FROM reports')
c pub /report -H 'Origin: https://evil.example' -d "$XS" -o "$T/xs.html" -w '%{http_code}' >"$T/xs.code"
check "a report posted from a foreign Origin: 403" test "$(cat "$T/xs.code")" = 403
check "  with a page that says why" grep -qF 'sent from another website' "$T/xs.html"
check "  in French too" bash -c "curl -s --noproxy '*' '$U/report?lang=fr' -H 'Origin: https://evil.example' -d '$XS' | grep -qF 'autre site Web'"
check "  a foreign Origin naming our port on another host: 403" test "$(code pub /report -H "Origin: http://evil.example:$PORT" -d "$XS")" = 403
check "  Origin null without Sec-Fetch-Site same-origin: 403" test "$(code pub /report -H 'Origin: null' -H 'Sec-Fetch-Site: cross-site' -d "$XS")" = 403
check "  and nothing stored" test "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM reports')" -eq "$N0"
check "our own Origin: accepted (303)" test "$(code pub /report -H "Origin: $U" -d "$XS")" = 303
check "Origin null with Sec-Fetch-Site same-origin: accepted" test "$(code pub /report -H 'Origin: null' -H 'Sec-Fetch-Site: same-origin' -d "$XS")" = 303
check "no Origin (an older browser): accepted" test "$(code pub /report -d "$XS")" = 303
check "  three stored" test "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM reports')" -eq $((N0 + 3))

# ---- the console ----
check "the console needs a session" test "$(code anon /console)" = 303
c a /console/login >"$T/login.html"
check "sign-in without the form's token is refused" test "$(code a /console/login -d "username=alice&password=$PW")" = 403
c a /console/login >"$T/login.html"
c a /console/login -d "csrf=$(csrf_of "$T/login.html")&username=alice&password=wrong" -o "$T/bad.html"
check "a wrong password: the form again with an error" grep -q 'id="login-error"' "$T/bad.html"
# session fixation: a token planted before sign-in is replaced
printf '127.0.0.1\tFALSE\t/console\tFALSE\t0\tvg_session\t%s\n' "$(printf 'a%.0s' $(seq 64))" >>"$T/a"
c a /console/login >"$T/login.html"
c a /console/login -d "csrf=$(csrf_of "$T/login.html")&username=alice&password=$PW" -D "$T/in.hdr" -o /dev/null
NEWTOK=$(grep -o 'vg_session=[0-9a-f]*' "$T/in.hdr" | cut -d= -f2)
check "signed in: 303 to the queue" bash -c "grep -q '^HTTP/1.1 303' '$T/in.hdr' && grep -qi '^location: /console' '$T/in.hdr'"
check "session cookie HttpOnly, SameSite=Strict" grep -qi 'set-cookie: vg_session=[0-9a-f]\{64\}; Path=/console; Max-Age=28800; HttpOnly; SameSite=Strict' "$T/in.hdr"
check "only the session token's SHA-256 is stored, never the token" bash -c "! sqlite3 '$DB' .dump | grep -qi '$NEWTOK' && [ \$(sqlite3 '$DB' \"SELECT COUNT(*) FROM sessions WHERE hex(token_hash) = upper('\$(printf %s '$NEWTOK' | sha256sum | cut -c1-64)')\") -eq 1 ]"
check "session fixation: a new token, not the planted one" bash -c "[ -n '$NEWTOK' ] && [ '$NEWTOK' != \$(printf 'a%.0s' \$(seq 64)) ]"
check "the planted token opens nothing" test "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' -b "vg_session=$(printf 'a%.0s' $(seq 64))" "$U/console")" = 303
c a /console >"$T/queue.html"
check "the queue lists both reports, named child first" python3 - "$T/queue.html" "$REF2" "$REF" <<'EOF'
import re, sys
refs = re.findall(r'class="report-link" href="/console/reports/\d+">([^<]+)<', open(sys.argv[1]).read())
sys.exit(0 if refs[:2] == [sys.argv[2], sys.argv[3]] else 1)
EOF
ID=$(sqlite3 "$DB" "SELECT id FROM reports WHERE reference = '$REF'")
AUDITED="SELECT COUNT(*) FROM audit_log WHERE object_type = 'report' AND object_id = $ID"
c a "/console/reports/$ID" >"$T/rep.html"
check "the report page shows what was submitted, not the contact details" bash -c "grep -q 'id=\"reference\">$REF<' '$T/rep.html' && grep -q 'https://example.com/chat' '$T/rep.html' && ! grep -q 'alex@example.org' '$T/rep.html' && grep -q 'id=\"show-contact\"' '$T/rep.html'"
check "reading it (a GET) changes nothing: still new, no incident, nothing audited" bash -c "[ \$(sqlite3 '$DB' \"SELECT status FROM reports WHERE id = $ID\") = new ] && [ \$(sqlite3 '$DB' \"SELECT COUNT(*) FROM incidents WHERE report_id = $ID\") = 0 ] && [ \$(sqlite3 '$DB' \"$AUDITED\") = 0 ]"
CS=$(csrf_of "$T/rep.html")
check "taking it into review without the form's token: 403" test "$(code a "/console/reports/$ID/open" -d '')" = 403
check "taking it into review: 303 back to the report" test "$(code a "/console/reports/$ID/open" -d "csrf=$CS")" = 303
check "  twice changes nothing more" test "$(code a "/console/reports/$ID/open" -d "csrf=$CS")" = 303
INC=$(sqlite3 "$DB" "SELECT id FROM incidents WHERE report_id = $ID")
check "taking it into review makes its first incident, audited once" bash -c "[ -n '$INC' ] && [ \$(sqlite3 '$DB' \"SELECT status FROM reports WHERE id = $ID\") = in_review ] && [ \$(sqlite3 '$DB' \"$AUDITED AND action = 'report.open'\") = 1 ]"
check "showing the contact details without the form's token: 403" test "$(code a "/console/reports/$ID/contact" -d '')" = 403
c a "/console/reports/$ID/contact" -d "csrf=$CS" >"$T/contact.html"
check "the contact details, shown on a POST, audited" bash -c "grep -q 'alex@example.org' '$T/contact.html' && [ \$(sqlite3 '$DB' \"$AUDITED AND action = 'report.contact'\") = 1 ]"
check "XSS in the description and contact comes back escaped" bash -c "grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' '$T/contact.html' && ! grep -qF '<script>alert' '$T/contact.html' && ! grep -qF '<img src=x' '$T/contact.html'"
check "a change without the CSRF token: 403" test "$(code a "/console/reports/$ID/incidents/$INC" -d 'incident_type=luring&outcome=police')" = 403
check "a change from a foreign Origin: 403" test "$(code a "/console/reports/$ID/incidents/$INC" -H 'Origin: http://evil.example' -d "csrf=$CS&incident_type=luring&outcome=police")" = 403
check "outcome recorded" test "$(code a "/console/reports/$ID/incidents/$INC" -d "csrf=$CS&incident_type=luring&outcome=police&notes=$ENC")" = 303
check "split into a second incident" test "$(code a "/console/reports/$ID/incidents" -d "csrf=$CS&incident_type=csam")" = 303
check "the report is in review until every incident has an outcome" test "$(sqlite3 "$DB" "SELECT status FROM reports WHERE id = $ID")" = in_review
INC2=$(sqlite3 "$DB" "SELECT MAX(id) FROM incidents WHERE report_id = $ID")
c a "/console/reports/$ID/incidents/$INC2" -d "csrf=$CS&incident_type=csam&outcome=partner_hotline" -o /dev/null
check "then closed" test "$(sqlite3 "$DB" "SELECT status FROM reports WHERE id = $ID")" = closed
c a "/console/reports/$ID" >"$T/rep2.html"
check "notes shown escaped" bash -c "grep -qF '&lt;script&gt;' '$T/rep2.html' && ! grep -qF '<script>alert' '$T/rep2.html'"
check "a bad outcome: 422" test "$(code a "/console/reports/$ID/incidents/$INC" -d "csrf=$CS&incident_type=luring&outcome=jail")" = 422
check "no such report: 404" test "$(code a /console/reports/999)" = 404
check "a path not UTF-8 once decoded: 400, not 500" test "$(code a /console/reports/%FF)" = 400
check "  nor a report id followed by such a byte" test "$(code a /console/reports/1%FF)" = 400
check "an analyst cannot reach admin pages" bash -c "[ \$(curl -s --noproxy '*' -b '$T/a' -o /dev/null -w '%{http_code}' '$U/console/admin/users') = 403 ] && [ \$(curl -s --noproxy '*' -b '$T/a' -o /dev/null -w '%{http_code}' '$U/console/admin/audit') = 403 ]"
check "nor make a user" test "$(code a /console/admin/users -d "csrf=$CS&username=eve&role=admin&password=$PW$PW")" = 403
check "hash lists are visible to analysts" test "$(code a /console/lists)" = 200
c a /console/logout -d "csrf=$CS" -o /dev/null
check "after sign-out the old session is dead" test "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' -b "vg_session=$NEWTOK" "$U/console")" = 303

# throttling: after five wrong passwords from this address the right one
# is held back here too, answered as a wrong one; nothing is locked (the
# owner elsewhere signs in: test_serve_signin.sh)
for i in 1 2 3 4 5; do
  c l /console/login >"$T/l.html"
  c l /console/login -d "csrf=$(csrf_of "$T/l.html")&username=alice&password=wrong$i" -o /dev/null
done
c l /console/login >"$T/l.html"
c l /console/login -d "csrf=$(csrf_of "$T/l.html")&username=alice&password=$PW" -o "$T/locked.html" -w '%{http_code}' >"$T/locked.code"
check "held back after 5 failures: the 401 of a wrong password" bash -c "[ \$(cat '$T/locked.code') = 401 ] && grep -q 'or sign-in is slowed down: wait and retry' '$T/locked.html'"
check "no lock" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM audit_log WHERE action = 'login.locked'")" -eq 0

# admin: users, keys, audit
c r /console/login >"$T/login.html"
c r /console/login -d "csrf=$(csrf_of "$T/login.html")&username=root&password=$PW" -o /dev/null
c r /console/admin/users >"$T/users.html"
RC=$(csrf_of "$T/users.html")
check "the admin sees the users" grep -q '>alice<' "$T/users.html"
check "adds a user" test "$(code r /console/admin/users -d "csrf=$RC&username=bob&role=analyst&password=$PW")" = 303
check "a weak password is refused" test "$(code r /console/admin/users -d "csrf=$RC&username=carol&role=analyst&password=short")" = 422
check "disables a user" test "$(code r /console/admin/users/bob/disable -d "csrf=$RC")" = 303
check "bob is disabled" test "$(sqlite3 "$DB" "SELECT disabled FROM users WHERE username = 'bob'")" -eq 1
c r /console/admin/keys -d "csrf=$RC&name=Partner+hotline" >"$T/keys.html"
KEY=$(grep -o 'id="new-key">vgk_[0-9a-f]*' "$T/keys.html" | cut -d'>' -f2)
check "made with the default scope" test "$(sqlite3 "$DB" "SELECT scopes FROM api_keys WHERE name = 'Partner hotline'")" = reports
check "a new API key is shown once" bash -c "[ \${#KEY} -eq 68 ] 2>/dev/null || echo '$KEY' | grep -Eq '^vgk_[0-9a-f]{64}$'"
check "only its hash is stored" bash -c "! sqlite3 '$DB' .dump | grep -q '$KEY'"
API() { curl -s --noproxy '*' -o /dev/null -w '%{http_code}' -X POST "$U/api/v1/reports" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{"incident_type":"csam","technology":"website","urls":["https://example.net/a"],"description":"x"}'; }
check "the key works on the API" test "$(API)" = 201
KID=$(sqlite3 "$DB" "SELECT id FROM api_keys WHERE name = 'Partner hotline'")
check "revoked in the console" test "$(code r "/console/admin/keys/$KID/revoke" -d "csrf=$RC")" = 303
check "a revoked key is refused" test "$(API)" = 401
c r /console/admin/audit >"$T/audit.html"
check "the audit page shows an intact chain and the actions" bash -c "grep -q 'The audit chain is intact' '$T/audit.html' && grep -q 'incident.update' '$T/audit.html' && grep -q 'apikey' '$T/audit.html'"
check "vigil audit verify agrees" "$VIGIL" audit verify --db "$DB"
"$VIGIL" audit head --db "$DB" >"$T/head"
HEAD=$(head -1 "$T/head"); SIG=$(sed -n 2p "$T/head" | cut -d' ' -f2)
check "the audit page shows the head, signed, as vigil audit head prints it" bash -c "echo '$HEAD' | grep -Eqx '[0-9]+:[0-9a-f]{64}' && echo '$SIG' | grep -Eqx '[0-9a-f]{64}' && grep -qF '$HEAD' '$T/audit.html' && grep -qF 'signed: $SIG' '$T/audit.html'"

kill -TERM "$PID"; wait "$PID"; RCODE=$?; PID=
check "graceful stop" test "$RCODE" -eq 0
finish
