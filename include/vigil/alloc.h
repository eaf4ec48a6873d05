/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation wrappers.  Every allocation in Vigil goes through these so that
 * tests can make the Nth allocation fail and check that nothing leaks and
 * every error path returns VG_ENOMEM.  vg_free(NULL) is a no-op.
 * Thread safety: thread-safe; the fault-injection counter is global and meant
 * for single-threaded tests.
 */
#ifndef VIGIL_ALLOC_H
#define VIGIL_ALLOC_H

#include <stddef.h>

void *vg_malloc(size_t n);
void *vg_calloc(size_t count, size_t size); /* checks count*size overflow */
void *vg_realloc(void *p, size_t n);
/* n * size bytes, NULL on overflow or failure (a checked malloc). */
void *vg_mallocarray(size_t count, size_t size);
/* vg_realloc to count * size bytes, NULL on overflow (p then untouched). */
void *vg_reallocarray(void *p, size_t count, size_t size);
/* Cache-line (64-byte) aligned allocation; release with vg_free_aligned. */
void *vg_malloc_aligned(size_t n);
void vg_free_aligned(void *p);
/*
 * For large arrays read at random (the index): 2 MiB aligned and marked for
 * transparent huge pages, so lookups do not miss the TLB on every access.
 * Smaller sizes get vg_malloc_aligned.  Release with vg_free_aligned.
 */
void *vg_malloc_huge(size_t n);
void vg_free(void *p);
char *vg_strdup(const char *s);

/*
 * Test hook: after `n` more successful allocations, every allocation fails
 * (n < 0 disables the fault).  Returns the number of allocations made since
 * the hook was last set.
 */
long vg_alloc_fail_after(long n);

#endif
