#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Media sent to the hash-check API is hashed in memory and never written
# anywhere (issue 15, section 2; docs/API.md): after 1,000 uploads to
# POST /v1/media/ (four clients at once), no file under the data folder
# (the test's folder: the store, its keys, the server's logs and working
# directory) or /tmp holds a 64-byte run from the middle of any upload,
# and the store holds none of their hashes: Vigil does not log lookups.
# Three of the uploads are PNGs of random pixels made for this run, so
# no other process can hold their bytes: those are searched in every file
# under /tmp changed since the uploads began; the photos of the test data,
# which other tests may copy to /tmp meanwhile, under the data folder.
# Usage: test_api_no_media_kept.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$(realpath "$1")
TESTDATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
SRC=$T/src # the generated uploads (left out of the search)
mkdir "$SRC"
store_init "$T/vigil.db"
PHOTOS=("$TESTDATA/photos/0240.webp" "$TESTDATA/photos/0029.jpg")
python3 - "$SRC" <<'EOF'
import os, struct, sys, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
for i in range(3):
    w = h = 120
    rows = b"".join(b"\0" + os.urandom(3 * w) for _ in range(h))
    open(os.path.join(sys.argv[1], "gen%d.png" % i), "wb").write(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
EOF
GEN=("$SRC"/gen0.png "$SRC"/gen1.png "$SRC"/gen2.png)
"$VIGIL" lists create LISTED --db "$DB" >/dev/null
"$VIGIL" hash "${PHOTOS[0]}" | cut -d, -f1 >"$T/listed.txt"
"$VIGIL" lists import LISTED "$T/listed.txt" --algo pdq --db "$DB" >/dev/null
"$VIGIL" lists share LISTED '*' --db "$DB" >/dev/null
KEY=$("$VIGIL" apikeys add "Platform" --scopes lookup --db "$DB" | tail -1)
cd "$T" || exit 1 # the server's working directory: searched too
serve_start
check "serving" test -n "$PORT"
for _ in $(seq 300); do
  [ "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$U/status")" = 200 ] && break
  sleep 0.1
done
touch "$T/.start"
START=$(date +%s)

# 1,000 uploads: four clients, 250 each, cycling over the five files
FILES=("${PHOTOS[@]}" "${GEN[@]}")
client() {
  local i f
  for i in $(seq "$1" 4 1000); do
    f=${FILES[$((i % 5))]}
    curl -s --noproxy '*' --max-time 30 -o /dev/null -w '%{http_code}\n' \
      -u "platform:$KEY" -X POST "$U/v1/media/" \
      -H "Content-Type: image/${f##*.}" --data-binary @"$f"
  done >"$T/codes.$1"
}
CLIENTS=()
for w in 1 2 3 4; do client $w & CLIENTS+=($!); done
wait "${CLIENTS[@]}"
check "1,000 uploads answered 200 ($(cat "$T"/codes.* | sort | uniq -c | tr -s ' \n' ' '))" \
  test "$(cat "$T"/codes.* | grep -cx 200)" -eq 1000
check "a listed photo still matches" bash -c "curl -s --noproxy '*' -u 'p:$KEY' -X POST '$U/v1/media/' --data-binary @'${PHOTOS[0]}' | grep -q '\"match_type\":\"near\"'"

# no file holds a run of an upload's bytes
cat >"$T/scan.py" <<'EOF'
import os, sys
start, kind, skip = int(sys.argv[1]), sys.argv[2], os.environ["SRC"] + "/"
needles = [open(p, "rb").read() for p in sys.argv[4:]]
needles = [(p, b[len(b) // 2:len(b) // 2 + 64]) for p, b in zip(sys.argv[4:], needles)]
found = 0
for top in sys.argv[3].split(":"):
    for d, dirs, files in os.walk(top):
        for f in files:
            p = os.path.join(d, f)
            if p.startswith(skip):
                continue
            try:
                st = os.lstat(p)
                if not os.path.isfile(p) or os.path.islink(p):
                    continue
                if kind == "changed" and max(st.st_mtime, st.st_ctime) < start:
                    continue
                data = open(p, "rb").read()
            except OSError:
                continue
            for src, n in needles:
                if n in data:
                    print("  %s holds bytes of %s" % (p, src))
                    found += 1
print("  %s: searched" % top)
sys.exit(1 if found else 0)
EOF
export SRC
mkdir "$T/planted" # the search finds what it looks for: a file holding
# 100 bytes from the middle of an upload, among others
python3 -c 'import sys; b = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(b"x" * 7 + b[len(b) // 2 - 18:len(b) // 2 + 82])' "${GEN[1]}" "$T/planted/log"
check "the search finds an upload's bytes planted in a file" \
  bash -c "! python3 '$T/scan.py' 0 all '$T/planted' \"\$@\" >/dev/null" _ "${FILES[@]}"
rm -r "$T/planted"
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
check "a graceful stop (the store closed, its files final)" test $rc -eq 0
check "no file under the data folder holds an upload's bytes" \
  python3 "$T/scan.py" 0 all "$T" "${FILES[@]}"
check "no file under /tmp changed since the uploads holds a generated upload's bytes" \
  python3 "$T/scan.py" "$START" changed /tmp "${GEN[@]}"

# nor does the store hold their hashes, in any form
python3 - "${FILES[@]}" >"$T/hashes" <<'EOF'
import base64, hashlib, sys
for p in sys.argv[1:]:
    b = open(p, "rb").read()
    for h in (hashlib.sha256(b), hashlib.sha1(b), hashlib.md5(b)):
        print(h.hexdigest())
    print(base64.b32encode(hashlib.sha1(b).digest()).decode().rstrip("="))
EOF
for f in "${GEN[@]}"; do "$VIGIL" hash "$f" | cut -d, -f1 >>"$T/hashes"; done
sqlite3 "$DB" .dump >"$T/dump.sql"
check "the store dumped ($(wc -c <"$T/dump.sql") bytes)" test -s "$T/dump.sql"
check "no digest of an upload, nor a generated one's PDQ, in the store" \
  bash -c "! grep -iFf '$T/hashes' '$T/dump.sql'"
check "nor in the server's output" bash -c "! cat '$T/serve.out' '$T/serve.err' | grep -iFf '$T/hashes'"
check "no request counted anywhere but the quota (none set): api_usage empty" \
  test "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM api_usage')" -eq 0
finish
