#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Crawl workers on one PostgreSQL against one crawl on SQLite: the same
# site of N pages with 11 links each (tests/fixtures/gen_site.py pages,
# nginx on 127.0.0.1, delay 0, --per-host 5), crawled by
#   - `vigil crawl` on SQLite (the baseline: one box, one process), and
#   - `vigil crawl --create-only` then W = 1, 2 and 4 `vigil crawl --worker`
#     processes at once on one PostgreSQL (tests/fixtures/pg_server.sh,
#     synchronous_commit on),
# alternately, R rounds; aggregate pages/s (pages of the crawl over the
# wall clock from the first worker's start to the last one's end), medians,
# and each against the SQLite crawl.  Prints a Markdown table on stdout,
# progress on stderr.
# Usage: bench/fleet_crawl_bench.sh [VIGIL] [--pages N] [--runs R]
#   VIGIL default build/release/vigil; N 5000; R 3.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
FIX=$REPO/tests/fixtures
VIGIL=build/release/vigil N=5000 R=3
while [ $# -gt 0 ]; do
  case $1 in
    --pages) N=$2; shift 2 ;;
    --runs) R=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fleet_crawl_bench.sh: unknown option $1" >&2; exit 2 ;;
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
log() { echo "fleet_crawl_bench: $*" >&2; }
export VIGIL_AUDIT_KEY=$T/audit.key VIGIL_AUDIT_HEAD=$T/audit.head

python3 "$FIX/gen_site.py" pages "$T/site" --count "$N" >/dev/null
PORT=$("$FIX/nginx_site.sh" start "$T/site" "$T/ng" | sed -n 's/^PORT //p')
SEED=http://127.0.0.1:$PORT/index.html
flags=(--allow-private --delay 0 --per-host 5 --max-depth 1000
       --max-host-pages 1000000 --max-pattern 0)
bash "$FIX/pg_server.sh" start "$T/pg" >/dev/null
PGP=$(cat "$T/pg/port")
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
rate() { python3 -c 'import sys; print(f"{float(sys.argv[1]) * 1000 / float(sys.argv[2]):.1f}")' "$@"; }
lite_runs=() ; declare -A fleet_runs
for r in $(seq 1 "$R"); do
  rm -f "$T"/lite.db*
  t0=$(now_ms)
  "$VIGIL" crawl --db "$T/lite.db" --seed "$SEED" "${flags[@]}" --quiet >/dev/null
  t1=$(now_ms)
  lite_runs+=("$(rate "$N" $((t1 - t0)))")
  log "round $r: SQLite, one crawl: ${lite_runs[-1]} pages/s"
  for w in 1 2 4; do
    db="w${w}r$r"
    psql -X -q -d "postgresql://vigil@/postgres?host=$T/pg&port=$PGP" -c "CREATE DATABASE $db"
    url="postgresql://vigil@/$db?host=$T/pg&port=$PGP"
    "$VIGIL" crawl --db "$url" --seed "$SEED" "${flags[@]}" --create-only >/dev/null
    t0=$(now_ms); pids=()
    for _ in $(seq 1 "$w"); do
      "$VIGIL" crawl --db "$url" --worker 1 --quiet >/dev/null 2>"$T/w.err" & pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    t1=$(now_ms)
    done_pages=$(psql -X -q -t -A -d "$url" -c "SELECT count(*) FROM frontier WHERE state = 'done'")
    fleet_runs[$w]+="$(rate "$done_pages" $((t1 - t0))) "
    log "round $r: PostgreSQL, $w worker(s): $(rate "$done_pages" $((t1 - t0))) pages/s ($done_pages pages)"
  done
done
med() { python3 -c 'import statistics, sys; print(f"{statistics.median(map(float, sys.argv[1:])):.1f}")' "$@"; }
base=$(med "${lite_runs[@]}")
echo "| $N pages, delay 0, medians of $R | pages/s | against SQLite |"
echo "|---|---:|---:|"
echo "| one crawl on SQLite | $base | 1.00 |"
for w in 1 2 4; do
  # shellcheck disable=SC2086
  m=$(med ${fleet_runs[$w]})
  echo "| $w worker(s) on PostgreSQL | $m | $(python3 -c "print(f'{$m / $base:.2f}')") |"
done
