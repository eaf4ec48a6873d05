#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Re-check throughput (vigil/notice.h, src/notice/recheck.c): C open cases
# (default 1,000,000) on H hosts (default 2,000; hN.localhost, which
# resolves to 127.0.0.1) against one local nginx that answers every
# /f/<n>.jpg with the same small generated image (an nginx `location`, so
# no million files) and every /g/<n>.jpg (one case in 50) with 404.
# The cases are written straight into a SQLite store (one crawled media
# row, then urls and cases by SQL), all due at once: then bench_recheck
# runs notice cycles back to back on the real clock until none is due.
#   pass 1: the first check of every case (no validators: a HEAD, then a
#           GET and the digest), the worst case, e.g. a day's backlog;
#   pass 2: every case due again (as each day): conditional GETs, 304.
# Printed: each cycle's re-checks, rate, 304s and largest lag behind
# schedule, and the totals of each pass (bench/RESULTS.md).
# Usage: bench/recheck_bench.sh [BUILD] [--cases C] [--hosts H]
#          [--seconds S] [--per-host N] [--delay MS] [--in-flight N]
#   BUILD: the build directory with vigil and bench_recheck (default
#   build/release); S: the longest a pass may take (default 3600).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
FIX=$REPO/tests/fixtures
BUILD=build/release C=1000000 H=2000 S=3600 extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --cases) C=$2; shift 2 ;;
    --hosts) H=$2; shift 2 ;;
    --seconds) S=$2; shift 2 ;;
    --per-host|--delay|--in-flight) extra+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "recheck_bench.sh: unknown option $1" >&2; exit 2 ;;
    *) BUILD=$1; shift ;;
  esac
done
BUILD=$(cd "$BUILD" && pwd)
T=$(mktemp -d)
cleanup() {
  "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
log() { echo "recheck_bench: $*" >&2; }
export VIGIL_AUDIT_KEY=$T/audit.key VIGIL_AUDIT_HEAD=$T/audit.head

mkdir -p "$T/site"
convert -seed 7 -size 320x240 plasma: "$T/site/img.jpg"
echo '<!doctype html><title>b</title><img src="img.jpg">' >"$T/site/index.html"
chmod -R a+rX "$T"
PORT=$(NGINX_SITE_SERVER='access_log off; location ~ ^/f/ { try_files /img.jpg =404; } location ~ ^/g/ { return 404; }' \
  "$FIX/nginx_site.sh" start "$T/site" "$T/ng" | sed -n 's/^PORT //p')
DB=$T/bench.db
"$BUILD/vigil" crawl --db "$DB" --seed "http://127.0.0.1:$PORT/index.html" \
  --allow-private --delay 0 --quiet >/dev/null
[ "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM media')" = 1 ] || {
  log "the crawl stored no media"; exit 1; }

log "writing $C cases on $H hosts"
T0=$(date +%s)
sqlite3 "$DB" <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
INSERT INTO urls (url, host, first_seen_at)
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $C - 1)
  SELECT 'http://h' || (i % $H) || '.localhost:$PORT/' ||
         CASE WHEN i % 50 = 0 THEN 'g' ELSE 'f' END || '/' || i || '.jpg',
         'h' || (i % $H) || '.localhost', $T0 FROM n;
INSERT INTO cases (url_id, opened_at, status, media_id, category,
                   detected_at, next_check_at)
  SELECT id, $T0, 'open', 1, 'csam', $T0, $T0 FROM urls
  WHERE host LIKE 'h%.localhost';
COMMIT;
SQL

run() { # run LABEL
  log "$1"
  echo "## $1"
  "$BUILD/bench_recheck" "$DB" "$REPO/web/notices" --seconds "$S" "${extra[@]}"
}
run "pass 1: $C cases due, first checks (HEAD, GET, SHA-256)"
sqlite3 "$DB" "UPDATE cases SET next_check_at = $(date +%s) WHERE status = 'open'"
run "pass 2: the $(sqlite3 "$DB" "SELECT COUNT(*) FROM cases WHERE status = 'open'") still up due again (conditional GET, 304)"
