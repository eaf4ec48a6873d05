#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The crawler against named baselines, on static sites served by a local
# nginx (tests/fixtures/nginx_site.sh, sites from tests/fixtures/gen_site.py).
#  Pages: N pages of ~8 KB with 11 links each, crawled R times alternately
#    by `wget2 --recursive --max-threads=5` (it saves every page to disk;
#    --level=inf, as its default depth 5 is a limit vigil's run has not)
#    and `vigil crawl --per-host 5`; wall clock and peak RSS (GNU time %M)
#    per run, pages/s as the median over the runs.
#  Media: every photo of the photo directory, K times under different URLs,
#    20 per page: `vigil hash -j 2` over the distinct photo files against
#    `vigil crawl --threads 2` over the site (image URLs fetched per second;
#    duplicates may be skipped by content), and over the site with each
#    photo once (K = 1), where nothing can be skipped.
# Prints a Markdown table on stdout, progress on stderr.  Needs nginx,
# wget2, GNU time (/usr/bin/time), python3, curl.
# Usage: bench/crawl_bench.sh [VIGIL] [--pages N] [--copies K] [--runs R]
#                             [--photos DIR] [--wget2-only]
#   VIGIL default build/release/vigil; N 20000; K 3; R 3;
#   DIR tests/data/photos (scripts/fetch-testdata fills it);
#   --wget2-only measures wget2 alone (for a vigil without `crawl`).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
FIX=$REPO/tests/fixtures
VIGIL=build/release/vigil N=20000 K=3 R=3 WGET2_ONLY=0
PHOTOS=$REPO/tests/data/photos
while [ $# -gt 0 ]; do
  case $1 in
    --pages) N=$2; shift 2 ;;
    --copies) K=$2; shift 2 ;;
    --runs) R=$2; shift 2 ;;
    --photos) PHOTOS=$2; shift 2 ;;
    --wget2-only) WGET2_ONLY=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "crawl_bench.sh: unknown option $1" >&2; exit 2 ;;
    *) VIGIL=$1; shift ;;
  esac
done
[ "$PHOTOS" != "$REPO/tests/data/photos" ] || "$REPO/scripts/fetch-testdata"
for t in /usr/sbin/nginx wget2 /usr/bin/time python3 curl; do
  command -v "$t" >/dev/null || { echo "crawl_bench.sh: needs $t" >&2; exit 2; }
done
if [ "$WGET2_ONLY" = 0 ] && ! "$VIGIL" crawl --help >/dev/null 2>&1; then
  echo "crawl_bench.sh: '$VIGIL crawl' is not available (--wget2-only?)" >&2
  exit 2
fi

T=$(mktemp -d)
cleanup() {
  local s
  for s in "$T"/nginx-*; do
    if [ -d "$s" ]; then "$FIX/nginx_site.sh" stop "$s" || true; fi
  done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "crawl_bench: $*" >&2; }

serve() { # serve NAME ROOT -> PORT
  "$FIX/nginx_site.sh" start "$2" "$T/nginx-$1" | sed -n 's/^PORT //p'
}

measure() { # measure OUT CMD... -> "wall_s peak_rss_kb exit_status"
  local out=$1 t0 t1 ms rc=0
  shift
  t0=$(date +%s%N)
  /usr/bin/time -f %M -o "$T/time" "$@" >"$out" 2>"$T/stderr" || rc=$?
  t1=$(date +%s%N)
  ms=$(( (t1 - t0) / 1000000 ))
  printf '%d.%03d %s %s\n' $((ms / 1000)) $((ms % 1000)) \
         "$(tail -n 1 "$T/time")" "$rc"
}

fail() { # fail WHAT: the command's stderr, then exit
  log "$1 failed:"; tail -n 20 "$T/stderr" >&2; exit 1
}

json_field() { # json_field FILE KEY: KEY of the last JSON line of FILE
  python3 - "$1" "$2" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip().startswith("{")]
if not lines:
    sys.exit("no JSON summary in " + sys.argv[1])
v = json.loads(lines[-1]).get(sys.argv[2])
print("" if v is None else v)
PY
}

median() { python3 -c 'import statistics, sys
print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
div() { python3 -c 'import sys; a, b = map(float, sys.argv[1:3])
print(f"{a / b:.{int(sys.argv[3]) if len(sys.argv) > 3 else 1}f}" if b else "n/a")' "$@"; }
fmt() { python3 -c 'import sys; print(f"{float(sys.argv[1]):.{sys.argv[2]}f}")' "$@"; }

crawl_flags=(--allow-private --delay 0 --per-host 5 --quiet --json)
# no limit may cut the benchmark sites short (vigil's defaults are for
# the open web)
limits=(--max-depth 1000 --max-host-pages 1000000 --max-pattern 0)

# ---- sites
log "generating $N pages and the media sites (K=$K and K=1)"
python3 "$FIX/gen_site.py" pages "$T/pages" --count "$N" >/dev/null
python3 "$FIX/gen_site.py" media "$T/media" --photos "$PHOTOS" --copies "$K" >/dev/null
python3 "$FIX/gen_site.py" media "$T/media1" --photos "$PHOTOS" --copies 1 >/dev/null
NPHOTOS=$(json_field "$T/media/media.json" photos)
NURLS=$(json_field "$T/media/media.json" image_urls)

# ---- pages: wget2 and vigil crawl, alternately
PORT=$(serve pages "$T/pages")
SEED=http://127.0.0.1:$PORT/index.html
w_rate=() w_wall=() w_rss=() v_rate=() v_wall=() v_rss=() w_pages=0 v_pages=0
for r in $(seq 1 "$R"); do
  rm -rf "$T/wget2"
  read -r wall rss rc < <(measure "$T/out" wget2 --recursive --no-parent \
    --level=inf --max-threads=5 -P "$T/wget2" -q "$SEED")
  # 8: a server error answer; /robots.txt is a 404 here
  [ "$rc" = 0 ] || [ "$rc" = 8 ] || fail "wget2 (exit $rc)"
  w_pages=$(find "$T/wget2" -name '*.html' | wc -l)
  rm -rf "$T/wget2"
  w_rate+=("$(div "$w_pages" "$wall")") w_wall+=("$wall") w_rss+=("$rss")
  log "pages run $r: wget2 $w_pages pages in $wall s, $((rss / 1024)) MB"
  [ "$WGET2_ONLY" = 1 ] && continue
  read -r wall rss rc < <(measure "$T/out" "$VIGIL" crawl --db "$T/crawl-$r.db" \
    --seed "$SEED" "${crawl_flags[@]}" "${limits[@]}")
  [ "$rc" = 0 ] || fail "vigil crawl (exit $rc)"
  v_pages=$(json_field "$T/out" pages)
  [ "$(json_field "$T/out" status)" = finished ] ||
    log "vigil crawl status: $(json_field "$T/out" status)"
  v_rate+=("$(div "$v_pages" "$wall")") v_wall+=("$wall") v_rss+=("$rss")
  log "pages run $r: vigil $v_pages pages in $wall s, $((rss / 1024)) MB"
  rm -f "$T/crawl-$r.db"*
done
"$FIX/nginx_site.sh" stop "$T/nginx-pages"

# ---- media: vigil hash over the photos, vigil crawl over the sites
if [ "$WGET2_ONLY" = 0 ]; then
  h_rate=() m_rate=() m1_rate=() m_media=0 m_hashed=0 m1_media=0 m1_hashed=0
  PORT=$(serve media "$T/media")
  PORT1=$(serve media1 "$T/media1")
  for r in $(seq 1 "$R"); do
    read -r wall rss rc < <(measure "$T/out" "$VIGIL" hash -j 2 "$T/media/m/c0"/*)
    [ "$rc" -le 1 ] || fail "vigil hash (exit $rc)"
    [ "$rc" = 0 ] || log "vigil hash: some files failed"
    h_rate+=("$(div "$NPHOTOS" "$wall")")
    log "media run $r: hash $NPHOTOS files in $wall s"
    for site in media media1; do
      p=$PORT; [ "$site" = media1 ] && p=$PORT1
      read -r wall rss rc < <(measure "$T/out" "$VIGIL" crawl --db "$T/$site-$r.db" \
        --seed "http://127.0.0.1:$p/index.html" --threads 2 "${crawl_flags[@]}" \
        "${limits[@]}")
      [ "$rc" = 0 ] || fail "vigil crawl $site (exit $rc)"
      media=$(json_field "$T/out" media) hashed=$(json_field "$T/out" media_hashed)
      if [ "$site" = media ]; then
        m_rate+=("$(div "$media" "$wall")") m_media=$media m_hashed=$hashed
      else
        m1_rate+=("$(div "$media" "$wall")") m1_media=$media m1_hashed=$hashed
      fi
      log "media run $r: crawl $site $media image URLs ($hashed hashed) in $wall s"
      rm -f "$T/$site-$r.db"*
    done
  done
fi

# ---- report
wr=$(median "${w_rate[@]}")
echo "## Crawler benchmark"
echo
echo "$(nproc) CPUs, $(/usr/sbin/nginx -v 2>&1 | sed 's/.*: //'), $(wget2 --version | head -n 1 | sed 's/ - .*//');" \
     "medians of $R runs; nginx and the client share the machine."
echo
echo "### Pages: $N pages of ~8 KB, 11 links each"
echo
echo "| client | pages fetched | wall s | pages/s | peak RSS MB |"
echo "|---|---:|---:|---:|---:|"
echo "| wget2 --max-threads=5 | $w_pages | $(fmt "$(median "${w_wall[@]}")" 2) |" \
     "$(fmt "$wr" 0) | $(div "$(median "${w_rss[@]}")" 1024) |"
if [ "$WGET2_ONLY" = 0 ]; then
  vr=$(median "${v_rate[@]}")
  echo "| vigil crawl --per-host 5 | $v_pages | $(fmt "$(median "${v_wall[@]}")" 2) |" \
       "$(fmt "$vr" 0) | $(div "$(median "${v_rss[@]}")" 1024) |"
  echo
  echo "vigil / wget2 pages/s: $(div "$vr" "$wr" 2)"
  hr=$(median "${h_rate[@]}")
  mr=$(median "${m_rate[@]}")
  m1r=$(median "${m1_rate[@]}")
  echo
  echo "### Media: $NPHOTOS photos, 20 per page"
  echo
  echo "| run | images | hashed | images/s | vs hash |"
  echo "|---|---:|---:|---:|---:|"
  echo "| vigil hash -j 2 (files) | $NPHOTOS | $NPHOTOS | $(fmt "$hr" 1) | 1.00 |"
  echo "| vigil crawl --threads 2, K=$K ($NURLS URLs) | $m_media | $m_hashed |" \
       "$(fmt "$mr" 1) | $(div "$mr" "$hr" 2) |"
  echo "| vigil crawl --threads 2, K=1 | $m1_media | $m1_hashed |" \
       "$(fmt "$m1r" 1) | $(div "$m1r" "$hr" 2) |"
fi
