/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil db backup`, `restore` and `verify` (vigil/store_backup.h): a
 * backup written to a temporary name, synced, then renamed into place;
 * a restore into an empty target, then verified; a verification of the
 * database's integrity, its rows and its audit chain.  The sealing key
 * and the audit key are never in a backup: the backup says where they
 * are, to be kept apart (docs/OPERATIONS.md, section 5, says why).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/digest.h"
#include "vigil/runtime.h"
#include "vigil/store_backup.h"
#include "vigil/store_db.h"
#include "vigil/store_people.h"

#define PATH_CAP 4096

static int say(const char *what, int rc, const struct vg_err *err)
{
    vg_cli_errorf("db: %s: %s", what,
                  err->msg[0] ? err->msg : vg_strerror(rc));
    return rc;
}

/* fsync path (a file, or a folder): 0, or -1 (said). */
static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

    if (fd < 0) {
        vg_cli_errorf("db: %s: %s", path, strerror(errno));
        return -1;
    }
    rc = fsync(fd);
    close(fd);
    if (rc)
        vg_cli_errorf("db: %s: cannot sync it: %s", path, strerror(errno));
    return rc ? -1 : 0;
}

/* The folder of path, synced (a rename lasts once its folder is). */
static int sync_dir_of(const char *path)
{
    char *copy = vg_strdup(path);
    int rc = copy ? sync_path(dirname(copy)) : -1;

    vg_free(copy);
    return rc;
}

/* tmp, synced, becomes path: replacing one only when force (else link,
 * which fails on an existing name).  0, or -1 (said; tmp removed). */
static int put_in_place(const char *tmp, const char *path, int force)
{
    int rc = sync_path(tmp);

    if (!rc && (force ? rename(tmp, path) : link(tmp, path))) {
        vg_cli_errorf("db: %s: %s%s", path, strerror(errno),
                      errno == EEXIST ? " (give --force to replace it)" : "");
        rc = -1;
    }
    unlink(tmp); /* after a rename: gone already */
    return rc || sync_dir_of(path) ? -1 : 0;
}

/* Rows by table, and the audit log's head: what a backup holds. */
static int describe(struct vg_store *st)
{
    struct vg_audit_head h;
    struct vg_err err = {0};
    char mac[2 * VG_AUDIT_MAC_LEN + 1];
    int64_t n = 0, total = 0;
    const char *t;
    int v = 0, rc;

    if ((rc = vg_store_schema_version(st, &v, &err)))
        return say("backup", rc, &err);
    printf("schema version %d\nrows:\n", v);
    for (int i = 0; (t = vg_store_table(i)); i++) {
        if ((rc = vg_store_rows(st, t, &n, &err)) == VG_ENOENT)
            continue;
        if (rc)
            return say("backup", rc, &err);
        printf("  %-20s %lld\n", t, (long long)n);
        total += n;
    }
    printf("  %-20s %lld\n", "total", (long long)total);
    if ((rc = vg_store_audit_head(st, &h, &err)))
        return say("backup", rc, &err);
    vg_hex_encode(h.mac, VG_AUDIT_MAC_LEN, mac);
    if (h.seq)
        printf("audit head in the backup: %lld:%s\n", (long long)h.seq, mac);
    else
        printf("audit head in the backup: none (the audit log is empty)\n");
    return VG_OK;
}

static int open_store(const char *url, int create, struct vg_store **st)
{
    struct vg_err err = {0};
    int rc = vg_store_open_as_is(url, create, st, &err);

    return rc ? say("open", rc, &err) : VG_OK;
}

static int backup_lite(const char *url, const char *tmp)
{
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    int rc = vg_store_backup_sqlite(url, tmp, 256, &err);

    if (rc)
        return say("backup", rc, &err);
    if (!(rc = open_store(tmp, 0, &st)))
        rc = describe(st);
    vg_store_close(st);
    return rc;
}

/* pg_dump of the snapshot the rows are counted in. */
static int backup_pg(const char *url, const char *tmp)
{
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    char snap[128], snaparg[160], filearg[PATH_CAP + 8];
    char *argv[] = {"pg_dump", "--format=custom", snaparg, filearg, NULL};
    int fd, rc;

    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
        vg_cli_errorf("db: %s: %s", tmp, strerror(errno));
        return VG_EIO;
    }
    close(fd);
    snprintf(filearg, sizeof(filearg), "--file=%s", tmp);
    if ((rc = open_store(url, 0, &st)))
        return rc;
    if ((rc = vg_store_snapshot_begin(st, snap, sizeof(snap), &err))) {
        vg_store_close(st);
        return say("backup", rc, &err);
    }
    snprintf(snaparg, sizeof(snaparg), "--snapshot=%s", snap);
    if ((rc = vg_store_pg_tool(url, argv, &err)))
        say("backup", rc, &err);
    else
        rc = describe(st);
    vg_store_snapshot_end(st);
    vg_store_close(st);
    return rc;
}

/* Where the keys are, and that they are not in the backup. */
static void keys_reminder(const char *url)
{
    const char *ek = getenv("VIGIL_AUDIT_KEY");
    char seal[PATH_CAP], audit[PATH_CAP];
    int pg = vg_store_url_is_pg(url);

    if (pg || vg_runtime_key_file(url, seal, sizeof(seal)))
        snprintf(seal, sizeof(seal), "no default on PostgreSQL");
    if (ek && *ek)
        snprintf(audit, sizeof(audit), "%s", ek);
    else if (pg ||
             vg_runtime_file_beside(url, ".audit-key", audit, sizeof(audit)))
        snprintf(audit, sizeof(audit), "$VIGIL_AUDIT_KEY");
    printf("NOT in the backup, on purpose: the sealing key (vigil serve's"
           " --key-file: %s)\nand the audit key (--audit-key: %s).\n"
           "Back them up separately, not beside this file: with the backup"
           " they open reporters'\ncontact details and let one rewrite the"
           " audit log; without them the backup's contact\ndetails cannot"
           " be opened and its audit log cannot be verified.\n",
           seal, audit);
}

/* Is the SQLite database at url the file sb describes? */
static int same_file(const char *url, const struct stat *sb)
{
    struct stat db;

    return !vg_store_url_is_pg(url) && !stat(vg_store_url_path(url), &db) &&
           db.st_dev == sb->st_dev && db.st_ino == sb->st_ino;
}

int vg_cli_db_backup(const struct vg_cli_db_opts *o)
{
    char *def = o->db ? NULL : vg_store_default_url(), tmp[PATH_CAP],
         masked[1024];
    const char *url = o->db ? o->db : def;
    struct stat sb;
    int rc = VG_EXIT_FAIL;

    if (!url) {
        vg_cli_errorf("db: no --db given and no default (set VIGIL_DB or "
                      "HOME)");
        return VG_EXIT_FAIL;
    }
    if (!stat(o->to, &sb) && (!o->force || same_file(url, &sb))) {
        vg_cli_errorf("db: %s exists: %s", o->to,
                      o->force ? "it is the database itself"
                               : "give --force to replace it");
        goto out;
    }
    if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", o->to, (long)getpid()) >=
        (int)sizeof(tmp))
        goto out;
    printf("backup of %s (%s) to %s\n",
           vg_store_url_mask(url, masked, sizeof(masked)),
           vg_store_url_is_pg(url) ? "postgresql, pg_dump --format=custom"
                                   : "sqlite",
           o->to);
    if ((vg_store_url_is_pg(url) ? backup_pg(url, tmp)
                                 : backup_lite(url, tmp))) {
        unlink(tmp);
        goto out;
    }
    if (put_in_place(tmp, o->to, o->force))
        goto out;
    printf("written and synced: %s\n", o->to);
    keys_reminder(url);
    rc = VG_EXIT_OK;
out:
    vg_free(def);
    return rc;
}

/* ---- verify ---- */

static void problem(void *ctx, const char *what)
{
    (void)ctx;
    printf("  PROBLEM: %s\n", what);
}

/* The audit chain under key: 0, or -1 (said). */
static int verify_chain(struct vg_store *st, const char *key)
{
    struct vg_audit_verdict v;
    struct vg_err err = {0};
    int rc = vg_store_audit_key(st, key, 0, NULL, &err);

    if (rc == VG_ENOENT)
        rc = VG_OK; /* unkeyed: said if records are keyed */
    if (!rc && !(rc = vg_store_audit_verify(st, &v, &err)) && v.unchecked)
        rc = vg_err_set(&err, VG_EACCES,
                        "the audit log is keyed from record %lld and its"
                        " key is not at %s: give --audit-key",
                        (long long)v.keyed_from, key);
    if (rc) {
        printf("audit log: FAILED\n");
        say("verify: audit log", rc, &err);
        return -1;
    }
    printf("audit log intact: %lld records", (long long)v.count);
    if (v.keyed_from)
        printf(", MACs checked from record %lld under %s",
               (long long)v.keyed_from, key);
    printf("\n");
    return 0;
}

/* Schema, integrity and rows: how many checks failed (said). */
static int verify_store(struct vg_store *st, int quick)
{
    struct vg_err err = {0};
    int64_t problems = 0, n = 0;
    const char *t;
    int v = 0, failed = 0, rc;

    if ((rc = vg_store_schema_version(st, &v, &err)))
        return say("verify: schema", rc, &err), 1;
    printf("schema: version %d (this vigil knows up to %d)\n", v,
           vg_store_schema_latest());
    if (!v) {
        vg_cli_errorf("db: verify: no Vigil schema (version 0): an empty"
                      " database");
        failed++;
    } else if (v > vg_store_schema_latest()) {
        vg_cli_errorf("db: verify: the schema is newer than this vigil");
        failed++;
    }
    if (!strcmp(vg_store_backend(st), "sqlite")) {
        printf("integrity (%s, foreign_key_check):\n",
               quick ? "quick_check" : "integrity_check");
        if ((rc = vg_store_integrity(st, quick, problem, NULL, &problems,
                                     &err)))
            failed++, say("verify: integrity", rc, &err);
        else if (problems)
            failed++, vg_cli_errorf("db: verify: %lld integrity problems",
                                    (long long)problems);
        else
            printf("  ok\n");
    }
    printf("rows (each table read):\n");
    for (int i = 0; (t = vg_store_table(i)); i++) {
        if ((rc = vg_store_rows(st, t, &n, &err)) == VG_ENOENT)
            continue;
        if (rc) {
            failed++, say("verify: rows", rc, &err);
            continue;
        }
        printf("  %-20s %lld\n", t, (long long)n);
    }
    return failed;
}

int vg_cli_db_verify_url(const char *url, const char *key, int quick)
{
    struct vg_store *st = NULL;
    char kbuf[PATH_CAP], masked[1024];
    int failed;

    if (!key && vg_cli_audit_files("db", url, kbuf, NULL, sizeof(kbuf)))
        return VG_EXIT_FAIL;
    printf("verify of %s\n", vg_store_url_mask(url, masked, sizeof(masked)));
    if (open_store(url, 0, &st)) {
        printf("verify: FAILED (the database cannot be opened)\n");
        return VG_EXIT_FAIL;
    }
    printf("backend: %s\n", vg_store_backend(st));
    failed = verify_store(st, quick);
    failed += verify_chain(st, key ? key : kbuf) ? 1 : 0;
    vg_store_close(st);
    if (failed) {
        printf("verify: FAILED (%d checks)\n", failed);
        return VG_EXIT_FAIL;
    }
    printf("verify: all checks passed\n");
    return VG_EXIT_OK;
}

int vg_cli_db_verify(const struct vg_cli_db_opts *o)
{
    char *def = o->db ? NULL : vg_store_default_url();
    int rc;

    if (!o->db && !def) {
        vg_cli_errorf("db: no --db given and no default (set VIGIL_DB or "
                      "HOME)");
        return VG_EXIT_FAIL;
    }
    rc = vg_cli_db_verify_url(o->db ? o->db : def, o->key, o->quick);
    vg_free(def);
    return rc;
}

/* ---- restore ---- */

/* Does the PostgreSQL target hold a row, or a schema?  0 empty, 1 not
 * (said), -1 cannot tell (said). */
static int pg_target_used(const char *url)
{
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    int64_t n = 0;
    const char *t;
    int v = 0, used = 0;

    if (open_store(url, 0, &st))
        return -1;
    if (vg_store_schema_version(st, &v, &err))
        used = -1;
    for (int i = 0; !used && v && (t = vg_store_table(i)); i++)
        if (!vg_store_rows(st, t, &n, &err) && n)
            used = 1;
    vg_store_close(st);
    if (used > 0 || v)
        vg_cli_errorf("db: restore: the target has a schema (version %d)%s:"
                      " restore into a new database, or give --force",
                      v, used > 0 ? " and rows" : "");
    return used ? used : v ? 1 : 0;
}

static int restore_pg(const struct vg_cli_db_opts *o)
{
    struct vg_err err = {0};
    char dbname[512], dbarg[600];
    char *argv[] = {"pg_restore",           "--clean",
                    "--if-exists",          "--no-owner",
                    "--no-privileges",      "--exit-on-error",
                    "--single-transaction", dbarg,
                    (char *)o->from,        NULL};
    int rc;

    if ((rc = vg_store_pg_dbname(o->db, dbname, sizeof(dbname), &err)))
        return say("restore", rc, &err);
    snprintf(dbarg, sizeof(dbarg), "--dbname=%s", dbname);
    if (!o->force && pg_target_used(o->db))
        return VG_EEXIST;
    if ((rc = vg_store_pg_tool(o->db, argv, &err)))
        return say("restore", rc, &err);
    return VG_OK;
}

/* Copy from into a new file to (0600), synced: 0, or -1 (said). */
static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
    char buf[1 << 16], head[16];
    ssize_t n = -1;

    if (in < 0 || read(in, head, sizeof(head)) != (ssize_t)sizeof(head) ||
        memcmp(head, "SQLite format 3", 16)) {
        vg_cli_errorf("db: restore: %s: %s", from,
                      in < 0 ? strerror(errno) : "not an SQLite backup");
        goto out;
    }
    if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
        lseek(in, 0, SEEK_SET)) {
        vg_cli_errorf("db: restore: %s: %s", to, strerror(errno));
        goto out;
    }
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n) {
            n = -1;
            break;
        }
    if (n < 0 || fsync(out))
        vg_cli_errorf("db: restore: %s: %s", to, strerror(errno));
    else
        rc = 0;
out:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    if (rc && out >= 0)
        unlink(to);
    return rc;
}

/* The backup copied into place: never over a database in use, and the
 * old one's -wal and -shm removed (they would be replayed into it). */
static int restore_lite(const struct vg_cli_db_opts *o)
{
    const char *path = vg_store_url_path(o->db);
    static const char *const side[] = {"-wal", "-shm", "-journal"};
    char tmp[PATH_CAP], name[PATH_CAP];
    struct vg_err err = {0};
    struct stat sb;
    int rc;

    if (!stat(path, &sb) && sb.st_size && !o->force) {
        vg_cli_errorf("db: restore: %s exists: restore into a new file, or"
                      " give --force (with vigil stopped)",
                      path);
        return VG_EEXIST;
    }
    if ((rc = vg_store_sqlite_unused(path, &err)))
        return say("restore", rc, &err);
    snprintf(name, sizeof(name), "%s", path);
    if (mkdir(dirname(name), 0700) && errno != EEXIST) {
        vg_cli_errorf("db: restore: %s: %s", name, strerror(errno));
        return VG_EIO;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
    if (copy_file(o->from, tmp))
        return VG_EIO;
    for (size_t i = 0; i < sizeof(side) / sizeof(*side); i++) {
        snprintf(name, sizeof(name), "%s%s", path, side[i]);
        unlink(name);
    }
    return put_in_place(tmp, path, 1) ? VG_EIO : VG_OK;
}

int vg_cli_db_restore(const struct vg_cli_db_opts *o)
{
    char masked[1024];
    int rc;

    printf("restore of %s into %s\n", o->from,
           vg_store_url_mask(o->db, masked, sizeof(masked)));
    rc = vg_store_url_is_pg(o->db) ? restore_pg(o) : restore_lite(o);
    if (rc)
        return VG_EXIT_FAIL;
    printf("restored; verifying\n");
    return vg_cli_db_verify_url(o->db, o->key, 0);
}
