/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-host politeness (vigil/politeness.h): a table of hosts (open
 * addressing, FNV-1a, grown at half full) with, for each, the requests in
 * flight, the earliest next start, its delay and its back-off.  A start
 * reserves the next slot at start + delay whoever makes it, which is what
 * makes the delay per host rather than per connection.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/alloc.h"
#include "vigil/politeness.h"

#define BACKOFF_FIRST_MS 30000
#define BACKOFF_MAX_MS 3600000
#define FULL_POLL_MS 50 /* how soon to ask again when a host is at its limit */

struct host {
    char *name;
    unsigned in_flight;
    int64_t next_start, delay, backoff, backoff_until;
};

struct vg_polite {
    struct vg_polite_opts o;
    struct host *h;
    size_t n, cap;
};

int vg_polite_new(const struct vg_polite_opts *o, struct vg_polite **out)
{
    struct vg_polite *p;

    *out = NULL;
    if (!(p = vg_calloc(1, sizeof(*p))))
        return VG_ENOMEM;
    if (o)
        p->o = *o;
    if (!p->o.max_per_host)
        p->o.max_per_host = 2;
    if (!p->o.delay_ms)
        p->o.delay_ms = 1000;
    if (p->o.delay_ms < 0)
        p->o.delay_ms = 0;
    *out = p;
    return VG_OK;
}

void vg_polite_free(struct vg_polite *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->cap; i++)
        vg_free(p->h[i].name);
    vg_free(p->h);
    vg_free(p);
}

static size_t hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 0x100000001b3u;
    return (size_t)h;
}

static int grow(struct vg_polite *p)
{
    size_t cap = p->cap ? p->cap * 2 : 64;
    struct host *h = vg_calloc(cap, sizeof(*h));

    if (!h)
        return VG_ENOMEM;
    for (size_t i = 0; i < p->cap; i++) {
        size_t j;
        if (!p->h[i].name)
            continue;
        for (j = hash(p->h[i].name) & (cap - 1); h[j].name;
             j = (j + 1) & (cap - 1))
            ;
        h[j] = p->h[i];
    }
    vg_free(p->h);
    p->h = h;
    p->cap = cap;
    return VG_OK;
}

/* The host's entry, created on first sight; NULL when out of memory. */
static struct host *find(struct vg_polite *p, const char *name)
{
    size_t i;

    if (2 * (p->n + 1) > p->cap && grow(p))
        return NULL;
    for (i = hash(name) & (p->cap - 1); p->h[i].name;
         i = (i + 1) & (p->cap - 1))
        if (!strcmp(p->h[i].name, name))
            return &p->h[i];
    if (!(p->h[i].name = vg_strdup(name)))
        return NULL;
    p->h[i].delay = p->o.delay_ms;
    p->n++;
    return &p->h[i];
}

int64_t vg_polite_wait(struct vg_polite *p, const char *host, int64_t now_ms)
{
    struct host *h = find(p, host);
    int64_t at;

    if (!h)
        return VG_ENOMEM;
    at = h->next_start > h->backoff_until ? h->next_start : h->backoff_until;
    if (h->in_flight >= p->o.max_per_host)
        return at - now_ms > FULL_POLL_MS ? at - now_ms : FULL_POLL_MS;
    return at > now_ms ? at - now_ms : 0;
}

int vg_polite_start(struct vg_polite *p, const char *host, int64_t now_ms)
{
    struct host *h = find(p, host);

    if (!h)
        return VG_ENOMEM;
    h->in_flight++;
    h->next_start = now_ms + h->delay;
    return VG_OK;
}

/* Retry-After: delta-seconds or an HTTP date (RFC 9110 10.2.3); -1 if
 * neither. */
static int64_t retry_after_ms(const char *v, int64_t now_ms)
{
    struct tm tm;
    char *end;
    long long secs;

    if (!v)
        return -1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v >= '0' && *v <= '9') {
        secs = strtoll(v, &end, 10);
        return *end && *end != ' '            ? -1
               : secs > BACKOFF_MAX_MS / 1000 ? BACKOFF_MAX_MS
                                              : secs * 1000;
    }
    memset(&tm, 0, sizeof(tm));
    if (!strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm))
        return -1;
    secs = (long long)timegm(&tm);
    return secs * 1000 > now_ms ? secs * 1000 - now_ms : 0;
}

int vg_polite_end(struct vg_polite *p, const char *host, int64_t now_ms,
                  long status, const char *retry_after)
{
    struct host *h = find(p, host);
    int64_t wait;

    if (!h)
        return VG_ENOMEM;
    if (h->in_flight)
        h->in_flight--;
    if (status == 429 || status == 503) {
        wait = retry_after_ms(retry_after, now_ms);
        if (wait < 0)
            wait = h->backoff ? 2 * h->backoff : BACKOFF_FIRST_MS;
        if (wait > BACKOFF_MAX_MS)
            wait = BACKOFF_MAX_MS;
        h->backoff = wait ? wait : h->backoff;
        h->backoff_until = now_ms + wait;
    } else if (status >= 200 && status < 400) {
        h->backoff = 0;
    }
    return VG_OK;
}

int vg_polite_crawl_delay(struct vg_polite *p, const char *host,
                          double seconds)
{
    struct host *h = find(p, host);
    int64_t d = seconds >= 0 ? (int64_t)(seconds * 1000) : 0;

    if (!h)
        return VG_ENOMEM;
    h->delay = d > p->o.delay_ms ? d : p->o.delay_ms;
    return VG_OK;
}
