#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `vigil crawl` end to end against real servers on 127.0.0.1: an nginx
# serving a generated site (tests/fixtures/gen_site.py test: transformed
# copies of photos whose hashes are in a list, unrelated photos, every kind
# of link, robots.txt, a 404, a page too deep), then the same crawl killed
# with -9 and resumed, politeness read from nginx's own timestamps, SSRF
# refusal, and the hostile server (drips, stalls, loops, bombs, resets).
# Usage: test_crawl.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1; DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
FIX="$ROOT/tests/fixtures"
T=$(mktemp -d)
HOSTILE_PID=
cleanup() {
  bash "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1
  [ -n "$HOSTILE_PID" ] && kill "$HOSTILE_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

python3 "$FIX/gen_site.py" test "$T/site" --photos "$DATA/photos" >/dev/null \
  || { echo "not ok - generating the site"; exit 1; }
PORT=$(bash "$FIX/nginx_site.sh" start "$T/site/www" "$T/ng" | awk '/^PORT/ {print $2}')
[ -n "$PORT" ] || { echo "not ok - starting nginx"; exit 1; }
BASE="http://127.0.0.1:$PORT"
EXP="$T/site/expected.json"

# the known list: every hash of the original photos
"$VIGIL" hash --json "$T/site/known"/* >"$T/known.jsonl"
mklist() { # mklist DB
  "$VIGIL" lists create known --category test --db "$1" >/dev/null &&
    "$VIGIL" lists import known "$T/known.jsonl" --db "$1" >/dev/null
}
crawl() { # crawl DB [OPTIONS...]: the test site, depth 3, fast
  local db=$1; shift
  "$VIGIL" crawl --db "$db" --seed "$BASE/index.html" --max-depth 3 \
    --allow-private --delay 0 --quiet --json "$@"
}

# compare DB: the detections of a store against expected.json, with evidence
compare() {
  "$VIGIL" detections --db "$1" --json >"$T/det.jsonl" || return 1
  python3 - "$EXP" "$T/det.jsonl" "$BASE" "$T/site/www" "$1" <<'EOF'
import hashlib, json, sqlite3, sys
exp = json.load(open(sys.argv[1]))
dets = [json.loads(l) for l in open(sys.argv[2])]
base, www, db = sys.argv[3], sys.argv[4], sys.argv[5]
ok = True
def fail(msg):
    global ok
    ok = False
    print("   ", msg)
want = {(base + d["url_path"], base + d["page_path"]): d for d in exp["detections"]}
got = {}
for d in dets:
    got.setdefault((d["url"], d["page_url"]), []).append(d)
if set(got) != set(want):
    fail("detected %s, expected %s" % (sorted(got), sorted(want)))
for key, rows in got.items():
    e = want.get(key)
    if not e:
        continue
    path = key[0][len(base):]
    body = open(www + path, "rb").read()
    for d in rows:
        if d["sha256"] != hashlib.sha256(body).hexdigest():
            fail("%s: sha256 %s is not the served file's" % (path, d["sha256"]))
        if d["md5"] != hashlib.md5(body).hexdigest():
            fail("%s: md5" % path)
        if d["http_status"] != 200 or d["server_ip"] != "127.0.0.1":
            fail("%s: status %s ip %s" % (path, d["http_status"], d["server_ip"]))
        if not d["fetched_at"].endswith("Z") or "server" not in d["headers"]:
            fail("%s: fetched_at %s headers %s" % (path, d["fetched_at"], d["headers"]))
        if d["list"] != "known" or not (d["metadata"] or "").endswith("/" + e["source"]):
            fail("%s: matched %s %s, expected %s" % (path, d["list"], d["metadata"], e["source"]))
        if d["algo"] == "pdq" and (d["pdq"] is None or d["distance"] > 31):
            fail("%s: pdq %s distance %s" % (path, d["pdq"], d["distance"]))
    algos = sorted(d["algo"] for d in rows)
    if e["transform"] == "exact":
        if algos != ["md5", "pdq", "sha1", "sha256"]:
            fail("%s: exact copy matched by %s" % (path, algos))
    elif algos != ["pdq"]:
        fail("%s: matched by %s" % (path, algos))
    if e["transform"] == "rotate90" and rows[0]["variant"] != "rot90":
        fail("%s: variant %s" % (path, rows[0]["variant"]))
    if e["transform"] == "mirror" and rows[0]["variant"] not in ("flipx", "flipy"):
        fail("%s: variant %s" % (path, rows[0]["variant"]))
# every URL once, nothing lost, nothing fetched that must not be
con = sqlite3.connect(db)
rows = dict(((u, (s, k)) for u, s, k in con.execute(
    "SELECT u.url, f.state, f.kind FROM frontier f JOIN urls u ON u.id = f.url_id")))
for p in exp["page_paths"]:
    if rows.get(base + p, (None,))[0] != "done":
        fail("page %s: %s" % (p, rows.get(base + p)))
for p in exp["page_404_paths"]:
    if rows.get(base + p, (None,))[0] != "failed":
        fail("404 page %s: %s" % (p, rows.get(base + p)))
for p in exp["media_paths"]:
    if rows.get(base + p, (None,))[0] != "done":
        fail("media %s: %s" % (p, rows.get(base + p)))
for p in exp["robots_excluded"]:
    st = con.execute("SELECT f.state, f.error FROM frontier f JOIN urls u ON"
                     " u.id = f.url_id WHERE u.url = ?", (base + p,)).fetchone()
    if st != ("failed", "disallowed by robots.txt"):
        fail("robots-excluded %s: %s" % (p, st))
for n in exp["not_detected"]:
    if (base + n["url_path"]) in rows and n["why"] == "depth":
        fail("too deep, yet queued: %s" % n["url_path"])
sightings = con.execute("SELECT COUNT(*), COUNT(DISTINCT url_id) FROM sightings").fetchone()
if sightings != (exp["media_urls"], exp["media_urls"]):
    fail("sightings (all, distinct URLs) %s, expected %d once each" % (sightings, exp["media_urls"]))
media = con.execute("SELECT COUNT(*) FROM media").fetchone()[0]
if media != exp["media_distinct"]:
    fail("media rows %d, expected %d" % (media, exp["media_distinct"]))
sys.exit(0 if ok else 1)
EOF
}

# --- the whole site, uninterrupted
DB="$T/a.db"; mklist "$DB"
crawl "$DB" >"$T/summary.json"; rc=$?
check "crawl exits 0" test $rc -eq 0
check "crawl finished" grep -q '"status":"finished"' "$T/summary.json"
check "pages fetched as expected" grep -q "\"pages\":$(python3 -c "import json; print(json.load(open('$EXP'))['pages'])")," "$T/summary.json"
check "one 404" grep -q '"pages_failed":1,' "$T/summary.json"
check "seven images matched" grep -q '"detections":7,' "$T/summary.json"
check "one page kept out by robots.txt" grep -q '"robots_denied":1,' "$T/summary.json"
check "the same bytes at a second URL not hashed again" grep -q '"media_duplicates":1,' "$T/summary.json"
check "exactly the expected detections, with evidence" compare "$DB"
check "crawl status shows the crawl" bash -c "'$VIGIL' crawl status --db '$DB' | grep -q 'crawl 1: finished'"
check "crawl status --json" bash -c "'$VIGIL' crawl status --db '$DB' --json | grep -q '\"queued\":0,'"
check "detections in text" bash -c "'$VIGIL' detections --db '$DB' | grep -q 'variant rot90'"
cp "$T/ng/access.log" "$T/first.log" 2>/dev/null
check "robots.txt fetched once, the private page never" bash -c \
  "sleep 1.2; [ \$(grep -c ' /robots.txt ' '$T/ng/access.log') -eq 1 ] && ! grep -q ' /private/' '$T/ng/access.log'"

# --- a crawl again does not fetch what a finished crawl did, --resume has nothing
"$VIGIL" crawl --db "$DB" --resume >/dev/null 2>"$T/err"; rc=$?
check "nothing to resume after a finished crawl" test $rc -eq 1
check "says so" grep -q 'no unfinished crawl' "$T/err"

# --- kill -9 in the middle, then resume: the same detections, no duplicates
DB="$T/b.db"; mklist "$DB"
"$VIGIL" crawl --db "$DB" --seed "$BASE/index.html" --max-depth 3 \
  --allow-private --delay 150 --per-host 1 --quiet >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do
  done_n=$(sqlite3 "$DB" "SELECT COUNT(*) FROM frontier WHERE state != 'queued'" 2>/dev/null || echo 0)
  [ "${done_n:-0}" -ge 12 ] && break
  sleep 0.1
done
kill -9 $pid; wait $pid 2>/dev/null
left=$(sqlite3 "$DB" "SELECT COUNT(*) FROM frontier WHERE state IN ('queued', 'leased')")
check "killed mid-crawl (URLs left: $left)" test "$left" -gt 0
check "status says running" bash -c "'$VIGIL' crawl status --db '$DB' | grep -q 'crawl 1: running'"
"$VIGIL" crawl --db "$DB" --resume --quiet --json >"$T/resumed.json"; rc=$?
check "resume exits 0" test $rc -eq 0
check "resumed crawl finished" grep -q '"status":"finished"' "$T/resumed.json"
check "after the resume: exactly the expected detections, once" compare "$DB"

# --- politeness, from nginx's timestamps: one host, 300 ms apart
DB="$T/c.db"
sleep 1.2; lines=$(wc -l <"$T/ng/access.log")
crawl "$DB" --delay 300 --per-host 2 --max-pages 5 >/dev/null
sleep 1.5
tail -n +"$((lines + 1))" "$T/ng/access.log" >"$T/times.log"
awk '{printf "%.3f\n", $1 - $5}' "$T/times.log" >"$T/times"
# (nginx sees a request start when it reads it: on a loaded machine that can
# come tens of ms late, shortening the next gap as measured; 10 % is allowed,
# the median must be the delay, and both a missing or halved delay fail)
check "politeness: requests to the host started 300 ms apart" python3 - "$T/times" <<'EOF'
import statistics, sys
t = sorted(float(x) for x in open(sys.argv[1]))
gaps = [b - a for a, b in zip(t, t[1:])]
print("   ", len(t), "requests, smallest gap %.3f s, median %.3f s" % (min(gaps), statistics.median(gaps)))
sys.exit(0 if len(t) >= 5 and min(gaps) >= 0.27 and statistics.median(gaps) >= 0.295 else 1)
EOF
check "page limit: stopped with URLs left" bash -c "'$VIGIL' crawl status --db '$DB' | grep -q 'crawl 1: stopped'"
check "robots.txt cached for the crawl (fetched once)" bash -c "grep -c ' /robots.txt ' '$T/times.log' | grep -qx 1"

# --- robots.txt asked for again when its cache time is up
DB="$T/c2.db"
sleep 1.2; lines=$(wc -l <"$T/ng/access.log")
crawl "$DB" --delay 400 --per-host 1 --max-pages 6 --robots-cache 1 >/dev/null
sleep 1.5
check "robots.txt fetched again after --robots-cache 1" bash -c \
  "[ \$(tail -n +$((lines + 1)) '$T/ng/access.log' | grep -c ' /robots.txt ') -ge 2 ]"

# --- SSRF: a reported URL on a private address is refused without --allow-private
DB="$T/d.db"
"$VIGIL" crawl --db "$DB" --seed "$BASE/index.html" --quiet --json >"$T/ssrf.json"
check "private address refused" grep -q '"pages":0,"pages_failed":1,' "$T/ssrf.json"
check "refusal recorded" bash -c "sqlite3 '$DB' \"SELECT error FROM frontier\" | grep -q '^private: refused: not a public address'"

# --- the hostile server: every misbehaviour is a recorded failure, the crawl goes on
python3 "$FIX/hostile_server.py" --photo "$T/site/known/0004.jpg" >"$T/hostile.out" 2>/dev/null &
HOSTILE_PID=$!
for _ in $(seq 300); do grep -q '^PORT' "$T/hostile.out" && break; sleep 0.1; done
HP=$(awk '/^PORT/ {print $2}' "$T/hostile.out")
H="http://127.0.0.1:$HP"
DB="$T/e.db"; mklist "$DB"
start=$(date +%s)
"$VIGIL" crawl --db "$DB" --allow-private --delay 0 --per-host 16 --timeout 4 \
  --ignore-robots --quiet --json \
  --seed "$H/drip" --seed "$H/stall" --seed "$H/loop" --seed "$H/chain/9" \
  --seed "$H/to-file" --seed "$H/to-ftp" --seed "$H/to-gopher" \
  --seed "$H/huge-length" --seed "$H/endless" --seed "$H/gzip-bomb" \
  --seed "$H/reset" --seed "$H/ok.html" --seed "$H/photo.jpg" \
  --seed "$H/liar.png" --seed "$H/429" --seed "https://127.0.0.1:$HP/tls" \
  --seed "http://no-such-host.invalid/" >"$T/hostile.json"; rc=$?
took=$(( $(date +%s) - start ))
check "hostile crawl ends (exit $rc, ${took}s)" test $rc -eq 0 -a $took -lt 30
errors() { sqlite3 "$DB" "SELECT u.url || ' ' || f.state || ' ' || COALESCE(f.error, '') FROM frontier f JOIN urls u ON u.id = f.url_id"; }
errors >"$T/errors"
has() { grep -q -- "$1" "$T/errors" || { echo "    no '$1' in:"; sed 's/^/      /' "$T/errors"; return 1; }; }
check "drip: timed out" has "/drip failed timeout: "
check "stall: timed out" has "/stall failed timeout: "
check "redirect loop refused" has "/loop failed redirects: "
check "long redirect chain refused" has "/chain/9 failed redirects: "
check "file: refused" has "/to-file failed scheme: "
check "ftp: refused" has "/to-ftp failed scheme: "
check "gopher: refused" has "/to-gopher failed scheme: "
check "huge Content-Length refused" has "/huge-length failed too-large: "
check "endless body capped" has "/endless failed too-large: "
check "gzip bomb capped after decompression" has "/gzip-bomb failed too-large: "
check "reset recorded" has "/reset failed connect: "
check "DNS failure recorded" has "no-such-host.invalid/ failed dns: "
check "TLS failure recorded" has "/tls failed connect: "
check "an image that lies about its size: digests kept, why recorded" has "/liar.png done .*pixels"
check "429 with Retry-After: tried again after it, then done" has "/429 done"
check "the good page done" has "/ok.html done"
check "its link followed (chain/0)" has "/chain/0 done"
check "the image detected despite the hostile neighbours" grep -q '"detections":1,' "$T/hostile.json"

finish
