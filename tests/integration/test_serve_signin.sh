#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sign-in to `vigil serve`'s console over real HTTP on 127.0.0.1, against
# the attacks on it: an unknown name, a wrong password and an attempt the
# throttle holds back get the same status and page in the same time (20
# tries each, interleaved, medians compared), so names cannot be listed;
# an attacker hammering an account from one address does not stop its
# owner signing in from another (peers 127.0.0.x, and addresses given by a
# trusted proxy, IPv6 by /64); an admin clears an account's failed
# sign-ins with `vigil users unlock` and with the console's button, each
# audited.
# Usage: test_serve_signin.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
DB="$T/vigil.db"
PW='correct horse battery'

for u in alice bob carol dave erin frank; do
  echo "$PW" | "$VIGIL" users add "$u" --db "$DB" >/dev/null
done
echo "$PW" | "$VIGIL" users add root --role admin --db "$DB" >/dev/null
serve_start --trust-proxy
check "serving" test -n "$PORT"

csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -1 | grep -o '[0-9a-f]\{64\}'; }
# login JAR ADDR NAME PASSWORD OUT [QUERY]: one sign-in, from ADDR: a peer
# address 127.x (curl binds to it) or else an address the proxy on this
# machine gives (X-Real-IP); the page to OUT, "status seconds" to stdout.
login() {
  local jar="$T/$1" addr=$2 name=$3 pw=$4 out=$5 q=${6:-} from
  case $addr in
    127.*) from=(--interface "$addr") ;;
    *) from=(-H "X-Real-IP: $addr") ;;
  esac
  curl -s --noproxy '*' --max-time 30 -b "$jar" -c "$jar" "$U/console/login$q" -o "$jar.form"
  curl -s --noproxy '*' --max-time 30 -b "$jar" -c "$jar" "${from[@]}" \
    --data-urlencode "csrf=$(csrf_of "$jar.form")" --data-urlencode "username=$name" \
    --data-urlencode "password=$pw" -o "$out" -w '%{http_code} %{time_total}\n' \
    "$U/console/login$q"
}
status() { login "$@" | cut -d' ' -f1; }

# ---- the same answer, in the same time, for the three cases ----
# Interleaved rounds; before each block of five, the three names get the
# same five failures (bob's from the address his rounds then use, which
# the throttle then holds back), so the three accounts' counts, and the
# small delay they add, stay equal.
mkdir "$T/a"
for k in 1 2 3 4; do
  for j in 1 2 3 4 5; do
    login x "10.0.3.$k" bob "wrong $j" /dev/null >/dev/null
    login x "10.0.4.$k" alice "wrong $j" /dev/null >/dev/null
    login x "10.0.5.$k" nosuch "wrong $j" /dev/null >/dev/null
  done
  for r in 1 2 3 4 5; do
    i=$(((k - 1) * 5 + r))
    for c in $(printf '%s\n' unknown wrong held unknown wrong | tail -n +$((i % 3 + 1)) | head -3); do
      case $c in # the order turns from round to round
        unknown) login x "10.0.1.$i" nosuch "$PW" "$T/a/unknown.$i" >>"$T/a/unknown" ;;
        wrong) login x "10.0.2.$i" alice "wrong again $i" "$T/a/wrong.$i" >>"$T/a/wrong" ;;
        held) login x "10.0.3.$k" bob "$PW" "$T/a/held.$i" >>"$T/a/held" ;;
      esac
    done
  done
done
check "20 of each, all 401 with the same page (but its fresh token and the name typed)" python3 - "$T/a" <<'EOF'
import re, sys
d = sys.argv[1]
pages = set()
for case in ("unknown", "wrong", "held"):
    lines = open(f"{d}/{case}").read().split("\n")[:-1]
    codes = {l.split()[0] for l in lines}
    print(f"# {case}: {len(lines)} tries, status {sorted(codes)}")
    if len(lines) != 20 or codes != {"401"}:
        sys.exit(1)
    for i in range(1, 21):
        h = open(f"{d}/{case}.{i}").read()
        if "or sign-in is slowed down: wait and retry" not in h:
            sys.exit(1)
        h = re.sub(r'value="[0-9a-f]{64}"', "", h)
        h = re.sub(r'(name="username" value=")[^"]*"', r"\1", h)
        pages.add(h)
print(f"# {len(pages)} distinct page(s)")
sys.exit(0 if len(pages) == 1 else 1)
EOF
check "and the same time: medians within 50% (or 25 ms; the old code differed 50-fold)" python3 - "$T/a" <<'EOF'
import statistics, sys
d = sys.argv[1]
med = {c: statistics.median(float(l.split()[1]) for l in open(f"{d}/{c}"))
       for c in ("unknown", "wrong", "held")}
print("# medians: " + ", ".join(f"{c} {m * 1000:.1f} ms" for c, m in med.items()))
lo, hi = min(med.values()), max(med.values())
sys.exit(0 if hi <= lo * 1.5 or hi - lo <= 0.025 else 1)
EOF
login x 10.0.6.1 nosuch "$PW" "$T/fr.html" '?lang=fr' >/dev/null
check "the same message in French" grep -q 'ou la connexion est ralentie : patientez, puis réessayez' "$T/fr.html"
check "no failure was written to the store" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'login%'")" -eq 0

# ---- an attacker does not keep the owner out ----
# a peer at 127.0.0.3 hammers carol while she signs in from 127.0.0.2
( for j in $(seq 8); do login atk 127.0.0.3 carol "guess $j" /dev/null; done >"$T/attack" ) &
APID=$!
for _ in $(seq 200); do [ "$(wc -l <"$T/attack" 2>/dev/null)" -ge 5 ] 2>/dev/null && break; sleep 0.05; done
check "the owner signs in from her own address during the attack" test "$(status carol 127.0.0.2 carol "$PW" /dev/null)" = 303
wait "$APID"
check "every attempt of the attacker failed alike" test "$(cut -d' ' -f1 "$T/attack" | sort -u)" = 401
check "and from the attacker's address even the right password is held back" test "$(status atk 127.0.0.3 carol "$PW" /dev/null)" = 401
check "the owner again, from her address" test "$(status carol2 127.0.0.2 carol "$PW" /dev/null)" = 303
# through the proxy, IPv6: rotating within a /64 gains nothing
for j in 1 2 3 4 5; do login x "2001:db8:1:2::$j" dave "guess $j" /dev/null >/dev/null; done
check "IPv6: held back in the attacker's /64" test "$(status x 2001:db8:1:2::99 dave "$PW" /dev/null)" = 401
check "IPv6: the owner in another /64 signs in" test "$(status d 2001:db8:1:3::1 dave "$PW" /dev/null)" = 303

# ---- an admin clears an account's failures ----
for j in 1 2 3 4 5; do login x 198.51.100.5 erin "guess $j" /dev/null >/dev/null; done
check "erin held back at 198.51.100.5" test "$(status e 198.51.100.5 erin "$PW" /dev/null)" = 401
check "vigil users unlock" bash -c "'$VIGIL' users unlock erin --db '$DB' | grep -qx 'erin unlocked: its failed sign-ins are cleared'"
check "then erin signs in from there" test "$(status e 198.51.100.5 erin "$PW" /dev/null)" = 303
check "audited, as the command line's" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM audit_log a JOIN users u ON u.id = a.object_id WHERE a.action = 'user.unlock' AND COALESCE(a.user_id, 0) = 0 AND u.username = 'erin'")" -eq 1
"$VIGIL" users unlock nobody --db "$DB" >/dev/null 2>"$T/err"; rc=$?
check "unlocking nobody fails" bash -c "[ $rc -eq 1 ] && grep -q 'no user nobody' '$T/err'"

for j in 1 2 3 4 5; do login x 198.51.100.6 frank "guess $j" /dev/null >/dev/null; done
check "frank held back at 198.51.100.6" test "$(status f 198.51.100.6 frank "$PW" /dev/null)" = 401
check "root signs in" test "$(status r 192.0.2.10 root "$PW" /dev/null)" = 303
curl -s --noproxy '*' -b "$T/r" "$U/console/admin/users" >"$T/users.html"
check "the users page shows frank's failures and an unlock button" bash -c "grep -q '6 failed sign-ins lately' '$T/users.html' && grep -q 'action=\"/console/admin/users/frank/unlock\"' '$T/users.html'"
RC=$(csrf_of "$T/users.html")
EC=$(curl -s --noproxy '*' -b "$T/e" "$U/console" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | grep -o '[0-9a-f]\{64\}')
post() { curl -s --noproxy '*' -b "$T/$1" -o /dev/null -w '%{http_code}' "$U/console/admin/users/$2/unlock" -d "csrf=$3"; }
check "unlock without the CSRF token: 403" test "$(post r frank '')" = 403
check "unlock by an analyst: 403" test "$(post e frank "$EC")" = 403
check "unlock of nobody: 404" test "$(post r nobody "$RC")" = 404
check "still held back" test "$(status f 198.51.100.6 frank "$PW" /dev/null)" = 401
check "root unlocks frank" test "$(post r frank "$RC")" = 303
check "then frank signs in from there" test "$(status f 198.51.100.6 frank "$PW" /dev/null)" = 303
check "audited, as root's" test "$(sqlite3 "$DB" "SELECT COUNT(*) FROM audit_log a JOIN users u ON u.id = a.object_id WHERE a.action = 'user.unlock' AND u.username = 'frank' AND a.user_id = (SELECT id FROM users WHERE username = 'root')")" -eq 1
check "the audit chain holds" "$VIGIL" audit verify --db "$DB"

kill -TERM "$PID"; wait "$PID"; RCODE=$?; PID=
check "graceful stop" test "$RCODE" -eq 0
finish
