/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Re-checks (vigil/notice.h, step 3, and the batch of every reminder): the
 * cases given are fetched again through the crawler's fetcher
 * (vigil/fetch.h: public addresses only, caps, timeouts), many in flight
 * but per host at most opts.recheck_per_host at once and
 * opts.recheck_delay_ms between starts, backing off on 429 and 503
 * (vigil/politeness.h).  How a case is asked:
 *
 *  - with the validators of the copy last seen up (ETag, Last-Modified),
 *    or at the first check those of the response that detected it (the
 *    sighting's headers): a conditional GET (If-None-Match,
 *    If-Modified-Since); 304 means the same bytes, still up, with nothing
 *    downloaded;
 *  - without: a HEAD first.  404 or 410 to it is a removal, with nothing
 *    downloaded; any other answer tells nothing about the bytes, so a GET
 *    follows.  A host that answers a HEAD with 405 or 501 gets GETs only
 *    for the rest of the pass.  (A ranged GET would tell no more than a
 *    HEAD: the digest needs every byte.)
 *
 * A GET's bytes are compared by SHA-256 first (equal: up), then by PDQ
 * (within VG_NOTICE_PDQ_DISTANCE: a re-encoded copy, up); anything else is
 * a removal (the file was replaced).  The validators of a copy seen up are
 * kept for the next check.  The politeness table is this node's; a cycle
 * holds the fleet's "notices" lease, so one node re-checks at a time.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notice/notice_int.h"
#include "vigil/alloc.h"
#include "vigil/digest.h"
#include "vigil/imagehash.h"
#include "vigil/pdq.h"
#include "vigil/politeness.h"
#include "vigil/url.h"

#define HOST_MAX 256
#define VALUE_MAX 512
#define IDLE_MS 1000
#define PEND_MAX 512 /* re-checks written in one transaction ... */
#define PEND_MS 1000 /* ... or after this long */

static const int64_t default_recheck[] = {3600, 6 * 3600, 24 * 3600, 0};

int64_t vg__notice_recheck_after(const struct vg_notice_opts *o, int64_t n)
{
    const int64_t *r = o->recheck_s[0] ? o->recheck_s : default_recheck;
    int64_t last = 0;

    while (last + 1 < VG_NOTICE_MAX_RECHECKS && r[last + 1] && last < n)
        last++;
    return r[last];
}

struct hostq;

struct job {
    const struct vg_recheck_due *c;
    struct hostq *q;
    int head;         /* a HEAD is asked first */
    struct job *next; /* in its host's queue */
};

struct hostq {
    char name[HOST_MAX];
    struct job *first, *last; /* waiting */
    int no_head;              /* answered a HEAD with 405 or 501 */
    int64_t ready_ms;         /* not asked again before */
};

/* The words of a re-check known, to be written with others. */
struct pend {
    char reason[160], etag[VALUE_MAX], modified[VALUE_MAX];
};

struct pass {
    struct vg_store *st;
    const struct vg_notice_opts *o;
    struct vg_notice_stats *stats;
    struct vg_polite *pol;
    struct vg_fetcher *f;
    struct job *jobs;
    struct hostq *hosts;
    size_t nhosts, in_flight, done;
    size_t queued; /* jobs waiting */
    size_t turn;   /* the host to look at first: each gets its turn */
    struct vg_recheck_rec *recs; /* known, to be written ... */
    struct pend *pend;           /* ... and their words */
    size_t npend;
    int64_t written_ms; /* when pend was last written */
    int rc;
    struct vg_err *err;
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vg__notice_ms(void)
{
    return mono_ms();
}

static const char *str(const char *s)
{
    return s ? s : "";
}

/* Header name's value from the fetcher's "name: value\n" lines into buf,
 * or NULL. */
static const char *header(const char *h, const char *name, char *buf, size_t n)
{
    size_t k = strlen(name);

    for (const char *p = h; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (!strncmp(p, name, k) && p[k] == ':' && p[k + 1] == ' ') {
            const char *v = p + k + 2, *e = strchr(v, '\n');
            size_t len = e ? (size_t)(e - v) : strlen(v);
            if (len >= n)
                return NULL;
            memcpy(buf, v, len);
            buf[len] = 0;
            return buf;
        }
    return NULL;
}

/* Do these bytes still show the case's media? */
static int still_matches(const struct vg_recheck_due *c,
                         const struct vg_fetch_result *r)
{
    const char *pdq = c->pdq;
    struct vg_pdq_hash want, got;
    struct vg_imagehash h;
    uint8_t digest[32];
    char hex[65];

    crypto_hash_sha256(digest, (const unsigned char *)r->body, r->len);
    vg_hex_encode(digest, 32, hex);
    if (!strcmp(hex, str(c->sha256)))
        return 1;
    if (strlen(pdq) != 64 || vg_pdq_from_hex(pdq, 64, &want) ||
        vg_imagehash_mem((const uint8_t *)r->body, r->len, NULL, &h, NULL))
        return 0;
    vg_pdq_to_hex(&h.pdq.hash, hex);
    if (vg_pdq_from_hex(hex, 64, &got))
        return 0;
    return vg_pdq_distance(&want, &got) <= VG_NOTICE_PDQ_DISTANCE;
}

/* What r says of case c, into *seen (reason and validators into x's
 * buffers). */
static void judge(const struct vg_recheck_due *c,
                  const struct vg_fetch_result *r,
                  struct vg_recheck_seen *seen, struct pend *x)
{
    char *reason = x->reason;
    size_t n = sizeof(x->reason);

    seen->http_status = r->status;
    seen->result = "up";
    seen->reason = reason;
    if (r->error == VG_FETCH_DNS) {
        seen->result = "removed";
        snprintf(reason, n, "the host no longer resolves");
    } else if (r->error != VG_FETCH_OK) {
        snprintf(reason, n, "still up? %s: %s", vg_fetch_error_name(r->error),
                 str(r->error_text));
    } else if (r->status == 404 || r->status == 410) {
        seen->result = "removed";
        snprintf(reason, n, "HTTP %ld", r->status);
    } else if (r->status == 304) {
        snprintf(reason, n, "HTTP 304: not modified");
    } else if (r->status >= 200 && r->status < 300 && !still_matches(c, r)) {
        seen->result = "removed";
        snprintf(reason, n, "HTTP %ld, the content no longer matches",
                 r->status);
    } else if (r->status >= 200 && r->status < 300) {
        snprintf(reason, n, "HTTP %ld", r->status);
        seen->validators = 1;
        seen->etag = header(r->headers, "etag", x->etag, VALUE_MAX);
        seen->last_modified = header(r->headers, "last-modified", x->modified,
                                     VALUE_MAX);
    } else {
        snprintf(reason, n, "HTTP %ld", r->status);
    }
}

/* The validators of the response that detected c, into the buffers;
 * 1 if any. */
static int detected(const struct vg_recheck_due *c, char *etag, char *modified)
{
    json_t *h = c->detected_headers ? json_loads(c->detected_headers, 0, NULL)
                                    : NULL;
    const char *e = json_string_value(json_object_get(h, "etag"));
    const char *m = json_string_value(json_object_get(h, "last-modified"));

    etag[0] = modified[0] = 0;
    if (e && strlen(e) < VALUE_MAX)
        strcpy(etag, e);
    if (m && strlen(m) < VALUE_MAX)
        strcpy(modified, m);
    json_decref(h);
    return etag[0] || modified[0];
}

/* Write the re-checks known so far, in one transaction. */
static int write_pending(struct pass *p)
{
    int rc = vg_store_recheck_many(p->st, p->recs, p->npend, p->err);

    p->npend = 0;
    p->written_ms = mono_ms();
    return rc;
}

/* What r says of j's case, kept to be written. */
static int record(struct pass *p, const struct job *j,
                  const struct vg_fetch_result *r)
{
    struct vg_recheck_rec *x = &p->recs[p->npend];
    struct pend *w = &p->pend[p->npend];
    int64_t now = vg_clock_now(&p->o->clock), lag;
    struct vg_notice_stats *s = p->stats;

    memset(x, 0, sizeof(*x));
    judge(j->c, r, &x->seen, w);
    if (r->error == VG_FETCH_OK && r->status == 304 && !j->c->etag &&
        !j->c->last_modified && detected(j->c, w->etag, w->modified)) {
        /* the detection's validators still hold: keep them */
        x->seen.validators = 1;
        x->seen.etag = w->etag[0] ? w->etag : NULL;
        x->seen.last_modified = w->modified[0] ? w->modified : NULL;
    }
    x->case_id = j->c->case_id;
    x->checked_at = now;
    x->next_check_at = now + vg__notice_recheck_after(p->o, j->c->checks + 1);
    p->npend++;
    if (!strcmp(x->seen.result, "removed"))
        s->removed++;
    else
        s->still_up++;
    s->not_modified += r->error == VG_FETCH_OK && r->status == 304;
    s->rechecks++;
    lag = now - j->c->next_check_at;
    if (j->c->next_check_at && lag > s->recheck_lag_max_s)
        s->recheck_lag_max_s = lag;
    p->done++;
    return p->npend == PEND_MAX ? write_pending(p) : VG_OK;
}

static void push_front(struct hostq *q, struct job *j)
{
    j->next = q->first;
    q->first = j;
    if (!q->last)
        q->last = j;
}

static int finished(void *arg, const struct vg_fetch_result *r)
{
    struct pass *p = arg;
    struct job *j = r->ctx;
    int answered = r->error == VG_FETCH_OK;
    int rc = vg_polite_end(p->pol, j->q->name, mono_ms(),
                           answered ? r->status : 0, r->retry_after);

    p->in_flight--;
    if (rc)
        return rc;
    if (j->head && answered && r->status != 404 && r->status != 410) {
        /* a HEAD tells only of removals: the bytes come with a GET */
        if (r->status == 405 || r->status == 501)
            j->q->no_head = 1;
        j->head = 0;
        push_front(j->q, j);
        p->queued++;
    } else if (!p->rc) {
        p->rc = record(p, j, r);
    }
    j->q->ready_ms = 0; /* a slot is free: ask its politeness again */
    return VG_OK;
}
/* Submit j's request (its host's politeness allowed it). */
static int ask(struct pass *p, struct job *j, int64_t t)
{
    struct vg_fetch_req req = {0};
    char etag[VALUE_MAX], modified[VALUE_MAX];
    int rc;

    if (j->c->etag || j->c->last_modified) {
        req.if_none_match = j->c->etag;
        req.if_modified_since = j->c->last_modified;
    } else if (!j->c->checks && detected(j->c, etag, modified)) {
        req.if_none_match = etag; /* the bytes detected, unchanged? */
        req.if_modified_since = modified;
    } else {
        req.head = j->head && !j->q->no_head;
    }
    j->head = req.head;
    if ((rc = vg_polite_start(p->pol, j->q->name, t)))
        return rc;
    rc = vg_fetcher_submit_req(p->f, str(j->c->url), VG_FETCH_MEDIA, &req, j);
    if (rc == VG_EINVAL) /* validators we cannot send: ask plainly */
        rc = vg_fetcher_submit(p->f, str(j->c->url), VG_FETCH_MEDIA, j);
    if (!rc) {
        p->in_flight++;
        p->queued--;
    }
    return rc;
}

/* Start what the hosts' politeness allows, each host in its turn; how
 * long until more may. */
static int64_t start_some(struct pass *p, size_t cap, int *rc)
{
    int64_t t = mono_ms(), next = IDLE_MS;

    for (size_t k = 0; !*rc && k < p->nhosts && p->in_flight < cap; k++) {
        struct hostq *q = &p->hosts[(p->turn + k) % p->nhosts];
        int64_t wait;
        while (q->first && q->ready_ms <= t && p->in_flight < cap) {
            struct job *j = q->first;
            if ((wait = vg_polite_wait(p->pol, q->name, t)) < 0) {
                *rc = (int)wait;
                break;
            }
            if (wait) {
                q->ready_ms = t + wait;
                break;
            }
            q->first = j->next;
            if (!q->first)
                q->last = NULL;
            if ((*rc = ask(p, j, t)))
                break;
        }
        if (q->first && q->ready_ms - t < next)
            next = q->ready_ms > t ? q->ready_ms - t : 1;
        if (p->in_flight >= cap) /* the next pass goes on from here */
            p->turn = (p->turn + k + 1) % p->nhosts;
    }
    return next;
}

static int by_host(const void *a, const void *b)
{
    const struct job *x = a, *y = b;

    return strcmp(x->q->name, y->q->name);
}

/* The jobs of due, queued by host (p->jobs, p->hosts). */
static int queue(struct pass *p, const struct vg_rechecks_due *due)
{
    struct hostq *names;
    size_t h = 0;

    if (!(p->jobs = vg_calloc(due->n, sizeof(*p->jobs))) ||
        !(names = vg_calloc(due->n, sizeof(*names))))
        return VG_ENOMEM;
    for (size_t i = 0; i < due->n; i++) {
        if (vg_url_host(str(due->v[i].url), names[i].name, HOST_MAX))
            names[i].name[0] = 0; /* the fetcher will say what is wrong */
        p->jobs[i].c = &due->v[i];
        p->jobs[i].q = &names[i];
        p->jobs[i].head = 1;
    }
    qsort(p->jobs, due->n, sizeof(*p->jobs), by_host);
    if (!(p->hosts = vg_calloc(due->n, sizeof(*p->hosts)))) {
        vg_free(names);
        return VG_ENOMEM;
    }
    for (size_t i = 0; i < due->n; i++) {
        struct job *j = &p->jobs[i];
        if (!h || strcmp(p->hosts[h - 1].name, j->q->name))
            memcpy(p->hosts[h++].name, j->q->name, HOST_MAX);
        j->q = &p->hosts[h - 1];
        if (j->q->last)
            j->q->last->next = j;
        else
            j->q->first = j;
        j->q->last = j;
    }
    p->nhosts = h;
    vg_free(names);
    return VG_OK;
}

int vg__notice_recheck(struct vg_store *st, const struct vg_notice_opts *o,
                       const struct vg_rechecks_due *due, int64_t deadline_ms,
                       struct vg_notice_stats *stats, size_t *done,
                       struct vg_err *err)
{
    struct vg_polite_opts po = {o->recheck_per_host ? o->recheck_per_host : 4,
                                o->recheck_delay_ms ? o->recheck_delay_ms
                                                    : 100};
    struct pass p = {.st = st,
                     .o = o,
                     .stats = stats,
                     .queued = due->n,
                     .written_ms = mono_ms(),
                     .err = err};
    size_t cap = o->fetch.max_in_flight ? o->fetch.max_in_flight : 32;
    int rc, stop = 0;

    *done = 0;
    if (!due->n)
        return VG_OK;
    if ((rc = vg_polite_new(&po, &p.pol)) || (rc = queue(&p, due)))
        goto out;
    if (!(p.recs = vg_calloc(PEND_MAX, sizeof(*p.recs))) ||
        !(p.pend = vg_calloc(PEND_MAX, sizeof(*p.pend)))) {
        rc = VG_ENOMEM;
        goto out;
    }
    if ((rc = vg_fetcher_new(&o->fetch, &p.f))) {
        rc = vg_err_set(err, rc, "re-checks: cannot make a fetcher%s",
                        o->fetch.user_agent ? "" : " (no user agent)");
        goto out;
    }
    while (!rc && !p.rc) {
        int64_t next = IDLE_MS;
        stop = stop || (deadline_ms && mono_ms() >= deadline_ms) ||
               (o->go_on && !o->go_on(o->go_on_ctx));
        if (!stop)
            next = start_some(&p, cap, &rc);
        if (rc || (!p.in_flight && (stop || !p.queued)))
            break; /* stopped, or nothing left to ask */
        if (!(rc = vg_fetcher_run(p.f, next ? next : 1, finished, &p)) &&
            !p.rc && p.npend && mono_ms() - p.written_ms >= PEND_MS)
            p.rc = write_pending(&p);
    }
    if (!p.rc && p.npend)
        p.rc = write_pending(&p);
out:
    *done = p.done;
    vg_fetcher_free(p.f);
    vg_polite_free(p.pol);
    vg_free(p.recs);
    vg_free(p.pend);
    vg_free(p.hosts);
    vg_free(p.jobs);
    return rc ? rc : p.rc;
}
