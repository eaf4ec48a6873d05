#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SECURITY.md: the media files themselves are never kept.  A crawl of a
# local nginx site detects a photo from a hash list; afterwards no 64-byte
# run of the photo's bytes (taken at several places in its middle) is in
# the store's files (database, WAL, the audit head) nor, hex-encoded, in
# its SQL dump.  VIGIL_TEST_PLANT=1 stores the photo on purpose, to show
# the check failing.
# Usage: test_media_not_kept.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
FIX="$ROOT/tests/fixtures"
T=$(mktemp -d)
cleanup() {
  bash "$FIX/nginx_site.sh" stop "$T/ng" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
DB="$T/store/v.db"
mkdir -p "$T/store" "$T/www"
PHOTO="$ROOT/samples/seeding.jpg"
cp "$PHOTO" "$T/www/a.jpg"
cp "$ROOT/samples/trout.png" "$T/www/b.png"
printf '<html><body><img src="a.jpg"><img src="b.png"></body></html>\n' >"$T/www/index.html"
"$VIGIL" hash "$PHOTO" | cut -d, -f1 >"$T/list.txt"
"$VIGIL" lists create known --category test --db "$DB" >/dev/null
"$VIGIL" lists import known "$T/list.txt" --format lines --algo pdq --db "$DB" >/dev/null
PORT=$(bash "$FIX/nginx_site.sh" start "$T/www" "$T/ng" | awk '/^PORT/ {print $2}')
check "nginx serving" test -n "$PORT"
"$VIGIL" crawl --db "$DB" --seed "http://127.0.0.1:$PORT/index.html" \
  --max-depth 2 --allow-private --delay 0 --quiet >/dev/null 2>&1
SUM=$(sha256sum "$PHOTO" | cut -c1-64)
check "the crawl detected the photo" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM detections d JOIN media m ON m.id = d.media_id WHERE lower(hex(m.sha256)) = '$SUM'")" -ge 1
check "  and both images were fetched and hashed" test "$(sqlite3 "$DB" 'SELECT COUNT(DISTINCT media_id) FROM media_hashes')" -ge 2
if [ "${VIGIL_TEST_PLANT:-0}" = 1 ]; then
  sqlite3 "$DB" "CREATE TABLE planted (b BLOB); INSERT INTO planted VALUES (readfile('$PHOTO'))"
fi
sqlite3 "$DB" .dump >"$T/dump.sql"
check "no run of the photo's bytes in the store's files or its dump" python3 - "$PHOTO" "$T/dump.sql" "$T/store" <<'EOF'
import os, sys
photo = open(sys.argv[1], "rb").read()
dump = open(sys.argv[2], "rb").read().upper()
files = [os.path.join(sys.argv[3], f) for f in os.listdir(sys.argv[3])]
blobs = [open(f, "rb").read() for f in files]
n = len(photo)
assert n > 4096, n
found = 0
for frac in (0.3, 0.4, 0.5, 0.6, 0.7):
    chunk = photo[int(n * frac):int(n * frac) + 64]
    for f, b in zip(files, blobs):
        if chunk in b:
            print("    64 bytes at %d%% of the photo in %s" % (frac * 100, f)); found += 1
    if chunk.hex().upper().encode() in dump:
        print("    64 bytes at %d%% of the photo in the dump" % (frac * 100)); found += 1
print("    searched %d files (%s) and the dump" % (len(files), ", ".join(sorted(map(os.path.basename, files)))))
sys.exit(1 if found else 0)
EOF
finish
