#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The `vigil` front binary (src/cli/cli_front.c): `vigil hash` starts
# without loading the libraries only other commands use; every other
# command runs in vigil-core, found beside it, with the same results.
#  - the front needs none of curl, SQLite, libmicrohttpd, libsodium,
#    libpsl, OpenSSL (nor, where the stubs are built, libspng, libwebp,
#    libgif: opened on first use);
#  - hashing a JPEG loads no PNG/WebP/GIF library and no libcrypto; a PNG
#    loads libspng, --json loads libcrypto; the digests are right;
#  - hash output equals vigil-core's in every mode, on every sample format;
#  - other commands go through vigil-core (same output); a front
#    without its vigil-core still hashes and says why the rest fails.
# Usage: test_front.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1; DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
CORE=$(dirname "$VIGIL")/vigil-core
S=$ROOT/samples

check "vigil-core is beside vigil" test -x "$CORE"

# --- what the front links
readelf -d "$VIGIL" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' >"$T/needed"
for lib in libcurl libsqlite3 libmicrohttpd libsodium libpsl libidn2 \
           libjansson libcrypto libssl; do
  check "front does not link $lib" bash -c "! grep -q '^$lib\.' '$T/needed'"
done
check "front links libjpeg" grep -q '^libjpeg\.' "$T/needed"
check "vigil-core links libcurl and libsqlite3" bash -c \
  "readelf -d '$CORE' | grep -q 'libcurl\.' && readelf -d '$CORE' | grep -q 'libsqlite3\.'"

# --- which libraries a run loads (the dynamic loader's own log)
LD_DEBUG=files "$VIGIL" hash "$S/seeding.jpg" >"$T/o" 2>"$T/ld.jpg"
check "JPEG: hashed" grep -q "seeding.jpg" "$T/o"
check "JPEG: the loader log is there" grep -q 'file=libjpeg[.]' "$T/ld.jpg"
for lib in libcurl libsqlite3 libcrypto; do
  check "JPEG: $lib not loaded" bash -c "! grep -q 'file=$lib[.-]' '$T/ld.jpg'"
done
if ! grep -q '^libspng\.' "$T/needed"; then # the lazy stubs are built
  for lib in libspng libwebp libgif; do
    check "JPEG: $lib not loaded" bash -c "! grep -q 'file=$lib[.-]' '$T/ld.jpg'"
  done
  LD_DEBUG=files "$VIGIL" hash "$S/trout.png" >/dev/null 2>"$T/ld.png"
  check "PNG: libspng opened" grep -q 'file=libspng[.-].*dynamically loaded' "$T/ld.png"
  check "PNG: libwebp not loaded" bash -c "! grep -q 'file=libwebp[.-]' '$T/ld.png'"
fi
LD_DEBUG=files "$VIGIL" hash --json "$S/seeding.jpg" >"$T/j" 2>"$T/ld.json"
check "--json: libcrypto opened" grep -q 'file=libcrypto[.-]' "$T/ld.json"
check "--json: md5 right" grep -q "\"md5\":\"$(md5sum <"$S/seeding.jpg" | cut -c1-32)\"" "$T/j"
check "--json: sha1 right" grep -q "\"sha1\":\"$(sha1sum <"$S/seeding.jpg" | cut -c1-40)\"" "$T/j"
check "--json: sha256 right" grep -q "\"sha256\":\"$(sha256sum <"$S/seeding.jpg" | cut -c1-64)\"" "$T/j"

# --- the same hashes as vigil-core, every mode, every format
ALL=("$S/seeding.jpg" "$S/trout.png" "$S/goldfish.webp" "$S/fish.gif"
     "$S/seeding-small.bmp" "$DATA/photos/0012.jpg")
for m in "" "--json" "--dihedral" "--fast" "--fast --json" "--prescale-512" "-j 1"; do
  # shellcheck disable=SC2086
  "$VIGIL" hash $m "${ALL[@]}" >"$T/front" 2>&1
  # shellcheck disable=SC2086
  "$CORE" hash $m "${ALL[@]}" >"$T/core" 2>&1
  check "hash ${m:-(plain)}: front = vigil-core" cmp -s "$T/front" "$T/core"
done
"$VIGIL" hash "$S/seeding.jpg" >"$T/one"
check "one file (no workers) = reference line" grep -qx \
  "ab51a7ea6bc207a28fe50ad736cb0ea98bd3b82b720b631a452bf85cf15c4529,100,$S/seeding.jpg" "$T/one"
"$VIGIL" hash - <"$S/seeding.jpg" >"$T/stdin"
check "standard input" grep -q "^ab51a7ea.*,100,-$" "$T/stdin"
"$VIGIL" hash "$T/missing.jpg" >/dev/null 2>"$T/err"; rc=$?
check "missing file: exit 1" test $rc -eq 1
check "missing file: says so" grep -q "missing.jpg: no such file" "$T/err"

# --- other commands run in vigil-core
"$VIGIL" lists --help >"$T/a" 2>&1; "$CORE" lists --help >"$T/b" 2>&1
check "lists --help through vigil-core" cmp -s "$T/a" "$T/b"
check "--help lists every command" bash -c "'$VIGIL' --help | grep -q '^  serve '"
"$VIGIL" frobnicate >/dev/null 2>&1; check "unknown command exits 2" test $? -eq 2

# --- a front alone
mkdir "$T/alone"; cp "$VIGIL" "$T/alone/vigil"
"$T/alone/vigil" hash "$S/seeding.jpg" "$S/trout.png" >"$T/o" 2>&1
check "front alone: hashes" test "$(grep -c ',100,' "$T/o")" -eq 2
"$T/alone/vigil" lists ls >/dev/null 2>"$T/err"; rc=$?
check "front alone: other command fails (1)" test $rc -eq 1
check "front alone: names vigil-core" grep -q "vigil-core" "$T/err"
finish
