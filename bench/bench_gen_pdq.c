/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hashes of bench/api_bench.sh: N clustered PDQ hashes for
 * `vigil lists import --format lines --algo pdq` (64 hex digits a line),
 * and NQ query hashes ("<hex> <base64>" a line) for the hash-check API.
 *   build/release/bench_gen_pdq N NQ SEED LIST QUERIES
 *
 * The clusters are bench_index's (gen_clustered() in bench/bench_index.c):
 * Zipf-sized (P(s) ~ s^-1.7 on 1..400, mean 8.6), each member its random
 * centre with 0..12 bits flipped, the stored order shuffled; a list holds
 * a hash once, so an eighth more are drawn and the first N distinct kept
 * (a member with no bit flipped repeats its centre).  Queries
 * alternate: even lines are a random stored hash with floor(32 u^2) bits
 * flipped (0..31, skewed to small distances: within a list's default
 * distance of 31, so they match), odd lines a random hash (no match).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZIPF_S 1.7
#define CLUSTER_MAX 400
#define MEMBER_FLIPS 12

struct h256 {
    uint8_t b[32];
};

static void die(const char *what)
{
    fprintf(stderr, "bench_gen_pdq: %s\n", what);
    exit(2);
}

/* ---- xoshiro256** seeded by splitmix64, as bench_index ---- */

static uint64_t rs[4];

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
    uint64_t out = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;

    rs[2] ^= rs[0];
    rs[3] ^= rs[1];
    rs[1] ^= rs[2];
    rs[0] ^= rs[3];
    rs[2] ^= t;
    rs[3] = rotl(rs[3], 45);
    return out;
}

static uint64_t rng_below(uint64_t n)
{
    return rng_next() % n;
}

static double rng_unit(void)
{
    return (double)(rng_next() >> 11) * 0x1p-53;
}

static void rand_hash(struct h256 *h)
{
    for (int i = 0; i < 4; i++) {
        uint64_t w = rng_next();

        memcpy(h->b + 8 * i, &w, 8);
    }
}

/* Flip k distinct random bits of h. */
static void flip_bits(struct h256 *h, int k)
{
    struct h256 m;

    memset(&m, 0, sizeof(m));
    for (int done = 0; done < k;) {
        unsigned b = (unsigned)rng_below(256);
        uint8_t bit = (uint8_t)(1u << (b & 7));

        if (!(m.b[b >> 3] & bit)) {
            m.b[b >> 3] |= bit;
            done++;
        }
    }
    for (int i = 0; i < 32; i++)
        h->b[i] ^= m.b[i];
}

static size_t cluster_size(const double *cdf)
{
    double u = rng_unit();
    size_t lo = 0, hi = CLUSTER_MAX - 1;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo + 1;
}

static void gen_clustered(struct h256 *h, size_t n)
{
    double cdf[CLUSTER_MAX], tot = 0;
    size_t i = 0;

    for (int s = 1; s <= CLUSTER_MAX; s++)
        cdf[s - 1] = (tot += 1.0 / pow(s, ZIPF_S));
    for (int s = 0; s < CLUSTER_MAX; s++)
        cdf[s] /= tot;
    while (i < n) {
        struct h256 centre;
        size_t size = cluster_size(cdf);

        if (size > n - i)
            size = n - i;
        rand_hash(&centre);
        for (size_t j = 0; j < size; j++, i++) {
            h[i] = centre;
            flip_bits(&h[i], (int)rng_below(MEMBER_FLIPS + 1));
        }
    }
    for (i = n - 1; i > 0; i--) {
        size_t j = (size_t)rng_below(i + 1);
        struct h256 t = h[i];

        h[i] = h[j];
        h[j] = t;
    }
}

/* The first n distinct hashes of h[0..m), moved to the front. */
static void keep_distinct(struct h256 *h, size_t m, size_t n)
{
    size_t cap = 1, k = 0;
    uint32_t *slot;

    while (cap < 2 * m)
        cap <<= 1;
    if (!(slot = calloc(cap, sizeof(*slot))))
        die("out of memory");
    for (size_t i = 0; i < m && k < n; i++) {
        uint64_t key;
        size_t j;

        memcpy(&key, h[i].b, 8);
        for (j = (size_t)(key * 0x9e3779b97f4a7c15u >> 20) & (cap - 1);
             slot[j]; j = (j + 1) & (cap - 1))
            if (!memcmp(&h[slot[j] - 1], &h[i], sizeof(*h)))
                break;
        if (!slot[j]) {
            h[k] = h[i];
            slot[j] = (uint32_t)++k;
        }
    }
    free(slot);
    if (k < n)
        die("too few distinct hashes");
}

/* ---- output ---- */

static char *put_hex(char *p, const struct h256 *h)
{
    static const char hex[] = "0123456789abcdef";

    for (int i = 0; i < 32; i++) {
        *p++ = hex[h->b[i] >> 4];
        *p++ = hex[h->b[i] & 15];
    }
    return p;
}

static char *put_base64(char *p, const struct h256 *h)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int i;

    for (i = 0; i + 3 <= 32; i += 3) {
        uint32_t v = (uint32_t)h->b[i] << 16 | (uint32_t)h->b[i + 1] << 8 |
                     h->b[i + 2];

        for (int k = 18; k >= 0; k -= 6)
            *p++ = abc[(v >> k) & 63];
    }
    /* 32 = 30 + 2: the last two bytes, one '=' */
    uint32_t v = (uint32_t)h->b[i] << 16 | (uint32_t)h->b[i + 1] << 8;
    *p++ = abc[(v >> 18) & 63];
    *p++ = abc[(v >> 12) & 63];
    *p++ = abc[(v >> 6) & 63];
    *p++ = '=';
    return p;
}

static void write_list(const char *path, const struct h256 *h, size_t n)
{
    enum { PER = 4096 };
    static char buf[PER * 65];
    FILE *f = fopen(path, "w");

    if (!f)
        die("cannot write the list");
    for (size_t i = 0; i < n; i += PER) {
        char *p = buf;

        for (size_t j = i; j < n && j < i + PER; j++) {
            p = put_hex(p, &h[j]);
            *p++ = '\n';
        }
        if (fwrite(buf, 1, (size_t)(p - buf), f) != (size_t)(p - buf))
            die("cannot write the list");
    }
    if (fclose(f))
        die("cannot write the list");
}

static void write_queries(const char *path, const struct h256 *h, size_t n,
                          size_t nq)
{
    FILE *f = fopen(path, "w");

    if (!f)
        die("cannot write the queries");
    for (size_t i = 0; i < nq; i++) {
        char line[64 + 1 + 44 + 2], *p = line;
        struct h256 q;

        if (i % 2 == 0) {
            double u = rng_unit();

            q = h[rng_below(n)];
            flip_bits(&q, (int)floor(32 * u * u));
        } else {
            rand_hash(&q);
        }
        p = put_hex(p, &q);
        *p++ = ' ';
        p = put_base64(p, &q);
        *p++ = '\n';
        if (fwrite(line, 1, (size_t)(p - line), f) != (size_t)(p - line))
            die("cannot write the queries");
    }
    if (fclose(f))
        die("cannot write the queries");
}

int main(int argc, char **argv)
{
    size_t n, nq, m;
    uint64_t seed;
    struct h256 *h;

    if (argc != 6)
        die("usage: bench_gen_pdq N NQ SEED LIST QUERIES");
    n = strtoull(argv[1], NULL, 10);
    nq = strtoull(argv[2], NULL, 10);
    seed = strtoull(argv[3], NULL, 10);
    for (int i = 0; i < 4; i++)
        rs[i] = splitmix64(&seed);
    if (!n || n > UINT32_MAX / 2)
        die("N must be 1 to 2^31");
    m = n + n / 8 + 16;
    if (!(h = malloc(m * sizeof(*h))))
        die("out of memory");
    gen_clustered(h, m);
    keep_distinct(h, m, n);
    write_list(argv[4], h, n);
    write_queries(argv[5], h, n, nq);
    free(h);
    return 0;
}
