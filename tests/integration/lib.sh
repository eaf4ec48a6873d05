# SPDX-License-Identifier: Apache-2.0
# Shared helpers for integration tests: assertions that count, and the
# closing line "N passed, N failed".  Source it; call `finish` at the end.
PASS=0; FAIL=0
ok()   { PASS=$((PASS + 1)); echo "ok - $*"; }
bad()  { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
check() { # check DESCRIPTION COMMAND...
  local d=$1; shift
  if "$@"; then ok "$d"; else bad "$d"; fi
}
finish() {
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
}

# store_init PATH: the test's store in DB.  PATH (SQLite) by default; when
# $VIGIL_TEST_PG names the folder of a test PostgreSQL server (ctest's pg
# fixture: the *_pg runs of the tests that call this), a new database on it
# instead, with the keys a file path would have beside it given by the
# environment (VIGIL_AUDIT_KEY, VIGIL_AUDIT_HEAD) and to serve_start
# (--key-file $SEAL_KEY); `sqlite3 "$DB" ...` then runs on PostgreSQL
# (tests/fixtures/sql_pg.py).
SERVE_KEY=()
store_init() {
  DB=$1 SEAL_KEY=$1.key
  [ -n "${VIGIL_TEST_PG:-}" ] || return 0
  DB=$(db_for "$1") || return 1
  export VIGIL_AUDIT_KEY="$1.audit-key" VIGIL_AUDIT_HEAD="$1.audit-head"
  SERVE_KEY=(--key-file "$1.key")
}
VIGIL_SQL_PG="$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)/sql_pg.py"
export VIGIL_SQL_PG
# db_for PATH: the URL of one more store (as store_init: PATH, or a new
# PostgreSQL database), printed; store_init first.
db_for() {
  if [ -z "${VIGIL_TEST_PG:-}" ]; then echo "$1"; return; fi
  local name port
  name="t$$_$(basename "$1" | tr -cd 'a-z0-9')"
  port=$(cat "$VIGIL_TEST_PG/port")
  psql -X -q -d "postgresql://vigil@/postgres?host=$VIGIL_TEST_PG&port=$port" \
    -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $name" \
    -c "CREATE DATABASE $name" >&2 || return 1
  echo "postgresql://vigil@/$name?host=$VIGIL_TEST_PG&port=$port"
}
sqlite3() {
  case $1 in
  postgresql:*) python3 "$VIGIL_SQL_PG" "$@" ;;
  *) command sqlite3 "$@" ;;
  esac
}
export -f sqlite3

# serve_start [OPTIONS...]: `vigil serve` ($VIGIL) on a free port of
# 127.0.0.1 with the store $DB, no crawl and no rate limit (OPTIONS come
# after, so they may set one), its output in $T/serve.out and
# $T/serve.err.  Sets PID, PORT (empty when it did not start within 30 s,
# or stopped) and U, the server's base URL.
serve_start() {
  "$VIGIL" serve --db "$DB" --no-crawl --listen 127.0.0.1:0 --rate-limit 0 \
    "${SERVE_KEY[@]}" "$@" \
    >"$T/serve.out" 2>"$T/serve.err" &
  PID=$!
  PORT=
  for _ in $(seq 600); do # 30 s: the ASan build starts slowly
    PORT=$(sed -n 's|^vigil: serving on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' \
      "$T/serve.out" 2>/dev/null)
    [ -n "$PORT" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  U="http://127.0.0.1:$PORT"
}

# The browser tests' node packages: node, npm and CHROMIUM present, then
# `npm ci` of SRC's lock file into DEPS (again only when the lock file
# changed), no browser downloaded; each MODULE must be there after.
# Returns 1 (said) on failure.  Usage: browser_deps SRC DEPS CHROMIUM MODULE...
browser_deps() {
  local src=$1 deps=$2 chromium=$3 tool m have=1 log
  shift 3
  for tool in node npm "$chromium"; do
    command -v "$tool" >/dev/null || { bad "$tool is missing: run scripts/install-deps"; return 1; }
  done
  for m in "$@"; do [ -d "$deps/node_modules/$m" ] || have=0; done
  if [ $have = 1 ] && cmp -s "$src/package-lock.json" "$deps/package-lock.json"; then
    ok "$* already installed in $deps"
    return 0
  fi
  mkdir -p "$deps"
  cp "$src/package.json" "$src/package-lock.json" "$deps/"
  log=$(mktemp)
  if (cd "$deps" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 600 \
        npm ci --prefer-offline --no-audit --no-fund --ignore-scripts) >"$log" 2>&1; then
    rm -f "$log"
    ok "npm ci: $(for m in "$@"; do printf '%s %s ' "$m" "$(node -p "require('$deps/node_modules/$m/package.json').version")"; done)in $deps"
    return 0
  fi
  cat "$log"; rm -f "$log"
  rm -f "$deps/package-lock.json" # try again next time
  bad "npm ci in $deps"
  return 1
}
