/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One notice-and-takedown cycle (vigil/notice.h): cases from detections,
 * notices stored then sent, re-checks.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notice/notice_int.h"
#include "vigil/alloc.h"
#include "vigil/vocab.h"
#include "vigil/digest.h"
#include "vigil/notice.h"
#include "vigil/smtp.h"
#include "vigil/store_notices.h"
#include "vigil/utc.h"

#define WHY_MAX 512

int64_t vg_clock_now(const struct vg_clock *c)
{
    return c && c->now ? c->now(c->ctx) : (int64_t)time(NULL);
}

/* ---- 1. cases ---- */

struct cand {
    struct vg_case_candidate c;
    char *url, *ip, *category;
};

struct cands {
    struct cand *v;
    size_t n, cap;
};

static int collect(void *ctx, const struct vg_case_candidate *c)
{
    struct cands *cs = ctx;
    struct cand *x;

    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? 2 * cs->cap : 64;
        struct cand *v = vg_reallocarray(cs->v, cap, sizeof(*v));
        if (!v)
            return VG_ENOMEM;
        cs->v = v;
        cs->cap = cap;
    }
    x = &cs->v[cs->n];
    x->c = *c;
    x->url = vg_strdup(c->url ? c->url : "");
    x->ip = c->server_ip ? vg_strdup(c->server_ip) : NULL;
    x->category = vg_strdup(c->category ? c->category : "");
    if (!x->url || !x->category || (c->server_ip && !x->ip)) {
        vg_free(x->url);
        vg_free(x->ip);
        vg_free(x->category);
        return VG_ENOMEM;
    }
    x->c.url = x->url;
    x->c.server_ip = x->ip;
    x->c.category = x->category;
    cs->n++;
    return VG_OK;
}

static void cands_free(struct cands *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        vg_free(cs->v[i].url);
        vg_free(cs->v[i].ip);
        vg_free(cs->v[i].category);
    }
    vg_free(cs->v);
}

static int open_cases(struct vg_store *st, const struct vg_notice_opts *o,
                      int64_t now, struct vg_notice_stats *stats,
                      struct vg_err *err)
{
    const char *actionable = o->actionable
                                 ? o->actionable
                                 : vg_vocab_default(VG_VOCAB_REVIEW_CLASS);
    struct cands cs = {0};
    int rc = vg_store_case_candidates(st, actionable, collect, &cs, err);

    for (size_t i = 0; !rc && i < cs.n; i++) {
        int64_t provider = 0, id = 0;
        struct vg_case_links l;
        if (o->lookup && (rc = o->lookup(o->lookup_ctx, cs.v[i].url,
                                         cs.v[i].ip, &provider, err)))
            break;
        rc = vg_store_case_open(st, &cs.v[i].c, provider, now,
                                now + vg__notice_recheck_after(o, 0), &id, &l,
                                err);
        if (rc == VG_EEXIST) { /* opened meanwhile: nothing to do */
            rc = VG_OK;
            continue;
        }
        if (!rc) {
            stats->cases_opened++;
            stats->also_hosted += l.also_hosted_with != 0;
            stats->reuploads += l.reappeared_after >= 0;
            stats->unassigned += provider == 0;
        }
    }
    cands_free(&cs);
    return rc;
}

/* ---- 2. notices ---- */

/* s, or "" for none. */
static const char *str(const char *s)
{
    return s ? s : "";
}

/* The provider's language if we have its template, else English. */
static const struct vg__notice_text *
text_for(const struct vg__notice_text *texts, const char *lang,
         const char **used)
{
    if (!strcmp(lang, "fr") && texts[1].mem) {
        *used = "fr";
        return &texts[1];
    }
    *used = "en";
    return &texts[0];
}

/* Compose and store the notice for cases[from..to) of provider p. */
static int compose(struct vg_store *st, const struct vg_notice_opts *o,
                   const struct vg__notice_text *texts,
                   const struct vg_due_provider *p, size_t from, size_t to,
                   int64_t now, struct vg_notice_stats *stats,
                   struct vg_err *err)
{
    static const char *const names[] = {"hotline",   "provider", "count",
                                        "reference", "urls",     "legal_basis",
                                        "contact",   "reminder"};
    static const char *const item_names[] = {"url", "detected", "sha256",
                                             "category"};
    const char *lang, *values[8];
    const struct vg__notice_text *t = text_for(texts, str(p->language), &lang);
    struct vg_buf urls, subject, body, reminder;
    char count[24], ref[48], msgid[160], rnd[9], n_s[24];
    int64_t *ids = NULL, id = 0, escalated = 0, max_sent = 0;
    struct vg_notice_rec r = {0};
    int rc = VG_OK;

    vg_buf_init(&urls, 4u << 20);
    vg_buf_init(&subject, 4096);
    vg_buf_init(&body, 8u << 20);
    vg_buf_init(&reminder, 4096);
    if (!(ids = vg_calloc(to - from, sizeof(*ids)))) {
        rc = VG_ENOMEM;
        goto out;
    }
    for (size_t i = from; !rc && i < to; i++) {
        const struct vg_due_case *c = &p->cases[i];
        char detected[24], cat[256];
        const char *item[4];
        vg_utc_text(c->detected_at, detected);
        item[0] = str(c->url);
        item[1] = detected;
        item[2] = str(c->sha256);
        item[3] = vg__notice_category(t, str(c->category), cat, sizeof(cat));
        ids[i - from] = c->id;
        if (c->notices_sent > max_sent)
            max_sent = c->notices_sent;
        if ((urls.len && (rc = vg_buf_puts(&urls, "\n"))) ||
            (rc = vg__notice_fill(&urls, t->section[VG__NT_URL], item_names,
                                  item, 4)))
            break;
    }
    if (!rc && max_sent) {
        const char *rn[] = {"n"}, *rv[] = {n_s};
        snprintf(n_s, sizeof(n_s), "%lld", (long long)max_sent + 1);
        rc = vg__notice_fill(&reminder, t->section[VG__NT_REMINDER], rn, rv,
                             1);
    }
    /* a reference and Message-ID that no other notice has */
    {
        uint8_t b[4];
        randombytes_buf(b, sizeof(b));
        vg_hex_encode(b, sizeof(b), rnd);
    }
    snprintf(ref, sizeof(ref), "P%lld-%lld-%s", (long long)p->provider_id,
             (long long)now, rnd);
    snprintf(msgid, sizeof(msgid), "<notice-%s@%s>", ref,
             o->domain ? o->domain : "vigil.invalid");
    snprintf(count, sizeof(count), "%zu", to - from);
    values[0] = o->hotline ? o->hotline : "Vigil";
    values[1] = str(p->name);
    values[2] = count;
    values[3] = ref;
    values[4] = urls.data ? urls.data : "";
    values[5] = o->legal_basis;
    values[6] = o->contact;
    values[7] = reminder.data ? reminder.data : "";
    if (!rc)
        rc = vg__notice_fill(&subject, t->section[VG__NT_SUBJECT], names,
                             values, 8);
    if (!rc)
        rc = vg__notice_fill(&body, t->section[VG__NT_BODY], names, values, 8);
    if (!rc && (rc = vg_buf_puts(&body, "\n")) == VG_OK) {
        r.provider_id = p->provider_id;
        r.case_ids = ids;
        r.ncases = to - from;
        r.message_id = msgid;
        r.recipients = str(p->abuse_emails);
        r.language = lang;
        r.subject = subject.data;
        r.body = body.data;
        rc = vg_store_notice_create(st, &r, now,
                                    o->escalate_after ? o->escalate_after : 5,
                                    &id, &escalated, err);
        if (!rc) {
            stats->notices_created++;
            stats->escalated += escalated;
        }
    }
out:
    vg_free(ids);
    vg_buf_fini(&urls);
    vg_buf_fini(&subject);
    vg_buf_fini(&body);
    vg_buf_fini(&reminder);
    return rc;
}

static int make_notices(struct vg_store *st, const struct vg_notice_opts *o,
                        const struct vg__notice_text *texts, int64_t now,
                        struct vg_notice_stats *stats, struct vg_err *err)
{
    struct vg_notices_due *due = NULL;
    int rc = vg_store_notices_due(st, now,
                                  o->renotify_s ? o->renotify_s : 86400, &due,
                                  err);

    for (size_t i = 0; !rc && i < due->n; i++) {
        const struct vg_due_provider *p = &due->v[i];
        size_t n = p->ncases;
        if (!*str(p->abuse_emails))
            continue; /* nobody to write to: visible in the report */
        if (p->one_notice_per_url)
            for (size_t k = 0; !rc && k < n; k++)
                rc = compose(st, o, texts, p, k, k + 1, now, stats, err);
        else if (n)
            rc = compose(st, o, texts, p, 0, n, now, stats, err);
    }
    vg_notices_due_free(due);
    return rc;
}

static int send_pending(struct vg_store *st, const struct vg_notice_opts *o,
                        int64_t now, struct vg_notice_stats *stats,
                        struct vg_err *err)
{
    struct vg_smtp_backoff b;
    struct vg_notices_pending *pending = NULL;
    int rc = vg_store_notices_pending(st, now, &pending, err);

    vg_smtp_backoff_init(&b);
    if (o->max_attempts)
        b.max_attempts = (unsigned)o->max_attempts;
    for (size_t i = 0; !rc && i < pending->n; i++) {
        const struct vg_notice_pending *n = &pending->v[i];
        struct vg_notice_mail m = {str(n->message_id), str(n->recipients),
                                   str(n->language), str(n->subject),
                                   str(n->body)};
        int attempt = (int)n->attempts + 1;
        char why[WHY_MAX] = "";
        enum vg_notice_sent got;
        const char *state;
        int64_t delay;
        if (o->go_on && !o->go_on(o->go_on_ctx))
            break;
        got = o->send ? o->send(o->send_ctx, &m, why, sizeof(why))
                      : VG_NOTICE_RETRY;
        if (!o->send)
            snprintf(why, sizeof(why), "no mail transport configured");
        if (got == VG_NOTICE_HELD) {
            /* not the notice's fault: it keeps its attempts, and the
             * others would fail the same way */
            stats->notices_held++;
            rc = vg_store_notice_hold(st, n->id, why, err);
            break;
        }
        delay = vg_smtp_backoff_delay(&b, (unsigned)attempt);
        if (got == VG_NOTICE_SENT) {
            state = "sent";
            stats->notices_sent++;
        } else if (got == VG_NOTICE_REJECTED || delay < 0) {
            state = "failed";
            stats->notices_failed++;
        } else {
            state = "pending";
            stats->notices_retried++;
        }
        rc = vg_store_notice_attempt(st, n->id, state, now,
                                     now + (delay > 0 ? delay : 0),
                                     why[0] ? why : state, err);
    }
    vg_notices_pending_free(pending);
    return rc;
}

/* ---- 3. re-checks ---- */

#define RECHECK_PAGE 20000

/* Re-check every case a reminder is due for; *stopped when go_on stopped
 * the cycle before all were. */
static int recheck_reminders(struct vg_store *st,
                             const struct vg_notice_opts *o, int64_t now,
                             struct vg_notice_stats *stats, int *stopped,
                             struct vg_err *err)
{
    struct vg_rechecks_due *due = NULL;
    size_t done = 0;
    int rc = vg_store_rechecks_reminders(st, now,
                                         o->renotify_s ? o->renotify_s : 86400,
                                         &due, err);

    if (!rc)
        rc = vg__notice_recheck(st, o, due, 0, stats, &done, err);
    *stopped = !rc && done < due->n;
    vg_rechecks_due_free(due);
    return rc;
}

/* Every case due, a page at a time, until none is or the budget is
 * spent (what is left counted in stats). */
static int recheck(struct vg_store *st, const struct vg_notice_opts *o,
                   int64_t now, struct vg_notice_stats *stats,
                   struct vg_err *err)
{
    int64_t budget = o->recheck_budget_s > 0 ? o->recheck_budget_s : 240;
    int64_t deadline = vg__notice_ms() + budget * 1000;
    int rc = VG_OK;

    for (;;) {
        struct vg_rechecks_due *due = NULL;
        size_t done = 0;
        if ((rc = vg_store_rechecks_due(st, now, RECHECK_PAGE, &due, err)))
            break;
        if (due->n)
            rc = vg__notice_recheck(st, o, due, deadline, stats, &done, err);
        vg_rechecks_due_free(due);
        if (rc || !done || vg__notice_ms() >= deadline ||
            (o->go_on && !o->go_on(o->go_on_ctx)))
            break;
    }
    return rc ? rc
              : vg_store_rechecks_due_count(st, now, &stats->rechecks_left,
                                            err);
}

int vg_notice_run_once(struct vg_store *st, const struct vg_notice_opts *o,
                       struct vg_notice_stats *stats, struct vg_err *err)
{
    struct vg__notice_text texts[2] = {{0}};
    struct vg_notice_stats local;
    int64_t now = vg_clock_now(&o->clock);
    char path[4096];
    int rc, stopped = 0;

    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    if (!o->templates_dir)
        return vg_err_set(err, VG_EINVAL, "no notice templates directory");
    snprintf(path, sizeof(path), "%s/en.txt", o->templates_dir);
    if ((rc = vg__notice_text_load(path, &texts[0], err)))
        return rc;
    snprintf(path, sizeof(path), "%s/fr.txt", o->templates_dir);
    if ((rc = vg__notice_text_load(path, &texts[1], err)) == VG_ENOENT)
        rc = VG_OK; /* French notices then go in English */
    if (!rc && !(rc = open_cases(st, o, now, stats, err)) &&
        !(rc = recheck_reminders(st, o, now, stats, &stopped, err)) &&
        !stopped && !(rc = make_notices(st, o, texts, now, stats, err)) &&
        !(rc = send_pending(st, o, now, stats, err)) &&
        (!o->go_on || o->go_on(o->go_on_ctx)))
        rc = recheck(st, o, now, stats, err);
    vg__notice_text_free(&texts[0]);
    vg__notice_text_free(&texts[1]);
    return rc;
}
