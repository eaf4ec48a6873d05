#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sending notices by SMTP, for real: `vigil notices test-smtp` against
# tests/fixtures/smtp_server.py (aiosmtpd) on 127.0.0.1.  Delivered, and
# the bytes received decode to what was sent (RFC 2047 subject and name,
# quoted-printable UTF-8 body with long lines and dot lines, the given
# Message-ID, CRLF, SIZE); STARTTLS required and verified with the test
# CA (and refused without it, or when not offered); smtps://; AUTH right,
# wrong, missing, and never over plain text; 550 for a recipient
# (permanent, with the reply; the other recipients still served); 451
# (temporary) at RCPT and after DATA, then the retry with the same
# Message-ID; a relay that is down; a slow relay (timeout: temporary,
# though the message arrived: why retries keep the Message-ID).
# Usage: test_smtp_relay.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

# Debian's python3-aiosmtpd is for Debian's python3 (another one may be first
# in PATH)
PY=
for p in python3 /usr/bin/python3; do
  "$p" -c 'import aiosmtpd' 2>/dev/null && { PY=$p; break; }
done
if [ -z "$PY" ]; then
  echo "not ok - python3-aiosmtpd is missing (scripts/install-deps)"; exit 1
fi

# start NAME [FLAGS...]: a server that stores into $T/NAME; sets PORT
start() {
  local name=$1; shift
  "$PY" "$ROOT/tests/fixtures/smtp_server.py" --dir "$T/$name" \
    --certdir "$T/certs" "$@" >"$T/$name.out" 2>"$T/$name.err" &
  PIDS+=($!)
  PORT=
  for _ in $(seq 200); do
    PORT=$(awk '/^PORT /{print $2}' "$T/$name.out" 2>/dev/null)
    [ -n "$PORT" ] && break
    sleep 0.05
  done
  [ -n "$PORT" ] || { echo "not ok - smtp_server.py $name did not start"; cat "$T/$name.err"; exit 1; }
}
send() { "$VIGIL" notices test-smtp --from notices@hotline.example "$@"; }
# j FILE EXPR: a value from a JSON file (d is the object)
j() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
stored() { ls "$T/$1"/*.json 2>/dev/null | wc -l; }

# ---- delivered: the bytes received ----
start plain
SUBJECT='Avis de retrait : contenu signalé (réf. 7K3D-9QF2) — 日本語 😀'
ID='<notice-42.7k3d@hotline.example>'
{
  printf 'Bonjour,\n\n'
  printf 'Le contenu à %s a été signalé.\n' "https://host.example/$(printf 'a%.0s' $(seq 150))?id=42&x=é"
  printf '.\n.hidden line\nFrom here on\ntrailing spaces   \n'
  printf '%s\n' "$(printf 'é%.0s' $(seq 100))"
  printf 'a=b\tc\nno final line break'
} >"$T/body.txt"
send --relay "smtp://127.0.0.1:$PORT/vigil.test" --starttls none \
  --to abuse@host.example --to noc@host.example --from-name 'Vigil — Montréal' \
  --subject "$SUBJECT" --body-file "$T/body.txt" --message-id "$ID" \
  --json >"$T/j" 2>"$T/e"; rc=$?
check "delivered: exit 0" test $rc -eq 0
check "delivered: outcome sent, the relay's queue reply" test "$(j "$T/j" 'd["outcome"], d["code"], d["reply"]')" = "('sent', 250, '250 2.0.0 OK queued as 1')"
check "delivered: both recipients accepted" test "$(j "$T/j" '[r["state"] for r in d["recipients"]]')" = "['accepted', 'accepted']"
check "delivered: stored once" test "$(stored plain)" -eq 1
check "envelope: sender, recipients, no TLS" test "$(j "$T/plain/1.json" 'd["mail_from"], d["rcpt_tos"], d["tls"]')" = "('notices@hotline.example', ['abuse@host.example', 'noc@host.example'], False)"
check "the received message decodes to what was sent" "$PY" - "$T/plain" "$T/body.txt" "$SUBJECT" "$ID" <<'PY'
import email, email.policy, json, sys
d, body, subject, msgid = sys.argv[1:]
raw = open(d + "/1.eml", "rb").read()
meta = json.load(open(d + "/1.json"))
def fail(why):
    print(why, file=sys.stderr); sys.exit(1)
# the size announced in MAIL FROM is the size received: nothing was
# changed on the way (libcurl's dot-stuffing undone by the server)
if "SIZE=%d" % len(raw) not in meta["mail_options"]: fail(("SIZE", meta, len(raw)))
lines = raw.split(b"\r\n")
if lines[-1] != b"": fail("no final CRLF")
for l in lines:
    if b"\r" in l or b"\n" in l: fail(("bare CR or LF", l))
    if len(l) > 76: fail(("line over 76", l))
    if any(c > 126 for c in l): fail(("8-bit byte", l))
m = email.message_from_bytes(raw, policy=email.policy.default)
if m["Subject"] != subject: fail(("Subject", m["Subject"]))
if m["Message-ID"] != msgid: fail(("Message-ID", m["Message-ID"]))
if m["From"].addresses[0].display_name != "Vigil — Montréal": fail(("From", m["From"]))
if [a.addr_spec for a in m["To"].addresses] != ["abuse@host.example", "noc@host.example"]: fail(("To", m["To"]))
for h, v in (("MIME-Version", "1.0"), ("Content-Transfer-Encoding", "quoted-printable"),
             ("Auto-Submitted", "auto-generated")):
    if m[h] != v: fail((h, m[h]))
if m.get_content_type() != "text/plain" or m.get_content_charset() != "utf-8": fail("Content-Type")
if not m["Date"].endswith("+0000"): fail(("Date", m["Date"]))
want = open(body, encoding="utf-8").read().replace("\n", "\r\n") + "\r\n"
got = m.get_payload(decode=True).decode("utf-8")
if got != want: fail(("body", got, want))
PY
check "the EHLO name is the URL's path" test "$(j "$T/plain/1.json" 'd["helo"]')" = vigil.test

# ---- STARTTLS and smtps:// ----
start tls --starttls
send --relay "smtp://127.0.0.1:$PORT" --cafile "$T/certs/ca.pem" \
  --to abuse@host.example >"$T/o" 2>&1; rc=$?
check "STARTTLS required, verified with the test CA: sent" test $rc -eq 0
check "and the server saw TLS" test "$(j "$T/tls/1.json" 'd["tls"]')" = True
send --relay "smtp://127.0.0.1:$PORT" --to abuse@host.example >"$T/o" 2>&1; rc=$?
check "a relay certificate the system CAs do not know: refused" test $rc -eq 1
check "as a local failure at STARTTLS, saying why" grep -q '^local failure at starttls (check the relay configuration): SSL certificate problem' "$T/o"
check "nothing was sent without verification" test "$(stored tls)" -eq 1
start plain2
send --relay "smtp://127.0.0.1:$PORT" --cafile "$T/certs/ca.pem" \
  --to abuse@host.example >"$T/o" 2>&1; rc=$?
check "STARTTLS required but not offered: refused" test $rc -eq 1
check "as a local failure after EHLO" grep -q '^local failure at ehlo' "$T/o"
check "nothing was sent in plain text" test "$(stored plain2)" -eq 0
send --relay "smtp://127.0.0.1:$PORT" --starttls try --to abuse@host.example >"$T/o" 2>&1; rc=$?
check "STARTTLS try: sent without TLS when not offered" test $rc -eq 0
start implicit --implicit-tls
send --relay "smtps://127.0.0.1:$PORT" --cafile "$T/certs/ca.pem" \
  --to abuse@host.example >"$T/o" 2>&1; rc=$?
check "smtps:// (TLS from the first byte): sent" test $rc -eq 0
check "and the server saw TLS" test "$(j "$T/implicit/1.json" 'd["tls"]')" = True

# ---- AUTH ----
start auth --starttls --auth 'vigil:correct horse battery'
echo 'correct horse battery' >"$T/pw"
echo 'wrong horse battery' >"$T/badpw"
send --relay "smtp://127.0.0.1:$PORT" --cafile "$T/certs/ca.pem" \
  --user vigil --password-file "$T/pw" --to abuse@host.example >"$T/o" 2>&1; rc=$?
check "AUTH with the right password: sent" test $rc -eq 0
check "as that user" test "$(j "$T/auth/1.json" 'd["auth"]')" = vigil
send --relay "smtp://127.0.0.1:$PORT" --cafile "$T/certs/ca.pem" \
  --user vigil --password-file "$T/badpw" --to abuse@host.example >"$T/o" 2>&1; rc=$?
check "a wrong password: refused" test $rc -eq 1
check "as a local failure at AUTH with the 535" grep -q '^local failure at auth (check the relay configuration): 535 ' "$T/o"
check "the password is not printed" bash -c "! grep -q horse '$T/o'"
send --relay "smtp://127.0.0.1:$PORT" --cafile "$T/certs/ca.pem" \
  --to abuse@host.example >"$T/o" 2>&1; rc=$?
check "no AUTH where it is required: local failure at MAIL (530)" grep -q '^local failure at mail .*: 530 ' "$T/o"
send --relay "smtp://127.0.0.1:$PORT" --starttls try --user vigil \
  --password-file "$T/pw" --to abuse@host.example >"$T/o" 2>&1; rc=$?
check "a password without certain TLS: refused before connecting (exit 2)" test $rc -eq 2
check "saying why" grep -q 'only sent over TLS' "$T/o"
check "only the one authenticated message arrived" test "$(stored auth)" -eq 1

# ---- refused recipients ----
start reject --reject gone@host.example
send --relay "smtp://127.0.0.1:$PORT" --starttls none --to gone@host.example \
  --json >"$T/j" 2>&1; rc=$?
check "550 for the only recipient: exit 1" test $rc -eq 1
check "permanent, at RCPT, with the reply text" test "$(j "$T/j" 'd["outcome"], d["stage"], d["code"], d["reply"]')" = "('permanent', 'rcpt', 550, '550 5.1.1 <gone@host.example>: Recipient address rejected: mailbox unavailable')"
check "nothing stored" test "$(stored reject)" -eq 0
send --relay "smtp://127.0.0.1:$PORT" --starttls none --to abuse@host.example \
  --to gone@host.example --to noc@host.example --json >"$T/j" 2>&1; rc=$?
check "one of three refused: the others still get it" test "$(j "$T/j" 'd["outcome"]')" = sent
check "each recipient's reply" test "$(j "$T/j" '[(r["state"], r["code"]) for r in d["recipients"]]')" = "[('accepted', 250), ('permanent', 550), ('accepted', 250)]"
check "the refused one's reason" test "$(j "$T/j" 'd["recipients"][1]["reply"]')" = '550 5.1.1 <gone@host.example>: Recipient address rejected: mailbox unavailable'
check "exit 1: not every recipient took it" test $rc -eq 1
check "stored for the two" test "$(j "$T/reject/1.json" 'd["rcpt_tos"]')" = "['abuse@host.example', 'noc@host.example']"

# ---- temporary failures, and the retry with the same Message-ID ----
start grey --tempfail-first 1 --tempfail-at data
ID='<retry-1.7k3d@hotline.example>'
send --relay "smtp://127.0.0.1:$PORT" --starttls none --to abuse@host.example \
  --message-id "$ID" --json >"$T/j" 2>&1; rc=$?
check "451 after DATA: exit 1" test $rc -eq 1
check "temporary, at the message, with the reply" test "$(j "$T/j" 'd["outcome"], d["stage"], d["reply"]')" = "('temporary', 'message', '451 4.3.0 local problem, try again later')"
check "the recipient is to retry" test "$(j "$T/j" 'd["recipients"][0]["state"]')" = temporary
send --relay "smtp://127.0.0.1:$PORT" --starttls none --to abuse@host.example \
  --message-id "$ID" >"$T/o" 2>&1; rc=$?
check "the retry: sent" test $rc -eq 0
check "once, with the same Message-ID" bash -c "test \"\$(ls '$T/grey'/*.eml | wc -l)\" -eq 1 && grep -q '^Message-ID: $ID' '$T/grey/1.eml'"
start greyrcpt --tempfail-first 1 --tempfail-at rcpt
send --relay "smtp://127.0.0.1:$PORT" --starttls none --to abuse@host.example \
  --json >"$T/j" 2>&1; rc=$?
check "451 at RCPT (greylisting): temporary" test "$(j "$T/j" 'd["outcome"], d["stage"], d["recipients"][0]["state"], d["recipients"][0]["code"]')" = "('temporary', 'rcpt', 'temporary', 451)"

# ---- no relay, a slow relay ----
CLOSED=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
send --relay "smtp://127.0.0.1:$CLOSED" --starttls none --to abuse@host.example \
  --json >"$T/j" 2>&1; rc=$?
check "relay down: exit 1" test $rc -eq 1
check "temporary, at connect, with libcurl's reason" test "$(j "$T/j" 'd["outcome"], d["stage"], d["code"], "refused" in d["detail"] or "connect" in d["detail"]')" = "('temporary', 'connect', 0, True)"
start slow --slow 4
ID='<slow-1.7k3d@hotline.example>'
send --relay "smtp://127.0.0.1:$PORT" --starttls none --to abuse@host.example \
  --timeout 1 --message-id "$ID" --json >"$T/j" 2>&1; rc=$?
check "a slow relay: timeout, temporary, while waiting for the reply to the message" test "$(j "$T/j" 'd["outcome"], d["stage"], "timeout" in d["detail"]')" = "('temporary', 'message', True)"
check "the recipient: to retry, with the reason" test "$(j "$T/j" 'd["recipients"][0]["state"], d["recipients"][0]["code"], d["recipients"][0]["reply"] == d["detail"]')" = "('temporary', 0, True)"
check "yet the message arrived" test "$(stored slow)" -eq 1
send --relay "smtp://127.0.0.1:$PORT" --starttls none --to abuse@host.example \
  --timeout 20 --message-id "$ID" >"$T/o" 2>&1; rc=$?
check "the retry: sent" test $rc -eq 0
check "the duplicate carries the same Message-ID (the receiver can tell)" bash -c "grep -h '^Message-ID:' '$T/slow/1.eml' '$T/slow/2.eml' | sort -u | tr -d '\r' | grep -qx 'Message-ID: $ID' && test \$(grep -h '^Message-ID:' '$T/slow/1.eml' '$T/slow/2.eml' | sort -u | wc -l) -eq 1"

# ---- usage ----
send --relay "smtp://127.0.0.1:$CLOSED" --to 'abuse@host.example>' >/dev/null 2>"$T/e"; rc=$?
check "a malformed recipient: usage error" test $rc -eq 2
send --relay "smtp://127.0.0.1:$CLOSED" --to abuse@host.example \
  --subject $'x\r\nBcc: victim@example.org' >/dev/null 2>"$T/e"; rc=$?
check "a line break in the subject: refused (exit 2)" test $rc -eq 2
check "as header injection" grep -q 'header injection' "$T/e"
"$VIGIL" notices test-smtp --to a@b >/dev/null 2>&1; rc=$?
check "no relay: usage error" test $rc -eq 2
finish
