#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `vigil users` and `vigil audit` on a fresh store: accounts with Argon2id
# hashes (never the password), the password rule, roles, disabling and a
# new password (which end sessions), an audit chain that shows any changed,
# removed or reordered record, and a store only its owner can read.
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

# the audit log: every change above, chained
check "seven records (2 adds, disable, enable, passwd, key add, revoke)" test "$(q "SELECT COUNT(*) FROM audit_log")" -eq 7
check "ls shows them" bash -c "'$VIGIL' audit ls --db '$DB' | grep -c '^[0-9]* .* cli ' | grep -qx 7"
check "verify: intact" bash -c "'$VIGIL' audit verify --db '$DB' | grep -qx 'audit log intact: 7 records'"
cp "$DB" "$T/changed.db"
sqlite3 "$T/changed.db" "UPDATE audit_log SET detail = 'bob, role admin' WHERE id = 2"
"$VIGIL" audit verify --db "$T/changed.db" >/dev/null 2>"$T/err"; rc=$?
check "a changed record is found" test $rc -eq 1
check "by number" grep -q 'record 2 was changed' "$T/err"
cp "$DB" "$T/removed.db"
sqlite3 "$T/removed.db" "DELETE FROM audit_log WHERE id = 3"
"$VIGIL" audit verify --db "$T/removed.db" >/dev/null 2>"$T/err"; rc=$?
check "a removed record is found" test $rc -eq 1
check "at the next one" grep -q 'record 4 does not follow' "$T/err"
cp "$DB" "$T/first.db"
sqlite3 "$T/first.db" "DELETE FROM audit_log WHERE id = 1"
"$VIGIL" audit verify --db "$T/first.db" >/dev/null 2>"$T/err"; rc=$?
check "removing the first record is found too" test $rc -eq 1

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
