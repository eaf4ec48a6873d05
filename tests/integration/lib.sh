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
