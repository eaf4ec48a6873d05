/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The FAISS baseline of bench/bench_index.c: a C interface over
 * faiss::IndexBinaryMultiHash (Debian's libfaiss-dev 1.7.3, C++ only), used
 * by the benchmark and nothing else.  One lookup submits the 8 variants of
 * a query as 8 FAISS queries in one range_search call and merges the 8
 * result lists into one sorted set of ids, which is the answer the other
 * two contenders give.  FAISS runs on one OpenMP thread.
 *
 * FAISS reads each code and query with unaligned 8-byte loads that go up to
 * 6 bytes past the end of the last one (IndexBinaryMultiHash::add and
 * search_1_query_multihash), so callers pass buffers with 8 readable bytes
 * of padding.  No exception crosses into C: failures come back as -1 with a
 * message.  The C prototypes are declared in bench_index.c.
 */
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <vector>

#include <omp.h>

#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>

struct bench_faiss {
    faiss::IndexBinaryMultiHash *ix;
    std::vector<int64_t> ids; /* the last lookup's merged answer */
};

static void set_err(char *err, size_t errlen, const char *what)
{
    if (err && errlen)
        std::snprintf(err, errlen, "faiss: %s", what);
}

extern "C" struct bench_faiss *
bench_faiss_new(int bits, int nhash, int b, int nflip, char *err, size_t errlen)
{
    bench_faiss *h = nullptr;

    try {
        omp_set_num_threads(1);
        h = new bench_faiss();
        h->ix = new faiss::IndexBinaryMultiHash(bits, nhash, b);
        h->ix->nflip = nflip;
        return h;
    } catch (const std::exception &e) {
        set_err(err, errlen, e.what());
        delete h;
        return nullptr;
    }
}

extern "C" int bench_faiss_add(struct bench_faiss *h, size_t n,
                               const uint8_t *codes, char *err, size_t errlen)
{
    try {
        h->ix->add((faiss::Index::idx_t)n, codes);
        return 0;
    } catch (const std::exception &e) {
        set_err(err, errlen, e.what());
        return -1;
    }
}

extern "C" int bench_faiss_range(struct bench_faiss *h, size_t nq,
                                 const uint8_t *q, int radius,
                                 const int64_t **ids, size_t *n)
{
    try {
        faiss::RangeSearchResult res((faiss::Index::idx_t)nq);

        h->ix->range_search((faiss::Index::idx_t)nq, q, radius, &res);
        h->ids.assign(res.labels, res.labels + res.lims[nq]);
        std::sort(h->ids.begin(), h->ids.end());
        h->ids.erase(std::unique(h->ids.begin(), h->ids.end()), h->ids.end());
        *ids = h->ids.data();
        *n = h->ids.size();
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "faiss: %s\n", e.what());
        return -1;
    }
}

/*
 * What the index holds, counted from its containers (libstdc++ layout:
 * a hash node is next pointer + key + std::vector, 40 bytes, 48 with
 * malloc's header; buckets are one pointer each).
 */
extern "C" size_t bench_faiss_bytes(const struct bench_faiss *h)
{
    const size_t node = 48, mhdr = 16;
    size_t t = sizeof(*h->ix) + h->ix->storage->xb.capacity();

    for (const auto &m : h->ix->maps) {
        t += m.bucket_count() * sizeof(void *) + m.size() * node;
        for (const auto &kv : m)
            if (kv.second.capacity())
                t += kv.second.capacity() * sizeof(int64_t) + mhdr;
    }
    return t;
}

extern "C" void bench_faiss_free(struct bench_faiss *h)
{
    if (!h)
        return;
    delete h->ix;
    delete h;
}
