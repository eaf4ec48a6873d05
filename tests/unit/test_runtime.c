/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil serve`'s runtime (vigil/runtime.h) without a network: what a
 * notice cycle does after each SMTP outcome, recipients split from a
 * provider's list, the notice mail's settings (required relay and
 * sender, TLS modes, the Message-ID domain from the sender, the lookup
 * from the shipped RDAP bootstrap), and the sealing key's default file.
 * The threads are tested in test_serve_crawl and the integration tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "th.h"
#include "vigil/runtime.h"

static void test_outcomes(void)
{
    TH_EQ_INT(vg_runtime_notice_outcome(VG_SMTP_SENT), VG_NOTICE_SENT);
    TH_EQ_INT(vg_runtime_notice_outcome(VG_SMTP_PERMFAIL), VG_NOTICE_REJECTED);
    TH_EQ_INT(vg_runtime_notice_outcome(VG_SMTP_LOCALFAIL), VG_NOTICE_HELD);
    TH_EQ_INT(vg_runtime_notice_outcome(VG_SMTP_TEMPFAIL), VG_NOTICE_RETRY);
}

static void test_split_rcpt(void)
{
    struct vg_mail_addr to[VG_SMTP_MAX_RCPT];
    char list[] = "a@x.test, b@y.test;c@z.test\t ,", empty[] = " ,; ";
    char many[4096] = "";

    TH_EQ_INT(vg_runtime_split_rcpt(list, to), 3);
    TH_EQ_STR(to[0].addr, "a@x.test");
    TH_EQ_STR(to[2].addr, "c@z.test");
    TH_CHECK(!to[1].name);
    TH_EQ_INT(vg_runtime_split_rcpt(empty, to), 0);
    for (int i = 0; i < VG_SMTP_MAX_RCPT + 5; i++)
        strcat(many, "r@x.test,");
    TH_EQ_INT(vg_runtime_split_rcpt(many, to), VG_SMTP_MAX_RCPT);
}

static struct vg_store *temp_store(char *dir, size_t n)
{
    struct vg_store *st = NULL;
    char db[512];

    snprintf(dir, n, "/tmp/vg_runtime_XXXXXX");
    if (!mkdtemp(dir))
        return NULL;
    snprintf(db, sizeof(db), "%s/v.db", dir);
    vg_store_open(db, NULL, &st, NULL);
    return st;
}

static void test_mail(void)
{
    struct vg_runtime_mail_cfg cfg = {0};
    struct vg_notice_opts o;
    struct vg_runtime_mail *m = NULL;
    struct vg_err err = {0};
    char dir[64], cmd[128];
    struct vg_store *st = temp_store(dir, sizeof(dir));

    TH_CHECK(st != NULL);
    memset(&o, 0, sizeof(o));
    cfg.data_dir = VIGIL_SOURCE_DIR "/data";
    TH_EQ_INT(vg_runtime_mail_new(&cfg, st, &o, &m, &err), VG_EINVAL);
    TH_CHECK(strstr(err.msg, "--smtp-relay") != NULL);
    cfg.relay = "smtp://127.0.0.1:1";
    cfg.from = "not an address";
    TH_EQ_INT(vg_runtime_mail_new(&cfg, st, &o, &m, &err), VG_EINVAL);
    TH_CHECK(strstr(err.msg, "--smtp-from") != NULL);
    cfg.from = "notices@hotline.test";
    cfg.starttls = "sometimes";
    TH_EQ_INT(vg_runtime_mail_new(&cfg, st, &o, &m, &err), VG_EINVAL);
    cfg.starttls = "none";
    cfg.password = "secret";
    TH_EQ_INT(vg_runtime_mail_new(&cfg, st, &o, &m, &err), VG_OK);
    TH_CHECK(m && o.send && o.send_ctx == m && o.lookup && o.lookup_ctx);
    TH_EQ_STR(o.domain, "hotline.test");
    vg_runtime_mail_free(m);
    m = NULL;
    /* a domain given stays; a bootstrap file that is not there is
       refused and the shipped fallback used (said on stderr) */
    memset(&o, 0, sizeof(o));
    o.domain = "ids.test";
    cfg.rdap_bootstrap = "/nonexistent/bootstrap.json";
    TH_EQ_INT(vg_runtime_mail_new(&cfg, st, &o, &m, &err), VG_OK);
    TH_CHECK(m && o.send);
    vg_runtime_mail_free(m);
    m = NULL;
    memset(&o, 0, sizeof(o));
    o.domain = "ids.test";
    cfg.rdap_bootstrap = NULL;
    TH_EQ_INT(vg_runtime_mail_new(&cfg, st, &o, &m, &err), VG_OK);
    TH_EQ_STR(o.domain, "ids.test");
    vg_runtime_mail_free(m);
    vg_runtime_mail_free(NULL);
    vg_store_close(st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    th_run(cmd);
}

static void test_key_file(void)
{
    char buf[64];

    TH_EQ_INT(vg_runtime_key_file("/var/lib/vigil/v.db", buf, sizeof(buf)),
              VG_OK);
    TH_EQ_STR(buf, "/var/lib/vigil/v.db.key");
    TH_EQ_INT(vg_runtime_key_file("sqlite:/srv/v.db", buf, sizeof(buf)),
              VG_OK);
    TH_EQ_STR(buf, "/srv/v.db.key");
    TH_EQ_INT(vg_runtime_key_file("postgresql://db/vigil", buf, sizeof(buf)),
              VG_EINVAL);
    TH_EQ_INT(vg_runtime_key_file("/a/rather/long/path/to/the/database.db",
                                  buf, 16),
              VG_ETOOBIG);
    setenv("VIGIL_DB", "/tmp/default.db", 1);
    TH_EQ_INT(vg_runtime_key_file(NULL, buf, sizeof(buf)), VG_OK);
    TH_EQ_STR(buf, "/tmp/default.db.key");
}

int main(void)
{
    TH_RUN(test_outcomes);
    TH_RUN(test_split_rcpt);
    TH_RUN(test_mail);
    TH_RUN(test_key_file);
    return th_done();
}
