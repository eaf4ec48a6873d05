/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sealing key's rotation (vigil/keys.h, vigil/seal.h,
 * vigil/store_sealed.h), on either backend (tests/th_db.h): a rotation
 * keeps the old key behind the new one and both open data; a sealer
 * already open picks the new ring up; status counts rows by key in SQL;
 * reseal moves every row under the new key (the old key alone no longer
 * opens them), leaves a row changed meanwhile alone and a row no key
 * opens as it is; retire refuses while a row needs an older key and cuts
 * the ring once none does; data sealed before key ids opens and is
 * re-sealed too; a reseal killed with SIGKILL mid-way loses nothing and
 * a second run finishes it.  The audit key's rotation through its
 * checkpoint (vigil/store_people.h).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/alloc.h"
#include "vigil/digest.h"
#include "vigil/keyfile.h"
#include "vigil/keys.h"
#include "vigil/store_people.h"
#include "vigil/store_reports.h"
#include "vigil/store_review.h"

static char dir[] = "/tmp/vigil-keys-XXXXXX";

#define NREP 30
#define NTHUMB 5
#define NKILL 120

struct data {
    int64_t rep[NKILL], media[NTHUMB];
    int nrep;
};

static void contact_text(int i, char *buf, size_t n)
{
    snprintf(buf, n, "{\"email\":\"reporter%d@example.org\"}", i);
}

/* A report with sealed contact i; legacy: sealed as before key ids. */
static int64_t add_report(struct vg_store *st, struct vg_sealer *s, int i,
                          int legacy)
{
    char text[64];
    uint8_t *box = NULL;
    size_t n = 0;
    struct vg_report_rec r = {"web", "en", "csam", NULL, "",   NULL, NULL,
                              0,     0,    0,      NULL, NULL, 0};
    struct vg_report_ack ack = {{0}, 0, 0};

    contact_text(i, text, sizeof(text));
    if (vg_seal(s, text, strlen(text), &box, &n))
        return 0;
    r.contact = legacy ? box + VG_SEAL_ID_LEN : box;
    r.contact_len = legacy ? n - VG_SEAL_ID_LEN : n;
    if (vg_store_reports_add(st, &r, 1, &ack, NULL))
        ack.id = 0;
    vg_free(box);
    return ack.id;
}

/* A media row with sealed thumbnail i, written behind the store's back. */
static int64_t add_thumb(const char *db, struct vg_sealer *s, int i)
{
    char text[32], hex[256], sql[600];
    uint8_t *box = NULL;
    size_t n = 0;
    int pg = th_db_pg(db);

    snprintf(text, sizeof(text), "thumb-%d", i);
    if (vg_seal(s, text, strlen(text), &box, &n) || n > 100)
        return 0;
    vg_hex_encode(box, n, hex);
    vg_free(box);
    snprintf(sql, sizeof(sql),
             pg ? "INSERT INTO media (sha256, first_seen_at, review,"
                  " review_queued_at, thumbnail) VALUES ('\\x%02x', 1,"
                  " 'pending', 1, '\\x%s')"
                : "INSERT INTO media (sha256, first_seen_at, review,"
                  " review_queued_at, thumbnail) VALUES (X'%02x', 1,"
                  " 'pending', 1, X'%s')",
             i, hex);
    if (th_db_exec(db, sql) != 1)
        return 0;
    return th_db_int(db, "SELECT max(id) FROM media");
}

/* How many of d's rows s opens to what was sealed. */
static int opened(struct vg_store *st, struct vg_sealer *s,
                  const struct data *d)
{
    struct vg_report_detail *r = NULL;
    char want[64], *plain;
    uint8_t *box;
    size_t n, pn;
    int ok = 0;

    for (int i = 0; i < d->nrep; i++) {
        if (vg_store_report_get(st, d->rep[i], &r, NULL))
            continue;
        contact_text(i, want, sizeof(want));
        if (r->contact &&
            !vg_unseal(s, r->contact, r->contact_len, &plain, &pn, NULL)) {
            ok += !strcmp(plain, want);
            vg_free(plain);
        }
        vg_report_detail_free(r);
    }
    for (int i = 0; i < NTHUMB; i++) {
        if (vg_store_review_thumbnail(st, d->media[i], &box, &n, NULL))
            continue;
        snprintf(want, sizeof(want), "thumb-%d", i);
        if (!vg_unseal(s, box, n, &plain, &pn, NULL)) {
            ok += !strcmp(plain, want);
            vg_free(plain);
        }
        vg_free(box);
    }
    return ok;
}

static long long file_size(const char *path)
{
    struct stat sb;

    return stat(path, &sb) ? -1 : (long long)sb.st_size;
}

static int copy_file(const char *from, const char *to)
{
    char cmd[700];

    snprintf(cmd, sizeof(cmd), "cp -p '%s' '%s'", from, to);
    return system(cmd);
}

/* The first data: NREP contacts (2 of them sealed before key ids) and
 * NTHUMB thumbnails under the one key of s. */
static void fill(struct vg_store *st, struct vg_sealer *s, const char *db,
                 struct data *d)
{
    for (int i = 0; i < NREP; i++)
        TH_CHECK((d->rep[d->nrep++] = add_report(st, s, i, i < 2)) > 0);
    for (int i = 0; i < NTHUMB; i++)
        TH_CHECK((d->media[i] = add_thumb(db, s, i)) > 0);
}

static void test_rotate(void)
{
    char db[600], key[300], old[300];
    struct vg_store *st = NULL;
    struct vg_sealer *a = NULL, *b = NULL, *only_old = NULL;
    struct vg_keys_status ks;
    struct vg_keys_progress p = {0};
    struct vg_err err = {0};
    struct data d = {{0}, {0}, 0};
    uint8_t ids[VG_SEAL_RING_MAX][VG_SEAL_ID_LEN];
    int total = NREP + NTHUMB;

    snprintf(key, sizeof(key), "%s/rot.key", dir);
    snprintf(old, sizeof(old), "%s/rot-old.key", dir);
    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "rot.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_seal_open(key, 1, &a, &err), VG_OK);
    TH_EQ_INT(copy_file(key, old), 0);
    fill(st, a, db, &d);
    TH_EQ_INT(vg_keys_status(a, st, &ks, &err), VG_OK);
    TH_EQ_INT(ks.nkeys, 1);
    TH_EQ_INT(ks.rows[VG_SEALED_CONTACTS][0], NREP - 2);
    TH_EQ_INT(ks.unmarked[VG_SEALED_CONTACTS], 2); /* before key ids */
    TH_EQ_INT(ks.rows[VG_SEALED_THUMBNAILS][0], NTHUMB);
    TH_EQ_INT(ks.to_reseal, 2);

    /* rotate: a ring of two, the new key first; a sealer already open
     * picks it up (within a second), a new one reads it */
    TH_EQ_INT(vg_seal_rotate(key, &err), VG_OK);
    TH_EQ_INT(file_size(key), 64);
    TH_EQ_INT(vg_seal_open(key, 0, &b, &err), VG_OK);
    TH_EQ_INT(vg_seal_ids(b, ids), 2);
    nanosleep(&(struct timespec){1, 100 * 1000 * 1000}, NULL);
    TH_EQ_INT(vg_seal_ids(a, ids), 2);
    TH_EQ_INT(vg_keys_status(b, st, &ks, &err), VG_OK);
    TH_EQ_INT(ks.rows[VG_SEALED_CONTACTS][0], 0);
    TH_EQ_INT(ks.rows[VG_SEALED_CONTACTS][1], NREP - 2);
    TH_EQ_INT(ks.to_reseal, total);
    /* both keys open: old data, and new data sealed by a */
    TH_CHECK((d.rep[d.nrep] = add_report(st, a, d.nrep, 0)) > 0);
    d.nrep++;
    TH_EQ_INT(opened(st, b, &d), total + 1);
    TH_EQ_INT(opened(st, a, &d), total + 1);
    TH_EQ_INT(vg_seal_open(old, 0, &only_old, &err), VG_OK);
    TH_EQ_INT(opened(st, only_old, &d), total); /* not the new row */
    TH_EQ_INT(vg_keys_status(b, st, &ks, &err), VG_OK);
    TH_EQ_INT(ks.rows[VG_SEALED_CONTACTS][0], 1);

    /* retire refused while rows need the old key; the file untouched */
    TH_EQ_INT(vg_keys_retire(b, st, key, &err), VG_EBUSY);
    TH_CHECK(strstr(err.msg, "vigil keys reseal") != NULL);
    TH_EQ_INT(file_size(key), 64);

    /* reseal moves every row; the old key alone opens none */
    TH_EQ_INT(vg_keys_reseal(b, st, 7, NULL, NULL, &p, &err), VG_OK);
    TH_EQ_INT(p.resealed, total);
    TH_EQ_INT(p.unreadable, 0);
    TH_EQ_INT(p.batches, 5 + 1); /* 30 contacts by 7, 5 thumbnails */
    TH_EQ_INT(vg_keys_status(b, st, &ks, &err), VG_OK);
    TH_EQ_INT(ks.to_reseal, 0);
    TH_EQ_INT(ks.rows[VG_SEALED_CONTACTS][0], NREP + 1);
    TH_EQ_INT(ks.rows[VG_SEALED_THUMBNAILS][0], NTHUMB);
    TH_EQ_INT(ks.unmarked[VG_SEALED_CONTACTS], 0);
    TH_EQ_INT(opened(st, b, &d), total + 1);
    TH_EQ_INT(opened(st, only_old, &d), 0);
    /* again: nothing left to do */
    memset(&p, 0, sizeof(p));
    TH_EQ_INT(vg_keys_reseal(b, st, 7, NULL, NULL, &p, &err), VG_OK);
    TH_EQ_INT(p.resealed, 0);

    /* retire: the ring is the new key alone, and everything opens */
    TH_EQ_INT(vg_keys_retire(b, st, key, &err), VG_OK);
    TH_EQ_INT(file_size(key), 32);
    vg_seal_free(b);
    b = NULL;
    TH_EQ_INT(vg_seal_open(key, 0, &b, &err), VG_OK);
    TH_EQ_INT(vg_seal_ids(b, ids), 1);
    TH_EQ_INT(opened(st, b, &d), total + 1);
    vg_seal_free(only_old);
    vg_seal_free(a);
    vg_seal_free(b);
    vg_store_close(st);
}

/* A row changed between the read and the write is left alone; a row no
 * key opens stays as it is and keeps the old keys from retiring. */
static void test_changed_and_unreadable(void)
{
    char db[600], key[300], other[300], sql[200];
    struct vg_store *st = NULL;
    struct vg_sealer *s = NULL, *x = NULL;
    struct vg_sealed_blob *b = NULL;
    struct vg_keys_progress p = {0};
    struct vg_keys_status ks;
    struct vg_err err = {0};
    uint8_t ids[VG_SEAL_RING_MAX][VG_SEAL_ID_LEN];
    int64_t first, done = 0;
    size_t n = 0;

    snprintf(key, sizeof(key), "%s/chg.key", dir);
    snprintf(other, sizeof(other), "%s/other.key", dir);
    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "chg.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_seal_open(key, 1, &s, &err), VG_OK);
    TH_EQ_INT(vg_seal_open(other, 1, &x, &err), VG_OK);
    TH_CHECK((first = add_report(st, s, 0, 0)) > 0);
    for (int i = 1; i < 4; i++)
        TH_CHECK(add_report(st, s, i, 0) > 0);
    TH_CHECK(add_report(st, x, 9, 0) > 0); /* under a key not in the file */
    TH_EQ_INT(vg_seal_rotate(key, &err), VG_OK);
    vg_seal_free(s);
    TH_EQ_INT(vg_seal_open(key, 0, &s, &err), VG_OK);
    vg_seal_ids(s, ids);

    TH_EQ_INT(vg_store_sealed_batch(st, VG_SEALED_CONTACTS, 0, ids[0],
                                    VG_SEAL_ID_LEN, 100, &b, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 5);
    for (size_t i = 0; i < 4; i++)
        TH_EQ_INT(vg_seal(s, "{}", 2, &b[i].fresh, &b[i].freshn), VG_OK);
    /* the first erased meanwhile (a reporter's request) */
    snprintf(sql, sizeof(sql),
             "UPDATE reports SET reporter_contact = NULL WHERE id = %lld",
             (long long)first);
    TH_EQ_INT(th_db_exec(db, sql), 1);
    TH_EQ_INT(vg_store_sealed_replace(st, VG_SEALED_CONTACTS, b, n, &done,
                                      &err),
              VG_OK);
    TH_EQ_INT(done, 3);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM reports WHERE id = %lld AND"
             " reporter_contact IS NULL",
             (long long)first);
    TH_EQ_INT(th_db_int(db, sql), 1); /* not brought back */
    vg_sealed_blobs_free(b, n);

    TH_EQ_INT(vg_keys_reseal(s, st, 10, NULL, NULL, &p, &err), VG_OK);
    TH_EQ_INT(p.resealed, 0);
    TH_EQ_INT(p.unreadable, 1);
    TH_EQ_INT(vg_keys_status(s, st, &ks, &err), VG_OK);
    TH_EQ_INT(ks.total[VG_SEALED_CONTACTS], 4);
    TH_EQ_INT(ks.unmarked[VG_SEALED_CONTACTS], 1);
    TH_EQ_INT(ks.to_reseal, 1);
    TH_EQ_INT(vg_keys_retire(s, st, key, &err), VG_EBUSY);
    TH_EQ_INT(file_size(key), 64);
    vg_seal_free(s);
    vg_seal_free(x);
    vg_store_close(st);
}

/* The child: reseal one row per transaction, a byte down fd per batch. */
static int tell(void *ctx)
{
    int fd = *(int *)ctx;

    return write(fd, "b", 1) == 1;
}

static void reseal_child(const char *db, const char *key, int fd)
{
    struct vg_store *st = NULL;
    struct vg_sealer *s = NULL;
    struct vg_keys_progress p = {0};

    if (vg_store_open(db, NULL, &st, NULL) || vg_seal_open(key, 0, &s, NULL))
        _exit(3);
    vg_keys_reseal(s, st, 1, tell, &fd, &p, NULL);
    _exit(0);
}

static void test_kill(void)
{
    char db[600], key[300], c;
    struct vg_store *st = NULL;
    struct vg_sealer *s = NULL;
    struct vg_keys_status ks;
    struct vg_keys_progress p = {0};
    struct vg_err err = {0};
    struct data d = {{0}, {0}, 0};
    int fds[2], status = 0, got = 0;
    pid_t pid;

    snprintf(key, sizeof(key), "%s/kill.key", dir);
    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "kill.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_seal_open(key, 1, &s, &err), VG_OK);
    for (int i = 0; i < NKILL; i++)
        TH_CHECK((d.rep[i] = add_report(st, s, i, 0)) > 0);
    d.nrep = NKILL;
    TH_EQ_INT(vg_seal_rotate(key, &err), VG_OK);
    vg_seal_free(s);
    TH_EQ_INT(vg_seal_open(key, 0, &s, &err), VG_OK);
    TH_EQ_INT(pipe(fds), 0);
    fflush(NULL);
    if (!(pid = fork())) {
        close(fds[0]);
        reseal_child(db, key, fds[1]);
    }
    close(fds[1]);
    /* killed after its 40th batch began: mid-transaction, most likely */
    while (got < 40 && read(fds[0], &c, 1) == 1)
        got++;
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    close(fds[0]);
    TH_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    TH_EQ_INT(vg_keys_status(s, st, &ks, &err), VG_OK);
    TH_CHECK(ks.rows[VG_SEALED_CONTACTS][0] >= 38);
    TH_CHECK(ks.rows[VG_SEALED_CONTACTS][0] < NKILL);
    TH_EQ_INT(ks.total[VG_SEALED_CONTACTS], NKILL);
    /* every row opens, under one key or the other; then a second run */
    TH_EQ_INT(opened(st, s, &d), d.nrep);
    TH_EQ_INT(vg_keys_reseal(s, st, 50, NULL, NULL, &p, &err), VG_OK);
    TH_EQ_INT(p.resealed, NKILL - ks.rows[VG_SEALED_CONTACTS][0]);
    TH_EQ_INT(vg_keys_status(s, st, &ks, &err), VG_OK);
    TH_EQ_INT(ks.to_reseal, 0);
    TH_EQ_INT(vg_keys_retire(s, st, key, &err), VG_OK);
    vg_seal_free(s);
    TH_EQ_INT(vg_seal_open(key, 0, &s, &err), VG_OK);
    TH_EQ_INT(opened(st, s, &d), d.nrep);
    vg_seal_free(s);
    vg_store_close(st);
}

/* Open db keyed with the audit key file key (made if missing). */
static struct vg_store *keyed_store(const char *db, const char *key)
{
    struct vg_store *st = NULL;

    if (vg_store_open(db, NULL, &st, NULL))
        return NULL;
    if (vg_store_audit_key(st, key, 1, NULL, NULL)) {
        vg_store_close(st);
        return NULL;
    }
    return st;
}

static int add_audit(struct vg_store *st, int i)
{
    char detail[32];

    snprintf(detail, sizeof(detail), "record %d", i);
    return vg_store_audit_append(st, 0, "test.action", "test", i, detail,
                                 NULL);
}

/*
 * The audit key rotated by one store while another (a running server)
 * holds the old key: the checkpoint verifies the records before it, the
 * other store reads the new key before its next append, a store with only
 * the old key is refused, and a record changed after the rotation shows.
 */
static void test_audit_rotate(void)
{
    char db[600], key[300], old[300], sql[200];
    struct vg_store *a = NULL, *serve = NULL, *stale = NULL;
    struct vg_audit_verdict v;
    struct vg_err err = {0};
    uint8_t fresh[32];
    int64_t at = 0;

    snprintf(key, sizeof(key), "%s/audit.key", dir);
    snprintf(old, sizeof(old), "%s/audit-old.key", dir);
    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "audit.db"), 0);
    TH_CHECK((a = keyed_store(db, key)) != NULL);
    TH_CHECK((serve = keyed_store(db, key)) != NULL);
    for (int i = 1; i <= 3; i++)
        TH_EQ_INT(add_audit(i == 2 ? serve : a, i), VG_OK);
    TH_EQ_INT(copy_file(key, old), 0);

    /* rotate as `vigil keys rotate audit` does: the log, then the file */
    TH_EQ_INT(vg_keyfile_random(fresh, sizeof(fresh), &err), VG_OK);
    TH_EQ_INT(vg_store_audit_rotate(a, fresh, &at, &err), VG_OK);
    TH_EQ_INT(at, 4);
    TH_EQ_INT(vg_keyfile_write(key, fresh, sizeof(fresh), &err), VG_OK);
    TH_EQ_INT(add_audit(a, 5), VG_OK);
    TH_EQ_INT(add_audit(serve, 6), VG_OK); /* it read the new key */
    TH_EQ_INT(vg_store_audit_verify(a, &v, &err), VG_OK);
    TH_EQ_INT(v.count, 6);
    TH_EQ_INT(v.keyed_from, 1);
    TH_EQ_INT(v.rotated_at, 4);
    TH_EQ_INT(v.unchecked, 0);
    /* a second rotation: the first checkpoint is checked through it */
    TH_EQ_INT(vg_keyfile_random(fresh, sizeof(fresh), &err), VG_OK);
    TH_EQ_INT(vg_store_audit_rotate(serve, fresh, &at, &err), VG_OK);
    TH_EQ_INT(at, 7);
    TH_EQ_INT(vg_keyfile_write(key, fresh, sizeof(fresh), &err), VG_OK);
    TH_EQ_INT(add_audit(a, 8), VG_OK);
    TH_EQ_INT(vg_store_audit_verify(a, &v, &err), VG_OK);
    TH_EQ_INT(v.count, 8);
    TH_EQ_INT(v.rotated_at, 7);

    /* only the old key: appending is refused, and verify fails */
    TH_CHECK((stale = keyed_store(db, old)) != NULL);
    TH_EQ_INT(add_audit(stale, 9), VG_EACCES);
    TH_EQ_INT(vg_store_audit_verify(stale, &v, &err), VG_ECORRUPT);
    vg_store_close(stale);

    /* a record before the checkpoints changed behind the store's back */
    TH_CHECK(th_db_exec(db, th_db_pg(db)
                                ? "ALTER TABLE audit_log DISABLE TRIGGER"
                                  " audit_log_append_only"
                                : "DROP TRIGGER audit_log_no_update") >= 0);
    snprintf(sql, sizeof(sql),
             "UPDATE audit_log SET detail = 'record X' WHERE id = 2");
    TH_EQ_INT(th_db_exec(db, sql), 1);
    TH_EQ_INT(vg_store_audit_verify(a, &v, &err), VG_ECORRUPT);
    TH_EQ_INT(v.bad, 7);
    vg_store_close(a);
    vg_store_close(serve);
}

int main(void)
{
    char cmd[300];
    int status;

    if (!mkdtemp(dir))
        return 1;
    TH_RUN(test_rotate);
    TH_RUN(test_changed_and_unreadable);
    TH_RUN(test_kill);
    TH_RUN(test_audit_rotate);
    status = th_done();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) ? 1 : status;
}
