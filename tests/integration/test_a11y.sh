#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Accessibility, measured, in a real browser (tests/browser/a11y.mjs,
# headless Debian Chromium driven by playwright-core, with axe-core): every
# public page and every console page, in English and in French, with a
# form's errors shown and not, against the WCAG 2.1 A and AA rules (0
# violations wanted); every focusable element reached by Tab with a visible
# focus ring; no horizontal scrolling at 640 CSS px (200 % zoom) nor at
# 320 (reflow); the quick exit of the public pages: near the top, the
# second Tab stop, leaving for the neutral page in place of the page in the
# history, with the button, with Escape twice, and without JavaScript.
#
# The store has an admin, an analyst, a hash list, a provider, an API key
# and a report whose page (nginx on 127.0.0.1) shows a listed photo and an
# unknown one, crawled so that the media review has an item; the same
# nginx serves the neutral page the quick exit leaves for
# (--quick-exit-url): nothing leaves 127.0.0.1.
#
# axe-core and playwright-core are installed with `npm ci` from
# tests/browser's lock file into the build tree (BUILD/a11y/node_modules),
# as test_browser.sh does; no browser is downloaded: /usr/bin/chromium.
# Usage: test_a11y.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
FIX="$HERE/../fixtures"
. "$HERE/lib.sh"
SRC=$(cd "$HERE/../browser" && pwd)
BUILD=$(cd "$(dirname "$VIGIL")" && pwd)
DEPS=${VIGIL_A11Y_DEPS:-$BUILD/a11y}
CHROMIUM=${VIGIL_CHROMIUM:-/usr/bin/chromium}
T=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  bash "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT

# --- what the browser needs (scripts/install-deps installs it)
browser_deps "$SRC" "$DEPS" "$CHROMIUM" playwright-core axe-core || { finish; exit 1; }

# --- the reported page and the neutral page, on nginx
mkdir -p "$T/www"
cp "$DATA/photos/0001.jpg" "$T/www/known.jpg"
cp "$DATA/photos/0002.jpg" "$T/www/new.jpg"
printf '<!doctype html><title>p</title><img src="known.jpg"><img src="new.jpg">\n' >"$T/www/page.html"
printf '<!doctype html><html lang="en"><title>Weather</title><h1>Sunny, 21 degrees</h1></html>\n' >"$T/www/weather.html"
NPORT=$(bash "$FIX/nginx_site.sh" start "$T/www" "$T/ng" | awk '/^PORT/ {print $2}')
if ! check "nginx serves the reported page and the neutral one" test -n "$NPORT"; then
  finish; exit 1
fi
EXIT_URL="http://127.0.0.1:$NPORT/weather.html"

# --- a store with something on every console page
store_init "$T/vigil.db"
ADMIN=olivia ADMIN_PW='admin a11y password 1'
ANALYST=ana ANALYST_PW='analyst a11y password 1'
check "an admin account" bash -c "echo '$ADMIN_PW' | '$VIGIL' users add $ADMIN --role admin --db '$DB' >/dev/null"
check "an analyst account" bash -c "echo '$ANALYST_PW' | '$VIGIL' users add $ANALYST --role analyst --db '$DB' >/dev/null"
"$VIGIL" hash --json "$T/www/known.jpg" >"$T/known.jsonl"
check "a hash list with an entry" bash -c "'$VIGIL' lists create known --category test --db '$DB' >/dev/null && '$VIGIL' lists import known '$T/known.jsonl' --db '$DB' >/dev/null"
printf 'name,abuse_emails,language,domains,networks\nExample Host,abuse@example.org,fr,example.org,192.0.2.0/24\n' >"$T/providers.csv"
check "a provider" bash -c "'$VIGIL' providers import '$T/providers.csv' --db '$DB' >/dev/null"

for bad in 'javascript:alert(1)' 'https://' 'https://a b.example/' 'https://a.example/"x'; do
  check "--quick-exit-url $bad: refused, exit 1" bash -c "timeout 20 '$VIGIL' serve --db '$DB' ${SERVE_KEY[*]} --listen 127.0.0.1:0 --no-crawl --quick-exit-url '$bad' 2>&1 >/dev/null | grep -q 'wants an http:// or https:// URL'; [ \${PIPESTATUS[0]} -eq 1 ]"
done
"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --rate-limit 0 "${SERVE_KEY[@]}" \
  --allow-private --quick-exit-url "$EXIT_URL" --web "$HERE/../../web" >"$T/serve.out" 2>"$T/serve.err" &
PID=$!
PORT=
for _ in $(seq 600); do
  PORT=$(sed -n 's|^vigil: serving on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/serve.out" 2>/dev/null)
  [ -n "$PORT" ] && break
  kill -0 "$PID" 2>/dev/null || break
  sleep 0.05
done
if ! check "serving" test -n "$PORT"; then
  cat "$T/serve.err"; finish; exit 1
fi
BASE="http://127.0.0.1:$PORT"
# an unknown path is a page (title, language, the quick exit), and one
# shaped like another site's address is not linked to
curl -s --noproxy '*' --path-as-is -o "$T/404.html" -w '%{http_code}' "$BASE//evil.example/x" >"$T/404.code"
check "GET //evil.example/x: 404, a page in its language" bash -c "[ \$(cat '$T/404.code') = 404 ] && grep -q '<html lang=\"en\">' '$T/404.html' && grep -q 'id=\"quick-exit\"' '$T/404.html'"
check "  its language switch goes home, not to //evil.example" bash -c "grep -q 'href=\"/?lang=fr\"' '$T/404.html' && ! grep -q 'href=\"//' '$T/404.html'"
curl -s --noproxy '*' --max-time 30 "$BASE/report" -o /dev/null \
  -d "incident_type=csam&technology=website&urls=http%3A%2F%2F127.0.0.1%3A$NPORT%2Fpage.html&description=seen+there"
for _ in $(seq 240); do
  [ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM media WHERE review = 'pending'" 2>/dev/null)" = 1 ] && break
  sleep 0.25
done
MID=$(sqlite3 "$DB" "SELECT id FROM media WHERE review = 'pending'")
check "the crawl left a media item awaiting review" test -n "$MID"
RID=$(sqlite3 "$DB" "SELECT id FROM reports ORDER BY id LIMIT 1")
LID=$(sqlite3 "$DB" "SELECT id FROM hash_lists WHERE name = 'known'")
PRID=$(sqlite3 "$DB" "SELECT id FROM providers LIMIT 1")

# --- the browser
VIGIL_URL=$BASE VIGIL_EXIT_URL=$EXIT_URL \
VIGIL_ADMIN_USER=$ADMIN VIGIL_ADMIN_PASSWORD=$ADMIN_PW \
VIGIL_ANALYST_USER=$ANALYST VIGIL_ANALYST_PASSWORD=$ANALYST_PW \
VIGIL_REPORT_ID=$RID VIGIL_MEDIA_ID=$MID VIGIL_LIST_ID=$LID VIGIL_PROVIDER_ID=$PRID \
VIGIL_BROWSER_DEPS=$DEPS VIGIL_CHROMIUM=$CHROMIUM \
NO_PROXY='127.0.0.1,localhost' no_proxy='127.0.0.1,localhost' \
  timeout 900 node "$SRC/a11y.mjs" 2>&1 | tee "$T/a11y.out"
rc=${PIPESTATUS[0]}
PASS=$((PASS + $(grep -c '^ok - ' "$T/a11y.out")))
FAIL=$((FAIL + $(grep -c '^not ok - ' "$T/a11y.out")))
check "the accessibility run ran to its end (exit $rc)" \
  bash -c "[ $rc -le 1 ] && grep -Eq '^# pages checked: [0-9]+' '$T/a11y.out' && grep -Eq '^[0-9]+ passed, [0-9]+ failed$' '$T/a11y.out'"

kill -TERM "$PID"; wait "$PID"; src=$?; PID=
check "SIGTERM: a graceful stop, exit 0" test $src -eq 0
if ! check "the server's stderr has no sanitizer report" \
     bash -c "! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' '$T/serve.err'"; then
  head -50 "$T/serve.err"
fi
finish
