/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sealing key's rotation (vigil/keys.h): status counted in SQL by the
 * key id each sealed blob starts with, the batches of a reseal, the
 * retirement of the older keys once no row needs them.  A row no key
 * opens is counted and left as it is: a reseal never destroys data.
 */
#include <sodium.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/keys.h"

int vg_keys_status(struct vg_sealer *s, struct vg_store *st,
                   struct vg_keys_status *out, struct vg_err *err)
{
    int64_t with, total;
    int rc = VG_OK;

    memset(out, 0, sizeof(*out));
    out->nkeys = vg_seal_ids(s, out->ids);
    for (int k = 0; !rc && k < VG_SEALED_KINDS; k++) {
        int64_t marked = 0;
        for (size_t i = 0; !rc && i < out->nkeys; i++)
            if (!(rc = vg_store_sealed_count(st, (enum vg_sealed_kind)k,
                                             out->ids[i], VG_SEAL_ID_LEN,
                                             &with, &total, err))) {
                out->rows[k][i] = with;
                out->total[k] = total;
                marked += with;
            }
        out->unmarked[k] = out->total[k] - marked;
        out->to_reseal += out->total[k] - out->rows[k][0];
    }
    return rc;
}

/* Open and seal again each row of b (fresh NULL for those no key opens). */
static int reseal_rows(struct vg_sealer *s, struct vg_sealed_blob *b, size_t n,
                       struct vg_keys_progress *p)
{
    char *plain;
    size_t len;
    int rc;

    for (size_t i = 0; i < n; i++) {
        if (vg_unseal(s, b[i].old, b[i].oldn, &plain, &len, NULL)) {
            p->unreadable++;
            continue;
        }
        rc = vg_seal(s, plain, len, &b[i].fresh, &b[i].freshn);
        sodium_memzero(plain, len);
        vg_free(plain);
        if (rc)
            return rc;
    }
    return VG_OK;
}

/* One kind's rows, batch by batch. */
static int reseal_kind(struct vg_sealer *s, struct vg_store *st,
                       enum vg_sealed_kind k, size_t batch,
                       int (*go_on)(void *ctx), void *ctx,
                       struct vg_keys_progress *p, struct vg_err *err)
{
    uint8_t ids[VG_SEAL_RING_MAX][VG_SEAL_ID_LEN];
    struct vg_sealed_blob *b = NULL;
    int64_t after = 0, done, tried;
    size_t n = 0;
    int rc = VG_OK;

    vg_seal_ids(s, ids);
    while (!rc && (!go_on || go_on(ctx))) {
        if ((rc = vg_store_sealed_batch(st, k, after, ids[0], VG_SEAL_ID_LEN,
                                        batch, &b, &n, err)) ||
            !n)
            break;
        tried = 0;
        if (!(rc = reseal_rows(s, b, n, p)))
            for (size_t i = 0; i < n; i++)
                tried += b[i].fresh != NULL;
        if (!rc && !(rc = vg_store_sealed_replace(st, k, b, n, &done, err))) {
            p->resealed += done;
            p->changed += tried - done;
            p->batches++;
            after = b[n - 1].id;
        }
        vg_sealed_blobs_free(b, n);
        b = NULL;
    }
    return rc;
}

int vg_keys_reseal(struct vg_sealer *s, struct vg_store *st, size_t batch,
                   int (*go_on)(void *ctx), void *ctx,
                   struct vg_keys_progress *p, struct vg_err *err)
{
    int rc = VG_OK;

    if (batch < 1 || batch > 10000)
        return vg_err_set(err, VG_EINVAL, "a batch of 1 to 10000 rows");
    for (int k = 0; !rc && k < VG_SEALED_KINDS; k++)
        rc = reseal_kind(s, st, (enum vg_sealed_kind)k, batch, go_on, ctx, p,
                         err);
    return rc;
}

int vg_keys_retire(struct vg_sealer *s, struct vg_store *st, const char *path,
                   struct vg_err *err)
{
    struct vg_keys_status ks;
    int rc;

    if ((rc = vg_keys_status(s, st, &ks, err)))
        return rc;
    if (ks.to_reseal)
        return vg_err_set(err, VG_EBUSY,
                          "%lld sealed rows are not under the current key:"
                          " run `vigil keys reseal` first",
                          (long long)ks.to_reseal);
    return vg_seal_retire(path, ks.ids[0], err);
}
