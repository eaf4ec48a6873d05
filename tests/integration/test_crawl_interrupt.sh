#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's promises about starting and stopping a crawl, against nginx
# on 127.0.0.1: `--seeds FILE` (one URL a line, '#' comments and blank lines
# skipped, '-' for stdin), Ctrl-C (SIGINT) stops cleanly with exit 130 and a
# resumable crawl, and `--resume` finishes it with every page fetched exactly
# once across both runs (nginx's own log), the options it was started with.
# Usage: test_crawl_interrupt.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
FIX="$HERE/../fixtures"
. "$HERE/lib.sh"
T=$(mktemp -d)
trap 'bash "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1; rm -rf "$T"' EXIT
DB="$T/vigil.db"

# two trees of 30 pages each, each page linking to the next (the last to
# a 31st that is not there)
mkdir -p "$T/www/a" "$T/www/b"
for t in a b; do
  for i in $(seq 1 30); do
    printf '<!doctype html><title>%s%d</title><a href="%d.html">next</a>\n' \
      "$t" "$i" $((i + 1)) >"$T/www/$t/$i.html"
  done
done
printf 'User-agent: *\nAllow: /\n' >"$T/www/robots.txt"
PORT=$(bash "$FIX/nginx_site.sh" start "$T/www" "$T/ng" | awk '/^PORT/ {print $2}')
check "nginx on 127.0.0.1" test -n "$PORT"
U="http://127.0.0.1:$PORT"

# --- --seeds FILE: comments, blank lines and spaces around a URL skipped
printf '# the reported pages\n\n  %s/a/1.html  \n%s/b/1.html\n# %s/b/2.html\n' \
  "$U" "$U" "$U" >"$T/seeds"
"$VIGIL" crawl --db "$DB" --seeds "$T/seeds" --allow-private --delay 150 \
  --max-depth 40 --quiet >"$T/run1.out" 2>"$T/run1.err" &
PID=$!
# (sqlite3 only once vigil made the store: else sqlite3 would make it, 0644)
for _ in $(seq 200); do
  [ -s "$DB" ] && [ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM frontier WHERE state = 'done'" 2>/dev/null)" -ge 10 ] 2>/dev/null && break
  sleep 0.1
done
kill -INT "$PID"
wait "$PID"; rc=$?
check "Ctrl-C (SIGINT): exit 130" test $rc -eq 130
check "  no error printed" test ! -s "$T/run1.err"
# (a process killed by the signal would also give 130 in bash: the summary
# shows it stopped by itself, having seen the signal)
check "  its summary printed: stopped, resumable" bash -c "grep -q '^crawl 1 stopped' '$T/run1.out' && grep -q 'vigil crawl --resume continues' '$T/run1.out'"
DONE1=$(sqlite3 "$DB" "SELECT COUNT(*) FROM frontier WHERE state = 'done'")
check "  stopped part-way ($DONE1 URLs done), nothing left leased" bash -c "[ $DONE1 -ge 10 ] && [ $DONE1 -lt 61 ] && [ \$(sqlite3 '$DB' \"SELECT COUNT(*) FROM frontier WHERE state = 'leased'\") -eq 0 ]"
check "  the crawl is not finished" bash -c "! '$VIGIL' crawl status --db '$DB' | grep -q 'crawl 1: finished'"
check "the two seeds, not the commented one" test "$(sqlite3 "$DB" "SELECT group_concat(u.url, ' ') FROM (SELECT u.url FROM frontier f JOIN urls u ON u.id = f.url_id WHERE f.depth = 0 ORDER BY u.url) u")" = "$U/a/1.html $U/b/1.html"

# --- --resume: the rest, with the options the crawl started with
RESUMED=$(date +%s.%N)
"$VIGIL" crawl --db "$DB" --resume --quiet --json >"$T/run2.json"; rc=$?
check "--resume: exit 0, finished" bash -c "[ $rc -eq 0 ] && grep -q '\"status\":\"finished\"' '$T/run2.json'"
check "  every page of both trees done" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM frontier f JOIN urls u ON u.id = f.url_id WHERE f.state = 'done' AND u.url LIKE '%.html'")" -eq 60
sleep 1.2 # nginx flushes its log every second
check "  nginx served each page exactly once across both runs" python3 - "$T/ng/access.log" <<'EOF'
import collections, sys
pages = collections.Counter(l.split()[2] for l in open(sys.argv[1]) if l.split()[2].endswith(".html"))
want = {"/%s/%d.html" % (t, i) for t in "ab" for i in range(1, 32)}  # 31: 404
extra = {p: n for p, n in pages.items() if n != 1 or p not in want}
missing = want - set(pages)
print("  %d pages, %d twice or unexpected, %d missing" % (len(pages), len(extra), len(missing)))
sys.exit(0 if not extra and not missing else 1)
EOF
check "  the delay it started with (150 ms) kept after resuming" python3 - "$T/ng/access.log" "$RESUMED" <<'EOF'
import sys
starts = sorted(float(l.split()[0]) - float(l.split()[4]) for l in open(sys.argv[1]))
starts = [t for t in starts if t >= float(sys.argv[2])]
gaps = [b - a for a, b in zip(starts, starts[1:])]
# the resumed run's requests to the one host start 150 ms apart (nginx's
# clock has 1 ms steps); the wait is not kept across processes, so the
# first request after resuming may come sooner after the last before
print("  smallest gap %.3f s over the resumed run's %d requests" % (min(gaps), len(starts)))
sys.exit(0 if len(starts) > 20 and min(gaps) >= 0.145 else 1)
EOF

# --- '-' reads the seeds from stdin
printf '%s/a/29.html\n' "$U" | "$VIGIL" crawl --db "$T/stdin.db" --seeds - \
  --allow-private --delay 0 --quiet --json >"$T/stdin.json"
check "--seeds -: the seed from stdin, and its one link" grep -q '"pages":2,' "$T/stdin.json"
printf '%s/a/1.html\n' "$U" >"$T/one"; printf 'x%.0s' $(seq 9000) >>"$T/one"
"$VIGIL" crawl --db "$T/long.db" --seeds "$T/one" --allow-private >/dev/null 2>"$T/long.err"; rc=$?
check "a seeds line over 8 KiB: refused, naming the line" bash -c "[ $rc -ne 0 ] && [ $rc -ne 130 ] && grep -q 'one:2: line too long' '$T/long.err'"
"$VIGIL" crawl --db "$T/none.db" --seeds "$T/nosuch" --allow-private >/dev/null 2>"$T/none.err"; rc=$?
check "a seeds file that is not there: refused, saying so" bash -c "[ $rc -ne 0 ] && grep -q 'nosuch: No such file' '$T/none.err'"
finish
