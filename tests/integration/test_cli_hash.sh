#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `vigil hash` end to end: options, output formats, order with -j, stdin,
# and hostile input (empty, random, truncated, huge headers, over-size
# files, unreadable files): each gets a clear error, memory stays bounded,
# and the other files are still hashed.
# Usage: test_cli_hash.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1; DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d); trap 'chmod -R u+rwx "$T"; rm -rf "$T"' EXIT
HEX='[0-9a-f]{64}'

# --- the command line
check "--version" bash -c "'$VIGIL' --version | grep -Eq '^vigil [0-9]+\.[0-9]+\.[0-9]+$'"
check "--help lists hash" bash -c "'$VIGIL' --help | grep -q '^  hash '"
check "hash --help" bash -c "'$VIGIL' hash --help | grep -q -- '--dihedral'"
"$VIGIL" hash --bogus x >/dev/null 2>"$T/err"; rc=$?
check "unknown option exits 2" test $rc -eq 2
check "unknown option names it" grep -q -- "--bogus" "$T/err"
"$VIGIL" frobnicate >/dev/null 2>&1; check "unknown command exits 2" test $? -eq 2
"$VIGIL" --frob >/dev/null 2>"$T/err"; rc=$?
check "unknown global option exits 2" test $rc -eq 2
check "unknown global option prints usage" grep -q "^Usage: vigil" "$T/err"
"$VIGIL" help hash | grep -q -- "--prescale-512"; check "vigil help hash" test $? -eq 0
"$VIGIL" hash >/dev/null 2>&1; check "no PATH exits 2" test $? -eq 2
"$VIGIL" hash -j 0 x >/dev/null 2>&1; check "-j 0 exits 2" test $? -eq 2

# --- the samples, default format (reference-compatible)
"$VIGIL" hash "$ROOT/samples" >"$T/out" 2>"$T/err"; rc=$?
check "samples hash, exit 0" test $rc -eq 0
check "one line per image (5), credits file skipped" test "$(wc -l <"$T/out")" -eq 5
check "PDQHEX,QUALITY,PATH" bash -c "grep -Evc '^$HEX,[0-9]+,$ROOT/samples/' '$T/out' | grep -qx 0"
check "directory order is sorted" bash -c "cut -d, -f3 '$T/out' | sort -c"

# --- JSON Lines, with dihedral
"$VIGIL" hash --json --dihedral "$ROOT/samples" >"$T/json" 2>/dev/null
check "json fields" python3 - "$T/json" <<'PY'
import json, sys, re
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 5, rows
for r in rows:
    for k, n in (("pdq", 64), ("md5", 32), ("sha1", 40), ("sha256", 64)):
        assert re.fullmatch("[0-9a-f]{%d}" % n, r[k]), (k, r)
    assert 0 <= r["quality"] <= 100 and r["width"] > 0 and r["height"] > 0
    assert len(r["dihedral"]) == 8 and r["dihedral"][0] == r["pdq"]
import hashlib
r = rows[0]
b = open(r["path"], "rb").read()
assert r["sha256"] == hashlib.sha256(b).hexdigest()
assert r["md5"] == hashlib.md5(b).hexdigest()
assert r["sha1"] == hashlib.sha1(b).hexdigest()
PY

# --- -j: same output, same order
ls "$DATA"/photos/0*.webp | head -40 >"$T/list"
"$VIGIL" hash -j 1 $(cat "$T/list") >"$T/j1" 2>/dev/null
"$VIGIL" hash -j 2 $(cat "$T/list") >"$T/j2" 2>/dev/null
"$VIGIL" hash -j 7 $(cat "$T/list") >"$T/j7" 2>/dev/null
check "-j 2 output identical to -j 1" cmp -s "$T/j1" "$T/j2"
check "-j 7 output identical to -j 1" cmp -s "$T/j1" "$T/j7"
check "input order kept" bash -c "diff <(cut -d, -f3 '$T/j1') '$T/list' >/dev/null"

# --- stdin
a=$("$VIGIL" hash "$ROOT/samples/seeding.jpg" | cut -d, -f1,2)
b=$("$VIGIL" hash - <"$ROOT/samples/seeding.jpg" | cut -d, -f1,2)
check "stdin '-' hashes like the file" test "$a" = "$b"
check "stdin path printed as -" bash -c "'$VIGIL' hash - <'$ROOT/samples/seeding.jpg' | grep -Eq '^$HEX,[0-9]+,-$'"

# --- prescale and fast are accepted, and exclusive
"$VIGIL" hash --fast --prescale-512 x >/dev/null 2>&1
check "--fast with --prescale-512 exits 2" test $? -eq 2

# --- hostile input
J=$DATA/photos/0015.jpg; P=$(ls "$DATA"/photos/*.png | head -1); W=$DATA/photos/0135.webp
mkdir "$T/bad"
: >"$T/bad/empty.jpg"
head -c 5000 /dev/urandom >"$T/bad/random.bin"
head -c 30000 "$J" >"$T/bad/trunc.jpg"
head -c 200 "$J" >"$T/bad/header-only.jpg"
head -c 20000 "$P" >"$T/bad/trunc.png"
head -c 60 "$P" >"$T/bad/header-only.png"
head -c 9000 "$W" >"$T/bad/trunc.webp"
head -c 300 "$ROOT/samples/fish.gif" >"$T/bad/trunc.gif"
python3 - "$T/bad/huge.png" <<'PY'
import struct, zlib, sys
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
idat = zlib.compress(b"\0" * 1000)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
PY
cp "$ROOT/samples/seeding.jpg" "$T/bad/good.jpg"
for f in "$T"/bad/*; do
  /usr/bin/time -f "%M" -o "$T/rss" "$VIGIL" hash --json "$f" >"$T/o" 2>"$T/e"; rc=$?
  name=$(basename "$f")
  check "$name: no crash (exit $rc)" test $rc -le 1
  check "$name: memory bounded ($(cat "$T/rss") KB)" test "$(tail -1 "$T/rss")" -lt 200000
  check "$name: never an all-zero hash" bash -c "! grep -q '\"pdq\":\"0\{64\}\"' '$T/o'"
  if [ $rc -eq 1 ]; then
    check "$name: clear error on stderr" grep -Eq "vigil: .*$name: .+" "$T/e"
    check "$name: JSON error object" python3 -c "import json,sys; r=json.load(open('$T/o')); assert r['error'] and r['path'].endswith('$name')"
  else
    check "$name: hashed" grep -Eq "\"pdq\":\"$HEX\"" "$T/o"
  fi
done
check "empty file is an error" bash -c "'$VIGIL' hash '$T/bad/empty.jpg' 2>&1 >/dev/null | grep -q 'unsupported format'"
check "random bytes: unsupported format" bash -c "'$VIGIL' hash '$T/bad/random.bin' 2>&1 >/dev/null | grep -q 'unsupported format'"
check "huge PNG refused from its header" bash -c "'$VIGIL' hash '$T/bad/huge.png' 2>&1 >/dev/null | grep -q 'exceeds the configured limit'"
check "truncated JPEG hashed with a warning" bash -c "'$VIGIL' hash '$T/bad/trunc.jpg' 2>&1 >/dev/null | grep -q 'warning'"
check "truncated JPEG: JSON warning field" bash -c "'$VIGIL' hash --json '$T/bad/trunc.jpg' 2>/dev/null | python3 -c 'import json,sys; r=json.load(sys.stdin); assert \"truncated\" in r[\"warning\"] and len(r[\"pdq\"])==64'"
"$VIGIL" hash --max-size 10K "$J" >/dev/null 2>"$T/e"; rc=$?
check "file over --max-size: exit 1" test $rc -eq 1
check "file over --max-size: says so" grep -q "over the limit" "$T/e"
"$VIGIL" hash --max-pixels 1M "$J" >/dev/null 2>"$T/e"
check "image over --max-pixels: says so" grep -q "exceeds the configured limit" "$T/e"

# the run goes on: one command over all bad files and a good one
"$VIGIL" hash "$T/bad" >"$T/o" 2>"$T/e"; rc=$?
check "mixed directory: exit 1" test $rc -eq 1
check "mixed directory: good file still hashed" grep -q "good.jpg" "$T/o"

# unreadable files and directories (as an unprivileged user when root)
mkdir -p "$T/perm/sub"; cp "$J" "$T/perm/a.jpg"; cp "$J" "$T/perm/c.jpg"
cp "$J" "$T/perm/b.jpg"; chmod 000 "$T/perm/b.jpg"; chmod 000 "$T/perm/sub"
RUN=(); V=$VIGIL
if [ "$(id -u)" -eq 0 ]; then
  # root reads everything: run as nobody, from a copy nobody can reach
  cp "$VIGIL" "$T/vigil"; chmod 755 "$T/vigil"; V=$T/vigil
  chmod 755 "$T"; chmod -R o+rX "$T/perm" 2>/dev/null; chmod 000 "$T/perm/b.jpg" "$T/perm/sub"
  RUN=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
"${RUN[@]}" "$V" hash "$T/perm" >"$T/o" 2>"$T/e"; rc=$?
check "unreadable: exit 1" test $rc -eq 1
check "unreadable file reported" grep -q "b.jpg: permission denied" "$T/e"
check "unreadable directory reported" grep -q "sub: permission denied" "$T/e"
check "readable files hashed (2)" test "$(wc -l <"$T/o")" -eq 2
finish
