/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who hosts it: IP networks (parse, write, contain; IPv4 and IPv6), the
 * registry's checks, the store's provider registry (add, update, delete,
 * confirm, conflicts naming the owner, audit records, batches all or
 * nothing, unchanged providers left alone), lookups by domain (longest
 * suffix at a label boundary), by address (most specific CIDR, IPv4 and
 * IPv6, boundaries, mapped addresses) and by AS, the RDAP cache in the
 * store, the lookup of a URL with an injected resolver, and the providers
 * CSV (records, quoting, errors by line, round trip, allocation failures).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/alloc.h"
#include "vigil/ipnet.h"
#include "vigil/provider.h"
#include "vigil/store_providers.h"

static char dir[] = "/tmp/vigil-test-provider-XXXXXX";

static struct vg_store *open_store(const char *name)
{
    char db[600];
    struct vg_store *st = NULL;
    struct vg_err err = {0};

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, name), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    return st;
}

static int count_rows(const char *name, const char *sql)
{
    char db[600];

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, name), 0);
    return (int)th_db_int(db, sql);
}

static void exec_sql(const char *name, const char *sql)
{
    char db[600];

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, name), 0);
    if (th_db_exec(db, sql) < 0)
        TH_FAIL_("sql: %s", sql);
}

/* A provider on the stack (strings borrowed). */
struct spec {
    struct vg_provider p;
    char *emails[4], *domains[8], *networks[8];
};

static struct vg_provider *spec(struct spec *s, const char *name,
                                const char *email, const char *domains,
                                const char *networks)
{
    static char buf[16][256];
    static int next;
    char *t, *save;

    memset(s, 0, sizeof(*s));
    s->p.name = (char *)name;
    snprintf(s->p.language, sizeof(s->p.language), "en");
    s->p.confirmed = 1;
    s->p.emails = s->emails;
    s->p.domains = s->domains;
    s->p.networks = s->networks;
    if (email)
        s->emails[s->p.nemails++] = (char *)email;
    snprintf(buf[next], sizeof(buf[next]), "%s", domains ? domains : "");
    for (t = strtok_r(buf[next], " ", &save); t && s->p.ndomains < 8;
         t = strtok_r(NULL, " ", &save))
        s->domains[s->p.ndomains++] = t;
    next = (next + 1) % 16;
    snprintf(buf[next], sizeof(buf[next]), "%s", networks ? networks : "");
    for (t = strtok_r(buf[next], " ", &save); t && s->p.nnetworks < 8;
         t = strtok_r(NULL, " ", &save))
        s->networks[s->p.nnetworks++] = t;
    next = (next + 1) % 16;
    return &s->p;
}

/* ---- IP networks ---- */

static void test_ipnet(void)
{
    static const struct {
        const char *in;
        unsigned flags;
        int rc;
        const char *out;
    } cases[] = {
        {"192.0.2.0/24", 0, VG_OK, "192.0.2.0/24"},
        {"192.0.2.1", 0, VG_OK, "192.0.2.1/32"},
        {"0.0.0.0/0", 0, VG_OK, "0.0.0.0/0"},
        {"192.0.2.1/24", 0, VG_EINVAL, NULL},
        {"192.0.2.1/24", VG_IPNET_MASK, VG_OK, "192.0.2.0/24"},
        {"192.0.2.0/33", 0, VG_EINVAL, NULL},
        {"192.0.2.0/024", 0, VG_EINVAL, NULL},
        {"192.0.2.0/", 0, VG_EINVAL, NULL},
        {"192.0.2.0/-1", 0, VG_EINVAL, NULL},
        {"192.0.2.0/2a", 0, VG_EINVAL, NULL},
        {"127.1", 0, VG_EINVAL, NULL},
        {"01.2.3.4", 0, VG_EINVAL, NULL},
        {"1.2.3.4 ", 0, VG_EINVAL, NULL},
        {"", 0, VG_EINVAL, NULL},
        {"/24", 0, VG_EINVAL, NULL},
        {"192.0.2.0/24", VG_IPNET_ADDRESS, VG_EINVAL, NULL},
        {"2001:DB8::/32", 0, VG_OK, "2001:db8::/32"},
        {"2001:db8:0:0:0:0:0:1", 0, VG_OK, "2001:db8::1/128"},
        {"2001:db8::1/32", 0, VG_EINVAL, NULL},
        {"2001:db8::/129", 0, VG_EINVAL, NULL},
        {"::/0", 0, VG_OK, "::/0"},
        {"fe80::1%eth0", 0, VG_EINVAL, NULL},
        {"[::1]", 0, VG_EINVAL, NULL},
        {"2001:db8::8000/113", 0, VG_OK, "2001:db8::8000/113"},
        {"2001:db8::4000/113", 0, VG_EINVAL, NULL},
    };
    struct vg_ipnet n, a;
    char buf[VG_IPNET_STRLEN];
    uint8_t first[16], last[16];

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        int rc = vg_ipnet_parse(cases[i].in, cases[i].flags, &n);
        if (rc != cases[i].rc) {
            TH_FAIL_("%s: rc %d, want %d", cases[i].in, rc, cases[i].rc);
            continue;
        }
        if (!rc) {
            vg_ipnet_format(&n, 0, buf, sizeof(buf));
            TH_EQ_STR(buf, cases[i].out);
        }
    }
    TH_EQ_INT(vg_ipnet_parse("192.0.2.64/26", 0, &n), VG_OK);
    vg_ipnet_first(&n, first);
    vg_ipnet_last(&n, last);
    TH_CHECK(first[3] == 64 && last[3] == 127 && last[2] == 2);
    TH_EQ_INT(vg_ipnet_parse("192.0.2.127", 0, &a), VG_OK);
    TH_CHECK(vg_ipnet_contains(&n, &a));
    TH_EQ_INT(vg_ipnet_parse("192.0.2.128", 0, &a), VG_OK);
    TH_CHECK(!vg_ipnet_contains(&n, &a));
    TH_EQ_INT(vg_ipnet_parse("192.0.2.64/25", VG_IPNET_MASK, &a), VG_OK);
    TH_CHECK(!vg_ipnet_contains(&n, &a)); /* wider than n */
    TH_CHECK(vg_ipnet_contains(&a, &n));
    /* IPv4-mapped IPv6 */
    TH_EQ_INT(vg_ipnet_parse("::ffff:192.0.2.7", 0, &a), VG_OK);
    TH_EQ_INT(a.family, 6);
    TH_CHECK(!vg_ipnet_contains(&n, &a));
    vg_ipnet_unmap(&a);
    TH_EQ_INT(a.family, 4);
    vg_ipnet_format(&a, 1, buf, sizeof(buf));
    TH_EQ_STR(buf, "192.0.2.7");
    TH_EQ_INT(vg_ipnet_parse("2001:db8::/32", 0, &n), VG_OK);
    vg_ipnet_last(&n, last);
    TH_CHECK(last[3] == 0xb8 && last[4] == 0xff && last[15] == 0xff);
    TH_EQ_INT(vg_ipnet_parse("2001:db8:ffff::1", 0, &a), VG_OK);
    TH_CHECK(vg_ipnet_contains(&n, &a));
}

static void test_checks(void)
{
    const char *good_mail[] = {"abuse@example.com", "a.b+c@x.example.co.uk",
                               "noc_1@xn--bcher-kva.example", "A@B.CD"};
    const char *bad_mail[] = {"",
                              "abuse",
                              "@example.com",
                              "a@",
                              "a@b",
                              "a..b@example.com",
                              ".a@example.com",
                              "a@example..com",
                              "a@-x.com",
                              "a b@x.com",
                              "a@x.com\r\nBcc: b@y.com",
                              "\"a\"@x.com",
                              "a@[192.0.2.1]",
                              "a@x_y.com",
                              "é@x.com"};
    const char *good_dom[] = {"example.com", "a-b.example.co.uk", "com",
                              "xn--bcher-kva.example", "_dmarc.example"};
    const char *bad_dom[] = {
        "",       "Example.com", "example.com.", ".com", "a..b",
        "-a.com", "a-.com",      "192.0.2.1",    "a/b",  "exa mple.com"};
    char buf[64], long_label[80];
    struct vg_err err = {0};

    for (size_t i = 0; i < sizeof(good_mail) / sizeof(*good_mail); i++)
        if (!vg_provider_email_valid(good_mail[i]))
            TH_FAIL_("refused %s", good_mail[i]);
    for (size_t i = 0; i < sizeof(bad_mail) / sizeof(*bad_mail); i++)
        if (vg_provider_email_valid(bad_mail[i]))
            TH_FAIL_("took %s", bad_mail[i]);
    for (size_t i = 0; i < sizeof(good_dom) / sizeof(*good_dom); i++)
        if (!vg_provider_domain_valid(good_dom[i]))
            TH_FAIL_("refused %s", good_dom[i]);
    for (size_t i = 0; i < sizeof(bad_dom) / sizeof(*bad_dom); i++)
        if (vg_provider_domain_valid(bad_dom[i]))
            TH_FAIL_("took %s", bad_dom[i]);
    memset(long_label, 'a', 64);
    strcpy(long_label + 64, ".com");
    TH_CHECK(!vg_provider_domain_valid(long_label));
    TH_EQ_INT(vg_provider_network_canonical("as64500", buf, sizeof(buf), &err),
              VG_OK);
    TH_EQ_STR(buf, "AS64500");
    TH_EQ_INT(vg_provider_network_canonical("AS4294967295", buf, sizeof(buf),
                                            &err),
              VG_OK);
    TH_EQ_INT(vg_provider_network_canonical("AS4294967296", buf, sizeof(buf),
                                            &err),
              VG_EINVAL);
    TH_CHECK(strstr(err.msg, "not an AS number") != NULL);
    TH_EQ_INT(vg_provider_network_canonical("AS0", buf, sizeof(buf), &err),
              VG_EINVAL);
    TH_EQ_INT(vg_provider_network_canonical("AS064500", buf, sizeof(buf),
                                            &err),
              VG_EINVAL);
    TH_EQ_INT(vg_provider_network_canonical("192.0.2.9/24", buf, sizeof(buf),
                                            &err),
              VG_EINVAL);
    TH_CHECK(strstr(err.msg, "did you mean 192.0.2.0/24?") != NULL);
    TH_EQ_INT(vg_provider_network_canonical("2001:DB8::1", buf, sizeof(buf),
                                            &err),
              VG_OK);
    TH_EQ_STR(buf, "2001:db8::1/128");
    TH_EQ_INT(vg_provider_network_canonical("example.com", buf, sizeof(buf),
                                            &err),
              VG_EINVAL);
    TH_CHECK(strstr(err.msg, "is not a network") != NULL);
    /* people's domains */
    TH_EQ_INT(vg_provider_domain_normalise("*.Example.COM.", buf, sizeof(buf),
                                           &err),
              VG_OK);
    TH_EQ_STR(buf, "example.com");
    TH_EQ_INT(vg_provider_domain_normalise("Bücher.example", buf, sizeof(buf),
                                           &err),
              VG_OK);
    TH_EQ_STR(buf, "xn--bcher-kva.example");
    TH_EQ_INT(vg_provider_domain_normalise("http://x.com/", buf, sizeof(buf),
                                           &err),
              VG_EINVAL);
    TH_EQ_INT(vg_provider_domain_normalise("user@x.com", buf, sizeof(buf),
                                           &err),
              VG_EINVAL);
    TH_EQ_INT(vg_provider_domain_normalise("192.0.2.1", buf, sizeof(buf),
                                           &err),
              VG_EINVAL);
    TH_CHECK(strstr(err.msg, "put it in networks") != NULL);
}

/* ---- the registry ---- */

static void test_registry(void)
{
    struct vg_store *st = open_store("reg.db");
    struct vg_provider *got = NULL;
    struct vg_err err = {0};
    struct spec a, b;
    int64_t ida = 0, idb = 0;

    if (!st)
        return;
    spec(&a, "Example Host", "abuse@example-host.test",
         "Example-Host.test. cdn.example-host.test example-host.test",
         "192.0.2.0/24 AS64500 2001:db8::/32 192.0.2.0/24");
    a.p.notes = "answers fast";
    TH_EQ_INT(vg_store_provider_add(st, 0, &a.p, &ida, &err), VG_OK);
    TH_EQ_INT(vg_store_provider_get(st, ida, &got, &err), VG_OK);
    if (got) {
        TH_EQ_STR(got->name, "Example Host");
        TH_EQ_INT(got->ndomains, 2); /* lowercased, dot dropped, deduped */
        TH_EQ_STR(got->domains[0], "cdn.example-host.test");
        TH_EQ_STR(got->domains[1], "example-host.test");
        TH_EQ_INT(got->nnetworks, 3); /* CIDRs by family, then ASes */
        TH_EQ_STR(got->networks[0], "192.0.2.0/24");
        TH_EQ_STR(got->networks[1], "2001:db8::/32");
        TH_EQ_STR(got->networks[2], "AS64500");
        TH_EQ_STR(got->notes, "answers fast");
        TH_EQ_INT(got->confirmed, 1);
        TH_EQ_INT(got->source, VG_PROVIDER_MANUAL);
        TH_CHECK(got->created_at > 0 && got->updated_at == got->created_at);
        vg_provider_free(got);
    }
    /* conflicts name the provider that has it */
    spec(&b, "Example Host", "x@y.test", NULL, NULL);
    TH_EQ_INT(vg_store_provider_add(st, 0, &b.p, &idb, &err), VG_EEXIST);
    TH_CHECK(strstr(err.msg, "a provider named Example Host exists") != NULL);
    spec(&b, "Other", "x@y.test", "example-host.test", NULL);
    TH_EQ_INT(vg_store_provider_add(st, 0, &b.p, &idb, &err), VG_EEXIST);
    TH_CHECK(strstr(err.msg, "domain example-host.test is registered to "
                             "provider Example Host") != NULL);
    spec(&b, "Other", "x@y.test", NULL, "2001:DB8::/32");
    TH_EQ_INT(vg_store_provider_add(st, 0, &b.p, &idb, &err), VG_EEXIST);
    TH_CHECK(strstr(err.msg, "network 2001:db8::/32 is registered") != NULL);
    spec(&b, "Other", "x@y.test", NULL, "as64500");
    TH_EQ_INT(vg_store_provider_add(st, 0, &b.p, &idb, &err), VG_EEXIST);
    TH_CHECK(strstr(err.msg, "AS number AS64500 is registered") != NULL);
    /* bad fields */
    spec(&b, "Other", "not-an-address", NULL, NULL);
    TH_EQ_INT(vg_store_provider_add(st, 0, &b.p, &idb, &err), VG_EINVAL);
    spec(&b, " Other", "x@y.test", NULL, NULL);
    TH_EQ_INT(vg_store_provider_add(st, 0, &b.p, &idb, &err), VG_EINVAL);
    spec(&b, "Other", "x@y.test", "a/b", NULL);
    TH_EQ_INT(vg_store_provider_add(st, 0, &b.p, &idb, &err), VG_EINVAL);
    spec(&b, "Other", "x@y.test", NULL, "192.0.2.1/8");
    TH_EQ_INT(vg_store_provider_add(st, 0, &b.p, &idb, &err), VG_EINVAL);
    spec(&b, "Other", "x@y.test", NULL, NULL);
    strcpy(b.p.language, "de");
    TH_EQ_INT(vg_store_provider_add(st, 0, &b.p, &idb, &err), VG_EINVAL);
    b.p.language[0] = 'f', b.p.language[1] = 'r';
    b.p.notes = "bell\a";
    TH_EQ_INT(vg_store_provider_add(st, 0, &b.p, &idb, &err), VG_EINVAL);
    /* a nested, smaller network for another provider is fine */
    spec(&b, "Reseller", "abuse@reseller.test", "reseller.test",
         "192.0.2.128/25");
    b.p.source = VG_PROVIDER_RDAP;
    b.p.confirmed = 0;
    TH_EQ_INT(vg_store_provider_add(st, 7, &b.p, &idb, &err), VG_OK);
    TH_EQ_INT(vg_store_provider_confirm(st, 7, idb, &err), VG_OK);
    TH_EQ_INT(vg_store_provider_confirm(st, 7, idb, &err), VG_OK);
    TH_EQ_INT(vg_store_provider_confirm(st, 7, 999, &err), VG_ENOENT);
    TH_EQ_INT(vg_store_provider_by_name(st, "Reseller", &got, &err), VG_OK);
    if (got) {
        TH_EQ_INT(got->confirmed, 1);
        TH_EQ_INT(got->source, VG_PROVIDER_RDAP);
        vg_provider_free(got);
    }
    /* update: the name may change, the domains move */
    spec(&b, "Reseller Ltd", "abuse@reseller.test", "reseller.test shop.test",
         "192.0.2.128/26");
    TH_EQ_INT(vg_store_provider_update(st, 7, idb, &b.p, &err), VG_OK);
    TH_EQ_INT(vg_store_provider_by_name(st, "Reseller", &got, &err),
              VG_ENOENT);
    TH_EQ_INT(vg_store_provider_by_name(st, "Reseller Ltd", &got, &err),
              VG_OK);
    if (got) {
        TH_EQ_INT(got->ndomains, 2);
        TH_EQ_STR(got->networks[0], "192.0.2.128/26");
        vg_provider_free(got);
    }
    TH_EQ_INT(vg_store_provider_update(st, 0, 999, &b.p, &err), VG_ENOENT);
    spec(&b, "Example Host", "a@b.test", NULL, NULL);
    TH_EQ_INT(vg_store_provider_update(st, 0, idb, &b.p, &err), VG_EEXIST);
    /* audited: add, add, confirm (once), update */
    TH_EQ_INT(count_rows("reg.db", "SELECT COUNT(*) FROM audit_log WHERE"
                                   " object_type = 'provider'"),
              4);
    TH_EQ_INT(count_rows("reg.db", "SELECT COUNT(*) FROM audit_log WHERE"
                                   " action = 'provider.confirm' AND"
                                   " user_id = 7"),
              1);
    /* delete: not with a case; then with its domains and networks */
    {
        char sql[300];
        snprintf(sql, sizeof(sql),
                 "INSERT INTO urls (url, host, first_seen_at) VALUES"
                 " ('http://shop.test/', 'shop.test', 1);"
                 "INSERT INTO cases (url_id, provider_id, opened_at)"
                 " VALUES (1, %lld, 1)",
                 (long long)idb);
        exec_sql("reg.db", sql);
    }
    TH_EQ_INT(vg_store_provider_delete(st, 0, idb, &err), VG_EBUSY);
    TH_CHECK(strstr(err.msg, "has cases or notices") != NULL);
    exec_sql("reg.db", "DELETE FROM cases");
    TH_EQ_INT(vg_store_provider_delete(st, 0, idb, &err), VG_OK);
    TH_EQ_INT(vg_store_provider_delete(st, 0, idb, &err), VG_ENOENT);
    TH_EQ_INT(count_rows("reg.db", "SELECT COUNT(*) FROM provider_domains"),
              2);
    TH_EQ_INT(count_rows("reg.db", "SELECT COUNT(*) FROM provider_networks"),
              3);
    vg_store_close(st);
}

static int count_cb(void *ctx, const struct vg_provider *p)
{
    (void)p;
    ++*(int *)ctx;
    return VG_OK;
}

static void test_batch(void)
{
    struct vg_store *st = open_store("batch.db");
    struct vg_providers_put_result res;
    struct vg_provider v[3], *got = NULL;
    struct vg_err err = {0};
    struct spec s[3];
    int n = 0;

    if (!st)
        return;
    v[0] = *spec(&s[0], "A", "abuse@a.test", "a.test shared.test",
                 "192.0.2.0/25");
    v[1] = *spec(&s[1], "B", "abuse@b.test", "b.test", "192.0.2.128/25");
    TH_EQ_INT(vg_store_providers_put(st, 0, v, 2, &res, &err), VG_OK);
    TH_EQ_INT(res.added, 2);
    /* the same again: nothing changes, nothing audited */
    TH_EQ_INT(vg_store_providers_put(st, 0, v, 2, &res, &err), VG_OK);
    TH_EQ_INT(res.unchanged, 2);
    TH_EQ_INT(res.added + res.updated, 0);
    TH_EQ_INT(count_rows("batch.db", "SELECT COUNT(*) FROM audit_log"), 2);
    /* shared.test moves from A to B in one batch */
    v[0] = *spec(&s[0], "A", "abuse@a.test", "a.test", "192.0.2.0/25");
    v[1] = *spec(&s[1], "B", "abuse@b.test", "b.test shared.test",
                 "192.0.2.128/25");
    v[2] = *spec(&s[2], "C", "abuse@c.test", "c.test", NULL);
    TH_EQ_INT(vg_store_providers_put(st, 0, v, 3, &res, &err), VG_OK);
    TH_EQ_INT(res.added, 1);
    TH_EQ_INT(res.updated, 2);
    TH_EQ_INT(vg_store_provider_by_domain(st, "x.shared.test", &got, NULL, 0,
                                          &err),
              VG_OK);
    if (got)
        TH_EQ_STR(got->name, "B");
    vg_provider_free(got);
    /* all or nothing: the third is bad, the first change is not kept */
    v[0] = *spec(&s[0], "A", "new@a.test", "a.test", "192.0.2.0/25");
    v[1] = *spec(&s[1], "D", "abuse@d.test", "d.test", NULL);
    v[2] = *spec(&s[2], "E", "abuse@e.test", "c.test", NULL);
    TH_EQ_INT(vg_store_providers_put(st, 0, v, 3, &res, &err), VG_EEXIST);
    TH_EQ_INT(res.bad, 2);
    TH_CHECK(strstr(err.msg, "domain c.test is registered to provider C") !=
             NULL);
    TH_EQ_INT(vg_store_provider_by_name(st, "A", &got, &err), VG_OK);
    if (got)
        TH_EQ_STR(got->emails[0], "abuse@a.test");
    vg_provider_free(got);
    TH_EQ_INT(vg_store_provider_by_name(st, "D", &got, &err), VG_ENOENT);
    v[2] = *spec(&s[2], "E", "bad", "e.test", NULL);
    TH_EQ_INT(vg_store_providers_put(st, 0, v, 3, &res, &err), VG_EINVAL);
    TH_EQ_INT(res.bad, 2);
    v[2] = *spec(&s[2], "D", "abuse@d.test", "e.test", NULL);
    TH_EQ_INT(vg_store_providers_put(st, 0, v, 3, &res, &err), VG_EEXIST);
    TH_EQ_INT(res.bad, 2);
    TH_CHECK(strstr(err.msg, "given twice") != NULL);
    /* lists */
    TH_EQ_INT(vg_store_providers(st, 0, count_cb, &n, &err), VG_OK);
    TH_EQ_INT(n, 3);
    n = 0;
    TH_EQ_INT(vg_store_providers(st, VG_PROVIDERS_SUGGESTED, count_cb, &n,
                                 &err),
              VG_OK);
    TH_EQ_INT(n, 0);
    vg_store_close(st);
}

static void want_domain(struct vg_store *st, const char *host,
                        const char *name, const char *matched)
{
    struct vg_provider *p = NULL;
    char m[256] = "";
    int rc = vg_store_provider_by_domain(st, host, &p, m, sizeof(m), NULL);

    if (!name) {
        if (rc != VG_ENOENT)
            TH_FAIL_("%s: found %s", host, p ? p->name : "?");
    } else if (rc || strcmp(p->name, name) || strcmp(m, matched)) {
        TH_FAIL_("%s: rc %d, %s by %s; want %s by %s", host, rc,
                 p ? p->name : "-", m, name, matched);
    }
    vg_provider_free(p);
}

static void want_ip(struct vg_store *st, const char *ip, const char *name,
                    const char *matched)
{
    struct vg_provider *p = NULL;
    char m[256] = "";
    int rc = vg_store_provider_by_ip(st, ip, &p, m, sizeof(m), NULL);

    if (!name) {
        if (rc != VG_ENOENT)
            TH_FAIL_("%s: rc %d, found %s", ip, rc, p ? p->name : "?");
    } else if (rc || strcmp(p->name, name) || strcmp(m, matched)) {
        TH_FAIL_("%s: rc %d, %s by %s; want %s by %s", ip, rc,
                 p ? p->name : "-", m, name, matched);
    }
    vg_provider_free(p);
}

static void test_match(void)
{
    struct vg_store *st = open_store("match.db");
    struct vg_provider *p = NULL;
    struct vg_err err = {0};
    struct spec s;

    if (!st)
        return;
    vg_store_provider_add(st, 0,
                          spec(&s, "UK", "a@uk.test", "example.co.uk",
                               "192.0.0.0/16 2001:db8::/32"),
                          NULL, &err);
    vg_store_provider_add(st, 0,
                          spec(&s, "UK-B", "a@b.test", "b.example.co.uk",
                               "192.0.2.0/24 2001:db8:1::/48"),
                          NULL, &err);
    vg_store_provider_add(st, 0,
                          spec(&s, "Tiny", "a@t.test", "co",
                               "192.0.2.16/28 2001:db8:1:2::1 AS64511"),
                          NULL, &err);
    want_domain(st, "a.b.example.co.uk", "UK-B", "b.example.co.uk");
    want_domain(st, "B.Example.CO.UK.", "UK-B", "b.example.co.uk");
    want_domain(st, "c.example.co.uk", "UK", "example.co.uk");
    want_domain(st, "example.co.uk", "UK", "example.co.uk");
    want_domain(st, "notexample.co.uk", NULL, NULL); /* label boundary */
    want_domain(st, "xb.example.co.uk", "UK", "example.co.uk");
    want_domain(st, "co.uk", NULL, NULL);
    want_domain(st, "x.co", "Tiny", "co");
    want_domain(st, "", NULL, NULL);
    want_domain(st, "a..b.example.co.uk", "UK-B", "b.example.co.uk");
    /* the most specific CIDR; every boundary */
    want_ip(st, "192.0.2.16", "Tiny", "192.0.2.16/28");
    want_ip(st, "192.0.2.31", "Tiny", "192.0.2.16/28");
    want_ip(st, "192.0.2.32", "UK-B", "192.0.2.0/24");
    want_ip(st, "192.0.2.15", "UK-B", "192.0.2.0/24");
    want_ip(st, "192.0.2.255", "UK-B", "192.0.2.0/24");
    want_ip(st, "192.0.3.0", "UK", "192.0.0.0/16");
    want_ip(st, "192.0.0.0", "UK", "192.0.0.0/16");
    want_ip(st, "192.0.255.255", "UK", "192.0.0.0/16");
    want_ip(st, "192.1.0.0", NULL, NULL);
    want_ip(st, "191.255.255.255", NULL, NULL);
    want_ip(st, "::ffff:192.0.2.20", "Tiny", "192.0.2.16/28");
    want_ip(st, "2001:db8:1:2::1", "Tiny", "2001:db8:1:2::1/128");
    want_ip(st, "2001:db8:1:2::2", "UK-B", "2001:db8:1::/48");
    want_ip(st, "2001:db8:2::", "UK", "2001:db8::/32");
    want_ip(st, "2001:db9::", NULL, NULL);
    want_ip(st, "::c000:210", NULL, NULL); /* IPv4-compatible: not IPv4 */
    TH_EQ_INT(vg_store_provider_by_ip(st, "192.0.2", &p, NULL, 0, &err),
              VG_EINVAL);
    TH_EQ_INT(vg_store_provider_by_asn(st, 64511, &p, &err), VG_OK);
    if (p)
        TH_EQ_STR(p->name, "Tiny");
    vg_provider_free(p);
    TH_EQ_INT(vg_store_provider_by_asn(st, 64512, &p, &err), VG_ENOENT);
    vg_store_close(st);
}

/* ---- the RDAP cache ---- */

struct cached {
    int n;
    char first[64], last[64], status[16], emails[128], asns[64];
    int64_t expires;
};

static int cached_cb(void *ctx, const struct vg_rdap_cached *c)
{
    struct cached *x = ctx;

    x->n++;
    snprintf(x->first, sizeof(x->first), "%s", c->first);
    snprintf(x->last, sizeof(x->last), "%s", c->last);
    snprintf(x->status, sizeof(x->status), "%s", c->status);
    snprintf(x->emails, sizeof(x->emails), "%s", c->emails);
    snprintf(x->asns, sizeof(x->asns), "%s", c->asns);
    x->expires = c->expires_at;
    return VG_OK;
}

static void test_rdap_cache(void)
{
    struct vg_store *st = open_store("cache.db");
    struct vg_rdap_cached c;
    struct vg_err err = {0};
    struct cached x;
    int64_t now = (int64_t)time(NULL);

    if (!st)
        return;
    memset(&c, 0, sizeof(c));
    c.first = "192.0.2.0";
    c.last = "192.0.2.255";
    c.status = "ok";
    c.emails = "a@x.test,b@x.test";
    c.asns = "64496";
    c.fetched_at = now;
    c.expires_at = now + 100;
    TH_EQ_INT(vg_store_rdap_put(st, &c, &err), VG_OK);
    c.first = c.last = "192.0.2.7"; /* a negative entry for one address */
    c.status = "not-found";
    c.emails = "";
    c.asns = NULL;
    c.expires_at = now + 50;
    TH_EQ_INT(vg_store_rdap_put(st, &c, &err), VG_OK);
    memset(&x, 0, sizeof(x));
    TH_EQ_INT(vg_store_rdap_get(st, "192.0.2.8", now, cached_cb, &x, &err),
              VG_OK);
    TH_EQ_STR(x.first, "192.0.2.0");
    TH_EQ_STR(x.emails, "a@x.test,b@x.test");
    TH_EQ_STR(x.asns, "64496");
    memset(&x, 0, sizeof(x));
    TH_EQ_INT(vg_store_rdap_get(st, "192.0.2.7", now, cached_cb, &x, &err),
              VG_OK);
    TH_EQ_STR(x.status, "not-found"); /* the most specific */
    memset(&x, 0, sizeof(x));
    TH_EQ_INT(vg_store_rdap_get(st, "192.0.2.7", now + 60, cached_cb, &x,
                                &err),
              VG_OK);
    TH_EQ_STR(x.status, "ok"); /* the address's entry expired */
    TH_EQ_INT(vg_store_rdap_get(st, "192.0.2.7", now + 100, cached_cb, &x,
                                &err),
              VG_ENOENT);
    TH_EQ_INT(vg_store_rdap_get(st, "192.0.3.0", now, cached_cb, &x, &err),
              VG_ENOENT);
    TH_EQ_INT(vg_store_rdap_get(st, "::ffff:192.0.2.1", now, cached_cb, &x,
                                &err),
              VG_OK);
    /* the same range again replaces it */
    c.first = "192.0.2.0";
    c.last = "192.0.2.255";
    c.status = "no-contact";
    c.expires_at = now + 1000;
    TH_EQ_INT(vg_store_rdap_put(st, &c, &err), VG_OK);
    TH_EQ_INT(count_rows("cache.db", "SELECT COUNT(*) FROM rdap_cache"), 2);
    memset(&x, 0, sizeof(x));
    TH_EQ_INT(vg_store_rdap_get(st, "192.0.2.9", now, cached_cb, &x, &err),
              VG_OK);
    TH_EQ_STR(x.status, "no-contact");
    /* IPv6 */
    c.first = "2001:db8::";
    c.last = "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff";
    TH_EQ_INT(vg_store_rdap_put(st, &c, &err), VG_OK);
    TH_EQ_INT(vg_store_rdap_get(st, "2001:db8:5::1", now, cached_cb, &x, &err),
              VG_OK);
    TH_EQ_INT(vg_store_rdap_get(st, "2001:db9::", now, cached_cb, &x, &err),
              VG_ENOENT);
    /* bad ranges and statuses */
    c.first = "192.0.2.9";
    c.last = "192.0.2.1";
    TH_EQ_INT(vg_store_rdap_put(st, &c, &err), VG_EINVAL);
    c.first = "192.0.2.0";
    c.last = "2001:db8::";
    TH_EQ_INT(vg_store_rdap_put(st, &c, &err), VG_EINVAL);
    c.last = "192.0.2.9";
    c.status = "maybe";
    TH_EQ_INT(vg_store_rdap_put(st, &c, &err), VG_EINVAL);
    TH_EQ_INT(vg_store_rdap_get(st, "x", now, cached_cb, &x, &err), VG_EINVAL);
    vg_store_close(st);
}

/* ---- the lookup of a URL ---- */

struct fake_dns {
    const char *host;
    const char *ips[3];
    int calls;
};

static int fake_resolve(void *ctx, const char *host,
                        char (*ips)[VG_IPNET_STRLEN], size_t max, size_t *n,
                        struct vg_err *err)
{
    struct fake_dns *d = ctx;

    d->calls++;
    *n = 0;
    if (strcmp(host, d->host))
        return vg_err_set(err, VG_ENOENT, "cannot resolve %s: no such host",
                          host);
    for (size_t i = 0; i < 3 && d->ips[i] && *n < max; i++)
        snprintf(ips[(*n)++], VG_IPNET_STRLEN, "%s", d->ips[i]);
    return VG_OK;
}

static struct vg_provider_match *find(struct vg_store *st, const char *url,
                                      const char *ip, struct fake_dns *dns,
                                      enum vg_provider_method want,
                                      const char *name)
{
    struct vg_provider_lookup_opts o;
    struct vg_provider_match *m = NULL;
    struct vg_err err = {0};
    int rc;

    memset(&o, 0, sizeof(o));
    o.resolve = fake_resolve;
    o.resolve_ctx = dns;
    rc = vg_provider_lookup(st, url, ip, &o, &m, &err);
    if (rc) {
        TH_FAIL_("%s: %s", url, err.msg);
        return NULL;
    }
    if (m->method != want ||
        (name && (!m->provider || strcmp(m->provider->name, name))))
        TH_FAIL_("%s: %s %s, want %s %s (%s)", url,
                 vg_provider_method_name(m->method),
                 m->provider ? m->provider->name : "-",
                 vg_provider_method_name(want), name ? name : "-", m->reason);
    return m;
}

static void test_lookup(void)
{
    struct vg_store *st = open_store("lookup.db");
    struct fake_dns dns = {"www.shop.test",
                           {"198.51.100.9", "192.0.2.77", NULL},
                           0};
    struct vg_provider_match *m;
    struct vg_err err = {0};
    struct spec s;

    if (!st)
        return;
    vg_store_provider_add(st, 0,
                          spec(&s, "Blog Host", "abuse@blog.test", "blog.test",
                               NULL),
                          NULL, &err);
    vg_store_provider_add(st, 0,
                          spec(&s, "Net Host", "abuse@net.test", NULL,
                               "192.0.2.0/24 2001:db8::/32"),
                          NULL, &err);
    vg_store_provider_add(st, 0,
                          spec(&s, "No Mail", NULL, "nomail.test", NULL), NULL,
                          &err);
    /* by domain: the resolver is not even asked */
    if ((m = find(st, "https://Someone.BLOG.test/a/b.jpg?x=1", NULL, &dns,
                  VG_FOUND_DOMAIN, "Blog Host"))) {
        TH_EQ_STR(m->host, "someone.blog.test");
        TH_EQ_STR(m->matched, "blog.test");
        TH_EQ_INT(m->nemails, 1);
        TH_EQ_STR(m->emails[0], "abuse@blog.test");
        TH_EQ_INT(dns.calls, 0);
        vg_provider_match_free(m);
    }
    /* by network, from the second address the resolver gives */
    if ((m = find(st, "http://www.shop.test/x", NULL, &dns, VG_FOUND_NETWORK,
                  "Net Host"))) {
        TH_EQ_STR(m->ip, "192.0.2.77");
        TH_EQ_STR(m->matched, "192.0.2.0/24");
        vg_provider_match_free(m);
    }
    /* the caller's address wins over DNS (the crawler's evidence) */
    dns.calls = 0;
    if ((m = find(st, "http://www.shop.test/x", "2001:db8::7", &dns,
                  VG_FOUND_NETWORK, "Net Host"))) {
        TH_EQ_STR(m->ip, "2001:db8::7");
        TH_EQ_INT(dns.calls, 0);
        vg_provider_match_free(m);
    }
    if ((m = find(st, "http://www.shop.test/x", "::ffff:192.0.2.1", &dns,
                  VG_FOUND_NETWORK, "Net Host"))) {
        TH_EQ_STR(m->ip, "192.0.2.1");
        vg_provider_match_free(m);
    }
    /* an address as host */
    if ((m = find(st, "http://192.0.2.5:8080/", NULL, &dns, VG_FOUND_NETWORK,
                  "Net Host")))
        vg_provider_match_free(m);
    if ((m = find(st, "http://[2001:db8::1]/", NULL, &dns, VG_FOUND_NETWORK,
                  "Net Host")))
        vg_provider_match_free(m);
    /* none, with the reason */
    if ((m = find(st, "http://nowhere.test/", NULL, &dns, VG_FOUND_NONE,
                  NULL))) {
        TH_CHECK(strstr(m->reason, "cannot resolve nowhere.test") != NULL);
        TH_EQ_INT(m->nemails, 0);
        vg_provider_match_free(m);
    }
    if ((m = find(st, "http://nowhere.test/", "203.0.113.5", &dns,
                  VG_FOUND_NONE, NULL))) {
        TH_CHECK(strstr(m->reason, "RDAP is off") != NULL);
        vg_provider_match_free(m);
    }
    /* found, but no one to write to */
    if ((m = find(st, "http://x.nomail.test/", NULL, &dns, VG_FOUND_DOMAIN,
                  "No Mail"))) {
        TH_EQ_INT(m->nemails, 0);
        TH_CHECK(strstr(m->reason, "has no abuse e-mail") != NULL);
        vg_provider_match_free(m);
    }
    /* bad input */
    TH_EQ_INT(vg_provider_lookup(st, "ftp://x.test/", NULL, NULL, &m, &err),
              VG_EFORMAT);
    TH_EQ_INT(vg_provider_lookup(st, "not a url", NULL, NULL, &m, &err),
              VG_EINVAL);
    TH_EQ_INT(vg_provider_lookup(st, "http://x.test/", "999.1.1.1", NULL, &m,
                                 &err),
              VG_EINVAL);
    TH_CHECK(m == NULL);
    vg_store_close(st);
}

/* ---- the CSV ---- */

struct csv_out {
    int n, nerr;
    unsigned long lines[16], err_lines[16];
    char msgs[16][256];
    struct vg_provider *p[16];
};

static int csv_cb(void *ctx, unsigned long line, struct vg_provider *p)
{
    struct csv_out *o = ctx;

    if (o->n < 16) {
        o->lines[o->n] = line;
        o->p[o->n++] = p;
    } else {
        vg_provider_free(p);
    }
    return VG_OK;
}

static int csv_err(void *ctx, unsigned long line, const char *msg)
{
    struct csv_out *o = ctx;

    if (o->nerr < 16) {
        o->err_lines[o->nerr] = line;
        snprintf(o->msgs[o->nerr], sizeof(o->msgs[0]), "%s", msg);
    }
    o->nerr++;
    return VG_OK;
}

static void csv_fini(struct csv_out *o)
{
    for (int i = 0; i < o->n && i < 16; i++)
        vg_provider_free(o->p[i]);
    memset(o, 0, sizeof(*o));
}

static void test_csv(void)
{
    static const char good[] =
        "\xef\xbb\xbfName, Abuse_Emails ,domains,networks,language,"
        "one_notice_per_url,notes\r\n"
        "Example Host,\"abuse@ex.test; noc@ex.test,ABUSE@ex.test\","
        "\"*.Ex.test cdn.ex.test\",\"AS64500, 192.0.2.0/24\",FR,1,"
        "\"line one\r\nline \"\"two\"\", with comma\"\r\n"
        "\r\n"
        "  Second  ,,,,,,\n"
        "Third,a@t.test,t.test,2001:db8::/32,en,0,x";
    static const char *bad[] = {
        /* header problems */
        "name,email\nx,y\n",
        "abuse_emails\nx@y.test\n",
        "name,name\nx,y\n",
        "",
        "\n\n",
    };
    static const char *bad_msgs[] = {"unknown column 'email'",
                                     "no name column",
                                     "column name is given twice", "no header",
                                     "no header"};
    static const char rows[] =
        "name,abuse_emails,language,domains,networks,one_notice_per_url,"
        "notes\n"
        "ok,a@b.test,en,,,0,\n"
        ",a@b.test,en,,,0,\n"                      /* 3: no name */
        "x,not-mail,en,,,0,\n"                     /* 4 */
        "x,a@b.test,de,,,0,\n"                     /* 5 */
        "x,a@b.test,en,http://x.test/,,0,\n"       /* 6 */
        "x,a@b.test,en,,10.0.0.1/8,0,\n"           /* 7 */
        "x,a@b.test,en,,,2,\n"                     /* 8 */
        "x,a@b.test,en,,,0\n"                      /* 9: 6 fields */
        "x,a\"b@c.test,en,,,0,\n"                  /* 10 */
        "\"x\"y,a@b.test,en,,,0,\n"                /* 11 */
        "x,a@b.test,en,,,0,\"bad \xff utf-8\"\n"   /* 12 */
        "last ok,a@b.test,en,,,0,\"two\nlines\"\n" /* 13 */
        "\"unclosed,a@b.test\n"                    /* 15 */
        "never,seen,en,,,0,\n";
    struct csv_out o;
    struct vg_buf b;

    memset(&o, 0, sizeof(o));
    TH_EQ_INT(vg_provider_csv_parse(good, strlen(good), csv_cb, csv_err, &o),
              VG_OK);
    TH_EQ_INT(o.nerr, 0);
    TH_EQ_INT(o.n, 3);
    if (o.n == 3) {
        struct vg_provider *p = o.p[0];
        TH_EQ_STR(p->name, "Example Host");
        TH_EQ_INT(p->nemails, 2);
        TH_EQ_STR(p->emails[1], "noc@ex.test");
        TH_EQ_INT(p->ndomains, 2);
        TH_EQ_STR(p->domains[0], "ex.test");
        TH_EQ_INT(p->nnetworks, 2);
        TH_EQ_STR(p->networks[0], "AS64500");
        TH_EQ_STR(p->language, "fr");
        TH_EQ_INT(p->one_notice_per_url, 1);
        TH_EQ_STR(p->notes, "line one\r\nline \"two\", with comma");
        TH_EQ_INT(o.lines[1], 5);
        TH_EQ_STR(o.p[1]->name, "Second");
        TH_EQ_STR(o.p[1]->language, "en");
        TH_EQ_INT(o.p[1]->nemails, 0);
        TH_EQ_INT(o.lines[2], 6);
        /* written and read back: the same */
        vg_buf_init(&b, 0);
        TH_EQ_INT(vg_provider_csv_header(&b), VG_OK);
        for (int i = 0; i < 3; i++)
            TH_EQ_INT(vg_provider_csv_row(&b, o.p[i]), VG_OK);
        {
            struct csv_out back;
            memset(&back, 0, sizeof(back));
            TH_EQ_INT(vg_provider_csv_parse(b.data, b.len, csv_cb, csv_err,
                                            &back),
                      VG_OK);
            TH_EQ_INT(back.n, 3);
            TH_EQ_INT(back.nerr, 0);
            for (int i = 0; i < back.n && i < 3; i++) {
                struct vg_buf x, y;
                vg_buf_init(&x, 0);
                vg_buf_init(&y, 0);
                vg_provider_csv_row(&x, o.p[i]);
                vg_provider_csv_row(&y, back.p[i]);
                TH_EQ_STR(x.data, y.data);
                vg_buf_fini(&x);
                vg_buf_fini(&y);
            }
            csv_fini(&back);
        }
        vg_buf_fini(&b);
    }
    csv_fini(&o);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        memset(&o, 0, sizeof(o));
        TH_EQ_INT(vg_provider_csv_parse(bad[i], strlen(bad[i]), csv_cb,
                                        csv_err, &o),
                  VG_OK);
        TH_EQ_INT(o.n, 0);
        TH_EQ_INT(o.nerr, 1);
        if (!strstr(o.msgs[0], bad_msgs[i]))
            TH_FAIL_("\"%s\" lacks \"%s\"", o.msgs[0], bad_msgs[i]);
        csv_fini(&o);
    }
    memset(&o, 0, sizeof(o));
    TH_EQ_INT(vg_provider_csv_parse(rows, strlen(rows), csv_cb, csv_err, &o),
              VG_OK);
    TH_EQ_INT(o.n, 2);
    TH_EQ_INT(o.nerr, 11);
    {
        static const unsigned long want[] = {3, 4,  5,  6,  7, 8,
                                             9, 10, 11, 12, 15};
        static const char *msg[] = {"no name",
                                    "'not-mail' is not an address",
                                    "en or fr, not 'de'",
                                    "not a domain name",
                                    "did you mean 10.0.0.0/8?",
                                    "0 or 1",
                                    "6 fields where the header has 7",
                                    "a quote inside unquoted",
                                    "text after the closing quote",
                                    "not UTF-8",
                                    "opened on line 15 is never closed"};
        for (int i = 0; i < 11 && i < o.nerr; i++) {
            TH_EQ_INT(o.err_lines[i], want[i]);
            if (!strstr(o.msgs[i], msg[i]))
                TH_FAIL_("line %lu: \"%s\" lacks \"%s\"", o.err_lines[i],
                         o.msgs[i], msg[i]);
        }
    }
    if (o.n == 2)
        TH_EQ_INT(o.lines[1], 13);
    csv_fini(&o);
}

static void test_csv_alloc_failures(void)
{
    static const char doc[] =
        "name,abuse_emails,domains,networks,notes\n"
        "A,a@a.test;b@a.test,a.test b.test,192.0.2.0/24 AS1,\"n\"\n"
        "B,bad,,,\n";

    for (long n = 0; n < 200; n++) {
        struct csv_out o;
        int rc;
        memset(&o, 0, sizeof(o));
        vg_alloc_fail_after(n);
        rc = vg_provider_csv_parse(doc, strlen(doc), csv_cb, csv_err, &o);
        vg_alloc_fail_after(-1);
        TH_CHECK(rc == VG_OK || rc == VG_ENOMEM);
        csv_fini(&o);
        if (rc == VG_OK)
            break;
    }
}

/* Repeats within an import: names, domains and networks, each repeat
 * with the index that gave it first. */
struct twice_seen {
    char got[8][64];
    size_t n;
};

static int twice_cb(void *ctx, size_t later, size_t first, const char *what,
                    const char *key)
{
    struct twice_seen *t = ctx;

    if (t->n < 8)
        snprintf(t->got[t->n++], sizeof(t->got[0]), "%zu<%zu %s %s", first,
                 later, what, key);
    return VG_OK;
}

static void test_find_twice(void)
{
    char *d0[] = {"a.test", "b.test"}, *d1[] = {"c.test"}, *d2[] = {"a.test"};
    char *n0[] = {"AS64500"}, *n2[] = {"AS64500", "192.0.2.0/24"};
    struct vg_provider v[3];
    struct twice_seen t = {{{0}}, 0};

    memset(v, 0, sizeof(v));
    v[0].name = "One";
    v[0].domains = d0, v[0].ndomains = 2, v[0].networks = n0,
    v[0].nnetworks = 1;
    v[1].name = "Two";
    v[1].domains = d1, v[1].ndomains = 1;
    v[2].name = "One";
    v[2].domains = d2, v[2].ndomains = 1, v[2].networks = n2,
    v[2].nnetworks = 2;
    TH_EQ_INT(vg_provider_find_twice(v, 2, twice_cb, &t), VG_OK);
    TH_EQ_INT(t.n, 0);
    TH_EQ_INT(vg_provider_find_twice(v, 3, twice_cb, &t), VG_OK);
    TH_EQ_INT(t.n, 3);
    TH_EQ_STR(t.got[0], "0<2 domain a.test");
    TH_EQ_STR(t.got[1], "0<2 network AS64500");
    TH_EQ_STR(t.got[2], "0<2 provider One");
    TH_EQ_INT(vg_provider_find_twice(NULL, 0, twice_cb, &t), VG_OK);
}

int main(void)
{
    char cmd[300];
    int status;

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    TH_RUN(test_ipnet);
    TH_RUN(test_checks);
    TH_RUN(test_registry);
    TH_RUN(test_batch);
    TH_RUN(test_match);
    TH_RUN(test_rdap_cache);
    TH_RUN(test_lookup);
    TH_RUN(test_csv);
    TH_RUN(test_find_twice);
    TH_RUN(test_csv_alloc_failures);
    status = th_done();
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd))
        fprintf(stderr, "could not remove %s\n", dir);
    return status;
}
