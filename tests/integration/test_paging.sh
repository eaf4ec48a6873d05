#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# No listing stops early without a word (docs/LISTINGS.md): each listing
# is given more rows than one of its pages (filled by SQL behind Vigil's
# back, which is quick), then the whole set must be reachable: printed
# whole when the listing streams, or page after page through the cursor
# it gives (--after on the command line, `next` in JSON), with the "more"
# line on stderr when a page stopped early and none after the last.
# Usage: test_paging.sh VIGIL_BINARY TESTDATA_DIR
set -u
VIGIL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
store_init "$T/vigil.db"
v() { "$VIGIL" "$@" --db "$DB"; }
q() { sqlite3 "$DB" "$1"; }
# n(i) for i in 1..$1, for INSERT ... SELECT on both backends
upto() { echo "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)"; }

N=1368
PW=correct-horse-battery-staple
echo "$PW" | v users add alice >/dev/null # makes the store
echo "$PW" | v users add root --role admin >/dev/null
q "INSERT INTO urls (url, host, first_seen_at) $(upto $N) SELECT 'http://files.test/' || i, 'files.test', 1000 FROM n"
q "INSERT INTO cases (url_id, opened_at, status) SELECT id, 1000 + id, CASE WHEN id % 3 = 0 THEN 'removed' ELSE 'open' END FROM urls"
check "the store holds $N cases" test "$(q 'SELECT count(*) FROM cases')" -eq $N

# ---- vigil notices ls ----
v notices ls >"$T/all.txt" 2>"$T/all.err"
check "notices ls: every case, no more line" \
  bash -c "[ \$(tail -n +2 '$T/all.txt' | wc -l) -eq $N ] && [ ! -s '$T/all.err' ]"
v notices ls --json >"$T/all.json"
check "notices ls --json: the array of all $N cases, newest first" \
  python3 -c "import json,sys; a=json.load(open('$T/all.json')); ids=[c['id'] for c in a]; sys.exit(not (len(a)==$N and ids==sorted(ids, reverse=True) and len(set(ids))==$N))"
v notices ls --status open --json >"$T/open.json"
check "notices ls --status open: all $(q "SELECT count(*) FROM cases WHERE status = 'open'") open ones" \
  python3 -c "import json,sys; a=json.load(open('$T/open.json')); sys.exit(not (len(a)==$(q "SELECT count(*) FROM cases WHERE status = 'open'") and all(c['status']=='open' for c in a)))"

# text pages of 500, following the "more" line
: >"$T/paged.txt"
AFTER= PAGES=0 MORE_OK=1
while :; do
  v notices ls --limit 500 ${AFTER:+--after "$AFTER"} >"$T/p.txt" 2>"$T/p.err"
  tail -n +2 "$T/p.txt" >>"$T/paged.txt"
  PAGES=$((PAGES + 1))
  AFTER=$(sed -n 's/.*more: --after \([0-9]*\)$/\1/p' "$T/p.err")
  [ -z "$AFTER" ] && break
  [ "$(tail -n +2 "$T/p.txt" | wc -l)" -eq 500 ] || MORE_OK=0
  grep -q "notices ls: 500 shown, more: --after" "$T/p.err" || MORE_OK=0
  [ $PAGES -gt 10 ] && break
done
check "notices ls --limit 500: 3 pages, a more line after each full one" \
  test $PAGES -eq 3 -a $MORE_OK -eq 1
check "notices ls --limit 500: the pages hold every case once, in order" \
  cmp -s "$T/paged.txt" <(tail -n +2 "$T/all.txt")

# JSON pages of 400 through next
python3 - "$VIGIL" "$DB" "$T/all.json" >"$T/jp.out" 2>&1 <<'PY'
import json, subprocess, sys
vigil, db, allf = sys.argv[1:4]
want = [c["id"] for c in json.load(open(allf))]
got, after, pages = [], None, 0
while True:
    cmd = [vigil, "notices", "ls", "--db", db, "--json", "--limit", "400"]
    if after:
        cmd += ["--after", after]
    page = json.loads(subprocess.run(cmd, check=True, capture_output=True).stdout)
    got += [c["id"] for c in page["items"]]
    pages += 1
    after = page["next"]
    if after is None or pages > 10:
        break
    assert isinstance(after, str) and len(page["items"]) == 400, page["next"]
print("pages", pages, "same", got == want)
PY
check "notices ls --json --limit 400: 4 pages through next, every case once" \
  grep -qx "pages 4 same True" "$T/jp.out"
v notices ls --limit 5 --after "$(q 'SELECT min(id) FROM cases')" >"$T/end.txt" 2>"$T/end.err"
check "notices ls --after the oldest: nothing, and no more line" \
  bash -c "[ \$(wc -l <'$T/end.txt') -eq 1 ] && [ ! -s '$T/end.err' ]"
v notices ls --limit 0 >/dev/null 2>"$T/bad.err"
check "notices ls --limit 0: a usage error" test $? -eq 2
v notices ls --after x >/dev/null 2>&1
check "notices ls --after x: a usage error" test $? -eq 2

# ---- vigil audit ls ----
A=$((130 + $(q 'SELECT count(*) FROM audit_log')))
# ids given, as the store gives them (PostgreSQL's identity is not moved)
q "INSERT INTO audit_log (id, at, action, object_type, object_id, detail, hash) $(upto 130) SELECT (SELECT max(id) FROM audit_log) + i, 2000 + i, 'test.paging', 'case', i, 'record ' || i, x'00' FROM n"
v audit ls >"$T/a.txt" 2>"$T/a.err"
check "audit ls: the latest 50, oldest first, and a more line" \
  bash -c "[ \$(wc -l <'$T/a.txt') -eq 50 ] && grep -q 'record 81\$' <(head -1 '$T/a.txt') && grep -q 'record 130\$' <(tail -1 '$T/a.txt') && grep -q 'audit ls: 50 shown, more: --after' '$T/a.err'"
: >"$T/ap.txt"
AFTER= PAGES=0
while :; do
  v audit ls --limit 40 ${AFTER:+--after "$AFTER"} >"$T/p.txt" 2>"$T/p.err"
  cat "$T/ap.txt" >>"$T/p.txt" && mv "$T/p.txt" "$T/ap.txt" # older pages first
  PAGES=$((PAGES + 1))
  AFTER=$(sed -n 's/.*more: --after \([0-9]*\)$/\1/p' "$T/p.err")
  [ -z "$AFTER" ] || [ $PAGES -gt 10 ] && break
done
v audit ls --limit 0 >"$T/aall.txt" 2>"$T/aall.err"
check "audit ls --limit 0: every record, no more line" \
  bash -c "[ \$(wc -l <'$T/aall.txt') -eq $A ] && [ ! -s '$T/aall.err' ]"
check "audit ls --limit 40: $(((A + 39) / 40)) pages back through --after give every record once" \
  bash -c "[ $PAGES -eq $(((A + 39) / 40)) ] && cmp -s '$T/ap.txt' '$T/aall.txt'"

# ---- the API's listings: a bank of more entries than its largest page ----
B=2345
python3 -c "import hashlib; print('\n'.join(hashlib.md5(str(i).encode()).hexdigest() for i in range($B)))" >"$T/md5.txt"
v lists create PAGED_BANK --category csam >/dev/null
v lists import PAGED_BANK "$T/md5.txt" >/dev/null
v lists share PAGED_BANK P >/dev/null
KEY=$(v apikeys add "Platform P" --partner P --scopes lookup,curate | tail -1)
FB=160 # partners' feedback on the bank's entries
q "INSERT INTO partner_feedback (at, key_id, partner, entry_id, verdict) SELECT 6000 + id, 1, 'P', id, 'false_positive' FROM list_entries WHERE id <= (SELECT min(id) FROM list_entries) + $FB - 1"

# ---- providers, and a notice to each ----
P=1234
python3 -c "print('name,abuse_emails,language'); print('\n'.join('Host %04d,abuse@h%d.test,en' % (i, i) for i in range($P)))" >"$T/prov.csv"
v providers import "$T/prov.csv" >/dev/null
v providers ls >"$T/prov.txt" 2>"$T/prov.err"
check "providers ls: all $P, nothing said on stderr" \
  bash -c "[ \$(grep -c '^Host ' '$T/prov.txt') -eq $P ] && [ ! -s '$T/prov.err' ]"
q "INSERT INTO notices (provider_id, cycle, message_id, language, created_at) SELECT id, 1, '<n' || id || '@paging.test>', 'en', 5000 + id FROM providers"

# ---- the listings that print every row: more rows than VG_CLI_PAGE_ALL ----
K=1100
q "INSERT INTO users (username, password_hash, role, created_at) $(upto $K) SELECT 'user' || i, 'x', 'analyst', 7000 + i FROM n"
check "users ls: every account" test "$(v users ls | grep -c '^user[0-9]')" -eq $K
if [ -n "${VIGIL_TEST_PG:-}" ]; then BLOB="decode(md5('k' || i::text), 'hex')"; else BLOB="randomblob(32)"; fi
q "INSERT INTO api_keys (name, key_hash, scopes, created_at) $(upto $K) SELECT 'key' || i, $BLOB, 'lookup', 7000 + i FROM n"
check "apikeys ls: every key" test "$(v apikeys ls | grep -c ' key[0-9]')" -eq $K
q "INSERT INTO hash_lists (name, category, created_at) $(upto $K) SELECT 'list' || i, 'csam', 7000 + i FROM n"
check "lists ls: every list" test "$(v lists ls | grep -c '^list[0-9]')" -eq $K
check "lists export: every one of the bank's $B entries" test "$(v lists export PAGED_BANK --format lines | wc -l)" -eq $B
q "INSERT INTO legal_holds (object_type, object_id, reason, set_at, set_by) SELECT 'case', id, 'paging', 7000, 0 FROM cases WHERE id <= (SELECT min(id) FROM cases) + $K - 1"
check "holds ls: every hold" test "$(v holds ls | grep -c 'paging')" -eq $K
q "INSERT INTO flood_quarantines (entry_id, list_id, at, reason, hour, matches, media, baseline, baseline_hours) SELECT id, list_id, 7000, 'rate', 7200, 50, 1, 1, 24 FROM list_entries WHERE id <= (SELECT min(id) FROM list_entries) + $K - 1"
check "lists quarantine ls: every quarantine in force" test "$(v lists quarantine ls --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -eq $K
q "INSERT INTO crawls (started_at, finished_at, status) $(upto $K) SELECT 7000 + i, 7100 + i, 'finished' FROM n"
check "crawl status: every crawl" test "$(v crawl status | grep -c '^crawl [0-9]')" -eq $K

# ---- reports, and media waiting for review ----
R=123
q "INSERT INTO reports (reference, received_at, channel, incident_type, status) $(upto $R) SELECT 'PAGING-' || i, 3000 + i, 'web', CASE WHEN i % 2 = 0 THEN 'csam' ELSE 'grooming' END, 'new' FROM n"
M=77
if [ -n "${VIGIL_TEST_PG:-}" ]; then BLOB="decode(md5(i::text), 'hex')"; else BLOB="randomblob(32)"; fi
q "INSERT INTO media (sha256, first_seen_at, review, review_queued_at) $(upto $M) SELECT $BLOB, 4000 + i, 'pending', 4000 + i FROM n"
# one media item seen 1,200 times, matched 1,100 times; one report's address
# where 250 media were seen, and the first one: 251
MID=$(q 'SELECT min(id) FROM media')
U1=$(q 'SELECT min(id) FROM urls')
q "INSERT INTO sightings (media_id, url_id, seen_at) SELECT $MID, id, 8000 + id FROM urls WHERE id < $U1 + 1200"
q "INSERT INTO detections (sighting_id, media_id, entry_id, list_id, algo, distance, detected_at) SELECT g.id, $MID, e.id, e.list_id, 'md5', 0, 8000 FROM sightings g JOIN list_entries e ON e.id = (SELECT min(id) FROM list_entries) + g.id - (SELECT min(id) FROM sightings) WHERE g.id < (SELECT min(id) FROM sightings) + 1100"
check "detections --json: every one of the 1100" test "$(v detections --json | grep -c '^{')" -eq 1100
if [ -n "${VIGIL_TEST_PG:-}" ]; then BLOB="decode(md5('m' || i::text), 'hex')"; else BLOB="randomblob(32)"; fi
q "INSERT INTO media (sha256, first_seen_at) $(upto 250) SELECT $BLOB, 4500 + i FROM n"
q "INSERT INTO sightings (media_id, url_id, seen_at) SELECT id, $U1 + 1000, 8500 FROM media WHERE review IS NULL"
RID=$(q "SELECT min(id) FROM reports")
q "INSERT INTO report_urls (report_id, url_id) VALUES ($RID, $U1 + 1000)"

# ---- vigil fleet status: how many job runs of how many ----
q "INSERT INTO job_runs (name, holder, started_ms, ended_ms, outcome) $(upto 25) SELECT 'notices', 'A', 1000 * i, 1000 * i + 500, 'ok' FROM n"
check "fleet status: the last 20 runs, and says of how many" \
  bash -c "v() { \"$VIGIL\" \"\$@\" --db '$DB'; }; [ \"\$(v fleet status | grep '^recent runs')\" = 'recent runs: 20 of 25' ] && [ \$(v fleet status | grep -c '^  notices by A') -eq 20 ]"
check "fleet status --all: every run; --runs 5: five" \
  bash -c "v() { \"$VIGIL\" \"\$@\" --db '$DB'; }; [ \"\$(v fleet status --all | grep '^recent runs')\" = 'recent runs: 25 of 25' ] && [ \$(v fleet status --all | grep -c '^  notices by A') -eq 25 ] && [ \"\$(v fleet status --runs 5 | grep '^recent runs')\" = 'recent runs: 5 of 25' ]"
check "fleet status --json: runs_total beside the 20 runs" \
  python3 -c "import json,subprocess,sys; d=json.loads(subprocess.run(['$VIGIL','fleet','status','--json','--db','$DB'],capture_output=True,text=True).stdout); sys.exit(not (d['runs_total']==25 and len(d['runs'])==20))"
check "fleet status --runs 0: a usage error" bash -c "\"$VIGIL\" fleet status --runs 0 --db '$DB' 2>/dev/null; [ \$? -eq 2 ]"

# ---- the console ----
serve_start
check "vigil serve started" test -n "$PORT"
c() { local url=$1; shift; curl -s --noproxy '*' --max-time 30 -b "$T/jar" -c "$T/jar" "$U$url" "$@"; }
c /console/login >"$T/login.html"
CSRF=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/login.html" | head -1 | grep -o '[0-9a-f]\{64\}')
c /console/login -d "csrf=$CSRF&username=alice&password=$PW" -o /dev/null
# walk PATH TABLE: follow a console listing's next links from PATH, each
# page's row ids (first cell of TABLE's rows) and "Showing" line checked
walk() {
  python3 - "$U" "$T/jar" "$1" "$2" <<'PY'
import html, re, subprocess, sys
base, jar, path, table = sys.argv[1:5]
def get(p):
    return subprocess.run(["curl", "-s", "--noproxy", "*", "-b", jar, base + p],
                          check=True, capture_output=True, text=True).stdout
ids, pages, url, shows, first_page, back_ok, rows = [], 0, path, [], None, True, 0
distinct = set()
while url and pages < 100:
    page = get(url)
    body = page.split('id="%s"' % table, 1)[1].split("</table>", 1)[0]
    ids += [int(x) for x in re.findall(r"<tr[^>]*><td>(\d+)", body)]
    rows += len(re.findall(r"<tr[ >]", body)) - 1  # less the header's
    distinct |= set(re.findall(r"<tr[ >].*?</tr>", body, re.S))
    m = re.search(r'id="%s-pages">([^<]*)<' % table, page)
    shows.append(html.unescape(m.group(1)) if m else None)
    nav = re.search(r'<nav class="pages" aria-labelledby="%s-pages">.*?</nav>' % table, page)
    nav = nav.group(0) if nav else ""
    nxt = re.search(r'<a href="([^"]*)" rel="next"', nav)
    prv = re.search(r'<a href="([^"]*)" rel="prev"', nav)
    if pages == 0:
        first_page = body
        back_ok = prv is None
    elif pages == 1 and prv:  # the previous page of the second is the first
        back = get(html.unescape(prv.group(1)))
        back_ok = back_ok and back.split('id="%s"' % table, 1)[1].split("</table>", 1)[0] == first_page
    url = html.unescape(nxt.group(1)) if nxt else None
    pages += 1
print(len(ids), len(set(ids)), pages, back_ok)
print(rows)
print(shows[0])
print(shows[-1])
print(len(distinct) - 1)  # distinct rows, less the header
PY
}
walk /console/notices cases >"$T/w.out"
check "console notices: 28 pages of 50 through next, every case once, prev goes back" \
  test "$(head -1 "$T/w.out")" = "$N $N 28 True"
check "console notices: 'Showing 1–50 of $N' on the first page" \
  test "$(sed -n 3p "$T/w.out")" = "Showing 1–50 of $N"
check "console notices: 'Showing 1351–$N of $N' on the last" \
  test "$(sed -n 4p "$T/w.out")" = "Showing 1351–$N of $N"
walk /console/notices notices >"$T/w.out"
check "console notices: all $P notices in 25 pages of 50 through next, prev goes back" \
  test "$(head -1 "$T/w.out")" = "$P $P 25 True"
check "console notices: 'Showing 1201–$P of $P' notices on the last" \
  test "$(sed -n 4p "$T/w.out")" = "Showing 1201–$P of $P"
c "/console/notices?before=$(q 'SELECT max(id) - 100 FROM cases')&npage=3" >"$T/both.html"
check "console notices: the cases' page and the notices' page kept in each other's links" \
  bash -c "grep -q 'href=\"/console/notices?npage=3&amp;before=' '$T/both.html' && grep -q 'href=\"/console/notices?before=[0-9]*&amp;npage=4\" rel=\"next\"' '$T/both.html'"
walk /console queue >"$T/w.out"
check "console queue: all $R reports in 3 pages of 50, prev goes back" \
  test "$(head -2 "$T/w.out" | tr '\n' ' ')" = "0 0 3 True $R "
check "console queue: 'Showing 101–$R of $R' on the last" \
  test "$(sed -n 4p "$T/w.out")" = "Showing 101–$R of $R"
C=$(q "SELECT count(*) FROM reports WHERE incident_type = 'csam'")
walk '/console?type=csam' queue >"$T/w.out"
check "console queue filtered: the links keep the filter, $C reports in 2 pages" \
  test "$(head -2 "$T/w.out" | tr '\n' ' ')-$(sed -n 4p "$T/w.out")" = "0 0 2 True $C -Showing 51–$C of $C"
walk /console/media media-queue >"$T/w.out"
check "console media queue: $M media in 2 pages of 50, prev goes back" \
  test "$(head -2 "$T/w.out" | tr '\n' ' ')-$(sed -n 4p "$T/w.out")" = "0 0 2 True $M -Showing 51–$M of $M"
walk /console/feedback feedback >"$T/w.out"
check "console feedback: all $FB in 4 pages of 50, prev goes back" \
  test "$(head -2 "$T/w.out" | tr '\n' ' ')-$(sed -n 4p "$T/w.out")" = "$FB $FB 4 True $FB -Showing 151–$FB of $FB"
walk "/console/media/$MID" sightings >"$T/w.out"
check "console media: all 1200 sightings in 12 pages of 100, each once, prev goes back" \
  test "$(sed -n 1p "$T/w.out" | cut -d' ' -f3,4)-$(sed -n 2p "$T/w.out")-$(sed -n 5p "$T/w.out")" = "12 True-1200-1200"
check "console media: 'Showing 1101–1200 of 1200' sightings on the last" \
  test "$(sed -n 4p "$T/w.out")" = "Showing 1101–1200 of 1200"
walk "/console/media/$MID" detections >"$T/w.out"
check "console media: all 1100 matches in 11 pages of 100, prev goes back" \
  test "$(sed -n 1,2p "$T/w.out" | tr '\n' ' ')-$(sed -n 3,4p "$T/w.out" | tr '\n' ' ')" = "0 0 11 True 1100 -Showing 1–100 of 1100 Showing 1001–1100 of 1100 "
c "/console/media/$MID?spage=2&dpage=3" >"$T/m.html"
check "console media: each table's links keep the other's page" \
  bash -c "grep -q 'href=\"/console/media/$MID?dpage=3&amp;spage=3\" rel=\"next\"' '$T/m.html' && grep -q 'href=\"/console/media/$MID?spage=2&amp;dpage=4\" rel=\"next\"' '$T/m.html' && grep -q 'href=\"/console/media/$MID?dpage=3&amp;spage=1\" rel=\"prev\"' '$T/m.html'"
c "/console/media/$(q 'SELECT max(id) FROM media')" >"$T/m2.html"
check "console media: one page, no next link, when all is shown" \
  bash -c "grep -q 'id=\"sightings-pages\">Showing 1–1 of 1<' '$T/m2.html' && ! grep -q 'rel=\"next\"' '$T/m2.html'"
walk "/console/reports/$RID" report-media >"$T/w.out"
check "console report: all 251 media seen, in 2 pages of 200, each once, prev goes back" \
  test "$(sed -n 1,2p "$T/w.out" | tr '\n' ' ')-$(sed -n 4,5p "$T/w.out" | tr '\n' ' ')" = "0 0 2 True 251 -Showing 201–251 of 251 251 "
c "/console/reports/$RID?lang=fr" >"$T/rfr.html"
check "console report in French: the count and the next link named" \
  bash -c "grep -q 'Lignes 1 à 200 sur 251' '$T/rfr.html' && grep -q 'rel=\"next\" aria-describedby=\"report-media-pages\">Page suivante' '$T/rfr.html'"
c "/console/reports/$RID?lang=en" -o /dev/null # the language is remembered
mv "$T/jar" "$T/jar.alice" # root signs in afresh
c /console/login >"$T/login.html"
CSRF=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/login.html" | head -1 | grep -o '[0-9a-f]\{64\}')
c /console/login -d "csrf=$CSRF&username=root&password=$PW" -o /dev/null
AT=$(q 'SELECT count(*) FROM audit_log')
walk /console/admin/audit audit >"$T/w.out"
check "console audit: all $AT records in pages of 100, prev goes back" \
  test "$(head -1 "$T/w.out")" = "$AT $AT $(((AT + 99) / 100)) True"
check "console audit: 'Showing 1–100 of $AT' on the first page" \
  test "$(sed -n 3p "$T/w.out")" = "Showing 1–100 of $AT"
cp "$T/jar.alice" "$T/jar"
LID=$(q "SELECT id FROM hash_lists WHERE name = 'PAGED_BANK'")
walk "/console/lists/$LID" entries >"$T/w.out"
check "console list: all $B entries in 24 pages of 100, prev goes back" \
  test "$(head -1 "$T/w.out")" = "$B $B 24 True"
c "/console/lists/$LID" >"$T/l.html"
check "console list: 'Showing 2301–$B of $B' on the last, and the count above" \
  bash -c "[ \"\$(sed -n 4p '$T/w.out')\" = 'Showing 2301–$B of $B' ] && grep -q '<dd>$B / $B</dd>' '$T/l.html'"
c '/console/notices?lang=fr' >"$T/fr.html"
check "console notices in French: the count and the links named" \
  bash -c "grep -q 'Lignes 1 à 50 sur $N' '$T/fr.html' && grep -q 'rel=\"next\" aria-describedby=\"cases-pages\">Page suivante' '$T/fr.html'"

# the API: /c/bank/NAME/content in pages of 1000 through next and Link
python3 - "$U" "$KEY" >"$T/api.out" 2>&1 <<'PY'
import json, re, sys, urllib.request
base, key = sys.argv[1:3]
url, ids, pages, links_ok = "/c/bank/PAGED_BANK/content?limit=1000", [], 0, True
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
while url and pages < 10:
    req = urllib.request.Request(base + url, headers={"Authorization": "Bearer " + key})
    with opener.open(req) as r:
        link, d = r.headers.get("Link"), json.load(r)
    ids += [i["id"] for i in d["items"]]
    pages += 1
    if d["next"] is None:
        links_ok = links_ok and link is None and len(d["items"]) > 0
        url = None
    else:
        m = re.fullmatch(r'<([^>]*)>; rel="next"', link or "")
        links_ok = links_ok and m is not None and len(d["items"]) == 1000 and \
            m.group(1) == "/c/bank/PAGED_BANK/content?after=%d&limit=1000" % d["next"]
        url = m.group(1) if m else None
print(len(ids), len(set(ids)), ids == sorted(ids), pages, links_ok)
PY
check "API bank content: $B entries in 3 pages of at most 1000, next and Link to each, none after the last" \
  test "$(cat "$T/api.out")" = "$B $B True 3 True"

finish
