/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil retention run|show` (vigil/store_retention.h) and the retention
 * options, shared with `vigil serve`, which runs the same job once a day
 * (vigil/runtime.h).  Both read the policy from --config FILE, so that
 * `vigil retention show --config /etc/vigil/serve.conf` shows what the
 * server does; of that file, retention reads only its own options and
 * those naming the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/store_retention.h"

enum {
    O_DAYS = 1100, /* + the kind */
    O_BATCH = 1120,
    O_INTERVAL,
    O_OFF,
    O_NOW,
    O_DRY,
    O_DB,
    O_KEY,
    O_HEAD,
    O_CONFIG
};

static const struct option opts[] = {
    {"retention-contact", required_argument, NULL, O_DAYS + VG_RET_CONTACT},
    {"retention-reports", required_argument, NULL, O_DAYS + VG_RET_REPORTS},
    {"retention-cases", required_argument, NULL, O_DAYS + VG_RET_CASES},
    {"retention-detections", required_argument, NULL,
     O_DAYS + VG_RET_DETECTIONS},
    {"retention-sightings", required_argument, NULL,
     O_DAYS + VG_RET_SIGHTINGS},
    {"retention-thumbnails", required_argument, NULL,
     O_DAYS + VG_RET_THUMBNAILS},
    {"retention-sessions", required_argument, NULL, O_DAYS + VG_RET_SESSIONS},
    {"retention-batch", required_argument, NULL, O_BATCH},
    {"retention-interval", required_argument, NULL, O_INTERVAL},
    {"no-retention", no_argument, NULL, O_OFF},
};

const char vg_cli_retention_help[] =
    "Retention (docs/OPERATIONS.md, section 8): what is past its time is\n"
    "deleted once a day, one node at a time, in batches; rows under a\n"
    "legal hold (vigil holds) are kept.  DAYS is a number of days, or\n"
    "\"never\"; the audit log is kept for ever.\n"
    "\n"
    "  --retention-contact DAYS     reporters' contact details, after the\n"
    "                               report is closed (default 365)\n"
    "  --retention-reports DAYS     closed reports, after closing (730)\n"
    "  --retention-cases DAYS       closed cases and their notices, after\n"
    "                               the content was removed (730)\n"
    "  --retention-detections DAYS  detections, after made (365)\n"
    "  --retention-sightings DAYS   sightings with no detection (365)\n"
    "  --retention-thumbnails DAYS  review thumbnails still waiting,\n"
    "                               after queued (90)\n"
    "  --retention-sessions DAYS    console sessions, after expiry (0)\n"
    "  --retention-batch N          rows per transaction (default 500)\n"
    "  --retention-interval S       serve: seconds between runs (86400)\n"
    "  --no-retention               serve: no retention job on this node\n";

void vg_cli_retention_init(struct vg_cli_retention *r)
{
    memset(r, 0, sizeof(*r));
    vg_retention_policy_default(&r->p);
}

size_t vg_cli_retention_longopts(struct option *out, size_t room)
{
    size_t n = sizeof(opts) / sizeof(*opts);

    if (n > room)
        n = room;
    memcpy(out, opts, n * sizeof(*opts));
    return n;
}

int vg_cli_retention_option(struct vg_cli_retention *r, const char *cmd, int c,
                            const char *v)
{
    long long n;

    if (c >= O_DAYS && c < O_DAYS + VG_RET_KINDS) {
        if (!strcmp(v, "never")) {
            r->p.days[c - O_DAYS] = -1;
            return 1;
        }
        if (vg_cli_parse_range(cmd, opts[c - O_DAYS].name, v, 0,
                               VG_RETENTION_DAYS_MAX, &n))
            return -1;
        r->p.days[c - O_DAYS] = n;
        return 1;
    }
    switch (c) {
    case O_BATCH:
        if (vg_cli_parse_range(cmd, "--retention-batch", v, 1, 100000, &n))
            return -1;
        r->p.batch = n;
        return 1;
    case O_INTERVAL:
        if (vg_cli_parse_range(cmd, "--retention-interval", v, 1, 31622400,
                               &n))
            return -1;
        r->interval_s = n;
        return 1;
    case O_OFF:
        r->off = 1;
        return 1;
    default:
        return 0;
    }
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "Usage: vigil retention show [--config FILE] [--now UNIX]\n"
        "                            [--db URL] [RETENTION OPTIONS]\n"
        "       vigil retention run [--dry-run] [--config FILE]\n"
        "                           [--now UNIX] [--db URL]\n"
        "                           [--audit-key PATH] [--audit-head PATH]\n"
        "                           [RETENTION OPTIONS]\n"
        "\n"
        "'show' prints the policy and, per kind, how many rows are due\n"
        "and how many of those a legal hold keeps.  'run' deletes what\n"
        "is due, as `vigil serve` does once a day, and writes one audit\n"
        "record (retention.run) with the counts; --dry-run only counts.\n"
        "--now runs as if the time were UNIX (seconds).  --config reads\n"
        "the retention options and db, audit-key and audit-head of a\n"
        "serve configuration file and ignores its other lines; the\n"
        "command line wins.  Exit 0, 1 on a failure, 2 on a usage\n"
        "error.\n\n%s",
        vg_cli_retention_help);
}

struct args {
    struct vg_cli_retention r;
    const char *db, *key, *head, *verb;
    int64_t now;
    int dry;
};

/* One option: 1 taken, 0 --help, -1 bad (said). */
static int option(struct args *a, int c, char **argv)
{
    long long n;
    int k;

    switch (c) {
    case O_NOW:
        if (vg_cli_parse_range("retention", "--now", optarg, 1, 253402300799LL,
                               &n))
            return -1;
        a->now = n;
        return 1;
    case O_DRY:
        a->dry = 1;
        return 1;
    case O_DB:
        a->db = optarg;
        return 1;
    case O_KEY:
        a->key = optarg;
        return 1;
    case O_HEAD:
        a->head = optarg;
        return 1;
    case O_CONFIG:
        return 1; /* read before */
    case 'h':
        return 0;
    default:
        if ((k = vg_cli_retention_option(&a->r, "retention", c, optarg)) ==
            0) {
            vg_cli_bad_option("retention", argv);
            usage(stderr);
            return -1;
        }
        return k;
    }
}

static int print_counts(const struct args *a,
                        const struct vg_retention_counts *c, const char *verb)
{
    char at[32];

    vg_cli_utc(a->now, at, sizeof(at));
    printf("as of %s (%lld)%s\n", at, (long long)a->now,
           c->stopped ? ", stopped before the end" : "");
    for (int k = 0; k < VG_RET_KINDS; k++) {
        char days[32];
        if (a->r.p.days[k] < 0)
            snprintf(days, sizeof(days), "never");
        else
            snprintf(days, sizeof(days), "%lld days",
                     (long long)a->r.p.days[k]);
        printf("%-11s %-10s %-48s %s %lld, held %lld\n",
               vg_retention_kind_name(k), days, vg_retention_kind_clock(k),
               verb, (long long)c->done[k], (long long)c->held[k]);
    }
    printf("%-11s %-10s %s\n", "audit", "never",
           "the audit log is kept for the life of the store");
    return VG_EXIT_OK;
}

static int run(struct args *a)
{
    struct vg_retention_counts c;
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    int show = !strcmp(a->verb, "show"), rc;

    if (vg_cli_open_store_audit("retention", a->db, a->key, a->head,
                                !show && !a->dry, &st, NULL))
        return VG_EXIT_FAIL;
    if (show || a->dry)
        rc = vg_store_retention_due(st, &a->r.p, a->now, &c, &err);
    else
        rc = vg_store_retention_run(st, &a->r.p, a->now, 0, NULL, NULL, &c,
                                    &err);
    vg_store_close(st);
    if (rc) {
        vg_cli_errorf("retention: %s", err.msg[0] ? err.msg : vg_strerror(rc));
        return VG_EXIT_FAIL;
    }
    return print_counts(a, &c,
                        show     ? "due"
                        : a->dry ? "would delete"
                                 : "deleted");
}

/* Of a config file's arguments (args[1..owned)), those retention takes
 * (its own options, db and the audit files; a value never starts "--"),
 * then the command line's, into kept (pointers only). */
static int keep_config(const struct option *longopts, char **args, int owned,
                       int nargs, char **kept)
{
    int n = 1, i = 1;

    kept[0] = args[0];
    while (i < owned) {
        const struct option *o = longopts;
        int has_value = i + 1 < owned && strncmp(args[i + 1], "--", 2);
        while (o->name && strcmp(o->name, args[i] + 2))
            o++;
        if (o->name) {
            kept[n++] = args[i];
            if (o->has_arg == required_argument && has_value)
                kept[n++] = args[i + 1];
        }
        i += 1 + has_value;
    }
    for (i = owned; i < nargs; i++)
        kept[n++] = args[i];
    kept[n] = NULL;
    return n;
}

/* Parse kept[0..n) into a and run: the exit status. */
static int parse_run(struct args *a, const struct option *longopts, int n,
                     char **kept)
{
    int c, r = 1;

    optind = 1;
    opterr = 0;
    while (r == 1 && (c = getopt_long(n, kept, "h", longopts, NULL)) != -1)
        r = option(a, c, kept);
    if (r == 0) {
        usage(stdout);
        return VG_EXIT_OK;
    }
    if (r < 0)
        return VG_EXIT_USAGE;
    a->verb = optind < n ? kept[optind++] : NULL;
    if (!a->verb || optind < n ||
        (strcmp(a->verb, "run") && strcmp(a->verb, "show"))) {
        usage(stderr);
        return VG_EXIT_USAGE;
    }
    return run(a);
}

int vg_cli_retention(int argc, char **argv)
{
    static const struct option own[] = {
        {"now", required_argument, NULL, O_NOW},
        {"dry-run", no_argument, NULL, O_DRY},
        {"db", required_argument, NULL, O_DB},
        {"audit-key", required_argument, NULL, O_KEY},
        {"audit-head", required_argument, NULL, O_HEAD},
        {"config", required_argument, NULL, O_CONFIG},
        {"help", no_argument, NULL, 'h'}};
    static const char *const flags[] = {"no-retention", NULL};
    struct option longopts[32];
    struct args a;
    char **args = argv, **kept;
    int nargs = argc, owned = 0, status;
    size_t k = sizeof(own) / sizeof(*own);

    memset(&a, 0, sizeof(a));
    vg_cli_retention_init(&a.r);
    a.now = (int64_t)time(NULL);
    memcpy(longopts, own, sizeof(own));
    k += vg_cli_retention_longopts(longopts + k, 31 - k);
    longopts[k] = (struct option){NULL, 0, NULL, 0};
    if ((status = vg_cli_config_first("retention", flags, argc, argv, &args,
                                      &nargs, &owned)))
        return status;
    if (!(kept = vg_calloc((size_t)nargs + 1, sizeof(*kept)))) {
        vg_cli_errorf("retention: out of memory");
        status = VG_EXIT_FAIL;
    } else {
        status = parse_run(&a, longopts,
                           keep_config(longopts, args,
                                       args == argv ? 1 : owned, nargs, kept),
                           kept);
    }
    vg_free(kept);
    vg_cli_config_free(args, argv, owned);
    return status;
}
