/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation wrappers with a fault-injection hook for tests
 * (include/vigil/alloc.h).  The counter is atomic so that the hook is safe,
 * if not deterministic, when threads allocate.
 */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vigil/alloc.h"

static atomic_long fail_after = -1;
static atomic_long counted;

static int should_fail(void)
{
    long n = atomic_load(&fail_after);

    atomic_fetch_add(&counted, 1);
    if (n < 0)
        return 0;
    if (n == 0)
        return 1;
    atomic_fetch_sub(&fail_after, 1);
    return 0;
}

long vg_alloc_fail_after(long n)
{
    long c = atomic_exchange(&counted, 0);

    atomic_store(&fail_after, n);
    return c;
}

void *vg_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *vg_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *vg_mallocarray(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return vg_malloc(count * size);
}

void *vg_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void *vg_reallocarray(void *p, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return vg_realloc(p, count * size);
}

void *vg_malloc_aligned(size_t n)
{
    void *p = NULL;

    if (should_fail())
        return NULL;
    n = (n + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, n ? n : 64))
        return NULL;
    return p;
}

void *vg_malloc_huge(size_t n)
{
    const size_t huge = (size_t)2 << 20;
    void *p = NULL;

    if (n < huge)
        return vg_malloc_aligned(n);
    if (should_fail())
        return NULL;
    n = (n + huge - 1) & ~(huge - 1);
    if (posix_memalign(&p, huge, n))
        return NULL;
#ifdef MADV_HUGEPAGE
    /* a hint: without transparent huge pages the memory still works */
    (void)madvise(p, n, MADV_HUGEPAGE);
#endif
    return p;
}

void vg_free_aligned(void *p)
{
    free(p);
}

void vg_free(void *p)
{
    free(p);
}

char *vg_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = vg_malloc(n);

    if (d)
        memcpy(d, s, n);
    return d;
}
