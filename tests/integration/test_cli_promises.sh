#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README promises of the command line that no other test held: file names
# that are not UTF-8 kept as \udcXX escapes; the default limits (128M
# pixels, 256M bytes) refusing before any pixel buffer is made; a PDQ below
# quality 50 not looked up while its digests are; where the store is
# without --db (sqlite:PATH, $VIGIL_DB, $XDG_DATA_HOME, ~/.local/share).
# Usage: test_cli_promises.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1; DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

# --- file names that are not UTF-8
mkdir "$T/names"
cp "$DATA/photos/0001.jpg" "$T/names/$(printf 'caf\xe9-\xff.jpg')"
"$VIGIL" hash --json "$T/names" >"$T/names.json"; rc=$?
check "a Latin-1 file name: hashed, exit 0" test $rc -eq 0
check "  its bytes kept as \\udcXX escapes (surrogateescape)" python3 - "$T/names.json" "$T/names" <<'EOF'
import json, os, sys
o = json.loads(open(sys.argv[1]).read())
want = os.path.join(sys.argv[2], "caf\udce9-\udcff.jpg")  # what Python itself gives
print("  path: %r" % o["path"])
sys.exit(0 if o["path"] == want and os.fsencode(o["path"]).endswith(b"caf\xe9-\xff.jpg") else 1)
EOF
check "  and its CSV line names the same bytes" bash -c "'$VIGIL' hash '$T/names' | grep -qa \$(printf 'caf\\xe9-\\xff.jpg')"

# --- the default limits, before any pixel buffer
# a PNG whose header says 16384 x 8193 (134,234,112 pixels > 128M = 128,000,000)
python3 - "$T/big.png" <<'EOF'
import struct, sys, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
ihdr = struct.pack(">IIBBBBB", 16384, 8193, 8, 0, 0, 0, 0)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
                              chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))
EOF
/usr/bin/time -f '%M' -o "$T/big.rss" "$VIGIL" hash "$T/big.png" >"$T/big.out" 2>"$T/big.err"; rc=$?
check "134M pixels (default --max-pixels 128M): refused, exit 1, saying why" bash -c "[ $rc -eq 1 ] && grep -q '16384x8193 pixels exceed the limit of 128000000' '$T/big.err'"
check "  before a pixel buffer was made (peak RSS under 64 MB)" test "$(tail -1 "$T/big.rss")" -lt 65536
"$VIGIL" hash --max-pixels 200M "$T/big.png" >/dev/null 2>"$T/big2.err"
check "  with --max-pixels 200M it gets past the limit (to the missing pixel data)" grep -q 'corrupt data: PNG: IDAT stream too short' "$T/big2.err"
truncate -s 257M "$T/huge.jpg"
printf '\xff\xd8\xff\xe0' | dd of="$T/huge.jpg" conv=notrunc status=none
/usr/bin/time -f '%M' -o "$T/huge.rss" "$VIGIL" hash "$T/huge.jpg" >/dev/null 2>"$T/huge.err"; rc=$?
check "a 257 MB file (default --max-size 256M): refused, exit 1, saying why" bash -c "[ $rc -eq 1 ] && grep -q 'file is 269484032 bytes, over the limit of 268435456' '$T/huge.err'"
check "  without reading it into memory (peak RSS under 64 MB)" test "$(tail -1 "$T/huge.rss")" -lt 65536

# --- below quality 50: the PDQ is not looked up, the digests are
DB="$T/q.db"
convert -size 200x200 xc:gray50 "$T/flat.png"
cp "$T/flat.png" "$T/flat-copy.png"
"$VIGIL" hash --json "$T/flat.png" >"$T/flat.json"
check "a flat grey image has a PDQ of quality below 50" python3 -c "import json,sys; sys.exit(0 if json.load(open('$T/flat.json'))['quality'] < 50 else 1)"
"$VIGIL" lists create flat --db "$DB" >/dev/null
"$VIGIL" lists import flat "$T/flat.json" --db "$DB" --min-quality 0 >/dev/null
"$VIGIL" match --json --db "$DB" "$T/flat-copy.png" >"$T/m.json" 2>"$T/m.err"; rc=$?
check "the same bytes: matched (exit 1) by digests only, never by PDQ" python3 - "$T/m.json" $rc <<'EOF'
import json, sys
o = json.loads(open(sys.argv[1]).read())
algos = sorted(m["algo"] for m in o["matches"])
print("  matched by: %s" % algos)
sys.exit(0 if sys.argv[2] == "1" and algos and "pdq" not in algos and "sha256" in algos else 1)
EOF
convert -size 200x200 xc:gray51 "$T/other-flat.png"
"$VIGIL" match --db "$DB" "$T/other-flat.png" >"$T/m2.out" 2>"$T/m2.err"; rc=$?
check "another flat image (its PDQ within distance, not looked up): no match" bash -c "[ $rc -eq 0 ] && grep -q 'no-known-match' '$T/m2.out'"

# --- where the store is without --db
export -n VIGIL_DB 2>/dev/null; unset VIGIL_DB
"$VIGIL" lists create a --db "sqlite:$T/s/explicit.db" >/dev/null
check "sqlite:PATH: the database made there (with its folder)" test -s "$T/s/explicit.db"
VIGIL_DB="$T/env.db" "$VIGIL" lists create b >/dev/null
check "\$VIGIL_DB when no --db" test -s "$T/env.db"
XDG_DATA_HOME="$T/xdg" HOME="$T/home" "$VIGIL" lists create c >/dev/null
check "else \$XDG_DATA_HOME/vigil/vigil.db" test -s "$T/xdg/vigil/vigil.db"
env -u XDG_DATA_HOME HOME="$T/home" "$VIGIL" lists create d >/dev/null
check "else ~/.local/share/vigil/vigil.db" test -s "$T/home/.local/share/vigil/vigil.db"
check "  each folder Vigil made is 0700, each database 0600" bash -c "[ \$(stat -c %a '$T/xdg/vigil') = 700 ] && [ \$(stat -c %a '$T/home/.local/share/vigil/vigil.db') = 600 ]"
finish
