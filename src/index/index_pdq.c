/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact radius search over 256-bit PDQ hashes by multi-index hashing
 * (Norouzi, Punjani, Fleet, "Fast search in Hamming space with multi-index
 * hashing", CVPR 2012), with the pigeonhole bound generalised to uneven
 * per-table thresholds.
 *
 * The base holds n hashes sorted by id.  M tables (12, or as many as fit
 * in 256 bits) each key a hash by one disjoint `bits`-bit substring, with
 * bits = floor(log2 n) - 1 (see table_bits), so a bucket holds 2 to 4
 * hashes on average.  If d(q, x) <= r then the substring distances d_i
 * sum to at most r; choosing thresholds t_i with sum(t_i + 1) >= r + 1,
 * some i has d_i <= t_i (else the sum would exceed r).  So probing, in
 * every table i, each key within t_i bits of the query's key finds every
 * hash within r, and verifying each candidate's full distance removes
 * every hash beyond r: the answer is exact.  Bits not covered by a table
 * only weaken the filter, never the bound.  At 10 M hashes (11 tables of 22
 * bits) and r = 31 that is 10 tables at t = 2 and 1 at t = 1.  When the
 * probes would cost more than reading everything (large radii, tiny sets)
 * the search scans instead.
 *
 * Memory per hash: 32 (hash) + 3 per table (position; 4 from 2^24 hashes)
 * + 4 (id) + 2 (group) + 1/8 (disabled bit) + the bucket starts, 12 to 24
 * bytes (3 to 12 with 4-byte positions): 87.0 at 1 M (12 tables of 18
 * bits), 89.6 at 10 M (11 of 22), 85.8 at 100 M (11 of 23, 4-byte
 * positions).  That is as low as tables of all the hashes go at radius 31:
 * a table must name each hash it holds, log2 n bits (27 at 100 M), so 10
 * tables cost at least 34 bytes beside the 38 of hash, id and group; and
 * fewer tables need more bits flipped per probe (7 tables of 24 bits:
 * about 59,000 probes a query hash at 100 M instead of 2,800).  A build
 * holds the new base and its tables' sort buffers (16 bytes a hash per
 * build thread) at its peak, the old base and tail being freed once
 * merged.
 *
 * Lookups are bound by memory latency, so they are built for memory-level
 * parallelism: all probe keys of a query hash are generated and their
 * bucket starts prefetched, then the buckets, then the candidates' hashes
 * PREFETCH_AHEAD ahead of the popcount, all into L2 (which tracks more
 * misses at once than L1: 1.3x faster here).  The big arrays sit in huge
 * pages (no TLB miss per access).  Adds go to a tail that every search
 * scans; vg__pdq_build folds it in (index.c does so when the tail reaches
 * 1/256 of the base).  Interleaving the stages of several query hashes
 * was measured and does not pay: one hash's probes already keep as many
 * misses in flight as a core tracks (a batch of 1,000 single hashes
 * interleaved 16 at a time: 0.91x at 10 M), so index.c shares a big batch
 * with a second core instead.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index_int.h"
#include "vigil/alloc.h"

#define PREFETCH_AHEAD 48 /* candidates: about one DRAM latency of work */

void vg__pdq_init(struct vg__pdq_set *s)
{
    memset(s, 0, sizeof(*s));
}

static void free_base(struct vg__pdq_set *s)
{
    vg_free_aligned(s->code);
    vg_free(s->id32);
    vg_free(s->id64);
    vg_free(s->group);
    vg_free(s->disabled);
    vg_free_aligned(s->off);
    vg_free_aligned(s->pos);
}

void vg__pdq_fini(struct vg__pdq_set *s)
{
    if (!s)
        return;
    free_base(s);
    vg_free(s->tcode);
    vg_free(s->tid);
    vg_free(s->tgroup);
    vg_free(s->tdisabled);
    memset(s, 0, sizeof(*s));
}

/* Inlined into the loops below, which are compiled twice (popcnt, plain x86-64)
 * and picked by the CPU at load time. */
static inline __attribute__((always_inline)) int dist256(const uint64_t *a,
                                                         const uint64_t *b)
{
    return __builtin_popcountll(a[0] ^ b[0]) +
           __builtin_popcountll(a[1] ^ b[1]) +
           __builtin_popcountll(a[2] ^ b[2]) +
           __builtin_popcountll(a[3] ^ b[3]);
}

static uint32_t code_key(const uint64_t c[4], unsigned table, unsigned bits)
{
    unsigned start = table * bits, w = start >> 6, sh = start & 63;
    uint64_t v = c[w] >> sh;

    if (sh + bits > 64)
        v |= c[w + 1] << (64 - sh);
    return (uint32_t)(v & ((UINT64_C(1) << bits) - 1));
}

static int64_t base_id(const struct vg__pdq_set *s, size_t pos)
{
    return s->id64 ? s->id64[pos] : s->id_base + (int64_t)s->id32[pos];
}

/* ---- adding to the tail ---- */

static int grow_tail(struct vg__pdq_set *s, size_t want)
{
    size_t cap = s->tcap ? s->tcap : 1024;
    void *p;

    while (cap < want)
        cap *= 2;
    if (cap == s->tcap)
        return VG_OK;
    if (!(p = vg_realloc(s->tcode, cap * sizeof(*s->tcode))))
        return VG_ENOMEM;
    s->tcode = p;
    if (!(p = vg_realloc(s->tid, cap * sizeof(*s->tid))))
        return VG_ENOMEM;
    s->tid = p;
    if (!(p = vg_realloc(s->tgroup, cap * sizeof(*s->tgroup))))
        return VG_ENOMEM;
    s->tgroup = p;
    if (!(p = vg_realloc(s->tdisabled, cap)))
        return VG_ENOMEM;
    s->tdisabled = p;
    s->bytes += (cap - s->tcap) *
                (sizeof(*s->tcode) + sizeof(*s->tid) + sizeof(*s->tgroup) + 1);
    s->tcap = cap;
    return VG_OK;
}

int vg__pdq_reserve(struct vg__pdq_set *s, size_t n)
{
    if (s->tn + n < s->tn)
        return VG_ENOMEM;
    return grow_tail(s, s->tn + n);
}

int vg__pdq_add(struct vg__pdq_set *s, const uint64_t code[4], uint16_t group,
                int64_t id)
{
    int rc;

    if (s->tn == s->tcap && (rc = grow_tail(s, s->tn + 1)))
        return rc;
    memcpy(s->tcode[s->tn], code, sizeof(s->tcode[0]));
    s->tid[s->tn] = id;
    s->tgroup[s->tn] = group;
    s->tdisabled[s->tn] = 0;
    s->tn++;
    return VG_OK;
}

int vg__pdq_tail_full(const struct vg__pdq_set *s)
{
    size_t limit = s->n / 256;

    return s->tn >= (limit > 1024 ? limit : 1024);
}

/* ---- building ---- */

struct order {
    int64_t id;
    size_t from; /* < n: base position; else tail index + n */
};

static int order_cmp(const void *a, const void *b)
{
    const struct order *x = a, *y = b;

    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->from < y->from ? -1 : x->from > y->from;
}

/*
 * Positions take 3 bytes below 2^24 hashes, else 4; key bits are then
 * floor(log2 n) - 1 (2 to 4 hashes a bucket), else floor(log2 n) - 2 or,
 * where that fits one table more and costs fewer misses, - 3, so the
 * bucket starts cost 12 to 24 (3 to 12) bytes a hash and the total stays
 * under 100.  0 bits = too few hashes for tables (scan).
 */
static unsigned pos_width(size_t n)
{
    return n < ((size_t)1 << 24) ? 3 : 4;
}

/* As many tables as fit in 256 bits, at most VG__PDQ_TABLES. */
static unsigned table_count(unsigned bits)
{
    return !bits                         ? 0
           : 256 / bits < VG__PDQ_TABLES ? 256 / bits
                                         : VG__PDQ_TABLES;
}

static size_t binom_upto(unsigned n, int t);
static void thresholds(unsigned m, int radius, int t[VG__PDQ_TABLES]);

/* Memory misses a query hash costs at the default radius with tables of
 * this many bits: a bucket start and a bucket a probe, and a candidate
 * for each hash in the buckets. */
static double probe_cost(size_t n, unsigned bits)
{
    unsigned m = table_count(bits);
    int t[VG__PDQ_TABLES];
    double probes = 0;

    thresholds(m, VG_INDEX_DEFAULT_RADIUS, t);
    for (unsigned i = 0; i < m; i++)
        probes += t[i] < 0 ? 0 : (double)binom_upto(bits, t[i]);
    return probes * (2 + (double)n / (double)((size_t)1 << bits));
}

static unsigned table_bits(size_t n)
{
    unsigned lg = 0;

    while (lg < 63 && (UINT64_C(1) << (lg + 1)) <= n)
        lg++;
    if (lg < 12)
        return 0;
    if (pos_width(n) == 3)
        return lg - 1;
    /* one bit fewer when that buys a table more: at 100 M, 11 tables of
     * 23 bits cost 39,000 misses a query hash where 10 of 24 cost 56,000,
     * for 1 byte a hash more */
    lg = lg > 28 ? 26 : lg - 2;
    return probe_cost(n, lg - 1) < probe_cost(n, lg) ? lg - 1 : lg;
}

static uint32_t pos_get(const uint8_t *p, unsigned w, size_t i)
{
    uint32_t v;

    memcpy(&v, p + i * w, sizeof(v)); /* little-endian; 1 byte of padding */
    return w == 4 ? v : v & 0xffffff;
}

static void pos_put(uint8_t *p, unsigned w, size_t i, uint32_t v)
{
    memcpy(p + i * w, &v, w); /* little-endian x86-64 and arm64 */
}

struct table_job {
    struct vg__pdq_set *s;
    unsigned first, step;
    int *failed; /* set when a job runs out of memory */
};

/*
 * Build every step-th table from first.  A table is its positions sorted by
 * key (stable, so ascending within a bucket) and the bucket starts.  The
 * sort is an LSD radix sort of (key << 32 | position) in passes of at most
 * 8 key bits: each pass streams through the array and writes to at most
 * 256 places at once, whose cache lines stay in L1, where scattering
 * straight into 2^21 buckets would miss the cache on nearly every write.
 */
static void *build_some(void *arg)
{
    const struct table_job *j = arg;
    struct vg__pdq_set *s = j->s;
    size_t nkeys = (size_t)1 << s->bits, n = s->n;
    unsigned passes = (s->bits + 7) / 8;
    uint64_t *a = vg_mallocarray(n, sizeof(*a)),
             *b = vg_mallocarray(n, sizeof(*b));
    size_t *hist = vg_calloc(256, sizeof(*hist));

    if (!a || !b || !hist) {
        __atomic_store_n(j->failed, 1, __ATOMIC_RELAXED);
        goto out;
    }
    for (unsigned t = j->first; t < s->m; t += j->step) {
        uint32_t *o = s->off + t * (nkeys + 1);
        uint8_t *p = s->pos + t * n * s->pos_w;

        for (size_t i = 0; i < n; i++)
            a[i] = (uint64_t)code_key(s->code[i], t, s->bits) << 32 | i;
        for (unsigned pass = 0, shift = 32, left = s->bits; pass < passes;
             pass++) {
            unsigned width = (left + (passes - pass) - 1) / (passes - pass);
            size_t nb = (size_t)1 << width, sum = 0;
            uint64_t mask = nb - 1, *tmp;

            memset(hist, 0, nb * sizeof(*hist));
            for (size_t i = 0; i < n; i++)
                hist[a[i] >> shift & mask]++;
            for (size_t k = 0; k < nb; k++) {
                size_t c = hist[k];
                hist[k] = sum;
                sum += c;
            }
            for (size_t i = 0; i < n; i++)
                b[hist[a[i] >> shift & mask]++] = a[i];
            tmp = a, a = b, b = tmp;
            shift += width;
            left -= width;
        }
        /* a is sorted by key: positions out, bucket starts from the runs */
        for (size_t i = 0, k = 0; i < n; i++) {
            size_t key = (size_t)(a[i] >> 32);
            while (k <= key)
                o[k++] = (uint32_t)i;
            pos_put(p, s->pos_w, i, (uint32_t)a[i]);
        }
        for (size_t k = n ? (size_t)(a[n - 1] >> 32) + 1 : 0; k <= nkeys; k++)
            o[k] = (uint32_t)n;
    }
out:
    vg_free(a);
    vg_free(b);
    vg_free(hist);
    return NULL;
}

/* The tables are independent: build them on up to MAX_BUILD_THREADS cores
 * (one thread is always the caller's). */
#define MAX_BUILD_THREADS 8

static int build_tables(struct vg__pdq_set *s)
{
    unsigned bits = table_bits(s->n), m = table_count(bits);
    size_t nkeys = (size_t)1 << bits;
    struct table_job jobs[MAX_BUILD_THREADS];
    pthread_t th[MAX_BUILD_THREADS];
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned nth = ncpu < 1                   ? 1
                   : ncpu > MAX_BUILD_THREADS ? MAX_BUILD_THREADS
                                              : (unsigned)ncpu;
    unsigned started = 1;
    int failed = 0;

    s->m = 0;
    s->bits = 0;
    if (!m)
        return VG_OK;
    s->pos_w = pos_width(s->n);
    if (!(s->off = vg_malloc_huge(m * (nkeys + 1) * sizeof(*s->off))) ||
        !(s->pos = vg_malloc_huge(m * s->n * s->pos_w + 1))) {
        vg_free_aligned(s->off);
        s->off = NULL;
        return VG_ENOMEM;
    }
    s->m = m;
    s->bits = bits;
    if (nth > m)
        nth = m;
    for (unsigned i = 0; i < nth; i++)
        jobs[i] = (struct table_job){s, i, nth, &failed};
    /* a thread that cannot start leaves its tables to the caller */
    for (; started < nth; started++)
        if (pthread_create(&th[started], NULL, build_some, &jobs[started]))
            break;
    for (unsigned i = started; i < nth; i++)
        build_some(&jobs[i]);
    build_some(&jobs[0]);
    for (unsigned i = 1; i < started; i++)
        pthread_join(th[i], NULL);
    if (failed) {
        vg_free_aligned(s->off);
        vg_free_aligned(s->pos);
        s->off = NULL;
        s->pos = NULL;
        s->m = 0;
        s->bits = 0;
        return VG_ENOMEM;
    }
    s->bytes += m * (nkeys + 1) * sizeof(uint32_t) + m * s->n * s->pos_w;
    return VG_OK;
}

static int tail_sorted_after_base(const struct vg__pdq_set *s)
{
    for (size_t i = 0; i < s->tn; i++)
        if ((i == 0 && s->n && s->tid[0] <= base_id(s, s->n - 1)) ||
            (i > 0 && s->tid[i] <= s->tid[i - 1]))
            return 0;
    return 1;
}

/* t's base from s's base and tail in id order (ids: their ids). */
static int merge(const struct vg__pdq_set *s, struct vg__pdq_set *t,
                 int64_t *ids)
{
    size_t n = t->n, i;
    struct order *ord = NULL;

    if (!tail_sorted_after_base(s)) {
        if (!(ord = vg_mallocarray(n, sizeof(*ord))))
            return VG_ENOMEM;
        for (i = 0; i < s->n; i++)
            ord[i] = (struct order){base_id(s, i), i};
        for (i = 0; i < s->tn; i++)
            ord[s->n + i] = (struct order){s->tid[i], s->n + i};
        qsort(ord, n, sizeof(*ord), order_cmp);
    }
    for (i = 0; i < n; i++) {
        size_t from = ord ? ord[i].from : i;
        int off_ = 0;

        if (from < s->n) {
            memcpy(t->code[i], s->code[from], sizeof(t->code[i]));
            ids[i] = base_id(s, from);
            t->group[i] = s->group[from];
            off_ = (int)(s->disabled[from / 64] >> (from % 64) & 1);
        } else {
            from -= s->n;
            memcpy(t->code[i], s->tcode[from], sizeof(t->code[i]));
            ids[i] = s->tid[from];
            t->group[i] = s->tgroup[from];
            off_ = s->tdisabled[from];
        }
        t->disabled[i / 64] |= (uint64_t)off_ << (i % 64);
    }
    vg_free(ord);
    return VG_OK;
}

/* t's base (no tables yet) from s's base and tail. */
static int make_base(const struct vg__pdq_set *s, struct vg__pdq_set *t)
{
    size_t n = s->n + s->tn;
    int64_t *ids = NULL;
    int rc = VG_ENOMEM;

    vg__pdq_init(t);
    if (n > UINT32_MAX)
        return VG_ETOOBIG;
    t->n = n;
    if (!(t->code = vg_malloc_huge(n * sizeof(*t->code) + 1)) ||
        !(ids = vg_mallocarray(n + 1, sizeof(*ids))) ||
        !(t->group = vg_mallocarray(n + 1, sizeof(*t->group))) ||
        !(t->disabled = vg_calloc(n / 64 + 1, sizeof(*t->disabled))) ||
        merge(s, t, ids))
        goto fail;
    if (n && (uint64_t)ids[n - 1] - (uint64_t)ids[0] <= UINT32_MAX) {
        if (!(t->id32 = vg_mallocarray(n, sizeof(*t->id32))))
            goto fail;
        for (size_t i = 0; i < n; i++)
            t->id32[i] = (uint32_t)(ids[i] - ids[0]);
    }
    t->id_base = n ? ids[0] : 0;
    if (!t->id32) {
        t->id64 = ids;
        ids = NULL;
    }
    t->bytes = n * (sizeof(*t->code) + (t->id32 ? 4 : 8) + sizeof(*t->group)) +
               (n / 64 + 1) * 8;
    rc = VG_OK;
fail:
    vg_free(ids);
    if (rc)
        vg__pdq_fini(t);
    return rc;
}

int vg__pdq_build_into(const struct vg__pdq_set *s, struct vg__pdq_set *t)
{
    int rc = make_base(s, t);

    if (!rc && (rc = build_tables(t)))
        vg__pdq_fini(t);
    return rc;
}

/* Drop the tables (the set is then scanned, still exact). */
static void free_tables(struct vg__pdq_set *s)
{
    if (!s->m)
        return;
    s->bytes -= s->m * (((size_t)1 << s->bits) + 1) * sizeof(uint32_t) +
                s->m * s->n * s->pos_w;
    vg_free_aligned(s->off);
    vg_free_aligned(s->pos);
    s->off = NULL;
    s->pos = NULL;
    s->m = s->bits = 0;
}

int vg__pdq_build(struct vg__pdq_set *s)
{
    struct vg__pdq_set t;
    int rc;

    if (!s->tn && (s->m || !table_bits(s->n)))
        return VG_OK;
    /* the old tables go first, and the old base and tail once merged, so
     * that at 100 M hashes the peak is the new set and one table's sort;
     * if the merge fails, s is whole and scanned until the next build,
     * if the tables fail, the new set is (still exact) */
    free_tables(s);
    if ((rc = make_base(s, &t)))
        return rc;
    /* the new tail starts small: a reserve for loading must not stay */
    vg__pdq_fini(s);
    *s = t;
    return build_tables(s);
}

/* ---- enabling ---- */

int vg__pdq_set_enabled(struct vg__pdq_set *s, int64_t id, int enabled)
{
    size_t lo = 0, hi = s->n;
    int found = 0;

    while (lo < hi) { /* first base position with id >= the one asked */
        size_t mid = lo + (hi - lo) / 2;
        if (base_id(s, mid) < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < s->n && base_id(s, lo) == id; lo++, found = 1) {
        if (enabled)
            s->disabled[lo / 64] &= ~(UINT64_C(1) << (lo % 64));
        else
            s->disabled[lo / 64] |= UINT64_C(1) << (lo % 64);
    }
    for (size_t i = 0; i < s->tn; i++)
        if (s->tid[i] == id) {
            s->tdisabled[i] = !enabled;
            found = 1;
        }
    return found ? VG_OK : VG_ENOENT;
}

void vg__pdq_ref(const struct vg__pdq_set *s, size_t pos,
                 struct vg__entry_ref *out)
{
    if (pos < s->n) {
        out->id = base_id(s, pos);
        out->group = s->group[pos];
        out->disabled = (int)(s->disabled[pos / 64] >> (pos % 64) & 1);
    } else {
        pos -= s->n;
        out->id = s->tid[pos];
        out->group = s->tgroup[pos];
        out->disabled = s->tdisabled[pos];
    }
}

/* ---- searching ---- */

int vg__hits_push(struct vg__hits *h, size_t pos, int dist, int variant)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        void *p = vg_realloc(h->v, cap * sizeof(*h->v));
        if (!p)
            return VG_ENOMEM;
        h->v = p;
        h->cap = cap;
    }
    h->v[h->n++] = (struct vg__index_hit){pos, dist, variant};
    return VG_OK;
}

static size_t binom_upto(unsigned n, int t)
{
    size_t sum = 0, c = 1;

    for (int k = 0; k <= t && (unsigned)k <= n; k++) {
        sum += c;
        c = c * (n - (unsigned)k) / (unsigned)(k + 1);
    }
    return sum;
}

/* Per-table thresholds with sum(t_i + 1) = r + 1; -1 skips a table. */
static void thresholds(unsigned m, int radius, int t[VG__PDQ_TABLES])
{
    int q = (radius + 1) / (int)m, rem = (radius + 1) % (int)m;

    for (unsigned i = 0; i < m; i++)
        t[i] = q + ((int)i < rem) - 1;
}

static void enum_keys(uint32_t key, unsigned from, unsigned bits, int left,
                      uint32_t *out, size_t *n)
{
    for (unsigned b = from; b < bits; b++) {
        uint32_t k = key ^ (UINT32_C(1) << b);
        out[(*n)++] = k;
        if (left > 1)
            enum_keys(k, b + 1, bits, left - 1, out, n);
    }
}

__attribute__((target_clones("popcnt", "default"))) static int
scan(uint64_t (*code)[4], size_t n, size_t pos0, const uint64_t (*q)[4],
     unsigned nq, int radius, struct vg__hits *out)
{
    for (size_t i = 0; i < n; i++)
        for (unsigned v = 0; v < nq; v++) {
            int d = dist256(code[i], q[v]);
            if (d <= radius) {
                int rc = vg__hits_push(out, pos0 + i, d, (int)v);
                if (rc)
                    return rc;
            }
        }
    return VG_OK;
}

struct cands {
    uint32_t *v;
    size_t n, cap;
};

static int cands_reserve(struct cands *c, size_t more)
{
    if (c->n + more > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        void *p;
        while (cap < c->n + more)
            cap *= 2;
        if (!(p = vg_realloc(c->v, cap * sizeof(*c->v))))
            return VG_ENOMEM;
        c->v = p;
        c->cap = cap;
    }
    return VG_OK;
}

/*
 * Gather the positions in every bucket within t[i] of the query's key in
 * every table i, in three sweeps so each miss has a sweep to arrive in:
 * the bucket starts of all probes are prefetched, then read (prefetching
 * the buckets), then the buckets are copied.  slot holds, per probe, the
 * index of its bucket start in s->off, then of its first position.
 */
static int gather(const struct vg__pdq_set *s, const uint64_t q[4],
                  const int *t, size_t *slot, uint32_t *keys, struct cands *c)
{
    size_t nkeys = (size_t)1 << s->bits, np = 0, total = 0;
    unsigned w = s->pos_w;
    uint32_t *cnt = keys; /* reused: bucket sizes once the keys are used */
    int rc;

    for (unsigned i = 0; i < s->m; i++) {
        size_t nk = 1;
        if (t[i] < 0)
            continue;
        keys[0] = code_key(q, i, s->bits);
        if (t[i] > 0)
            enum_keys(keys[0], 0, s->bits, t[i], keys, &nk);
        for (size_t k = 0; k < nk; k++) {
            slot[np] = i * (nkeys + 1) + keys[k];
            __builtin_prefetch(&s->off[slot[np++]], 0, 1);
        }
    }
    for (size_t k = 0; k < np; k++) {
        size_t tab = slot[k] / (nkeys + 1);
        uint32_t lo = s->off[slot[k]], hi = s->off[slot[k] + 1];
        slot[k] = (tab * s->n + lo) * w;
        cnt[k] = hi - lo;
        total += hi - lo;
        __builtin_prefetch(s->pos + slot[k], 0, 1);
    }
    if ((rc = cands_reserve(c, total)))
        return rc;
    for (size_t k = 0; k < np; k++)
        for (uint32_t j = 0; j < cnt[k]; j++)
            c->v[c->n++] = pos_get(s->pos + slot[k], w, j);
    return VG_OK;
}

__attribute__((target_clones("popcnt", "default"))) static int
verify(const struct vg__pdq_set *s, const struct cands *c, const uint64_t q[4],
       int variant, int radius, struct vg__hits *out)
{
    for (size_t j = 0; j < c->n; j++) {
        int d;
        if (j + PREFETCH_AHEAD < c->n)
            __builtin_prefetch(s->code[c->v[j + PREFETCH_AHEAD]], 0, 1);
        d = dist256(s->code[c->v[j]], q);
        if (d <= radius) {
            int rc = vg__hits_push(out, c->v[j], d, variant);
            if (rc)
                return rc;
        }
    }
    return VG_OK;
}

int vg__pdq_search(const struct vg__pdq_set *s, const uint64_t (*q)[4],
                   unsigned nq, int radius, int force_scan,
                   struct vg__hits *out)
{
    int t[VG__PDQ_TABLES], rc = VG_OK;
    size_t probes = 0, hits0 = out->n, *slot = NULL;
    uint32_t *keys = NULL;
    struct cands c = {0};

    if (radius < 0)
        return VG_OK;
    if ((rc = scan(s->tcode, s->tn, s->n, q, nq, radius, out)))
        return rc;
    if (s->m && !force_scan) {
        thresholds(s->m, radius, t);
        for (unsigned i = 0; i < s->m; i++) {
            probes += t[i] < 0 ? 0 : binom_upto(s->bits, t[i]);
        }
        /* a probe and its expected bucket cost about a hash read each;
         * a scan reads n hashes per query (all variants at once) */
        force_scan = (probes + (probes * s->n >> s->bits)) * nq > s->n / 2;
    }
    if (!s->m || force_scan)
        return scan(s->code, s->n, 0, q, nq, radius, out);
    if (!(keys = vg_mallocarray(probes, sizeof(*keys))) ||
        !(slot = vg_mallocarray(probes, sizeof(*slot)))) {
        vg_free(keys);
        return VG_ENOMEM;
    }
    for (unsigned v = 0; v < nq && !rc; v++) {
        c.n = 0;
        rc = gather(s, q[v], t, slot, keys, &c);
        if (!rc && c.n > s->n) {
            /* clustered data defeated the estimate: a scan is cheaper */
            out->n = hits0;
            rc = scan(s->tcode, s->tn, s->n, q, nq, radius, out);
            if (!rc)
                rc = scan(s->code, s->n, 0, q, nq, radius, out);
            break;
        }
        if (!rc)
            rc = verify(s, &c, q[v], (int)v, radius, out);
    }
    vg_free(keys);
    vg_free(slot);
    vg_free(c.v);
    return rc;
}
