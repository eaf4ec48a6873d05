#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What a crawled URL costs the store, SQLite against PostgreSQL, with a
# frontier of Q queued URLs (default 10 million) behind the crawl's work.
#
# For each backend: a store with crawl 1 (one page of the benchmark site
# crawled), Q filler URLs queued in it at a priority after every real
# page, then `vigil crawl --resume 1 --max-pages N` over a site of N pages
# of 11 links (tests/fixtures/gen_site.py pages, nginx on 127.0.0.1):
# each URL leased, fetched, committed with its found links (crawl 1's
# page limit raised to 1 + N in its stored parameters).  Measured
# around that resumed crawl only:
#   both:        vigil's CPU (user + system) per URL, wall clock, pages/s
#   PostgreSQL:  statements and rows per URL (pg_stat_statements), WAL
#                bytes per URL (pg_current_wal_lsn), the server's CPU per
#                URL (every postgres process, the exited backends too:
#                the postmaster's children times)
#   SQLite:      bytes written per URL (/proc/PID/io write_bytes: the
#                database and its WAL)
# PostgreSQL is a private server (tests/fixtures/pg_server.sh) with
# synchronous_commit on, as deployed.  Prints a Markdown table on stdout,
# progress on stderr.
# Usage: bench/frontier_bench.sh [VIGIL] [--queued Q] [--pages N]
#   VIGIL default build/release/vigil; Q 10000000; N 3000.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
FIX=$REPO/tests/fixtures
VIGIL=build/release/vigil Q=10000000 N=3000
while [ $# -gt 0 ]; do
  case $1 in
    --queued) Q=$2; shift 2 ;;
    --pages) N=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "frontier_bench.sh: unknown option $1" >&2; exit 2 ;;
    *) VIGIL=$1; shift ;;
  esac
done
VIGIL=$(cd "$(dirname "$VIGIL")" && pwd)/$(basename "$VIGIL")
T=$(mktemp -d)
cleanup() {
  "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1 || true
  bash "$FIX/pg_server.sh" stop "$T/pg" >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
log() { echo "frontier_bench: $*" >&2; }
export VIGIL_AUDIT_KEY=$T/audit.key VIGIL_AUDIT_HEAD=$T/audit.head

# twice as many pages as crawled: the crawl stops at its limit, never
# reaching the filler
python3 "$FIX/gen_site.py" pages "$T/site" --count $((2 * N)) >/dev/null
PORT=$("$FIX/nginx_site.sh" start "$T/site" "$T/ng" | sed -n 's/^PORT //p')
SEED=http://127.0.0.1:$PORT/index.html
flags=(--allow-private --delay 0 --per-host 5 --quiet --json
       --max-depth 1000 --max-host-pages 1000000 --max-pattern 0)

PG_SERVER_OPTS="-c shared_preload_libraries=pg_stat_statements -c shared_buffers=1GB -c max_wal_size=8GB" \
  bash "$FIX/pg_server.sh" start "$T/pg" >/dev/null
PGP=$(cat "$T/pg/port")
pgurl() { echo "postgresql://vigil@/$1?host=$T/pg&port=$PGP"; }
psql_() { psql -X -q -t -A -d "$(pgurl "$1")" -c "$2"; }
psql_ postgres "CREATE DATABASE bench" >/dev/null
psql_ bench "CREATE EXTENSION pg_stat_statements" >/dev/null

# filler SQL: Q URLs of a host never fetched, queued in crawl 1 after
# every page of the site (priority 9)
# the resumed crawl keeps crawl 1's parameters: its page limit moves to
# the one page crawled + N
more="UPDATE crawls SET params = replace(params, '\"max_pages\":1,',
  '\"max_pages\":$((N + 1)),');"
fill_sqlite="$more WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c
  WHERE x < $Q) INSERT INTO urls (url, host, first_seen_at)
  SELECT 'http://filler.invalid/' || x, 'filler.invalid', 1 FROM c;
  INSERT INTO frontier (crawl_id, url_id, host, priority, depth)
  SELECT 1, id, host, 9, 1 FROM urls WHERE host = 'filler.invalid';"
fill_pg="$more INSERT INTO urls (url, host, first_seen_at)
  SELECT 'http://filler.invalid/' || x, 'filler.invalid', 1
  FROM generate_series(1, $Q) AS x;
  INSERT INTO frontier (crawl_id, url_id, host, priority, depth)
  SELECT 1, id, host, 9, 1 FROM urls WHERE host = 'filler.invalid';"

cpu_of_pg() { # CPU seconds of every postgres process so far
  python3 - "$T/pg/data/postmaster.pid" <<'PY'
import os, sys
hz = os.sysconf("SC_CLK_TCK")
pm = int(open(sys.argv[1]).readline())
def st(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return f  # fields from state on: utime=11 stime=12 cutime=13 cstime=14
total = sum(int(x) for x in st(pm)[11:15])
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            f = st(p)
            if int(f[1]) == pm:
                total += int(f[11]) + int(f[12])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
print(total / hz)
PY
}

run() { # run DB -> "wall user+sys write_bytes pages" for the resumed crawl
  local db=$1 t0 t1 pid
  t0=$(date +%s%N)
  /usr/bin/time -f '%U %S' -o "$T/time" "$VIGIL" crawl --db "$db" --resume 1 \
    --quiet --json >"$T/out" 2>"$T/err" &
  pid=$!
  # the crawl itself is time's child: follow its I/O until it ends
  local io=0 child
  while kill -0 "$pid" 2>/dev/null; do
    child=$(pgrep -P "$pid" | head -1 || true)
    [ -n "$child" ] && io=$(awk '/^write_bytes/ {print $2}' "/proc/$child/io" 2>/dev/null || echo "$io")
    sleep 0.1
  done
  wait "$pid" || { log "crawl failed:"; tail "$T/err" >&2; exit 1; }
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000000 )) $(awk '{print $1 + $2}' "$T/time") $io $(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]["pages"])' "$T/out")"
}

# ---- SQLite
LITE=$T/lite.db
log "SQLite: crawl 1 and $Q queued URLs"
"$VIGIL" crawl --db "$LITE" --seed "$SEED" --max-pages 1 "${flags[@]}" >/dev/null
sqlite3 "$LITE" "$fill_sqlite"
log "SQLite: the resumed crawl of $N pages"
read -r l_ms l_cpu l_io l_pages < <(run "$LITE")

# ---- PostgreSQL
PG=$(pgurl bench)
log "PostgreSQL: crawl 1 and $Q queued URLs"
"$VIGIL" crawl --db "$PG" --seed "$SEED" --max-pages 1 "${flags[@]}" >/dev/null
psql_ bench "$fill_pg" >/dev/null
psql_ bench "VACUUM ANALYZE" >/dev/null
psql_ bench "CHECKPOINT" >/dev/null
psql_ bench "SELECT pg_stat_statements_reset()" >/dev/null
lsn0=$(psql_ bench "SELECT pg_current_wal_lsn()")
cpu0=$(cpu_of_pg)
log "PostgreSQL: the resumed crawl of $N pages"
read -r p_ms p_cpu p_io p_pages < <(run "$PG")
cpu1=$(cpu_of_pg)
wal=$(psql_ bench "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn0')")
read -r calls rows < <(psql_ bench "SELECT sum(calls), sum(rows) FROM pg_stat_statements
  WHERE query !~* 'pg_stat_statements|pg_current_wal_lsn'" | tr '|' ' ')

log "PostgreSQL: the statements that took longest (ms in all, calls, rows, SQL):"
psql_ bench "SELECT round(total_exec_time), calls, rows,
  left(regexp_replace(query, '\s+', ' ', 'g'), 160)
  FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 8" >&2

per() { python3 -c 'import sys; a, b = map(float, sys.argv[1:3]); print(f"{a / b:.{sys.argv[3]}f}")' "$@"; }
echo "| $Q queued, $N pages | SQLite | PostgreSQL |"
echo "|---|---|---|"
echo "| pages crawled | $l_pages | $p_pages |"
echo "| pages/s | $(per "$l_pages" "$(per "$l_ms" 1000 3)" 1) | $(per "$p_pages" "$(per "$p_ms" 1000 3)" 1) |"
echo "| vigil CPU per URL (µs) | $(per "$(per "$l_cpu" 0.000001 0)" "$l_pages" 0) | $(per "$(per "$p_cpu" 0.000001 0)" "$p_pages" 0) |"
echo "| PostgreSQL CPU per URL (µs) | - | $(per "$(per "$(python3 -c "print($cpu1 - $cpu0)")" 0.000001 0)" "$p_pages" 0) |"
echo "| statements per URL | (the same SQL) | $(per "$calls" "$p_pages" 1) |"
echo "| rows per URL | - | $(per "$rows" "$p_pages" 1) |"
echo "| bytes written per URL (SQLite: file writes; PostgreSQL: WAL) | $(per "$l_io" "$l_pages" 0) | $(per "$wal" "$p_pages" 0) |"
