#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README's `vigil crawl` defaults that other tests only reach with options
# of their own, against a real nginx on loopback (tests/fixtures/
# nginx_hosts.sh, with server blocks written here), its access log read as
# evidence ("$msec $server_addr:$server_port $host $status $request_uri"):
#  1. a 429 or 503 backs the host off, Retry-After honoured, and the URL is
#     tried again, three tries in all: a URL answering 503 (Retry-After: 1)
#     every time is asked for exactly 3 times, at least a second apart, and
#     ends failed "HTTP 503".
#  2. robots.txt cached for 24 hours unless --robots-cache S: a crawl of
#     ~4 s with the default asks for it once; the same crawl with
#     --robots-cache 1 asks again (the control).  The 24 hours themselves
#     are only read from --help: no crawl can last a day in a test.
#  3. the caps after decompression without any option: a 9 MiB page and a
#     65 MiB image fail "too-large", while a page just under 8 MiB and an
#     image of 63 MiB do not (the controls: the caps are not smaller).
#     The big files are sparse (truncate), with a real start.
# The defaults have no option to lift them, so that each check can fail was
# shown by changing the default in the source once (see the commit).
# Usage: test_crawl_defaults.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
FIX="$ROOT/tests/fixtures"
T=$(mktemp -d)
cleanup() {
  bash "$FIX/nginx_hosts.sh" stop "$T/ng" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/files"
cat >"$T/servers.conf" <<'EOF'
server {
    listen 127.0.0.1:@PORT@;
    server_name 127.0.0.1;
    default_type text/html;
    location = /robots.txt { root @DIR@/files; }
    location = /busy { add_header Retry-After 1 always; return 503; }
    location ~ ^/chain/(?<n>[0-9]+)$ {
        return 200 '<html><body><a href="/chain/${n}1">next</a></body></html>';
    }
    location /files/ { root @DIR@; }
}
EOF
printf 'User-agent: *\nDisallow: /nowhere\n' >"$T/files/robots.txt"
MIB=$((1024 * 1024))
page() { # page FILE SIZE: HTML, then zeros (sparse)
  printf '<!doctype html><html><body><p>big</p>' >"$1"
  truncate -s "$2" "$1"
}
jpeg() { # jpeg FILE SIZE: a JPEG's first bytes (SOI, APP0 JFIF), then zeros
  printf '\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00' >"$1"
  truncate -s "$2" "$1"
}
page "$T/files/big.html" $((9 * MIB))
page "$T/files/under.html" $((8 * MIB - 4096))
jpeg "$T/files/big.jpg" $((65 * MIB))
jpeg "$T/files/under.jpg" $((63 * MIB))
printf '<!doctype html><html><body><img src="big.jpg"><img src="under.jpg"></body></html>' \
  >"$T/files/imgs.html"

bash "$FIX/nginx_hosts.sh" start "$T/servers.conf" "$T/ng" >"$T/ports" ||
  { echo "not ok - starting nginx"; exit 1; }
P=$(awk '/^PORT / {print $2}' "$T/ports")
O="http://127.0.0.1:$P"
LOG="$T/ng/access.log"

N=0
crawl() { # crawl OPTIONS...: a new store $T/N.db ($DB), this run's log lines in $RUNLOG
  N=$((N + 1)); DB="$T/$N.db"; RUNLOG="$T/$N.log"
  local from
  from=$(($(wc -l <"$LOG") + 1))
  timeout 60 "$VIGIL" crawl --db "$DB" --allow-private --quiet --json "$@" >"$T/$N.json"
  CRAWL_RC=$?
  sleep 0.3 # nginx logs a request after its answer has gone
  tail -n +"$from" "$LOG" >"$RUNLOG"
}
row_is() { # row_is URL "STATE ERROR"
  local got
  got=$(sqlite3 "$DB" "SELECT f.state || ' ' || COALESCE(f.error, '') FROM frontier f
                       JOIN urls u ON u.id = f.url_id WHERE u.url = '$1'")
  [ "$got" = "$2" ] || { echo "    $1: '$got', expected '$2'"; return 1; }
}
row_like() { # row_like URL GLOB
  local got
  got=$(sqlite3 "$DB" "SELECT f.state || ' ' || COALESCE(f.error, '') FROM frontier f
                       JOIN urls u ON u.id = f.url_id WHERE u.url = '$1'")
  # shellcheck disable=SC2053
  [[ $got == $2 ]] || { echo "    $1: '$got', expected $2"; return 1; }
}
row_unlike() { # row_unlike URL GLOB: a row, not matching
  local got
  got=$(sqlite3 "$DB" "SELECT f.state || ' ' || COALESCE(f.error, '') FROM frontier f
                       JOIN urls u ON u.id = f.url_id WHERE u.url = '$1'")
  # shellcheck disable=SC2053
  [ -n "$got" ] && [[ $got != $2 ]] || { echo "    $1: '$got', should not be $2"; return 1; }
}
count_is() { # count_is N PATTERN: lines of this run's log matching (ERE)
  local got
  got=$(grep -cE -- "$2" "$RUNLOG")
  [ "$got" -eq "$1" ] || { echo "    $got, expected $1"; grep -E -- "$2" "$RUNLOG" | sed 's/^/      /'; return 1; }
}

# ---- 1. 503 every time: tried again, then failed
crawl --seed "$O/busy" --delay 0
check "1: crawl finished" test "$CRAWL_RC" -eq 0
check "1: a URL answering 503 always: asked for exactly 3 times in all" \
  count_is 3 " 503 /busy$"
check "1: ... each try at least Retry-After (1 s) after the last" python3 - "$RUNLOG" <<'EOF'
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1]) if l.rstrip().endswith(" 503 /busy")]
gaps = [b - a for a, b in zip(t, t[1:])]
print("    gaps:", ", ".join("%.2f" % g for g in gaps))
sys.exit(0 if gaps and min(gaps) >= 0.95 else 1)
EOF
check "1: ... and the reason recorded: failed HTTP 503" row_is "$O/busy" "failed HTTP 503"

# ---- 2. robots.txt cached for the crawl by default, asked again with --robots-cache 1
crawl --seed "$O/chain/1" --delay 800 --per-host 1 --max-depth 100 --max-pages 6
check "2: a crawl of 6 pages, 800 ms apart (~4 s): finished" test "$CRAWL_RC" -eq 0
check "2: default: robots.txt asked for once" count_is 1 " /robots.txt$"
check "2: ... and the 6 pages" count_is 6 " 200 /chain/1*$"
crawl --seed "$O/chain/1" --delay 800 --per-host 1 --max-depth 100 --max-pages 6 --robots-cache 1
check "2 (control): --robots-cache 1: robots.txt asked for again" \
  bash -c "[ \$(grep -c ' /robots.txt$' '$RUNLOG') -ge 2 ]"
"$VIGIL" crawl --help >"$T/help" 2>&1
check "2: --help: the robots.txt cache's default is 86400 s (24 hours)" \
  bash -c "grep -A1 -- '--robots-cache S' '$T/help' | grep -q 'default and most: 86400'"
check "--help: the per-transfer limit's default is 60 s" \
  bash -c "grep -A1 -- '--timeout' '$T/help' | grep -q '(default 60;'"

# ---- 3. size caps after decompression, no option given
crawl --seed "$O/files/big.html" --seed "$O/files/under.html" --seed "$O/files/imgs.html" --delay 0
check "3: crawl finished" test "$CRAWL_RC" -eq 0
check "3: nginx served all five" count_is 5 " 200 /files/(big|under|imgs)\.(html|jpg)$"
check "3: a 9 MiB page: too-large (the 8 MiB default)" row_like "$O/files/big.html" "failed too-large: *"
check "3 (control): a page 4 KiB under 8 MiB: not too-large" row_unlike "$O/files/under.html" "*too-large*"
check "3: a 65 MiB image: too-large (the 64 MiB default)" row_like "$O/files/big.jpg" "failed too-large: *"
check "3 (control): a 63 MiB image: not too-large" row_unlike "$O/files/under.jpg" "*too-large*"

finish
