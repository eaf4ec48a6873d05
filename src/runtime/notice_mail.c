/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The notice mail (vigil/runtime.h): notices go out through an SMTP relay
 * (vigil/smtp.h), one submission per notice to every address of its
 * provider, and the relay's answer decides what the cycle does next.  Who
 * hosts a case's URL comes from the provider registry, then RDAP (the
 * shipped bootstrap files unless another is named).  `vigil notices
 * run-once` and `vigil serve` both wire their cycles here.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/provider.h"
#include "vigil/runtime.h"

#define PASSWORD_MAX 1024

struct vg_runtime_mail {
    struct vg_smtp_config cfg;
    struct vg_mail_addr from;
    struct vg_provider_lookup *lookup;
    char password[PASSWORD_MAX];
    char domain[256];
};

enum vg_notice_sent vg_runtime_notice_outcome(enum vg_smtp_outcome o)
{
    switch (o) {
    case VG_SMTP_SENT:
        return VG_NOTICE_SENT;
    case VG_SMTP_PERMFAIL:
        return VG_NOTICE_REJECTED;
    case VG_SMTP_LOCALFAIL:
        return VG_NOTICE_HELD;
    default:
        return VG_NOTICE_RETRY;
    }
}

size_t vg_runtime_split_rcpt(char *list, struct vg_mail_addr *to)
{
    size_t n = 0;
    char *save = NULL;

    for (char *a = strtok_r(list, ",; \t", &save); a && n < VG_SMTP_MAX_RCPT;
         a = strtok_r(NULL, ",; \t", &save))
        to[n++] = (struct vg_mail_addr){NULL, a};
    return n;
}

static int64_t smtp_clock(void *ctx)
{
    return vg_clock_now(ctx);
}

static enum vg_notice_sent smtp_send(void *ctx, const struct vg_notice_mail *m,
                                     char *why, size_t n)
{
    struct vg_runtime_mail *s = ctx;
    struct vg_mail_addr to[VG_SMTP_MAX_RCPT];
    struct vg_smtp_result res;
    struct vg_mail mail = {0};
    struct vg_err err = {0};
    char *list = vg_strdup(m->to);
    int rc;

    if (!list) {
        snprintf(why, n, "out of memory");
        return VG_NOTICE_RETRY;
    }
    mail.from = s->from;
    mail.to = to;
    mail.nto = vg_runtime_split_rcpt(list, to);
    mail.subject = m->subject;
    mail.body = m->body;
    mail.message_id = m->message_id;
    rc = vg_smtp_send(&s->cfg, &mail, &res, &err);
    vg_free(list);
    if (rc && rc != VG_EIO) {
        snprintf(why, n, "%s",
                 err.msg[0] ? err.msg
                            : "the notice cannot be"
                              " built");
        return VG_NOTICE_REJECTED;
    }
    snprintf(why, n, "%s%s%s", res.reply,
             res.reply[0] && res.detail[0] ? "; " : "", res.detail);
    return vg_runtime_notice_outcome(res.outcome);
}

/* Who hosts a case's URL: the provider registry, then RDAP through the
   bootstrap given, else the one installed, else the shipped fallback
   (said on stderr with the files' publication dates). */
static int make_lookup(const struct vg_runtime_mail_cfg *cfg,
                       struct vg_store *st, struct vg_runtime_mail *m,
                       struct vg_err *err)
{
    char v4[4096], v6[4096], warning[1024];
    const char *shipped[] = {v4, v6, NULL};
    const char *given[] = {cfg->rdap_bootstrap, NULL};
    struct vg_rdap_opts rdap = {0};
    struct vg_rdap_bootstrap *b = NULL;
    int rc;

    snprintf(v4, sizeof(v4), "%s/rdap-bootstrap-ipv4.json",
             cfg->data_dir ? cfg->data_dir : ".");
    snprintf(v6, sizeof(v6), "%s/rdap-bootstrap-ipv6.json",
             cfg->data_dir ? cfg->data_dir : ".");
    if ((rc = vg_rdap_bootstrap_open(cfg->rdap_bootstrap ? given : NULL,
                                     shipped, &b, warning, sizeof(warning),
                                     err)))
        return rc;
    if (warning[0])
        fprintf(stderr, "vigil: notices: RDAP bootstrap %s\n", warning);
    fprintf(stderr, "vigil: notices: RDAP bootstrap: %s%s\n",
            vg_rdap_bootstrap_is_fallback(b) ? "the shipped fallback " : "",
            vg_rdap_bootstrap_source(b));
    rdap.user_agent = "Vigil-notices/" VIGIL_VERSION " (RDAP client)";
    rdap.allow_http_loopback = cfg->allow_private;
    return vg_provider_lookup_new(st, b, &rdap, 0, &m->lookup);
}

/* The transport's settings from cfg; VG_EINVAL (said) or VG_OK. */
static int make_transport(const struct vg_runtime_mail_cfg *cfg,
                          struct vg_notice_opts *o, struct vg_runtime_mail *m,
                          struct vg_err *err)
{
    const char *tls = cfg->starttls ? cfg->starttls : "required";

    if (!cfg->relay)
        return vg_err_set(err, VG_EINVAL,
                          "give --smtp-relay (and "
                          "--smtp-from): notices are sent by"
                          " e-mail");
    if (!cfg->from || !vg_mail_addr_valid(cfg->from))
        return vg_err_set(err, VG_EINVAL,
                          "--smtp-from wants the sender's address");
    if (strcmp(tls, "none") && strcmp(tls, "try") && strcmp(tls, "required"))
        return vg_err_set(err, VG_EINVAL,
                          "--smtp-starttls is none, try or required");
    if (cfg->password && strlen(cfg->password) >= PASSWORD_MAX)
        return vg_err_set(err, VG_EINVAL, "the SMTP password is too long");
    vg_smtp_config_init(&m->cfg);
    m->cfg.url = cfg->relay;
    m->cfg.starttls = !strcmp(tls, "none")  ? VG_SMTP_TLS_NONE
                      : !strcmp(tls, "try") ? VG_SMTP_TLS_TRY
                                            : VG_SMTP_TLS_REQUIRED;
    m->cfg.cafile = cfg->cafile;
    m->cfg.username = cfg->user;
    m->cfg.clock = smtp_clock;
    m->cfg.clock_ctx = &o->clock;
    if (cfg->password) {
        strcpy(m->password, cfg->password);
        m->cfg.password = m->password;
    }
    m->from = (struct vg_mail_addr){o->hotline, cfg->from};
    return VG_OK;
}

int vg_runtime_mail_new(const struct vg_runtime_mail_cfg *cfg,
                        struct vg_store *st, struct vg_notice_opts *o,
                        struct vg_runtime_mail **out, struct vg_err *err)
{
    struct vg_runtime_mail *m = NULL;
    const char *at;
    int rc;

    *out = NULL;
    if (!(m = vg_calloc(1, sizeof(*m))))
        return VG_ENOMEM;
    if ((rc = make_transport(cfg, o, m, err)) ||
        (rc = make_lookup(cfg, st, m, err))) {
        vg_runtime_mail_free(m);
        return rc;
    }
    /* Message-IDs in the sender's domain unless told otherwise */
    if (!o->domain && (at = strrchr(cfg->from, '@'))) {
        snprintf(m->domain, sizeof(m->domain), "%s", at + 1);
        o->domain = m->domain;
    }
    o->send = smtp_send;
    o->send_ctx = m;
    o->lookup = vg_provider_lookup_id;
    o->lookup_ctx = m->lookup;
    *out = m;
    return VG_OK;
}

void vg_runtime_mail_free(struct vg_runtime_mail *m)
{
    if (!m)
        return;
    sodium_memzero(m->password, sizeof(m->password));
    vg_provider_lookup_free(m->lookup);
    vg_free(m);
}
