/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a partner may see of a match (api_int.h): the lists shared with its
 * partner (or with "*"), read from the store at most once every
 * POLICY_FRESH_MS by whichever request finds the copy stale (the others
 * go on with the old one meanwhile), so a share or an unshare takes
 * effect on every node within about a second.
 */
#include <sodium.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/store_lists.h"
#include "vigil/store_review.h"
#include "web/api_int.h"

#define POLICY_FRESH_MS 1000

struct loading {
    struct vg__api_share *v;
    size_t n, cap;
};

static void shares_free(struct vg__api_share *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        vg_free(v[i].list);
        vg_free(v[i].partner);
    }
    vg_free(v);
}

static int add_share(void *ctx, const struct vg_list_share *sh)
{
    struct loading *l = ctx;
    struct vg__api_share *x;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        void *p = vg_reallocarray(l->v, cap, sizeof(*l->v));
        if (!p)
            return VG_ENOMEM;
        l->v = p;
        l->cap = cap;
    }
    x = &l->v[l->n];
    x->metadata = sh->metadata;
    x->list = vg_strdup(sh->list);
    x->partner = vg_strdup(sh->partner);
    l->n++;
    return x->list && x->partner ? VG_OK : VG_ENOMEM;
}

/* Read the shares again if the copy is stale; a failed read keeps the old
 * copy (and is tried again by the next request). */
static void refresh(struct vg__api *a)
{
    int64_t now = vg__now_ms();
    struct loading l = {0};
    struct vg__api_share *old;
    size_t nold;

    if (__atomic_load_n(&a->policy_ms, __ATOMIC_ACQUIRE) &&
        now - __atomic_load_n(&a->policy_ms, __ATOMIC_ACQUIRE) <
            POLICY_FRESH_MS)
        return;
    if (pthread_mutex_trylock(&a->policy_reload))
        return; /* another request reads them */
    if (vg_store_list_shares(a->st, 0, add_share, &l, NULL)) {
        shares_free(l.v, l.n);
        pthread_mutex_unlock(&a->policy_reload);
        return;
    }
    pthread_rwlock_wrlock(&a->policy_lock);
    old = a->shares;
    nold = a->nshares;
    a->shares = l.v;
    a->nshares = l.n;
    __atomic_store_n(&a->policy_ms, now, __ATOMIC_RELEASE);
    pthread_rwlock_unlock(&a->policy_lock);
    pthread_mutex_unlock(&a->policy_reload);
    shares_free(old, nold);
}

/* Is the list shared with partner (lock held)?  -1 if not, else whether
 * with metadata. */
static int shared(const struct vg__api *a, const char *partner,
                  const char *list)
{
    int best = -1;

    for (size_t i = 0; i < a->nshares; i++)
        if (!strcmp(a->shares[i].list, list) &&
            (!strcmp(a->shares[i].partner, partner) ||
             !strcmp(a->shares[i].partner, "*")) &&
            a->shares[i].metadata > best)
            best = a->shares[i].metadata;
    return best;
}

int vg__api_list_visible(struct vg_server *s, const struct vg__api_caller *who,
                         const char *name, int *metadata)
{
    int m;

    refresh(s->api);
    pthread_rwlock_rdlock(&s->api->policy_lock);
    m = shared(s->api, who->partner, name);
    pthread_rwlock_unlock(&s->api->policy_lock);
    if (metadata)
        *metadata = m > 0;
    return m >= 0;
}

size_t vg__api_visible(struct vg_server *s, const struct vg__api_caller *who,
                       const struct vg_match_result *r,
                       struct vg__api_hit *out, size_t cap)
{
    size_t n = 0;

    if (!r->nmatches)
        return 0;
    refresh(s->api);
    pthread_rwlock_rdlock(&s->api->policy_lock);
    for (size_t i = 0; i < r->nmatches && n < cap; i++) {
        int m = shared(s->api, who->partner, r->matches[i].list);
        if (m >= 0) {
            out[n].m = &r->matches[i];
            out[n].metadata = m;
            n++;
        }
    }
    pthread_rwlock_unlock(&s->api->policy_lock);
    return n;
}

void vg__api_note(struct vg_server *s, const struct vg_match_result *r,
                  const uint8_t key[32])
{
    for (size_t i = 0; i < r->nmatches; i++)
        vg_flood_note(s->o.flood, r->matches[i].entry, key);
    for (size_t i = 0; i < r->nallowed; i++)
        vg_flood_note(s->o.flood, r->allowed_by[i].entry, key);
}

int vg__api_csam(const struct vg_match *m)
{
    const char *csam = vg_review_class_name(VG_REVIEW_CSAM);

    return m->category && !strcmp(m->category, csam);
}

void vg__api_note_hash(struct vg_server *s, const struct vg_match_result *r,
                       const uint8_t *value, size_t n)
{
    uint8_t key[32];

    if (!r->nmatches && !r->nallowed)
        return;
    crypto_hash_sha256(key, value, n);
    vg__api_note(s, r, key);
}

const char *vg__api_class(const struct vg_match *m)
{
    /* Shield's word for the class is the review class's code */
    return vg__api_csam(m) ? vg_review_class_name(VG_REVIEW_CSAM)
                           : "harmful-abusive-material";
}

struct vg_matcher *vg__api_matcher(struct vg_server *s,
                                   struct vg_http_resp *resp,
                                   enum vg__api_style style, int *rc)
{
    struct vg_matcher *m = s->o.matcher ? s->o.matcher(s->o.matcher_ctx)
                                        : NULL;

    if (!m)
        *rc = vg__api_error(resp, style, 503,
                            "the match index is loading: try again shortly");
    return m;
}
