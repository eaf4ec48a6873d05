#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package, end to end, as docs/OPERATIONS.md, section 1 says: built
# from this tree by the documented command (the release tree, CPack),
# lintian clean, installed with dpkg -i, its files in place, the service
# started as its unit says (by systemd when systemd is PID 1, else the
# unit's ExecStart as the vigil user with setpriv), the first admin made and
# signed in, /readyz answered, `man vigil` and a page per command made from
# --help, then removed (the configuration and the data kept) and purged
# (nothing left but the vigil user and group, which purge keeps).
# It installs Vigil system-wide: it needs root and dpkg (CI runs as root),
# and fails, saying so, without them, where a vigil package is already
# installed, or where 127.0.0.1:8080 is taken.
# Usage: test_package.sh VIGIL_BINARY TESTDATA_DIR (both unused: the
# package is always built from the release tree)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
U=http://127.0.0.1:8080
PW='correct horse battery staple'
STATE=/var/lib/vigil
UNIT=/lib/systemd/system/vigil.service
SYSTEMD=0
[ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && SYSTEMD=1

die() { echo "test_package: $*" >&2; rm -rf "$T"; exit 1; }
[ "$(id -u)" -eq 0 ] ||
  die "needs root: it installs the package with dpkg (CI runs as root)"
for tool in dpkg dpkg-deb lintian setpriv runuser curl man systemd-analyze; do
  command -v "$tool" >/dev/null ||
    die "$tool is missing: run scripts/install-deps"
done
dpkg-query -W -f='${Status}' vigil 2>/dev/null | grep -q ' installed$' &&
  die "a vigil package is installed on this machine; this test installs and purges its own: remove it first"
(exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null &&
  die "127.0.0.1:8080 is taken; the package's service listens there"

SPID=
stop_service() {
  if [ "$SYSTEMD" = 1 ]; then
    systemctl stop vigil.service 2>/dev/null
  elif [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
    kill -TERM "$SPID"
    for _ in $(seq 200); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
  fi
}
cleanup() {
  stop_service
  [ -n "${SPID2:-}" ] && kill "$SPID2" 2>/dev/null
  dpkg-query -W -f='${Status}' vigil 2>/dev/null | grep -q 'installed$' &&
    dpkg --purge vigil >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
ready() { # ready URL: 200 within 30 s
  for _ in $(seq 300); do
    [ "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}

# ---- build: the command of docs/OPERATIONS.md, section 1 ----
cd "$SRC" || exit 1
B=build/release
rm -f "$B"/vigil_*.deb
{
  cmake --preset release &&
    cmake --build --preset release -j2 &&
    cpack --config "$B/CPackConfig.cmake" -B "$B"
} >"$T/build.log" 2>&1 || tail -30 "$T/build.log"
VERSION=$(sed -n 's/^project(vigil VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
DEB="$B/vigil_${VERSION}_$(dpkg --print-architecture).deb"
check "built from the tree: $DEB" test -s "$DEB"
[ -s "$DEB" ] || { finish; exit 1; }

lintian --fail-on error,warning --tag-display-limit 0 "$DEB" >"$T/lintian" 2>"$T/lintian.err"
rc=$?
cat "$T/lintian"
check "lintian: exit 0, no error or warning" \
  bash -c "[ $rc -eq 0 ] && ! grep -q '^[EW]: ' '$T/lintian'"

# ---- install ----
dpkg -i "$DEB" >"$T/dpkg.log" 2>&1 || cat "$T/dpkg.log"
check "dpkg -i: installed" bash -c "dpkg-query -W -f='\${Status}' vigil | grep -q 'install ok installed'"
check "/usr/bin/vigil -> ../lib/vigil/vigil (vigil-core beside it)" \
  bash -c "[ \"\$(readlink /usr/bin/vigil)\" = ../lib/vigil/vigil ] && [ -x /usr/lib/vigil/vigil-core ]"
check "vigil --version: vigil $VERSION" test "$(vigil --version)" = "vigil $VERSION"
check "vigil serve --help runs (the installed vigil-core)" bash -c "vigil serve --help | grep -q '^Usage: vigil serve'"
check "web/, notice texts and data in /usr/share/vigil" \
  test -f /usr/share/vigil/web/templates/home.html -a -f /usr/share/vigil/web/notices/en.txt \
  -a -f /usr/share/vigil/data/rdap-bootstrap-ipv4.json
check "/etc/vigil/serve.conf is a conffile" \
  bash -c "dpkg-query -W -f='\${Conffiles}' vigil | grep -q '^ /etc/vigil/serve.conf '"
for line in 'db = /var/lib/vigil/vigil.db' 'key-file = /var/lib/vigil/contact.key' \
  'audit-key = /var/lib/vigil/vigil.db.audit-key' 'audit-head = /var/lib/vigil/vigil.db.audit-head' \
  'listen = 127.0.0.1:8080' 'web = /usr/share/vigil/web'; do
  check "serve.conf: $line" grep -qx "$line" /etc/vigil/serve.conf
done
check "the vigil system user and group, no login, home $STATE" bash -c "
  IFS=: read -r _ _ uid gid _ home shell < <(getent passwd vigil) &&
  [ \"\$uid\" -lt 1000 ] && [ \"\$(getent group vigil | cut -d: -f3)\" = \"\$gid\" ] &&
  [ \"\$home\" = $STATE ] && [ \"\$shell\" = /usr/sbin/nologin ]"
check "$STATE: vigil's, mode 750" test "$(stat -c '%U:%G %a' $STATE)" = "vigil:vigil 750"
for line in 'User=vigil' 'ExecStart=/usr/bin/vigil serve --config /etc/vigil/serve.conf' \
  'StateDirectory=vigil' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
  'NoNewPrivileges=yes' 'CapabilityBoundingSet=' 'SystemCallFilter=@system-service' \
  'PrivateDevices=yes' 'UMask=0077'; do
  check "the unit: $line" grep -qx "$line" "$UNIT"
done
check "systemd-analyze verify: the unit is sound" systemd-analyze verify "$UNIT"
systemd-analyze security --offline=yes "$UNIT" >"$T/security" 2>&1
exposure=$(sed -n 's/.*Overall exposure level for vigil.service: \([0-9.]*\).*/\1/p' "$T/security")
check "systemd-analyze security: exposure $exposure, at most 2.0 (OK)" \
  awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 2.0) }'
check "enabled: multi-user.target wants vigil.service" \
  test -L /etc/systemd/system/multi-user.target.wants/vigil.service

# ---- manual pages, from --help ----
commands=$(vigil --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
missing=
for c in $commands; do
  [ -f "/usr/share/man/man1/vigil-$c.1.gz" ] || missing+=" vigil-$c"
done
check "a page per command ($(echo $commands | wc -w)), none missing:$missing" \
  test -z "$missing" -a -n "$commands" -a -f /usr/share/man/man1/vigil.1.gz
check "man vigil: NAME and every command" bash -c "
  man -P cat vigil 2>/dev/null >'$T/man' && grep -q '^NAME' '$T/man' &&
  for c in $(echo $commands); do grep -qE \"^ *\$c( |\$)\" '$T/man' || exit 1; done"
# every word of `vigil serve --help` is in vigil-serve(1), lines too long to break
MANWIDTH=2000 man -P cat vigil-serve 2>/dev/null | tr -s ' \t' '\n\n' | sort -u >"$T/man.words"
vigil serve --help | tr -s ' \t' '\n\n' | grep -vx 'Usage:' | sort -u >"$T/help.words"
check "man vigil-serve: the text of vigil serve --help ($(wc -l <"$T/help.words") words)" \
  test -z "$(comm -23 "$T/help.words" "$T/man.words")"

# ---- the service ----
if [ "$SYSTEMD" = 1 ]; then
  systemctl start vigil.service
else
  exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
  umask_u=$(sed -n 's/^UMask=//p' "$UNIT")
  read -r -a cmd <<<"$exec_start"
  (umask "$umask_u" && cd "$STATE" &&
    exec setpriv --reuid vigil --regid vigil --init-groups -- "${cmd[@]}") \
    >"$T/serve.out" 2>"$T/serve.err" &
  SPID=$!
fi
check "the service answers /readyz on 127.0.0.1:8080" ready "$U/readyz"
check "and the report form (web/ from /usr/share/vigil)" \
  bash -c "curl -s --noproxy '*' '$U/report' | grep -q '<form'"

# the first admin, as the docs say
printf '%s\n' "$PW" | runuser -u vigil -- vigil users add admin --role admin \
  --db $STATE/vigil.db >"$T/add" 2>&1
check "first admin: runuser -u vigil -- vigil users add admin --role admin --db $STATE/vigil.db" \
  grep -qx 'added admin (admin)' "$T/add"
jar="$T/jar"
curl -s --noproxy '*' -b "$jar" -c "$jar" "$U/console/login" -o "$T/form"
csrf=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/form" | head -1 | grep -o '[0-9a-f]\{64\}')
code=$(curl -s --noproxy '*' -b "$jar" -c "$jar" --data-urlencode "csrf=$csrf" \
  --data-urlencode username=admin --data-urlencode "password=$PW" \
  -o /dev/null -w '%{http_code}' "$U/console/login")
check "the admin signs in to the console (303)" test "$code" = 303
check "and opens the users page" test "$(curl -s --noproxy '*' -b "$jar" -o /dev/null \
  -w '%{http_code}' "$U/console/admin/users")" = 200
check "vigil audit verify (as vigil): the service's and the command's records, one chain" \
  bash -c "runuser -u vigil -- vigil audit verify --db $STATE/vigil.db | grep -q '^audit log intact'"
check "the store and keys: vigil's, mode 600" bash -c "
  for f in vigil.db contact.key vigil.db.audit-key vigil.db.audit-head; do
    [ \"\$(stat -c '%U %a' $STATE/\$f)\" = 'vigil 600' ] || exit 1; done"

# the installed defaults, without --web or --config: web/ found beside vigil-core
chmod 711 "$T"
install -d -o vigil -g vigil "$T/bare"
runuser -u vigil -- vigil serve --db "$T/bare/v.db" --no-crawl \
  --listen 127.0.0.1:0 >"$T/bare.out" 2>"$T/bare.err" &
SPID2=$!
for _ in $(seq 300); do
  port=$(sed -n 's|^vigil: serving on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/bare.out")
  [ -n "$port" ] && break
  sleep 0.1
done
check "vigil serve without --web: the form from /usr/share/vigil/web" \
  bash -c "curl -s --noproxy '*' 'http://127.0.0.1:${port:-1}/report' | grep -q '<form'"
kill "$SPID2" 2>/dev/null; wait "$SPID2" 2>/dev/null; SPID2=

stop_service
if [ "$SYSTEMD" = 0 ]; then
  wait "$SPID"; rc=$?
  check "SIGTERM: the service stops cleanly (exit $rc)" test "$rc" -eq 0
  SPID=
fi

# ---- remove, then purge ----
dpkg -r vigil >"$T/dpkg.log" 2>&1 || cat "$T/dpkg.log"
check "dpkg -r: the programs gone" test ! -e /usr/bin/vigil -a ! -e /usr/lib/vigil
check "  the configuration kept" test -f /etc/vigil/serve.conf
check "  the data kept" test -f $STATE/vigil.db -a -f $STATE/contact.key -a -f $STATE/vigil.db.audit-key
dpkg --purge vigil >"$T/dpkg.log" 2>&1 || cat "$T/dpkg.log"
check "dpkg --purge: no longer known to dpkg" \
  bash -c "! dpkg-query -W -f='\${Status}' vigil 2>/dev/null | grep -q 'installed\$'"
left=
for p in /usr/bin/vigil /usr/lib/vigil /usr/share/vigil /usr/share/doc/vigil \
  /usr/share/man/man1/vigil.1.gz /usr/share/man/man1/vigil-serve.1.gz "$UNIT" \
  /etc/vigil $STATE /etc/systemd/system/multi-user.target.wants/vigil.service \
  /etc/systemd/system/vigil.service /var/lib/systemd/deb-systemd-helper-enabled/vigil.service.dsh-also \
  /var/lib/systemd/deb-systemd-helper-masked/vigil.service; do
  [ -e "$p" ] || [ -L "$p" ] && left+=" $p"
done
check "  nothing left:${left:- the files, /etc/vigil, $STATE, the links of the unit}" test -z "$left"
check "  no process of vigil's left" bash -c "! pgrep -u vigil >/dev/null"
check "  the vigil user and group kept (as documented)" bash -c "getent passwd vigil >/dev/null && getent group vigil >/dev/null"
finish
