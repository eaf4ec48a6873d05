#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Notices composed for one provider with U open URLs (default 100,000):
# `vigil notices run-once` against a local SMTP server
# (tests/fixtures/smtp_server.py, aiosmtpd), its time and the size of the
# message(s) it sent. Then the time of `vigil notices report` (table, --csv, --json) at C open cases
# (default 1,000,000) over P providers (default 760), written straight into
# a SQLite store by SQL (urls, providers, cases), as bench/recheck_bench.sh
# does. Printed: the seconds of each report (bench/RESULTS.md).
# Usage: bench/notice_bench.sh [BUILD] [--urls U] [--cases C] [--providers P]
#   BUILD: the build directory with vigil (default build/release).
set -euo pipefail
BUILD=build/release U=100000 C=1000000 P=760
while [ $# -gt 0 ]; do
  case $1 in
    --urls) U=$2; shift 2 ;;
    --cases) C=$2; shift 2 ;;
    --providers) P=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "notice_bench.sh: unknown option $1" >&2; exit 2 ;;
    *) BUILD=$1; shift ;;
  esac
done
BUILD=$(cd "$BUILD" && pwd)
T=$(mktemp -d)
REPO=$(cd "$(dirname "$0")/.." && pwd)
cleanup() { [ -z "${SPID:-}" ] || kill "$SPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
export VIGIL_AUDIT_KEY=$T/audit.key VIGIL_AUDIT_HEAD=$T/audit.head
T0=$(date +%s)
DB=$T/compose.db
"$BUILD/vigil" notices report --db "$DB" >/dev/null
PY=python3; /usr/bin/python3 -c "import aiosmtpd" 2>/dev/null && PY=/usr/bin/python3
"$PY" "$REPO/tests/fixtures/smtp_server.py" --dir "$T/mail" >"$T/smtp.out" &
SPID=$!
for _ in $(seq 300); do grep -q '^PORT' "$T/smtp.out" && break; sleep 0.1; done
SP=$(awk '/^PORT/ {print $2}' "$T/smtp.out")
echo "notice_bench: writing $U open cases of one provider" >&2
sqlite3 "$DB" >/dev/null <<SQL
BEGIN;
INSERT INTO providers (name, abuse_emails, created_at)
  VALUES ('big', 'abuse@big.example', $T0);
INSERT INTO media (sha256, first_seen_at)
  VALUES (randomblob(32), $T0);
INSERT INTO urls (url, host, first_seen_at)
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $U - 1)
  SELECT 'http://big.example/' || i || '.jpg', 'big.example', $T0 FROM n;
INSERT INTO cases (url_id, provider_id, opened_at, status, media_id,
                   category, detected_at, next_check_at)
  SELECT id, 1, $T0, 'open', 1, 'csam', $T0, $T0 + 864000 FROM urls;
COMMIT;
SQL
s=$(date +%s.%N)
"$BUILD/vigil" notices run-once --db "$DB" --at "$T0" --hotline Bench \
  --legal-basis "Bench Act" --smtp-relay "smtp://127.0.0.1:$SP" \
  --smtp-starttls none --smtp-from notices@hotline.example >"$T/run.out" \
  || echo "notice_bench: run-once failed ($?)" >&2
e=$(date +%s.%N)
printf 'notices run-once, %d open URLs: %6.2f s, %s message(s), %s bytes\n' \
  "$U" "$(echo "$e - $s" | bc)" "$(find "$T/mail" -type f | wc -l)" \
  "$(find "$T/mail" -type f -exec cat {} + | wc -c)"
DB=$T/bench.db
"$BUILD/vigil" notices report --db "$DB" >/dev/null
echo "notice_bench: writing $C cases over $P providers" >&2
sqlite3 "$DB" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
INSERT INTO providers (name, abuse_emails, created_at)
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $P - 1)
  SELECT 'provider ' || i, 'abuse@p' || i || '.example', $T0 FROM n;
INSERT INTO urls (url, host, first_seen_at)
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $C - 1)
  SELECT 'http://p' || (i % $P) || '.example/' || i || '.jpg',
         'p' || (i % $P) || '.example', $T0 FROM n;
INSERT INTO cases (url_id, provider_id, opened_at, status)
  SELECT id, 1 + (id % $P), $T0 - (id % 86400),
         CASE WHEN id % 10 = 0 THEN 'removed' ELSE 'open' END FROM urls;
COMMIT;
SQL
for f in "" --csv --json; do
  s=$(date +%s.%N)
  "$BUILD/vigil" notices report --db "$DB" $f >"$T/out"
  e=$(date +%s.%N)
  printf 'notices report %-6s %6.2f s, %d lines\n' "${f:-table}" \
    "$(echo "$e - $s" | bc)" "$(wc -l <"$T/out")"
done
