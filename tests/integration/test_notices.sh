#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Notice and takedown end to end, with real servers on 127.0.0.1 and a
# simulated clock (`vigil notices run-once --at`): nginx serves a page with
# a photo from a test list; the crawl detects it; its provider is found in
# the registry; the notice arrives at a real SMTP server (aiosmtpd,
# STARTTLS verified with the test CA) naming the URL and SHA-256, never
# carrying the image; a cycle run twice sends nothing twice; with the relay
# down the notice waits and goes out later with the same Message-ID; a
# reminder follows after 24 h; the test removes the file from nginx; the
# next re-check marks the case removed; the figures show the time from
# first notice to removal; `vigil serve` runs the same cycle on a schedule.
# Usage: test_notices.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
FIX="$HERE/../fixtures"
. "$HERE/lib.sh"
T=$(mktemp -d)
SMTP_PID= SERVE_PID=
cleanup() {
  [ -n "$SMTP_PID" ] && kill "$SMTP_PID" 2>/dev/null
  [ -n "$SERVE_PID" ] && kill -9 "$SERVE_PID" 2>/dev/null
  bash "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
store_init "$T/vigil.db"
v() { "$VIGIL" "$@" --db "$DB"; }
q() { sqlite3 "$DB" "$1"; }
PY=
for p in python3 /usr/bin/python3; do
  "$p" -c 'import aiosmtpd' 2>/dev/null && { PY=$p; break; }
done

mkdir -p "$T/www" "$T/mail"
cp "$DATA/photos/0029.jpg" "$T/www/known.jpg"
printf '<!doctype html><title>p</title><img src="known.jpg">\n' >"$T/www/page.html"
NP=$(bash "$FIX/nginx_site.sh" start "$T/www" "$T/ng" | awk '/^PORT/ {print $2}')
smtp_start() { # smtp_start DIR: a fresh server numbers its messages from 1
  mkdir -p "$1"
  "${PY:-python3}" "$FIX/smtp_server.py" --port "${SP:-0}" --dir "$1" \
    --certdir "$T/certs" --starttls >"$T/smtp.out" 2>"$T/smtp.err" &
  SMTP_PID=$!
  for _ in $(seq 300); do grep -q '^PORT' "$T/smtp.out" && break; sleep 0.1; done
  SP=$(awk '/^PORT/ {print $2}' "$T/smtp.out")
}
smtp_start "$T/mail"
check "nginx, aiosmtpd" test -n "$NP" -a -n "$SP" -a -n "$PY"

"$VIGIL" hash --json "$T/www/known.jpg" >"$T/known.jsonl"
v lists create known --category csam >/dev/null
v lists import known "$T/known.jsonl" >/dev/null
printf 'name,abuse_emails,language,networks\nLoopback Hosting,abuse@loopback.test;legal@loopback.test,en,127.0.0.0/8\n' |
  v providers import - >/dev/null
v crawl --seed "http://127.0.0.1:$NP/page.html" --allow-private --delay 0 --quiet >/dev/null 2>&1
check "the crawl detected the photo" test "$(q 'SELECT COUNT(*) FROM detections')" -ge 1

NOW=$(($(date +%s) + 60))
# the cycles take their options from a config file (`name = value`, flags
# `yes`/`no`), the command line overriding it: the notice's legal basis is
# the command line's, its sender the file's
cat >"$T/notices.conf" <<EOF
# notices for the test hotline
hotline = Test Hotline
notice-contact = tips@hotline.example
legal-basis = Config Act, overridden
smtp-cafile = $T/certs/ca.pem
smtp-from   = notices@hotline.example
notice-allow-private = yes
EOF
cycle() { # cycle OFFSET_SECONDS [RELAY_PORT]: one notice cycle at NOW + offset
  v notices run-once --config "$T/notices.conf" --at $((NOW + $1)) \
    --legal-basis "Test Act s. 1" --smtp-relay "smtp://127.0.0.1:${2:-$SP}"
}
printf 'hotline = X\nsmtp-from\n' >"$T/bad.conf"
v notices run-once --config "$T/bad.conf" >"$T/bad.out" 2>&1; rc=$?
check "a config line without '=': exit 1 naming the file and line" bash -c "[ $rc -eq 1 ] && grep -qF '$T/bad.conf:2' '$T/bad.out'"
printf 'notice-allow-private = maybe\n' >"$T/bad.conf"
v notices run-once --config "$T/bad.conf" >"$T/bad.out" 2>&1; rc=$?
check "a flag that is neither yes nor no: refused, saying so" bash -c "[ $rc -eq 1 ] && grep -q 'notice-allow-private is yes or no' '$T/bad.out'"
printf 'config = %s\n' "$T/notices.conf" >"$T/bad.conf"
v notices run-once --config "$T/bad.conf" >"$T/bad.out" 2>&1; rc=$?
check "a config cannot include another" bash -c "[ $rc -eq 1 ] && grep -q 'config cannot nest' '$T/bad.out'"
mails() { ls "$T/mail"/*.json "$T/mail"/*/*.json 2>/dev/null | wc -l; }
wait_mails() { for _ in $(seq 50); do [ "$(mails)" -ge "$1" ] && break; sleep 0.1; done; }

# a crash mid-send: a slow relay has stored the notice but not answered
# when the cycle is killed; the next cycle sends the same notice again
mkdir -p "$T/slowmail"
"${PY:-python3}" "$FIX/smtp_server.py" --dir "$T/slowmail" --certdir "$T/certs" \
  --starttls --slow 30 >"$T/slow.out" 2>/dev/null &
SLOW_PID=$!
for _ in $(seq 300); do grep -q '^PORT' "$T/slow.out" && break; sleep 0.1; done
( exec "$VIGIL" notices run-once --db "$DB" --at "$NOW" --hotline "Test Hotline" \
    --notice-contact tips@hotline.example --legal-basis "Test Act s. 1" \
    --smtp-relay "smtp://127.0.0.1:$(awk '/^PORT/ {print $2}' "$T/slow.out")" \
    --smtp-cafile "$T/certs/ca.pem" --smtp-from notices@hotline.example \
    --notice-allow-private >/dev/null 2>&1 ) &
CYCLE_PID=$!
for _ in $(seq 100); do ls "$T/slowmail"/*.eml >/dev/null 2>&1 && break; sleep 0.1; done
kill -9 "$CYCLE_PID"; wait "$CYCLE_PID" 2>/dev/null; kill "$SLOW_PID"
check "killed mid-send: the notice is stored, not marked sent" test "$(q "SELECT state || ' ' || attempts FROM notices")" = "pending 0"
cycle 0 >"$T/c0"
wait_mails 1
check "the next cycle sends the same notice, same Message-ID, once more" bash -c "[ \$(sqlite3 '$DB' 'SELECT COUNT(*) FROM notices') -eq 1 ] && [ \"\$(sqlite3 '$DB' \"SELECT state || ' ' || attempts FROM notices\")\" = 'sent 1' ] && MID=\$(sqlite3 '$DB' 'SELECT message_id FROM notices') && grep -qF \"\$MID\" '$T/slowmail'/1.eml && grep -qF \"\$MID\" '$T/mail'/1.eml"
check "a case for the URL, its provider found by network" test "$(q "SELECT p.name FROM cases c JOIN providers p ON p.id = c.provider_id")" = "Loopback Hosting"
check "one notice arrived, over STARTTLS, to both abuse addresses" python3 - "$T/mail" <<'EOF'
import json, glob, sys
js = sorted(glob.glob(sys.argv[1] + "/*.json"))
m = json.load(open(js[0]))
sys.exit(0 if len(js) == 1 and m["tls"] and sorted(m["rcpt_tos"]) == ["abuse@loopback.test", "legal@loopback.test"] else 1)
EOF
EML=$(ls "$T/mail"/*.eml | head -1)
SHA=$(sha256sum "$T/www/known.jpg" | cut -c1-64)
check "the notice names the URL, its SHA-256, the classification and the legal basis (the command line's over the config file's), from the config's sender" python3 - "$EML" "http://127.0.0.1:$NP/known.jpg" "$SHA" <<'EOF'
import email, sys
from email import policy
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=policy.default)
body = m.get_body().get_content()
ok = (sys.argv[2] in body and sys.argv[3] in body and "child sexual abuse material" in body
      and "Test Act s. 1" in body and "Config Act" not in body and "Removal notice" in m["Subject"]
      and m["From"].addresses[0].addr_spec == "notices@hotline.example"
      and m["Message-ID"].endswith("@hotline.example>") and not m.is_multipart())
sys.exit(0 if ok else 1)
EOF
check "never the media: no attachment, no image bytes" bash -c "! grep -qi 'Content-Disposition\|image/jpeg' '$EML' && [ \$(stat -c %s '$EML') -lt 8000 ]"
MID=$(q "SELECT message_id FROM notices")
cycle 0 >/dev/null
check "the same cycle again sends nothing" bash -c "[ \$(sqlite3 '$DB' 'SELECT COUNT(*) FROM notices') -eq 1 ] && [ $(mails) -eq 1 ]"

# the relay is down at the reminder: the notice is stored and waits
kill "$SMTP_PID"; wait "$SMTP_PID" 2>/dev/null; SMTP_PID=
cycle $((24 * 3600)) >"$T/c24"
check "relay down: the reminder is stored, pending, to retry" test "$(q "SELECT state || ' ' || attempts FROM notices WHERE cycle = 2")" = "pending 1"
check "and says why" bash -c "sqlite3 '$DB' \"SELECT result FROM notices WHERE cycle = 2\" | grep -qi 'connect\|refused'"
smtp_start "$T/mail/2"
cycle $((24 * 3600 + 30)) >/dev/null
check "before its backoff it is not retried" test "$(q "SELECT attempts FROM notices WHERE cycle = 2")" -eq 1
cycle $((24 * 3600 + 61)) >/dev/null
wait_mails 2
check "after it, sent: the same Message-ID, marked as a reminder" bash -c "[ \"\$(sqlite3 '$DB' \"SELECT state || ' ' || attempts FROM notices WHERE cycle = 2\")\" = 'sent 2' ] && grep -l \"\$(sqlite3 '$DB' 'SELECT message_id FROM notices WHERE cycle = 2')\" '$T/mail'/2/*.eml | head -1 | xargs grep -q 'reminder number 2'"
check "two notices, two Message-IDs, each sent once" test "$(mails)" -eq 2

# the host removes the file; the next daily re-check sees the 404
rm "$T/www/known.jpg"
for h in 25 31 48 55; do cycle $((h * 3600)) >/dev/null; done
check "the case is removed at the first re-check after the removal" test "$(q "SELECT status || ' ' || removal FROM cases")" = "removed HTTP 404"
TTR=$(q "SELECT removed_at - first_notice_at FROM cases")
check "every re-check is recorded (+24 h: up, not modified since the crawl, +31 h: gone)" test "$(q "SELECT group_concat(result, ',') FROM rechecks")" = "HTTP 304: not modified,HTTP 404"
v notices report --csv >"$T/report.csv"
check "the figures: notified 1, removed 1, median = p90 = the time to removal" python3 - "$T/report.csv" "$TTR" <<'EOF'
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))
h = "%.1f" % (int(sys.argv[2]) / 3600)
ok = (len(r) == 1 and r[0]["provider"] == "Loopback Hosting" and r[0]["notified"] == "1"
      and r[0]["removed"] == "1" and r[0]["still_up"] == "0" and r[0]["median_hours"] == h
      and r[0]["p90_hours"] == h and r[0]["notices_sent"] == "2")
sys.exit(0 if ok else 1)
EOF
check "no notice after the removal (none at +48 h)" test "$(q 'SELECT COUNT(*) FROM notices')" -eq 2
v notices show 1 >"$T/show"
check "notices show: the case, its notices and re-checks" bash -c "grep -q 'status      removed' '$T/show' && [ \$(grep -c '  notice ' '$T/show') -eq 2 ] && grep -q 're-check' '$T/show'"

# a copy at another URL, found by `vigil serve`'s own schedule: crawled
# (real clock) before the removal the cycles above recorded (--at, a day
# ahead), so also hosted with the first case, not a re-upload
cp "$DATA/photos/0029.jpg" "$T/www/again.jpg"
printf '<img src="again.jpg">\n' >"$T/www/two.html"
v crawl --seed "http://127.0.0.1:$NP/two.html" --allow-private --delay 0 --quiet >/dev/null 2>&1
"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --no-crawl --rate-limit 0 "${SERVE_KEY[@]}" \
  --hotline "Test Hotline" --smtp-relay "smtp://127.0.0.1:$SP" \
  --smtp-cafile "$T/certs/ca.pem" --smtp-from notices@hotline.example \
  --notice-allow-private --notice-interval 10 >"$T/serve.out" 2>"$T/serve.err" &
SERVE_PID=$!
wait_mails 3
check "serve's scheduler: the copy is a case of its own, also hosted with the first, and notified" bash -c "[ \"\$(sqlite3 '$DB' \"SELECT also_hosted_with || ' ' || coalesce(reupload_of, 0) FROM cases WHERE id = 2\")\" = '1 0' ] && [ $(mails) -eq 3 ] && grep -l 'again.jpg' '$T/mail'/2/*.eml >/dev/null"
# the console: figures, notices with the relay's answers, the registry
PORT=$(grep -o ':[0-9][0-9]*/' "$T/serve.out" | tr -d ':/')
U="http://127.0.0.1:$PORT"
c() { local url=$1; shift; curl -s --noproxy '*' --max-time 20 -b "$T/jar" -c "$T/jar" "$U$url" "$@"; }
csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -1 | grep -o '[0-9a-f]\{64\}'; }
echo 'correct horse battery' | v users add root --role admin >/dev/null
c /console/login >"$T/l.html"
c /console/login -d "csrf=$(csrf_of "$T/l.html")&username=root&password=correct+horse+battery" -o /dev/null
c /console/notices >"$T/n.html"
check "console: time to removal by provider" python3 - "$T/n.html" "$TTR" <<'EOF2'
import re, sys
h = open(sys.argv[1]).read()
t = int(sys.argv[2])
want = "%d h %d min" % (t // 3600, t % 3600 // 60) if t < 86400 else "%d d %d h" % (t // 86400, t % 86400 // 3600)
row = re.search(r'<table id="providers".*?<tbody>(.*?)</tbody>', h, re.S).group(1)
sys.exit(0 if "Loopback Hosting" in row and want in row else 1)
EOF2
check "console: the notices with their state and the relay's answer" test "$(grep -o 'class="notice-sent"' "$T/n.html" | wc -l)" -eq 3 -a "$(grep -c 'OK queued' "$T/n.html")" -ge 1
c /console/admin/providers >"$T/p.html"
CS=$(csrf_of "$T/p.html")
check "console: the registry lists the provider" grep -q 'Loopback Hosting' "$T/p.html"
check "console: a provider with a bad address is refused, what was typed kept" bash -c "[ \$(curl -s --noproxy '*' -b '$T/jar' -o '$T/bad.html' -w '%{http_code}' '$U/console/admin/providers' -d 'csrf=$CS&name=Bad+Host&emails=not-an-address&language=fr') = 422 ] && grep -q 'value=\"Bad Host\"' '$T/bad.html' && grep -q 'id=\"admin-error\"' '$T/bad.html'"
check "console: an admin adds a provider" test "$(c /console/admin/providers -d "csrf=$CS&name=Example+Host&emails=abuse%40example-host.test&language=fr&domains=example-host.test&networks=192.0.2.0%2F24+AS64500" -o /dev/null -w '%{http_code}')" = 303
check "console: it is in the registry, audited" bash -c "'$VIGIL' providers show 'Example Host' --db '$DB' | grep -q 'example-host.test' && [ \$(sqlite3 '$DB' \"SELECT COUNT(*) FROM audit_log WHERE action LIKE 'provider.%'\") -ge 1 ]"
EH=$(q "SELECT id FROM providers WHERE name = 'Example Host'")
check "console: edits it" test "$(c "/console/admin/providers/$EH" -d "csrf=$CS&name=Example+Host&emails=abuse%40example-host.test+legal%40example-host.test&language=en&domains=example-host.test" -o /dev/null -w '%{http_code}')" = 303
check "console: the edit is stored" test "$(q "SELECT abuse_emails FROM providers WHERE id = $EH")" = "abuse@example-host.test,legal@example-host.test"
check "console: a provider with cases cannot be deleted" test "$(c "/console/admin/providers/$(q "SELECT id FROM providers WHERE name = 'Loopback Hosting'")/delete" -d "csrf=$CS" -o /dev/null -w '%{http_code}')" = 409
check "console: deletes one without" bash -c "[ \$(curl -s --noproxy '*' -b '$T/jar' -o /dev/null -w '%{http_code}' -d 'csrf=$CS' '$U/console/admin/providers/$EH/delete') = 303 ] && [ \$(sqlite3 '$DB' \"SELECT COUNT(*) FROM providers WHERE id = $EH\") -eq 0 ]"

kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; RC=$?; SERVE_PID=
check "serve stops cleanly" test "$RC" -eq 0
finish
