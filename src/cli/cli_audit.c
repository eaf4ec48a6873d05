/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil audit`: the log of what analysts, admins and the command line
 * did (vigil/store_people.h), its verification under the audit key, and
 * its head, to keep where the database's writer cannot rewrite it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "vigil/algo.h"
#include "vigil/digest.h"
#include "vigil/store_people.h"

static void audit_usage(FILE *f)
{
    fprintf(
        f,
        "Usage: vigil audit verify [--head SEQ:MAC] [--head-file FILE]...\n"
        "                          [--audit-key PATH] [--db URL]\n"
        "       vigil audit head [--audit-key PATH] [--db URL]\n"
        "       vigil audit ls [--limit N] [--after CURSOR] [--db URL]\n"
        "\n"
        "The audit log records every analyst and admin action, each record\n"
        "chained to the one before by an HMAC-SHA-256 under the audit key,\n"
        "a file kept apart from the database (--audit-key; default\n"
        "$VIGIL_AUDIT_KEY, else the database's path + \".audit-key\"), so\n"
        "a changed, removed or reordered record shows, and one who can\n"
        "write the database but not read the key cannot rechain it.\n"
        "Records written before the key was used are SHA-256 only\n"
        "(\"unkeyed\").  'verify' walks the chain (exit 1 and the first bad\n"
        "record if it is broken, or if it cannot check the MACs for want\n"
        "of the key).  'head' prints the last record's number and MAC as\n"
        "SEQ:MAC, and its signature under the key: keep it elsewhere; each\n"
        "change also appends \"SEQ MAC TIME\" to the head file (default\n"
        "$VIGIL_AUDIT_HEAD, else the database's path + \".audit-head\").\n"
        "'verify --head SEQ:MAC' or '--head-file FILE' (every line; the\n"
        "default head file is checked when it exists) then shows records\n"
        "cut off the end; --head-file may be given up to 16 times (a fleet\n"
        "keeps one head file per machine, docs/FLEET-SERVE.md).  'ls'\n"
        "prints the latest records, oldest first (--limit: default 50; 0:\n"
        "all); when older ones were left out it says on stderr \"more:\n"
        "--after CURSOR\", which gives the page before.\n");
}

static int print_audit(void *ctx, const struct vg_audit_record *r)
{
    char at[32], who[32];

    ++*(size_t *)ctx;
    vg_cli_utc(r->at, at, sizeof(at));
    if (r->actor < 0) /* an API key (vigil/core_audit.h) */
        snprintf(who, sizeof(who), "key:%lld", -(long long)r->actor);
    else
        snprintf(who, sizeof(who), "%s", r->actor ? "user" : "cli");
    printf("%lld %s %s %s %s#%lld %s\n", (long long)r->id, at, who,
           r->action ? r->action : "-", r->object_type ? r->object_type : "-",
           (long long)r->object_id, r->detail ? r->detail : "");
    return VG_OK;
}

/* "SEQ<sep>MAC" (MAC 64 hex digits) at s, up to the end or white space:
 * 0, or -1 if not that. */
static int parse_head(const char *s, char sep, int64_t *seq,
                      uint8_t mac[VG_AUDIT_MAC_LEN])
{
    char *end;
    long long n = strtoll(s, &end, 10);

    if (end == s || n < 1 || *end != sep)
        return -1;
    s = end + 1;
    if (strnlen(s, 2 * VG_AUDIT_MAC_LEN) < 2 * VG_AUDIT_MAC_LEN ||
        vg_hex_decode(s, 2 * VG_AUDIT_MAC_LEN, mac, VG_AUDIT_MAC_LEN))
        return -1;
    s += 2 * VG_AUDIT_MAC_LEN;
    if (*s && *s != ' ' && *s != '\n')
        return -1;
    *seq = n;
    return 0;
}

/* Check every line of a head file: VG_OK (said), or the first mismatch. */
static int check_head_file(struct vg_store *st, const char *path,
                           struct vg_err *err)
{
    FILE *f = fopen(path, "r");
    char line[256];
    int64_t seq = 0, n = 0, top = 0;
    uint8_t mac[VG_AUDIT_MAC_LEN];
    int rc = VG_OK;

    if (!f)
        return vg_err_set(err, VG_EIO, "%s: cannot open it", path);
    while (!rc && fgets(line, sizeof(line), f)) {
        n++;
        if (parse_head(line, ' ', &seq, mac))
            rc = vg_err_set(err, VG_EFORMAT,
                            "%s: line %lld is not \"SEQ MAC TIME\"", path,
                            (long long)n);
        else if ((rc = vg_store_audit_check_head(st, seq, mac, err)))
            break;
        else if (seq > top)
            top = seq;
    }
    fclose(f);
    if (!rc && !n)
        printf("kept heads: %s is empty\n", path);
    else if (!rc)
        printf("kept heads: the %lld lines of %s match (up to record %lld)\n",
               (long long)n, path, (long long)top);
    return rc;
}

/* What the walk found, said; VG_EACCES when the MACs went unchecked. */
static int say_verdict(const struct vg_audit_verdict *v, int keyed,
                       const char *key)
{
    if (!keyed) {
        printf("audit log chained: %lld records, but the MACs cannot be"
               " checked without the audit key (%s)\n",
               (long long)v->count, key);
        return VG_EACCES;
    }
    printf("audit log intact: %lld records\n", (long long)v->count);
    if (v->count && !v->keyed_from)
        printf("unkeyed: all (SHA-256 only, written before the audit key"
               " was used)\n");
    else if (v->keyed_from > 1)
        printf("unkeyed: records before %lld (SHA-256 only, written before"
               " the audit key was used); MACs checked from record %lld\n",
               (long long)v->keyed_from, (long long)v->keyed_from);
    if (v->rotated_at)
        printf("audit key rotated: records %lld to %lld (older keys) checked"
               " through the digest of the checkpoint, record %lld\n",
               (long long)v->keyed_from, (long long)v->rotated_at - 1,
               (long long)v->rotated_at);
    return VG_OK;
}

#define HEAD_FILES_MAX 16

struct audit_args {
    const char *db, *key, *verb;
    const char *head_files[HEAD_FILES_MAX];
    unsigned long long limit;
    struct vg_cli_page page; /* its after: --after */
    int has_head;
    int nhead_files; /* 0: the default head file */
    int64_t seq;     /* --head */
    uint8_t mac[VG_AUDIT_MAC_LEN];
    char key_buf[4096], head_buf[4096];
};

static int audit_verify(struct vg_store *st, int keyed,
                        const struct audit_args *a, struct vg_err *err)
{
    struct vg_audit_verdict v;
    struct stat sb;
    int rc, said;

    if ((rc = vg_store_audit_verify(st, &v, err)))
        return rc;
    said = say_verdict(&v, keyed, a->key);
    if (a->has_head &&
        !(rc = vg_store_audit_check_head(st, a->seq, a->mac, err)))
        printf("kept head: record %lld matches\n", (long long)a->seq);
    /* the default head file only when it is there */
    if (!rc && !a->nhead_files && !stat(a->head_buf, &sb))
        rc = check_head_file(st, a->head_buf, err);
    for (int i = 0; !rc && i < a->nhead_files; i++)
        rc = check_head_file(st, a->head_files[i], err);
    return rc ? rc : said;
}

static int audit_head(struct vg_store *st, int keyed, const char *key,
                      struct vg_err *err)
{
    struct vg_audit_head h;
    char mac[2 * VG_AUDIT_MAC_LEN + 1], sig[2 * VG_AUDIT_MAC_LEN + 1];
    int rc;

    if ((rc = vg_store_audit_head(st, &h, err)))
        return rc;
    if (!h.seq) {
        printf("the audit log is empty\n");
        return VG_OK;
    }
    vg_hex_encode(h.mac, VG_AUDIT_MAC_LEN, mac);
    printf("%lld:%s\n", (long long)h.seq, mac);
    if (keyed && h.is_signed) {
        vg_hex_encode(h.sig, VG_AUDIT_MAC_LEN, sig);
        printf("signed: %s (HMAC-SHA-256 under the audit key of"
               " \"vigil-audit-head %lld %s\")\n",
               sig, (long long)h.seq, mac);
    } else {
        printf("not signed: no audit key (%s)\n", key);
    }
    return VG_OK;
}

/* The page of records before --after (or the latest), and whether older
 * ones were left out. */
static int audit_ls(struct vg_store *st, const struct audit_args *a,
                    struct vg_err *err)
{
    size_t n = 0;
    int64_t next = 0;
    int rc = vg_store_audit(st, a->page.after, (int64_t)a->limit, print_audit,
                            &n, &next, err);

    if (!rc)
        vg_cli_page_more("audit ls", n, next);
    return rc;
}

/* One option into a: 1 taken, 0 --help, -1 bad (said). */
static int audit_option(struct audit_args *a, int c, char **argv)
{
    switch (c) {
    case 'd':
        a->db = optarg;
        return 1;
    case 'k':
        a->key = optarg;
        return 1;
    case 'f':
        if (a->nhead_files == HEAD_FILES_MAX) {
            vg_cli_errorf("audit: at most %d --head-file", HEAD_FILES_MAX);
            return -1;
        }
        a->head_files[a->nhead_files++] = optarg;
        return 1;
    case 'H':
        if (parse_head(optarg, ':', &a->seq, a->mac) || strchr(optarg, ' ')) {
            vg_cli_errorf("audit: --head wants SEQ:MAC (as 'vigil audit"
                          " head' prints it), not '%s'",
                          optarg);
            return -1;
        }
        a->has_head = 1;
        return 1;
    case 'l':
        if (!strcmp(optarg, "0")) {
            a->limit = 0;
        } else if (vg_cli_parse_size(optarg, 1, &a->limit)) {
            vg_cli_errorf("audit: --limit wants a number, not '%s'", optarg);
            return -1;
        }
        return 1;
    case 'A':
        return vg_cli_page_after("audit", &a->page, optarg) ? -1 : 1;
    case 'h':
        return 0;
    default:
        vg_cli_bad_option("audit", argv);
        audit_usage(stderr);
        return -1;
    }
}

static int audit_args(struct audit_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"limit", required_argument, NULL, 'l'},
        {"after", required_argument, NULL, 'A'},
        {"audit-key", required_argument, NULL, 'k'},
        {"head", required_argument, NULL, 'H'},
        {"head-file", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c, r = 1;

    optind = 1;
    opterr = 0;
    while (r == 1 && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
        r = audit_option(a, c, argv);
    if (r == 0) {
        audit_usage(stdout);
        return VG_EXIT_OK;
    }
    if (r < 0)
        return VG_EXIT_USAGE;
    a->verb = optind < argc ? argv[optind++] : NULL;
    if (!a->verb || optind < argc ||
        (strcmp(a->verb, "verify") && strcmp(a->verb, "ls") &&
         strcmp(a->verb, "head"))) {
        audit_usage(stderr);
        return VG_EXIT_USAGE;
    }
    return -1;
}

int vg_cli_audit(int argc, char **argv)
{
    struct audit_args a;
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    int keyed = 0, rc;

    memset(&a, 0, sizeof(a));
    a.limit = 50;
    if ((rc = audit_args(&a, argc, argv)) >= 0)
        return rc;
    if (vg_cli_audit_files("audit", a.db, a.key ? NULL : a.key_buf,
                           a.nhead_files ? NULL : a.head_buf,
                           sizeof(a.key_buf)))
        return VG_EXIT_FAIL;
    if (!a.key)
        a.key = a.key_buf;
    /* the key is not made here: a missing one is said */
    if (vg_cli_open_store_audit("audit", a.db, a.key, "", 0, &st, &keyed))
        return VG_EXIT_FAIL;
    if (!strcmp(a.verb, "ls"))
        rc = audit_ls(st, &a, &err);
    else if (!strcmp(a.verb, "head"))
        rc = audit_head(st, keyed, a.key, &err);
    else
        rc = audit_verify(st, keyed, &a, &err);
    if (rc && rc != VG_EACCES)
        vg_cli_errorf("audit: %s", err.msg[0] ? err.msg : vg_strerror(rc));
    vg_store_close(st);
    return rc ? VG_EXIT_FAIL : VG_EXIT_OK;
}
