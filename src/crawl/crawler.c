/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The crawler's scheduler (vigil/crawler.h).  One loop on one thread:
 *
 *   lease URLs from the store -> wait for their origin's robots.txt and
 *   their host's politeness -> fetch (vg_fetcher) -> pages: extract links
 *   (vg_html_scanner), resolve, bound, dedupe, queue them; images: hand
 *   the bytes to the hashing pool -> hashed images come back as sightings
 *   and detections -> everything a fetch produced is committed with the
 *   finishing of its URL, in batches (vg_store_crawl_commit).
 *
 * Jobs a lease brings wait in memory (a short list); the store holds the
 * rest.  The loop sleeps in the fetcher's poll, which the hashing pool
 * wakes when a result is ready.
 */
#include <libpsl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "crawl_int.h"
#include "vigil/algo.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/fetch.h"
#include "vigil/htmlscan.h"
#include "vigil/politeness.h"
#include "vigil/robots.h"
#include "vigil/store_crawl.h"
#include "vigil/store_review.h"
#include "vigil/url.h"

#define ROBOTS_TOKEN "vigil"
#define ROBOTS_TTL_MS (24LL * 3600 * 1000)
#define MAX_TRIES 3           /* fetches of a URL answered 429/503 */
#define COMMIT_MS 200         /* a batch waits at most this long */
#define COMMIT_ITEMS 2000     /* or this many finished URLs */
#define ORIGINS_MAX 65536     /* robots.txt answers kept */
#define SEEN_BITS 20          /* 8 MiB of URL fingerprints */
#define COUNTS_MAX (1u << 21) /* host and pattern counters: 24 MiB at most */
#define LEASE_S 30            /* a worker's leases, by default */
#define ROBOTS_WAIT_MS 200    /* a worker waiting on another's robots.txt */
#define DENIED_MAX 16         /* hosts a worker was told to wait for, kept */
/* added to a worker's delay between starts to a host: the commit of the
 * start (an fsync) and the scheduling of the processes come between the
 * decision and the request reaching the server, unevenly */
#define FLEET_MARGIN_MS 25

void vg_crawl_opts_default(struct vg_crawl_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->user_agent = "Vigil/" VIGIL_VERSION " (child-protection hotline"
                    " crawler; operator not configured)";
    o->max_depth = 5;
    o->max_host_pages = 20000;
    o->max_pattern = 2000;
    o->per_host = 2;
    o->delay_ms = 1000;
    o->max_in_flight = 32;
    o->max_inflight_bytes = (size_t)256 << 20;
}

/* ---- jobs and origins ---- */

enum job_kind { JOB_PAGE, JOB_MEDIA, JOB_ROBOTS };

enum origin_state { ORIGIN_NEW, ORIGIN_FETCHING, ORIGIN_READY };

struct origin {
    char *key; /* scheme://host[:port] */
    enum origin_state state;
    char *unreachable; /* why robots.txt could not be fetched, or NULL */
    struct vg_robots *robots;
    int64_t fetched_ms;
    int64_t ask_ms; /* a worker: when to ask the store again (fetching) */
    size_t refs;    /* jobs pointing here */
    struct origin *next;
};

struct job {
    enum job_kind kind;
    struct vg_frontier_lease l; /* strings owned (url, host) */
    struct origin *origin;
    int tries;
    int64_t slot; /* a worker's transfer in the store's host rows, 0: none */
    /* evidence of an image fetch, kept while it is hashed */
    int64_t fetched_at;
    long status;
    char *server_ip, *headers_json;
    int64_t bytes;
    struct job *next;                /* in the waiting list */
    struct job *prev_all, *next_all; /* every live job, to free at the end */
};

struct batch {
    struct vg_frontier_done *done;
    int64_t *epochs; /* a worker's: of each done URL's lease */
    size_t ndone, cdone, cepochs;
    struct vg_frontier_url *add;
    size_t nadd, cadd;
    struct vg_sighting_rec *sig;
    size_t nsig, csig;
    void **owned; /* freed after the commit */
    size_t nowned, cowned;
    int64_t since_ms;
};

struct crawler {
    const volatile sig_atomic_t *stop; /* asked to stop (may be NULL) */
    struct vg_store *st;
    int64_t crawl;
    struct vg_crawl_opts o;
    struct vg_crawl_stats *stats;
    struct vg_err *err;
    struct vg_fetcher *f;
    struct vg_polite *pol;
    struct vg__hash_pool *pool;
    const psl_ctx_t *psl;
    struct vg__seen seen;
    struct vg__counts counts;
    struct job *all;
    struct job *wait_head, *wait_tail;
    size_t nwait, fetching, hashing;
    struct origin **otab;
    size_t obuckets, ocount;
    struct batch b;
    int store_may_have; /* queued URLs the loop has not leased */
    int media_new;      /* images found since the last media lease */
    int64_t pages_started;
    struct vg_buf links; /* scratch: kind byte, URL, NUL; ... */
    /* a crawl worker's (vigil/crawler.h opts.worker) */
    const char *owner;
    int64_t renew_ms, slots; /* next lease renewal, transfers numbered */
    int64_t denied_pass;     /* the start_jobs pass the list is of */
    size_t ndenied;
    struct denied_host {
        uint64_t key;
        int64_t wait;
    } denied[DENIED_MAX]; /* hosts the store said to wait for */
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct job *job_new(struct crawler *c)
{
    struct job *j = vg_calloc(1, sizeof(*j));

    if (j) {
        j->next_all = c->all;
        if (c->all)
            c->all->prev_all = j;
        c->all = j;
    }
    return j;
}

static void job_free(struct crawler *c, struct job *j)
{
    if (!j)
        return;
    if (j->prev_all)
        j->prev_all->next_all = j->next_all;
    else
        c->all = j->next_all;
    if (j->next_all)
        j->next_all->prev_all = j->prev_all;
    if (j->origin)
        j->origin->refs--;
    vg_free((char *)j->l.url);
    vg_free((char *)j->l.host);
    vg_free(j->server_ip);
    vg_free(j->headers_json);
    vg_free(j);
}

/* The origin part of a canonical URL: its length ("https://h:p"). */
static size_t origin_len(const char *url)
{
    const char *p = strstr(url, "://"), *slash;

    if (!p)
        return strlen(url);
    slash = strchr(p + 3, '/');
    return slash ? (size_t)(slash - url) : strlen(url);
}

static struct origin *origin_get(struct crawler *c, const char *url)
{
    size_t n = origin_len(url);
    uint64_t h = vg__fnv64(VG__FNV_SEED, url, n);
    struct origin **pp = &c->otab[h % c->obuckets], *o;

    for (o = *pp; o; o = o->next)
        if (!strncmp(o->key, url, n) && !o->key[n])
            return o;
    if (c->ocount >= ORIGINS_MAX) {
        /* forget robots.txt answers no job waits on (fetched again later) */
        for (size_t i = 0; i < c->obuckets; i++)
            for (struct origin **q = &c->otab[i]; *q;) {
                struct origin *x = *q;
                if (x->refs || x->state == ORIGIN_FETCHING) {
                    q = &x->next;
                    continue;
                }
                *q = x->next;
                vg_free(x->unreachable);
                vg_robots_free(x->robots);
                vg_free(x->key);
                vg_free(x);
                c->ocount--;
            }
    }
    if (!(o = vg_calloc(1, sizeof(*o))) || !(o->key = vg_malloc(n + 1))) {
        vg_free(o);
        return NULL;
    }
    memcpy(o->key, url, n);
    o->key[n] = 0;
    o->next = *pp;
    *pp = o;
    c->ocount++;
    return o;
}

static void origins_free(struct crawler *c)
{
    for (size_t i = 0; c->otab && i < c->obuckets; i++)
        for (struct origin *o = c->otab[i], *n; o; o = n) {
            n = o->next;
            vg_free(o->unreachable);
            vg_robots_free(o->robots);
            vg_free(o->key);
            vg_free(o);
        }
    vg_free(c->otab);
}

/* ---- the batch of results waiting for a commit ---- */

#define GROW(arr, n, cap)                                                     \
    ((n) < (cap) ? VG_OK : vg__grow((void **)&(arr), &(cap), sizeof(*(arr))))

static int vg__grow(void **arr, size_t *cap, size_t size)
{
    size_t n = *cap ? *cap * 2 : 64;
    void *p = vg_reallocarray(*arr, n, size);

    if (!p)
        return VG_ENOMEM;
    *arr = p;
    *cap = n;
    return VG_OK;
}

/* Keep p until the commit (freed then); NULL p is fine. */
static int own(struct crawler *c, void *p)
{
    if (!p)
        return VG_OK;
    if (GROW(c->b.owned, c->b.nowned, c->b.cowned)) {
        vg_free(p);
        return VG_ENOMEM;
    }
    c->b.owned[c->b.nowned++] = p;
    return VG_OK;
}

static char *own_str(struct crawler *c, const char *s)
{
    char *d = s ? vg_strdup(s) : NULL;

    return d && own(c, d) == VG_OK ? d : NULL;
}

static void batch_started(struct crawler *c)
{
    if (!c->b.ndone && !c->b.nadd && !c->b.nsig)
        c->b.since_ms = now_ms();
}

static int finish(struct crawler *c, const struct job *j, int ok, long status,
                  const char *error)
{
    struct vg_frontier_done *d;

    if (GROW(c->b.done, c->b.ndone, c->b.cdone))
        return VG_ENOMEM;
    batch_started(c);
    d = &c->b.done[c->b.ndone];
    if (c->owner && GROW(c->b.epochs, c->b.ndone, c->b.cepochs))
        return VG_ENOMEM;
    *d = (struct vg_frontier_done){j->l.url_id, ok, status, NULL};
    if (c->owner)
        c->b.epochs[c->b.ndone] = j->l.epoch;
    if (error && !(d->error = own_str(c, error)))
        return VG_ENOMEM;
    c->b.ndone++;
    return VG_OK;
}

/*
 * After a store call failed: 1 to try it again, once the wait is over,
 * when the database was unreachable or busy (VG_EIO: a server restarting,
 * the network cut; VG_EBUSY), waiting 0.5 s, 1 s, 2 s... at most 10 s
 * between tries and STORE_RETRY_MS in all, unless asked to stop; else 0.
 * Transfers in flight wait meanwhile (their timeouts still hold).
 */
#define STORE_RETRY_MS (5 * 60 * 1000)
static int store_retry(struct crawler *c, int rc, int64_t *waited)
{
    int64_t ms;

    if ((rc != VG_EIO && rc != VG_EBUSY) || *waited >= STORE_RETRY_MS)
        return 0;
    ms = *waited < 500 ? 500 : *waited > 10000 ? 10000 : *waited;
    for (int64_t t = 0; t < ms; t += 100) {
        if (c->stop && *c->stop)
            return 0;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    *waited += ms;
    return 1;
}

static int commit(struct crawler *c)
{
    struct vg_crawl_batch cb = {c->b.done, c->b.ndone, c->b.add,
                                c->b.nadd, c->b.sig,   c->b.nsig};
    struct vg_crawl_holder h = {c->owner, c->b.epochs, 0};
    size_t added = 0;
    int rc = VG_OK;

    for (int64_t waited = 0; c->b.ndone || c->b.nadd || c->b.nsig;) {
        h.lost = 0; /* the transaction of a try that failed wrote nothing */
        rc = vg_store_crawl_commit_as(c->st, c->crawl, &cb,
                                      c->owner ? &h : NULL, &added, c->err);
        if (!rc || !store_retry(c, rc, &waited))
            break;
    }
    c->stats->lost += (int64_t)h.lost;
    if (!rc && added) {
        c->stats->urls_added += (int64_t)added;
        c->store_may_have = 1;
    }
    for (size_t i = 0; i < c->b.nowned; i++)
        vg_free(c->b.owned[i]);
    c->b.ndone = c->b.nadd = c->b.nsig = c->b.nowned = 0;
    return rc;
}

static void batch_free(struct crawler *c)
{
    for (size_t i = 0; i < c->b.nowned; i++)
        vg_free(c->b.owned[i]);
    vg_free(c->b.owned);
    vg_free(c->b.done);
    vg_free(c->b.epochs);
    vg_free(c->b.add);
    vg_free(c->b.sig);
}

/* ---- what links a page leads to ---- */

/* The registrable domain of host (the host itself for IPs and suffixes). */
static const char *site_of(const struct crawler *c, const char *host)
{
    const char *d = c->psl ? psl_registrable_domain(c->psl, host) : NULL;

    return d ? d : host;
}

/* The next position among the host's URLs (0 once the counters are full). */
static int64_t host_seq(struct crawler *c, const char *host)
{
    return vg__counts_add(&c->counts,
                          vg__fnv64(VG__FNV_SEED ^ 1, host, strlen(host) + 1));
}

/*
 * A link found on page j (url canonical, caller's; page_site: the page
 * host's site): queue it if the bounds,
 * the traps and the seen-set let it through.
 */
static int consider(struct crawler *c, const struct job *j,
                    const char *page_site, const char *url,
                    enum vg_frontier_kind kind)
{
    char host[256], pattern[512];
    struct vg_frontier_url *u;
    int offsite = j->l.offsite;
    int64_t cap;
    uint64_t key;

    if (vg_url_host(url, host, sizeof(host)))
        return VG_OK;
    if (kind == VG_FRONTIER_PAGE) {
        if (j->l.depth + 1 > c->o.max_depth)
            return VG_OK;
        if (strcmp(site_of(c, host), page_site) &&
            ++offsite > c->o.follow_offsite)
            return VG_OK;
    }
    if (vg__seen_test_set(&c->seen, url))
        return VG_OK;
    key = vg__fnv64(VG__FNV_SEED, host, strlen(host) + 1);
    if (kind == VG_FRONTIER_PAGE && (cap = c->o.max_host_pages) > 0 &&
        vg__counts_add(&c->counts, key) > (uint64_t)cap) {
        c->stats->trapped++;
        return VG_OK;
    }
    vg_crawl_url_pattern(url, pattern, sizeof(pattern));
    if ((cap = c->o.max_pattern) > 0 &&
        vg__counts_add(&c->counts, vg__fnv64(key, pattern, strlen(pattern))) >
            (uint64_t)cap) {
        c->stats->trapped++;
        return VG_OK;
    }
    if (GROW(c->b.add, c->b.nadd, c->b.cadd))
        return VG_ENOMEM;
    batch_started(c);
    u = &c->b.add[c->b.nadd];
    /* a page's images at its own depth: leased before deeper pages */
    *u = (struct vg_frontier_url){
        own_str(c, url), own_str(c, host),
        j->l.priority,   j->l.depth + (kind == VG_FRONTIER_PAGE),
        j->l.url_id,     kind,
        offsite,         host_seq(c, host)};
    if (!u->url || !u->host)
        return VG_ENOMEM;
    c->b.nadd++;
    c->media_new |= kind == VG_FRONTIER_MEDIA;
    return VG_OK;
}

/* Links are kept as: kind (1 byte), length (size_t), bytes, NUL. */
static int collect_link(void *ctx, const struct vg_html_link *l)
{
    struct crawler *c = ctx;
    char kind = (char)l->kind;

    if (vg_buf_append(&c->links, &kind, 1) ||
        vg_buf_append(&c->links, &l->len, sizeof(l->len)) ||
        vg_buf_append(&c->links, l->url, l->len + 1))
        return VG_ENOMEM;
    return VG_OK;
}

/* The link at offset *i of c->links; moves *i past it. */
static const char *next_link(const struct crawler *c, size_t *i, int *kind,
                             size_t *len)
{
    const char *p = c->links.data + *i;

    *kind = p[0];
    memcpy(len, p + 1, sizeof(*len));
    *i += 1 + sizeof(*len) + *len + 1;
    return p + 1 + sizeof(*len);
}

/*
 * Is a page's body HTML?  The bytes first (WHATWG sniffing: a body that
 * opens with an HTML tag is HTML whatever its Content-Type claims), then
 * the Content-Type, then, without one, any markup at the start.
 */
static int looks_html(const struct vg_fetch_result *r)
{
    static const char *const openers[] = {
        "<!doctype html", "<html",   "<head",  "<body",
        "<script",        "<iframe", "<a ",    "<img",
        "<div",           "<p>",     "<title", "<!--"};
    const char *p = r->body, *end = r->body + r->len;

    if (end - p >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    for (size_t i = 0; i < sizeof(openers) / sizeof(*openers); i++) {
        size_t n = strlen(openers[i]);
        if ((size_t)(end - p) >= n && !strncasecmp(p, openers[i], n))
            return 1;
    }
    if (r->content_type)
        return strstr(r->content_type, "html") ||
               strstr(r->content_type, "xml");
    return p < end && *p == '<';
}

static int scan_page(struct crawler *c, const struct job *j,
                     const struct vg_fetch_result *r)
{
    struct vg_html_scanner *s = NULL;
    struct vg_err uerr = {0};
    const char *doc = r->final_url ? r->final_url : j->l.url;
    const char *page_site = site_of(c, j->l.host); /* once, not per link */
    char *canon_doc = NULL, *base = NULL;
    int rc;

    vg_buf_reset(&c->links);
    if ((rc = vg_html_scanner_new(NULL, collect_link, c, &s)) ||
        (rc = vg_html_scan(s, r->body, r->len)) || (rc = vg_html_finish(s))) {
        vg_html_scanner_free(s);
        return rc;
    }
    vg_html_scanner_free(s);
    /* the document's URL (after redirects), then its <base href> */
    if (vg_url_canonical(doc, &canon_doc, &uerr) &&
        !(canon_doc = vg_strdup(j->l.url)))
        return VG_ENOMEM;
    for (size_t i = 0; i < c->links.len;) {
        int kind;
        size_t len;
        const char *u = next_link(c, &i, &kind, &len);
        if (kind == VG_HTML_BASE && !base)
            vg_url_resolve(canon_doc, u, len, &base, &uerr);
    }
    for (size_t i = 0; i < c->links.len && !rc;) {
        int kind;
        size_t len;
        const char *u = next_link(c, &i, &kind, &len);
        char *abs = NULL;
        if (kind == VG_HTML_BASE ||
            vg_url_resolve(base ? base : canon_doc, u, len, &abs, &uerr))
            continue;
        rc = consider(c, j, page_site, abs,
                      kind == VG_HTML_MEDIA ? VG_FRONTIER_MEDIA
                                            : VG_FRONTIER_PAGE);
        vg_free(abs);
    }
    vg_free(base);
    vg_free(canon_doc);
    return rc;
}

/* ---- fetching ---- */

static void enqueue(struct crawler *c, struct job *j, int front)
{
    j->next = NULL;
    if (front) {
        j->next = c->wait_head;
        c->wait_head = j;
        if (!c->wait_tail)
            c->wait_tail = j;
    } else {
        if (c->wait_tail)
            c->wait_tail->next = j;
        else
            c->wait_head = j;
        c->wait_tail = j;
    }
    c->nwait++;
}

/*
 * A leased image goes before the waiting pages the store would have leased
 * after it (vigil/store_crawl.h: same priority and not shallower), so a
 * page's images do not wait behind the pages leased ahead of them.
 */
static void enqueue_media(struct crawler *c, struct job *j)
{
    struct job **pp = &c->wait_head, *prev = NULL;

    while (*pp &&
           ((*pp)->kind != JOB_PAGE || (*pp)->l.priority < j->l.priority ||
            ((*pp)->l.priority == j->l.priority &&
             (*pp)->l.depth < j->l.depth))) {
        prev = *pp;
        pp = &prev->next;
    }
    j->next = *pp;
    *pp = j;
    if (!j->next)
        c->wait_tail = j;
    c->nwait++;
}

static int on_lease(void *ctx, const struct vg_frontier_lease *l)
{
    struct crawler *c = ctx;
    struct job *j = job_new(c);

    if (!j)
        return VG_ENOMEM;
    j->l = *l;
    j->kind = l->kind == VG_FRONTIER_MEDIA ? JOB_MEDIA : JOB_PAGE;
    j->l.url = vg_strdup(l->url);
    j->l.host = vg_strdup(l->host);
    if (!j->l.url || !j->l.host || !(j->origin = origin_get(c, l->url))) {
        job_free(c, j);
        return VG_ENOMEM;
    }
    j->origin->refs++;
    if (j->kind == JOB_MEDIA)
        enqueue_media(c, j);
    else
        enqueue(c, j, 0);
    return VG_OK;
}

/* Lease up to want URLs (a worker's for lease_s seconds), trying again
 * while the database is unreachable (store_retry). */
static int lease(struct crawler *c, size_t want, int only_media, size_t *got)
{
    int64_t waited = 0;
    int rc;

    do {
        int64_t now = (int64_t)time(NULL);
        rc = !c->owner
                 ? vg_store_frontier_lease(c->st, c->crawl, want, only_media,
                                           now, on_lease, c, got, c->err)
                 : vg_store_frontier_lease_as(c->st, c->crawl, c->owner,
                                              now + c->o.lease_s, want,
                                              only_media, now, on_lease, c,
                                              got, c->err);
    } while (rc && store_retry(c, rc, &waited));
    return rc;
}

/* A worker's leases and transfers renewed every third of their time. */
static int renew(struct crawler *c)
{
    int64_t now = now_ms();

    if (!c->owner || now < c->renew_ms)
        return VG_OK;
    c->renew_ms = now + (int64_t)c->o.lease_s * 1000 / 3;
    return vg_store_frontier_renew(c->st, c->crawl, c->owner,
                                   (int64_t)time(NULL) + c->o.lease_s, NULL,
                                   c->err);
}

/*
 * Lease more when fewer than low jobs wait; and the images of the pages
 * just fetched as soon as they are committed, not after the waiting pages.
 */
static int lease_more(struct crawler *c, size_t low)
{
    size_t got = 0;
    int rc;

    if ((rc = renew(c)))
        return rc;
    if (c->nwait < low && c->store_may_have) {
        /* past the page limit, only images are still fetched */
        int only_media = c->o.max_pages > 0 &&
                         c->pages_started >= c->o.max_pages;
        size_t want = 2 * low - c->nwait;
        if ((rc = lease(c, want, only_media, &got)))
            return rc;
        if (got < want)
            c->store_may_have = 0;
    } else if (c->media_new && !c->b.nadd && c->nwait < 4 * low) {
        if ((rc = lease(c, low, 1, &got)))
            return rc;
        c->media_new = got == low;
    }
    return VG_OK;
}

/* o's robots.txt is this answer (status 0: unreachable, and why); host
 * (NULL in a worker) takes its Crawl-delay. */
static int robots_set(struct crawler *c, struct origin *o, const char *host,
                      long status, const char *body, size_t len,
                      const char *unreachable)
{
    double delay;
    int rc;

    vg_robots_free(o->robots);
    o->robots = NULL;
    vg_free(o->unreachable);
    o->unreachable = NULL;
    if (unreachable && !(o->unreachable = vg_strdup(unreachable)))
        return VG_ENOMEM;
    if ((rc = vg_robots_from_fetch((int)status, body, len, ROBOTS_TOKEN,
                                   &o->robots)))
        return rc;
    o->state = ORIGIN_READY;
    o->fetched_ms = now_ms();
    /* a worker's delays are the store's (fleet_start) */
    if (host && (delay = vg_robots_crawl_delay(o->robots)) >= 0)
        return vg_polite_crawl_delay(c->pol, host, delay);
    return VG_OK;
}

struct shared_robots {
    struct crawler *c;
    struct origin *o;
};

static int robots_stored(void *ctx, const struct vg_robots_rec *r)
{
    struct shared_robots *sr = ctx;
    int rc = robots_set(sr->c, sr->o, NULL, r->status, (const char *)r->body,
                        r->len, r->error);

    sr->o->fetched_ms -= ((int64_t)time(NULL) - r->fetched_at) * 1000;
    return rc;
}

/*
 * A worker asks the store for o's robots.txt: 1 when it had the answer
 * (o ready) or another worker is fetching it (asked again later), 0 when
 * this worker is to fetch it, or an error.
 */
static int robots_shared(struct crawler *c, struct origin *o)
{
    int64_t now = (int64_t)time(NULL);
    struct shared_robots sr = {c, o};
    enum vg_robots_claim got = VG_ROBOTS_WAIT;
    int rc = vg_store_robots_claim(c->st, c->crawl, o->key, c->owner, now,
                                   now - c->o.robots_ttl_ms / 1000,
                                   now + c->o.lease_s, robots_stored, &sr,
                                   &got, c->err);

    if (rc || got == VG_ROBOTS_FETCH)
        return rc;
    if (got == VG_ROBOTS_WAIT) {
        o->state = ORIGIN_FETCHING;
        o->ask_ms = now_ms() + ROBOTS_WAIT_MS;
    }
    return 1;
}

/* Stale robots.txt is asked for again, and a worker asks the store again
 * for one another worker was fetching. */
static void origin_refresh(const struct crawler *c, struct origin *o,
                           int64_t now)
{
    if ((o->state == ORIGIN_READY &&
         now - o->fetched_ms >= c->o.robots_ttl_ms) ||
        (o->state == ORIGIN_FETCHING && o->ask_ms && now >= o->ask_ms)) {
        o->state = ORIGIN_NEW;
        o->ask_ms = 0;
    }
}

/* A robots.txt fetch for an origin, as a job of its own (a worker's only
 * when no other has the answer or is fetching it). */
static int fetch_robots(struct crawler *c, struct origin *o)
{
    struct job *j;
    char host[256];
    size_t n = strlen(o->key);
    int rc;

    if (c->owner && (rc = robots_shared(c, o)))
        return rc < 0 ? rc : VG_OK;
    if (!(j = job_new(c)) ||
        !(j->l.url = vg_malloc(n + sizeof("/robots.txt"))))
        goto oom;
    memcpy((char *)j->l.url, o->key, n);
    memcpy((char *)j->l.url + n, "/robots.txt", sizeof("/robots.txt"));
    if (vg_url_host(j->l.url, host, sizeof(host)) ||
        !(j->l.host = vg_strdup(host)))
        goto oom;
    j->kind = JOB_ROBOTS;
    j->origin = o;
    o->refs++;
    o->state = ORIGIN_FETCHING;
    enqueue(c, j, 1);
    return VG_OK;
oom:
    job_free(c, j);
    return VG_ENOMEM;
}

/* Milliseconds since the epoch: the store's host times, shared by the
 * workers of a crawl (on several nodes: clocks kept in step by NTP). */
static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A worker's fleet-wide politeness: the store's host row says whether j
 * may start (then its transfer is recorded there: j->slot), else how long
 * to wait; within one pass of start_jobs (now) a host told to wait is not
 * asked again.
 */
static int64_t fleet_start(struct crawler *c, struct job *j, int64_t now)
{
    uint64_t key = vg__fnv64(VG__FNV_SEED, j->l.host, strlen(j->l.host));
    double crawl_delay = j->origin ? vg_robots_crawl_delay(j->origin->robots)
                                   : -1;
    struct vg_host_start h = {c->owner,
                              j->l.host,
                              c->slots + 1,
                              c->o.per_host,
                              c->o.delay_ms,
                              0,
                              (int64_t)time(NULL) + c->o.lease_s};
    int64_t wait = 0;
    int rc;

    if (c->denied_pass != now)
        c->ndenied = 0;
    c->denied_pass = now;
    for (size_t i = 0; i < c->ndenied; i++)
        if (c->denied[i].key == key)
            return c->denied[i].wait;
    if (crawl_delay * 1000 > (double)h.delay_ms)
        h.delay_ms = (int64_t)(crawl_delay * 1000);
    if (h.delay_ms)
        h.delay_ms += FLEET_MARGIN_MS;
    if ((rc = vg_store_host_start(c->st, c->crawl, &h, &wait, c->err)))
        return rc;
    if (!wait)
        j->slot = ++c->slots;
    else if (c->ndenied < DENIED_MAX)
        c->denied[c->ndenied++] = (struct denied_host){key, wait};
    return wait;
}

/* When may j start (0: now; see vg_polite_wait)?  A worker's local table
 * keeps only back-offs (429, 503); the rest is the store's. */
static int64_t polite_wait(struct crawler *c, struct job *j, int64_t now)
{
    int64_t wait = vg_polite_wait(c->pol, j->l.host, now);

    return wait || !c->owner ? wait : fleet_start(c, j, now);
}

/* j's transfer ended: a worker's back-off goes to the host's row. */
static int polite_end(struct crawler *c, struct job *j, long status,
                      const char *retry_after)
{
    int64_t now = now_ms(), wait;
    int rc = vg_polite_end(c->pol, j->l.host, now, status, retry_after);

    if (rc || !c->owner || !j->slot)
        return rc;
    if ((wait = vg_polite_wait(c->pol, j->l.host, now)) < 0)
        return (int)wait;
    rc = vg_store_host_end(c->st, c->crawl, c->owner, j->slot, j->l.host,
                           wait ? wall_ms() + wait : 0, c->err);
    j->slot = 0;
    return rc;
}

/* Start what may start; *next_ms gets how long until something may. */
static int start_jobs(struct crawler *c, int64_t now, int64_t *next_ms)
{
    size_t budget = c->nwait;
    struct job **pp = &c->wait_head, *prev = NULL;
    int rc;

    *next_ms = 1000;
    while (*pp && budget--) {
        struct job *j = *pp;
        struct origin *o = j->origin;
        int64_t wait;

        if (c->fetching >= c->o.max_in_flight)
            break;
        if (j->kind != JOB_ROBOTS && !c->o.ignore_robots) {
            origin_refresh(c, o, now); /* older than a day: ask again */
            if (o->state == ORIGIN_NEW) {
                if ((rc = fetch_robots(c, o)))
                    return rc;
                *next_ms = 0; /* it waits at the head: start it now */
            }
            if (o->state != ORIGIN_READY) {
                prev = j;
                pp = &j->next;
                continue;
            }
            if (o->unreachable ||
                !vg_robots_allowed(o->robots, j->l.url + strlen(o->key))) {
                /* the host could not be reached for robots.txt (RFC 9309:
                   disallow all), and the page would fail the same way */
                *pp = j->next;
                if (c->wait_tail == j)
                    c->wait_tail = prev;
                c->nwait--;
                if (o->unreachable)
                    *(j->kind == JOB_PAGE ? &c->stats->pages_failed
                                          : &c->stats->media_failed) += 1;
                else
                    c->stats->robots_denied++;
                rc = finish(c, j, 0, 0,
                            o->unreachable ? o->unreachable
                                           : "disallowed by robots.txt");
                job_free(c, j);
                if (rc)
                    return rc;
                continue;
            }
        }
        if (j->kind == JOB_PAGE && c->o.max_pages > 0 &&
            c->pages_started >= c->o.max_pages) {
            /* past the page limit: left leased, queued again at the end */
            *pp = j->next;
            if (c->wait_tail == j)
                c->wait_tail = prev;
            c->nwait--;
            job_free(c, j);
            continue;
        }
        if (j->kind == JOB_MEDIA &&
            vg__hash_pool_outstanding(c->pool) >= 4 * (c->o.threads + 1)) {
            /* hashing is behind: fetch no more images until it catches up */
            prev = j;
            pp = &j->next;
            *next_ms = 5;
            continue;
        }
        if ((wait = polite_wait(c, j, now)) != 0) {
            if (wait < 0)
                return (int)wait;
            if (wait < *next_ms)
                *next_ms = wait;
            prev = j;
            pp = &j->next;
            continue;
        }
        *pp = j->next;
        if (c->wait_tail == j)
            c->wait_tail = prev;
        c->nwait--;
        if ((rc = vg_polite_start(c->pol, j->l.host, now)) ||
            (rc = vg_fetcher_submit(
                 c->f, j->l.url,
                 j->kind == JOB_MEDIA ? VG_FETCH_MEDIA : VG_FETCH_PAGE, j))) {
            job_free(c, j);
            return rc;
        }
        c->fetching++;
        if (j->kind == JOB_PAGE)
            c->pages_started++;
    }
    return VG_OK;
}

/* The kept headers as a JSON object. */
static char *headers_json(const char *h)
{
    struct vg_buf b;
    int rc;

    vg_buf_init(&b, 16384);
    rc = vg_buf_puts(&b, "{");
    for (const char *p = h; *p && !rc;) {
        const char *eol = strchr(p, '\n'), *colon = strstr(p, ": ");
        size_t line = eol ? (size_t)(eol - p) : strlen(p);
        if (colon && colon < p + line)
            rc = (b.len > 1 ? vg_buf_puts(&b, ",") : 0) ||
                 vg_buf_json_str(&b, p, (size_t)(colon - p)) ||
                 vg_buf_puts(&b, ":") ||
                 vg_buf_json_str(&b, colon + 2,
                                 line - (size_t)(colon + 2 - p));
        p += line + (eol != NULL);
    }
    if (rc || vg_buf_append(&b, "}", 2)) {
        vg_buf_fini(&b);
        return NULL;
    }
    return b.data;
}

/* Hand fetched image bytes to the pool with the fetch's evidence. */
static int hash_later(struct crawler *c, struct job *j,
                      const struct vg_fetch_result *r)
{
    struct vg__hash_task *t = vg_calloc(1, sizeof(*t));

    if (!t || !(t->data = vg_malloc(r->len ? r->len : 1))) {
        vg_free(t);
        return VG_ENOMEM;
    }
    memcpy(t->data, r->body, r->len);
    t->len = r->len;
    t->job = j;
    j->fetched_at = (int64_t)time(NULL);
    j->status = r->status;
    j->bytes = (int64_t)r->len;
    if ((r->server_ip && !(j->server_ip = vg_strdup(r->server_ip))) ||
        !(j->headers_json = headers_json(r->headers))) {
        vg__hash_task_free(t);
        return VG_ENOMEM;
    }
    vg__hash_pool_submit(c->pool, t);
    c->hashing++;
    /* counted against the fetcher's budget until hashed */
    vg_fetcher_hold(c->f, t->len);
    return VG_OK;
}

/* "class: details" of a failed transfer (vg_free it). */
static char *fetch_error(const struct vg_fetch_result *r)
{
    const char *name = vg_fetch_error_name(r->error);
    const char *text = r->error_text ? r->error_text : "";
    char *s = vg_malloc(strlen(name) + strlen(text) + 3);

    if (s)
        sprintf(s, "%s: %s", name, text);
    return s;
}

/* A worker's answer goes to the store too, for the crawl's other
 * workers. */
static int on_robots(struct crawler *c, struct job *j,
                     const struct vg_fetch_result *r)
{
    /* the status after redirects; a transfer error counts as unreachable */
    long status = r->error == VG_FETCH_OK ? r->status : 0;
    struct vg_robots_rec rec = {(int64_t)time(NULL), status,
                                (const uint8_t *)r->body, r->len, NULL};
    char *why = NULL;
    int rc;

    if (r->error != VG_FETCH_OK && !(why = fetch_error(r)))
        return VG_ENOMEM;
    rc = robots_set(c, j->origin, c->owner ? NULL : j->l.host, status, r->body,
                    r->len, why);
    rec.error = why;
    if (!rc && c->owner)
        rc = vg_store_robots_put(c->st, c->crawl, j->origin->key, &rec,
                                 c->err);
    vg_free(why);
    return rc;
}

static int on_fetched(void *arg, const struct vg_fetch_result *r)
{
    struct crawler *c = arg;
    struct job *j = r->ctx;
    int answered = r->error == VG_FETCH_OK, rc;
    enum vg_media_format fmt;

    c->fetching--;
    c->stats->bytes += (int64_t)r->len;
    if ((rc = polite_end(c, j, answered ? r->status : 0, r->retry_after)))
        goto out;
    if (j->kind == JOB_ROBOTS) {
        rc = on_robots(c, j, r);
        goto out;
    }
    if (answered && (r->status == 429 || r->status == 503) &&
        ++j->tries < MAX_TRIES) {
        if (j->kind == JOB_PAGE)
            c->pages_started--;
        enqueue(c, j, 0); /* again, after the host's back-off */
        return VG_OK;
    }
    if (!answered || r->status >= 400) {
        char *why = answered ? NULL : fetch_error(r);
        char http[32];
        snprintf(http, sizeof(http), "HTTP %ld", r->status);
        if (j->kind == JOB_PAGE)
            c->stats->pages_failed++;
        else
            c->stats->media_failed++;
        rc = answered || why ? finish(c, j, 0, answered ? r->status : 0,
                                      answered ? http : why)
                             : VG_ENOMEM;
        vg_free(why);
        goto out;
    }
    /* the bytes decide what it is, not the Content-Type or the link */
    fmt = vg_media_sniff((const uint8_t *)r->body, r->len);
    if (fmt == VG_MEDIA_UNKNOWN && j->kind == JOB_PAGE)
        c->stats->pages++;
    else
        c->stats->media++;
    if (fmt != VG_MEDIA_UNKNOWN) {
        if ((rc = hash_later(c, j, r)))
            goto out;
        return VG_OK; /* finished when hashed */
    }
    if (j->kind == JOB_MEDIA) {
        c->stats->not_media++;
        rc = finish(c, j, 1, r->status, "not an image");
    } else if (looks_html(r)) {
        if (!(rc = scan_page(c, j, r)))
            rc = finish(c, j, 1, r->status, NULL);
    } else {
        rc = finish(c, j, 1, r->status, "not HTML");
    }
out:
    job_free(c, j);
    return rc;
}

/* ---- hashing results ---- */

static int add_detection(struct crawler *c, struct vg_detection_rec **v,
                         size_t *n, const struct vg_match *m)
{
    struct vg_detection_rec *d = vg_reallocarray(*v, *n + 1, sizeof(**v));

    if (!d)
        return VG_ENOMEM;
    *v = d;
    d[*n] = (struct vg_detection_rec){
        m->entry, vg_algo_name(m->algo), m->distance,
        m->variant >= 0
            ? vg_pdq_dihedral_name((enum vg_pdq_dihedral)m->variant)
            : NULL};
    (*n)++;
    (void)c;
    return VG_OK;
}

/*
 * The hashes live in the task: copy them into the batch, the digests to
 * the record's typed fields, the values of the registry's algorithms
 * beyond the built-ins to its list.
 */
static int copy_hashes(struct crawler *c, const struct vg_imagehash *h,
                       struct vg_sighting_rec *s)
{
    struct vg_hashval *v;
    uint8_t *buf, *d = vg_malloc(32 + 16 + 20);
    size_t n = 0;
    int rc;

    if (!d || (rc = own(c, d)))
        return VG_ENOMEM;
    memcpy(d, h->digests.sha256, 32);
    memcpy(d + 32, h->digests.md5, 16);
    memcpy(d + 48, h->digests.sha1, 20);
    s->sha256 = d;
    s->md5 = d + 32;
    s->sha1 = d + 48;
    for (unsigned i = 0; i < h->nvalues; i++)
        n += h->values[i].algo >= VG_ALGO_COUNT;
    if (!n)
        return VG_OK;
    if (!(v = vg_malloc(n * sizeof(*v) + sizeof(h->valbuf))))
        return VG_ENOMEM;
    if ((rc = own(c, v)))
        return rc;
    buf = (uint8_t *)(v + n);
    memcpy(buf, h->valbuf, sizeof(h->valbuf));
    n = 0;
    for (unsigned i = 0; i < h->nvalues; i++)
        if (h->values[i].algo >= VG_ALGO_COUNT)
            v[n++] = (struct vg_hashval){(enum vg_algo)h->values[i].algo,
                                         buf + h->values[i].off,
                                         h->values[i].quality};
    s->hashes = v;
    s->nhashes = n;
    return VG_OK;
}

static int on_hashed(struct crawler *c, struct vg__hash_task *t)
{
    struct job *j = t->job;
    struct vg_sighting_rec *s;
    struct vg_detection_rec *dets = NULL;
    size_t ndets = 0;
    uint8_t *pdq = NULL;
    int rc = VG_OK;

    c->hashing--;
    vg_fetcher_release(c->f, t->len);
    if (t->rc) {
        /* no digests, or the matcher failed: nothing to record but why */
        c->stats->media_failed++;
        rc = finish(c, j, 0, j->status, t->err);
        goto out;
    }
    if (t->dup)
        c->stats->media_dup++;
    else if (!t->undecodable)
        c->stats->media_hashed++;
    if (t->matched)
        for (size_t i = 0; i < t->mr.nmatches && !rc; i++)
            rc = add_detection(c, &dets, &ndets, &t->mr.matches[i]);
    if (rc || (rc = own(c, dets)))
        goto out;
    if (ndets)
        c->stats->detections++;
    if (!t->undecodable) {
        if (!(pdq = vg_malloc(32)) || (rc = own(c, pdq)))
            goto out;
        vg_pdq_to_bytes(&t->h.pdq.hash, pdq);
    }
    if ((rc = GROW(c->b.sig, c->b.nsig, c->b.csig)))
        goto out;
    batch_started(c);
    s = &c->b.sig[c->b.nsig];
    *s = (struct vg_sighting_rec){
        .url_id = j->l.url_id,
        .page_url_id = j->l.parent_url_id,
        .seen_at = j->fetched_at,
        .http_status = j->status,
        .server_ip = own_str(c, j->server_ip),
        .headers_json = own_str(c, j->headers_json),
        .md5 = NULL,
        .pdq = pdq,
        .pdq_quality = t->undecodable ? 0 : t->h.pdq.quality,
        .format = vg_media_format_name(t->h.format),
        .width = t->h.width,
        .height = t->h.height,
        .bytes = j->bytes,
        .detections = dets,
        .ndetections = ndets,
    };
    if (t->thumb) {
        /* the batch keeps the sealed thumbnail until the commit */
        if ((rc = own(c, t->thumb))) {
            t->thumb = NULL;
            goto out;
        }
        s->thumbnail = t->thumb;
        s->thumbnail_len = t->thumb_len;
        t->thumb = NULL;
        c->stats->thumbnails++;
    }
    if ((rc = copy_hashes(c, &t->h, s)))
        goto out;
    c->b.nsig++;
    rc = finish(c, j, 1, j->status,
                t->undecodable || t->thumb_failed ? t->err : NULL);
out:
    job_free(c, j);
    vg__hash_task_free(t);
    return rc;
}

/* ---- the loop ---- */

static int rebuild_one(void *ctx, const char *url, const char *host,
                       enum vg_frontier_kind kind)
{
    struct crawler *c = ctx;
    char pattern[512];
    uint64_t key = vg__fnv64(VG__FNV_SEED, host, strlen(host) + 1);

    vg__seen_test_set(&c->seen, url);
    host_seq(c, host);
    if (kind == VG_FRONTIER_PAGE && c->o.max_host_pages > 0)
        vg__counts_add(&c->counts, key);
    if (c->o.max_pattern > 0) {
        vg_crawl_url_pattern(url, pattern, sizeof(pattern));
        vg__counts_add(&c->counts, vg__fnv64(key, pattern, strlen(pattern)));
    }
    return VG_OK;
}

static void wake_loop(void *ctx)
{
    vg_fetcher_wakeup(ctx);
}

/* On a hashing thread: a review thumbnail only for bytes new to review
   (a store error means none: the next sighting may bring one). */
static int thumb_wanted(void *ctx, const uint8_t sha256[32])
{
    struct crawler *c = ctx;
    int wanted = 0;

    return vg_store_review_wanted(c->st, sha256, &wanted, NULL) == VG_OK &&
           wanted;
}

static int setup(struct crawler *c, struct vg_matcher *m)
{
    struct vg_fetch_opts fo = {0};
    struct vg_polite_opts po = {0};
    unsigned threads = c->o.threads;
    int rc;

    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    c->o.threads = threads;
    if (c->o.robots_ttl_ms <= 0 || c->o.robots_ttl_ms > ROBOTS_TTL_MS)
        c->o.robots_ttl_ms = ROBOTS_TTL_MS; /* RFC 9309 2.4: at most a day */
    if (!c->o.max_in_flight)
        c->o.max_in_flight = 32;
    fo.user_agent = c->o.user_agent;
    fo.max_in_flight = c->o.max_in_flight;
    fo.allow_private = c->o.allow_private;
    fo.allow_addrs = c->o.allow_addrs;
    fo.proxy = c->o.proxy;
    fo.max_page_bytes = c->o.max_page_bytes;
    fo.max_media_bytes = c->o.max_media_bytes;
    fo.max_inflight_bytes = c->o.max_inflight_bytes;
    fo.total_timeout_ms = c->o.total_timeout_ms;
    /* a worker's local table keeps back-offs only (polite_wait) */
    po.max_per_host = c->owner ? c->o.max_in_flight : c->o.per_host;
    po.delay_ms = c->o.delay_ms > 0 && !c->owner ? c->o.delay_ms : -1;
    if (!c->o.lease_s)
        c->o.lease_s = LEASE_S;
    c->psl = psl_latest(NULL);
    if (!c->psl)
        c->psl = psl_builtin();
    c->obuckets = 4096;
    vg_buf_init(&c->links, (size_t)64 << 20);
    vg__counts_init(&c->counts, COUNTS_MAX);
    if (!(c->otab = vg_calloc(c->obuckets, sizeof(*c->otab))) ||
        vg__seen_init(&c->seen, SEEN_BITS))
        return vg_err_set(c->err, VG_ENOMEM, "out of memory");
    if ((rc = vg_fetcher_new(&fo, &c->f)))
        return vg_err_set(c->err, rc,
                          rc == VG_EINVAL ? "no user agent" : "out of memory");
    if ((rc = vg_polite_new(&po, &c->pol)) ||
        (rc = vg__hash_pool_new(threads, c->o.hash_flags, m, wake_loop, c->f,
                                &c->pool)))
        return vg_err_set(c->err, rc, "cannot start the crawler: %s",
                          vg_strerror(rc));
    if (c->o.review_thumbs) {
        struct vg__thumb_cfg tc = {thumb_wanted, c, c->o.seal, c->o.seal_ctx};
        vg__hash_pool_set_thumbs(c->pool, &tc);
    }
    return VG_OK;
}

static void teardown(struct crawler *c)
{
    vg__hash_pool_free(c->pool); /* first: its threads wake the fetcher */
    vg_fetcher_free(c->f);
    while (c->all) /* waiting, in flight, being hashed */
        job_free(c, c->all);
    vg_polite_free(c->pol);
    origins_free(c);
    vg__seen_fini(&c->seen);
    vg__counts_fini(&c->counts);
    vg_buf_fini(&c->links);
    batch_free(c);
    if (c->psl && c->psl != psl_builtin())
        psl_free((psl_ctx_t *)c->psl);
}

int vg_crawl_seed(struct vg_store *st, int64_t crawl_id, const char *url,
                  int priority, struct vg_err *err)
{
    char *canon = NULL, host[256];
    struct vg_frontier_url u;
    int rc;

    if ((rc = vg_url_canonical(url, &canon, err)))
        return rc == VG_EFORMAT || rc == VG_ETOOBIG
                   ? vg_err_set(err, VG_EINVAL, "not an http(s) URL: %s", url)
                   : rc;
    if (vg_url_host(canon, host, sizeof(host))) {
        vg_free(canon);
        return vg_err_set(err, VG_EINVAL, "no host in %s", url);
    }
    u = (struct vg_frontier_url){canon, host, priority, 0, 0, VG_FRONTIER_PAGE,
                                 0,     0};
    rc = vg_store_frontier_add(st, crawl_id, &u, 1, NULL, err);
    vg_free(canon);
    return rc;
}

/*
 * Lease when fewer jobs than this wait (lease_more): ahead of the
 * transfers for one process; for a worker, no more than it can start
 * soon, so the crawl's other workers get their share.
 */
static size_t lease_low(const struct crawler *c)
{
    return c->owner ? (c->o.max_in_flight + 1) / 2
                    : 2 * (size_t)c->o.max_in_flight + 64;
}

/* Before the loop: a worker leaves the others' leases alone. */
static int run_begin(struct crawler *c, struct vg_matcher *m)
{
    int64_t requeued = 0;
    int rc;

    if ((rc = setup(c, m)) ||
        (!c->owner &&
         (rc = vg_store_crawl_reopen(c->st, c->crawl, &requeued, c->err))))
        return rc;
    return vg_store_frontier_each(c->st, c->crawl, rebuild_one, c, c->err);
}

/*
 * Nothing more to do here: 1 when a worker should wait (other workers
 * hold leases, whose URLs may lead to more or come back when they
 * expire), 0 to end, or an error.
 */
static int run_idle(struct crawler *c)
{
    struct vg_frontier_counts fc;
    int rc;

    if (!c->owner ||
        (c->o.max_pages > 0 && c->pages_started >= c->o.max_pages))
        return 0; /* past its --max-pages, a worker leaves the rest */
    if ((rc = vg_store_frontier_counts(c->st, c->crawl, &fc, c->err)))
        return rc;
    return fc.queued || fc.leased;
}

/*
 * After the loop: what was leased but not finished goes back to the queue
 * (a worker's own leases only), and the crawl's status is set: finished
 * when nothing is queued (nor, with workers, leased); a worker that
 * stops early leaves the status to the others.
 */
static int run_end(struct crawler *c, const volatile sig_atomic_t *stop)
{
    struct vg_frontier_counts fc;
    int64_t requeued = 0;
    int rc = c->owner
                 ? vg_store_frontier_release(c->st, c->crawl, c->owner,
                                             &requeued, c->err)
                 : vg_store_crawl_reopen(c->st, c->crawl, &requeued, c->err);

    if (rc || (rc = vg_store_frontier_counts(c->st, c->crawl, &fc, c->err)))
        return rc;
    c->stats->queued = fc.queued;
    c->stats->finished = !fc.queued && !fc.leased && !(stop && *stop);
    if (c->owner && !c->stats->finished)
        return VG_OK;
    return vg_store_crawl_end(c->st, c->crawl,
                              c->stats->finished ? "finished" : "stopped",
                              c->err);
}

int vg_crawl_run(struct vg_store *st, struct vg_matcher *m, int64_t crawl_id,
                 const struct vg_crawl_opts *o,
                 const volatile sig_atomic_t *stop,
                 void (*progress)(void *ctx, const struct vg_crawl_stats *s),
                 void *progress_ctx, struct vg_crawl_stats *stats,
                 struct vg_err *err)
{
    struct crawler c = {0};
    int64_t started = now_ms(), last_progress = started;
    int rc;

    memset(stats, 0, sizeof(*stats));
    if (o->review_thumbs && !o->seal)
        return vg_err_set(err, VG_EINVAL,
                          "review thumbnails need a sealer: none is stored"
                          " in clear");
    c.st = st;
    c.stop = stop;
    c.crawl = crawl_id;
    c.o = *o;
    c.owner = o->worker;
    c.stats = stats;
    c.err = err;
    c.store_may_have = 1;
    if ((rc = run_begin(&c, m)))
        goto done;
    for (;;) {
        int64_t now = now_ms(), next = 1000;
        size_t low = lease_low(&c);
        struct vg__hash_task *t;

        if (stop && *stop)
            break;
        /* results from the hashing threads */
        while (!rc && (t = vg__hash_pool_done(c.pool)))
            rc = on_hashed(&c, t);
        if (rc)
            break;
        /* commit when the batch is old or large, or before leasing */
        if ((c.b.ndone || c.b.nadd || c.b.nsig) &&
            (now - c.b.since_ms >= COMMIT_MS || c.b.ndone >= COMMIT_ITEMS ||
             c.b.nadd >= COMMIT_ITEMS || (c.nwait < low && c.b.nadd) ||
             (!c.nwait && !c.fetching && !c.hashing)) &&
            (rc = commit(&c)))
            break;
        if ((rc = lease_more(&c, low)))
            break;
        if (!c.nwait && !c.fetching && !c.hashing && !c.b.ndone && !c.b.nadd &&
            !c.b.nsig && !c.store_may_have) {
            /* new seeds may have come, or other workers' URLs: look again */
            if (!c.o.continuous && (rc = run_idle(&c)) <= 0)
                break;
            c.store_may_have = 1;
            rc = VG_OK;
        }
        if ((rc = start_jobs(&c, now, &next)))
            break;
        if (c.b.ndone || c.b.nadd || c.b.nsig) {
            int64_t due = COMMIT_MS - (now - c.b.since_ms);
            if (due < next)
                next = due > 0 ? due : 0;
        }
        if ((rc = vg_fetcher_run(c.f, (long)(next > 0 ? next : 0), on_fetched,
                                 &c))) {
            if (rc == VG_EIO)
                vg_err_set(err, rc, "the fetcher's event loop failed");
            break;
        }
        if (progress && now - last_progress >= 1000) {
            stats->seconds = (double)(now - started) / 1000.0;
            progress(progress_ctx, stats);
            last_progress = now;
        }
    }
    if (!rc)
        rc = commit(&c);
done:
    teardown(&c);
    stats->seconds = (double)(now_ms() - started) / 1000.0;
    return rc ? rc : run_end(&c, stop);
}
