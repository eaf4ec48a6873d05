#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two `vigil serve` nodes on one PostgreSQL (tests/fixtures/pg_server.sh)
# behind nginx running deploy/nginx-vigil-fleet.conf (round-robin, TLS with
# a throw-away certificate, a header naming the node that answered added
# for the test): a browser's consecutive requests land on alternate nodes,
# and signing in, the console's forms (CSRF token from one node, POST to
# the other) and signing out all work; a POST without the token or with
# another is refused by both nodes; failed sign-ins count once whichever
# node takes them (five failures spread over two nodes hold the pair back
# on both); under load from 4 partner clients with one node killed -9
# midway, every report whose 201/200 the client received is in the store
# exactly once, under the reference the client got, and nothing else is;
# the audit chain and the head lines both nodes appended to one file
# verify, with the CLI's own head file beside (--head-file twice); a node
# started with --trusted-proxy 127.0.0.2 believes X-Real-IP from that peer
# only, not from the loopback.
# Usage: test_fleet_serve.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
FIX="$ROOT/tests/fixtures"
T=$(mktemp -d)
PA=; PB=; LOAD=
cleanup() {
  for p in $PA $PB $LOAD; do kill -9 "$p" 2>/dev/null; done
  [ -s "$T/nginx.pid" ] && kill "$(cat "$T/nginx.pid")" 2>/dev/null
  bash "$FIX/pg_server.sh" stop "$T/pg" >/dev/null 2>&1
  [ -n "${KEEP:-}" ] && { echo "kept $T"; return; }; rm -rf "$T"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

bash "$FIX/pg_server.sh" start "$T/pg" || { echo "not ok - starting PostgreSQL"; exit 1; }
PGP=$(cat "$T/pg/port")
psql -X -q "postgresql://vigil@/postgres?host=$T/pg&port=$PGP" -c "CREATE DATABASE fleet" \
  || { echo "not ok - creating the database"; exit 1; }
DB="postgresql://vigil@/fleet?host=$T/pg&port=$PGP"
sql() { psql -X -q -t -A "$DB" -c "$1"; }
export VIGIL_AUDIT_KEY="$T/audit.key"
PW='correct horse battery'
VIGIL_AUDIT_HEAD="$T/cli.audit-head" "$VIGIL" users add alice --role admin --db "$DB" \
  <<<"$PW" >/dev/null || { echo "not ok - adding a user"; exit 1; }

# node PORT NAME: a serve node on 127.0.0.1:PORT; its pid on stdout once
# it serves.  Both share the store, the sealing key, the audit key and
# (on this one machine) one head file.
node() {
  "$VIGIL" serve --db "$DB" --no-crawl --listen "127.0.0.1:$1" --rate-limit 0 \
    --trust-proxy --key-file "$T/seal.key" --audit-head "$T/nodes.audit-head" \
    >"$T/$2.out" 2>"$T/$2.err" &
  local pid=$!
  for _ in $(seq 600); do
    grep -q "serving on" "$T/$2.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "$pid"
}
A=$(free_port); PA=$(node "$A" a) # a first: it makes the sealing key
B=$(free_port); PB=$(node "$B" b)
check "two nodes serving" bash -c "grep -q 'serving on' '$T/a.out' && grep -q 'serving on' '$T/b.out'"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj '/CN=tips.example.org' \
  -addext 'subjectAltName=DNS:tips.example.org' \
  -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
HTTP=$(free_port); HTTPS=$(free_port)
mkdir -p "$T/tmp"
{
  [ "$(id -u)" -eq 0 ] && echo "user root;"
  echo "daemon on; worker_processes 1; pid $T/nginx.pid; error_log $T/error.log warn;"
  echo "events { worker_connections 256; }"
  echo "http { client_body_temp_path $T/tmp/body; proxy_temp_path $T/tmp/proxy;"
  echo "fastcgi_temp_path $T/tmp/fcgi; uwsgi_temp_path $T/tmp/uwsgi; scgi_temp_path $T/tmp/scgi;"
  # the shipped file on this test's ports, with a header naming the node
  sed -e "/\[::\]/d" \
      -e "s|listen 80;|listen 127.0.0.1:$HTTP;|" \
      -e "s|listen 443 ssl;|listen 127.0.0.1:$HTTPS ssl;|" \
      -e "s|/etc/letsencrypt/live/tips.example.org/fullchain.pem|$T/cert.pem|" \
      -e "s|/etc/letsencrypt/live/tips.example.org/privkey.pem|$T/key.pem|" \
      -e "s|10.0.0.11:8080|127.0.0.1:$A|" -e "s|10.0.0.12:8080|127.0.0.1:$B|" \
      -e "s|proxy_pass http://vigil_nodes;|&\n        add_header X-Test-Node \$upstream_addr always;|" \
      "$ROOT/deploy/nginx-vigil-fleet.conf"
  echo "}"
} >"$T/nginx.conf"
check "nginx accepts the shipped fleet configuration" /usr/sbin/nginx -t -q -c "$T/nginx.conf" -e "$T/error.log"
/usr/sbin/nginx -c "$T/nginx.conf" -e "$T/error.log"
for _ in $(seq 100); do [ -s "$T/nginx.pid" ] && break; sleep 0.05; done

S="https://tips.example.org:$HTTPS"
c() { # c HEADERFILE [curl options...]: the status; headers to HEADERFILE
  local h=$1; shift
  curl -s --noproxy '*' --max-time 30 --cacert "$T/cert.pem" \
    --resolve "tips.example.org:$HTTPS:127.0.0.1" -D "$T/$h" -o "$T/$h.html" \
    -w '%{http_code}' "$@"
}
node_of() { sed -n 's/^x-test-node: *\([0-9.:]*\).*/\1/Ip' "$T/$1" | tail -1; }
csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$T/$1.html" | head -1 | grep -o '[0-9a-f]\{64\}'; }
J=(-c "$T/jar" -b "$T/jar")
differ() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" != "$2" ]; }

# ---- one browser, alternate nodes ----
s1=$(c h1 "${J[@]}" "$S/console/login")
s2=$(c h2 "${J[@]}" "$S/console/login" -d "csrf=$(csrf_of h1)&username=alice&password=$PW")
check "signed in ($s1 $s2)" test "$s1 $s2" = "200 303"
check "  the form from one node, the sign-in on the other ($(node_of h1) $(node_of h2))" differ "$(node_of h1)" "$(node_of h2)"
s3=$(c h3 "${J[@]}" "$S/console"); s4=$(c h4 "${J[@]}" "$S/console")
check "the session holds on both nodes ($s3 $s4)" test "$s3 $s4" = "200 200"
check "  both nodes served it" differ "$(node_of h3)" "$(node_of h4)"
check "  both node addresses are the test's" bash -c "echo '$(node_of h3) $(node_of h4)' | grep -q '127.0.0.1:$A' && echo '$(node_of h3) $(node_of h4)' | grep -q '127.0.0.1:$B'"
for n in 5 7; do
  c "h$n" "${J[@]}" "$S/console/admin/keys" >/dev/null
  s=$(c "h$((n + 1))" "${J[@]}" "$S/console/admin/keys" -d "csrf=$(csrf_of "h$n")&name=partner$n")
  check "a form's CSRF token from $(node_of "h$n") accepted by $(node_of "h$((n + 1))") ($s)" \
    bash -c "[ '$s' = 201 ] && [ '$(node_of "h$n")' != '$(node_of "h$((n + 1))")' ]"
done
KEY=$(grep -o 'vgk_[0-9a-f]\{64\}' "$T/h8.html" | head -1)
check "  the key made on the other node shown" test -n "$KEY"
check "  both keys stored once" test "$(sql "SELECT count(*) FROM api_keys WHERE name LIKE 'partner%'")" = 2

# ---- CSRF on both ----
n1=; n2=
for i in 1 2; do
  s=$(c "x$i" "${J[@]}" "$S/console/admin/keys" -d "name=forged$i")
  check "a POST without the token refused ($s)" test "$s" = 403
  eval "n$i=\$(node_of x$i)"
done
check "  by both nodes ($n1 $n2)" differ "$n1" "$n2"
for i in 3 4; do
  s=$(c "x$i" "${J[@]}" "$S/console/admin/keys" -d "csrf=$(printf '%064d' 0)&name=forged$i")
  check "a POST with another token refused ($s, $(node_of "x$i"))" test "$s" = 403
done
check "  nothing made" test "$(sql "SELECT count(*) FROM api_keys WHERE name LIKE 'forged%'")" = 0

# ---- the sign-in throttle counts across nodes ----
K=(-c "$T/jar2" -b "$T/jar2" --interface 127.0.0.2)
c t0 "${K[@]}" "$S/console/login" >/dev/null
prev=t0; nodes=
for i in 1 2 3 4 5; do
  s=$(c "t$i" "${K[@]}" "$S/console/login" -d "csrf=$(csrf_of $prev)&username=alice&password=wrong$i")
  [ "$s" = 401 ] || bad "wrong password $i: $s"
  nodes="$nodes $(node_of "t$i")"; prev=t$i
done
check "five wrong passwords, spread over both nodes ($nodes)" bash -c "echo '$nodes' | grep -q ':$A' && echo '$nodes' | grep -q ':$B'"
for i in 6 7; do
  s=$(c "t$i" "${K[@]}" "$S/console/login" -d "csrf=$(csrf_of $prev)&username=alice&password=$PW")
  check "then the right one held back on $(node_of "t$i") ($s)" test "$s" = 401
  prev=t$i
done
check "  the throttle's table holds no name or address" test "$(sql "SELECT count(*) FROM information_schema.columns WHERE table_name = 'signin_throttle' AND data_type NOT IN ('bigint')")" = 0
c u0 -c "$T/jar3" -b "$T/jar3" "$S/console/login" >/dev/null
s=$(c u1 -c "$T/jar3" -b "$T/jar3" "$S/console/login" -d "csrf=$(csrf_of u0)&username=alice&password=$PW")
check "the owner signs in from another address ($s)" test "$s" = 303

# ---- partner reports under load, one node killed -9 midway ----
cat >"$T/load.py" <<'EOF'
# 4 partner clients through nginx for SECONDS: each report has its own
# Idempotency-Key and is resent with it until a 201 or 200 comes back.
# Prints "KEY REFERENCE STATUS NODE T" per acknowledged report.
import http.client, json, ssl, sys, threading, time
port, cafile, key, seconds = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False
body = json.dumps({"incident_type": "csam", "technology": "website",
                   "urls": ["https://example.com/fleet"], "description": "load"})
out, mu, t0 = [], threading.Lock(), time.time()
retries = [0]

def client(w):
    conn, n = None, 0
    while time.time() - t0 < seconds:
        idem, n = "w%d-%d" % (w, n), n + 1
        for _ in range(600):
            try:
                if conn is None:
                    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
                conn.request("POST", "/api/v1/reports", body, {
                    "Host": "tips.example.org", "Authorization": "Bearer " + key,
                    "Content-Type": "application/json", "Idempotency-Key": idem})
                r = conn.getresponse(); data = r.read()
                if r.status in (200, 201):
                    ref = json.loads(data)["reference"]
                    with mu:
                        out.append("%s %s %d %s %.2f" % (idem, ref, r.status,
                                   r.getheader("X-Test-Node"), time.time() - t0))
                    break
            except (OSError, http.client.HTTPException):
                conn = None
            with mu:
                retries[0] += 1
            time.sleep(0.05)

ts = [threading.Thread(target=client, args=(w,)) for w in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print("\n".join(out))
print("retries %d" % retries[0], file=sys.stderr)
EOF
python3 "$T/load.py" "$HTTPS" "$T/cert.pem" "$KEY" 16 >"$T/acked" 2>"$T/load.err" &
LOAD=$!
sleep 6
kill -9 "$PA"; PA=
wait "$LOAD"; LOAD=
N=$(wc -l <"$T/acked")
echo "# $N reports acknowledged, $(cat "$T/load.err")"
check "reports acknowledged under load ($N)" test "$N" -ge 40
check "  by both nodes before the kill" bash -c "awk '\$5 < 5' '$T/acked' | grep -q ':$A ' && awk '\$5 < 5' '$T/acked' | grep -q ':$B '"
check "  and by the survivor after it" bash -c "awk '\$5 > 8' '$T/acked' | grep -q ':$B '"
awk '{print $1, $2}' "$T/acked" | sort >"$T/client.txt"
sql "SELECT idempotency_key || ' ' || reference FROM reports WHERE api_key_id IS NOT NULL" | sort >"$T/store.txt"
check "every acknowledged report in the store, under its reference" bash -c "comm -23 '$T/client.txt' '$T/store.txt' | wc -l | grep -qx 0"
check "  each once, nothing else stored" test "$(sql 'SELECT count(*) FROM reports')" = "$N"
check "  no key acknowledged under two references" test "$(awk '{print $1}' "$T/client.txt" | uniq -d | wc -l)" = 0
s=$(c k1 "${J[@]}" "$S/console"); s2=$(c k2 "${J[@]}" "$S/console")
check "the session still works with one node left ($s $s2)" test "$s $s2" = "200 200"

# ---- the audit chain and the kept heads ----
"$VIGIL" audit verify --db "$DB" --head-file "$T/nodes.audit-head" \
  --head-file "$T/cli.audit-head" >"$T/verify.out" 2>&1
rc=$?
check "audit verify with both head files: exit 0 ($rc)" test "$rc" -eq 0
check "  the nodes' head lines match" grep -q "kept heads: the [0-9]* lines of $T/nodes.audit-head match" "$T/verify.out"
check "  and the CLI's" grep -q "kept heads: the 1 lines of $T/cli.audit-head match" "$T/verify.out"
check "  the nodes wrote a line per sign-in and key made (4)" test "$(wc -l <"$T/nodes.audit-head")" -ge 4
# ---- a proxy on another machine: --trusted-proxy ADDR, that peer only ----
"$VIGIL" serve --db "$DB" --no-crawl --listen 127.0.0.1:0 --rate-limit 1 \
  --trusted-proxy 127.0.0.2 --key-file "$T/seal.key" \
  --audit-head "$T/nodes.audit-head" >"$T/c.out" 2>"$T/c.err" &
PA=$!
for _ in $(seq 600); do grep -q "serving on" "$T/c.out" 2>/dev/null && break; sleep 0.05; done
CU=$(sed -n 's|^vigil: serving on \(http://127\.0\.0\.1:[0-9]*\)/.*|\1|p' "$T/c.out")
rep() { # rep PEER REAL-IP: the status of one report
  curl -s --noproxy '*' --max-time 30 -o /dev/null -w '%{http_code}' --interface "$1" \
    -H "X-Real-IP: $2" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"incident_type":"csam","technology":"website","urls":["https://example.com/p"],"description":"proxy"}' \
    "$CU/api/v1/reports"
}
r=$(rep 127.0.0.2 198.51.100.1)" "$(rep 127.0.0.2 198.51.100.2)" "$(rep 127.0.0.1 198.51.100.3)" "$(rep 127.0.0.1 198.51.100.4)
check "--trusted-proxy 127.0.0.2: its X-Real-IP believed, the loopback's not (1 a minute: $r)" test "$r" = "201 201 201 429"
finish
