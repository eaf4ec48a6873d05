#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The deployment of deploy/README.md, for real: deploy/nginx-vigil.conf
# (with a throw-away certificate and free ports on 127.0.0.1) in front of
# `vigil serve --trust-proxy`.  Plain HTTP is redirected to HTTPS, HSTS is
# set, the session cookie is Secure behind TLS, and rate limits go by the
# real client (two client addresses, 127.0.0.1 and 127.0.0.2, each get
# their own allowance).
# Usage: test_serve_tls.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  [ -f "$T/nginx.pid" ] && kill "$(cat "$T/nginx.pid")" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
DB="$T/vigil.db"
PW='correct horse battery'
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "$PW" | "$VIGIL" users add alice --db "$DB" >/dev/null
VPORT=$(free_port)
"$VIGIL" serve --db "$DB" --no-crawl --listen "127.0.0.1:$VPORT" --rate-limit 2 \
  --trust-proxy >"$T/serve.out" 2>"$T/serve.err" &
PID=$!

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj '/CN=tips.example.org' \
  -addext 'subjectAltName=DNS:tips.example.org' \
  -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
HTTP=$(free_port)
HTTPS=$(free_port)
mkdir -p "$T/tmp"
{
  [ "$(id -u)" -eq 0 ] && echo "user root;"
  echo "daemon on; worker_processes 1; pid $T/nginx.pid; error_log $T/error.log warn;"
  echo "events { worker_connections 256; }"
  echo "http { client_body_temp_path $T/tmp/body; proxy_temp_path $T/tmp/proxy;"
  echo "fastcgi_temp_path $T/tmp/fcgi; uwsgi_temp_path $T/tmp/uwsgi; scgi_temp_path $T/tmp/scgi;"
  # the shipped file, pointed at this test's ports and certificate
  sed -e "/\[::\]/d" \
      -e "s|listen 80;|listen 127.0.0.1:$HTTP;|" \
      -e "s|listen 443 ssl;|listen 127.0.0.1:$HTTPS ssl;|" \
      -e "s|/etc/letsencrypt/live/tips.example.org/fullchain.pem|$T/cert.pem|" \
      -e "s|/etc/letsencrypt/live/tips.example.org/privkey.pem|$T/key.pem|" \
      -e "s|127.0.0.1:8080|127.0.0.1:$VPORT|" \
      "$ROOT/deploy/nginx-vigil.conf"
  echo "}"
} >"$T/nginx.conf"
check "nginx accepts the shipped configuration" /usr/sbin/nginx -t -q -c "$T/nginx.conf" -e "$T/error.log"
/usr/sbin/nginx -c "$T/nginx.conf" -e "$T/error.log"
for _ in $(seq 100); do
  grep -q serving "$T/serve.out" 2>/dev/null && [ -f "$T/nginx.pid" ] && break
  sleep 0.05
done

c() { curl -s --noproxy '*' --max-time 20 --cacert "$T/cert.pem" \
  --resolve "tips.example.org:$HTTPS:127.0.0.1" --resolve "tips.example.org:$HTTP:127.0.0.1" "$@"; }
S="https://tips.example.org:$HTTPS"

c -D "$T/plain.hdr" -o /dev/null "http://tips.example.org:$HTTP/console/login"
check "plain HTTP is redirected to HTTPS" bash -c "grep -q '^HTTP/1.1 301' '$T/plain.hdr' && grep -qi '^location: https://tips.example.org/console/login' '$T/plain.hdr'"
c -D "$T/tls.hdr" -o "$T/login.html" -c "$T/jar" -b "$T/jar" "$S/console/login"
check "the console over TLS, certificate verified" grep -q 'id="login-form"' "$T/login.html"
check "HSTS" grep -qi '^strict-transport-security: max-age=63072000' "$T/tls.hdr"
check "Vigil's security headers pass through" grep -qi "^content-security-policy: default-src 'self'" "$T/tls.hdr"
CSRF=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/login.html" | grep -o '[0-9a-f]\{64\}')
c -D "$T/in.hdr" -o /dev/null -c "$T/jar" -b "$T/jar" "$S/console/login" \
  -d "csrf=$CSRF&username=alice&password=$PW"
check "behind TLS the session cookie is Secure" grep -qi '^set-cookie: vg_session=[0-9a-f]\{64\}; Path=/console; Max-Age=28800; HttpOnly; Secure; SameSite=Strict' "$T/in.hdr"
check "and the session works over TLS" test "$(c -o /dev/null -w '%{http_code}' -b "$T/jar" "$S/console")" = 200

report() { # report [curl options]: the status of one form submission
  c -o /dev/null -w '%{http_code}' "$S/report" "$@" \
    -d 'incident_type=csam&technology=website&urls=https%3A%2F%2Fexample.com%2Fa&description=seen'
}
A1=$(report); A2=$(report); A3=$(report)
check "one client: 2 reports, then 429" test "$A1 $A2 $A3" = "303 303 429"
check "another client behind the same proxy has its own allowance" test "$(report --interface 127.0.0.2)" = 303
check "reports stored" test "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM reports')" -eq 3
check "no client address in the database" bash -c "! sqlite3 '$DB' .dump | grep -q '127\.0\.0\.2'"

kill -TERM "$PID"; wait "$PID"; PID=
finish
