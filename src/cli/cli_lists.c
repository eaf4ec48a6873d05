/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil lists`: create, list, show, enable, disable, remove, import and
 * export hash lists.  Each action parses its own options; all take --db.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "vigil/core_audit.h"
#include "vigil/core_lists.h"
#include "vigil/hashalgo.h"
#include "vigil/vocab.h"
#include "vigil/lists.h"
#include "vigil/store_lists.h"

#define MAX_ERRORS_SHOWN 50

static void usage(FILE *f)
{
    fprintf(
        f,
        "Usage: vigil lists ACTION [OPTIONS] ...\n"
        "\n"
        "Actions:\n"
        "  create NAME [--source S] [--category C] [--distance N] [--allow]\n"
        "              [--disabled]     a new list (category default csam,\n"
        "                               PDQ distance default 31; --allow: a\n"
        "                               list of known false positives)\n"
        "  ls [--json]                  every list with its counts\n"
        "  show NAME [--json]           one list and its import history\n"
        "  enable NAME [--entry E]      enable a list, or one entry of it\n"
        "  disable NAME [--entry E]     disable a list, or quarantine one entry\n"
        "                               (E: the entry id or its hex hash)\n"
        "  rm NAME [--yes]              delete a list (--yes if it has entries)\n"
        "  import NAME FILE [--format F] [--algo A] [--min-quality N]\n"
        "                               add the hashes of FILE ('-': stdin),\n"
        "                               all or nothing; F: auto (default),\n"
        "                               lines, csv, hashcsv, jsonl; A settles\n"
        "                               64-hex lines (pdq or sha256)\n"
        "  export NAME [--format F] [--all] [-o FILE]\n"
        "                               write the list (F: csv default, lines,\n"
        "                               hashcsv, jsonl); --all: with disabled\n"
        "                               entries\n"
        "  share NAME PARTNER [--metadata]\n"
        "                               let PARTNER's API keys match the list\n"
        "                               through the hash-check API ('*': every\n"
        "                               partner); --metadata: they see its\n"
        "                               entries' metadata and external ids\n"
        "  unshare NAME PARTNER         stop sharing it with PARTNER\n"
        "  quarantine [ls|release ENTRY_ID] [--all] [--json]\n"
        "                               entries flood quarantine disabled,\n"
        "                               and their release (`vigil lists\n"
        "                               quarantine --help`)\n"
        "\n"
        "Every action takes --db URL (default: $VIGIL_DB or\n"
        "~/.local/share/vigil/vigil.db).\n");
}

enum {
    OPT_DB = 256,
    OPT_SOURCE,
    OPT_CATEGORY,
    OPT_DISTANCE,
    OPT_ALLOW,
    OPT_DISABLED,
    OPT_JSON,
    OPT_ENTRY,
    OPT_YES,
    OPT_FORMAT,
    OPT_ALGO,
    OPT_MINQ,
    OPT_ALL,
    OPT_METADATA
};

struct args {
    const char *action, *db, *entry, *out;
    struct vg_list l;
    struct vg_listfile_opts file;
    int json, yes, all, metadata;
    char **pos; /* positional arguments after the action */
    int npos;
};

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (!*s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static const struct option lists_longopts[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"source", required_argument, NULL, OPT_SOURCE},
    {"category", required_argument, NULL, OPT_CATEGORY},
    {"distance", required_argument, NULL, OPT_DISTANCE},
    {"allow", no_argument, NULL, OPT_ALLOW},
    {"disabled", no_argument, NULL, OPT_DISABLED},
    {"json", no_argument, NULL, OPT_JSON},
    {"entry", required_argument, NULL, OPT_ENTRY},
    {"yes", no_argument, NULL, OPT_YES},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"algo", required_argument, NULL, OPT_ALGO},
    {"min-quality", required_argument, NULL, OPT_MINQ},
    {"all", no_argument, NULL, OPT_ALL},
    {"metadata", no_argument, NULL, OPT_METADATA},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

/* An option that takes a checked value: 1 taken, 0 not one, -1 bad
 * (said). */
static int checked_option(struct args *a, int c)
{
    enum vg_algo algo;
    long v;

    switch (c) {
    case OPT_SOURCE:
        if (strlen(optarg) > VG_LIST_TEXT_MAX) {
            vg_cli_errorf("lists: --source is longer than %d bytes",
                          VG_LIST_TEXT_MAX);
            return -1;
        }
        strcpy(a->l.source, optarg);
        return 1;
    case OPT_CATEGORY:
        if (strlen(optarg) > VG_LIST_NAME_MAX) {
            vg_cli_errorf("lists: --category is longer than %d bytes",
                          VG_LIST_NAME_MAX);
            return -1;
        }
        strcpy(a->l.category, optarg);
        return 1;
    case OPT_DISTANCE:
        if (parse_int(optarg, 0, 256, &v)) {
            vg_cli_errorf("lists: --distance wants 0 to 256, not '%s'",
                          optarg);
            return -1;
        }
        a->l.pdq_distance = (int)v;
        return 1;
    case OPT_FORMAT:
        if (vg_listfile_format_from_name(optarg, &a->file.format)) {
            vg_cli_errorf("lists: unknown --format '%s' (auto, lines, csv, "
                          "hashcsv, jsonl)",
                          optarg);
            return -1;
        }
        return 1;
    case OPT_ALGO:
        if (vg_algo_from_name(optarg, strlen(optarg), &algo)) {
            vg_cli_errorf("lists: unknown --algo '%s' (pdq, md5, sha1, "
                          "sha256)",
                          optarg);
            return -1;
        }
        a->file.algo = (int)algo;
        return 1;
    case OPT_MINQ:
        if (parse_int(optarg, 0, 100, &v)) {
            vg_cli_errorf("lists: --min-quality wants 0 to 100, not '%s'",
                          optarg);
            return -1;
        }
        a->file.min_quality = (int)v;
        return 1;
    default:
        return 0;
    }
}

/* One option: 0 taken, 1 --help (said), -1 bad (said). */
static int option(struct args *a, int c, char **argv)
{
    int k = checked_option(a, c);

    if (k)
        return k < 0 ? -1 : 0;
    switch (c) {
    case OPT_DB:
        a->db = optarg;
        break;
    case OPT_ALLOW:
        a->l.kind = VG_LIST_ALLOW;
        break;
    case OPT_DISABLED:
        a->l.enabled = 0;
        break;
    case OPT_JSON:
        a->json = 1;
        break;
    case OPT_ENTRY:
        a->entry = optarg;
        break;
    case OPT_YES:
        a->yes = 1;
        break;
    case OPT_ALL:
        a->all = 1;
        break;
    case OPT_METADATA:
        a->metadata = 1;
        break;
    case 'o':
        a->out = optarg;
        break;
    case 'h':
        usage(stdout);
        return 1;
    default:
        vg_cli_bad_option("lists", argv);
        return -1;
    }
    return 0;
}

static int parse(int argc, char **argv, struct args *a)
{
    int c, r = 0;

    memset(a, 0, sizeof(*a));
    strcpy(a->l.category, vg_vocab_default(VG_VOCAB_REVIEW_CLASS));
    a->l.pdq_distance = 31;
    a->l.enabled = 1;
    a->file.algo = -1;
    a->file.min_quality = 50;
    a->action = argv[1];
    optind = 2;
    opterr = 0;
    /* permute: options may follow the positional arguments */
    while (!r &&
           (c = getopt_long(argc, argv, "o:h", lists_longopts, NULL)) != -1)
        r = option(a, c, argv);
    a->pos = argv + optind;
    a->npos = argc - optind;
    return r;
}

static int want_args(const struct args *a, int n, const char *what)
{
    if (a->npos == n)
        return 0;
    vg_cli_errorf("lists %s: expected %s", a->action, what);
    return -1;
}

static void print_list(FILE *f, const struct vg_list *l, int json)
{
    char when[32];

    vg_cli_utc(l->last_import_at, when, sizeof(when));
    if (!json) {
        fprintf(f,
                "%-20s %-5s %-8s %-18s %3d %10" PRId64 " %10" PRId64
                "  %s  %s\n",
                l->name, l->kind == VG_LIST_ALLOW ? "allow" : "block",
                l->enabled ? "enabled" : "disabled", l->category,
                l->pdq_distance, l->entries, l->entries_enabled, when,
                l->source);
        return;
    }
    fputs("{\"name\":", f);
    vg_cli_json_str(f, l->name);
    fprintf(f,
            ",\"id\":%" PRId64 ",\"kind\":\"%s\",\"enabled\":%s,"
            "\"category\":",
            l->id, l->kind == VG_LIST_ALLOW ? "allow" : "block",
            l->enabled ? "true" : "false");
    vg_cli_json_str(f, l->category);
    fputs(",\"source\":", f);
    vg_cli_json_str(f, l->source);
    fprintf(f,
            ",\"pdq_distance\":%d,\"entries\":%" PRId64
            ",\"entries_enabled\":%" PRId64 ",\"imports\":%" PRId64
            ",\"last_import\":",
            l->pdq_distance, l->entries, l->entries_enabled, l->imports);
    if (l->last_import_at)
        fprintf(f, "\"%s\"", when);
    else
        fputs("null", f);
}

static int ls_cb(void *ctx, const struct vg_list *l)
{
    print_list(stdout, l, *(int *)ctx);
    if (*(int *)ctx)
        fputs("}\n", stdout);
    return VG_OK;
}

static int show_import(void *ctx, const struct vg_list_import *im)
{
    char when[32];
    int json = *(int *)ctx;

    vg_cli_utc(im->imported_at, when, sizeof(when));
    if (!json) {
        printf("  import %" PRId64 "  %s  %s (%s, sha256 %s)\n"
               "             %" PRId64 " lines, %" PRId64 " added, %" PRId64
               " already present\n",
               im->id, when, im->source_file, im->format,
               im->file_sha256 ? im->file_sha256 : "-", im->lines, im->added,
               im->already_present);
        return VG_OK;
    }
    printf("%s{\"id\":%" PRId64 ",\"at\":\"%s\",\"file\":", "", im->id, when);
    vg_cli_json_str(stdout, im->source_file);
    printf(",\"format\":\"%s\",\"sha256\":", im->format);
    vg_cli_json_str(stdout, im->file_sha256);
    printf(",\"lines\":%" PRId64 ",\"added\":%" PRId64
           ",\"already_present\":%" PRId64 "}",
           im->lines, im->added, im->already_present);
    return VG_OK;
}

struct show_json {
    int json, n;
};

static int show_import_json(void *ctx, const struct vg_list_import *im)
{
    struct show_json *s = ctx;

    if (s->n++)
        putchar(',');
    return show_import(&s->json, im);
}

/* The entry an --entry argument names: a numeric id or a hex hash. */
static int find_entry(struct vg_store *st, const struct vg_list *l,
                      const char *spec, int64_t *id, struct vg_err *err)
{
    enum vg_algo by_len[VG_ALGO_MAX];
    uint8_t v[VG_ALGO_MAXSIZE];
    size_t n = strlen(spec);
    size_t k = vg_hashalgo_guess(n, by_len, VG_ALGO_MAX);
    char *end;
    long long x = strtoll(spec, &end, 10);

    if (!k || vg_hex_decode(spec, n, v, n / 2)) {
        if (*spec && !*end && x > 0) {
            *id = x;
            return VG_OK;
        }
        return vg_err_set(err, VG_EINVAL,
                          "--entry '%s' is neither an entry id nor a hash",
                          spec);
    }
    for (size_t i = 0; i < k && i < VG_ALGO_MAX; i++)
        if (vg_store_entry_find(st, l->id, by_len[i], v, id, NULL) == VG_OK)
            return VG_OK;
    return vg_err_set(err, VG_ENOENT, "list %s has no entry %s", l->name,
                      spec);
}

static int toggle(struct vg_store *st, struct args *a, int enabled,
                  struct vg_err *err)
{
    struct vg_list l;
    int64_t id;
    int rc;

    if (!a->entry) {
        if (!(rc = vg_core_list_set_enabled(st, VG_ACTOR_OPERATOR, a->pos[0],
                                            enabled, &l, err)))
            printf("list %s %s\n", l.name, enabled ? "enabled" : "disabled");
        return rc;
    }
    if ((rc = vg_store_list_get(st, a->pos[0], &l, err)) ||
        (rc = find_entry(st, &l, a->entry, &id, err)))
        return rc;
    if (!(rc = vg_core_entry_set_enabled(st, VG_ACTOR_OPERATOR, l.id, id,
                                         enabled, err)))
        printf("entry %lld of list %s %s\n", (long long)id, l.name,
               enabled ? "enabled" : "disabled (quarantined)");
    return rc;
}

struct import_errors {
    const char *file;
    unsigned long shown, total;
};

static int import_error(void *ctx, unsigned long line, const char *msg)
{
    struct import_errors *e = ctx;

    if (e->shown++ < MAX_ERRORS_SHOWN)
        vg_cli_errorf("lists import: %s:%lu: %s", e->file, line, msg);
    e->total++;
    return VG_OK;
}

static int import(struct vg_store *st, struct args *a, struct vg_err *err)
{
    struct import_errors e = {a->pos[1], 0, 0};
    struct vg_lists_import_result r;
    int rc = vg_lists_import(st, VG_ACTOR_OPERATOR, a->pos[0], a->pos[1],
                             &a->file, import_error, &e, &r, err);

    if (e.total > MAX_ERRORS_SHOWN)
        vg_cli_errorf("lists import: %s: ... and %lu more bad lines",
                      a->pos[1], e.total - MAX_ERRORS_SHOWN);
    if (!rc)
        printf("imported %s into %s (%s): %" PRId64 " hashes, %" PRId64
               " added, %" PRId64 " already present\n",
               a->pos[1], a->pos[0], vg_listfile_format_name(r.format),
               r.records, r.added, r.present);
    return rc;
}

struct export_ctx {
    FILE *f;
    enum vg_listfile_format fmt;
    const struct vg_list *l;
};

static int export_one(void *ctx, const struct vg_list_entry *e)
{
    struct export_ctx *x = ctx;
    struct vg_listfile_record r;

    memset(&r, 0, sizeof(r));
    r.algo = e->algo;
    memcpy(r.value, e->value, sizeof(r.value));
    r.quality = e->quality;
    r.category = e->category ? e->category : x->l->category;
    r.external_id = e->external_id;
    r.metadata = e->metadata;
    return vg_listfile_write_record(x->f, x->fmt, &r);
}

static int export(struct vg_store *st, struct args *a, struct vg_err *err)
{
    struct export_ctx x;
    struct vg_list l;
    int rc;

    if ((rc = vg_store_list_get(st, a->pos[0], &l, err)))
        return rc;
    x.fmt = a->file.format == VG_LISTFILE_AUTO ? VG_LISTFILE_CSV
                                               : a->file.format;
    x.l = &l;
    x.f = a->out ? fopen(a->out, "w") : stdout;
    if (!x.f)
        return vg_err_set(err, VG_EIO, "%s: cannot create", a->out);
    if (!(rc = vg_listfile_write_header(x.f, x.fmt)))
        rc = vg_store_entries(st, l.id, a->all ? 0 : VG_ENTRIES_ENABLED_ONLY,
                              export_one, &x, err);
    if ((a->out ? fclose(x.f) : fflush(stdout)) && !rc)
        rc = vg_err_set(err, VG_EIO, "%s: write failed",
                        a->out ? a->out : "standard output");
    return rc;
}

static int create(struct vg_store *st, struct args *a, struct vg_err *err)
{
    int64_t id;
    int rc;

    if (strlen(a->pos[0]) > VG_LIST_NAME_MAX)
        return vg_err_set(err, VG_EINVAL, "list name longer than %d bytes",
                          VG_LIST_NAME_MAX);
    strcpy(a->l.name, a->pos[0]);
    if (!(rc = vg_core_list_create(st, VG_ACTOR_OPERATOR, &a->l, &id, err)))
        printf("created %s list %s (id %lld, category %s, PDQ distance %d)\n",
               a->l.kind == VG_LIST_ALLOW ? "allow" : "block", a->l.name,
               (long long)id, a->l.category, a->l.pdq_distance);
    return rc;
}

/* One share of a list, for show: text (*ctx -1) or JSON (*ctx counts). */
static int show_share(void *ctx, const struct vg_list_share *sh)
{
    int *n = ctx;

    if (*n < 0) {
        printf("  %s%s\n", sh->partner,
               sh->metadata ? " (with metadata)" : "");
        return VG_OK;
    }
    printf("%s{\"partner\":", (*n)++ ? "," : "");
    vg_cli_json_str(stdout, sh->partner);
    printf(",\"metadata\":%s}", sh->metadata ? "true" : "false");
    return VG_OK;
}

static int show(struct vg_store *st, struct args *a, struct vg_err *err)
{
    struct show_json sj = {a->json, 0};
    struct vg_list l;
    int rc, nshares = -1;

    if ((rc = vg_store_list_get(st, a->pos[0], &l, err)))
        return rc;
    if (a->json) {
        print_list(stdout, &l, 1);
        fputs(",\"import_history\":[", stdout);
        rc = vg_store_list_imports(st, l.id, show_import_json, &sj, err);
        fputs("],\"shared_with\":[", stdout);
        nshares = 0;
        if (!rc)
            rc = vg_store_list_shares(st, l.id, show_share, &nshares, err);
        puts("]}");
        return rc;
    }
    printf("list      %s (id %lld)\nkind      %s\nstate     %s\n"
           "category  %s\nsource    %s\nPDQ distance %d\n"
           "entries   %lld (%lld enabled)\nimports:\n",
           l.name, (long long)l.id,
           l.kind == VG_LIST_ALLOW ? "allow list (known false positives)"
                                   : "block list",
           l.enabled ? "enabled" : "disabled", l.category,
           l.source[0] ? l.source : "-", l.pdq_distance, (long long)l.entries,
           (long long)l.entries_enabled);
    if ((rc = vg_store_list_imports(st, l.id, show_import, &sj.json, err)))
        return rc;
    printf("shared with (hash-check API):\n");
    return vg_store_list_shares(st, l.id, show_share, &nshares, err);
}

/* share NAME PARTNER, or unshare */
static int share(struct vg_store *st, struct args *a, int on,
                 struct vg_err *err)
{
    struct vg_list l;
    int rc;

    if ((rc = vg_store_list_get(st, a->pos[0], &l, err)))
        return rc;
    rc = on ? vg_store_list_share(st, VG_ACTOR_OPERATOR, l.id, a->pos[1],
                                  a->metadata, err)
            : vg_store_list_unshare(st, VG_ACTOR_OPERATOR, l.id, a->pos[1],
                                    err);
    if (!rc && on)
        printf("list %s shared with %s%s\n", l.name,
               strcmp(a->pos[1], "*") ? a->pos[1] : "every partner",
               a->metadata ? ", metadata included" : "");
    else if (!rc)
        printf("list %s no longer shared with %s\n", l.name, a->pos[1]);
    return rc;
}

static int rm(struct vg_store *st, struct args *a, struct vg_err *err)
{
    struct vg_err why = {0};
    struct vg_list l;
    int rc = vg_core_list_delete(st, VG_ACTOR_OPERATOR, a->pos[0], a->yes, &l,
                                 &why);

    if (!rc)
        printf("deleted list %s\n", l.name);
    else if (rc == VG_EUSAGE)
        vg_err_set(err, rc, "%s: add --yes to delete it", why.msg);
    else
        *err = why;
    return rc;
}

int vg_cli_lists(int argc, char **argv)
{
    static const struct vg_cli_action actions[] = {
        {"create", 1, "NAME"},        {"ls", 0, "no arguments"},
        {"show", 1, "NAME"},          {"enable", 1, "NAME"},
        {"disable", 1, "NAME"},       {"rm", 1, "NAME"},
        {"import", 2, "NAME FILE"},   {"export", 1, "NAME"},
        {"share", 2, "NAME PARTNER"}, {"unshare", 2, "NAME PARTNER"}};
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct args a;
    int rc, k;

    if (argc >= 2 && !strcmp(argv[1], "quarantine"))
        return vg_cli_lists_quarantine(argc - 1, argv + 1);
    if ((k = vg_cli_action("lists", argc, argv, actions,
                           sizeof(actions) / sizeof(actions[0]), usage, &rc)) <
        0)
        return rc;
    if ((rc = parse(argc, argv, &a)))
        return rc > 0 ? VG_EXIT_OK : VG_EXIT_USAGE;
    if (want_args(&a, actions[k].nargs, actions[k].args))
        return VG_EXIT_USAGE;
    if (vg_cli_open_store("lists", a.db, &st))
        return VG_EXIT_FAIL;
    switch (k) {
    case 0:
        rc = create(st, &a, &err);
        break;
    case 1:
        if (!a.json)
            printf("%-20s %-5s %-8s %-18s %3s %10s %10s  %-20s  %s\n", "NAME",
                   "KIND", "STATE", "CATEGORY", "PDQ", "ENTRIES", "ENABLED",
                   "LAST IMPORT", "SOURCE");
        rc = vg_store_lists(st, ls_cb, &a.json, &err);
        break;
    case 2:
        rc = show(st, &a, &err);
        break;
    case 3:
        rc = toggle(st, &a, 1, &err);
        break;
    case 4:
        rc = toggle(st, &a, 0, &err);
        break;
    case 5:
        rc = rm(st, &a, &err);
        break;
    case 6:
        rc = import(st, &a, &err);
        break;
    case 7:
        rc = export(st, &a, &err);
        break;
    default:
        rc = share(st, &a, k == 8, &err);
        break;
    }
    vg_store_close(st);
    if (rc) {
        vg_cli_errorf("lists %s: %s", a.action,
                      err.msg[0] ? err.msg : vg_strerror(rc));
        return rc == VG_EUSAGE || rc == VG_EINVAL ? VG_EXIT_USAGE
                                                  : VG_EXIT_FAIL;
    }
    return VG_EXIT_OK;
}
