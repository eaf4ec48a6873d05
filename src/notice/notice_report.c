/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The figures of notice and takedown per provider (vigil/notice.h): the
 * store's counts, with the median and 90th percentile time to removal, the
 * share removed within a day and the median time from a removal to the
 * material's reappearance (re-uploads).
 */
#include <math.h>

#include "vigil/alloc.h"
#include "vigil/notice.h"
#include "vigil/store_notices.h"

/* The p-th percentile (0..1) of n sorted values, nearest rank; -1 if none. */
static int64_t percentile(const int64_t *sorted, size_t n, double p)
{
    size_t rank;

    if (!n)
        return -1;
    rank = (size_t)ceil(p * (double)n);
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

int vg_notice_figures(struct vg_store *st, struct vg_notice_figures **out,
                      struct vg_err *err)
{
    struct vg_notice_figures *f = vg_calloc(1, sizeof(*f));
    int rc;

    *out = NULL;
    if (!f)
        return VG_ENOMEM;
    if ((rc = vg_store_notice_report(st, &f->report_, err)))
        goto fail;
    if (f->report_->n && !(f->v = vg_calloc(f->report_->n, sizeof(*f->v)))) {
        rc = VG_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < f->report_->n; i++) {
        const struct vg_provider_figures *r = &f->report_->v[i];
        size_t day = 0;
        for (size_t k = 0; k < r->nttr; k++)
            day += r->ttr[k] <= 86400;
        f->v[i].f = r;
        f->v[i].median_s = percentile(r->ttr, r->nttr, 0.5);
        f->v[i].p90_s = percentile(r->ttr, r->nttr, 0.9);
        f->v[i].reappear_median_s = percentile(r->reappear, r->nreappear, 0.5);
        f->v[i].removed_24h_share = r->notified
                                        ? (double)day / (double)r->notified
                                        : 0.0;
    }
    f->n = f->report_->n;
    *out = f;
    return VG_OK;
fail:
    vg_notice_figures_free(f);
    return rc;
}

void vg_notice_figures_free(struct vg_notice_figures *f)
{
    if (!f)
        return;
    vg_notice_report_free(f->report_);
    vg_free(f->v);
    vg_free(f);
}
