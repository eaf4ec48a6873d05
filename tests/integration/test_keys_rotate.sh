#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The sealing key rotated while `vigil serve` takes reports
# (docs/OPERATIONS.md, section 9): reports with contact details are filed through
# the public form in a loop; `vigil keys rotate seal` puts a new key in
# front; the running server seals with it (within a second) without a
# restart; `vigil keys retire` is refused while rows need the old key;
# a `vigil keys reseal` is killed with SIGKILL mid-way and run again; then
# every row is under the new key, `vigil keys retire` leaves the new key
# alone in the file, and every acknowledged report's contact details still
# open in the console, in the running server and in one started afresh.
# Then `vigil keys rotate audit` while that server runs: it audits under
# the new key, and `vigil audit verify` passes with the new key alone (the
# old one destroyed), the records before checked through the checkpoint.
# Last, a second sealing key rotation re-sealed by `vigil serve` itself
# (--reseal-interval).
# Usage: test_keys_rotate.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
PID= LOOP=
cleanup() {
  [ -n "$LOOP" ] && kill "$LOOP" 2>/dev/null
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
store_init "$T/vigil.db"
PW='correct horse battery'
q() { sqlite3 "$DB" "$1"; }
keys() { "$VIGIL" keys "$@" --db "$DB" --key-file "$SEAL_KEY"; }
echo "$PW" | "$VIGIL" users add ann --db "$DB" >/dev/null

serve_start --reseal-interval 0 # the reseal by hand first
check "serving" test -n "$PORT"
c() { local jar=$1 url=$2; shift 2
  curl -s --noproxy '*' --max-time 30 -b "$T/$jar" -c "$T/$jar" "$U$url" "$@"; }
# file N: a report with contact details rN@example.org; its number is
# written to $T/acked once the server acknowledged it (303)
file() {
  local st
  st=$(c pub /report -o /dev/null -w '%{http_code}' -d "incident_type=csam&technology=website&urls=https%3A%2F%2Fexample.com%2F$1&description=rotation+$1&contact_email=r$1%40example.org")
  [ "$st" = 303 ] && echo "$1" >>"$T/acked"
}
: >"$T/acked"
for i in $(seq 1 100); do file "$i"; done
check "100 reports filed under the first key" test "$(wc -l <"$T/acked")" -eq 100
keys status >"$T/st0.txt"
check "status: one key, 100 contacts under it" grep -q ': contacts 100, thumbnails 0' "$T/st0.txt"
cp "$SEAL_KEY" "$T/first.key"

# reports keep coming while the key changes
( i=1000; while [ ! -e "$T/stop" ]; do file $i; i=$((i + 1)); done ) &
LOOP=$!
sleep 0.5
keys rotate seal >"$T/rot.txt" 2>&1
check "keys rotate seal: exit 0" test $? -eq 0
check "  the key file holds two keys, still 0600" test "$(stat -c '%s %a' "$SEAL_KEY")" = "64 600"
NEW=$(sed -n 's/^new sealing key: current key \([0-9a-f]*\),.*/\1/p' "$T/rot.txt")
check "  it names the new key" test ${#NEW} -eq 16
sleep 1.5
keys retire >"$T/ret0.txt" 2>&1
check "keys retire refused while rows need the old key (exit 1)" test $? -eq 1
check "  it says to reseal first" grep -q 'vigil keys reseal' "$T/ret0.txt"
check "  the file keeps both keys" test "$(stat -c %s "$SEAL_KEY")" -eq 64
N0=$(q "SELECT COUNT(*) FROM reports")
sleep 1
check "the running server seals new reports with the new key (no restart)" \
  bash -c "keys() { \"$VIGIL\" keys \"\$@\" --db '$DB' --key-file '$SEAL_KEY'; }; keys status | grep -q '^key $NEW (current): contacts [1-9]'"

# a reseal killed mid-way, then run again
# killed with SIGKILL once it has re-sealed 20 rows, one transaction each:
# its --progress lines go to a pipe of 4 KiB that is nearly full, so it
# cannot run more than a few batches ahead of the line read here
KILLED=$(python3 - "$VIGIL" keys reseal --batch 1 --progress --db "$DB" \
  --key-file "$SEAL_KEY" <<'PY'
import fcntl, os, signal, subprocess, sys
r, w = os.pipe()
fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ
os.write(w, b"x" * 3900 + b"\n")
p = subprocess.Popen(sys.argv[1:], stdout=w, stderr=subprocess.DEVNULL)
os.close(w)
for line in os.fdopen(r):
    if line.startswith("batch 20:"):
        p.send_signal(signal.SIGKILL)
        break
print(p.wait())
PY
)
check "the first reseal was killed with SIGKILL mid-way ($KILLED)" test "$KILLED" = -9
keys status >"$T/st1.txt"
check "  some rows are left to re-seal" grep -q '^to re-seal: [1-9]' "$T/st1.txt"
keys reseal --batch 20 >"$T/rs2.txt" 2>&1
check "a second reseal finishes (exit 0)" test $? -eq 0
check "  nothing unreadable" grep -q '; 0 no key opens$' "$T/rs2.txt"
touch "$T/stop"; wait $LOOP; LOOP=
ACKED=$(wc -l <"$T/acked")
check "reports were filed during the rotation ($N0 -> $ACKED)" test "$ACKED" -gt "$N0"
# rows the server sealed in the second before it read the new ring
keys reseal >"$T/rs3.txt" 2>&1
check "a last reseal after the load (exit 0)" test $? -eq 0
keys status >"$T/st2.txt"
check "status: every row under the new key, the old may be destroyed" \
  grep -q 'the previous keys may be destroyed' "$T/st2.txt"
check "  $ACKED contacts under the new key" grep -q "^key $NEW (current): contacts $ACKED, " "$T/st2.txt"
keys retire >"$T/ret.txt" 2>&1
check "keys retire: exit 0" test $? -eq 0
check "  the file holds the new key alone, 0600" test "$(stat -c '%s %a' "$SEAL_KEY")" = "32 600"
check "  the old key is not in it" bash -c "! cmp -s '$SEAL_KEY' '$T/first.key'"

csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -1 | grep -o '[0-9a-f]\{64\}'; }
signin() {
  c "$1" /console/login >"$T/login.html"
  c "$1" /console/login -d "csrf=$(csrf_of "$T/login.html")&username=ann&password=$PW" -o /dev/null
  c "$1" /console >"$T/$1.q"
  csrf_of "$T/$1.q"
}
# opened JAR CSRF: how many reports of $T/acked show their rN@example.org
opened() {
  local jar=$1 cs=$2 n=0 id k
  q "SELECT id, description FROM reports" | sed 's/|rotation / /' >"$T/ids"
  while read -r id k; do
    grep -qx "$k" "$T/acked" || continue
    c "$jar" "/console/reports/$id/open" -d "csrf=$cs" -o /dev/null
    c "$jar" "/console/reports/$id/contact" -d "csrf=$cs" | grep -q ">r$k@example.org<" && n=$((n + 1))
  done <"$T/ids"
  echo $n
}
CS=$(signin a)
check "signed in to the console" test -n "$CS"
check "every acknowledged report's contact opens in the running server" \
  test "$(opened a "$CS")" -eq "$ACKED"
kill -TERM "$PID"; wait "$PID"; PID=
serve_start --reseal-interval 0
check "serving again, afresh" test -n "$PORT"
CS=$(signin b)
check "  every contact opens with the new key alone" \
  test "$(opened b "$CS")" -eq "$ACKED"
"$VIGIL" audit verify --db "$DB" >"$T/av.txt" 2>&1
check "vigil audit verify passes" test $? -eq 0
check "  the rotation and the retirement are audited" \
  test "$(q "SELECT COUNT(*) FROM audit_log WHERE action IN ('keys.rotate', 'keys.retire')")" -eq 2

# ---- the audit key, rotated while the server runs ----
if [ -n "${VIGIL_AUDIT_KEY:-}" ]; then AK=$VIGIL_AUDIT_KEY; else AK=$T/vigil.db.audit-key; fi
cp "$AK" "$T/old.audit-key"
N1=$(q "SELECT COUNT(*) FROM audit_log")
"$VIGIL" keys rotate audit --db "$DB" >"$T/ra.txt" 2>&1
check "keys rotate audit: exit 0" test $? -eq 0
check "  the key file changed, still 0600, no .next left" \
  bash -c "! cmp -s '$AK' '$T/old.audit-key' && [ \$(stat -c %a '$AK') = 600 ] && [ ! -e '$AK.next' ]"
check "  a checkpoint record after the $N1 before" \
  test "$(q "SELECT id FROM audit_log WHERE action = 'audit.key_rotated'")" -eq $((N1 + 1))
# the running server's next audited action, under the new key (read again)
CS=$(signin c)
id=$(q "SELECT MIN(id) FROM reports")
c c "/console/reports/$id/contact" -d "csrf=$CS" | grep -q '@example.org<'
check "the server, started before, still audits (a contact shown)" \
  test "$(q "SELECT COUNT(*) FROM audit_log")" -gt $((N1 + 1))
"$VIGIL" audit verify --db "$DB" >"$T/av2.txt" 2>&1
check "vigil audit verify passes with the new key alone (the old one destroyed)" test $? -eq 0
check "  through the checkpoint" grep -q "checked through the digest of the checkpoint, record $((N1 + 1))" "$T/av2.txt"
"$VIGIL" audit verify --db "$DB" --audit-key "$T/old.audit-key" >/dev/null 2>&1
check "  the old key no longer verifies the log" test $? -eq 1
rm -f "$T/old.audit-key"
kill -TERM "$PID"; wait "$PID"; PID=
"$VIGIL" audit verify --db "$DB" >/dev/null 2>&1
check "vigil audit verify passes after the server stopped" test $? -eq 0

# ---- the server's own background reseal ----
keys rotate seal >"$T/rot2.txt" 2>&1
NEW2=$(sed -n 's/^new sealing key: current key \([0-9a-f]*\),.*/\1/p' "$T/rot2.txt")
serve_start --reseal-interval 1
check "serving with --reseal-interval 1" test -n "$PORT"
for _ in $(seq 100); do
  keys status >"$T/st3.txt" && grep -q 'may be destroyed' "$T/st3.txt" && break
  sleep 0.2
done
check "vigil serve re-sealed every row under the second new key by itself" \
  grep -q "^key $NEW2 (current): contacts $ACKED, " "$T/st3.txt"
check "  and said so" grep -q "^vigil: keys: re-sealed $ACKED rows" "$T/serve.err"
keys retire >/dev/null 2>&1
check "keys retire: exit 0" test $? -eq 0
CS=$(signin d)
id=$(q "SELECT MIN(id) FROM reports")
check "  a contact opens in the server, which read the one-key file" \
  bash -c "curl -s --noproxy '*' -b '$T/d' -c '$T/d' '$U/console/reports/$id/contact' -d 'csrf=$CS' | grep -q '@example.org<'"
kill -TERM "$PID"; wait "$PID"; PID=
"$VIGIL" audit verify --db "$DB" >/dev/null 2>&1
check "vigil audit verify passes at the end" test $? -eq 0
finish
