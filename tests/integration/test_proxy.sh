#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Proxies: the environment's proxy variables (http_proxy, HTTPS_PROXY,
# ALL_PROXY...) never carry Vigil's requests, so the crawler's
# public-address check sees the address really connected to; a proxy given
# on purpose (--proxy, or "proxy =" in serve's config file) carries them,
# and Vigil still refuses URLs whose host is a private address literal,
# also after a redirect, before the proxy hears of them.  A recording proxy
# (tests/fixtures/proxy_server.py) and nginx, both on 127.0.0.1.
# Usage: test_proxy.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
FIX="$ROOT/tests/fixtures"
T=$(mktemp -d)
PROXY_PID= ENV_PID= SERVE_PID=
cleanup() {
  bash "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID"
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
  [ -n "$ENV_PID" ] && kill "$ENV_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/www"
echo '<html><body><a href="/two.html">two</a></body></html>' >"$T/www/index.html"
echo '<html><body>two</body></html>' >"$T/www/two.html"
PORT=$(bash "$FIX/nginx_site.sh" start "$T/www" "$T/ng" | awk '/^PORT/ {print $2}')
[ -n "$PORT" ] || { echo "not ok - starting nginx"; exit 1; }
BASE="http://127.0.0.1:$PORT"

: >"$T/proxy.log"
python3 "$FIX/proxy_server.py" "$T/proxy.log" --redirect "$BASE/two.html" \
  >"$T/proxy.out" 2>/dev/null &
PROXY_PID=$!
for _ in $(seq 300); do grep -q '^PORT' "$T/proxy.out" && break; sleep 0.1; done
PP=$(awk '/^PORT/ {print $2}' "$T/proxy.out")
[ -n "$PP" ] || { echo "not ok - starting the proxy"; exit 1; }
PROXY="http://127.0.0.1:$PP"

crawl() { # crawl DB [OPTIONS...]
  local db=$1; shift
  "$VIGIL" crawl --db "$db" --delay 0 --quiet --json --ignore-robots "$@"
}
errors() { sqlite3 "$1" "SELECT u.url || ' ' || f.state || ' ' || COALESCE(f.error, '') FROM frontier f JOIN urls u ON u.id = f.url_id"; }
export -f errors

# --- the environment's proxies are ignored: the crawl goes straight to nginx
http_proxy=$PROXY HTTP_PROXY=$PROXY https_proxy=$PROXY HTTPS_PROXY=$PROXY \
  ALL_PROXY=$PROXY all_proxy=$PROXY NO_PROXY= no_proxy= \
  crawl "$T/a.db" --seed "$BASE/index.html" --allow-private >"$T/a.json"
check "crawl with proxy variables set succeeds" \
  grep -q '"pages":2,"pages_failed":0,' "$T/a.json"
check "the environment's proxy saw no connection" test ! -s "$T/proxy.log"
check "nginx served both pages" bash -c \
  "sleep 1.2; grep -c -e ' /index.html ' -e ' /two.html ' '$T/ng/access.log' | grep -qx 2"

# --- a proxy given with --proxy carries every request
crawl "$T/b.db" --seed "$BASE/index.html" --allow-private --proxy "$PROXY" >"$T/b.json"
check "crawl through --proxy succeeds" \
  grep -q '"pages":2,"pages_failed":0,' "$T/b.json"
check "the proxy carried both pages" bash -c \
  "grep -q '^GET $BASE/index.html ' '$T/proxy.log' && grep -q '^GET $BASE/two.html ' '$T/proxy.log'"
check "the proxy is not stored with the crawl (give it again with --resume)" bash -c \
  "sqlite3 '$T/b.db' 'SELECT params FROM crawls' | grep -q seeds && ! sqlite3 '$T/b.db' .dump | grep -q '127.0.0.1:$PP'"

# --- with a proxy, a private address literal is still refused, unsent
: >"$T/proxy.log"
crawl "$T/c.db" --seed "$BASE/index.html" --seed "http://10.1.2.3/x" \
  --seed "https://[::1]/y" --proxy "$PROXY" >"$T/c.json"
check "private literals refused through a proxy" \
  grep -q '"pages":0,"pages_failed":3,' "$T/c.json"
check "refusals recorded as private" bash -c \
  "[ \$(errors '$T/c.db' | grep -c 'failed private: ') -eq 3 ]"
check "the proxy heard of none of them" test ! -s "$T/proxy.log"

# --- ... also after a redirect (redirect.test answers 302 to nginx's literal)
crawl "$T/d.db" --seed "http://redirect.test/" --proxy "$PROXY" >"$T/d.json"
check "redirect to a private literal refused" bash -c \
  "errors '$T/d.db' | grep -q '^http://redirect.test/ failed private: '"
check "the proxy saw the first request only" bash -c \
  "[ \$(wc -l <'$T/proxy.log') -eq 1 ] && grep -q '^GET http://redirect.test/ ' '$T/proxy.log'"

# --- serve: the proxy of its config file carries the crawl of a report,
# the environment's (a second recording proxy) none
: >"$T/proxy.log"; : >"$T/env.log"
python3 "$FIX/proxy_server.py" "$T/env.log" >"$T/env.out" 2>/dev/null &
ENV_PID=$!
for _ in $(seq 300); do grep -q '^PORT' "$T/env.out" && break; sleep 0.1; done
EP="http://127.0.0.1:$(awk '/^PORT/ {print $2}' "$T/env.out")"
printf 'proxy = %s\nallow-private = yes\n' "$PROXY" >"$T/serve.conf"
http_proxy=$EP HTTP_PROXY=$EP ALL_PROXY=$EP all_proxy=$EP \
  "$VIGIL" serve --config "$T/serve.conf" --db "$T/s.db" --listen 127.0.0.1:0 \
  --rate-limit 0 >"$T/serve.out" 2>"$T/serve.err" &
SERVE_PID=$!
for _ in $(seq 100); do
  SP=$(grep -o ':[0-9][0-9]*/' "$T/serve.out" 2>/dev/null | tr -d ':/')
  [ -n "$SP" ] && break
  sleep 0.05
done
curl -s --noproxy '*' --max-time 30 -o /dev/null "http://127.0.0.1:$SP/report" \
  -d "incident_type=csam&technology=website&urls=http%3A%2F%2F127.0.0.1%3A$PORT%2Findex.html&description=seen+there"
for _ in $(seq 120); do
  grep -q "^GET $BASE/index.html " "$T/proxy.log" && break
  sleep 0.25
done
check "serve's crawl went through the configured proxy" \
  grep -q "^GET $BASE/index.html " "$T/proxy.log"
check "serve ignored the environment's proxy" test ! -s "$T/env.log"
kill "$SERVE_PID"; wait "$SERVE_PID"; SERVE_PID=
# --- SMTP goes straight to the relay (here a closed port), never to ALL_PROXY
: >"$T/proxy.log"
DEAD=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ALL_PROXY=$PROXY all_proxy=$PROXY "$VIGIL" notices test-smtp \
  --from notices@hotline.example --relay "smtp://127.0.0.1:$DEAD/vigil.test" \
  --starttls none --to abuse@host.example --subject s --body-file /dev/null \
  >/dev/null 2>&1
check "SMTP ignored ALL_PROXY" test ! -s "$T/proxy.log"

check "a proxy that is not a URL is refused" bash -c \
  "'$VIGIL' crawl --db '$T/e.db' --seed '$BASE/' --proxy 'proxy:3128' 2>&1 | grep -q -- '--proxy wants a URL'"

finish
