#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Evidence first: how soon a crawl finds the images of the pages it fetches.
# A manual-like site (tests/fixtures/gen_site.py evidence: N pages in a
# tree of fan-out 4, 6 distinct generated PNGs each) served by a local nginx
# (tests/fixtures/nginx_site.sh); every image's hashes are put on a list, so
# every image fetched is a detection.  Each run crawls the site from
# /index.html into a fresh store with `--delay D` (other options default:
# 2 per host, depth 5) while a poller counts, every 0.1 s, the image URLs
# with a detection committed; it prints the seconds from the crawl's start
# to the first detection, to 50 % and to 100 % of them (N x 6), the whole
# crawl, and, from nginx's access log, how long an image's request waited
# after its page's response (median, 90th percentile) and the pages whose
# images were requested after a page two levels deeper than them.
# --toc T makes /index.html a contents page linking pages 1 to T-1 too.  --baseline OLD runs
# OLD and VIGIL alternately, R runs each; the table gives the median.
# Needs nginx, python3, curl.
# Usage: bench/evidence_bench.sh [VIGIL] [--baseline OLD] [--pages N]
#                                [--delay MS] [--runs R] [--limit S]
#                                [--toc T]
#   VIGIL default build/release/vigil; N 300; MS 1000 (the default
#   politeness); R 1; --limit S stops a crawl after S seconds (the figures
#   a crawl did not reach are then shown as "> S").
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
FIX=$REPO/tests/fixtures
VIGIL=build/release/vigil OLD="" N=300 D=1000 R=1 LIMIT=0 TOC=0
while [ $# -gt 0 ]; do
  case $1 in
    --baseline) OLD=$2; shift 2 ;;
    --pages) N=$2; shift 2 ;;
    --delay) D=$2; shift 2 ;;
    --runs) R=$2; shift 2 ;;
    --limit) LIMIT=$2; shift 2 ;;
    --toc) TOC=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "evidence_bench.sh: unknown option $1" >&2; exit 2 ;;
    *) VIGIL=$1; shift ;;
  esac
done
for t in /usr/sbin/nginx python3 curl; do
  command -v "$t" >/dev/null || { echo "evidence_bench.sh: needs $t" >&2; exit 2; }
done

T=$(mktemp -d)
cleanup() {
  [ -d "$T/ng" ] && "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "evidence_bench: $*" >&2; }

python3 "$FIX/gen_site.py" evidence "$T/site" --pages "$N" --toc "$TOC" >/dev/null
PORT=$("$FIX/nginx_site.sh" start "$T/site/www" "$T/ng" | sed -n 's/^PORT //p')
BASE="http://127.0.0.1:$PORT"
"$VIGIL" hash --json "$T/site/www/img"/* >"$T/known.jsonl"

one() { # one NAME BINARY RUN -> a line "name first half all crawl late"
  local name=$1 bin=$2 db="$T/$1-$3.db" lines
  "$bin" lists create known --category test --db "$db" >/dev/null
  "$bin" lists import known "$T/known.jsonl" --db "$db" >/dev/null
  sleep 1.2; lines=$(wc -l <"$T/ng/access.log")
  python3 - "$bin" "$db" "$BASE" "$D" "$LIMIT" "$T/site/evidence.json" \
    "$T/ng/access.log" "$lines" "$name" <<'PY'
import json, os, signal, sqlite3, subprocess, sys, time
vigil, db, base, delay, limit, evf, logf, skip, name = sys.argv[1:]
ev = json.load(open(evf))
want = sum(len(v) for v in ev["images"].values())
cmd = [vigil, "crawl", "--db", db, "--seed", base + "/index.html",
       "--allow-private", "--quiet", "--delay", delay]
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
marks, count = {}, 0
con = None
while True:
    done = p.poll() is not None
    if limit != "0" and not done and time.monotonic() - t0 > float(limit):
        p.send_signal(signal.SIGINT)
        p.wait()
        done = True
    try:
        con = con or sqlite3.connect("file:%s?mode=ro" % db, uri=True,
                                     timeout=5)
        count = con.execute(
            "SELECT COUNT(DISTINCT s.url_id) FROM detections d JOIN"
            " sightings s ON s.id = d.sighting_id").fetchone()[0]
    except sqlite3.Error:
        pass
    t = time.monotonic() - t0
    for key, n in (("first", 1), ("half", (want + 1) // 2), ("all", want)):
        if count >= n and key not in marks:
            marks[key] = t
    if done:
        break
    time.sleep(0.1)
crawl = time.monotonic() - t0
time.sleep(1.5)  # nginx flushes its log every second
# pages whose images were requested after a page two levels deeper
start, end = {}, {}
for i, line in enumerate(open(logf)):
    if i < int(skip):
        continue
    f = line.split()
    path = f[2].split("?")[0]
    start.setdefault(path, float(f[0]) - float(f[4]))
    end.setdefault(path, float(f[0]))
# how long an image waited after its page's response
waits = sorted(start[x] - end[p] for p, xs in ev["images"].items()
               if p in end for x in xs if x in start)
q = lambda f: "%.1f" % waits[min(len(waits) - 1, int(f * len(waits)))] \
    if waits else "-"
late = 0
for page, d in ev["pages"].items():
    deeper = [start[q] for q, e in ev["pages"].items()
              if e >= d + 2 and q in start]
    imgs = [start[x] for x in ev["images"][page] if x in start]
    if deeper and imgs and max(imgs) > min(deeper):
        late += 1
fmt = lambda k: "%.1f" % marks[k] if k in marks else "> %.0f" % crawl
print(name, fmt("first"), fmt("half"), fmt("all"), "%.1f" % crawl, late,
      count, q(0.5), q(0.9), sep="\t")
PY
}

[ -z "$OLD" ] || "$OLD" crawl --help >/dev/null
log "$N pages, $((N * 6)) images, --delay $D, $R run(s) each"
: >"$T/results"
for r in $(seq "$R"); do
  if [ -n "$OLD" ]; then
    one before "$OLD" "$r" | tee -a "$T/results" >&2
  fi
  one after "$VIGIL" "$r" | tee -a "$T/results" >&2
done
python3 - "$T/results" "$N" "$D" "$R" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
n, d, r = sys.argv[2:]
print(f"| {n} pages, {int(n) * 6} images, --delay {d} (median of {r}) | "
      "first detection | 50 % | 100 % | crawl | an image's wait after its"
      " page, median / 90th pct. | pages with images after a page 2 deeper"
      " | detections |")
print("|---|---|---|---|---|---|---|---|")
def med(xs):
    if any(x.startswith(">") for x in xs):
        return xs[0] if len(xs) == 1 else "> " + xs[0].split()[-1]
    return "%.1f s" % statistics.median(float(x) for x in xs)
for name in ("before", "after"):
    sel = [x for x in rows if x[0] == name]
    if not sel:
        continue
    col = lambda i: [x[i] for x in sel]
    print(f"| {name} | {med(col(1))} | {med(col(2))} | {med(col(3))} | "
          f"{med(col(4))} | {med(col(7))} / {med(col(8))} | "
          f"{statistics.median(int(x) for x in col(5)):g} | "
          f"{statistics.median(int(x) for x in col(6)):g} |")
PY
