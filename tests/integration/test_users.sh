#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `vigil users` and `vigil audit` on a fresh store: accounts with Argon2id
# hashes (never the password), the password rule, roles, disabling and a
# new password (which end sessions), an audit chain keyed apart from the
# database that shows any changed, removed, reordered, rechained or cut
# record (with the kept head), triggers that refuse UPDATE and DELETE on
# it, and a store only its owner can read.
# Usage: test_users.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
DB="$T/vigil.db"
v() { "$VIGIL" "$@" --db "$DB"; }
q() { sqlite3 "$DB" "$1"; }

check "first admin added" bash -c "echo 'correct horse battery' | '$VIGIL' users add alice --role admin --db '$DB' | grep -qx 'added alice (admin)'"
check "stored as an Argon2id hash, not the password" bash -c "sqlite3 '$DB' 'SELECT password_hash FROM users' | grep -q '^\\\$argon2id\\\$' && ! sqlite3 '$DB' .dump | grep -q 'correct horse'"
echo 'short' | v users add bob >/dev/null 2>"$T/err"; rc=$?
check "a short password is refused" test $rc -eq 1
check "and says why" grep -q 'at least 12 characters' "$T/err"
check "nothing added" test "$(q 'SELECT COUNT(*) FROM users')" -eq 1
echo 'another long password' | v users add alice >/dev/null 2>"$T/err"; rc=$?
check "a second alice is refused" test $rc -eq 1
check "and says why" grep -q 'a user named alice exists' "$T/err"
echo 'another long password' | v users add 'Bob Smith' >/dev/null 2>"$T/err"; rc=$?
check "a bad user name is refused" test $rc -eq 1
v users add carol --role root </dev/null >/dev/null 2>&1; rc=$?
check "an unknown role is a usage error" test $rc -eq 2
check "an analyst added" bash -c "echo 'another long password' | '$VIGIL' users add bob --db '$DB' | grep -qx 'added bob (analyst)'"
check "ls lists both" bash -c "'$VIGIL' users ls --db '$DB' | grep -c active | grep -qx 2"
q "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (x'01', 2, 'c', 0, 9999999999)"
check "a session for bob to end (the fixture is there)" test "$(q 'SELECT COUNT(*) FROM sessions WHERE user_id = 2')" -eq 1
check "disable" bash -c "'$VIGIL' users disable bob --db '$DB' | grep -qx 'bob disabled'"
check "disabled in ls" bash -c "'$VIGIL' users ls --db '$DB' | grep -q 'bob .*disabled'"
check "disabling ended bob's sessions" test "$(q 'SELECT COUNT(*) FROM sessions')" -eq 0
check "enable" bash -c "'$VIGIL' users enable bob --db '$DB' | grep -qx 'bob enabled'"
old=$(q "SELECT password_hash FROM users WHERE username = 'alice'")
q "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (x'02', 1, 'c', 0, 9999999999), (x'03', 1, 'c', 0, 9999999999), (x'04', 2, 'c', 0, 9999999999)"
check "two sessions for alice, one for bob (the fixture is there)" test "$(q 'SELECT group_concat(hex(token_hash)) FROM (SELECT token_hash FROM sessions ORDER BY token_hash)')" = 02,03,04
check "passwd" bash -c "echo 'a new long password' | '$VIGIL' users passwd alice --db '$DB' | grep -q 'password of alice changed'"
check "the hash changed" test "$(q "SELECT password_hash FROM users WHERE username = 'alice'")" != "$old"
check "passwd ended alice's sessions, not bob's" test "$(q 'SELECT group_concat(hex(token_hash)) FROM sessions')" = 04
echo 'a new long password' | v users passwd nobody >/dev/null 2>"$T/err"; rc=$?
check "passwd of nobody fails" test $rc -eq 1
check "and says so" grep -q 'no user nobody' "$T/err"

# API keys: shown once, stored as a hash, revocable
v apikeys add "Partner Hotline A" >"$T/key.out"
key=$(tail -1 "$T/key.out")
check "a key is vgk_ and 64 hex digits" bash -c "echo '$key' | grep -Eqx 'vgk_[0-9a-f]{64}'"
check "the store holds its SHA-256, not the key" bash -c "[ \"\$(sqlite3 '$DB' 'SELECT hex(key_hash) FROM api_keys' | tr A-F a-f)\" = \"\$(printf %s '$key' | sha256sum | cut -d' ' -f1)\" ] && ! sqlite3 '$DB' .dump | grep -q '${key#vgk_}'"
check "ls: valid" bash -c "'$VIGIL' apikeys ls --db '$DB' | grep -q 'Partner Hotline A .*valid'"
check "revoke" bash -c "'$VIGIL' apikeys revoke 1 --db '$DB' | grep -qx 'key 1 revoked'"
v apikeys revoke 1 >/dev/null 2>&1; rc=$?
check "revoking twice fails" test $rc -eq 1
check "ls: revoked" bash -c "'$VIGIL' apikeys ls --db '$DB' | grep -q 'Partner Hotline A .*revoked'"

# the audit log: every change above, chained under the audit key (made
# 0600 beside the database), each change's head appended to the head file
check "seven records (2 adds, disable, enable, passwd, key add, revoke)" test "$(q "SELECT COUNT(*) FROM audit_log")" -eq 7
check "ls shows them" bash -c "'$VIGIL' audit ls --db '$DB' | grep -c '^[0-9]* .* cli ' | grep -qx 7"
check "verify: intact" bash -c "'$VIGIL' audit verify --db '$DB' | grep -qx 'audit log intact: 7 records'"
check "the audit key is made 0600 beside the database" test "$(stat -c %a "$DB.audit-key")" = 600
check "the head file: a line per change, 0600" bash -c "[ \$(wc -l <'$DB.audit-head') -eq 7 ] && [ \$(stat -c %a '$DB.audit-head') = 600 ]"
v audit head >"$T/head"
HEAD=$(head -1 "$T/head")
check "head prints SEQ:MAC" bash -c "echo '$HEAD' | grep -Eqx '7:[0-9a-f]{64}'"
check "the head file's last line is the head" test "$(tail -1 "$DB.audit-head" | cut -d' ' -f1,2 | tr ' ' :)" = "$HEAD"
check "signed: HMAC-SHA-256 under the key of 'vigil-audit-head SEQ MAC'" python3 -c "
import hmac, hashlib, sys
seq, mac = '$HEAD'.split(':')
sig = open('$T/head').read().split('\n')[1].split()[1]
key = open('$DB.audit-key', 'rb').read()
sys.exit(hmac.new(key, ('vigil-audit-head %s %s' % (seq, mac)).encode(), hashlib.sha256).hexdigest() != sig)"
check "verify --head: it matches" bash -c "'$VIGIL' audit verify --db '$DB' --head '$HEAD' | grep -qx 'kept head: record 7 matches'"
v audit verify --head "${HEAD%?}" >/dev/null 2>&1; rc=$?
check "a malformed --head is a usage error" test $rc -eq 2
check "verify checks the head file beside the database" bash -c "'$VIGIL' audit verify --db '$DB' | grep -q '^kept heads: the 7 lines of .* match'"

# the database refuses UPDATE and DELETE on the log
for sql in "UPDATE audit_log SET detail = 'bob, role admin' WHERE id = 2" "DELETE FROM audit_log WHERE id = 7" "DELETE FROM audit_keyed"; do
  sqlite3 "$DB" "$sql" 2>"$T/err"; rc=$?
  check "refused: $sql" bash -c "[ $rc -ne 0 ] && grep -q 'append-only' '$T/err'"
done
check "nothing changed" bash -c "'$VIGIL' audit verify --db '$DB' >/dev/null"

# one who can write the database (not the key or the head file) drops the
# triggers and edits a copy; the copy is verified with the kept key and head
cat >"$T/rechain.py" <<'PY'
# rechain the whole log as the old unkeyed SHA-256 chain: what one without
# the key can compute
import hashlib, sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
def text(s):
    return b"\xff" if s is None else s.encode() + b"\0"
prev = None
for row in db.execute("SELECT id, at, COALESCE(user_id, 0), action, object_type,"
                      " COALESCE(object_id, 0), detail FROM audit_log ORDER BY id").fetchall():
    h = hashlib.sha256()
    if prev:
        h.update(prev)
    h.update(struct.pack(">qq", row[1], row[2]) + text(row[3]) + text(row[4])
             + struct.pack(">q", row[5]) + text(row[6]))
    db.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", (prev, h.digest(), row[0]))
    prev = h.digest()
db.commit()
PY
DROP="DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_keyed_no_delete;"
KEPT=(--audit-key "$DB.audit-key" --head-file "$DB.audit-head")
attack() { # attack NAME SQL [rechain]: a copy, edited; verify's exit status
  cp "$DB" "$T/$1.db"
  sqlite3 "$T/$1.db" "$DROP $2"
  [ -z "${3:-}" ] || python3 "$T/rechain.py" "$T/$1.db"
  "$VIGIL" audit verify --db "$T/$1.db" "${KEPT[@]}" >"$T/out" 2>"$T/err"
}
attack changed "UPDATE audit_log SET detail = 'bob, role admin' WHERE id = 2"; rc=$?
check "a changed record is found" test $rc -eq 1
check "by number" grep -q 'record 2 does not match its MAC' "$T/err"
attack removed "DELETE FROM audit_log WHERE id = 3"; rc=$?
check "a removed record is found" test $rc -eq 1
check "at the next one" grep -q 'record 4 does not follow' "$T/err"
attack first "DELETE FROM audit_log WHERE id = 1"; rc=$?
check "removing the first record is found too" test $rc -eq 1
attack reordered "UPDATE audit_log SET id = -3 WHERE id = 3; UPDATE audit_log SET id = 3 WHERE id = 4; UPDATE audit_log SET id = 4 WHERE id = -3"; rc=$?
check "two records swapped (each with its own MAC): found" bash -c "[ $rc -eq 1 ] && grep -q 'record 3 ' '$T/err'"
attack newest "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)"; rc=$?
check "the newest record removed: found by the head file" bash -c "[ $rc -eq 1 ] && grep -q 'the audit log was cut' '$T/err'"
attack cut "DELETE FROM audit_log WHERE id > 5"; rc=$?
check "records cut off the end: found by the head file" test $rc -eq 1
check "saying so" grep -q 'the audit log was cut: the kept head is record 6, the log ends at record 5' "$T/err"
"$VIGIL" audit verify --db "$T/cut.db" --audit-key "$DB.audit-key" --head "$HEAD" >/dev/null 2>"$T/err"; rc=$?
check "and by the head printed (--head SEQ:MAC)" bash -c "[ $rc -eq 1 ] && grep -q 'the kept head is record 7' '$T/err'"
attack deleted "DELETE FROM audit_log WHERE id = 3" rechain; rc=$?
check "a deletion rechained without the key is found" test $rc -eq 1
check "at the first record rechained" grep -q 'record 1 does not match its MAC' "$T/err"
attack edited "UPDATE audit_log SET detail = 'nothing happened' WHERE id = 5" rechain; rc=$?
check "an edit rechained without the key is found" test $rc -eq 1
check "as not the key's" grep -q 'rechained without the key' "$T/err"
attack unkeyed "UPDATE audit_log SET detail = 'nothing happened' WHERE id = 5; DELETE FROM audit_keyed" rechain; rc=$?
check "the whole log made unkeyed and rechained: found by the head file" test $rc -eq 1
check "record 1 differs from its kept head" grep -q 'record 1 differs from the kept head' "$T/err"
head -c 32 /dev/urandom >"$T/other.key"; chmod 600 "$T/other.key"
"$VIGIL" audit verify --db "$DB" --audit-key "$T/other.key" >/dev/null 2>"$T/err"; rc=$?
check "another key: found" bash -c "[ $rc -eq 1 ] && grep -q 'made with another key' '$T/err'"
"$VIGIL" audit verify --db "$DB" --audit-key "$T/none.key" >"$T/out" 2>&1; rc=$?
check "without the key, verify does not say intact" bash -c "[ $rc -eq 1 ] && ! grep -q intact '$T/out'"
check "but that it cannot check the MACs" grep -q 'the MACs cannot be checked without the audit key' "$T/out"
chmod 644 "$DB.audit-key"
echo 'another long password' | v users add erin >/dev/null 2>"$T/err"; rc=$?
check "a key others can read is refused" bash -c "[ $rc -eq 1 ] && grep -q 'chmod 600' '$T/err'"
chmod 600 "$DB.audit-key"

# the store is its owner's only: made 0600 in a folder made 0700; a store
# others can read (as older versions made it) is refused, saying the fix
check "the store is made 0600" test "$(stat -c %a "$DB")" = 600
echo 'another long password' | "$VIGIL" users add dave --db "$T/new/dir/vigil.db" >/dev/null
check "its new folder 0700" test "$(stat -c %a "$T/new/dir")" = 700
chmod 644 "$DB"
v users ls >/dev/null 2>"$T/err"; rc=$?
check "a store others can read is refused" test $rc -eq 1
check "saying why and how to fix it" grep -qF "$DB: other users can read it (mode 0644), and the store holds reports and password hashes; make it its owner's only: chmod 600 $DB" "$T/err"
chmod 600 "$DB"
check "fixed as told, it opens" bash -c "'$VIGIL' users ls --db '$DB' | grep -q alice"
finish
