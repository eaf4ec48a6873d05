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

# serve_start [OPTIONS...]: `vigil serve` ($VIGIL) on a free port of
# 127.0.0.1 with the store $DB, no crawl and no rate limit (OPTIONS come
# after, so they may set one), its output in $T/serve.out and
# $T/serve.err.  Sets PID, PORT (empty when it did not start within 30 s,
# or stopped) and U, the server's base URL.
serve_start() {
  "$VIGIL" serve --db "$DB" --no-crawl --listen 127.0.0.1:0 --rate-limit 0 "$@" \
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
