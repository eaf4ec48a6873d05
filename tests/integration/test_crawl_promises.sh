#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The promises of README's `vigil crawl` section that test_crawl.sh does not
# reach, against a real nginx on loopback (tests/fixtures/nginx_hosts.sh
# with tests/fixtures/crawl_promises.conf: name-based servers on one port,
# a second port and 127.0.0.2 as private targets) and, for a robots.txt
# that never answers, tests/fixtures/slow_robots_server.py.  Each promise
# is checked in the store (frontier state and error) and in the server's
# own log (what was asked for, per $server_addr:$server_port and $host),
# and each is run once with the option that lifts it, to show the check
# would see the promise broken.
#
# Names: every host is NAME.localhost, which libcurl (7.88, Debian 12)
# resolves to loopback itself (::1, 127.0.0.1) without DNS or /etc/hosts;
# Vigil has no rule of its own about "localhost" names (src/crawl never
# compares a host with it), so a name is refused only by the connect-time
# check on the address.  For libpsl `localhost` is not a listed suffix, so
# the default rule ("*") makes it the public suffix and example.localhost
# the registrable domain of a.example.localhost and b.example.localhost:
# one site, while other.localhost, third.localhost and fourth.localhost
# are sites of their own.  Vigil's own site-scope code (site_of in
# src/crawl/crawler.c) is what part 3 exercises: a default crawl from a
# reaches b and nothing else.
#
#  1. SSRF after DNS and redirects, without --allow-private: a name that
#     resolves to loopback; from an origin allowed on purpose
#     (--allow-private-addr 127.0.0.1:PORT), redirects to the same address
#     on another port, to 127.0.0.2, to a name resolving to loopback, and a
#     chain of three redirects ending private.
#  2. Trap bounds: a calendar (every day links to the next day and month,
#     for ever) and a shop whose every link carries a new session id, with
#     small --max-host-pages and --max-pattern: the pages fetched are
#     exactly the bound, and the crawl ends by itself.
#  3. Site scope: default, --same-site, --follow-offsite 1 and 2.
#  4. robots.txt: 5xx (disallow all, RFC 9309 2.3.1.4), 4xx (allow all,
#     2.3.1.3), unreachable (redirected to a private address; never
#     answering: the timeout): the host's pages are not asked for.  A
#     refused connection is not tested: the page would fail on it too, so
#     nothing outside Vigil could tell the two apart.
# Usage: test_crawl_promises.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
FIX="$ROOT/tests/fixtures"
T=$(mktemp -d)
SLOW_PID=
cleanup() {
  bash "$FIX/nginx_hosts.sh" stop "$T/ng" >/dev/null 2>&1
  [ -n "$SLOW_PID" ] && kill "$SLOW_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

bash "$FIX/nginx_hosts.sh" start "$FIX/crawl_promises.conf" "$T/ng" >"$T/ports" ||
  { echo "not ok - starting nginx"; exit 1; }
P=$(awk '/^PORT / {print $2}' "$T/ports"); P2=$(awk '/^PORT2 / {print $2}' "$T/ports")
LOG="$T/ng/access.log"
python3 "$FIX/slow_robots_server.py" --sleep 10 --log "$T/slow.log" >"$T/slow.out" 2>/dev/null &
SLOW_PID=$!
for _ in $(seq 100); do grep -q '^PORT' "$T/slow.out" && break; sleep 0.1; done
SP=$(awk '/^PORT/ {print $2}' "$T/slow.out")
[ -n "$P" ] && [ -n "$P2" ] && [ -n "$SP" ] || { echo "not ok - ports ($P, $P2, $SP)"; exit 1; }

N=0
crawl() { # crawl OPTIONS...: a new store $T/N.db ($DB), log lines from here in $RUNLOG
  N=$((N + 1)); DB="$T/$N.db"; RUNLOG="$T/$N.log"
  local from
  from=$(($(wc -l <"$LOG") + 1))
  timeout 60 "$VIGIL" crawl --db "$DB" --delay 0 --quiet --json "$@" >"$T/$N.json"
  CRAWL_RC=$?
  sleep 0.3 # nginx logs a request after its answer has gone
  tail -n +"$from" "$LOG" >"$RUNLOG"
}
rows() { # the store's URLs: "state url error", sorted
  sqlite3 "$DB" "SELECT f.state || ' ' || u.url || ' ' || COALESCE(f.error, '')
                 FROM frontier f JOIN urls u ON u.id = f.url_id ORDER BY u.url"
}
row_is() { # row_is URL "STATE ERROR": that URL's row in the store
  local got
  got=$(sqlite3 "$DB" "SELECT f.state || ' ' || COALESCE(f.error, '') FROM frontier f
                       JOIN urls u ON u.id = f.url_id WHERE u.url = '$1'")
  [ "$got" = "$2" ] || { echo "    $1: '$got', expected '$2'"; return 1; }
}
asked() { # asked PATTERN: lines of this run's nginx log that match (ERE)
  grep -E -- "$1" "$RUNLOG"
}
was_asked() { asked "$1" >/dev/null; }
none_asked() { # none_asked PATTERN
  ! asked "$1" >/dev/null || { echo "    asked:"; asked "$1" | sed 's/^/      /'; return 1; }
}
count_is() { # count_is N COMMAND...: the command prints N lines
  local got
  got=$("${@:2}" | wc -l)
  [ "$got" -eq "$1" ] || { echo "    $got, expected $1"; return 1; }
}
finished() { test "$CRAWL_RC" -eq 0 && grep -q '"status":"finished"' "$T/$N.json"; }
PRIV="private: refused: not a public address"
O="http://127.0.0.1:$P"

# ---- 1. SSRF after DNS and redirects (no --allow-private)
# a) a name that resolves to loopback, nothing allowed
crawl --seed "http://evil.localhost:$P/"
check "1a: a name resolving to loopback is refused, with its reason" \
  row_is "http://evil.localhost:$P/" "failed $PRIV"
check "1a: nginx heard nothing for it" none_asked " evil\.localhost "
crawl --seed "http://evil.localhost:$P/" --allow-private
check "1a (control): with --allow-private the same seed reaches nginx" \
  was_asked " evil\.localhost 200 /$"

# b, c) the origin 127.0.0.1:$P allowed, its redirects to private targets
SEEDS=(--seed "$O/" --seed "$O/to-port2" --seed "$O/to-dot2" --seed "$O/to-name"
       --seed "$O/chain/1" --seed "http://inside.localhost:$P2/secret")
crawl "${SEEDS[@]}" --allow-private-addr "127.0.0.1:$P"
check "1b: the allowed origin is crawled (its page and link)" \
  bash -c "$(declare -f row_is); DB='$DB'; row_is '$O/' 'done ' && row_is '$O/ok' 'done '"
check "1b: redirect to the same address, another port: refused" row_is "$O/to-port2" "failed $PRIV"
check "1b: redirect to 127.0.0.2: refused" row_is "$O/to-dot2" "failed $PRIV"
check "1b: redirect to a name resolving to loopback: refused" row_is "$O/to-name" "failed $PRIV"
check "1a: a name resolving to loopback on a port not allowed: refused" \
  row_is "http://inside.localhost:$P2/secret" "failed $PRIV"
check "1c: a chain of three redirects ending private: refused" row_is "$O/chain/1" "failed $PRIV"
check "1b, 1c: every redirect was answered (the refusal is at the target)" \
  count_is 6 asked " 127\.0\.0\.1 302 /(to-port2|to-dot2|to-name|chain/[123])$"
check "1b, 1c: no request reached a private target" \
  none_asked "^[0-9.]+ (127\.0\.0\.1:$P2|127\.0\.0\.2:[0-9]+) "
check "1: crawl finished" finished
crawl "${SEEDS[@]}" --allow-private
check "1 (control): with --allow-private the targets are reached" \
  count_is 5 asked "^[0-9.]+ (127\.0\.0\.1:$P2|127\.0\.0\.2:$P) .* /secret$"

# ---- 2. trap bounds
# (--max-pages 100: a backstop, so that a broken bound fails the checks
# instead of crawling for ever)
CAL="http://cal.localhost:$P/cal/1"
pages_done() { sqlite3 "$DB" "SELECT COUNT(*) FROM frontier WHERE state = 'done' AND host = '$1'"; }
asked_pages() { asked " $1 200 /" | grep -v ' /robots.txt$'; }
crawl --seed "$CAL" --allow-private --max-depth 1000 --max-pages 100 \
  --max-host-pages 12 --max-pattern 0
check "2: calendar, --max-host-pages 12: ends by itself" finished
check "2: calendar, --max-host-pages 12: 12 pages in the store" test "$(pages_done cal.localhost)" -eq 12
check "2: calendar, --max-host-pages 12: 12 pages in nginx's log" count_is 12 asked_pages cal.localhost
check "2: calendar: the links left out counted as trapped" grep -q '"trapped":[1-9]' "$T/$N.json"
crawl --seed "$CAL" --allow-private --max-depth 1000 --max-pages 100 \
  --max-host-pages 0 --max-pattern 7
check "2: calendar, --max-pattern 7: ends by itself" finished
check "2: calendar, --max-pattern 7: 7 pages in the store" test "$(pages_done cal.localhost)" -eq 7
check "2: calendar, --max-pattern 7: 7 pages in nginx's log" count_is 7 asked_pages cal.localhost
# the shop: / is a pattern of its own, /item?sid=* and /<long token> (the
# ;jsessionid= segment) one each: 1 + 5 + 5
crawl --seed "http://shop.localhost:$P/" --allow-private --max-depth 1000 \
  --max-pages 100 --max-pattern 5
check "2: session ids, --max-pattern 5: ends by itself" finished
check "2: session ids, --max-pattern 5: 11 pages in the store" test "$(pages_done shop.localhost)" -eq 11
check "2: session ids: 5 with ?sid= in nginx's log" count_is 5 asked " shop\.localhost 200 /item\?sid=[0-9a-f]{32}$"
check "2: session ids: 5 with ;jsessionid= in nginx's log" \
  count_is 5 asked " shop\.localhost 200 /list;jsessionid=[0-9a-f]{32}$"
check "2: session ids: 11 pages in nginx's log" count_is 11 asked_pages shop.localhost
crawl --seed "$CAL" --seed "http://shop.localhost:$P/" --allow-private --max-depth 1000 \
  --max-host-pages 0 --max-pattern 0 --max-pages 60
check "2 (control): without the bounds both traps go on (60 pages, stopped)" \
  bash -c "grep -q '\"status\":\"stopped\"' '$T/$N.json' && [ \$(grep -c ' 200 /' '$RUNLOG') -eq 60 ]"

# ---- 3. site scope
A="http://a.example.localhost:$P/"
store_hosts() { sqlite3 "$DB" "SELECT DISTINCT host FROM frontier WHERE state = 'done' ORDER BY host" | tr '\n' ' '; }
log_hosts() { grep -v ' /robots.txt$' "$RUNLOG" | awk '$4 == 200 {print $3}' | sort -u | tr '\n' ' '; }
hosts_are() { # hosts_are "HOST..." (sorted): done in the store and asked of nginx
  local s l
  s=$(store_hosts); l=$(log_hosts)
  [ "$s" = "$1 " ] && [ "$l" = "$1 " ] ||
    { echo "    store: $s; nginx: $l; expected: $1"; return 1; }
}
SITE="a.example.localhost b.example.localhost"
crawl --seed "$A" --allow-private --max-depth 10
check "3: default: the seed's registrable domain only (a, b)" hosts_are "$SITE"
crawl --seed "$A" --allow-private --max-depth 10 --same-site
check "3: --same-site: a, b" hosts_are "$SITE"
crawl --seed "$A" --allow-private --max-depth 10 --follow-offsite 1
check "3: --follow-offsite 1: a, b and one site away (other, both its pages)" \
  bash -c "$(declare -f hosts_are store_hosts log_hosts); DB='$DB' RUNLOG='$RUNLOG';
           hosts_are 'a.example.localhost b.example.localhost other.localhost' &&
           [ \$(grep -c ' other.localhost 200 /2\?$' '$RUNLOG') -eq 2 ]"
crawl --seed "$A" --allow-private --max-depth 10 --follow-offsite 2
check "3: --follow-offsite 2: also third, not fourth" \
  hosts_are "a.example.localhost b.example.localhost other.localhost third.localhost"

# ---- 4. robots.txt (no --ignore-robots); only the test origins allowed
RSEEDS=(--seed "http://r500.localhost:$P/" --seed "http://r404.localhost:$P/"
        --seed "http://rpriv.localhost:$P/" --seed "http://127.0.0.1:$SP/")
RALLOW=(--allow-private-addr "127.0.0.1:$P" --allow-private-addr "127.0.0.1:$SP")
: >"$T/slow.log"
start=$(date +%s)
crawl "${RSEEDS[@]}" "${RALLOW[@]}" --timeout 1
took=$(($(date +%s) - start))
check "4: crawl finished (${took}s)" bash -c "[ $CRAWL_RC -eq 0 ] && [ $took -lt 15 ]"
check "4: 5xx robots.txt: disallow all, recorded" \
  row_is "http://r500.localhost:$P/" "failed disallowed by robots.txt"
check "4: 5xx robots.txt: only robots.txt asked for" \
  bash -c "[ \"\$(grep ' r500.localhost ' '$RUNLOG' | awk '{print \$4, \$5}')\" = '500 /robots.txt' ]"
check "4: 4xx robots.txt: allow all (both pages done)" \
  bash -c "$(declare -f row_is); DB='$DB'; row_is 'http://r404.localhost:$P/' 'done ' &&
           row_is 'http://r404.localhost:$P/2' 'done '"
check "4: robots.txt redirected to a private address: not crawled, why recorded" \
  row_is "http://rpriv.localhost:$P/" "failed $PRIV"
check "4: ... only its robots.txt asked for, the private target never" \
  bash -c "[ \"\$(grep -E ' rpriv.localhost |^[0-9.]+ 127.0.0.2:' '$RUNLOG' | awk '{print \$4, \$5}')\" = '302 /robots.txt' ]"
check "4: robots.txt that never answers: not crawled, the timeout recorded" \
  bash -c "sqlite3 '$DB' \"SELECT f.state || ' ' || f.error FROM frontier f JOIN urls u
           ON u.id = f.url_id WHERE u.url = 'http://127.0.0.1:$SP/'\" | grep -q '^failed timeout: '"
check "4: ... the server was asked for robots.txt only" \
  bash -c "[ \"\$(cut -d' ' -f2 '$T/slow.log' | tr '\n' ' ')\" = '/robots.txt ' ]"
: >"$T/slow.log"
crawl "${RSEEDS[@]}" "${RALLOW[@]}" --timeout 1 --ignore-robots
check "4 (control): with --ignore-robots the pages of all three are asked for" \
  bash -c "grep -q ' r500.localhost 200 /$' '$RUNLOG' && grep -q ' rpriv.localhost 200 /$' '$RUNLOG' &&
           grep -qx '127.0.0.1:$SP /' '$T/slow.log'"

finish
