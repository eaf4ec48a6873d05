/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil notices`: notice and takedown from the command line (vigil/notice.h).
 *
 *   vigil notices run-once [options]     one cycle (for cron and tests)
 *   vigil notices ls [--status S] [--limit N] [--after CURSOR] [--json]
 *   vigil notices show ID [--json]
 *   vigil notices report [--csv | --json]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/notice.h"
#include "vigil/store_notices.h"
#include "vigil/view.h"

static void notices_usage(FILE *f)
{
    fprintf(
        f,
        "Usage: vigil notices run-once [--db URL] [--config FILE] [NOTICE OPTIONS]\n"
        "       vigil notices ls [--db URL] [--status open|removed] [--json]\n"
        "                        [--limit N] [--after CURSOR]\n"
        "       vigil notices show ID [--db URL] [--json]\n"
        "       vigil notices report [--db URL] [--csv | --json]\n"
        "       vigil notices test-smtp --relay URL --from ADDR --to ADDR ...\n"
        "\n"
        "Notice and takedown.  run-once does one cycle: cases for new\n"
        "detections of actionable list entries, one notice per hosting\n"
        "provider (stored, then sent by SMTP), re-checks of open URLs, and\n"
        "a reminder every 24 hours while the material is up.  `vigil serve`\n"
        "runs the same cycle on a schedule.  ls lists the cases, newest\n"
        "first: all of them, or with --limit N a page, the cursor of the\n"
        "next one said on stderr (\"more: --after CURSOR\"; with --json\n"
        "{\"items\": [...], \"next\": CURSOR or null}); show one\n"
        "case with its notices and re-checks, report the figures per\n"
        "provider (time from first notice to removal; copies also hosted\n"
        "elsewhere at once; re-uploads after a removal, and the time from\n"
        "removal to reappearance), test-smtp sends a test message through\n"
        "the relay (see vigil notices test-smtp --help).\n"
        "\n%s",
        vg_cli_notice_help);
}

/* Print one JSON value (the view of vigil/view.h), indented, and free it. */
static int print_json(json_t *v)
{
    return v ? vg_cli_json_value(stdout, v) : 1;
}

/* s, or dflt for none. */
static const char * or (const char *s, const char *dflt)
{
    return s ? s : dflt;
}

static void print_cases(const struct vg_case_list *cases)
{
    for (size_t i = 0; i < cases->n; i++) {
        const struct vg_case_info *c = &cases->v[i];
        char first[32], removed[32];
        vg_cli_utc(c->first_notice_at, first, sizeof(first));
        vg_cli_utc(c->removed_at, removed, sizeof(removed));
        printf("%-6lld %-8s %-21s %-21s %-7lld %-24.24s %s\n",
               (long long)c->id, c->status, first, removed,
               (long long)c->notices_sent, or (c->provider, "(none)"), c->url);
    }
}

/* Every case (in store pages of VG_CLI_PAGE_ALL), or one page of
 * pg->limit after pg->after, newest first. */
static int cmd_ls(struct vg_store *st, const char *status, int json,
                  const struct vg_cli_page *pg)
{
    struct vg_err err = {0};
    struct vg_case_list *cases = NULL;
    json_t *all = json ? json_array() : NULL;
    int64_t next = pg->after, page = pg->limit ? pg->limit : VG_CLI_PAGE_ALL;
    size_t shown = 0;
    int rc = 0;

    if (json && !all)
        return VG_EXIT_FAIL;
    if (!json)
        printf("%-6s %-8s %-21s %-21s %-7s %-24s %s\n", "CASE", "STATUS",
               "FIRST NOTICE", "REMOVED", "NOTICES", "PROVIDER", "URL");
    do {
        if (vg_store_cases(st, status, next, 0, page, 0, &cases, &err)) {
            vg_cli_errorf("notices ls: %s", err.msg);
            json_decref(all);
            return VG_EXIT_FAIL;
        }
        if (json) {
            json_t *v = vg_view_cases(cases);
            rc |= !v || json_array_extend(all, v);
            json_decref(v);
        } else
            print_cases(cases);
        shown += cases->n;
        next = cases->next;
        vg_case_list_free(cases);
    } while (next && !pg->limit);
    if (json)
        rc |= pg->limit ? vg_cli_page_json(all, next) : print_json(all);
    else
        vg_cli_page_more("notices ls", shown, next);
    return rc ? VG_EXIT_FAIL : VG_EXIT_OK;
}

/* The case in words. */
static void show_case(const struct vg_case_detail *d)
{
    const struct vg_case_info *c = &d->c;
    char t[32];

    printf("case %lld: %s\n", (long long)c->id, c->url);
    printf("  status      %s%s\n", c->status,
           c->escalated ? " (escalated)" : "");
    printf("  provider    %s\n", or (c->provider, "(none known)"));
    printf("  sha256      %s\n", or (d->sha256, "-"));
    vg_cli_utc(d->detected_at, t, sizeof(t));
    printf("  detected    %s\n", t);
    vg_cli_utc(c->first_notice_at, t, sizeof(t));
    printf("  notified    %s\n", t);
    vg_cli_utc(c->removed_at, t, sizeof(t));
    printf("  removed     %s %s\n", t, or (c->removal, ""));
    if (c->links.also_hosted_with)
        printf("  also hosted with case %lld\n",
               (long long)c->links.also_hosted_with);
    if (c->links.reappeared_after >= 0)
        printf("  re-uploaded %.1f h after the removal of case %lld\n",
               c->links.reappeared_after / 3600.0,
               (long long)c->links.reupload_of);
    for (size_t i = 0; i < d->nnotices; i++) {
        const struct vg_notice_info *x = &d->notices[i];
        vg_cli_utc(x->sent_at, t, sizeof(t));
        printf("  notice %lld (cycle %lld) %s %s to %s, %lld attempt(s): %s\n",
               (long long)x->id, (long long)x->cycle, x->state, t,
               x->recipients, (long long)x->attempts, or (x->result, ""));
    }
    for (size_t i = 0; i < d->nrechecks; i++) {
        vg_cli_utc(d->rechecks[i].checked_at, t, sizeof(t));
        printf("  re-check %s: %s\n", t, d->rechecks[i].result);
    }
}

static int cmd_show(struct vg_store *st, const char *id_s, int json)
{
    struct vg_err err = {0};
    struct vg_case_detail *c = NULL;
    char *end;
    long long id = strtoll(id_s, &end, 10);
    int rc;

    if (*end || id <= 0) {
        vg_cli_errorf("notices show: not a case number: %s", id_s);
        return VG_EXIT_USAGE;
    }
    if ((rc = vg_store_case_get(st, id, &c, &err))) {
        vg_cli_errorf("notices show: %s", err.msg);
        return VG_EXIT_FAIL;
    }
    rc = VG_EXIT_OK;
    if (json)
        rc = print_json(vg_view_case(c)) ? VG_EXIT_FAIL : VG_EXIT_OK;
    else
        show_case(c);
    vg_case_detail_free(c);
    return rc;
}

/* Seconds as hours with a decimal, into h; "" when s < 0 (none). */
static const char *hours(int64_t s, char *h, size_t n)
{
    if (s < 0)
        *h = 0;
    else
        snprintf(h, n, "%.1f", s / 3600.0);
    return h;
}

/* One provider's figures as a CSV row or a table line. */
static void report_row(const struct vg_notice_figure *x, int csv)
{
    const struct vg_provider_figures *r = x->f;
    const char *name = r->provider;
    char medh[24], p90h[24], reuph[24];

    hours(x->median_s, medh, sizeof(medh));
    hours(x->p90_s, p90h, sizeof(p90h));
    hours(x->reappear_median_s, reuph, sizeof(reuph));
    if (!name || !*name)
        name = "(no provider known)";
    if (csv) {
        /* names are the operator's: quoted, quotes doubled */
        putchar('"');
        for (const char *p = name; *p; p++)
            fputs(*p == '"' ? "\"\"" : (char[]){*p, 0}, stdout);
        printf("\",%lld,%lld,%lld,%s,%s,%.3f,%lld,%lld,%lld,%lld,%s,%lld\n",
               (long long)r->notified, (long long)r->removed, (long long)r->up,
               medh, p90h, x->removed_24h_share, (long long)r->notices,
               (long long)r->failed_notices, (long long)r->also_hosted,
               (long long)r->reuploads, reuph, (long long)r->escalated);
    } else {
        printf("%-28.28s %8lld %8lld %8lld %10s %10s %6.0f%% %8lld %8lld"
               " %8lld %10s\n",
               name, (long long)r->notified, (long long)r->removed,
               (long long)r->up, *medh ? medh : "-", *p90h ? p90h : "-",
               100 * x->removed_24h_share, (long long)r->notices,
               (long long)r->also_hosted, (long long)r->reuploads,
               *reuph ? reuph : "-");
    }
}

static int cmd_report(struct vg_store *st, int csv, int json)
{
    struct vg_err err = {0};
    struct vg_notice_figures *f = NULL;
    int rc = VG_EXIT_OK;

    if (vg_notice_figures(st, &f, &err)) {
        vg_cli_errorf("notices report: %s", err.msg);
        return VG_EXIT_FAIL;
    }
    if (json) {
        rc = print_json(vg_view_figures(f)) ? VG_EXIT_FAIL : VG_EXIT_OK;
        vg_notice_figures_free(f);
        return rc;
    }
    if (csv)
        printf("provider,notified,removed,still_up,median_hours,p90_hours,"
               "removed_within_24h,notices_sent,notices_failed,also_hosted,"
               "reuploads,reupload_median_hours,escalated\n");
    else
        printf("%-28s %8s %8s %8s %10s %10s %7s %8s %8s %8s %10s\n",
               "PROVIDER", "NOTIFIED", "REMOVED", "UP", "MEDIAN h", "P90 h",
               "<24h", "NOTICES", "ALSO", "REUPLOAD", "REUP h");
    for (size_t i = 0; i < f->n; i++)
        report_row(&f->v[i], csv);
    vg_notice_figures_free(f);
    return rc;
}

static int cmd_run_once(struct vg_store *st, struct vg_cli_notices *n)
{
    struct vg_notice_stats s;
    struct vg_err err = {0};

    if (vg_cli_notices_ready(n, st))
        return VG_EXIT_FAIL;
    if (vg_notice_run_once(st, &n->o, &s, &err)) {
        vg_cli_errorf("notices run-once: %s", err.msg);
        return VG_EXIT_FAIL;
    }
    printf("cases opened %lld (also hosted %lld, re-uploads %lld, no provider"
           " %lld); notices"
           " %lld new, %lld sent, %lld to retry, %lld failed; re-checks %lld:"
           " %lld removed, %lld still up; escalated %lld\n",
           (long long)s.cases_opened, (long long)s.also_hosted,
           (long long)s.reuploads, (long long)s.unassigned,
           (long long)s.notices_created, (long long)s.notices_sent,
           (long long)s.notices_retried, (long long)s.notices_failed,
           (long long)s.rechecks, (long long)s.removed, (long long)s.still_up,
           (long long)s.escalated);
    return VG_EXIT_OK;
}

static const struct option notices_own[] = {
    {"db", required_argument, NULL, 'd'},
    {"config", required_argument, NULL, 'c'},
    {"status", required_argument, NULL, 's'},
    {"json", no_argument, NULL, 'j'},
    {"csv", no_argument, NULL, 'v'},
    {"limit", required_argument, NULL, 'L'},
    {"after", required_argument, NULL, 'A'},
    {"help", no_argument, NULL, 'h'},
};

struct notices_args {
    struct vg_cli_notices n;
    const char *db, *status;
    struct vg_cli_page page;
    int json, csv;
};

/* One option: 1 taken, 0 --help (said), -1 a usage error (said). */
static int notices_option(struct notices_args *a, int c, char **args)
{
    int mine;

    switch (c) {
    case 'd':
        a->db = optarg;
        return 1;
    case 'c':
        return 1; /* read before */
    case 's':
        a->status = optarg;
        return 1;
    case 'j':
        a->json = 1;
        return 1;
    case 'v':
        a->csv = 1;
        return 1;
    case 'L':
        return vg_cli_page_limit("notices", &a->page, optarg) ? -1 : 1;
    case 'A':
        return vg_cli_page_after("notices", &a->page, optarg) ? -1 : 1;
    case 'h':
        notices_usage(stdout);
        return 0;
    default:
        break;
    }
    if ((mine = vg_cli_notices_option(&a->n, c, optarg)) == 0) {
        vg_cli_bad_option("notices", args);
        notices_usage(stderr);
    }
    return mine == 1 ? 1 : -1;
}

/* The command sub with its arguments args[optind...]: an exit status. */
static int notices_run(const char *sub, struct notices_args *a, char **args,
                       int nargs)
{
    struct vg_store *st = NULL;
    int rc;

    if (strcmp(sub, "show") ? optind != nargs : optind + 1 != nargs) {
        notices_usage(stderr);
        return VG_EXIT_USAGE;
    }
    if (strcmp(sub, "run-once") && strcmp(sub, "ls") && strcmp(sub, "show") &&
        strcmp(sub, "report")) {
        vg_cli_errorf("notices: unknown command %s", sub);
        notices_usage(stderr);
        return VG_EXIT_USAGE;
    }
    if (vg_cli_open_store("notices", a->db, &st))
        return VG_EXIT_FAIL;
    if (!strcmp(sub, "run-once"))
        rc = cmd_run_once(st, &a->n);
    else if (!strcmp(sub, "ls"))
        rc = cmd_ls(st, a->status, a->json, &a->page);
    else if (!strcmp(sub, "show"))
        rc = cmd_show(st, args[optind], a->json);
    else
        rc = cmd_report(st, a->csv, a->json);
    vg_store_close(st);
    return rc;
}

int vg_cli_notices(int argc, char **argv)
{
    struct option longopts[64];
    struct notices_args a;
    char **args = argv;
    int c, r = 1, nargs = argc, owned = 0, rc;
    size_t k = 0;

    if (argc >= 2 && !strcmp(argv[1], "test-smtp"))
        return vg_cli_notices_test_smtp(argc - 1, argv + 1);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        notices_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
    }
    memset(&a, 0, sizeof(a));
    vg_cli_notices_init(&a.n, "notices");
    for (size_t i = 0; i < sizeof(notices_own) / sizeof(*notices_own); i++)
        longopts[k++] = notices_own[i];
    k += vg_cli_notices_longopts(longopts + k, 64 - k - 1);
    longopts[k] = (struct option){NULL, 0, NULL, 0};
    /* the config file first, so that the command line overrides it */
    if ((rc = vg_cli_config_first("notices", vg_cli_notice_flags, argc - 1,
                                  argv + 1, &args, &nargs, &owned)))
        goto out;
    optind = 1;
    opterr = 0;
    while (r == 1 && (c = getopt_long(nargs, args, "h", longopts, NULL)) != -1)
        r = notices_option(&a, c, args);
    rc = r == 0  ? VG_EXIT_OK
         : r < 0 ? VG_EXIT_USAGE
                 : notices_run(argv[1], &a, args, nargs);
    vg_cli_config_free(args, argv + 1, owned);
out:
    vg_cli_notices_fini(&a.n);
    return rc;
}
