#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Evidence first: `vigil crawl` fetches a page's images before the pages
# deeper than it, read from nginx's access log.  The site
# (tests/fixtures/gen_site.py evidence): 30 pages in a tree of fan-out 4
# (depths 0 to 3), 2 generated PNGs each, every image on a hash list.  At
# 200 ms between requests (2 per host): each page's images are requested
# before any page two levels deeper, and before any deeper page not yet
# started a second after the page's response (the time to commit its links
# and lease its images).  Then --max-depth 1: the images of the depth-1
# pages are fetched, no page deeper.
# Usage: test_crawl_order.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
FIX="$ROOT/tests/fixtures"
T=$(mktemp -d)
cleanup() {
  bash "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT

python3 "$FIX/gen_site.py" evidence "$T/site" --pages 30 --images 2 >/dev/null \
  || { echo "not ok - generating the site"; exit 1; }
PORT=$(bash "$FIX/nginx_site.sh" start "$T/site/www" "$T/ng" | awk '/^PORT/ {print $2}')
[ -n "$PORT" ] || { echo "not ok - starting nginx"; exit 1; }
BASE="http://127.0.0.1:$PORT"
"$VIGIL" hash --json "$T/site/www/img"/* >"$T/known.jsonl"
mklist() { # mklist DB
  "$VIGIL" lists create known --category test --db "$1" >/dev/null &&
    "$VIGIL" lists import known "$T/known.jsonl" --db "$1" >/dev/null
}
# new_log: the access log's lines from here on go to $T/log
mark() { sleep 1.2; LINES=$(wc -l <"$T/ng/access.log"); }
new_log() { sleep 1.5; tail -n +"$((LINES + 1))" "$T/ng/access.log" >"$T/log"; }

# --- the order, at 200 ms between requests
DB="$T/a.db"; mklist "$DB"; mark
"$VIGIL" crawl --db "$DB" --seed "$BASE/index.html" --allow-private \
  --delay 200 --quiet --json >"$T/a.json"; rc=$?
new_log
check "crawl exits 0" test $rc -eq 0
check "every page and image fetched, every image detected" \
  grep -q '"pages":30,.*"media":60,.*"detections":60,' "$T/a.json"
order() { # order two|one: the order checks on $T/log (one: 1 s slack)
  python3 - "$T/site/evidence.json" "$T/log" "$1" <<'EOF'
import json, sys
ev = json.load(open(sys.argv[1]))
mode, slack = sys.argv[3], 1.0
start, end = {}, {}
for line in open(sys.argv[2]):
    f = line.split()
    start.setdefault(f[2], float(f[0]) - float(f[4]))
    end.setdefault(f[2], float(f[0]))
depth = ev["pages"]
missing = [p for p in list(depth) + sum(ev["images"].values(), [])
           if p not in start]
if missing:
    sys.exit("    never requested: %s" % missing)
two = one = 0
for page, d in depth.items():
    last = max(start[x] for x in ev["images"][page])
    for q, e in depth.items():
        if mode == "two" and e >= d + 2 and start[q] < last:
            two += 1
            print("    %s (depth %d) before the images of %s (depth %d)"
                  % (q, e, page, d))
        if mode == "one" and e > d and end[page] + slack < start[q] < last:
            one += 1
            print("    %s (depth %d) started %.2f s after %s (depth %d),"
                  " before its images" % (q, e, start[q] - end[page], page, d))
print("    %d requests, %d deeper pages before a page's images"
      % (len(start), two + one))
sys.exit(1 if two + one else 0)
EOF
}
check "each page's images requested before any page two levels deeper" order two
check "and before any deeper page not started 1 s after the page" order one

# --- --max-depth 1: the images of the last pages, no deeper page
DB="$T/b.db"; mklist "$DB"; mark
"$VIGIL" crawl --db "$DB" --seed "$BASE/index.html" --allow-private \
  --delay 0 --max-depth 1 --quiet --json >"$T/b.json"; rc=$?
new_log
check "--max-depth 1: exits 0" test $rc -eq 0
check "--max-depth 1: 5 pages, their 10 images" \
  grep -q '"pages":5,.*"media":10,.*"detections":10,' "$T/b.json"
check "--max-depth 1: no page of depth 2 requested, no image of one" \
  bash -c "! grep -Eq ' /(e/00(0[5-9]|[12][0-9])\\.html|img/00(0[5-9]|[12][0-9])-)' '$T/log'"

finish
