/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil match`: hash files as `vigil hash` does (same engine, with the 8
 * dihedral hashes) and look each up in every hash list of the store.
 * Plain output: one line per match, "allowed" when an allow list cancelled
 * the matches, or "no-known-match".  --json: vigil hash's fields plus
 * "matches", "allowed" (and "allowed_by", "suppressed" when true).
 * Exit status: 0 no file matched, 1 some file matched, 2 on errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "vigil/lists.h"

/* match's own exit statuses (cli.h's names read wrongly here) */
#define MATCH_EXIT_NONE 0
#define MATCH_EXIT_FOUND 1
#define MATCH_EXIT_ERROR 2

struct ctx {
    struct vg_matcher *m;
    int min_quality;
};

static void usage(FILE *f)
{
    fprintf(
        f,
        "Usage: vigil match [OPTIONS] PATH...\n"
        "\n"
        "Hash image files (as vigil hash) and look each up in the store's hash\n"
        "lists: PDQ within each list's distance of any of the 8 rotations and\n"
        "mirrors, MD5/SHA-1/SHA-256 exactly. A match in an allow list cancels\n"
        "the image's other matches.\n"
        "\n"
        "Output, per file: 'PATH: match list=L entry=N category=C algo=A\n"
        "distance=D variant=V' for each match, 'PATH: allowed ...' or\n"
        "'PATH: no-known-match'.\n"
        "\n"
        "Options:\n"
        "  --db URL          the store (default: $VIGIL_DB or\n"
        "                    ~/.local/share/vigil/vigil.db)\n"
        "  --min-quality N   do not look up PDQ hashes of quality below N\n"
        "                    (default 50; digests are still looked up)\n" VG_CLI_HASH_HELP
        "  -h, --help        show this help\n"
        "\n"
        "Exit status: 0 if no file matched, 1 if any matched, 2 on errors.\n");
}

static int json_str_or_null(struct vg_buf *b, const char *s)
{
    return s ? vg_buf_json_str(b, s, strlen(s)) : vg_buf_puts(b, "null");
}

static int json_match(struct vg_buf *b, const struct vg_match *x)
{
    int rc = vg_buf_puts(b, "{\"list\":");

    if (!rc)
        rc = vg_buf_json_str(b, x->list, strlen(x->list));
    if (!rc)
        rc = vg_buf_printf(b, ",\"entry\":%lld,\"category\":",
                           (long long)x->entry);
    if (!rc)
        rc = json_str_or_null(b, x->category);
    if (!rc)
        rc = vg_buf_printf(b, ",\"algo\":\"%s\",\"distance\":%d,\"variant\":",
                           vg_algo_name(x->algo), x->distance);
    if (!rc)
        rc = x->variant >= 0
                 ? vg_buf_printf(b, "\"%s\"",
                                 vg_pdq_dihedral_name(
                                     (enum vg_pdq_dihedral)x->variant))
                 : vg_buf_puts(b, "null");
    if (!rc)
        rc = vg_buf_puts(b, ",\"external_id\":");
    if (!rc)
        rc = json_str_or_null(b, x->external_id);
    if (!rc)
        rc = vg_buf_puts(b, ",\"metadata\":");
    if (!rc)
        rc = json_str_or_null(b, x->metadata);
    return rc ? rc : vg_buf_puts(b, "}");
}

static int put_matches(struct vg_buf *b, const char *key,
                       const struct vg_match *v, size_t n)
{
    int rc = vg_buf_printf(b, ",\"%s\":[", key);

    for (size_t i = 0; !rc && i < n; i++)
        if (!(rc = i ? vg_buf_puts(b, ",") : VG_OK))
            rc = json_match(b, &v[i]);
    return rc ? rc : vg_buf_puts(b, "]");
}

static int plain_match(struct vg_buf *b, const char *path, const char *what,
                       const struct vg_match *x)
{
    return vg_buf_printf(
        b,
        "%s: %s list=%s entry=%lld category=%s algo=%s distance=%d"
        " variant=%s\n",
        path, what, x->list, (long long)x->entry,
        x->category ? x->category : "-", vg_algo_name(x->algo), x->distance,
        x->variant >= 0
            ? vg_pdq_dihedral_name((enum vg_pdq_dihedral)x->variant)
            : "-");
}

static int format(void *vctx, const struct vg_cli_hash_job *job,
                  const char *path, const struct vg_imagehash *h,
                  struct vg_buf *out, struct vg_buf *errs, int *flagged)
{
    struct ctx *c = vctx;
    struct vg_match_result r;
    struct vg_err err = {0};
    int rc;

    if ((rc = vg_matcher_lookup(c->m, h, &r, &err)))
        return rc;
    *flagged = r.nmatches > 0;
    if (r.pdq_skipped)
        rc = vg_buf_printf(errs,
                           "vigil: %s: PDQ quality %d is below %d: looked up "
                           "by MD5, SHA-1 and SHA-256 only\n",
                           path, h->pdq.quality, c->min_quality);
    if (!rc && job->json) {
        rc = vg_cli_hash_format(job, path, h, 1, out, errs);
        if (!rc)
            rc = put_matches(out, "matches", r.matches, r.nmatches);
        if (!rc)
            rc = vg_buf_printf(out, ",\"allowed\":%s",
                               r.nallowed ? "true" : "false");
        if (!rc && r.nallowed)
            rc = put_matches(out, "allowed_by", r.allowed_by, r.nallowed);
        if (!rc && r.nallowed)
            rc = put_matches(out, "suppressed", r.suppressed, r.nsuppressed);
        if (!rc && r.pdq_skipped)
            rc = vg_buf_printf(out, ",\"pdq_skipped\":true");
        if (!rc)
            rc = vg_buf_puts(out, "}\n");
    } else if (!rc) {
        for (size_t i = 0; !rc && i < r.nmatches; i++)
            rc = plain_match(out, path, "match", &r.matches[i]);
        for (size_t i = 0; !rc && i < r.nallowed; i++)
            rc = plain_match(out, path, "allowed", &r.allowed_by[i]);
        if (!rc && r.nallowed)
            rc = vg_buf_printf(out,
                               "%s: %zu match%s suppressed by the allow "
                               "list\n",
                               path, r.nsuppressed,
                               r.nsuppressed == 1 ? "" : "es");
        if (!rc && !r.nmatches && !r.nallowed)
            rc = vg_buf_printf(out, "%s: no-known-match\n", path);
    }
    vg_match_result_fini(&r);
    return rc;
}

enum { OPT_DB = VG_CLI_OPT_FIRST_FREE, OPT_MINQ };

int vg_cli_match(int argc, char **argv)
{
    static const struct option longopts[] = {
        VG_CLI_HASH_LONGOPTS,
        {"db", required_argument, NULL, OPT_DB},
        {"min-quality", required_argument, NULL, OPT_MINQ},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct vg_cli_hash_job job;
    struct ctx ctx = {NULL, 50};
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    const char *db = NULL;
    unsigned long long v;
    int c, rc, status;

    vg_cli_hash_job_init(&job, "match");
    job.opts.flags |= VG_IMAGEHASH_DIHEDRAL;
    job.format = format;
    job.ctx = &ctx;
    optind = 1;
    opterr = 0;
    /* options may follow the paths */
    while ((c = getopt_long(argc, argv, "j:h", longopts, NULL)) != -1) {
        if ((rc = vg_cli_hash_option(&job, c, optarg)) < 0)
            return MATCH_EXIT_ERROR;
        if (rc)
            continue;
        switch (c) {
        case OPT_DB:
            db = optarg;
            break;
        case OPT_MINQ:
            if (vg_cli_parse_size(optarg, 1, &v) || v > 100) {
                vg_cli_errorf("match: --min-quality wants 0 to 100, not '%s'",
                              optarg);
                return MATCH_EXIT_ERROR;
            }
            ctx.min_quality = (int)v;
            break;
        case 'h':
            usage(stdout);
            return MATCH_EXIT_NONE;
        default:
            vg_cli_bad_option("match", argv);
            usage(stderr);
            return MATCH_EXIT_ERROR;
        }
    }
    if (optind >= argc) {
        vg_cli_errorf("match: no PATH given");
        usage(stderr);
        return MATCH_EXIT_ERROR;
    }
    if (vg_cli_open_store("match", db, &st))
        return MATCH_EXIT_ERROR;
    if ((rc = vg_matcher_load(st, ctx.min_quality, &ctx.m, &err))) {
        vg_cli_errorf("match: loading the lists: %s",
                      err.msg[0] ? err.msg : vg_strerror(rc));
        vg_store_close(st);
        return MATCH_EXIT_ERROR;
    }
    status = vg_cli_hash_files(&job, argv + optind, argc - optind);
    vg_matcher_free(ctx.m);
    vg_store_close(st);
    if (status < 0 || (status & VG_CLI_HASH_FAILED))
        return MATCH_EXIT_ERROR;
    return status & VG_CLI_HASH_FLAGGED ? MATCH_EXIT_FOUND : MATCH_EXIT_NONE;
}
