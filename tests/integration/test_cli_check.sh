#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `vigil check` against a stub server of the Shield shape
# (tests/fixtures/shield_stub.py, 127.0.0.1), which refuses any request not
# shaped as the Shield SDK sends it (HTTP Basic with an empty user and the
# key as password, {"hashes": [base64 of 32 bytes]}, an image Content-Type)
# and logs every request: one line per file in input order, exit 0/1/2 as
# grep, --json, directories walked with non-images skipped, batches of
# 1,000, no media sent without --upload and the file's exact bytes with
# it, and the errors: a key file others may read, a refused key (401,
# 403), 429 retried once after Retry-After and not when it is an hour, a
# timeout, a bad server URL, nothing listening, a file that is no image.
# Usage: test_cli_check.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$(realpath "$1"); DATA=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T"' EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
PHOTOS="$DATA/photos"
KEY=k3y-Of-partner.42

mkdir -p "$T/imgs/sub"
cp "$PHOTOS/0001.jpg" "$T/imgs/a.jpg"
cp "$PHOTOS/0002.jpg" "$T/imgs/b.jpg"
cp "$PHOTOS/0003.jpg" "$T/imgs/sub/c.jpg"
echo "not an image" >"$T/imgs/README.txt"
printf '%s\n' "$KEY" >"$T/key"
chmod 600 "$T/key"

# stub [options...]: (re)start the stub with a fresh log; sets U
stub() {
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
  : >"$T/log"
  python3 "$ROOT/tests/fixtures/shield_stub.py" --key "$KEY" --log "$T/log" \
    "$@" >"$T/stub.out" 2>"$T/stub.err" &
  SPID=$!
  for _ in $(seq 100); do grep -q '^PORT' "$T/stub.out" && break; sleep 0.05; done
  U="http://127.0.0.1:$(awk '/^PORT/ {print $2}' "$T/stub.out")"
}
run() { # run ARGS...: vigil check with the server and key; RC, out, err
  "$VIGIL" check --server "$U" --key-file "$T/key" "$@" >"$T/out" 2>"$T/err"
  RC=$?
}
no_shape_errors() { ! grep -q '"error"' "$T/log"; }

# a known hash: b.jpg's PDQ as `vigil hash` prints it
BHEX=$("$VIGIL" hash "$T/imgs/b.jpg" | cut -d, -f1)
echo "$BHEX csam near 3" >"$T/known"

stub --known "$T/known"
run "$T/imgs/a.jpg" "$T/imgs/b.jpg"
check "a known hash: exit 1" test $RC -eq 1
printf '%s\tno-known-match\t-\n%s\tcsam\tnear\n' "$T/imgs/a.jpg" \
  "$T/imgs/b.jpg" >"$T/want"
check "  one line per file in order: PATH TAB CLASSIFICATION TAB MATCH_TYPE" \
  diff "$T/want" "$T/out"
check "  one request, to /v1/pdq/, of 2 hashes, every shape as the SDK's" \
  bash -c "[ \$(wc -l <'$T/log') -eq 1 ] && grep -q '\"hashes\": 2, \"method\": \"POST\", \"path\": \"/v1/pdq/\", \"status\": 200' '$T/log'"
check "  no shape error (auth header, JSON, base64 of 32 bytes)" no_shape_errors

run "$T/imgs/a.jpg"
check "nothing known: exit 0, no-known-match" \
  bash -c "[ $RC -eq 0 ] && grep -qP '^.*/a.jpg\tno-known-match\t-$' '$T/out'"

# a directory: walked in name order, the text file skipped; only hashes
stub --known "$T/known"
run --json "$T/imgs"
check "a directory: exit 1 (b.jpg known)" test $RC -eq 1
check "  --json: one object per image, in walk order, with its answer" \
  python3 - "$T/out" "$T/imgs" "$BHEX" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
d = sys.argv[2]
assert [r["path"] for r in rows] == [d + "/a.jpg", d + "/b.jpg", d + "/sub/c.jpg"], rows
b = rows[1]
assert b["classification"] == "csam" and b["match_type"] == "near", b
assert b["pdq"] == sys.argv[3] and b["answer"]["distance"] == 3, b
for r in (rows[0], rows[2]):
    assert r["classification"] == "no-known-match" and r["match_type"] is None
    assert r["answer"] is None and len(r["pdq"]) == 64
EOF
check "  media never left the machine: no request but /v1/pdq/" \
  bash -c "! grep -v '\"path\": \"/v1/pdq/\"' '$T/log'"

# batches of 1,000: 1,001 copies of a small PNG
python3 - "$T/png" <<'EOF'
import os, struct, sys, zlib
os.makedirs(sys.argv[1])
w = h = 64
raw = b"".join(b"\0" + bytes((x * 4 + y) % 256 for x in range(w) for _ in range(3)) for y in range(h))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
for i in range(1001):
    open(os.path.join(sys.argv[1], "%04d.png" % i), "wb").write(png)
EOF
stub
run "$T/png"
check "1,001 files: exit 0, 1,001 lines" \
  bash -c "[ $RC -eq 0 ] && [ \$(wc -l <'$T/out') -eq 1001 ]"
check "  two requests: 1,000 hashes, then 1" \
  bash -c "[ \"\$(grep -o '\"hashes\": [0-9]*' '$T/log' | tr '\n' ' ')\" = '\"hashes\": 1000 \"hashes\": 1 ' ]"
check "  no shape error" no_shape_errors

# --upload: the file's exact bytes with its Content-Type
sha=$(sha256sum "$T/imgs/sub/c.jpg" | cut -d' ' -f1)
echo "$sha csam" >"$T/known-media"
stub --known-media "$T/known-media"
run --upload "$T/imgs/a.jpg" "$T/imgs/sub/c.jpg"
check "--upload: exit 1 (c.jpg's bytes known)" test $RC -eq 1
printf '%s\tno-known-match\t-\n%s\tcsam\texact\n' "$T/imgs/a.jpg" \
  "$T/imgs/sub/c.jpg" >"$T/want"
check "  one line per file" diff "$T/want" "$T/out"
check "  two requests to /v1/media/, image/jpeg, each file's size" \
  bash -c "[ \$(grep -c '\"bytes\": $(stat -c %s "$T/imgs/a.jpg"), \"content_type\": \"image/jpeg\", \"method\": \"POST\", \"path\": \"/v1/media/\"' '$T/log') -eq 1 ] && [ \$(grep -c '\"bytes\": $(stat -c %s "$T/imgs/sub/c.jpg"), \"content_type\": \"image/jpeg\"' '$T/log') -eq 1 ] && [ \$(wc -l <'$T/log') -eq 2 ]"

# a file that is not an image: its error, the others still checked
stub --known "$T/known"
run "$T/imgs/README.txt" "$T/imgs/b.jpg"
check "a named file that is no image: exit 2, the other still checked" \
  bash -c "[ $RC -eq 2 ] && grep -q 'README.txt: ' '$T/err' && grep -qP 'b.jpg\tcsam\tnear' '$T/out'"
run --json "$T/imgs/README.txt"
check "  --json: an error object" grep -q '"path":.*README.txt","error":' "$T/out"

# the key file, and keys the server refuses
chmod 644 "$T/key"
stub
run "$T/imgs/a.jpg"
check "a key file others may read: exit 2, chmod 600 said, nothing sent" \
  bash -c "[ $RC -eq 2 ] && grep -q 'chmod 600' '$T/err' && [ ! -s '$T/log' ]"
chmod 600 "$T/key"
echo wrong-key >"$T/key2"; chmod 600 "$T/key2"
"$VIGIL" check --server "$U" --key-file "$T/key2" "$T/imgs/a.jpg" >"$T/out" 2>"$T/err"
RC=$?
check "a wrong key: exit 2, 401 and the server's detail said" \
  bash -c "[ $RC -eq 2 ] && grep -q '401, the server refused the key.*Invalid API key' '$T/err'"
stub --mode 403
run "$T/imgs/a.jpg"
check "403: exit 2, said" \
  bash -c "[ $RC -eq 2 ] && grep -q '403, the server refused the key' '$T/err'"

# 429: retried once after Retry-After: 1; not after an hour
stub --mode 429once
start=$(date +%s.%N)
run "$T/imgs/a.jpg"
took=$(echo "$(date +%s.%N) - $start" | bc)
check "429 with Retry-After: 1: retried once, exit 0" \
  bash -c "[ $RC -eq 0 ] && [ \$(grep -c '\"status\": 429' '$T/log') -eq 1 ] && [ \$(grep -c '\"status\": 200' '$T/log') -eq 1 ]"
check "  after waiting about a second ($took s)" \
  bash -c "echo '$took >= 0.9 && $took < 10' | bc | grep -q 1"
stub --mode 429long
run "$T/imgs/a.jpg"
check "429 with Retry-After: 3600: exit 2 at once, said, one request" \
  bash -c "[ $RC -eq 2 ] && grep -q 'retry after 3600 s' '$T/err' && [ \$(wc -l <'$T/log') -eq 1 ]"

# timeouts, bad URLs, nothing listening
stub --mode slow
start=$(date +%s)
run --timeout 1 "$T/imgs/a.jpg"
check "a server slower than --timeout 1: exit 2, said, within 4 s" \
  bash -c "[ $RC -eq 2 ] && grep -q 'no answer within 1 s' '$T/err' && [ \$(( \$(date +%s) - $start )) -le 4 ]"
for bad in "ftp://127.0.0.1/" "127.0.0.1:80" "http://" "http://h/?q=1"; do
  "$VIGIL" check --server "$bad" --key-file "$T/key" "$T/imgs/a.jpg" \
    >"$T/out" 2>"$T/err"
  RC=$?
  check "--server '$bad': exit 2, said" \
    bash -c "[ $RC -eq 2 ] && grep -q 'wants an http:// or https:// URL' '$T/err'"
done
kill "$SPID"; wait "$SPID" 2>/dev/null; SPID=
run "$T/imgs/a.jpg"
check "nothing listening: exit 2, said" \
  bash -c "[ $RC -eq 2 ] && grep -q \"check: $U/v1/pdq/: \" '$T/err'"
"$VIGIL" check --key-file "$T/key" "$T/imgs/a.jpg" >"$T/out" 2>"$T/err"
RC=$?
check "no --server: exit 2, said" \
  bash -c "[ $RC -eq 2 ] && grep -q -- '--server URL is required' '$T/err'"
"$VIGIL" check --help >"$T/out"
check "--help: exit 0, names the upload option and the exit status" \
  bash -c "[ $? -eq 0 ] && grep -q -- '--upload' '$T/out' && grep -q 'Exit status' '$T/out'"
"$VIGIL" --help >"$T/out" 2>&1
check "vigil --help lists check" grep -q '^ *check ' "$T/out"
finish
