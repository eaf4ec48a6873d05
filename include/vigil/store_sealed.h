/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store (vigil/store.h): what is sealed at rest (vigil/seal.h), seen
 * as blobs for the sealing key's rotation (vigil/keys.h).  Two kinds: the
 * reporters' contact details (reports.reporter_contact) and the review
 * thumbnails (media.thumbnail).  A sealed blob starts with its key's id,
 * so the rows under a key are counted in SQL (substr of the blob), and a
 * row is replaced only if its blob is still what was read: a row changed
 * or erased meanwhile is left alone.  Thread safe as the store is.
 */
#ifndef VIGIL_STORE_SEALED_H
#define VIGIL_STORE_SEALED_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/store.h"

enum vg_sealed_kind { VG_SEALED_CONTACTS, VG_SEALED_THUMBNAILS };
#define VG_SEALED_KINDS 2

/* "contacts", "thumbnails" */
const char *vg_sealed_kind_name(enum vg_sealed_kind k);

/*
 * Rows of kind with a sealed blob (*total) and, of them, those whose blob
 * starts with the idn bytes of id (*with; id NULL: 0).
 */
int vg_store_sealed_count(struct vg_store *st, enum vg_sealed_kind k,
                          const uint8_t *id, size_t idn, int64_t *with,
                          int64_t *total, struct vg_err *err);

/* A row's sealed blob as read, and what is to replace it. */
struct vg_sealed_blob {
    int64_t id;
    uint8_t *old, *fresh; /* vg_free'd by vg_sealed_blobs_free */
    size_t oldn, freshn;
};

/*
 * Up to limit rows of kind after row id after, in id order, whose blob
 * does not start with the idn bytes of id: *out (free with
 * vg_sealed_blobs_free, fresh NULL), *n of them (0: none left, *out
 * NULL).
 */
int vg_store_sealed_batch(struct vg_store *st, enum vg_sealed_kind k,
                          int64_t after, const uint8_t *id, size_t idn,
                          size_t limit, struct vg_sealed_blob **out, size_t *n,
                          struct vg_err *err);

/*
 * In one write transaction, set each row's blob to fresh where it still
 * is old (rows with fresh NULL are skipped); *replaced says how many
 * were.  All or none: an error rolls the batch back.
 */
int vg_store_sealed_replace(struct vg_store *st, enum vg_sealed_kind k,
                            const struct vg_sealed_blob *b, size_t n,
                            int64_t *replaced, struct vg_err *err);

void vg_sealed_blobs_free(struct vg_sealed_blob *b, size_t n);

#endif
