/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RDAP client: answers shaped like ARIN's and RIPE's parsed from
 * strings (the abuse contact nested or at the top, several e-mails,
 * mailto:, duplicates, a range that is not one CIDR, IPv6), hostile ones
 * (no vCard, malformed jCard, a header injection, wrong types, deep
 * nesting, too many entities and e-mails, long and control-character
 * text, not JSON, error objects, other classes), allocation failures;
 * the bootstrap (longest prefix, https first, the shipped data files);
 * and queries against tests/fixtures/rdap_server.py on 127.0.0.1
 * (redirect, timeout, size cap, 404, 500, https only, loopback only)
 * with the store's cache (hits, expiry, negative entries).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/rdap.h"
#include "vigil/store_providers.h"

/* ARIN's shape: the abuse POC inside the registrant organisation. */
static const char arin[] =
    "{\"rdapConformance\":[\"rdap_level_0\",\"cidr0\",\"arin_originas0\"],"
    "\"notices\":[{\"title\":\"Terms of Service\",\"description\":[\"x\"]}],"
    "\"handle\":\"NET-192-0-2-0-1\",\"startAddress\":\"192.0.2.0\","
    "\"endAddress\":\"192.0.2.255\",\"ipVersion\":\"v4\","
    "\"name\":\"EXAMPLE-NET\",\"type\":\"DIRECT ALLOCATION\","
    "\"parentHandle\":\"NET-192-0-0-0-0\","
    "\"cidr0_cidrs\":[{\"v4prefix\":\"192.0.2.0\",\"length\":24}],"
    "\"arin_originas0_originautnums\":[64496,64497,64496],"
    "\"status\":[\"active\"],\"port43\":\"whois.arin.net\","
    "\"objectClassName\":\"ip network\","
    "\"events\":[{\"eventAction\":\"registration\","
    "\"eventDate\":\"2010-05-06T12:00:00-04:00\"}],"
    "\"entities\":[{\"handle\":\"EXH-1\",\"roles\":[\"registrant\"],"
    "\"objectClassName\":\"entity\","
    "\"vcardArray\":[\"vcard\",[[\"version\",{},\"text\",\"4.0\"],"
    "[\"fn\",{},\"text\",\"Example Hosting Inc\"],"
    "[\"adr\",{\"label\":\"1 Example Way\"},\"text\",[\"\",\"\",\"\",\"\","
    "\"\",\"\",\"\"]],[\"kind\",{},\"text\",\"org\"]]],"
    "\"entities\":[{\"handle\":\"NOC-EXH\",\"roles\":[\"technical\"],"
    "\"vcardArray\":[\"vcard\",[[\"email\",{},\"text\",\"noc@example.net\"]]]},"
    "{\"handle\":\"ABUSE-EXH\",\"roles\":[\"abuse\"],"
    "\"objectClassName\":\"entity\","
    "\"vcardArray\":[\"vcard\",[[\"version\",{},\"text\",\"4.0\"],"
    "[\"fn\",{},\"text\",\"Abuse\"],[\"kind\",{},\"text\",\"group\"],"
    "[\"email\",{},\"text\",\"abuse@example.net\"],"
    "[\"tel\",{\"type\":[\"work\",\"voice\"]},\"text\",\"+1-555-0100\"]]]}"
    "]}]}";

/* RIPE's shape: the abuse role at the top, a range that is not a CIDR. */
static const char ripe[] =
    "{\"rdapConformance\":[\"rdap_level_0\"],\"objectClassName\":\"ip "
    "network\",\"handle\":\"198.51.100.0 - 198.51.100.191\","
    "\"startAddress\":\"198.51.100.0\",\"endAddress\":\"198.51.100.191\","
    "\"ipVersion\":\"v4\",\"name\":\"EXEMPLE-NET\",\"country\":\"FR\","
    "\"entities\":[{\"handle\":\"ORG-1\",\"roles\":[\"registrant\"],"
    "\"vcardArray\":[\"vcard\",[[\"fn\",{},\"text\",\"Exemple SAS\"]]]},"
    "{\"handle\":\"AR1-RIPE\",\"roles\":[\"abuse\"],"
    "\"vcardArray\":[\"vcard\",[[\"fn\",{},\"text\",\"Abuse-C\"],"
    "[\"EMAIL\",{},\"text\",\"abuse@exemple.test\"],"
    "[\"email\",{\"type\":\"work\"},\"text\",\" mailto:security@exemple.test \"],"
    "[\"email\",{},\"text\",\"ABUSE@exemple.test\"]]]},"
    "{\"handle\":\"X\",\"roles\":[\"administrative\",\"technical\"]}]}";

static const char v6[] =
    "{\"objectClassName\":\"ip network\",\"handle\":\"NET6-2001-DB8-1\","
    "\"startAddress\":\"2001:db8::\","
    "\"endAddress\":\"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\","
    "\"cidr0_cidrs\":[{\"v6prefix\":\"2001:db8::\",\"length\":32}],"
    "\"entities\":[{\"roles\":[\"abuse\"],\"vcardArray\":[\"vcard\","
    "[[\"email\",{},\"text\",\"abuse@six.test\"]]]}]}";

static struct vg_rdap_result *parse_ok(const char *json)
{
    struct vg_rdap_result *r = NULL;
    struct vg_err err = {0};

    TH_EQ_INT(vg_rdap_parse(json, strlen(json), &r, &err), VG_OK);
    if (!r)
        fprintf(stderr, "    %s\n", err.msg);
    return r;
}

static void test_arin(void)
{
    struct vg_rdap_result *r = parse_ok(arin);

    if (!r)
        return;
    TH_EQ_INT(r->status, VG_RDAP_OK);
    TH_EQ_STR(r->handle, "NET-192-0-2-0-1");
    TH_EQ_STR(r->name, "EXAMPLE-NET");
    TH_EQ_STR(r->org, "Example Hosting Inc");
    TH_EQ_STR(r->start, "192.0.2.0");
    TH_EQ_STR(r->end, "192.0.2.255");
    TH_EQ_INT(r->ncidrs, 1);
    TH_EQ_STR(r->cidrs[0], "192.0.2.0/24");
    TH_EQ_INT(r->nemails, 1); /* the abuse contact, not the NOC's */
    TH_EQ_STR(r->emails[0], "abuse@example.net");
    TH_EQ_INT(r->nasns, 2);
    TH_EQ_INT(r->asns[0], 64496);
    TH_EQ_INT(r->asns[1], 64497);
    TH_CHECK(r->error == NULL);
    TH_CHECK(r->country == NULL);
    vg_rdap_result_free(r);
}

static void test_ripe(void)
{
    struct vg_rdap_result *r = parse_ok(ripe);

    if (!r)
        return;
    TH_EQ_INT(r->status, VG_RDAP_OK);
    TH_EQ_STR(r->org, "Exemple SAS");
    TH_EQ_STR(r->country, "FR");
    TH_EQ_INT(r->nemails, 2); /* mailto: and spaces gone, case dup gone */
    TH_EQ_STR(r->emails[0], "abuse@exemple.test");
    TH_EQ_STR(r->emails[1], "security@exemple.test");
    /* no cidr0: the range as CIDRs */
    TH_EQ_INT(r->ncidrs, 2);
    TH_EQ_STR(r->cidrs[0], "198.51.100.0/25");
    TH_EQ_STR(r->cidrs[1], "198.51.100.128/26");
    TH_EQ_INT(r->nasns, 0);
    vg_rdap_result_free(r);
    r = parse_ok(v6);
    if (!r)
        return;
    TH_EQ_STR(r->start, "2001:db8::");
    TH_EQ_STR(r->end, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
    TH_EQ_STR(r->cidrs[0], "2001:db8::/32");
    TH_EQ_STR(r->emails[0], "abuse@six.test");
    vg_rdap_result_free(r);
}

/* Ranges to CIDRs: awkward ones, and the whole space. */
static void test_range_cidrs(void)
{
    static const struct {
        const char *start, *end;
        size_t n;
        const char *first, *last;
    } cases[] = {
        {"10.0.0.1", "10.0.0.6", 4, "10.0.0.1/32", "10.0.0.6/32"},
        {"0.0.0.0", "255.255.255.255", 1, "0.0.0.0/0", "0.0.0.0/0"},
        {"255.255.255.255", "255.255.255.255", 1, "255.255.255.255/32",
         "255.255.255.255/32"},
        {"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, "::/0", "::/0"},
        {"2001:db8::1", "2001:db8::2", 2, "2001:db8::1/128",
         "2001:db8::2/128"},
        /* 0.0.0.1 .. 255.255.255.254 takes 62 CIDRs: over the cap */
        {"0.0.0.1", "255.255.255.254", 0, NULL, NULL},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char json[512];
        struct vg_rdap_result *r;
        snprintf(json, sizeof(json),
                 "{\"objectClassName\":\"ip network\",\"startAddress\":\"%s\","
                 "\"endAddress\":\"%s\"}",
                 cases[i].start, cases[i].end);
        if (!(r = parse_ok(json)))
            continue;
        TH_EQ_INT(r->status, VG_RDAP_NO_CONTACT);
        TH_EQ_INT(r->ncidrs, cases[i].n);
        if (cases[i].n && r->ncidrs == cases[i].n) {
            TH_EQ_STR(r->cidrs[0], cases[i].first);
            TH_EQ_STR(r->cidrs[r->ncidrs - 1], cases[i].last);
        }
        vg_rdap_result_free(r);
    }
}

static void no_contact(const char *json, const char *why)
{
    struct vg_rdap_result *r = parse_ok(json);

    if (!r)
        return;
    TH_EQ_INT(r->status, VG_RDAP_NO_CONTACT);
    TH_EQ_INT(r->nemails, 0);
    if (!r->error || !strstr(r->error, why))
        TH_FAIL_("error \"%s\" lacks \"%s\"", r->error ? r->error : "(null)",
                 why);
    vg_rdap_result_free(r);
}

static void test_no_contact(void)
{
    no_contact("{\"objectClassName\":\"ip network\"}",
               "no entity has the abuse role");
    no_contact("{\"objectClassName\":\"ip network\",\"entities\":"
               "[{\"roles\":[\"abuse\"],\"handle\":\"A\"}]}",
               "has no readable vCard");
    no_contact("{\"objectClassName\":\"ip network\",\"entities\":"
               "[{\"roles\":[\"abuse\"],\"vcardArray\":[\"vcard\",[["
               "\"fn\",{},\"text\",\"Abuse\"]]]}]}",
               "the abuse vCard has no e-mail");
    /* a header injection, a number, not an address */
    no_contact("{\"objectClassName\":\"ip network\",\"entities\":"
               "[{\"roles\":[\"abuse\"],\"vcardArray\":[\"vcard\",[["
               "\"email\",{},\"text\",\"a@b.test\\r\\nBcc: c@d.test\"],"
               "[\"email\",{},\"text\",42],[\"email\"],\"junk\",[],"
               "[\"email\",{},\"text\",\"not an address\"]]]}]}",
               "refused: 'a@b.test??Bcc: c@d.test'");
    /* roles, vcardArray and entities of the wrong types */
    no_contact("{\"objectClassName\":\"ip network\",\"entities\":["
               "{\"roles\":\"abuse\",\"vcardArray\":[\"vcard\",[[\"email\","
               "{},\"text\",\"a@b.test\"]]]},"
               "{\"roles\":[\"abuse\"],\"vcardArray\":\"oops\"},"
               "{\"roles\":[\"abuse\"],\"vcardArray\":[\"vcard\",\"x\"]},"
               "{\"roles\":[\"abuse\"],\"vcardArray\":[\"card\",[]]},"
               "\"str\",17,null,{\"entities\":\"nope\"}],"
               "\"cidr0_cidrs\":[{\"v4prefix\":17,\"length\":\"24\"},"
               "{\"v4prefix\":\"10.0.0.1\",\"length\":8},\"x\","
               "{\"v6prefix\":\"::\",\"length\":-1}],"
               "\"arin_originas0_originautnums\":[\"AS1\",-5,0,4294967296,"
               "1e30],\"startAddress\":\"10.0.0.9\",\"endAddress\":"
               "\"10.0.0.1\",\"handle\":[\"x\"],\"name\":17}",
               "has no readable vCard");
}

static void test_hostile_text(void)
{
    struct vg_buf b;
    struct vg_rdap_result *r;

    /* long names cut at a character boundary; controls become spaces */
    vg_buf_init(&b, 0);
    vg_buf_puts(&b,
                "{\"objectClassName\":\"ip network\",\"name\":\"a\\u0007b");
    for (int i = 0; i < 200; i++)
        vg_buf_puts(&b, "\xc3\xa9"); /* é, two bytes */
    vg_buf_puts(&b, "\",\"entities\":[{\"roles\":[\"registrant\"],"
                    "\"vcardArray\":[\"vcard\",[[\"fn\",{},\"text\","
                    "\"Org\\nInjected\"]]]}]}");
    if ((r = parse_ok(b.data))) {
        TH_CHECK(strlen(r->name) <= VG_RDAP_TEXT_MAX);
        TH_CHECK(strlen(r->name) == 255); /* "a b" and 126 é */
        TH_CHECK(vg_utf8_count(r->name, strlen(r->name)) > 0);
        TH_CHECK(!strncmp(r->name, "a b", 3));
        TH_EQ_STR(r->org, "Org Injected");
        vg_rdap_result_free(r);
    }
    vg_buf_fini(&b);
}

static void test_caps(void)
{
    struct vg_buf b;
    struct vg_rdap_result *r;

    /* abuse contacts nested 20 deep: found down to VG_RDAP_DEPTH_MAX */
    vg_buf_init(&b, 0);
    vg_buf_puts(&b, "{\"objectClassName\":\"ip network\",\"entities\":[");
    for (int d = 1; d <= 20; d++)
        vg_buf_printf(&b,
                      "{\"roles\":[\"abuse\"],\"vcardArray\":[\"vcard\",[["
                      "\"email\",{},\"text\",\"depth%d@x.test\"]]],"
                      "\"entities\":[",
                      d);
    for (int d = 1; d <= 20; d++)
        vg_buf_puts(&b, "]}");
    vg_buf_puts(&b, "]}");
    if ((r = parse_ok(b.data))) {
        TH_EQ_INT(r->nemails, VG_RDAP_DEPTH_MAX);
        TH_EQ_STR(r->emails[0], "depth1@x.test"); /* shallowest first */
        vg_rdap_result_free(r);
    }
    /* 1000 entities with 1000 e-mails: 16 kept, no time lost */
    vg_buf_reset(&b);
    vg_buf_puts(&b, "{\"objectClassName\":\"ip network\",\"entities\":[");
    for (int i = 0; i < 1000; i++)
        vg_buf_printf(&b,
                      "%s{\"roles\":[\"abuse\"],\"vcardArray\":[\"vcard\",[["
                      "\"email\",{},\"text\",\"a%d@x.test\"]]]}",
                      i ? "," : "", i);
    vg_buf_puts(&b, "]}");
    if ((r = parse_ok(b.data))) {
        TH_EQ_INT(r->nemails, VG_PROVIDER_EMAILS_MAX);
        vg_rdap_result_free(r);
    }
    vg_buf_fini(&b);
}

static void bad_answer(const char *json, const char *why)
{
    struct vg_rdap_result *r = NULL;
    struct vg_err err = {0};

    TH_EQ_INT(vg_rdap_parse(json, strlen(json), &r, &err), VG_EFORMAT);
    TH_CHECK(r == NULL);
    if (!strstr(err.msg, why))
        TH_FAIL_("\"%s\" lacks \"%s\"", err.msg, why);
}

static void test_not_networks(void)
{
    bad_answer("", "not JSON");
    bad_answer("{\"a\":1,\"a\":2}", "not JSON");
    bad_answer("[1,2]", "not a JSON object");
    bad_answer("\"x\"", "not JSON");
    bad_answer("{\"errorCode\":404,\"title\":\"Not\\nFound\"}",
               "answered error 404: Not Found");
    bad_answer("{\"objectClassName\":\"entity\",\"handle\":\"X\"}",
               "not an IP network (object class entity)");
    bad_answer("{\"handle\":\"X\"}", "object class none");
}

/* Every allocation failing in turn: an error, never a crash or a leak. */
static void test_alloc_failures(void)
{
    const char *docs[] = {arin, ripe, v6};

    for (size_t d = 0; d < 3; d++)
        for (long n = 0; n < 400; n++) {
            struct vg_rdap_result *r = NULL;
            int rc;
            vg_alloc_fail_after(n);
            rc = vg_rdap_parse(docs[d], strlen(docs[d]), &r, NULL);
            vg_alloc_fail_after(-1);
            if (rc == VG_OK) {
                TH_CHECK(r != NULL);
                vg_rdap_result_free(r);
                break;
            }
            TH_CHECK(rc == VG_ENOMEM || rc == VG_EFORMAT);
            TH_CHECK(r == NULL);
        }
}

/* ---- the bootstrap ---- */

static void test_bootstrap(void)
{
    static const char doc[] =
        "{\"version\":\"1.0\",\"services\":["
        "[[\"192.0.0.0/8\"],[\"https://big.test/rdap\"]],"
        "[[\"192.0.2.0/24\"],[\"http://small.test/\",\"https://small.test/\"]],"
        "[[\"2001:db8::/32\"],[\"http://only-http.test\"]]]}";
    struct vg_rdap_bootstrap *b = NULL;
    struct vg_err err = {0};

    TH_EQ_INT(vg_rdap_bootstrap_new(&b), VG_OK);
    TH_EQ_INT(vg_rdap_bootstrap_parse(b, doc, strlen(doc), &err), VG_OK);
    TH_EQ_INT(vg_rdap_bootstrap_count(b), 3);
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "192.0.2.1"), "https://small.test/");
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "192.1.2.3"),
              "https://big.test/rdap/");
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "::ffff:192.1.2.3"),
              "https://big.test/rdap/");
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "2001:db8::1"),
              "http://only-http.test/");
    TH_CHECK(vg_rdap_bootstrap_find(b, "198.51.100.1") == NULL);
    TH_CHECK(vg_rdap_bootstrap_find(b, "10.1.1.1") == NULL);
    TH_CHECK(vg_rdap_bootstrap_find(b, "not an ip") == NULL);
    TH_EQ_INT(vg_rdap_bootstrap_parse(b, "[]", 2, &err), VG_EFORMAT);
    TH_CHECK(strstr(err.msg, "RFC 9224") != NULL);
    TH_EQ_INT(vg_rdap_bootstrap_parse(b, "{", 1, &err), VG_EFORMAT);
    TH_EQ_INT(vg_rdap_bootstrap_load(b, "/nonexistent/x.json", &err), VG_EIO);
    vg_rdap_bootstrap_free(b);
    /* the shipped files */
    TH_EQ_INT(vg_rdap_bootstrap_new(&b), VG_OK);
    TH_EQ_INT(vg_rdap_bootstrap_load(
                  b, VIGIL_SOURCE_DIR "/data/rdap-bootstrap-ipv4.json", &err),
              VG_OK);
    TH_EQ_INT(vg_rdap_bootstrap_load(
                  b, VIGIL_SOURCE_DIR "/data/rdap-bootstrap-ipv6.json", &err),
              VG_OK);
    TH_CHECK(vg_rdap_bootstrap_count(b) > 200);
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "8.8.8.8"),
              "https://rdap.arin.net/registry/");
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "193.0.6.139"),
              "https://rdap.db.ripe.net/");
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "1.1.1.1"), "https://rdap.apnic.net/");
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "200.3.14.10"),
              "https://rdap.lacnic.net/rdap/");
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "196.216.2.1"),
              "https://rdap.afrinic.net/rdap/");
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "2a00:1450::1"),
              "https://rdap.db.ripe.net/");
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "2c0f:f248::1"),
              "https://rdap.afrinic.net/rdap/");
    vg_rdap_bootstrap_free(b);
}

/* ---- queries against the fixture server ---- */

static pid_t server_pid;
static int port;
static char dir[] = "/tmp/vigil-test-rdap-XXXXXX";

static int start_server(void)
{
    int fds[2];
    char line[64] = "";
    FILE *f;

    if (pipe(fds))
        return -1;
    if ((server_pid = fork()) == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execlp("python3", "python3",
               VIGIL_SOURCE_DIR "/tests/fixtures/rdap_server.py",
               (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    if (!(f = fdopen(fds[0], "r")) || !fgets(line, sizeof(line), f) ||
        sscanf(line, "PORT %d", &port) != 1)
        return -1;
    return 0;
}

static struct vg_rdap_bootstrap *local_bootstrap(const char *host)
{
    struct vg_rdap_bootstrap *b = NULL;
    char doc[512];

    snprintf(doc, sizeof(doc),
             "{\"version\":\"1.0\",\"services\":[[[\"192.0.2.0/24\","
             "\"198.51.100.0/24\","
             "\"203.0.113.0/24\",\"2001:db8::/32\"],[\"http://%s:%d/\"]]]}",
             host, port);
    if (vg_rdap_bootstrap_new(&b) ||
        vg_rdap_bootstrap_parse(b, doc, strlen(doc), NULL)) {
        vg_rdap_bootstrap_free(b);
        return NULL;
    }
    return b;
}

static struct vg_rdap_result *ask(const struct vg_rdap_opts *o, const char *ip,
                                  enum vg_rdap_status want, const char *why)
{
    struct vg_rdap_result *r = NULL;
    struct vg_err err = {0};

    TH_EQ_INT(vg_rdap_fetch(o, ip, 1000, &r, &err), VG_OK);
    if (!r)
        return NULL;
    if (r->status != want)
        TH_FAIL_("%s: status %s (%s), want %s", ip,
                 vg_rdap_status_name(r->status), r->error ? r->error : "-",
                 vg_rdap_status_name(want));
    if (why && (!r->error || !strstr(r->error, why)))
        TH_FAIL_("%s: error \"%s\" lacks \"%s\"", ip,
                 r->error ? r->error : "(null)", why);
    return r;
}

static void test_fetch(void)
{
    struct vg_rdap_opts o;
    struct vg_rdap_result *r;
    time_t t0;

    memset(&o, 0, sizeof(o));
    o.allow_http_loopback = 1;
    o.timeout_ms = 1500;
    if (!(o.bootstrap = local_bootstrap("127.0.0.1"))) {
        TH_FAIL_("bootstrap");
        return;
    }
    if ((r = ask(&o, "192.0.2.10", VG_RDAP_OK, NULL))) {
        TH_EQ_STR(r->emails[0], "abuse@example-hosting.test");
        TH_EQ_STR(r->org, "Example Hosting Inc");
        TH_EQ_INT(r->http_status, 200);
        TH_EQ_INT(r->expires_at, 1000 + 7 * 86400);
        TH_CHECK(strstr(r->server, "/ip/192.0.2.10") != NULL);
        vg_rdap_result_free(r);
    }
    if ((r = ask(&o, "203.0.113.33", VG_RDAP_OK, NULL))) { /* redirected */
        TH_EQ_STR(r->emails[0], "abuse@redirected.test");
        TH_CHECK(strstr(r->server, "/rir2/ip/203.0.113.33") != NULL);
        vg_rdap_result_free(r);
    }
    if ((r = ask(&o, "2001:db8::1", VG_RDAP_OK, NULL))) {
        TH_EQ_STR(r->cidrs[0], "2001:db8::/32");
        vg_rdap_result_free(r);
    }
    vg_rdap_result_free(
        ask(&o, "203.0.113.1", VG_RDAP_NO_CONTACT, "no readable vCard"));
    vg_rdap_result_free(
        ask(&o, "203.0.113.17", VG_RDAP_NO_CONTACT, "no valid e-mail"));
    if ((r = ask(&o, "203.0.113.200", VG_RDAP_NOT_FOUND, "404"))) {
        TH_EQ_INT(r->expires_at, 1000 + 86400);
        vg_rdap_result_free(r);
    }
    if ((r = ask(&o, "203.0.113.145", VG_RDAP_ERROR, "HTTP 500"))) {
        TH_EQ_INT(r->expires_at, 1000 + 15 * 60);
        vg_rdap_result_free(r);
    }
    vg_rdap_result_free(ask(&o, "203.0.113.81", VG_RDAP_ERROR, "not JSON"));
    vg_rdap_result_free(
        ask(&o, "203.0.113.97", VG_RDAP_ERROR, "more than 3 redirects"));
    vg_rdap_result_free(
        ask(&o, "203.0.113.65", VG_RDAP_ERROR, "over 1048576 bytes"));
    t0 = time(NULL);
    vg_rdap_result_free(
        ask(&o, "203.0.113.49", VG_RDAP_ERROR, "no answer within 1500 ms"));
    TH_CHECK(time(NULL) - t0 <= 3);
    vg_rdap_result_free(ask(&o, "10.0.0.1", VG_RDAP_ERROR, "no RDAP service"));
    /* without the test option: https only, public addresses only */
    o.allow_http_loopback = 0;
    vg_rdap_result_free(
        ask(&o, "10.0.0.1", VG_RDAP_ERROR, "not a public address"));
    vg_rdap_result_free(ask(&o, "::1", VG_RDAP_ERROR, "not a public address"));
    vg_rdap_bootstrap_free((struct vg_rdap_bootstrap *)o.bootstrap);
    /* a service on a public address is refused in test mode (loopback
       only), and on loopback outside it */
    o.allow_http_loopback = 1;
    o.bootstrap = local_bootstrap("192.0.2.1");
    vg_rdap_result_free(ask(&o, "192.0.2.10", VG_RDAP_ERROR, "refused"));
    vg_rdap_bootstrap_free((struct vg_rdap_bootstrap *)o.bootstrap);
    {
        struct vg_rdap_bootstrap *b = NULL;
        const char doc[] =
            "{\"version\":\"1.0\",\"services\":[[[\"0.0.0.0/0\"],"
            "[\"https://127.0.0.1:9/\"]]]}";
        vg_rdap_bootstrap_new(&b);
        vg_rdap_bootstrap_parse(b, doc, strlen(doc), NULL);
        o.allow_http_loopback = 0;
        o.bootstrap = b;
        vg_rdap_result_free(ask(&o, "8.8.8.8", VG_RDAP_ERROR, "refused"));
        vg_rdap_bootstrap_free(b);
    }
    {
        struct vg_rdap_result *x = NULL;
        TH_EQ_INT(vg_rdap_fetch(&o, "not-an-ip", 0, &x, NULL), VG_EINVAL);
        TH_CHECK(x == NULL);
    }
}

static void test_cache(void)
{
    struct vg_rdap_opts o;
    struct vg_rdap_result *r = NULL;
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    char db[256];
    int64_t now = (int64_t)time(NULL);

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "cache.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    memset(&o, 0, sizeof(o));
    o.allow_http_loopback = 1;
    o.timeout_ms = 1500;
    o.bootstrap = local_bootstrap("127.0.0.1");
    /* asked once, then from the cache for any address of the network */
    TH_EQ_INT(vg_rdap_lookup(st, &o, "192.0.2.10", now, &r, &err), VG_OK);
    TH_CHECK(r && !r->cached && r->status == VG_RDAP_OK);
    vg_rdap_result_free(r);
    TH_EQ_INT(vg_rdap_lookup(st, &o, "192.0.2.200", now + 60, &r, &err),
              VG_OK);
    if (r) {
        TH_CHECK(r->cached);
        TH_EQ_INT(r->status, VG_RDAP_OK);
        TH_EQ_STR(r->emails[0], "abuse@example-hosting.test");
        TH_EQ_STR(r->org, "Example Hosting Inc");
        TH_EQ_STR(r->cidrs[0], "192.0.2.0/24");
        TH_EQ_STR(r->start, "192.0.2.0");
        TH_EQ_INT(r->nasns, 1);
        TH_EQ_INT(r->asns[0], 64496);
        TH_EQ_INT(r->fetched_at, now);
        vg_rdap_result_free(r);
    }
    /* expired after 7 days: asked again */
    TH_EQ_INT(vg_rdap_lookup(st, &o, "192.0.2.200", now + 7 * 86400 + 1, &r,
                             &err),
              VG_OK);
    TH_CHECK(r && !r->cached);
    vg_rdap_result_free(r);
    /* a 404 is cached for its address only */
    TH_EQ_INT(vg_rdap_lookup(st, &o, "203.0.113.200", now, &r, &err), VG_OK);
    TH_CHECK(r && !r->cached && r->status == VG_RDAP_NOT_FOUND);
    vg_rdap_result_free(r);
    TH_EQ_INT(vg_rdap_lookup(st, &o, "203.0.113.200", now, &r, &err), VG_OK);
    TH_CHECK(r && r->cached && r->status == VG_RDAP_NOT_FOUND);
    TH_CHECK(r && r->error && strstr(r->error, "404"));
    vg_rdap_result_free(r);
    TH_EQ_INT(vg_rdap_lookup(st, &o, "203.0.113.201", now, &r, &err), VG_OK);
    TH_CHECK(r && !r->cached);
    vg_rdap_result_free(r);
    /* no service: not cached at all */
    TH_EQ_INT(vg_rdap_lookup(st, &o, "10.0.0.1", now, &r, &err), VG_OK);
    TH_CHECK(r && !r->cached && r->status == VG_RDAP_ERROR);
    vg_rdap_result_free(r);
    TH_EQ_INT(vg_rdap_lookup(st, &o, "10.0.0.1", now, &r, &err), VG_OK);
    TH_CHECK(r && !r->cached);
    vg_rdap_result_free(r);
    TH_EQ_INT(vg_rdap_lookup(st, &o, "bad", now, &r, &err), VG_EINVAL);
    vg_rdap_bootstrap_free((struct vg_rdap_bootstrap *)o.bootstrap);
    vg_store_close(st);
}

int main(void)
{
    int status;
    char cmd[300];

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    TH_RUN(test_arin);
    TH_RUN(test_ripe);
    TH_RUN(test_range_cidrs);
    TH_RUN(test_no_contact);
    TH_RUN(test_hostile_text);
    TH_RUN(test_caps);
    TH_RUN(test_not_networks);
    TH_RUN(test_alloc_failures);
    TH_RUN(test_bootstrap);
    if (start_server()) {
        fprintf(stderr, "cannot start the RDAP server fixture\n");
        return 1;
    }
    TH_RUN(test_fetch);
    TH_RUN(test_cache);
    status = th_done();
    kill(server_pid, SIGTERM);
    waitpid(server_pid, NULL, 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd))
        fprintf(stderr, "could not remove %s\n", dir);
    return status;
}
