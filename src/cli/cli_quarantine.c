/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil lists quarantine`: the entries flood quarantine took out of
 * matching (vigil/flood.h), and their release by an analyst.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/core_audit.h"
#include "vigil/flood.h"

static void usage(FILE *f)
{
    fprintf(
        f,
        "Usage: vigil lists quarantine [ls] [--all] [--json] [--db URL]\n"
        "       vigil lists quarantine release ENTRY_ID [--db URL]\n"
        "\n"
        "Entries that matched far above their own baseline (flood\n"
        "quarantine, run by `vigil serve`'s hash-check API) are disabled\n"
        "on every node until released.\n"
        "\n"
        "  ls                  the quarantines in force, newest first: the\n"
        "                      entry, its list and value, why (rate: over\n"
        "                      ratio x its 7-day hourly mean; media: too\n"
        "                      many distinct media in an hour) and the\n"
        "                      counts that decided it (the default action)\n"
        "  release ENTRY_ID    enable the entry again, audited; the\n"
        "                      detector leaves it alone for a day\n"
        "  --all               ls: released quarantines too\n"
        "  --json              ls: a JSON array\n"
        "  --db URL            the store (default: $VIGIL_DB or\n"
        "                      ~/.local/share/vigil/vigil.db)\n"
        "\n"
        "Exit status: 0 done, 1 failure (release: the entry is not\n"
        "quarantined), 2 usage error.\n");
}

enum { OPT_DB = 256, OPT_JSON, OPT_ALL };

struct args {
    const char *db;
    int json, all;
    char **pos;
    int npos;
};

/* 0, 1 after --help, -1 on a usage error (said). */
static int parse(int argc, char **argv, struct args *a)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"json", no_argument, NULL, OPT_JSON},
        {"all", no_argument, NULL, OPT_ALL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    memset(a, 0, sizeof(*a));
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == OPT_DB) {
            a->db = optarg;
        } else if (c == OPT_JSON) {
            a->json = 1;
        } else if (c == OPT_ALL) {
            a->all = 1;
        } else if (c == 'h') {
            usage(stdout);
            return 1;
        } else {
            vg_cli_bad_option("lists quarantine", argv);
            return -1;
        }
    }
    a->pos = argv + optind;
    a->npos = argc - optind;
    return 0;
}

static void print_text(const struct vg_flood_quarantines *l, int all)
{
    char at[32], released[32];

    printf("%-8s %-10s %-20s %-6s %-6s %8s %8s %9s  %-20s  %s%s\n", "ID",
           "ENTRY", "LIST", "ALGO", "REASON", "MATCHES", "MEDIA", "MEAN/H",
           "AT", "VALUE", all ? "  RELEASED" : "");
    for (size_t i = 0; i < l->n; i++) {
        const struct vg_flood_quarantine *q = &l->v[i];
        vg_cli_utc(q->at, at, sizeof(at));
        vg_cli_utc(q->released_at, released, sizeof(released));
        printf("%-8" PRId64 " %-10" PRId64 " %-20s %-6s %-6s %8" PRId64
               " %8" PRId64 " %9.2f  %-20s  %s%s%s\n",
               q->id, q->entry_id, q->list ? q->list : "-",
               vg_algo_name(q->algo), vg_flood_reason_name(q->reason),
               q->matches, q->media,
               q->baseline_hours
                   ? (double)q->baseline / (double)q->baseline_hours
                   : 0.0,
               at, q->value ? q->value : "", all ? "  " : "",
               all ? released : "");
    }
}

static int ls(struct vg_store *st, const struct args *a, struct vg_err *err)
{
    struct vg_flood_quarantines *l = NULL;
    char *json = NULL;
    int rc;

    if (a->json) {
        if (!(rc = vg_flood_quarantines_json(st, a->all, 0, &json, err)))
            printf("%s\n", json);
        vg_free(json);
        return rc;
    }
    if (!(rc = vg_store_flood_quarantines(st, a->all, 0, &l, err)))
        print_text(l, a->all);
    vg_flood_quarantines_free(l);
    return rc;
}

static int release(struct vg_store *st, long long id, struct vg_err *err)
{
    int rc = vg_flood_release(st, VG_ACTOR_OPERATOR, id, err);

    if (!rc)
        printf("entry %lld released: it matches again\n", id);
    return rc;
}

int vg_cli_lists_quarantine(int argc, char **argv)
{
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct args a;
    long long id = 0;
    char *end = NULL;
    int rc, is_release;

    if ((rc = parse(argc, argv, &a)))
        return rc > 0 ? VG_EXIT_OK : VG_EXIT_USAGE;
    is_release = a.npos > 0 && !strcmp(a.pos[0], "release");
    if ((is_release && a.npos != 2) ||
        (!is_release && (a.npos > 1 || (a.npos && strcmp(a.pos[0], "ls"))))) {
        vg_cli_errorf("lists quarantine: expected ls or release ENTRY_ID");
        usage(stderr);
        return VG_EXIT_USAGE;
    }
    if (is_release &&
        ((id = strtoll(a.pos[1], &end, 10)) <= 0 || *end || !*a.pos[1])) {
        vg_cli_errorf("lists quarantine: '%s' is not an entry id", a.pos[1]);
        return VG_EXIT_USAGE;
    }
    if (vg_cli_open_store("lists", a.db, &st))
        return VG_EXIT_FAIL;
    rc = is_release ? release(st, id, &err) : ls(st, &a, &err);
    vg_store_close(st);
    if (rc) {
        vg_cli_errorf("lists quarantine: %s",
                      err.msg[0] ? err.msg : vg_strerror(rc));
        return VG_EXIT_FAIL;
    }
    return VG_EXIT_OK;
}
