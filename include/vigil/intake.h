/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Report intake with group commit (module `web`): many request threads
 * submit reports at once; one committer thread stores whatever has
 * gathered in one transaction (vg_store_reports_add) and wakes each
 * submitter with its reference once the transaction is on disk.  A
 * submitter is told "received" only after that, so a report with a
 * reference survives a crash; the cost of a disk flush is shared by the
 * batch.  A batch that fails is retried report by report, so one bad
 * report does not take the others with it.
 * Thread safety: vg_intake_submit from any number of threads.
 */
#ifndef VIGIL_INTAKE_H
#define VIGIL_INTAKE_H

#include <stddef.h>

#include "vigil/store.h"
#include "vigil/store_reports.h"

struct vg_intake;

/* max_batch: reports a transaction at most (0 = 256). */
int vg_intake_new(struct vg_store *st, size_t max_batch,
                  struct vg_intake **out);

/* Store r (blocks until durable); fills *ack.  The store's error, or
 * VG_EBUSY once vg_intake_free has begun. */
int vg_intake_submit(struct vg_intake *in, const struct vg_report_rec *r,
                     struct vg_report_ack *ack, struct vg_err *err);

struct vg_intake_stats {
    unsigned long long reports, batches;
};
void vg_intake_stats(struct vg_intake *in, struct vg_intake_stats *out);

/* Finish what was submitted, stop the committer, free. */
void vg_intake_free(struct vg_intake *in);

#endif
