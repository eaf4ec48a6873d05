/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IANA's RDAP bootstrap files and the per-network cache: the excerpt of
 * IANA's ipv4.json and ipv6.json in tests/fixtures/iana-rdap/ loaded from
 * its directory with its publication dates; bad files (over the size cap,
 * not JSON, another version, a bad date, a service that is not two
 * arrays, a prefix that is not a CIDR, no http(s) URL) refused whole with
 * a clear message and the shipped files used instead, saying why; and,
 * against tests/fixtures/rdap_registries.py on 127.0.0.1 (two registries
 * counting requests), through the store's cache on either backend: two
 * addresses of one network cost one query (its range from cidr0 alone,
 * or from startAddress/endAddress), the answer's Cache-Control max-age is
 * its time in the cache (then asked again), no-store is not cached, and a
 * bootstrap naming another registry for a range sends queries there.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/alloc.h"
#include "vigil/rdap.h"

#define IANA VIGIL_SOURCE_DIR "/tests/fixtures/iana-rdap"

static char dir[] = "/tmp/vigil-test-rdapb-XXXXXX";
static pid_t server_pid;
static int port;

static void write_file(const char *name, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    TH_CHECK((f = fopen(path, "w")) != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_iana_files(void)
{
    struct vg_rdap_bootstrap *b = NULL;
    struct vg_err err = {0};

    TH_EQ_INT(vg_rdap_bootstrap_new(&b), VG_OK);
    TH_EQ_INT(vg_rdap_bootstrap_load_path(b, IANA, &err), VG_OK);
    TH_EQ_INT(vg_rdap_bootstrap_count(b), 33 + 16);
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "8.8.8.8"),
              "https://rdap.arin.net/registry/");
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "193.0.6.139"),
              "https://rdap.db.ripe.net/");
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "41.1.1.1"),
              "https://rdap.afrinic.net/rdap/");
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "200.3.14.10"),
              "https://rdap.lacnic.net/rdap/");
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "2a00:1450::1"),
              "https://rdap.db.ripe.net/");
    TH_EQ_STR(vg_rdap_bootstrap_find(b, "2001:4400::1"),
              "https://rdap.apnic.net/");
    TH_CHECK(vg_rdap_bootstrap_find(b, "11.0.0.1") == NULL);
    TH_EQ_STR(vg_rdap_bootstrap_source(b),
              IANA "/ipv4.json (published 2026-11-20T22:00:02Z), " IANA
                   "/ipv6.json (published 2026-11-20T22:00:01Z)");
    TH_CHECK(!vg_rdap_bootstrap_is_fallback(b));
    vg_rdap_bootstrap_free(b);
}

/* doc is refused with VG_EFORMAT, err saying want, and adds nothing. */
static void refused(const char *doc, const char *want)
{
    struct vg_rdap_bootstrap *b = NULL;
    struct vg_err err = {0};

    TH_EQ_INT(vg_rdap_bootstrap_new(&b), VG_OK);
    TH_EQ_INT(vg_rdap_bootstrap_parse(b, doc, strlen(doc), &err), VG_EFORMAT);
    if (!strstr(err.msg, want))
        fprintf(stderr, "  '%s' does not say '%s'\n", err.msg, want);
    TH_CHECK(strstr(err.msg, want) != NULL);
    TH_EQ_INT(vg_rdap_bootstrap_count(b), 0);
    vg_rdap_bootstrap_free(b);
}

#define SVC "[[\"192.0.2.0/24\"],[\"https://r.test/\"]]"

static void test_refused(void)
{
    struct vg_rdap_bootstrap *b = NULL;
    struct vg_err err = {0};
    char *huge;
    size_t n = VG_RDAP_BOOTSTRAP_MAX_BYTES + 1;

    refused("{\"version\":\"1.0\",\"services\":[" SVC, "not JSON");
    refused("[]", "no \"services\" array (RFC 9224)");
    refused("{\"services\":[" SVC "]}", "no \"version\"");
    refused("{\"version\":\"2.0\",\"services\":[" SVC "]}",
            "version \"2.0\", not \"1.0\"");
    refused("{\"version\":\"1.0\",\"publication\":\"yesterday\","
            "\"services\":[" SVC "]}",
            "\"publication\" is not an RFC 3339 date");
    refused("{\"version\":\"1.0\",\"services\":[]}", "no services");
    refused("{\"version\":\"1.0\",\"services\":[" SVC ",\"junk\"]}",
            "service 2 is not [[prefixes], [URLs]]");
    refused("{\"version\":\"1.0\",\"services\":[" SVC
            ",[[\"10.0.0.0/8\",\"not-a-cidr\"],[\"https://x.test/\"]]]}",
            "service 2: \"not-a-cidr\" is not an IP prefix");
    refused("{\"version\":\"1.0\",\"services\":[[[17],"
            "[\"https://x.test/\"]]]}",
            "service 1: \"(not a string)\" is not an IP prefix");
    refused("{\"version\":\"1.0\",\"services\":[[[\"198.51.100.0/24\"],"
            "[\"ftp://no.test/\"]]]}",
            "service 1 has no http(s) URL");
    /* over the cap, in memory and as a file */
    TH_CHECK((huge = vg_malloc(n + 1)) != NULL);
    if (!huge)
        return;
    memset(huge, ' ', n);
    huge[n] = '\0';
    memcpy(huge, "{\"version\":\"1.0\",\"services\":[" SVC "]}",
           strlen("{\"version\":\"1.0\",\"services\":[" SVC "]}"));
    TH_EQ_INT(vg_rdap_bootstrap_new(&b), VG_OK);
    TH_EQ_INT(vg_rdap_bootstrap_parse(b, huge, n, &err), VG_ETOOBIG);
    write_file("huge.json", huge);
    {
        char path[256];
        snprintf(path, sizeof(path), "%s/huge.json", dir);
        TH_EQ_INT(vg_rdap_bootstrap_load(b, path, &err), VG_ETOOBIG);
        TH_CHECK(strstr(err.msg, "over 4194304 bytes") != NULL);
    }
    TH_EQ_INT(vg_rdap_bootstrap_count(b), 0);
    vg_rdap_bootstrap_free(b);
    vg_free(huge);
}

static void test_open(void)
{
    const char *shipped[] = {VIGIL_SOURCE_DIR "/data/rdap-bootstrap-ipv4.json",
                             VIGIL_SOURCE_DIR "/data/rdap-bootstrap-ipv6.json",
                             NULL};
    char bad[256], warning[512];
    const char *given[] = {IANA, NULL}, *bad_given[] = {bad, NULL};
    struct vg_rdap_bootstrap *b = NULL;
    struct vg_err err = {0};

    /* IANA's files given: used, no warning */
    TH_EQ_INT(vg_rdap_bootstrap_open(given, shipped, &b, warning,
                                     sizeof(warning), &err),
              VG_OK);
    TH_EQ_STR(warning, "");
    TH_CHECK(!vg_rdap_bootstrap_is_fallback(b));
    vg_rdap_bootstrap_free(b);
    /* a directory whose ipv6.json is of another version: refused, the
       shipped files used with their date */
    snprintf(bad, sizeof(bad), "%s/bad", dir);
    TH_EQ_INT(mkdir(bad, 0755), 0);
    write_file("bad/ipv4.json",
               "{\"version\":\"1.0\",\"services\":[" SVC "]}");
    write_file("bad/ipv6.json",
               "{\"version\":\"0.9\",\"services\":[" SVC "]}");
    TH_EQ_INT(vg_rdap_bootstrap_open(bad_given, shipped, &b, warning,
                                     sizeof(warning), &err),
              VG_OK);
    TH_CHECK(strstr(warning, "refused: ") == warning);
    TH_CHECK(strstr(warning, "/bad/ipv6.json: version \"0.9\", not \"1.0\""));
    TH_CHECK(vg_rdap_bootstrap_is_fallback(b));
    TH_CHECK(strstr(vg_rdap_bootstrap_source(b),
                    "data/rdap-bootstrap-ipv4.json (published "
                    "2024-01-01T00:00:00Z)") != NULL);
    TH_CHECK(
        vg_rdap_bootstrap_find(b, "192.0.2.1") == NULL ||
        strcmp(vg_rdap_bootstrap_find(b, "192.0.2.1"), "https://r.test/"));
    vg_rdap_bootstrap_free(b);
    /* a missing directory too; a broken fallback is an error */
    bad_given[0] = "/nonexistent/rdap";
    TH_EQ_INT(vg_rdap_bootstrap_open(bad_given, shipped, &b, warning,
                                     sizeof(warning), &err),
              VG_OK);
    TH_CHECK(strstr(warning, "/nonexistent/rdap") != NULL);
    vg_rdap_bootstrap_free(b);
    TH_CHECK(vg_rdap_bootstrap_open(bad_given, bad_given, &b, warning,
                                    sizeof(warning), &err) != VG_OK);
    TH_CHECK(b == NULL);
}

/* ---- the cache against two local registries ---- */

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
               VIGIL_SOURCE_DIR "/tests/fixtures/rdap_registries.py",
               (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    if (!(f = fdopen(fds[0], "r")) || !fgets(line, sizeof(line), f) ||
        sscanf(line, "PORT %d", &port) != 1)
        return -1;
    return 0;
}

/* The server's request count: "total", "a" or "b". */
static int requests(const char *which)
{
    char cmd[256], out[4096] = "", key[16];
    const char *p;
    FILE *f;
    size_t n;
    int v = -1;

    snprintf(cmd, sizeof(cmd),
             "curl --noproxy '*' -s http://127.0.0.1:%d/_stats", port);
    if (!(f = popen(cmd, "r")))
        return -1;
    n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    pclose(f);
    snprintf(key, sizeof(key), "\"%s\": ", which);
    if ((p = strstr(out, key)))
        v = atoi(p + strlen(key));
    return v;
}

/* A bootstrap sending 203.0.113.0/24 to registry b, the rest to a. */
static struct vg_rdap_bootstrap *local_bootstrap(void)
{
    struct vg_rdap_bootstrap *b = NULL;
    char doc[1024];

    snprintf(doc, sizeof(doc),
             "{\"version\":\"1.0\",\"publication\":\"2026-11-20T22:00:02Z\","
             "\"services\":[[[\"192.0.2.0/24\",\"198.51.100.0/24\","
             "\"2001:db8::/32\"],[\"http://127.0.0.1:%d/a/\"]],"
             "[[\"203.0.113.0/24\"],[\"http://127.0.0.1:%d/b\"]]]}",
             port, port);
    if (vg_rdap_bootstrap_new(&b) ||
        vg_rdap_bootstrap_parse(b, doc, strlen(doc), NULL)) {
        vg_rdap_bootstrap_free(b);
        return NULL;
    }
    return b;
}

/* Look ip up at now; its cached flag, -1 on failure; *email its first
   abuse e-mail. */
static int ask(struct vg_store *st, const struct vg_rdap_opts *o,
               const char *ip, int64_t now, char *email, size_t n)
{
    struct vg_rdap_result *r = NULL;
    struct vg_err err = {0};
    int cached;

    if (vg_rdap_lookup(st, o, ip, now, &r, &err) || !r)
        return -1;
    snprintf(email, n, "%s", r->nemails ? r->emails[0] : "");
    cached = r->cached;
    vg_rdap_result_free(r);
    return cached;
}

static void test_cache(void)
{
    struct vg_rdap_opts o;
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    char db[256], e[128];
    int64_t now = (int64_t)time(NULL);

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "cache.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    memset(&o, 0, sizeof(o));
    o.allow_http_loopback = 1;
    o.timeout_ms = 3000;
    TH_CHECK((o.bootstrap = local_bootstrap()) != NULL);
    /* cidr0 alone: two addresses of the /24, one query */
    TH_EQ_INT(ask(st, &o, "198.51.100.7", now, e, sizeof(e)), 0);
    TH_EQ_STR(e, "abuse@a.test");
    TH_EQ_INT(ask(st, &o, "198.51.100.250", now + 10, e, sizeof(e)), 1);
    TH_EQ_INT(requests("total"), 1);
    TH_EQ_INT(th_db_int(db, "SELECT expires_at - fetched_at FROM rdap_cache"
                            " WHERE handle = 'NET-A-198.51.100.0/24'"),
              60);
    /* past its max-age=60: asked again */
    TH_EQ_INT(ask(st, &o, "198.51.100.8", now + 61, e, sizeof(e)), 0);
    TH_EQ_INT(requests("total"), 2);
    /* the range, no Cache-Control: the 7-day default */
    TH_EQ_INT(ask(st, &o, "192.0.2.1", now, e, sizeof(e)), 0);
    TH_EQ_INT(ask(st, &o, "192.0.2.127", now + 6 * 86400, e, sizeof(e)), 1);
    TH_EQ_INT(ask(st, &o, "192.0.2.127", now + 7 * 86400 + 1, e, sizeof(e)),
              0);
    TH_EQ_INT(requests("total"), 4);
    /* no-store: never cached */
    TH_EQ_INT(ask(st, &o, "192.0.2.200", now, e, sizeof(e)), 0);
    TH_EQ_INT(ask(st, &o, "192.0.2.200", now, e, sizeof(e)), 0);
    TH_EQ_INT(requests("total"), 6);
    /* IPv6 by cidr0 */
    TH_EQ_INT(ask(st, &o, "2001:db8::1", now, e, sizeof(e)), 0);
    TH_EQ_INT(ask(st, &o, "2001:db8:ffff::1", now + 119, e, sizeof(e)), 1);
    TH_EQ_INT(requests("total"), 7);
    /* the bootstrap names registry b for 203.0.113.0/24: asked there */
    TH_EQ_INT(requests("b"), 0);
    TH_EQ_INT(ask(st, &o, "203.0.113.9", now, e, sizeof(e)), 0);
    TH_EQ_STR(e, "abuse@b.test");
    TH_EQ_INT(ask(st, &o, "203.0.113.99", now + 299, e, sizeof(e)), 1);
    TH_EQ_INT(requests("b"), 1);
    TH_EQ_INT(requests("a"), 7);
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
    TH_RUN(test_iana_files);
    TH_RUN(test_refused);
    TH_RUN(test_open);
    if (start_server()) {
        fprintf(stderr, "cannot start the RDAP registries fixture\n");
        return 1;
    }
    TH_RUN(test_cache);
    status = th_done();
    kill(server_pid, SIGTERM);
    waitpid(server_pid, NULL, 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd))
        fprintf(stderr, "could not remove %s\n", dir);
    return status;
}
