#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Intake of a fleet, in one run on this machine: durable reports a second
# through POST /api/v1/reports with two `vigil serve` nodes on one
# PostgreSQL (tests/fixtures/pg_server.sh: a server of its own, fsync on,
# synchronous_commit on, the default; checked and printed), next to one
# node on SQLite (WAL, synchronous=FULL).  The same client for both: wrk
# with a Lua script counting the 201s, through the same nginx on 127.0.0.1
# (plain HTTP, round-robin over the upstream: one node or two), the same
# one-URL JSON report, a fresh store and API key per run.  After each run
# the nodes stop gracefully and the store must hold at least as many
# reports as wrk counted 201s (every acknowledged report stored).  Runs
# alternate (who starts rotates); medians.  Prints both rates and the
# ratio fleet/SQLite.
# Needs wrk, /usr/sbin/nginx, PostgreSQL 15 binaries, psql, sqlite3, python3.
# Usage: bench/intake_fleet_bench.sh [VIGIL] [--runs R] [--duration D]
#            [--connections C] [--wrk-threads T]
#   VIGIL default build/release/vigil (else build/dev/vigil); R 3; D 10s;
#   C 64; T 2.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
FIX=$REPO/tests/fixtures
VIGIL=$REPO/build/release/vigil R=3 D=10s C=64 WT=2
[ -x "$VIGIL" ] || VIGIL=$REPO/build/dev/vigil
while [ $# -gt 0 ]; do
  case $1 in
    --runs) R=$2; shift 2 ;;
    --duration) D=$2; shift 2 ;;
    --connections) C=$2; shift 2 ;;
    --wrk-threads) WT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "intake_fleet_bench.sh: unknown option $1" >&2; exit 2 ;;
    *) VIGIL=$1; shift ;;
  esac
done
for t in wrk /usr/sbin/nginx psql sqlite3 python3 curl; do
  command -v "$t" >/dev/null || { echo "intake_fleet_bench.sh: needs $t" >&2; exit 2; }
done
VIGIL=$(realpath "$VIGIL")

T=$(mktemp -d)
PIDS=""
cleanup() {
  for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
  [ -s "$T/nginx.pid" ] && kill "$(cat "$T/nginx.pid")" 2>/dev/null || true
  bash "$FIX/pg_server.sh" stop "$T/pg" >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "intake_fleet_bench: $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { sed -n "s/^\(.* \)\{0,1\}$1=\([^ ]*\).*/\2/p" "$2"; } # field KEY FILE
median() { python3 -c 'import statistics, sys
print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

bash "$FIX/pg_server.sh" start "$T/pg" >/dev/null
PGP=$(cat "$T/pg/port")
PGADMIN="postgresql://vigil@/postgres?host=$T/pg&port=$PGP"
SYNC=$(psql -X -t -A "$PGADMIN" -c 'SHOW synchronous_commit')
FSYNC=$(psql -X -t -A "$PGADMIN" -c 'SHOW fsync')
[ "$SYNC" = on ] && [ "$FSYNC" = on ] ||
  { log "PostgreSQL has synchronous_commit=$SYNC fsync=$FSYNC"; exit 1; }
export VIGIL_AUDIT_KEY="$T/audit.key"

cat >"$T/post.lua.in" <<'EOF'
threads = {}
function setup(t) table.insert(threads, t) end
function init(args) c201 = 0; other = 0 end
function response(status, headers, body)
  if status == 201 then c201 = c201 + 1 else other = other + 1 end
end
wrk.method = "POST"
wrk.body = '{"incident_type":"csam","technology":"website","urls":["https://example.com/a"],"description":"bench"}'
wrk.headers["Authorization"] = "Bearer @KEY@"
wrk.headers["Content-Type"] = "application/json"
function done(s, lat, req)
  local c201, other = 0, 0
  for _, t in ipairs(threads) do
    c201 = c201 + (t:get("c201") or 0); other = other + (t:get("other") or 0)
  end
  io.write(string.format("BENCH rps=%.1f p50=%d p99=%d c201=%d other=%d errors=%d\n",
    c201 / (s.duration / 1e6), lat:percentile(50), lat:percentile(99), c201,
    other, s.errors.connect + s.errors.read + s.errors.write +
    s.errors.timeout + s.errors.status))
end
EOF

# nginx_up PORT...: nginx on $NPORT proxying to the ports, round-robin
NPORT=$(free_port)
mkdir -p "$T/tmp"
nginx_up() {
  local servers="" p
  for p in "$@"; do servers+="server 127.0.0.1:$p max_fails=1 fail_timeout=10s; "; done
  {
    [ "$(id -u)" -eq 0 ] && echo "user root;"
    echo "daemon on; worker_processes 1; pid $T/nginx.pid; error_log $T/error.log warn;"
    echo "events { worker_connections 1024; }"
    echo "http { client_body_temp_path $T/tmp/body; proxy_temp_path $T/tmp/proxy;"
    echo "fastcgi_temp_path $T/tmp/fcgi; uwsgi_temp_path $T/tmp/uwsgi; scgi_temp_path $T/tmp/scgi;"
    echo "access_log off; upstream vigil_nodes { $servers keepalive 64; }"
    echo "server { listen 127.0.0.1:$NPORT; location / { proxy_pass http://vigil_nodes;"
    echo "proxy_http_version 1.1; proxy_set_header Connection \"\";"
    echo "proxy_set_header X-Real-IP \$remote_addr; } } }"
  } >"$T/nginx.conf"
  /usr/sbin/nginx -c "$T/nginx.conf" -e "$T/error.log"
  for _ in $(seq 100); do [ -s "$T/nginx.pid" ] && break; sleep 0.05; done
}
nginx_down() {
  local pid
  pid=$(cat "$T/nginx.pid")
  kill -QUIT "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$T/nginx.pid"
}

# node DB PORT DIR: a serve node; its pid appended to PIDS
node() {
  "$VIGIL" serve --db "$1" --no-crawl --listen "127.0.0.1:$2" --rate-limit 0 \
    --trust-proxy --per-address $((2 * C)) --key-file "$T/seal.key" \
    --audit-head "$3.audit-head" >"$3.out" 2>"$3.err" &
  PIDS="$PIDS $!"
  for _ in $(seq 200); do
    grep -q "serving on" "$3.out" 2>/dev/null && return 0
    sleep 0.05
  done
  cat "$3.err" >&2; log "a node did not start"; exit 1
}

one() { # one NAME RUN: fleet (2 nodes, PostgreSQL) or sqlite (1 node)
  local name=$1 r=$2 d=$T/$1-$2 db key ports=() rows
  mkdir -p "$d"
  if [ "$name" = fleet ]; then
    psql -X -q "$PGADMIN" -c "CREATE DATABASE run$r"
    db="postgresql://vigil@/run$r?host=$T/pg&port=$PGP"
  else
    db="$d/lite.db"
  fi
  key=$(VIGIL_AUDIT_HEAD="$d/cli.audit-head" "$VIGIL" apikeys add bench --db "$db" | tail -n 1)
  sed "s/@KEY@/$key/" "$T/post.lua.in" >"$d/post.lua"
  ports=("$(free_port)")
  node "$db" "${ports[0]}" "$d/a"
  if [ "$name" = fleet ]; then ports+=("$(free_port)"); node "$db" "${ports[1]}" "$d/b"; fi
  nginx_up "${ports[@]}"
  wrk -t"$WT" -c"$C" -d"$D" --latency -s "$d/post.lua" \
    "http://127.0.0.1:$NPORT/api/v1/reports" >"$d/wrk.txt" 2>&1 ||
    { cat "$d/wrk.txt" >&2; log "wrk failed"; exit 1; }
  grep '^BENCH' "$d/wrk.txt" >"$d/figures"
  nginx_down
  for p in $PIDS; do kill -TERM "$p"; wait "$p" || { log "a node did not stop cleanly"; exit 1; }; done
  PIDS=""
  if [ "$name" = fleet ]; then
    rows=$(psql -X -t -A "$db" -c 'SELECT count(*) FROM reports')
    psql -X -q "$PGADMIN" -c "DROP DATABASE run$r"
  else
    rows=$(sqlite3 "$db" 'SELECT count(*) FROM reports')
  fi
  echo "rows=$rows" >>"$d/figures"
  if [ "$rows" -lt "$(field c201 "$d/figures")" ]; then
    log "run $r $name: $rows rows for $(field c201 "$d/figures") acknowledged"; exit 1
  fi
  log "run $r $name: $(field rps "$d/figures") reports/s, p50 $(field p50 "$d/figures") µs," \
      "p99 $(field p99 "$d/figures") µs, 201s $(field c201 "$d/figures"), rows $rows," \
      "other $(field other "$d/figures"), errors $(field errors "$d/figures")"
}

log "$R runs of $D each, wrk -t$WT -c$C through nginx; PostgreSQL synchronous_commit=$SYNC fsync=$FSYNC"
for r in $(seq 1 "$R"); do
  if [ $((r % 2)) = 1 ]; then one sqlite "$r"; one fleet "$r"
  else one fleet "$r"; one sqlite "$r"; fi
done

med() { # med NAME KEY
  local f vals=()
  for f in "$T/$1"-*/figures; do vals+=("$(field "$2" "$f")"); done
  median "${vals[@]}"
}
lite=$(med sqlite rps); fleet=$(med fleet rps)
python3 - "$lite" "$fleet" "$(med sqlite p50)" "$(med sqlite p99)" \
  "$(med fleet p50)" "$(med fleet p99)" "$(nproc)" "$R" "$D" "$C" <<'EOF'
import sys
lite, fleet, lp50, lp99, fp50, fp99 = map(float, sys.argv[1:7])
cpus, runs, dur, conns = sys.argv[7:11]
print(f"{cpus} CPUs; wrk -c{conns} -d{dur} through nginx; medians of {runs} alternating runs")
print(f"one node, SQLite:          {lite:9,.0f} reports/s  p50 {lp50/1000:6.1f} ms  p99 {lp99/1000:6.1f} ms")
print(f"two nodes, PostgreSQL:     {fleet:9,.0f} reports/s  p50 {fp50/1000:6.1f} ms  p99 {fp99/1000:6.1f} ms")
print(f"ratio fleet/SQLite:        {fleet / lite:9.2f}")
EOF
