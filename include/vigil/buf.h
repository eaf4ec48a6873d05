/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growable byte buffer with a hard cap, and JSON string escaping into it.
 * Invariant: data is always NUL-terminated when non-NULL; len excludes it.
 * A buffer that would grow past cap fails with VG_ETOOBIG and keeps its
 * content.  Thread safety: one buffer per thread.
 */
#ifndef VIGIL_BUF_H
#define VIGIL_BUF_H

#include <stddef.h>

#include "vigil/error.h"

struct vg_buf {
    char *data;
    size_t len, alloc, cap;
};

/* Caller's storage; cap 0 means 64 MiB. */
void vg_buf_init(struct vg_buf *b, size_t cap);
void vg_buf_fini(struct vg_buf *b);
void vg_buf_reset(struct vg_buf *b);
int vg_buf_append(struct vg_buf *b, const void *data, size_t len);
int vg_buf_puts(struct vg_buf *b, const char *s);
int vg_buf_printf(struct vg_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/*
 * Append s[0..len) as a JSON string literal with its quotes.  Valid UTF-8
 * passes through; control characters, quote and backslash are escaped; each
 * byte of invalid UTF-8 becomes \udcXX (Python's "surrogateescape"), so
 * arbitrary file names round-trip.
 */
int vg_buf_json_str(struct vg_buf *b, const char *s, size_t len);

/*
 * Length of the valid UTF-8 sequence at s (1..4; n > 0 bytes available),
 * or 0 if it is not one (overlong, surrogate, above U+10FFFF, cut short).
 */
size_t vg_utf8_len(const unsigned char *s, size_t n);

/* Characters (code points) of the text s[0..n), or -1 if not valid UTF-8. */
long vg_utf8_count(const char *s, size_t n);

/*
 * How many bytes of the string s to keep to cut it to at most max bytes
 * without cutting a UTF-8 character in half ("%.*s" then prints valid
 * UTF-8 from valid UTF-8; a byte that starts no valid character counts
 * alone).
 */
size_t vg_utf8_cut(const char *s, size_t max);

#endif
