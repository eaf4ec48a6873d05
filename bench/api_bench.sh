#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The hash-check API (issue 15, section 4) in one run, on 127.0.0.1:
#  1. a store of N clustered PDQ hashes (bench/bench_gen_pdq.c: the
#     clusters of bench_index) imported with `vigil lists import --format
#     lines --algo pdq` (timed), shared with the benchmark's partner;
#     `vigil serve --no-crawl` started and timed until /readyz answers 200
#     (the index loaded), with its resident memory then;
#  2. wrk at C connections, T threads, D each (bench/wrk_api.lua): GET
#     /healthz (the HTTP floor), POST /v1/pdq/ with one hash a request,
#     GET /m/lookup?signal_type=pdq&signal=HEX; requests/s, p50, p99.  The
#     queries cycle a fixed list of NQ hashes, half near copies of stored
#     ones (0..31 bits flipped: they match), half random (they do not);
#     POST /v1/pdq/ again with the random half only (what a request costs
#     without matches);
#     then B POST /v1/pdq/ batches of 1,000 of them one after another
#     (p50, p99);
#  3. POST /v1/media/ of every photo of tests/data/photos from 4
#     connections (a small Python client): images/s, beside
#     `vigil hash -j2` of the same files, R rounds of each in turn.
# Prints a Markdown section on stdout (progress on stderr).  Needs wrk,
# curl, python3, GNU time (/usr/bin/time) and the release build
# (cmake --preset release && cmake --build --preset release).
# Usage: bench/api_bench.sh [--hashes N] [--duration D] [--connections C]
#            [--wrk-threads T] [--batches B] [--media-rounds R]
#            [--queries NQ] [--threads ST] [--build DIR]
#   N 10000000; D 20s; C 64; T 2; B 50; R 3; NQ 20000; ST serve's
#   --threads (8, its default);
#   DIR build/release (its vigil and bench_gen_pdq).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
N=10000000 D=20s C=64 WT=2 B=50 R=3 NQ=20000 ST=8 BUILD=$REPO/build/release
while [ $# -gt 0 ]; do
  case $1 in
    --hashes) N=$2; shift 2 ;;
    --duration) D=$2; shift 2 ;;
    --connections) C=$2; shift 2 ;;
    --wrk-threads) WT=$2; shift 2 ;;
    --batches) B=$2; shift 2 ;;
    --media-rounds) R=$2; shift 2 ;;
    --queries) NQ=$2; shift 2 ;;
    --threads) ST=$2; shift 2 ;;
    --build) BUILD=$(realpath "$2"); shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "api_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for t in wrk curl python3 /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "api_bench.sh: needs $t" >&2; exit 2; }
done
VIGIL=$BUILD/vigil GEN=$BUILD/bench_gen_pdq LUA=$REPO/bench/wrk_api.lua
for b in "$VIGIL" "$GEN"; do
  [ -x "$b" ] || { echo "api_bench.sh: no $b: build $BUILD first" >&2; exit 2; }
done
[ "$NQ" -ge 2000 ] || { echo "api_bench.sh: --queries below 2000" >&2; exit 2; }

T=$(mktemp -d)
SPID=""
cleanup() {
  if [ -n "$SPID" ]; then kill -9 "$SPID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "api_bench: $*" >&2; }
field() { sed -n "s/^\(.* \)\{0,1\}$1=\([^ ]*\).*/\2/p" "$2"; } # field KEY FILE
ms() { python3 -c 'import sys; print(f"{float(sys.argv[1]) / 1000:.2f}")' "$1"; }
num() { python3 -c 'import sys; print(f"{float(sys.argv[1]):,.0f}")' "$1"; }
elapsed() { # elapsed OUT COMMAND...: wall seconds into OUT
  /usr/bin/time -f %e -o "$1" "${@:2}" >/dev/null 2>"$T/err" || {
    cat "$T/err" >&2; log "failed: ${*:2}"; exit 1; }
}

# ---- 1. the store and the server
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
DB=$T/db
log "generating $N clustered hashes and $NQ queries"
elapsed "$T/t_gen" "$GEN" "$N" "$NQ" 15 "$T/list" "$T/queries"
"$VIGIL" lists create bench --db "$DB" >/dev/null
log "importing"
elapsed "$T/t_import" "$VIGIL" lists import bench "$T/list" --format lines \
  --algo pdq --db "$DB"
rm -f "$T/list"
"$VIGIL" lists share bench benchp --db "$DB" >/dev/null
KEY=$("$VIGIL" apikeys add bench --scopes lookup --partner benchp --db "$DB" |
      tail -n 1)
t0=$(date +%s.%N)
"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --no-crawl --threads "$ST" \
  --per-address $((2 * C)) >"$T/out" 2>"$T/serr" &
SPID=$!
PORT=""
until [ -n "$PORT" ]; do # it listens once the store is open
  kill -0 "$SPID" 2>/dev/null || { cat "$T/serr" >&2; log "vigil serve died"; exit 1; }
  sleep 0.05
  PORT=$(sed -n 's|.*:\([0-9][0-9]*\)/$|\1|p' "$T/out")
done
LISTEN=$(python3 -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.1f}")' "$t0")
URL=http://127.0.0.1:$PORT
until [ "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$URL/readyz")" = 200 ]; do
  kill -0 "$SPID" 2>/dev/null || { cat "$T/serr" >&2; log "vigil serve died"; exit 1; }
  sleep 0.1
done
READY=$(python3 -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.1f}")' "$t0")
RSS=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$SPID/status")
log "listening after $LISTEN s, ready after $READY s, $RSS MB resident"

# ---- the answers are right: the near copies match, the random ones not;
# then B sequential batches of 1,000 (distinct batches, in turn)
python3 - "$PORT" "$KEY" "$T/queries" "$B" >"$T/batch" <<'PY'
import http.client, json, statistics, sys, time
port, key, path, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rows = [l.split() for l in open(path) if l.strip()]
head = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
c = http.client.HTTPConnection("127.0.0.1", int(port))
def post(hashes):
    c.request("POST", "/v1/pdq/", json.dumps({"hashes": hashes}), head)
    r = c.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit(f"POST /v1/pdq/: {r.status} {body[:200]!r}")
    return json.loads(body)["scanned_hashes"]
got = post([b for _, b in rows[:1000]])
near = sum(got[b] is not None for _, b in rows[:1000:2])
rand = sum(got[b] is not None for _, b in rows[1:1000:2])
each = sum(len(v["matches"]) for v in got.values() if v) / max(near + rand, 1)
c.request("GET", "/m/lookup?signal_type=pdq&signal=" + rows[0][0],
          headers={"Authorization": "Bearer " + key})
r = c.getresponse()
hma = json.loads(r.read())
if r.status != 200 or not hma.get("bench"):
    sys.exit(f"GET /m/lookup of a near copy: {r.status} {hma}")
bodies = [json.dumps({"hashes": [b for _, b in rows[i:i + 1000]]})
          for i in range(0, len(rows) - 999, 1000)]
lat, hits = [], 0
for i in range(rounds):
    t = time.perf_counter()
    c.request("POST", "/v1/pdq/", bodies[i % len(bodies)], head)
    r = c.getresponse()
    body = r.read()
    lat.append(time.perf_counter() - t)
    if r.status != 200:
        sys.exit(f"POST /v1/pdq/ batch: {r.status}")
    hits += sum(v is not None for v in json.loads(body)["scanned_hashes"].values())
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1e3
print(f"near={near} random={rand} each={each:.1f} batches={rounds} p50={p(0.5):.1f}"
      f" p99={p(0.99):.1f} max={lat[-1] * 1e3:.1f} hits={hits}")
PY
log "answers: $(cat "$T/batch")"
if [ "$(field random "$T/batch")" -gt 1 ] || [ "$(field near "$T/batch")" -lt 495 ]; then
  log "the near copies should match and the random hashes not"; exit 1
fi

# ---- 2. wrk
bench() { # bench NAME URL CONNECTIONS THREADS DURATION MODE [ARGS...]
  local name=$1 url=$2 c=$3 t=$4 d=$5
  shift 5
  log "wrk $name: -t$t -c$c -d$d $1"
  wrk -t"$t" -c"$c" -d"$d" --latency -s "$LUA" "$url" -- "$@" \
    >"$T/$name.txt" 2>&1 || { cat "$T/$name.txt" >&2; log "wrk failed"; exit 1; }
  grep '^BENCH' "$T/$name.txt" >"$T/$name"
  log "$name: $(cat "$T/$name")"
  [ "$(field errors "$T/$name")" = 0 ] ||
    log "$name: $(grep -E 'errors|Non-2xx' "$T/$name.txt" | tr -s ' ' | tr '\n' ';')"
}
bench floor "$URL/healthz" "$C" "$WT" "$D" get
bench pdq "$URL/" "$C" "$WT" "$D" pdq "$KEY" "$T/queries"
bench lookup "$URL/" "$C" "$WT" "$D" lookup "$KEY" "$T/queries"
awk 'NR % 2 == 0' "$T/queries" >"$T/random"
bench nomatch "$URL/" "$C" "$WT" "$D" pdq "$KEY" "$T/random"

# ---- 3. media
PHOTOS=$REPO/tests/data/photos
find "$PHOTOS" -maxdepth 1 -type f \
  \( -name '*.jpg' -o -name '*.jpeg' -o -name '*.png' -o -name '*.webp' \
     -o -name '*.gif' -o -name '*.bmp' \) | sort >"$T/photos"
NP=$(wc -l <"$T/photos")
[ "$NP" -gt 0 ] || { log "no photos in $PHOTOS: run scripts/fetch-testdata"; exit 1; }
# one round: every photo once from 4 connections; its wall seconds on
# stdout, each request's microseconds and status appended to a file
cat >"$T/media.py" <<'PY'
import http.client, sys, threading, time
port, key, listing, out = sys.argv[1:5]
kinds = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "webp": "webp",
         "gif": "gif", "bmp": "bmp"}
work = []
for path in open(listing).read().split("\n"):
    if path:
        work.append((open(path, "rb").read(),
                     "image/" + kinds[path.rsplit(".", 1)[1].lower()]))
lock, done, at = threading.Lock(), [], [0]
def client():
    c = http.client.HTTPConnection("127.0.0.1", int(port))
    while True:
        with lock:
            i = at[0]
            at[0] += 1
        if i >= len(work):
            return
        body, kind = work[i]
        t = time.perf_counter()
        c.request("POST", "/v1/media/", body,
                  {"Authorization": "Bearer " + key, "Content-Type": kind})
        r = c.getresponse()
        r.read()
        with lock:
            done.append(f"{(time.perf_counter() - t) * 1e6:.0f} {r.status}")
t0 = time.perf_counter()
threads = [threading.Thread(target=client) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"{time.perf_counter() - t0:.3f}")
open(out, "a").write("\n".join(done) + "\n")
PY
# rounds of the API and of `vigil hash -j2` alternate, so that the noise
# of a shared machine hits both alike
mapfile -t files <"$T/photos"
log "POST /v1/media/ and vigil hash -j2: $NP photos, $R rounds each"
for r in $(seq "$R"); do
  python3 "$T/media.py" "$PORT" "$KEY" "$T/photos" "$T/media_req" >>"$T/t_media"
  elapsed "$T/t" "$VIGIL" hash -j2 "${files[@]}"
  cat "$T/t" >>"$T/t_hash"
  log "round $r: API $(tail -n 1 "$T/t_media") s, vigil hash $(cat "$T/t") s"
done
python3 - "$T/t_media" "$T/media_req" >"$T/media" <<'PY'
import sys
wall = sum(float(x) for x in open(sys.argv[1]).read().split())
rows = [l.split() for l in open(sys.argv[2]) if l.strip()]
lat = sorted(int(us) for us, _ in rows)
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"BENCH rps={len(rows) / wall:.2f} p50={p(0.5)} p99={p(0.99)}"
      f" requests={len(rows)} errors={sum(st != '200' for _, st in rows)}")
PY
HASH_S=$(python3 -c 'import sys; print(f"{sum(map(float, open(sys.argv[1]).read().split())):.2f}")' "$T/t_hash")
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
kill -TERM "$SPID"
wait "$SPID" || log "vigil serve did not stop cleanly"
SPID=""

# ---- report
verdict() { python3 -c 'import sys; print("met" if eval(sys.argv[1]) else "missed")' "$1"; }
rps() { field rps "$T/$1"; }
HASH_RATE=$(python3 -c "print(f'{$NP * $R / $HASH_S:.1f}')")
MEDIA_RATE=$(python3 -c "print(f'{$(rps media):.1f}')")
MEDIA_X=$(python3 -c "print(f'{$(rps media) / $HASH_RATE:.2f}')")
echo "$(nproc) CPUs shared with wrk and the other jobs (load average $LOAD0" \
     "before the run, $LOAD1 at its end); vigil $(git -C "$REPO" describe --always --dirty);" \
     "$(num "$N") clustered PDQ hashes (bench_gen_pdq) in a SQLite store;" \
     "wrk -t$WT -c$C -d$D --latency; $NQ query hashes, half near copies" \
     "(of the first batch's 500, $(field near "$T/batch") matched, with" \
     "$(field each "$T/batch") matches each on average), half random" \
     "($(field random "$T/batch") matched)."
echo
echo "| step | figure |"
echo "|---|---:|"
echo "| generate $(num "$N") hashes (bench_gen_pdq) | $(cat "$T/t_gen") s |"
echo "| \`vigil lists import --format lines --algo pdq\` | $(cat "$T/t_import") s |"
echo "| \`vigil serve\` start to listening | $LISTEN s |"
echo "| \`vigil serve\` start to /readyz 200 (index loaded) | $READY s, $RSS MB resident |"
echo
echo "| request | requests/s | p50 | p99 | errors | target |"
echo "|---|---:|---:|---:|---:|---|"
row() { # row LABEL NAME TARGET
  echo "| $1 | $(num "$(rps "$2")") | $(ms "$(field p50 "$T/$2")") ms |" \
       "$(ms "$(field p99 "$T/$2")") ms | $(field errors "$T/$2") | $3 |"
}
row "GET /healthz (HTTP floor)" floor "-"
row "POST /v1/pdq/, 1 hash" pdq \
  "≥ 8,000/s, p99 < 10 ms: $(verdict "$(rps pdq) >= 8000 and $(field p99 "$T/pdq") < 10000")"
row "GET /m/lookup, 1 hash" lookup \
  "≥ 8,000/s, p99 < 10 ms: $(verdict "$(rps lookup) >= 8000 and $(field p99 "$T/lookup") < 10000")"
row "POST /v1/pdq/, 1 random hash (no match)" nomatch "-"
echo "| POST /v1/pdq/, 1,000 hashes, $B one after another | $(python3 -c "print(f'{1000 / $(field p50 "$T/batch"):.1f}')") batches/s |" \
     "$(field p50 "$T/batch") ms | $(field p99 "$T/batch") ms | 0 |" \
     "< 20 ms: $(verdict "$(field p99 "$T/batch") < 20") |"
echo "| POST /v1/media/, $NP photos × $R rounds, 4 connections | $MEDIA_RATE images/s |" \
     "$(ms "$(field p50 "$T/media")") ms | $(ms "$(field p99 "$T/media")") ms |" \
     "$(field errors "$T/media") | ≥ 0.9× \`vigil hash -j2\` ($HASH_RATE images/s," \
     "$HASH_S s in all): ${MEDIA_X}×, $(verdict "$MEDIA_X >= 0.9") |"
