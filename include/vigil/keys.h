/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sealing key's rotation (module `web`, docs/OPERATIONS.md, section 9):
 * after `vigil keys rotate seal` put a new key at the front of the key
 * file's ring (vigil/seal.h), what the older keys sealed is opened and
 * sealed again under the new one, in batches, each one write transaction
 * that replaces a row only if it is unchanged since it was read
 * (vigil/store_sealed.h): a kill at any point loses nothing, and the next
 * run goes on where it stopped.  Once no row needs an older key, the ring
 * is cut to the current key (retire).  Thread safe as the sealer and the
 * store are.
 */
#ifndef VIGIL_KEYS_H
#define VIGIL_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/error.h"
#include "vigil/seal.h"
#include "vigil/store.h"
#include "vigil/store_sealed.h"

/* Where the sealed rows stand. */
struct vg_keys_status {
    size_t nkeys; /* keys in the ring, the current one first */
    uint8_t ids[VG_SEAL_RING_MAX][VG_SEAL_ID_LEN];
    /* rows of each kind under each key of the ring */
    int64_t rows[VG_SEALED_KINDS][VG_SEAL_RING_MAX];
    /* rows under no key id of the ring: sealed before key ids, or under a
     * key that is no longer in the ring (then they cannot be opened) */
    int64_t unmarked[VG_SEALED_KINDS];
    int64_t total[VG_SEALED_KINDS];
    int64_t to_reseal; /* rows of any kind not under the current key */
};

int vg_keys_status(struct vg_sealer *s, struct vg_store *st,
                   struct vg_keys_status *out, struct vg_err *err);

struct vg_keys_progress {
    int64_t resealed;   /* rows now under the current key */
    int64_t unreadable; /* rows no key of the ring opens (left as they are) */
    int64_t changed;    /* rows changed or erased meanwhile (left alone) */
    int64_t batches;
};

/*
 * Seal again, batch rows at a time (1 to 10000), every row not under the
 * current key, contact details first, then thumbnails; go_on (NULL:
 * always) is asked before each batch and stops the run when it returns 0.
 * *p adds what was done (zero it first).  VG_OK (also when stopped), or
 * the store's error (the batch under way rolled back).
 */
int vg_keys_reseal(struct vg_sealer *s, struct vg_store *st, size_t batch,
                   int (*go_on)(void *ctx), void *ctx,
                   struct vg_keys_progress *p, struct vg_err *err);

/*
 * Cut the ring of key file path (the one s was opened on) to its current
 * key, if no row is under another key or none: VG_EBUSY otherwise (err
 * says how many rows), or the errors of vg_seal_retire.
 */
int vg_keys_retire(struct vg_sealer *s, struct vg_store *st, const char *path,
                   struct vg_err *err);

#endif
