/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil holds add|rm|ls` (legal holds on reports and cases) and `vigil
 * reports erase` (a reporter's request to have their contact details
 * removed), both on vigil/store_retention.h, audited as the operator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "vigil/core_audit.h"
#include "vigil/store_retention.h"

static void holds_usage(FILE *f)
{
    fprintf(
        f, "Usage: vigil holds add report|case REF --reason TEXT [--db URL]\n"
           "       vigil holds rm report|case REF [--reason TEXT] [--db URL]\n"
           "       vigil holds ls [--all] [--db URL]\n"
           "\n"
           "A legal hold keeps a report (REF: its reference, XXXX-XXXX-XXXX)\n"
           "or a case (REF: its number) out of every retention run until\n"
           "it is released: the report with its contact details, and the\n"
           "cases, detections and sightings at the URLs it names; the case\n"
           "with its notices and the detections and sightings at its URL.\n"
           "A held report's contact details cannot be erased (vigil reports\n"
           "erase).  'add' needs the reason (a court order, a police\n"
           "request); 'rm' releases the hold in force, which stays listed\n"
           "by 'ls --all'.  Each is audited.  Exit 0, 1 on a failure (no\n"
           "such report or case, already held, not held), 2 on a usage\n"
           "error.\n");
}

static void reports_usage(FILE *f)
{
    fprintf(f,
            "Usage: vigil reports erase REF --reason TEXT [--db URL]\n"
            "\n"
            "A reporter asked to have their contact details removed: clear\n"
            "report REF's sealed contact details (name, e-mail, phone),\n"
            "audited with the reason.  The report's account of the incident\n"
            "stays (retention deletes it after the report is closed).\n"
            "Refused while the report is under a legal hold: release the\n"
            "hold first (vigil holds rm), if the law behind it allows.  Exit\n"
            "0, 1 on a failure (no such report, held), 2 on a usage error.\n");
}

struct args {
    const char *db, *reason;
    int all;
    int nargs; /* positional arguments after the action */
    char *arg[3];
};

/* Options and positional arguments (argv[1] is the action): 1 to run, 0
 * help shown, -1 bad (said). */
static int parse(const char *cmd, int argc, char **argv, struct args *a,
                 void (*usage)(FILE *f))
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"reason", required_argument, NULL, 'r'},
        {"all", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    memset(a, 0, sizeof(*a));
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'd')
            a->db = optarg;
        else if (c == 'r')
            a->reason = optarg;
        else if (c == 'a')
            a->all = 1;
        else if (c == 'h') {
            usage(stdout);
            return 0;
        } else {
            vg_cli_bad_option(cmd, argv);
            usage(stderr);
            return -1;
        }
    }
    while (optind < argc && a->nargs < 3)
        a->arg[a->nargs++] = argv[optind++];
    if (optind < argc) {
        usage(stderr);
        return -1;
    }
    return 1;
}

/* "report REF" or "case N" into a type and an id: 0, or -1 (said). */
static int object(struct vg_store *st, const char *type, const char *ref,
                  int64_t *id)
{
    struct vg_err err = {0};
    long long n;

    if (!strcmp(type, "case"))
        return vg_cli_parse_range("holds", "a case", ref, 1, INT64_MAX, &n)
                   ? -1
                   : (*id = n, 0);
    if (vg_store_report_find(st, ref, id, &err)) {
        vg_cli_errorf("holds: %s", err.msg[0] ? err.msg : "no such report");
        return -1;
    }
    return 0;
}

static int print_holds(struct vg_store *st, int all)
{
    struct vg_holds *h = NULL;
    struct vg_err err = {0};
    char at[32], off[32];

    if (vg_store_holds(st, all, &h, &err)) {
        vg_cli_errorf("holds: %s", err.msg[0] ? err.msg : "cannot list");
        return VG_EXIT_FAIL;
    }
    for (size_t i = 0; i < h->n; i++) {
        const struct vg_hold *x = &h->v[i];
        char ref[32];
        vg_cli_utc(x->set_at, at, sizeof(at));
        vg_cli_utc(x->released_at, off, sizeof(off));
        if (x->reference)
            snprintf(ref, sizeof(ref), "%s", x->reference);
        else
            snprintf(ref, sizeof(ref), "%lld", (long long)x->object_id);
        printf("%lld %s %s set %s%s%s: %s\n", (long long)x->id, x->object_type,
               ref, at, x->released_at ? " released " : "",
               x->released_at ? off : "", x->reason);
    }
    if (!h->n)
        printf("no holds%s\n", all ? "" : " in force");
    vg_holds_free(h);
    return VG_EXIT_OK;
}

/* add or rm on a parsed object. */
static int change(struct vg_store *st, const char *verb, struct args *a)
{
    struct vg_err err = {0};
    int64_t id = 0, hold = 0;
    const char *type = a->arg[0];
    int rc;

    if (object(st, type, a->arg[1], &id))
        return VG_EXIT_FAIL;
    rc = !strcmp(verb, "add")
             ? vg_store_hold_add(st, VG_ACTOR_OPERATOR, type, id, a->reason,
                                 (int64_t)time(NULL), &hold, &err)
             : vg_store_hold_release(st, VG_ACTOR_OPERATOR, type, id,
                                     a->reason, (int64_t)time(NULL), &err);
    if (rc) {
        vg_cli_errorf("holds: %s", err.msg[0] ? err.msg : vg_strerror(rc));
        return VG_EXIT_FAIL;
    }
    if (hold)
        printf("hold %lld on %s %s\n", (long long)hold, type, a->arg[1]);
    else
        printf("released the hold on %s %s\n", type, a->arg[1]);
    return VG_EXIT_OK;
}

int vg_cli_holds(int argc, char **argv)
{
    static const struct vg_cli_action actions[] = {
        {"add", 2, "report|case REF"},
        {"rm", 2, "report|case REF"},
        {"ls", 0, ""}};
    struct vg_store *st = NULL;
    struct args a;
    int i, r, status = VG_EXIT_OK;

    if ((i = vg_cli_action("holds", argc, argv, actions, 3, holds_usage,
                           &status)) < 0)
        return status;
    if ((r = parse("holds", argc, argv, &a, holds_usage)) <= 0)
        return r ? VG_EXIT_USAGE : VG_EXIT_OK;
    if (a.nargs != actions[i].nargs ||
        (i < 2 && strcmp(a.arg[0], "report") && strcmp(a.arg[0], "case"))) {
        vg_cli_errorf("holds: %s expects %s", actions[i].name,
                      *actions[i].args ? actions[i].args : "no argument");
        return VG_EXIT_USAGE;
    }
    if (i == 0 && (!a.reason || !*a.reason)) {
        vg_cli_errorf("holds: add needs --reason TEXT");
        return VG_EXIT_USAGE;
    }
    if (vg_cli_open_store("holds", a.db, &st))
        return VG_EXIT_FAIL;
    status = i == 2 ? print_holds(st, a.all) : change(st, argv[1], &a);
    vg_store_close(st);
    return status;
}

int vg_cli_reports(int argc, char **argv)
{
    static const struct vg_cli_action actions[] = {{"erase", 1, "REF"}};
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct args a;
    int64_t id = 0;
    int r, had = 0, status = VG_EXIT_OK;

    if (vg_cli_action("reports", argc, argv, actions, 1, reports_usage,
                      &status) < 0)
        return status;
    if ((r = parse("reports", argc, argv, &a, reports_usage)) <= 0)
        return r ? VG_EXIT_USAGE : VG_EXIT_OK;
    if (a.nargs != 1 || !a.reason || !*a.reason) {
        vg_cli_errorf("reports: erase expects REF and --reason TEXT");
        return VG_EXIT_USAGE;
    }
    if (vg_cli_open_store("reports", a.db, &st))
        return VG_EXIT_FAIL;
    if (!(r = vg_store_report_find(st, a.arg[0], &id, &err)))
        r = vg_store_report_erase(st, VG_ACTOR_OPERATOR, id, a.reason, &had,
                                  &err);
    vg_store_close(st);
    if (r) {
        vg_cli_errorf("reports: %s", err.msg[0] ? err.msg : vg_strerror(r));
        return VG_EXIT_FAIL;
    }
    printf("report %s: %s\n", a.arg[0],
           had ? "contact details erased" : "no contact details were held");
    return VG_EXIT_OK;
}
