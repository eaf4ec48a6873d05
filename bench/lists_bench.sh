#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The list store at scale: import N random PDQ hashes (default 10 million)
# into a fresh SQLite store with `vigil lists import`, then time
# `vigil match` on one image, which loads every hash into the index before
# it answers (ready-to-query time), with its peak memory.  Prints a
# Markdown table.  Targets: import < 60 s, ready < 15 s.
# Usage: bench/lists_bench.sh [N] [VIGIL_BINARY]
set -euo pipefail
N=${1:-10000000}
VIGIL=${2:-build/release/vigil}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

python3 - "$N" >"$T/pdq.txt" <<'PY'
import os, sys
n = int(sys.argv[1])
out = sys.stdout
for start in range(0, n, 1_000_000):
    k = min(1_000_000, n - start)
    h = os.urandom(32 * k).hex()
    out.write("\n".join(h[i * 64:(i + 1) * 64] for i in range(k)))
    out.write("\n")
PY
"$VIGIL" lists create big --db "$T/db" >/dev/null
measure() { # measure LABEL COMMAND... -> "elapsed user sys maxrss_kb"
  /usr/bin/time -f "%e %U %S %M" -o "$T/time" "$@" >/dev/null 2>"$T/err" || {
    cat "$T/err" >&2; exit 1; }
  cat "$T/time"
}
read -r ie iu is im < <(measure "$VIGIL" lists import big "$T/pdq.txt" --algo pdq --db "$T/db")
sync
read -r le lu ls lm < <(measure "$VIGIL" match --db "$T/db" samples/fish.gif)
size=$(du -m "$T/db" | cut -f1)
echo "| step ($N PDQ hashes) | elapsed | user | sys | peak RSS |"
echo "|---|---|---|---|---|"
echo "| \`vigil lists import\` (parse, check, sort, one transaction) | $ie s | $iu s | $is s | $((im / 1024)) MB |"
echo "| \`vigil match\` of one image (load all, build index, answer) | $le s | $lu s | $ls s | $((lm / 1024)) MB |"
echo
echo "Store file: $size MB ($((size * 1024 * 1024 / N)) bytes a hash)."
