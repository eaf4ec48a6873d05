/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The matcher (vigil/lists.h): every list of a store in one index, a list
 * being an index group with the list's distance and enabled flag, and the
 * allow-list rule applied to what the index finds.  Entry details (category,
 * external id, metadata) stay in the store and are read only for matches,
 * which are rare; the index holds just the hashes.
 *
 * Kept current by vg_matcher_sync (listsync.c) while lookups run: the
 * index has its own read-write lock around each add and change, and the
 * list table here (names, kinds, categories, a list being appended) has
 * another, read by every lookup for its whole length and written only
 * for the moment a list changes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/hashalgo.h"
#include "vigil/index.h"
#include "vigil/lists.h"
#include "vigil/store_lists.h"

#define MAX_HITS 4096 /* matches reported per image and algorithm */

#include "matcher_int.h"

int vg__matcher_add_list(void *ctx, const struct vg_list *l)
{
    struct vg_matcher *m = ctx;

    if (m->nlists > VG_INDEX_MAXGROUP)
        return VG_ETOOBIG;
    if (m->nlists == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        void *p = vg_realloc(m->lists, cap * sizeof(*m->lists));
        if (!p)
            return VG_ENOMEM;
        m->lists = p;
        m->cap = cap;
    }
    if (!(m->lists[m->nlists] = vg_malloc(sizeof(**m->lists))))
        return VG_ENOMEM;
    *m->lists[m->nlists++] = (struct mlist){*l, 0};
    return VG_OK;
}

int vg__matcher_group(const struct vg_matcher *m, int64_t list_id)
{
    size_t lo = 0, hi = m->nsorted; /* those loaded: sorted by id below */

    /* lists that came later, by a sync, after them (few) */
    for (size_t i = m->nsorted; i < m->nlists; i++)
        if (m->lists[i]->l.id == list_id && !m->lists[i]->deleted)
            return (int)i;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->lists[mid]->l.id < list_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->nsorted && m->lists[lo]->l.id == list_id &&
                   !m->lists[lo]->deleted
               ? (int)lo
               : -1;
}

/* Mark entry id plain (nothing of its own in the store), growing the
 * bitset as ids grow (lock held for writing, or no lookup yet). */
static int mark_plain(struct vg_matcher *m, int64_t id)
{
    size_t w = (size_t)id / 64;

    if (id < 0)
        return VG_OK;
    if (w >= m->plain_words) {
        size_t n = m->plain_words ? m->plain_words : 1024;
        uint64_t *p;
        while (n <= w)
            n *= 2;
        if (!(p = vg_realloc(m->plain, n * sizeof(*p))))
            return VG_ENOMEM;
        memset(p + m->plain_words, 0, (n - m->plain_words) * sizeof(*p));
        m->plain = p;
        m->plain_words = n;
    }
    m->plain[w] |= (uint64_t)1 << (id % 64);
    return VG_OK;
}

static int is_plain(const struct vg_matcher *m, int64_t id)
{
    size_t w = (size_t)id / 64;

    return id >= 0 && w < m->plain_words && (m->plain[w] >> (id % 64) & 1);
}

int vg__matcher_add_entry(struct vg_matcher *m, const struct vg_list_entry *e)
{
    int g = vg__matcher_group(m, e->list_id), rc;

    if (g < 0)
        return VG_OK; /* a list created after we read the lists */
    if (!e->has_details && (rc = mark_plain(m, e->id)))
        return rc;
    if ((rc = vg_index_add(m->ix, e->algo, e->value, (uint32_t)g, e->id)))
        return rc;
    if (!e->enabled && (rc = vg_index_set_enabled(m->ix, e->id, 0)))
        return rc;
    __atomic_add_fetch(&m->entries, 1, __ATOMIC_RELAXED);
    return VG_OK;
}

static int add_entry(void *ctx, const struct vg_list_entry *e)
{
    struct vg_matcher *m = ctx;

    if (e->id > m->max_loaded)
        m->max_loaded = e->id;
    return vg__matcher_add_entry(m, e);
}

static int list_id_cmp(const void *a, const void *b)
{
    const struct mlist *x = *(struct mlist *const *)a,
                       *y = *(struct mlist *const *)b;

    return x->l.id < y->l.id ? -1 : x->l.id > y->l.id;
}

int vg_matcher_load(struct vg_store *st, int min_quality,
                    struct vg_matcher **out, struct vg_err *err)
{
    struct vg_matcher *m;
    int64_t n = 0;
    int rc;

    *out = NULL;
    if (!(m = vg_calloc(1, sizeof(*m))))
        return VG_ENOMEM;
    if (pthread_rwlock_init(&m->lock, NULL)) {
        vg_free(m);
        return VG_ENOMEM;
    }
    m->st = st;
    m->min_quality = min_quality;
    /* the change log's head first: a change after it may or may not be
     * in what is read next, and the sync applies it either way */
    if ((rc = vg_store_list_changes_head(st, &m->seq, err)) ||
        (rc = vg_index_new(&m->ix)))
        goto fail;
    if ((rc = vg_store_lists(st, vg__matcher_add_list, m, err)))
        goto fail;
    /* groups by list id order, so entries find theirs by binary search */
    if (m->nlists)
        qsort(m->lists, m->nlists, sizeof(*m->lists), list_id_cmp);
    m->nsorted = m->nlists;
    for (size_t g = 0; g < m->nlists; g++)
        if ((rc = vg_index_group_set(m->ix, (uint32_t)g,
                                     m->lists[g]->l.pdq_distance,
                                     m->lists[g]->l.enabled)))
            goto fail;
    if ((rc = vg_store_entries_count(st, 0, 0, &n, err)) ||
        (rc = vg_index_reserve(m->ix, (size_t)n)) ||
        (rc = vg_store_entries(st, 0, VG_ENTRIES_HASH_ONLY, add_entry, m,
                               err)) ||
        (rc = vg_index_build(m->ix)))
        goto fail;
    m->synced_ms = vg__matcher_now_ms();
    *out = m;
    return VG_OK;
fail:
    if (rc == VG_ENOMEM)
        vg_err_set(err, rc, "out of memory loading the lists");
    vg_matcher_free(m);
    return rc;
}

void vg_matcher_free(struct vg_matcher *m)
{
    if (!m)
        return;
    vg_index_free(m->ix);
    vg_free(m->plain);
    pthread_rwlock_destroy(&m->lock);
    for (size_t i = 0; i < m->nlists; i++)
        vg_free(m->lists[i]);
    vg_free(m->lists);
    vg_free(m);
}

size_t vg_matcher_size(const struct vg_matcher *m)
{
    return __atomic_load_n(&m->entries, __ATOMIC_RELAXED);
}

static void match_fini(struct vg_match *x)
{
    vg_free(x->category);
    vg_free(x->external_id);
    vg_free(x->metadata);
}

static void matches_free(struct vg_match *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        match_fini(&v[i]);
    vg_free(v);
}

void vg_match_result_fini(struct vg_match_result *r)
{
    if (!r)
        return;
    matches_free(r->matches, r->nmatches);
    matches_free(r->allowed_by, r->nallowed);
    matches_free(r->suppressed, r->nsuppressed);
    memset(r, 0, sizeof(*r));
}

static int dup_or_null(const char *s, char **out)
{
    *out = NULL;
    return s && !(*out = vg_strdup(s)) ? VG_ENOMEM : VG_OK;
}

static int fill_details(void *ctx, const struct vg_list_entry *e)
{
    struct vg_match *x = ctx;
    int rc;

    if ((rc = dup_or_null(e->category, &x->category)) ||
        (rc = dup_or_null(e->external_id, &x->external_id)) ||
        (rc = dup_or_null(e->metadata, &x->metadata)))
        return rc;
    return VG_OK;
}

struct acc {
    struct vg_match *v;
    size_t n, cap;
};

static int acc_push(struct vg_matcher *m, struct acc *a,
                    const struct vg_index_match *im, struct vg_err *err)
{
    const struct mlist *ml = m->lists[im->group];
    struct vg_match *x;
    int rc;

    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        void *p = vg_realloc(a->v, cap * sizeof(*a->v));
        if (!p)
            return VG_ENOMEM;
        a->v = p;
        a->cap = cap;
    }
    x = &a->v[a->n];
    memset(x, 0, sizeof(*x));
    x->list = ml->l.name;
    x->kind = ml->l.kind;
    x->entry = im->id;
    x->algo = im->algo;
    x->distance = im->distance;
    x->variant = vg_hashalgo_get(im->algo)->kind == VG_HASHALGO_MIH
                     ? im->variant
                     : -1;
    a->n++;
    /* an entry with nothing of its own takes its list's category */
    rc = is_plain(m, im->id)
             ? VG_OK
             : vg_store_entry_get(m->st, im->id, fill_details, x, err);
    if (rc == VG_ENOENT) /* deleted since loading: report what we know */
        rc = VG_OK;
    if (!rc && !x->category && !(x->category = vg_strdup(ml->l.category)))
        rc = VG_ENOMEM;
    return rc;
}

/* Look up the image's value of algorithm a, by the kind of a. */
static int lookup_algo(struct vg_matcher *m, const struct vg_imagehash *h,
                       enum vg_algo a, struct vg_index_match *hv, size_t *n,
                       int *skipped)
{
    const uint8_t *v;
    int quality = -1;

    *n = 0;
    /* PDQ's queries are its dihedral variants, in typed form */
    if (vg_hashalgo_get(a)->kind == VG_HASHALGO_MIH) {
        if (h->pdq.quality < m->min_quality) {
            *skipped = 1;
            return VG_OK;
        }
        return vg_index_lookup_pdq(m->ix, h->pdq.dihedral, VG_PDQ_NDIHEDRAL,
                                   hv, MAX_HITS, n);
    }
    if (!(v = vg_imagehash_value(h, a, &quality)))
        return VG_OK; /* not hashed: undecodable bytes have digests only */
    if (quality >= 0 && quality < m->min_quality)
        return VG_OK;
    return vg_index_lookup(m->ix, a, v, hv, MAX_HITS, n);
}

/* The matches found into out, sorted by the allow rule (an allow match
 * suppresses the block ones), or on an error (rc) both freed: rc. */
static int result_end(struct vg_match_result *out, struct acc *block,
                      struct acc *allow, int rc)
{
    if (rc) {
        matches_free(block->v, block->n);
        matches_free(allow->v, allow->n);
        return rc;
    }
    out->allowed_by = allow->v;
    out->nallowed = allow->n;
    if (allow->n) {
        out->suppressed = block->v;
        out->nsuppressed = block->n;
    } else {
        out->matches = block->v;
        out->nmatches = block->n;
    }
    return VG_OK;
}

/* Index matches into block and allow matches with their details; the
 * caller holds m->lock to read. */
static int push_all(struct vg_matcher *m, const struct vg_index_match *hv,
                    size_t n, struct acc *block, struct acc *allow,
                    struct vg_err *err)
{
    int rc = VG_OK;

    for (size_t i = 0; !rc && i < n && i < MAX_HITS; i++)
        rc = acc_push(m,
                      m->lists[hv[i].group]->l.kind == VG_LIST_ALLOW ? allow
                                                                     : block,
                      &hv[i], err);
    return rc;
}

int vg_matcher_lookup(struct vg_matcher *m, const struct vg_imagehash *h,
                      struct vg_match_result *out, struct vg_err *err)
{
    struct vg_index_match *hv = NULL;
    struct acc block = {0}, allow = {0};
    size_t n;
    int rc = VG_OK;

    memset(out, 0, sizeof(*out));
    if (!(hv = vg_mallocarray(MAX_HITS, sizeof(*hv))))
        return VG_ENOMEM;
    pthread_rwlock_rdlock(&m->lock);
    for (unsigned a = 0; a < vg_algo_count() && !rc; a++) {
        rc = lookup_algo(m, h, (enum vg_algo)a, hv, &n, &out->pdq_skipped);
        if (!rc)
            rc = push_all(m, hv, n, &block, &allow, err);
    }
    pthread_rwlock_unlock(&m->lock);
    vg_free(hv);
    return result_end(out, &block, &allow, rc);
}

/* Matches kept per hash by a batch of several; a hash with more is looked
 * up again alone, with room for MAX_HITS. */
#define BATCH_HITS 64

/* One hash's result from the batch's matches (n found, hv holding up to
 * per of them); the caller holds m->lock to read. */
static int pdq_result(struct vg_matcher *m, const struct vg_pdq_hash *q,
                      struct vg_index_match *hv, size_t n, size_t per,
                      struct vg_match_result *out, struct vg_err *err)
{
    struct vg_index_match *all = NULL;
    struct acc block = {0}, allow = {0};
    int rc = VG_OK;

    if (n > per) {
        if (!(all = vg_mallocarray(MAX_HITS, sizeof(*all))))
            return VG_ENOMEM;
        rc = vg_index_lookup_pdq(m->ix, q, 1, all, MAX_HITS, &n);
        hv = all;
    }
    if (!rc)
        rc = push_all(m, hv, n, &block, &allow, err);
    vg_free(all);
    return result_end(out, &block, &allow, rc);
}

int vg_matcher_lookup_pdqs(struct vg_matcher *m, const struct vg_pdq_hash *q,
                           size_t n, struct vg_match_result *out,
                           struct vg_err *err)
{
    /* one hash alone gets room for all its matches (no second search) */
    size_t per = n == 1 ? MAX_HITS : BATCH_HITS;
    struct vg_index_match *hv = NULL;
    size_t *found = NULL, i = 0;
    int rc;

    memset(out, 0, n * sizeof(*out));
    if (!n)
        return VG_OK;
    if (!(hv = vg_mallocarray(n, per * sizeof(*hv))) ||
        !(found = vg_mallocarray(n, sizeof(*found)))) {
        vg_free(hv);
        return VG_ENOMEM;
    }
    pthread_rwlock_rdlock(&m->lock);
    rc = vg_index_lookup_pdq_batch(m->ix, q, NULL, n, hv, per, found);
    for (; !rc && i < n; i++)
        rc = pdq_result(m, &q[i], hv + i * per, found[i], per, &out[i], err);
    pthread_rwlock_unlock(&m->lock);
    vg_free(hv);
    vg_free(found);
    if (rc) {
        for (size_t j = 0; j < i; j++)
            vg_match_result_fini(&out[j]);
        if (rc == VG_ENOMEM)
            vg_err_set(err, rc, "out of memory looking up hashes");
    }
    return rc;
}

int vg_matcher_lookup_value(struct vg_matcher *m, enum vg_algo algo,
                            const uint8_t *value, struct vg_match_result *out,
                            struct vg_err *err)
{
    struct vg_index_match *hv = NULL;
    struct acc block = {0}, allow = {0};
    size_t got = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!(hv = vg_mallocarray(MAX_HITS, sizeof(*hv))))
        return VG_ENOMEM;
    pthread_rwlock_rdlock(&m->lock);
    rc = vg_index_lookup(m->ix, algo, value, hv, MAX_HITS, &got);
    if (!rc)
        rc = push_all(m, hv, got, &block, &allow, err);
    pthread_rwlock_unlock(&m->lock);
    vg_free(hv);
    return result_end(out, &block, &allow, rc);
}
