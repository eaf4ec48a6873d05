/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil keys`: the sealing key's rotation (vigil/keys.h,
 * docs/OPERATIONS.md, section 9).  rotate puts a new key at the front of the
 * key file's ring; reseal seals again, in batches, what older keys
 * sealed; status counts the rows under each key; retire cuts the ring to
 * the current key once no row needs another.  rotate, a reseal that
 * changed rows, and retire are audited.  rotate audit rotates the audit
 * log's key through a checkpoint (vigil/store_people.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vigil/digest.h"
#include "vigil/keyfile.h"
#include "vigil/keys.h"
#include "vigil/runtime.h"
#include "vigil/store_people.h"

static void keys_usage(FILE *f)
{
    fprintf(
        f,
        "Usage: vigil keys status [--key-file PATH] [--db URL]\n"
        "       vigil keys rotate seal [--key-file PATH] [--db URL]\n"
        "       vigil keys rotate audit [--audit-key PATH] [--db URL]\n"
        "       vigil keys reseal [--batch N] [--progress] [--key-file PATH]\n"
        "                         [--db URL]\n"
        "       vigil keys retire [--key-file PATH] [--db URL]\n"
        "\n"
        "The sealing key (--key-file, default the database's path + \".key\",\n"
        "as for vigil serve) seals reporters' contact details and review\n"
        "thumbnails.  Its file is a ring of up to 8 keys, the first the\n"
        "current one.  'rotate seal' puts a new key first (the file replaced\n"
        "atomically, 0600); a running vigil serve reading the file seals with\n"
        "it within a second, and opens old data with the keys behind it.\n"
        "'reseal' opens and seals again under the current key every row that\n"
        "another key sealed, N rows per transaction (default 100; with\n"
        "--progress, a line after each batch); it may be stopped at any\n"
        "point, even with SIGKILL, and run again (vigil serve also does it\n"
        "in the background: --reseal-interval).  'status' counts the rows\n"
        "under each key and says when the older keys may go.  'retire'\n"
        "removes them from the file, refused while a row needs one.\n"
        "'rotate audit' rotates the audit log's key (--audit-key, default as\n"
        "for vigil audit): the chain is verified under the old key, then a\n"
        "checkpoint record under the new key states the SHA-256 digest of\n"
        "every record before it, so vigil audit verify checks them through\n"
        "it and the old key is no longer needed: the new key replaces it in\n"
        "the file (made first as PATH.next: an interrupted rotation is\n"
        "finished by running it again).\n"
        "Back up the key file apart from the database: without it, sealed\n"
        "data cannot be opened (docs/OPERATIONS.md, section 9).\n"
        "\n"
        "Exit status: 0; 1 on failure (retire: rows still need an older key;\n"
        "reseal: rows no key opens); 2 for a bad option.\n");
}

struct keys_args {
    const char *db, *key_file, *audit_key, *verb, *what;
    long long batch;
    int progress;
    char key_buf[4096];
};

static int keys_parse(int argc, char **argv, struct keys_args *a)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"key-file", required_argument, NULL, 'k'},
        {"batch", required_argument, NULL, 'b'},
        {"progress", no_argument, NULL, 'p'},
        {"audit-key", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'd')
            a->db = optarg;
        else if (c == 'k')
            a->key_file = optarg;
        else if (c == 'p')
            a->progress = 1;
        else if (c == 'a')
            a->audit_key = optarg;
        else if (c == 'b') {
            if (vg_cli_parse_range("keys", "--batch", optarg, 1, 10000,
                                   &a->batch))
                return VG_EXIT_USAGE;
        } else if (c == 'h') {
            keys_usage(stdout);
            return -1;
        } else {
            vg_cli_bad_option("keys", argv);
            keys_usage(stderr);
            return VG_EXIT_USAGE;
        }
    }
    a->verb = optind < argc ? argv[optind++] : NULL;
    if (a->verb && !strcmp(a->verb, "rotate"))
        a->what = optind < argc ? argv[optind++] : NULL;
    if (!a->verb || optind < argc ||
        (strcmp(a->verb, "status") && strcmp(a->verb, "reseal") &&
         strcmp(a->verb, "retire") &&
         (strcmp(a->verb, "rotate") || !a->what ||
          (strcmp(a->what, "seal") && strcmp(a->what, "audit"))))) {
        keys_usage(stderr);
        return VG_EXIT_USAGE;
    }
    if (!a->key_file && !(a->what && !strcmp(a->what, "audit"))) {
        if (vg_runtime_key_file(a->db, a->key_buf, sizeof(a->key_buf))) {
            vg_cli_errorf("keys: give --key-file");
            return VG_EXIT_USAGE;
        }
        a->key_file = a->key_buf;
    }
    return VG_EXIT_OK;
}

static void hex_id(const uint8_t id[VG_SEAL_ID_LEN], char out[])
{
    vg_hex_encode(id, VG_SEAL_ID_LEN, out);
}

static int keys_status(struct vg_sealer *s, struct vg_store *st,
                       const char *path)
{
    struct vg_keys_status ks;
    struct vg_err err = {0};
    char id[2 * VG_SEAL_ID_LEN + 1];
    int rc;

    if ((rc = vg_keys_status(s, st, &ks, &err))) {
        vg_cli_errorf("keys: %s", err.msg[0] ? err.msg : vg_strerror(rc));
        return VG_EXIT_FAIL;
    }
    printf("key file: %s, %zu key%s\n", path, ks.nkeys,
           ks.nkeys == 1 ? "" : "s");
    for (size_t i = 0; i < ks.nkeys; i++) {
        hex_id(ks.ids[i], id);
        printf("key %s (%s): contacts %lld, thumbnails %lld\n", id,
               i ? "previous" : "current", (long long)ks.rows[0][i],
               (long long)ks.rows[1][i]);
    }
    printf("no key id (sealed before key ids, or under a key not in the"
           " file): contacts %lld, thumbnails %lld\n",
           (long long)ks.unmarked[0], (long long)ks.unmarked[1]);
    if (ks.to_reseal)
        printf("to re-seal: %lld rows (vigil keys reseal); keep the previous"
               " keys until then\n",
               (long long)ks.to_reseal);
    else if (ks.nkeys > 1)
        printf("every sealed row is under the current key: the previous keys"
               " may be destroyed (vigil keys retire)\n");
    else
        printf("every sealed row is under the current key\n");
    return VG_EXIT_OK;
}

/* --progress: a line after each batch, flushed (a watcher reads it). */
static int say_progress(void *ctx)
{
    const struct vg_keys_progress *p = ctx;

    if (p->batches) {
        printf("batch %lld: %lld rows re-sealed\n", (long long)p->batches,
               (long long)p->resealed);
        fflush(stdout);
    }
    return 1;
}

static int keys_reseal(struct vg_sealer *s, struct vg_store *st, size_t batch,
                       int progress)
{
    struct vg_keys_progress p = {0};
    struct vg_err err = {0};
    char detail[160];
    int rc;

    rc = vg_keys_reseal(s, st, batch, progress ? say_progress : NULL, &p, &p,
                        &err);
    printf("re-sealed %lld rows in %lld batches; %lld changed meanwhile"
           " (left alone); %lld no key opens\n",
           (long long)p.resealed, (long long)p.batches, (long long)p.changed,
           (long long)p.unreadable);
    if (p.resealed) {
        snprintf(detail, sizeof(detail), "re-sealed %lld rows",
                 (long long)p.resealed);
        vg_store_audit_append(st, 0, "keys.reseal", "sealing_key", 0, detail,
                              NULL);
    }
    if (rc) {
        vg_cli_errorf("keys: reseal: %s",
                      err.msg[0] ? err.msg : vg_strerror(rc));
        return VG_EXIT_FAIL;
    }
    return p.unreadable ? VG_EXIT_FAIL : VG_EXIT_OK;
}

/* rotate and retire: change the file, then audit it. */
static int keys_change(struct vg_sealer *s, struct vg_store *st,
                       const struct keys_args *a)
{
    uint8_t ids[VG_SEAL_RING_MAX][VG_SEAL_ID_LEN];
    struct vg_sealer *after = NULL;
    struct vg_err err = {0};
    char id[2 * VG_SEAL_ID_LEN + 1], detail[128];
    int rotate = !strcmp(a->verb, "rotate"), rc;
    size_t n;

    rc = rotate ? vg_seal_rotate(a->key_file, &err)
                : vg_keys_retire(s, st, a->key_file, &err);
    if (!rc)
        rc = vg_seal_open(a->key_file, 0, &after, &err);
    if (rc) {
        vg_cli_errorf("keys: %s: %s", a->verb,
                      err.msg[0] ? err.msg : vg_strerror(rc));
        return VG_EXIT_FAIL;
    }
    n = vg_seal_ids(after, ids);
    vg_seal_free(after);
    hex_id(ids[0], id);
    snprintf(detail, sizeof(detail), "%s: current key %s, %zu in the file",
             rotate ? "new sealing key" : "older sealing keys retired", id, n);
    vg_store_audit_append(st, 0, rotate ? "keys.rotate" : "keys.retire",
                          "sealing_key", 0, detail, NULL);
    printf("%s\n", detail);
    if (rotate)
        printf("a running vigil serve on this key file seals with it within a"
               " second; now run: vigil keys reseal\n");
    return VG_EXIT_OK;
}

/* Is the log keyed with the key of file next already (a rotation that
 * committed, then stopped before the file was put in place)? */
static int rotated_to(const char *db, const char *next)
{
    struct vg_audit_verdict v;
    struct vg_store *st = NULL;
    int keyed = 0, rc;

    if (access(next, F_OK) ||
        vg_cli_open_store_audit("keys", db, next, "", 0, &st, &keyed))
        return 0;
    rc = keyed && !vg_store_audit_verify(st, &v, NULL) && v.keyed_from;
    vg_store_close(st);
    return rc;
}

static int rotate_audit(const struct keys_args *a)
{
    char path[4096], next[4200];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    uint8_t key[32];
    int64_t at = 0;
    int keyed = 0, rc = VG_OK;

    if (a->audit_key)
        snprintf(path, sizeof(path), "%s", a->audit_key);
    else if (vg_cli_audit_files("keys", a->db, path, NULL, sizeof(path)))
        return VG_EXIT_USAGE;
    snprintf(next, sizeof(next), "%s.next", path);
    if (!rotated_to(a->db, next)) {
        if (vg_cli_open_store_audit("keys", a->db, path, NULL, 0, &st, &keyed))
            return VG_EXIT_FAIL;
        if (!keyed)
            rc = vg_err_set(&err, VG_ENOENT, "%s: no audit key to rotate",
                            path);
        else if (!(rc = vg_keyfile_read(next, 1, "the new audit key", key,
                                        sizeof(key), &err)))
            rc = vg_store_audit_rotate(st, key, &at, &err);
        sodium_memzero(key, sizeof(key));
        vg_store_close(st);
    }
    if (!rc)
        rc = vg_keyfile_rename(next, path, &err);
    if (rc) {
        vg_cli_errorf("keys: rotate audit: %s",
                      err.msg[0] ? err.msg : vg_strerror(rc));
        return VG_EXIT_FAIL;
    }
    if (at)
        printf("audit key rotated: records from %lld on are under the new"
               " key, those before checked through the checkpoint's digest;"
               " the old key is no longer needed\n",
               (long long)at);
    else
        printf("audit key rotation finished: %s is the new key\n", path);
    return VG_EXIT_OK;
}

int vg_cli_keys(int argc, char **argv)
{
    struct keys_args a = {.batch = 100};
    struct vg_sealer *s = NULL;
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    int rc;

    if ((rc = keys_parse(argc, argv, &a)))
        return rc < 0 ? VG_EXIT_OK : rc;
    if (a.what && !strcmp(a.what, "audit"))
        return rotate_audit(&a);
    if (vg_cli_open_store("keys", a.db, &st))
        return VG_EXIT_FAIL;
    if ((rc = vg_seal_open(a.key_file, 0, &s, &err))) {
        vg_cli_errorf("keys: %s", err.msg[0] ? err.msg : vg_strerror(rc));
        vg_store_close(st);
        return VG_EXIT_FAIL;
    }
    if (!strcmp(a.verb, "status"))
        rc = keys_status(s, st, a.key_file);
    else if (!strcmp(a.verb, "reseal"))
        rc = keys_reseal(s, st, (size_t)a.batch, a.progress);
    else
        rc = keys_change(s, st, &a);
    vg_seal_free(s);
    vg_store_close(st);
    return rc;
}
