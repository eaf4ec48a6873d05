/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Index benchmark (bench/RESULTS.md, section "Index"): Vigil's PDQ index
 * against two baselines built in the same run over the same data, a
 * brute-force popcount scan (AVX-512 VPOPCNTDQ when the CPU has it; the
 * physical reference and the correctness oracle) and FAISS
 * IndexBinaryMultiHash (256 bits, 16 tables of 16 bits, nflip 1, range
 * search at radius 32, i.e. distance <= 31; C++ shim in
 * bench_index_faiss.cpp, built only where libfaiss-dev is installed).
 *
 * A query is 8 hashes standing for the 8 dihedral variants of an image;
 * its answer is the set of stored ids within distance 31 of any of them.
 * The three answers must be the same set for every query, else the
 * program reports the query and exits 1.  Data and queries come from one
 * fixed seed (xoshiro256** seeded by splitmix64); the generator is
 * documented in RESULTS.md and in gen_clustered() and gen_queries().
 * Timing is single-threaded; the contenders take turns in blocks of
 * queries (rotating who goes first) so that the noise of a shared machine
 * hits all of them alike, each block starting with one untimed query.
 *
 *   bench_index [--sizes 1M,10M] [--data random,clustered] [--queries N]
 *               [--block N] [--seed N] [--scan-check N]
 *               [--brute-compare N] [--faiss-queries N] [--no-faiss]
 *               [--batch N]
 *
 * FAISS needs a third of a second per query at 10 M hashes, so above 1 M
 * it is timed (and checked) on a subset of --faiss-queries queries (1,000
 * by default: every 10th group of 4 consecutive queries, so all kinds
 * are in it), and its ratio to Vigil uses Vigil's times on the same
 * queries.  Brute force and Vigil run every query.
 *
 * Batches (--batch N, 1,000 by default, 0 = none): the queries' hashes
 * taken N at a time as N single-hash queries, answered by one
 * vg_index_lookup_pdq_batch and by N vg_index_lookup_pdq one after
 * another (alternating which goes first), answers compared; and the same
 * for N / 8 queries of 8 hashes.
 */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define BENCH_X86 1
#endif

#include "vigil/algo.h"
#include "vigil/index.h"
#include "vigil/pdq.h"

#ifdef BENCH_HAVE_FAISS
/* bench_index_faiss.cpp */
struct bench_faiss;
struct bench_faiss *bench_faiss_new(int bits, int nhash, int b, int nflip,
                                    char *err, size_t errlen);
int bench_faiss_add(struct bench_faiss *h, size_t n, const uint8_t *codes,
                    char *err, size_t errlen);
int bench_faiss_range(struct bench_faiss *h, size_t nq, const uint8_t *q,
                      int radius, const int64_t **ids, size_t *n);
size_t bench_faiss_bytes(const struct bench_faiss *h);
void bench_faiss_free(struct bench_faiss *h);
#endif

#define NV 8      /* hashes per query (dihedral variants) */
#define RADIUS 31 /* match when distance <= RADIUS */

/* Clustered data: cluster sizes follow P(s) ~ s^-ZIPF_S on 1..CLUSTER_MAX
 * (mean 8.6); a member is its centre with 0..MEMBER_FLIPS bits flipped. */
#define ZIPF_S 1.7
#define CLUSTER_MAX 400
#define MEMBER_FLIPS 12

enum { M_BRUTE, M_VIGIL, M_FAISS, M_COUNT };
static const char *const method_name[M_COUNT] = {"brute force", "Vigil",
                                                 "FAISS"};

struct h256 {
    uint64_t w[4];
};

static const char *cur_data = ""; /* the dataset running, for messages */

static void die(const char *what)
{
    fprintf(stderr, "bench_index: %s\n", what);
    exit(2);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        die("out of memory");
    return p;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);

    if (!p)
        die("out of memory");
    return p;
}

static int64_t now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Resident bytes, after handing freed heap back to the kernel. */
static size_t rss_bytes(void)
{
    unsigned long size = 0, res = 0;
    FILE *f;

    malloc_trim(0);
    if (!(f = fopen("/proc/self/statm", "r")))
        return 0;
    if (fscanf(f, "%lu %lu", &size, &res) != 2)
        res = 0;
    fclose(f);
    return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

/* ---- random numbers: xoshiro256** seeded by splitmix64 ---- */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* Uniform in [0, n); the modulo bias is below 2^-40 for our n. */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
    return rng_next(r) % n;
}

static double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1p-53;
}

static void rand_hash(struct rng *r, struct h256 *h)
{
    for (int i = 0; i < 4; i++)
        h->w[i] = rng_next(r);
}

/* Flip k distinct random bits of h. */
static void flip_bits(struct rng *r, struct h256 *h, int k)
{
    struct h256 m = {{0, 0, 0, 0}};

    for (int done = 0; done < k;) {
        unsigned b = (unsigned)rng_below(r, 256);
        uint64_t bit = (uint64_t)1 << (b & 63);

        if (!(m.w[b >> 6] & bit)) {
            m.w[b >> 6] |= bit;
            done++;
        }
    }
    for (int i = 0; i < 4; i++)
        h->w[i] ^= m.w[i];
}

static int dist(const struct h256 *a, const struct h256 *b)
{
    return __builtin_popcountll(a->w[0] ^ b->w[0]) +
           __builtin_popcountll(a->w[1] ^ b->w[1]) +
           __builtin_popcountll(a->w[2] ^ b->w[2]) +
           __builtin_popcountll(a->w[3] ^ b->w[3]);
}

/* ---- data ---- */

/*
 * A stored hash is 32 bytes in Vigil's canonical form (vigil/algo.h), read
 * here as 4 native 64-bit words: Hamming distance does not depend on how
 * the 256 bits are grouped, so all three contenders see the same
 * distances (checked by check_canonical()).
 */
struct dataset {
    char name[32];
    size_t n;
    int clustered;
    struct h256 *h; /* n + 1: FAISS reads 8 bytes past the last */
    size_t nclusters, biggest;
};

static void gen_random(struct rng *r, struct dataset *d)
{
    for (size_t i = 0; i < d->n; i++)
        rand_hash(r, &d->h[i]);
}

/*
 * Clusters as real lists hold them (re-encodes, crops, resizes of one
 * image): a random centre and a Zipf-sized set of members, each the centre
 * with 0..MEMBER_FLIPS random bits flipped (uniform).  The stored order is
 * shuffled so that a cluster's ids are scattered, as additions over years
 * would leave them.
 */
static void gen_clustered(struct rng *r, struct dataset *d)
{
    double cdf[CLUSTER_MAX], tot = 0;
    size_t i = 0;

    for (int s = 1; s <= CLUSTER_MAX; s++)
        cdf[s - 1] = (tot += 1.0 / pow(s, ZIPF_S));
    for (int s = 0; s < CLUSTER_MAX; s++)
        cdf[s] /= tot;
    while (i < d->n) {
        struct h256 centre;
        double u = rng_unit(r);
        size_t lo = 0, hi = CLUSTER_MAX - 1, size;

        while (lo < hi) {
            size_t mid = (lo + hi) / 2;

            if (cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        size = lo + 1;
        if (size > d->n - i)
            size = d->n - i;
        if (size > d->biggest)
            d->biggest = size;
        d->nclusters++;
        rand_hash(r, &centre);
        for (size_t j = 0; j < size; j++, i++) {
            d->h[i] = centre;
            flip_bits(r, &d->h[i], (int)rng_below(r, MEMBER_FLIPS + 1));
        }
    }
    for (i = d->n - 1; i > 0; i--) {
        size_t j = (size_t)rng_below(r, i + 1);
        struct h256 t = d->h[i];

        d->h[i] = d->h[j];
        d->h[j] = t;
    }
}

/*
 * Queries.  Real dihedral variants of an image cannot be made from random
 * bits; like real ones (which sit ~128 bits apart) the 8 variants here are
 * independent random hashes, and a query's planted neighbour sits next to
 * one of them, chosen at random.  Kinds, by query number mod 4:
 *   0, 1  planted: a random stored hash with k bits flipped,
 *         k = floor(32 u^2) in 0..31 (skewed to small distances, as real
 *         matches are); on clustered data the stored hash is a cluster
 *         member, so the query also finds its near neighbours;
 *   2     near miss: a stored hash with 32..40 bits flipped (uniform),
 *         which must not be found (its cluster mates may be);
 *   3     no neighbour planted.
 */
struct queries {
    size_t n;
    struct h256 *v;         /* n * NV + 1 (FAISS padding) */
    struct vg_pdq_hash *pv; /* the same as vg_pdq_hash */
    size_t *src;            /* the planted neighbour's id, or SIZE_MAX */
    int *k;                 /* bits flipped from it */
};

static void gen_queries(struct rng *r, const struct dataset *d,
                        struct queries *q, size_t nq)
{
    q->n = nq;
    q->v = xcalloc(nq * NV + 1, sizeof(*q->v));
    q->pv = xmalloc(nq * NV * sizeof(*q->pv));
    q->src = xmalloc(nq * sizeof(*q->src));
    q->k = xmalloc(nq * sizeof(*q->k));
    for (size_t i = 0; i < nq; i++) {
        struct h256 *v = q->v + i * NV;
        int kind = (int)(i % 4), slot = (int)rng_below(r, NV);

        for (int j = 0; j < NV; j++)
            rand_hash(r, &v[j]);
        q->src[i] = SIZE_MAX;
        q->k[i] = -1;
        if (kind < 3) {
            double u = rng_unit(r);
            size_t s = (size_t)rng_below(r, d->n);
            int k = kind < 2 ? (int)(32 * u * u) : 32 + (int)rng_below(r, 9);

            v[slot] = d->h[s];
            flip_bits(r, &v[slot], k);
            q->src[i] = s;
            q->k[i] = k;
        }
        for (int j = 0; j < NV; j++)
            vg_pdq_from_bytes((const uint8_t *)&v[j], &q->pv[i * NV + j]);
    }
}

static void free_queries(struct queries *q)
{
    free(q->v);
    free(q->pv);
    free(q->src);
    free(q->k);
}

/* Canonical bytes -> vg_pdq_hash keeps distances: check on random pairs. */
static void check_canonical(struct rng *r)
{
    for (int i = 0; i < 1000; i++) {
        struct h256 a, b;
        struct vg_pdq_hash pa, pb;

        rand_hash(r, &a);
        b = a;
        flip_bits(r, &b, (int)rng_below(r, 257));
        vg_pdq_from_bytes((const uint8_t *)&a, &pa);
        vg_pdq_from_bytes((const uint8_t *)&b, &pb);
        if (vg_pdq_distance(&pa, &pb) != dist(&a, &b))
            die("vg_pdq_from_bytes does not keep Hamming distance");
    }
}

/* ---- growable id lists ---- */

struct idvec {
    int64_t *v;
    size_t n, cap;
};

static void idvec_push(struct idvec *a, int64_t x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 1024;
        int64_t *v = realloc(a->v, cap * sizeof(*v));

        if (!v)
            die("out of memory");
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* ---- brute force ---- */

/*
 * Blocks of 8 hashes, word-sliced so one AVX-512 register holds one word
 * of 8 hashes: hi holds words 0 and 1 (block k at hi[16k .. 16k+15]: w0 of
 * hashes 8k..8k+7, then their w1), lo words 2 and 3.  The split scan reads
 * only hi for every hash: the distance over 128 bits is a lower bound of
 * the full one, and for unrelated hashes it is <= 31 with probability
 * ~1e-9, so lo is read only for real candidates, which halves the memory
 * traffic.  The full scan reads both.  Both compare every stored hash with
 * all 8 variants; padding lanes of the last block are masked out.
 */
struct brute {
    size_t n, nblk;
    uint64_t *hi, *lo;
};

static void brute_build(struct brute *b, const struct dataset *d)
{
    b->n = d->n;
    b->nblk = (d->n + 7) / 8;
    b->hi = aligned_alloc(64, b->nblk * 128);
    b->lo = aligned_alloc(64, b->nblk * 128);
    if (!b->hi || !b->lo)
        die("out of memory");
    memset(b->hi + (b->nblk - 1) * 16, 0, 128);
    memset(b->lo + (b->nblk - 1) * 16, 0, 128);
    for (size_t i = 0; i < d->n; i++) {
        size_t k = i / 8, l = i % 8;

        b->hi[16 * k + l] = d->h[i].w[0];
        b->hi[16 * k + 8 + l] = d->h[i].w[1];
        b->lo[16 * k + l] = d->h[i].w[2];
        b->lo[16 * k + 8 + l] = d->h[i].w[3];
    }
}

/* Stored hash i, back from the word slices. */
static struct h256 brute_get(const struct brute *b, size_t i)
{
    size_t k = i / 8, l = i % 8;

    return (struct h256){{b->hi[16 * k + l], b->hi[16 * k + 8 + l],
                          b->lo[16 * k + l], b->lo[16 * k + 8 + l]}};
}

static void brute_free(struct brute *b)
{
    free(b->hi);
    free(b->lo);
}

typedef void (*brute_fn)(const struct brute *b, const struct h256 *q,
                         struct idvec *out);

/* Portable version of the split scan. */
static void brute_scalar(const struct brute *b, const struct h256 *q,
                         struct idvec *out)
{
    for (size_t i = 0; i < b->n; i++) {
        size_t k = i / 8, l = i % 8;
        uint64_t a0 = b->hi[16 * k + l], a1 = b->hi[16 * k + 8 + l];

        for (int v = 0; v < NV; v++) {
            int d = __builtin_popcountll(a0 ^ q[v].w[0]) +
                    __builtin_popcountll(a1 ^ q[v].w[1]);

            if (d > RADIUS)
                continue;
            d += __builtin_popcountll(b->lo[16 * k + l] ^ q[v].w[2]) +
                 __builtin_popcountll(b->lo[16 * k + 8 + l] ^ q[v].w[3]);
            if (d <= RADIUS) {
                idvec_push(out, (int64_t)i);
                break;
            }
        }
    }
}

#ifdef BENCH_X86
static void emit_lanes(const struct brute *b, size_t k, unsigned m,
                       struct idvec *out)
{
    if (k == b->nblk - 1 && b->n % 8)
        m &= (1u << (b->n % 8)) - 1;
    for (; m; m &= m - 1)
        idvec_push(out, (int64_t)(8 * k + (size_t)__builtin_ctz(m)));
}

#define BRUTE_TARGET __attribute__((target("avx512f,avx512vpopcntdq")))

BRUTE_TARGET
static __m512i pc2(__m512i x, __m512i q, __m512i y, __m512i r)
{
    return _mm512_add_epi64(_mm512_popcnt_epi64(_mm512_xor_si512(x, q)),
                            _mm512_popcnt_epi64(_mm512_xor_si512(y, r)));
}

BRUTE_TARGET
static void brute_full_avx512(const struct brute *b, const struct h256 *q,
                              struct idvec *out)
{
    const __m512i rad = _mm512_set1_epi64(RADIUS);
    __m512i q0[NV], q1[NV], q2[NV], q3[NV];

    for (int v = 0; v < NV; v++) {
        q0[v] = _mm512_set1_epi64((long long)q[v].w[0]);
        q1[v] = _mm512_set1_epi64((long long)q[v].w[1]);
        q2[v] = _mm512_set1_epi64((long long)q[v].w[2]);
        q3[v] = _mm512_set1_epi64((long long)q[v].w[3]);
    }
    for (size_t k = 0; k < b->nblk; k++) {
        const uint64_t *hi = b->hi + 16 * k, *lo = b->lo + 16 * k;
        __m512i x0 = _mm512_load_si512(hi), x1 = _mm512_load_si512(hi + 8);
        __m512i x2 = _mm512_load_si512(lo), x3 = _mm512_load_si512(lo + 8);
        __mmask8 m = 0;

        for (int v = 0; v < NV; v++) {
            __m512i d = _mm512_add_epi64(pc2(x0, q0[v], x1, q1[v]),
                                         pc2(x2, q2[v], x3, q3[v]));

            m |= _mm512_cmple_epu64_mask(d, rad);
        }
        if (m)
            emit_lanes(b, k, m, out);
    }
}

BRUTE_TARGET
static void brute_split_avx512(const struct brute *b, const struct h256 *q,
                               struct idvec *out)
{
    const __m512i rad = _mm512_set1_epi64(RADIUS);
    __m512i q0[NV], q1[NV];

    for (int v = 0; v < NV; v++) {
        q0[v] = _mm512_set1_epi64((long long)q[v].w[0]);
        q1[v] = _mm512_set1_epi64((long long)q[v].w[1]);
    }
    for (size_t k = 0; k < b->nblk; k++) {
        const uint64_t *hi = b->hi + 16 * k;
        __m512i x0 = _mm512_load_si512(hi), x1 = _mm512_load_si512(hi + 8);
        __mmask8 m = 0;

        for (int v = 0; v < NV; v++)
            m |= _mm512_cmple_epu64_mask(pc2(x0, q0[v], x1, q1[v]), rad);
        if (m) {
            const uint64_t *lo = b->lo + 16 * k;
            __m512i x2 = _mm512_load_si512(lo);
            __m512i x3 = _mm512_load_si512(lo + 8);
            __mmask8 f = 0;

            for (int v = 0; v < NV; v++) {
                __m512i q2 = _mm512_set1_epi64((long long)q[v].w[2]);
                __m512i q3 = _mm512_set1_epi64((long long)q[v].w[3]);
                __m512i d = _mm512_add_epi64(pc2(x0, q0[v], x1, q1[v]),
                                             pc2(x2, q2, x3, q3));

                f |= _mm512_mask_cmple_epu64_mask(m, d, rad);
            }
            if (f)
                emit_lanes(b, k, f, out);
        }
    }
}
#endif

static const char *brute_pick(brute_fn *split, brute_fn *full)
{
    *split = *full = brute_scalar;
#ifdef BENCH_X86
    if (__builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512vpopcntdq")) {
        *split = brute_split_avx512;
        *full = brute_full_avx512;
        return "AVX-512 VPOPCNTDQ";
    }
#endif
    return "scalar popcount";
}

/* ---- Vigil ---- */

static struct vg_index *vigil_build(const struct dataset *d)
{
    struct vg_index *ix = NULL;
    int rc;

    if ((rc = vg_index_new(&ix)) || (rc = vg_index_reserve(ix, d->n)) ||
        (rc = vg_index_group_set(ix, 0, RADIUS, 1)))
        goto fail;
    for (size_t i = 0; i < d->n; i++)
        if ((rc = vg_index_add(ix, VG_ALGO_PDQ, (const uint8_t *)&d->h[i], 0,
                               (int64_t)i)))
            goto fail;
    if ((rc = vg_index_build(ix)))
        goto fail;
    return ix;
fail:
    fprintf(stderr, "bench_index: Vigil index: %s\n", vg_strerror(rc));
    exit(2);
}

/* ---- one dataset ---- */

struct opts {
    size_t sizes[4], nsizes;
    int data[2], ndata;
    size_t queries, block, scan_check, brute_compare, faiss_queries, batch;
    uint64_t seed;
    int no_faiss;
};

struct lat {
    double p50, p99, mean, max;
};

struct batch_result {
    size_t nbatch, per;  /* batches timed, queries a batch */
    struct lat one, seq; /* a batch; its lookups one at a time */
};

struct result {
    char name[32];
    struct batch_result batch[2]; /* single hashes, 8-hash queries */
    size_t n;
    int have[M_COUNT];
    double build_s[M_COUNT];
    size_t rss[M_COUNT], counted[M_COUNT];
    struct lat lat[M_COUNT];
    struct lat vigil_sub;         /* Vigil on FAISS's queries */
    size_t timed[M_COUNT];        /* queries timed */
    double kind_mean[M_COUNT][3]; /* planted, near miss, none */
    double split_vs_full;         /* full scan mean / split scan mean */
    size_t matches, hit_queries, max_hits, nq;
    struct vg_index_stats vst;
    const char *brute_impl;
};

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static struct lat lat_stats(const double *t, size_t n)
{
    double *s = xmalloc(n * sizeof(*s)), sum = 0;
    struct lat l;

    memcpy(s, t, n * sizeof(*s));
    qsort(s, n, sizeof(*s), cmp_dbl);
    for (size_t i = 0; i < n; i++)
        sum += s[i];
    /* nearest rank */
    l.p50 = s[(n * 50 + 99) / 100 - 1];
    l.p99 = s[(n * 99 + 99) / 100 - 1];
    l.mean = sum / (double)n;
    l.max = s[n - 1];
    free(s);
    return l;
}

/* Results of one method for every query: ids[off[i] .. off[i] + cnt[i]). */
struct answers {
    struct idvec ids;
    size_t *off, *cnt;
};

/* FAISS runs query qi when this holds (groups of 4 keep all kinds). */
static int faiss_runs(size_t every, size_t qi)
{
    return (qi / 4) % every == 0;
}

struct ctx {
    const struct dataset *d;
    const struct queries *q;
    struct brute br;
    brute_fn split, full;
    struct vg_index *ix;
    struct vg_index_match *mb;
    size_t mbmax;
#ifdef BENCH_HAVE_FAISS
    struct bench_faiss *fx;
#endif
    const int64_t *fids;
    size_t fn;
    struct idvec scratch;
    size_t vigil_n;
    size_t bad_distance;
    size_t every; /* FAISS runs every every-th group of 4 */
    struct answers ans[M_COUNT];
    double *lat[M_COUNT]; /* per query, ns */
};

/* The timed part of one lookup. */
static void lookup(struct ctx *c, int m, size_t qi)
{
    switch (m) {
    case M_BRUTE:
        c->scratch.n = 0;
        c->split(&c->br, c->q->v + qi * NV, &c->scratch);
        break;
    case M_VIGIL:
        if (vg_index_lookup_pdq(c->ix, c->q->pv + qi * NV, NV, c->mb, c->mbmax,
                                &c->vigil_n))
            die("vg_index_lookup_pdq failed");
        break;
    default:
#ifdef BENCH_HAVE_FAISS
        if (bench_faiss_range(c->fx, NV, (const uint8_t *)(c->q->v + qi * NV),
                              RADIUS + 1, &c->fids, &c->fn))
            die("FAISS range_search failed");
#endif
        break;
    }
}

/*
 * Untimed: the lookup's answer as sorted ids in c->scratch; for Vigil also
 * check each match's distance and variant (the first with the smallest).
 */
static void collect(struct ctx *c, int m, size_t qi)
{
    const struct h256 *qv = c->q->v + qi * NV;

    if (m == M_VIGIL) {
        if (c->vigil_n > c->mbmax)
            die("more Vigil matches than the result buffer holds");
        c->scratch.n = 0;
        for (size_t i = 0; i < c->vigil_n; i++) {
            const struct vg_index_match *x = &c->mb[i];
            struct h256 h;
            int best = 257, bv = -1;

            if (x->id < 0 || (size_t)x->id >= c->d->n) {
                c->bad_distance++;
                continue;
            }
            h = brute_get(&c->br, (size_t)x->id);
            for (int v = 0; v < NV; v++) {
                int dd = dist(&qv[v], &h);

                if (dd < best) {
                    best = dd;
                    bv = v;
                }
            }
            if (x->distance != best || x->variant != bv ||
                x->algo != VG_ALGO_PDQ || x->group != 0)
                c->bad_distance++;
            idvec_push(&c->scratch, x->id);
        }
        qsort(c->scratch.v, c->scratch.n, sizeof(int64_t), cmp_i64);
    } else if (m == M_FAISS) {
        c->scratch.n = 0;
        for (size_t i = 0; i < c->fn; i++)
            idvec_push(&c->scratch, c->fids[i]);
    }
}

static void store(struct answers *a, size_t qi, const struct idvec *s)
{
    a->off[qi] = a->ids.n;
    a->cnt[qi] = s->n;
    for (size_t i = 0; i < s->n; i++)
        idvec_push(&a->ids, s->v[i]);
}

/* 1 if got differs from brute force's answer to query qi, printed when
 * fewer than 50 differences were printed before. */
static size_t report_diff(const char *who, size_t qi,
                          const struct answers *ref, const int64_t *got,
                          size_t ngot, size_t before)
{
    const int64_t *want = ref->ids.v + ref->off[qi];
    size_t nwant = ref->cnt[qi], i = 0, j = 0, shown = 0;

    if (nwant == ngot && !memcmp(want, got, ngot * sizeof(*got)))
        return 0;
    if (before >= 50)
        return 1;
    fprintf(stderr,
            "MISMATCH %s, query %zu: brute force %zu ids, %s %zu:", cur_data,
            qi, nwant, who, ngot);
    while ((i < nwant || j < ngot) && shown < 8) {
        if (j >= ngot || (i < nwant && want[i] < got[j])) {
            fprintf(stderr, " missing %lld", (long long)want[i++]);
            shown++;
        } else if (i >= nwant || got[j] < want[i]) {
            fprintf(stderr, " extra %lld", (long long)got[j++]);
            shown++;
        } else {
            i++;
            j++;
        }
    }
    fprintf(stderr, "\n");
    return 1;
}

static size_t build_all(struct ctx *c, const struct opts *o,
                        struct result *res)
{
    size_t r0;
    int64_t t0;

    /* Vigil first, whose build needs the most memory, while only the
     * data is held beside it (100 M hashes) */
    r0 = rss_bytes();
    t0 = now_ns();
    c->ix = vigil_build(c->d);
    res->build_s[M_VIGIL] = (double)(now_ns() - t0) / 1e9;
    res->rss[M_VIGIL] = rss_bytes() - r0;
    vg_index_stats(c->ix, &res->vst);
    res->counted[M_VIGIL] = res->vst.bytes;
    res->have[M_VIGIL] = 1;

    r0 = rss_bytes();
    t0 = now_ns();
    brute_build(&c->br, c->d);
    res->build_s[M_BRUTE] = (double)(now_ns() - t0) / 1e9;
    res->rss[M_BRUTE] = rss_bytes() - r0;
    res->counted[M_BRUTE] = c->br.nblk * 256;
    res->have[M_BRUTE] = 1;

#ifdef BENCH_HAVE_FAISS
    if (!o->no_faiss) {
        char err[256];

        r0 = rss_bytes();
        t0 = now_ns();
        if (!(c->fx = bench_faiss_new(256, 16, 16, 1, err, sizeof(err))) ||
            bench_faiss_add(c->fx, c->d->n, (const uint8_t *)c->d->h, err,
                            sizeof(err)))
            die(err);
        res->build_s[M_FAISS] = (double)(now_ns() - t0) / 1e9;
        res->rss[M_FAISS] = rss_bytes() - r0;
        res->counted[M_FAISS] = bench_faiss_bytes(c->fx);
        res->have[M_FAISS] = 1;
    }
#else
    (void)o;
#endif
    return 0;
}

/* Split vs full brute-force scan on the first queries, alternating. */
static void compare_scans(struct ctx *c, size_t nq, const struct answers *ref,
                          struct result *res, size_t *bad)
{
    double ts = 0, tf = 0;

    if (c->split == brute_scalar || !nq)
        return;
    for (size_t qi = 0; qi < nq; qi++) {
        for (int j = 0; j < 2; j++) {
            int full = (int)((qi + (size_t)j) % 2);
            int64_t t0;

            c->scratch.n = 0;
            t0 = now_ns();
            (full ? c->full : c->split)(&c->br, c->q->v + qi * NV,
                                        &c->scratch);
            *(full ? &tf : &ts) += (double)(now_ns() - t0);
            if (full)
                *bad += report_diff("full scan", qi, ref, c->scratch.v,
                                    c->scratch.n, *bad);
        }
    }
    res->split_vs_full = tf / ts;
}

static void make_data(const struct opts *o, struct dataset *d,
                      struct queries *q)
{
    struct rng r;
    int64_t t0 = now_ns();

    rng_seed(&r, o->seed ^ (d->n * 2 + (size_t)d->clustered));
    d->h = xcalloc(d->n + 1, sizeof(*d->h));
    if (d->clustered)
        gen_clustered(&r, d);
    else
        gen_random(&r, d);
    gen_queries(&r, d, q, o->queries);
    fprintf(stderr, "%s: data and queries in %.1f s", d->name,
            (double)(now_ns() - t0) / 1e9);
    if (d->clustered)
        fprintf(stderr, " (%zu clusters, mean %.2f, largest %zu)",
                d->nclusters, (double)d->n / (double)d->nclusters, d->biggest);
    fprintf(stderr, "\n");
}

/* The timed runs: blocks of queries, each contender in turn. */
static void run_timed(struct ctx *c, const struct opts *o,
                      const struct result *res)
{
    size_t nq = c->q->n;

    for (size_t b0 = 0, round = 0; b0 < nq; b0 += o->block, round++) {
        size_t b1 = b0 + o->block < nq ? b0 + o->block : nq;

        for (int j = 0; j < M_COUNT; j++) {
            int m = (int)((round + (size_t)j) % M_COUNT), warm = 0;

            if (!res->have[m])
                continue;
            for (size_t qi = b0; qi < b1; qi++) {
                int64_t t0;

                if (m == M_FAISS && !faiss_runs(c->every, qi))
                    continue;
                if (!warm++)
                    lookup(c, m, qi); /* warm-up, untimed */
                t0 = now_ns();
                lookup(c, m, qi);
                c->lat[m][qi] = (double)(now_ns() - t0);
                collect(c, m, qi);
                store(&c->ans[m], qi, &c->scratch);
            }
        }
        if (round % 8 == 7)
            fprintf(stderr, "%s: %zu/%zu queries\n", c->d->name, b1, nq);
    }
}

/* Every answer against brute force; the number of failures. */
static size_t verify(struct ctx *c, const struct opts *o, struct result *res)
{
    const struct answers *ref = &c->ans[M_BRUTE];
    size_t nq = c->q->n, bad = 0, bad_planted = 0;

    for (size_t qi = 0; qi < nq; qi++) {
        const int64_t *ids = ref->ids.v + ref->off[qi];
        size_t n = ref->cnt[qi];
        int64_t src = (int64_t)c->q->src[qi];

        for (int m = M_VIGIL; m < M_COUNT; m++)
            if (res->have[m] && (m != M_FAISS || faiss_runs(c->every, qi)))
                bad += report_diff(method_name[m], qi, ref,
                                   c->ans[m].ids.v + c->ans[m].off[qi],
                                   c->ans[m].cnt[qi], bad);
        if (c->q->k[qi] >= 0 && c->q->k[qi] <= RADIUS &&
            !bsearch(&src, ids, n, sizeof(*ids), cmp_i64))
            bad_planted++;
        res->matches += n;
        res->hit_queries += n > 0;
        if (n > res->max_hits)
            res->max_hits = n;
    }
    if (c->bad_distance) {
        fprintf(stderr,
                "MISMATCH %s: %zu Vigil matches with a wrong "
                "distance, variant, id or group\n",
                c->d->name, c->bad_distance);
        bad++;
    }
    if (bad_planted) {
        fprintf(stderr,
                "%s: %zu planted neighbours not found by brute "
                "force (generator bug)\n",
                c->d->name, bad_planted);
        bad++;
    }
    /* vg_index_lookup_pdq_scan, Vigil's own reference, on the first few */
    for (size_t qi = 0; qi < o->scan_check && qi < nq; qi++) {
        if (vg_index_lookup_pdq_scan(c->ix, c->q->pv + qi * NV, NV, c->mb,
                                     c->mbmax, &c->vigil_n))
            die("vg_index_lookup_pdq_scan failed");
        collect(c, M_VIGIL, qi);
        bad += report_diff("vg_index_lookup_pdq_scan", qi, ref, c->scratch.v,
                           c->scratch.n, bad);
    }
    compare_scans(c, o->brute_compare < nq ? o->brute_compare : nq, ref, res,
                  &bad);
    return bad;
}

static void latency_stats(struct ctx *c, struct result *res)
{
    size_t nq = c->q->n, k;

    for (int m = 0; m < M_COUNT; m++) {
        double sum[3] = {0, 0, 0};
        size_t cnt[3] = {0, 0, 0};

        for (size_t qi = 0; qi < nq; qi++)
            if (m != M_FAISS || faiss_runs(c->every, qi)) {
                int kind = qi % 4 < 2 ? 0 : (int)(qi % 4) - 1;

                sum[kind] += c->lat[m][qi];
                cnt[kind]++;
            }
        for (int j = 0; j < 3; j++)
            res->kind_mean[m][j] = cnt[j] ? sum[j] / (double)cnt[j] : 0;
        k = 0;
        for (size_t qi = 0; qi < nq; qi++)
            if (m != M_FAISS || faiss_runs(c->every, qi))
                c->lat[m][k++] = c->lat[m][qi];
        if (res->have[m])
            res->lat[m] = lat_stats(c->lat[m], k);
        res->timed[m] = res->have[m] ? k : 0;
    }
    /* Vigil on FAISS's queries, for the FAISS ratio */
    k = 0;
    for (size_t qi = 0; qi < nq; qi++)
        if (faiss_runs(c->every, qi))
            c->lat[M_FAISS][k++] = c->lat[M_VIGIL][qi];
    res->vigil_sub = lat_stats(c->lat[M_FAISS], k);
}

/* Batch answers against one lookup at a time: the number that differ. */
static size_t batch_diff(const struct vg_index_match *a, const size_t *na,
                         const struct vg_index_match *b, const size_t *nb,
                         size_t n, size_t max)
{
    size_t bad = 0;

    for (size_t i = 0; i < n; i++) {
        size_t k = na[i] < max ? na[i] : max;
        bad += na[i] != nb[i] ||
               memcmp(a + i * max, b + i * max, k * sizeof(*a)) != 0;
    }
    return bad;
}

#define BATCH_MAX 64 /* matches kept per query of a batch */
#define BATCH_RUNS 40

/*
 * Batches of per queries of nv hashes (nv 1: the query hashes one by one)
 * against the same lookups one at a time; alternating which goes first.
 */
static size_t run_batches(struct ctx *c, size_t per, unsigned nv,
                          struct batch_result *br)
{
    size_t hashes = c->q->n * NV, runs = hashes / (per * nv), bad = 0;
    struct vg_index_match *a = xcalloc(per * BATCH_MAX, sizeof(*a)),
                          *b = xcalloc(per * BATCH_MAX, sizeof(*b));
    size_t *na = xcalloc(per, sizeof(*na)), *nb = xcalloc(per, sizeof(*nb));
    unsigned *nq = xmalloc(per * sizeof(*nq));
    double *t1, *ts;

    if (runs > BATCH_RUNS)
        runs = BATCH_RUNS;
    if (!runs) {
        free(a), free(b), free(na), free(nb), free(nq);
        return 0;
    }
    t1 = xcalloc(runs + 1, sizeof(*t1));
    ts = xcalloc(runs + 1, sizeof(*ts));
    for (size_t i = 0; i < per; i++)
        nq[i] = nv;
    for (size_t r = 0; r < runs; r++) {
        const struct vg_pdq_hash *q = c->q->pv + r * per * nv;
        for (int j = 0; j < 2; j++) {
            int64_t t0 = now_ns();
            if ((r + (size_t)j) % 2 == 0) {
                if (vg_index_lookup_pdq_batch(c->ix, q, nv == 1 ? NULL : nq,
                                              per, a, BATCH_MAX, na))
                    die("vg_index_lookup_pdq_batch failed");
                t1[r] = (double)(now_ns() - t0);
                continue;
            }
            for (size_t i = 0; i < per; i++)
                if (vg_index_lookup_pdq(c->ix, q + i * nv, nv,
                                        b + i * BATCH_MAX, BATCH_MAX, &nb[i]))
                    die("vg_index_lookup_pdq failed");
            ts[r] = (double)(now_ns() - t0);
        }
        bad += batch_diff(a, na, b, nb, per, BATCH_MAX);
    }
    if (bad)
        fprintf(stderr, "MISMATCH %s: %zu batch answers differ\n", cur_data,
                bad);
    br->nbatch = runs;
    br->per = per;
    br->one = lat_stats(t1, runs);
    br->seq = lat_stats(ts, runs);
    free(a);
    free(b);
    free(na);
    free(nb);
    free(nq);
    free(t1);
    free(ts);
    return bad != 0;
}

/* One dataset, all contenders; the number of failed checks. */
static size_t run_dataset(const struct opts *o, struct dataset *d,
                          struct result *res)
{
    struct queries q;
    struct ctx c;
    size_t nq = o->queries, nf, bad;

    memset(&c, 0, sizeof(c));
    memset(res, 0, sizeof(*res));
    snprintf(res->name, sizeof(res->name), "%s", d->name);
    cur_data = d->name;
    res->n = d->n;
    res->nq = nq;
    make_data(o, d, &q);

    c.d = d;
    c.q = &q;
    res->brute_impl = brute_pick(&c.split, &c.full);
    c.mbmax = (size_t)1 << 16;
    c.mb = xmalloc(c.mbmax * sizeof(*c.mb));
    build_all(&c, o, res);
    free(d->h); /* the brute force's slices hold the data from here */
    d->h = NULL;
    fprintf(stderr, "%s: built (brute %.2f s, Vigil %.2f s, FAISS %.2f s)\n",
            d->name, res->build_s[M_BRUTE], res->build_s[M_VIGIL],
            res->build_s[M_FAISS]);

    nf = o->faiss_queries ? o->faiss_queries : d->n <= 1000000 ? nq : 1000;
    c.every = nf < nq ? (nq + nf - 1) / nf : 1;
    for (int m = 0; m < M_COUNT; m++) {
        c.ans[m].off = xcalloc(nq, sizeof(size_t));
        c.ans[m].cnt = xcalloc(nq, sizeof(size_t));
        c.lat[m] = xcalloc(nq, sizeof(double));
    }
    run_timed(&c, o, res);
    bad = verify(&c, o, res);
    latency_stats(&c, res);
    if (o->batch) {
        bad += run_batches(&c, o->batch, 1, &res->batch[0]);
        if (o->batch >= NV)
            bad += run_batches(&c, o->batch / NV, NV, &res->batch[1]);
    }
    fprintf(stderr, "%s: %zu matches; %s\n", d->name, res->matches,
            bad ? "MISMATCHES (see above)" : "all answers identical");

    for (int m = 0; m < M_COUNT; m++) {
        free(c.ans[m].ids.v);
        free(c.ans[m].off);
        free(c.ans[m].cnt);
        free(c.lat[m]);
    }
#ifdef BENCH_HAVE_FAISS
    bench_faiss_free(c.fx);
#endif
    vg_index_free(c.ix);
    brute_free(&c.br);
    free(c.mb);
    free(c.scratch.v);
    free_queries(&q);
    free(d->h);
    d->h = NULL;
    return bad;
}

/* ---- output ---- */

static void fmt_time(char *buf, size_t len, double ns)
{
    if (ns >= 1e9)
        snprintf(buf, len, "%.2f s", ns / 1e9);
    else if (ns >= 1e6)
        snprintf(buf, len, "%.2f ms", ns / 1e6);
    else
        snprintf(buf, len, "%.1f µs", ns / 1e3);
}

static void print_batches(const struct result *rs, size_t nres)
{
    printf("\n| data | batch of | batches | batch p50 | p99 | mean "
           "| one at a time: mean | per hash (batch mean) | speed-up |\n"
           "|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < nres; i++)
        for (int k = 0; k < 2; k++) {
            const struct batch_result *b = &rs[i].batch[k];
            char t[4][32];

            if (!b->nbatch)
                continue;
            fmt_time(t[0], sizeof(t[0]), b->one.p50);
            fmt_time(t[1], sizeof(t[1]), b->one.p99);
            fmt_time(t[2], sizeof(t[2]), b->one.mean);
            fmt_time(t[3], sizeof(t[3]), b->seq.mean);
            printf("| %s | %zu × %d hash%s | %zu | %s | %s | %s | %s "
                   "| %.1f µs | %.2f× |\n",
                   rs[i].name, b->per, k ? NV : 1, k ? "es" : "", b->nbatch,
                   t[0], t[1], t[2], t[3],
                   b->one.mean / 1e3 / (double)(b->per * (k ? NV : 1)),
                   b->seq.mean / b->one.mean);
        }
}

static void print_results(const struct result *rs, size_t nres)
{
    printf("\n| data | contender | build | memory (RSS) | per hash "
           "| queries timed | p50 | p99 | mean | queries/s "
           "| ÷ Vigil: p50, mean |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < nres; i++) {
        const struct result *r = &rs[i];

        for (int m = 0; m < M_COUNT; m++) {
            const struct lat *v = m == M_FAISS ? &r->vigil_sub
                                               : &r->lat[M_VIGIL];
            char build[32], p50[32], p99[32], mean[32], vs[64] = "—";

            if (!r->have[m])
                continue;
            fmt_time(build, sizeof(build), r->build_s[m] * 1e9);
            fmt_time(p50, sizeof(p50), r->lat[m].p50);
            fmt_time(p99, sizeof(p99), r->lat[m].p99);
            fmt_time(mean, sizeof(mean), r->lat[m].mean);
            if (m != M_VIGIL)
                snprintf(vs, sizeof(vs), "%.1f×, %.1f×",
                         r->lat[m].p50 / v->p50, r->lat[m].mean / v->mean);
            printf("| %s | %s | %s | %.0f MB | %.1f B | %zu | %s | %s | %s "
                   "| %.0f | %s |\n",
                   r->name, method_name[m], build, (double)r->rss[m] / 1e6,
                   (double)r->rss[m] / (double)r->n, r->timed[m], p50, p99,
                   mean, 1e9 / r->lat[m].mean, vs);
        }
    }
    printf("\n| data | queries | with matches | matches | most per query "
           "| Vigil bytes (stats) | tables × bits | FAISS bytes (counted) "
           "| Vigil p50, mean on FAISS's queries "
           "| full scan ÷ split scan |\n"
           "|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < nres; i++) {
        const struct result *r = &rs[i];
        char p50[32], mean[32];

        fmt_time(p50, sizeof(p50), r->vigil_sub.p50);
        fmt_time(mean, sizeof(mean), r->vigil_sub.mean);
        printf("| %s | %zu | %zu | %zu | %zu | %.0f MB (%.1f B/hash) "
               "| %u × %u | %.0f MB | %s, %s | %.2f× |\n",
               r->name, r->nq, r->hit_queries, r->matches, r->max_hits,
               (double)r->vst.bytes / 1e6, (double)r->vst.bytes / (double)r->n,
               r->vst.tables, r->vst.table_bits,
               (double)r->counted[M_FAISS] / 1e6, p50, mean, r->split_vs_full);
    }
    printf("\n| data | contender | mean: planted (50%%) | near miss (25%%) "
           "| none (25%%) |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < nres; i++)
        for (int m = 0; m < M_COUNT; m++) {
            char t[3][32];

            if (!rs[i].have[m])
                continue;
            for (int j = 0; j < 3; j++)
                fmt_time(t[j], sizeof(t[j]), rs[i].kind_mean[m][j]);
            printf("| %s | %s | %s | %s | %s |\n", rs[i].name, method_name[m],
                   t[0], t[1], t[2]);
        }
    print_batches(rs, nres);
    printf("\nbrute force: %s; latency = one query of %d hashes, "
           "single thread.\n",
           nres ? rs[0].brute_impl : "-", NV);
    fflush(stdout);
}

/* ---- options ---- */

static size_t parse_count(const char *s)
{
    char *end;
    double v = strtod(s, &end);

    if (*end == 'K' || *end == 'k')
        v *= 1e3, end++;
    else if (*end == 'M' || *end == 'm')
        v *= 1e6, end++;
    if (*end || v < 1)
        die("bad count (e.g. 1M, 10M, 50000)");
    return (size_t)v;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_index [--sizes 1M,10M] [--data random,clustered]"
            "\n       [--queries N] [--block N] [--seed N] [--scan-check N]"
            "\n       [--brute-compare N] [--faiss-queries N] [--no-faiss]"
            "\n       [--batch N]\n");
    exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
    char *list, *tok, *save;

    memset(o, 0, sizeof(*o));
    o->sizes[0] = 1000000;
    o->sizes[1] = 10000000;
    o->nsizes = 2;
    o->data[0] = 0;
    o->data[1] = 1;
    o->ndata = 2;
    o->queries = 10000;
    o->block = 250;
    o->scan_check = 20;
    o->brute_compare = 500;
    o->seed = 20240601;
    o->batch = 1000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(a, "--no-faiss")) {
            o->no_faiss = 1;
            continue;
        }
        if (!v)
            usage();
        i++;
        if (!strcmp(a, "--sizes")) {
            list = strdup(v);
            o->nsizes = 0;
            for (tok = strtok_r(list, ",", &save); tok && o->nsizes < 4;
                 tok = strtok_r(NULL, ",", &save))
                o->sizes[o->nsizes++] = parse_count(tok);
            free(list);
        } else if (!strcmp(a, "--data")) {
            list = strdup(v);
            o->ndata = 0;
            for (tok = strtok_r(list, ",", &save); tok && o->ndata < 2;
                 tok = strtok_r(NULL, ",", &save)) {
                if (strcmp(tok, "random") && strcmp(tok, "clustered"))
                    usage();
                o->data[o->ndata++] = !strcmp(tok, "clustered");
            }
            free(list);
        } else if (!strcmp(a, "--queries")) {
            o->queries = parse_count(v);
        } else if (!strcmp(a, "--block")) {
            o->block = parse_count(v);
        } else if (!strcmp(a, "--seed")) {
            o->seed = strtoull(v, NULL, 0);
        } else if (!strcmp(a, "--scan-check")) {
            o->scan_check = strtoul(v, NULL, 10);
        } else if (!strcmp(a, "--faiss-queries")) {
            o->faiss_queries = parse_count(v);
        } else if (!strcmp(a, "--batch")) {
            o->batch = strtoul(v, NULL, 10);
        } else if (!strcmp(a, "--brute-compare")) {
            o->brute_compare = strtoul(v, NULL, 10);
        } else {
            usage();
        }
    }
    if (!o->nsizes || !o->ndata)
        usage();
}

int main(int argc, char **argv)
{
    struct opts o;
    struct result res[8];
    size_t nres = 0, bad = 0;
    struct rng r;

    parse_opts(argc, argv, &o);
    rng_seed(&r, o.seed);
    check_canonical(&r);
#ifndef BENCH_HAVE_FAISS
    fprintf(stderr, "bench_index: built without FAISS (libfaiss-dev not "
                    "found)\n");
#endif
    for (size_t s = 0; s < o.nsizes; s++)
        for (int k = 0; k < o.ndata; k++) {
            struct dataset d;

            memset(&d, 0, sizeof(d));
            d.n = o.sizes[s];
            d.clustered = o.data[k];
            if (d.n % 1000000 == 0)
                snprintf(d.name, sizeof(d.name), "%zuM %s", d.n / 1000000,
                         d.clustered ? "clustered" : "random");
            else
                snprintf(d.name, sizeof(d.name), "%zu %s", d.n,
                         d.clustered ? "clustered" : "random");
            bad += run_dataset(&o, &d, &res[nres++]);
            print_results(&res[nres - 1], 1);
        }
    printf("\n## all datasets\n");
    print_results(res, nres);
    if (bad) {
        fprintf(stderr, "bench_index: %zu answers differ from brute force\n",
                bad);
        return 1;
    }
    return 0;
}
