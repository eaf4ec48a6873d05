/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil db`: the store itself (vigil/store_db.h): its backend, schema
 * version, pending migrations and rows by table; migrating on request;
 * copying a whole store into an empty one (SQLite to PostgreSQL and
 * back), the counts compared table by table and the audit chain verified
 * on the copy; backups, restores and their verification
 * (cli_db_backup.c).  A --db URL is only ever printed with its password
 * masked.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/store_db.h"
#include "vigil/store_people.h"

/* `vigil db status`: migrations pending; a schema newer than this vigil */
#define EXIT_PENDING 3
#define EXIT_NEWER 4

/* db_usage's second half (ISO C caps a string literal near 4 KiB). */
static void db_usage_backup(FILE *f)
{
    fprintf(
        f,
        "'backup' writes a consistent copy of the store to FILE while vigil\n"
        "runs: SQLite's online backup, page by page, one snapshot; on\n"
        "PostgreSQL `pg_dump --format=custom` (postgresql-client; the URL\n"
        "goes to it through its environment, never its command line).  It\n"
        "is written to a temporary name, synced, then renamed (an existing\n"
        "FILE only with --force), and prints the rows of each table and the\n"
        "audit head it holds.  The sealing key and the audit key are NOT in\n"
        "it: back them up apart (it says where they are).\n"
        "'restore' puts a backup into --db, which must be new or empty\n"
        "(--force replaces an SQLite file no process has open, or restores\n"
        "over a PostgreSQL database's tables), with pg_restore on\n"
        "PostgreSQL, then verifies it.\n"
        "'verify' checks the store: SQLite's integrity_check (quick_check\n"
        "with --quick) and foreign_key_check, a read of every table and its\n"
        "rows, and the audit chain under the audit key (default as for\n"
        "copy).  Exit 0 when all hold, 1 otherwise, each failure said.\n");
}

static void db_usage(FILE *f)
{
    fprintf(
        f,
        "Usage: vigil db status [--db URL] [--json]\n"
        "       vigil db migrate [--db URL] [--to N]\n"
        "       vigil db copy --from URL --to URL [--audit-key PATH]\n"
        "       vigil db backup --to FILE [--db URL] [--force]\n"
        "       vigil db restore --from FILE --db URL [--force]"
        " [--audit-key PATH]\n"
        "       vigil db verify [--db URL] [--audit-key PATH] [--quick]\n"
        "\n"
        "'status' prints the backend, the database (its password masked),\n"
        "the schema version and the latest this vigil knows, the migrations\n"
        "pending (number and description) and the rows of each table; it\n"
        "migrates nothing.  Exit 0 when the schema is current, 3 when\n"
        "migrations are pending, 4 when the schema is newer than this vigil,\n"
        "1 when the database cannot be read.\n"
        "'migrate' applies the pending migrations (up to version N with\n"
        "--to; never down) and says which.\n"
        "'copy' copies every table of --from into --to, which must hold no\n"
        "row (it is created, or migrated to --from's schema version; a\n"
        "newer one is refused), in one transaction, ids kept; then compares\n"
        "the rows of each table and verifies the audit chain on the copy\n"
        "under --from's audit key (--audit-key; default $VIGIL_AUDIT_KEY,\n"
        "else --from's path + \".audit-key\"), which the copy keeps using.\n"
        "Exit 1 on any difference.\n");
    db_usage_backup(f);
}

struct db_args {
    const char *db, *from, *to, *key, *verb;
    int json, force, quick;
};

static int db_args(struct db_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"audit-key", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},
        {"force", no_argument, NULL, 'F'},
        {"quick", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'd')
            a->db = optarg;
        else if (c == 'f')
            a->from = optarg;
        else if (c == 't')
            a->to = optarg;
        else if (c == 'k')
            a->key = optarg;
        else if (c == 'j')
            a->json = 1;
        else if (c == 'F')
            a->force = 1;
        else if (c == 'q')
            a->quick = 1;
        else if (c == 'h') {
            db_usage(stdout);
            return VG_EXIT_OK;
        } else {
            vg_cli_bad_option("db", argv);
            db_usage(stderr);
            return VG_EXIT_USAGE;
        }
    }
    a->verb = optind < argc ? argv[optind++] : NULL;
    if (!a->verb || optind < argc ||
        (strcmp(a->verb, "status") && strcmp(a->verb, "migrate") &&
         strcmp(a->verb, "copy") && strcmp(a->verb, "backup") &&
         strcmp(a->verb, "restore") && strcmp(a->verb, "verify"))) {
        db_usage(stderr);
        return VG_EXIT_USAGE;
    }
    return -1;
}

/* Open url (NULL: the default) as it is (vg_store_open_as_is): VG_OK, or
 * the error said. */
static int open_as_is(const char *url, int create, struct vg_store **st)
{
    struct vg_err err = {0};
    char *def = url ? NULL : vg_store_default_url();
    int rc;

    if (!url && !def) {
        vg_cli_errorf("db: no --db given and no default (set VIGIL_DB or "
                      "HOME)");
        return VG_EINVAL;
    }
    if ((rc = vg_store_open_as_is(url ? url : def, create, st, &err)))
        vg_cli_errorf("db: %s", err.msg[0] ? err.msg : vg_strerror(rc));
    vg_free(def);
    return rc;
}

/* The rows of every table the store has, as "name": count in tables; 0,
 * or -1 (said). */
static int count_tables(struct vg_store *st, json_t *tables)
{
    struct vg_err err = {0};
    const char *t;
    int64_t n = 0;
    int rc;

    for (int i = 0; (t = vg_store_table(i)); i++) {
        if ((rc = vg_store_rows(st, t, &n, &err)) == VG_ENOENT)
            continue; /* not in this schema version yet */
        if (rc) {
            vg_cli_errorf("db: %s", err.msg[0] ? err.msg : vg_strerror(rc));
            return -1;
        }
        json_object_set_new(tables, t, json_integer(n));
    }
    return 0;
}

/* status as text, from the JSON made for --json. */
static void print_status(json_t *o)
{
    json_t *pending = json_object_get(o, "pending"), *p, *n;
    const char *key;
    size_t i;

    printf("backend: %s\ndatabase: %s\n",
           json_string_value(json_object_get(o, "backend")),
           json_string_value(json_object_get(o, "url")));
    printf("schema: version %lld, latest %lld (%s)\n",
           (long long)json_integer_value(json_object_get(o, "version")),
           (long long)json_integer_value(json_object_get(o, "latest")),
           json_string_value(json_object_get(o, "state")));
    if (json_array_size(pending))
        printf("pending migrations: %zu\n", json_array_size(pending));
    json_array_foreach (pending, i, p) {
        printf("  %3lld  %s\n",
               (long long)json_integer_value(json_object_get(p, "version")),
               json_string_value(json_object_get(p, "description")));
    }
    printf("rows:\n");
    json_object_foreach (json_object_get(o, "tables"), key, n) {
        printf("  %-20s %lld\n", key, (long long)json_integer_value(n));
    }
}

static int db_status(struct vg_store *st, const struct db_args *a,
                     const char *url)
{
    struct vg_err err = {0};
    json_t *o = json_object(), *pending = json_array(),
           *tables = json_object();
    int v = 0, latest = vg_store_schema_latest(), rc;
    char masked[1024];

    if ((rc = vg_store_schema_version(st, &v, &err))) {
        vg_cli_errorf("db: %s", err.msg[0] ? err.msg : vg_strerror(rc));
        json_decref(o), json_decref(pending), json_decref(tables);
        return VG_EXIT_FAIL;
    }
    for (int m = v + 1; m <= latest; m++) {
        json_t *p = json_object();
        json_object_set_new(p, "version", json_integer(m));
        json_object_set_new(p, "description",
                            json_string(vg_store_schema_desc(m)));
        json_array_append_new(pending, p);
    }
    json_object_set_new(o, "backend", json_string(vg_store_backend(st)));
    json_object_set_new(
        o, "url", json_string(vg_store_url_mask(url, masked, sizeof(masked))));
    json_object_set_new(o, "version", json_integer(v));
    json_object_set_new(o, "latest", json_integer(latest));
    json_object_set_new(o, "state",
                        json_string(v > latest   ? "newer"
                                    : v < latest ? "pending"
                                                 : "current"));
    json_object_set_new(o, "pending", pending);
    json_object_set_new(o, "tables", tables);
    if (count_tables(st, tables)) {
        json_decref(o);
        return VG_EXIT_FAIL;
    }
    if (a->json)
        vg_cli_json_value(stdout, o);
    else {
        print_status(o);
        json_decref(o);
    }
    return v > latest ? EXIT_NEWER : v < latest ? EXIT_PENDING : VG_EXIT_OK;
}

/* to: the target version (0: the latest). */
static int db_migrate(struct vg_store *st, long long to)
{
    struct vg_err err = {0};
    int from = 0, now = 0, rc;

    if ((rc = vg_store_migrate(st, (int)to, &from, &now, &err))) {
        vg_cli_errorf("db: migrate: %s",
                      err.msg[0] ? err.msg : vg_strerror(rc));
        return VG_EXIT_FAIL;
    }
    for (int m = from + 1; m <= now; m++)
        printf("applied %d: %s\n", m, vg_store_schema_desc(m));
    if (from == now)
        printf("schema version %d (latest %d): nothing to apply\n", now,
               vg_store_schema_latest());
    else
        printf("schema version %d, was %d (latest %d)\n", now, from,
               vg_store_schema_latest());
    return VG_EXIT_OK;
}

/* Key st's audit chain with key (a missing file: unkeyed) and verify
 * it, which names the store in messages; v says what was found.  0, or
 * -1 (said): broken, or keyed records that cannot be checked. */
static int chain_intact(struct vg_store *st, const char *key,
                        const char *which, struct vg_audit_verdict *v)
{
    struct vg_err err = {0};
    int64_t n = 0;
    int rc;

    memset(v, 0, sizeof(*v));
    if (vg_store_rows(st, "audit_log", &n, &err) == VG_ENOENT)
        return 0; /* a schema older than the log */
    if ((rc = vg_store_audit_key(st, key, 0, NULL, &err)) == VG_ENOENT)
        rc = VG_OK; /* unkeyed: said below if it matters */
    if (!rc && !(rc = vg_store_audit_verify(st, v, &err)) && v->unchecked)
        rc = vg_err_set(&err, VG_EACCES,
                        "the audit log is keyed from record %lld and its"
                        " key is not at %s: give --audit-key",
                        (long long)v->keyed_from, key);
    if (rc)
        vg_cli_errorf("db: copy: %s: %s", which,
                      err.msg[0] ? err.msg : vg_strerror(rc));
    return rc ? -1 : 0;
}

/* The counts of each table copied, a difference marked. */
static void print_copied(const struct vg_store_copied *c, size_t n)
{
    int64_t total = 0;

    for (size_t i = 0; i < n; i++) {
        total += c[i].copy;
        if (c[i].source == c[i].written && c[i].written == c[i].copy)
            printf("  %-20s %lld\n", c[i].table, (long long)c[i].copy);
        else
            printf("  %-20s %lld in the source, %lld written, %lld in the"
                   " copy: DIFFERENT\n",
                   c[i].table, (long long)c[i].source, (long long)c[i].written,
                   (long long)c[i].copy);
    }
    printf("  %-20s %lld in %zu tables\n", "total", (long long)total, n);
}

/* Copy, then verify the copy's chain against the source's verdict. */
static int copy_verified(struct vg_store *src, struct vg_store *dst,
                         const char *key, const struct vg_audit_verdict *sv)
{
    struct vg_store_copied c[64];
    struct vg_audit_verdict dv;
    struct vg_err err = {0};
    size_t n = 0;
    int rc = vg_store_copy(src, dst, c, sizeof(c) / sizeof(*c), &n, &err);

    print_copied(c, n);
    if (rc) {
        vg_cli_errorf("db: copy: %s", err.msg[0] ? err.msg : vg_strerror(rc));
        return VG_EXIT_FAIL;
    }
    if (chain_intact(dst, key, "the copy", &dv))
        return VG_EXIT_FAIL;
    if (dv.count != sv->count) {
        vg_cli_errorf("db: copy: the copy's audit log has %lld records, the"
                      " source's %lld",
                      (long long)dv.count, (long long)sv->count);
        return VG_EXIT_FAIL;
    }
    printf("audit log intact on the copy: %lld records", (long long)dv.count);
    if (dv.keyed_from)
        printf(", MACs checked from record %lld under %s\n"
               "the copy's chain goes on under that key: give it to the"
               " commands that use the copy (--audit-key, VIGIL_AUDIT_KEY,"
               " or beside an SQLite copy as its path + \".audit-key\")",
               (long long)dv.keyed_from, key);
    printf("\n");
    return VG_EXIT_OK;
}

static int db_copy(const struct db_args *a)
{
    struct vg_store *src = NULL, *dst = NULL;
    struct vg_audit_verdict sv;
    char key[4096], head[4096], m1[1024], m2[1024];
    int v = 0, rc = VG_EXIT_FAIL;

    if (!a->from || !a->to || a->db || a->json) {
        vg_cli_errorf("db: copy takes --from URL and --to URL (and"
                      " --audit-key)");
        return VG_EXIT_USAGE;
    }
    if (!a->key && vg_cli_audit_files("db", a->from, key, head, sizeof(key)))
        return VG_EXIT_FAIL;
    if (open_as_is(a->from, 0, &src) ||
        chain_intact(src, a->key ? a->key : key, "the source", &sv) ||
        open_as_is(a->to, 1, &dst) || vg_store_schema_version(src, &v, NULL))
        goto out;
    printf("copy of %s (%s, schema version %d) to %s (%s):\n",
           vg_store_url_mask(a->from, m1, sizeof(m1)), vg_store_backend(src),
           v, vg_store_url_mask(a->to, m2, sizeof(m2)), vg_store_backend(dst));
    rc = copy_verified(src, dst, a->key ? a->key : key, &sv);
out:
    vg_store_close(dst);
    vg_store_close(src);
    return rc;
}

static int is_backup_verb(const char *verb)
{
    return !strcmp(verb, "backup") || !strcmp(verb, "restore") ||
           !strcmp(verb, "verify");
}

/* backup, restore, verify: their options checked, then run. */
static int db_backup_verb(const struct db_args *a)
{
    struct vg_cli_db_opts o = {a->db,  a->from,  a->to,
                               a->key, a->force, a->quick};
    int backup = !strcmp(a->verb, "backup"),
        restore = !strcmp(a->verb, "restore");

    if (a->json || (a->quick && (backup || restore)) ||
        (backup && (!a->to || a->from || a->key)) ||
        (restore && (!a->from || !a->db || a->to)) ||
        (!backup && !restore && (a->from || a->to || a->force))) {
        vg_cli_errorf("db: %s", backup    ? "backup takes --to FILE (and --db,"
                                            " --force)"
                                : restore ? "restore takes --from FILE and"
                                            " --db URL (and --force,"
                                            " --audit-key)"
                                          : "verify takes --db, --audit-key"
                                            " and --quick");
        return VG_EXIT_USAGE;
    }
    return backup    ? vg_cli_db_backup(&o)
           : restore ? vg_cli_db_restore(&o)
                     : vg_cli_db_verify(&o);
}

int vg_cli_db(int argc, char **argv)
{
    struct db_args a;
    struct vg_store *st = NULL;
    long long to = 0;
    int rc;

    memset(&a, 0, sizeof(a));
    if ((rc = db_args(&a, argc, argv)) >= 0)
        return rc;
    if (!strcmp(a.verb, "copy"))
        return db_copy(&a);
    if (is_backup_verb(a.verb))
        return db_backup_verb(&a);
    if (a.from || a.key || a.force || a.quick ||
        (a.to && strcmp(a.verb, "migrate")) ||
        (a.json && strcmp(a.verb, "status"))) {
        vg_cli_errorf("db: %s takes --db%s", a.verb,
                      strcmp(a.verb, "status") ? " and --to N"
                                               : " and --json");
        return VG_EXIT_USAGE;
    }
    if (a.to && vg_cli_parse_range("db", "--to", a.to, 1,
                                   vg_store_schema_latest(), &to))
        return VG_EXIT_USAGE;
    if (open_as_is(a.db, !strcmp(a.verb, "migrate"), &st))
        return VG_EXIT_FAIL;
    if (!strcmp(a.verb, "status")) {
        char *def = a.db ? NULL : vg_store_default_url();
        rc = db_status(st, &a, a.db ? a.db : def);
        vg_free(def);
    } else {
        rc = db_migrate(st, to);
    }
    vg_store_close(st);
    return rc;
}
