#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README promises of the command line that had no test (issue 22):
# passwords asked on the terminal without echo, twice (a pty); `providers
# import --dry-run` stores nothing and `-` reads stdin; `providers lookup`
# prints the README's example, line for line, from the README's own CSV;
# scripts/fetch-testdata refuses a file whose SHA-256 is wrong (a copy of
# the script on a two-photo table in a temp dir); a wrong-way include fails
# the build (a copy of the CMake project in a temp dir).
# Usage: test_cli_promises2.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
DB="$T/vigil.db"
q() { sqlite3 "$DB" "$1"; }

# ---- passwords on the terminal: prompted twice, never echoed ----
cat >"$T/tty_drive.py" <<'EOF'
import os, pty, select, signal, sys, time
# tty_drive.py OUT FIRST SECOND ARGV...: answer "New password: " and
# "Again: " on a pty; write what the terminal showed to OUT; exit with
# the command's status (124 when it hangs)
out_path, first, second, argv = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out, answers = b"", [(b"New password: ", first), (b"Again: ", second)]
deadline = time.time() + 20
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if answers and out.endswith(answers[0][0]):
        time.sleep(0.2)  # echo is off once the prompt is out
        os.write(fd, answers.pop(0)[1].encode() + b"\n")
else:
    os.kill(pid, signal.SIGKILL)
open(out_path, "wb").write(out)
_, st = os.waitpid(pid, 0)
sys.exit(124 if time.time() >= deadline else os.waitstatus_to_exitcode(st))
EOF
SECRET='tty secret horse 42'
python3 "$T/tty_drive.py" "$T/tty1" "$SECRET" "$SECRET" "$VIGIL" users add tina --db "$DB"; rc=$?
check "users add on a terminal: exit 0" test $rc -eq 0
check "  asked twice (New password:, Again:)" bash -c "[ \$(grep -c 'New password: ' '$T/tty1') -eq 1 ] && [ \$(grep -c 'Again: ' '$T/tty1') -eq 1 ]"
check "  the password typed is not echoed" bash -c "! grep -qF 'tty secret' '$T/tty1'"
check "  tina stored" test "$(q "SELECT COUNT(*) FROM users WHERE username = 'tina'")" -eq 1
python3 "$T/tty_drive.py" "$T/tty2" "$SECRET" 'another secret 42' "$VIGIL" users add tom --db "$DB"; rc=$?
check "two different passwords: refused (exit $rc)" bash -c "[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q 'the passwords differ' '$T/tty2'"
check "  tom not stored" test "$(q "SELECT COUNT(*) FROM users WHERE username = 'tom'")" -eq 0
check "  nor echoed" bash -c "! grep -qF 'secret' '$T/tty2'"

# ---- providers import --dry-run and '-'; the lookup example ----
python3 - "$ROOT/README.md" "$T" <<'EOF'
import re, sys
r = open(sys.argv[1]).read()
csv = re.search(r"```csv\n(name,abuse_emails[^`]*)```", r).group(1)
ex = re.search(r"```console\n\$ vigil providers lookup (\S+)\n([^`]*)```", r)
open(sys.argv[2] + "/p.csv", "w").write(csv)
open(sys.argv[2] + "/url", "w").write(ex.group(1))
open(sys.argv[2] + "/want", "w").write(ex.group(2))
EOF
check "the README's CSV example and lookup example found" bash -c "[ -s '$T/p.csv' ] && [ \$(wc -l <'$T/want') -ge 6 ]"
A0=$(q 'SELECT COUNT(*) FROM audit_log')
"$VIGIL" providers import "$T/p.csv" --dry-run --db "$DB" >"$T/dry" 2>&1; rc=$?
check "import --dry-run: exit 0, says nothing was written" bash -c "[ $rc -eq 0 ] && grep -q 'dry run: nothing written' '$T/dry'"
check "  nothing stored, nothing audited" bash -c "[ \$(sqlite3 '$DB' 'SELECT COUNT(*) FROM providers') -eq 0 ] && [ \$(sqlite3 '$DB' 'SELECT COUNT(*) FROM audit_log') -eq $A0 ]"
"$VIGIL" providers import - --db "$DB" <"$T/p.csv" >"$T/imp" 2>&1; rc=$?
check "import - reads stdin: exit 0, one added" bash -c "[ $rc -eq 0 ] && grep -q '^imported -: 1 providers, 1 added' '$T/imp'"
check "  Example Host stored from stdin" test "$(q "SELECT abuse_emails FROM providers WHERE name = 'Example Host'")" = 'abuse@example-host.net,noc@example-host.net'
timeout 30 "$VIGIL" providers lookup "$(cat "$T/url")" --db "$DB" >"$T/got"; rc=$?
check "lookup of the README's example: exit 0" test $rc -eq 0
check "  its output is the README's block, line for line" diff "$T/want" "$T/got"

# ---- scripts/fetch-testdata refuses a file whose SHA-256 is wrong ----
F="$T/fd"
mkdir -p "$F/scripts" "$F/tests/data/photos" "$F/cache"
cp "$ROOT/scripts/fetch-testdata" "$F/scripts/"
PH="$ROOT/tests/data/photos"
mapfile -t TWO < <(awk -F'\t' 'NR > 1 && $1 ~ /\.jpg$/ {print $1}' "$PH/SOURCES.tsv" | head -2)
head -1 "$PH/SOURCES.tsv" >"$F/tests/data/photos/SOURCES.tsv"
: >"$F/tests/data/photos/SHA256SUMS"
for n in "${TWO[@]}"; do
  awk -F'\t' -v n="$n" '$1 == n' "$PH/SOURCES.tsv" >>"$F/tests/data/photos/SOURCES.tsv"
  awk -v n="$n" '$2 == n' "$PH/SHA256SUMS" >>"$F/tests/data/photos/SHA256SUMS"
  mkdir -p "$(dirname "$F/tests/data/photos/$n")" "$(dirname "$F/cache/$n")"
  cp "$PH/$n" "$F/tests/data/photos/$n"
done
GOOD=${TWO[0]} BAD=${TWO[1]}
check "fetch-testdata copy: both photos present and checked" "$F/scripts/fetch-testdata" --check
# one byte changed in the middle of the second photo
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=1; open(p,"wb").write(b)' "$F/tests/data/photos/$BAD"
cp "$F/tests/data/photos/$BAD" "$F/cache/$BAD"
cp "$PH/$GOOD" "$F/cache/$GOOD"
"$F/scripts/fetch-testdata" --check 2>"$F/check.err"; rc=$?
check "--check: a photo with a wrong SHA-256 fails it (exit 1), naming it" bash -c "[ $rc -eq 1 ] && grep -qF '$BAD' '$F/check.err'"
# a fetch with only a corrupted copy in the cache and no way to download
mkdir "$F/bin"; printf '#!/bin/sh\nexit 100\n' >"$F/bin/apt-get"; chmod +x "$F/bin/apt-get"
SUM_BAD=$(sha256sum "$F/tests/data/photos/$BAD" | cut -c1-64)
PATH="$F/bin:$PATH" VIGIL_TESTDATA_CACHE="$F/cache" timeout 30 "$F/scripts/fetch-testdata" >"$F/fetch.out" 2>"$F/fetch.err"; rc=$?
check "a cache holding a corrupted copy: not taken, the fetch fails (exit $rc)" bash -c "[ $rc -eq 1 ] && grep -q 'could not be fetched: .*$(basename "$BAD")' '$F/fetch.err' && grep -q '0 photos copied' '$F/fetch.err'"
check "  and the wrong file is not passed off as checked" bash -c "[ \"\$(sha256sum '$F/tests/data/photos/$BAD' 2>/dev/null | cut -c1-64)\" != \"\$(awk -v n='$BAD' '\$2 == n {print \$1}' '$F/tests/data/photos/SHA256SUMS')\" ] && ! '$F/scripts/fetch-testdata' --check 2>/dev/null"

# ---- a wrong-way include fails the build ----
B="$T/build"
mkdir -p "$B/s/tests"
( cd "$ROOT" && cp -r CMakeLists.txt CMakePresets.json src include scripts web data fuzz bench deploy "$B/s/" &&
  cp -r tests/unit tests/integration tests/fixtures tests/th.h tests/algo_ahash.c "$B/s/tests/" )
cmake -S "$B/s" -B "$B/b" >"$B/cfg.log" 2>&1; rc=$?
check "the project copy configures" test $rc -eq 0
cmake --build "$B/b" --target vigil_layers >"$B/ok.log" 2>&1
check "  as it is, its layer check passes" grep -q 'Built target vigil_layers' "$B/ok.log"
printf '#include "vigil/store.h"\n' >>"$B/s/src/util/alloc.c"
cmake --build "$B/b" --target vigil_util >"$B/bad.log" 2>&1; rc=$?
check "util/alloc.c including vigil/store.h: building the util module fails" test $rc -ne 0
check "  naming the file and the include" grep -q 'check-layers: src/util/alloc.c: includes vigil/store.h (module store)' "$B/bad.log"
check "  before anything of util was compiled" bash -c "! ls '$B/b'/CMakeFiles/vigil_util.dir/src/util/*.o >/dev/null 2>&1"
finish
