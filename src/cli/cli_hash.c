/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil hash`: hash files and directory trees on the pipeline's engine
 * (vigil/pipeline.h, ordered) with N worker threads, printing one line per
 * file in input order (the engine's window keeps memory flat however many
 * files there are).
 * Output: `PDQHEX,QUALITY,PATH` as the reference pdq-photo-hasher prints;
 * with --dihedral the reference's --pdqdih-across form
 * `ORIG,ROT90,ROT180,ROT270,FLIPX,FLIPY,FLIPPLUS1,FLIPMINUS1,QUALITY,PATH`;
 * with --json one JSON object per line.  Failures go to stderr (and as
 * {"path":…,"error":…} with --json); the others are still hashed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/digest.h"
#include "vigil/imagehash.h"
#include "vigil/pipeline.h"
#include "vigil/walk.h"

/* One file in flight: the walk's entry (copied) and what it printed. */
struct result {
    struct vg_engine_job ej; /* first: the engine's bookkeeping */
    const struct vg_cli_hash_job *job;
    struct vg_walk_entry e;
    char *path, *msg;
    int skipped, failed, flagged;
    struct vg_buf out, err;
};

static void usage(FILE *f)
{
    fprintf(
        f,
        "Usage: vigil hash [OPTIONS] PATH...\n"
        "\n"
        "Hash image files (JPEG, PNG, GIF, WebP, BMP; format judged from the\n"
        "bytes): PDQ and its quality, MD5, SHA-1, SHA-256. PATH is a file, a\n"
        "directory (walked recursively; files that are not images are\n"
        "skipped) or '-' for standard input.\n"
        "\n"
        "Output, one line per file in input order: PDQHEX,QUALITY,PATH\n"
        "\n"
        "Options:\n"
        "  --dihedral        also the 8 dihedral hashes (orig, rot90, rot180,\n"
        "                    rot270, flipx, flipy, flipplus1, flipminus1)\n"
        "  --prescale-512    C++ pdq-photo-hasher convention: resize larger\n"
        "                    images to 512x512 (nearest neighbour) first\n" VG_CLI_HASH_HELP
        "  -h, --help        show this help\n"
        "\n"
        "Exit status: 0 if every file was hashed, 1 if any failed, 2 on usage\n"
        "errors.\n");
}

/*
 * The registry's algorithms beyond the built-ins, as "name":"hex" (and
 * "name_quality" when the algorithm has one), after the built-ins.
 */
static int format_extras(const struct vg_imagehash *h, struct vg_buf *out)
{
    char hex[2 * VG_IMAGEHASH_VALBYTES + 1];
    int rc = 0;

    for (unsigned i = 0; !rc && i < h->nvalues; i++) {
        const struct vg_imagehash_value *v = &h->values[i];
        const char *name = vg_algo_name((enum vg_algo)v->algo);

        if (v->algo < VG_ALGO_COUNT)
            continue;
        vg_hex_encode(h->valbuf + v->off, v->len, hex);
        rc = vg_buf_printf(out, ",\"%s\":\"%s\"", name, hex);
        if (!rc && v->quality >= 0)
            rc = vg_buf_printf(out, ",\"%s_quality\":%d", name, v->quality);
    }
    return rc;
}

int vg_cli_hash_format(const struct vg_cli_hash_job *job, const char *path,
                       const struct vg_imagehash *h, int open,
                       struct vg_buf *out, struct vg_buf *errs)
{
    char hex[65], md5[33], sha1[41], sha256[65];
    int rc = 0, dih = job->opts.flags & VG_IMAGEHASH_DIHEDRAL;

    vg_pdq_to_hex(&h->pdq.hash, hex);
    if (!job->json) {
        if (dih)
            for (int d = 0; !rc && d < VG_PDQ_NDIHEDRAL; d++) {
                vg_pdq_to_hex(&h->pdq.dihedral[d], hex);
                rc = vg_buf_printf(out, "%s,", hex);
            }
        else
            rc = vg_buf_printf(out, "%s,", hex);
        if (!rc)
            rc = vg_buf_printf(out, "%d,%s\n", h->pdq.quality, path);
        if (!rc && h->warning[0])
            rc = vg_buf_printf(errs, "vigil: %s: warning: %s\n", path,
                               h->warning);
        return rc;
    }
    vg_hex_encode(h->digests.md5, 16, md5);
    vg_hex_encode(h->digests.sha1, 20, sha1);
    vg_hex_encode(h->digests.sha256, 32, sha256);
    rc = vg_buf_puts(out, "{\"path\":");
    if (!rc)
        rc = vg_buf_json_str(out, path, strlen(path));
    if (!rc)
        rc = vg_buf_printf(out,
                           ",\"pdq\":\"%s\",\"quality\":%d,\"md5\":\"%s\","
                           "\"sha1\":\"%s\",\"sha256\":\"%s\"",
                           hex, h->pdq.quality, md5, sha1, sha256);
    if (!rc)
        rc = format_extras(h, out);
    if (!rc)
        rc = vg_buf_printf(out,
                           ",\"width\":%u,\"height\":%u,\"format\":\"%s\"",
                           h->width, h->height,
                           vg_media_format_name(h->format));
    if (!rc && dih) {
        rc = vg_buf_puts(out, ",\"dihedral\":[");
        for (int d = 0; !rc && d < VG_PDQ_NDIHEDRAL; d++) {
            vg_pdq_to_hex(&h->pdq.dihedral[d], hex);
            rc = vg_buf_printf(out, "%s\"%s\"", d ? "," : "", hex);
        }
        if (!rc)
            rc = vg_buf_puts(out, "]");
    }
    if (!rc && h->warning[0]) {
        rc = vg_buf_puts(out, ",\"warning\":");
        if (!rc)
            rc = vg_buf_json_str(out, h->warning, strlen(h->warning));
        if (!rc)
            rc = vg_buf_printf(errs, "vigil: %s: warning: %s\n", path,
                               h->warning);
    }
    return rc || open ? rc : vg_buf_puts(out, "}\n");
}

static int format_ok(void *ctx, const struct vg_cli_hash_job *job,
                     const char *path, const struct vg_imagehash *h,
                     struct vg_buf *out, struct vg_buf *errs, int *flagged)
{
    (void)ctx;
    *flagged = 0;
    return vg_cli_hash_format(job, path, h, 0, out, errs);
}

static int format_err(const struct vg_cli_hash_job *job, const char *path,
                      int code, const char *msg, struct result *r)
{
    char text[700];
    int rc = 0;

    if (msg && *msg)
        snprintf(text, sizeof(text), "%s: %s", vg_strerror(code), msg);
    else
        snprintf(text, sizeof(text), "%s", vg_strerror(code));
    r->failed = 1;
    if (job->json) {
        rc = vg_buf_puts(&r->out, "{\"path\":");
        if (!rc)
            rc = vg_buf_json_str(&r->out, path, strlen(path));
        if (!rc)
            rc = vg_buf_puts(&r->out, ",\"error\":");
        if (!rc)
            rc = vg_buf_json_str(&r->out, text, strlen(text));
        if (!rc)
            rc = vg_buf_puts(&r->out, "}\n");
    }
    return rc ? rc : vg_buf_printf(&r->err, "vigil: %s: %s\n", path, text);
}

/* Files found in directories that are not images are skipped silently. */
int vg_cli_looks_like_image(const char *path)
{
    uint8_t head[16];
    size_t n = 0;
    FILE *f = fopen(path, "rb");

    if (!f)
        return 1; /* let the hasher report why */
    n = fread(head, 1, sizeof(head), f);
    fclose(f);
    return vg_media_sniff(head, n) != VG_MEDIA_UNKNOWN;
}

/* Hash one entry into r (on a worker); r->skipped when it was skipped. */
static void run_one(void *ctx, struct vg_engine_job *ej)
{
    struct result *r = (struct result *)ej;
    const struct vg_cli_hash_job *job = r->job;
    const struct vg_walk_entry *e = &r->e;
    struct vg_imagehash h;
    struct vg_err err = {0};
    int rc;

    (void)ctx;
    if (e->error) {
        format_err(job, e->path, e->error, e->error_msg, r);
        return;
    }
    if (e->from_dir && !vg_cli_looks_like_image(e->path)) {
        r->skipped = 1;
        return;
    }
    if (!strcmp(e->path, "-"))
        rc = vg_imagehash_stream(stdin, &job->opts, &h, &err);
    else
        rc = vg_imagehash_file(e->path, &job->opts, &h, &err);
    if (rc) {
        format_err(job, e->path, rc, err.msg, r);
    } else {
        vg_err_clear(&err);
        rc = job->format(job->ctx, job, e->path, &h, &r->out, &r->err,
                         &r->flagged);
        if (rc) {
            vg_buf_reset(&r->out);
            format_err(job, e->path, rc, err.msg, r);
        }
    }
}

/* Print a finished file and free its slot; the VG_CLI_HASH_* bits. */
static int print_one(struct result *r)
{
    int any = (r->failed ? VG_CLI_HASH_FAILED : 0) |
              (r->flagged ? VG_CLI_HASH_FLAGGED : 0);

    if (r->out.len)
        fwrite(r->out.data, 1, r->out.len, stdout);
    if (r->err.len) {
        fflush(stdout);
        fwrite(r->err.data, 1, r->err.len, stderr);
    }
    vg_buf_reset(&r->out);
    vg_buf_reset(&r->err);
    vg_free(r->path);
    vg_free(r->msg);
    r->path = r->msg = NULL;
    r->skipped = r->failed = r->flagged = 0;
    return any;
}

/* A copy of the walk's entry (its strings live until the next step). */
static int entry_copy(struct result *r, const struct vg_walk_entry *e)
{
    r->e = *e;
    if (!(r->path = vg_strdup(e->path)) ||
        (e->error_msg && !(r->msg = vg_strdup(e->error_msg)))) {
        vg_free(r->path);
        r->path = NULL;
        return VG_ENOMEM;
    }
    r->e.path = r->path;
    r->e.error_msg = r->msg;
    return VG_OK;
}

/*
 * Walk, submit and print in order: a slot of the window is free again
 * once its file is printed, so slot = submission number mod window.
 * Returns the VG_CLI_HASH_* bits; *fatal a walk or memory error.
 */
static int pump(struct vg_engine *eng, struct vg_walk *walk,
                struct result *slots, unsigned window, int *fatal)
{
    struct vg_walk_entry e;
    struct vg_engine_job *done;
    unsigned long seq = 0;
    int any = 0, rc;

    for (;;) {
        if (vg_engine_pending(eng) >= window)
            any |= print_one((struct result *)vg_engine_take(eng, 1));
        if ((rc = vg_walk_next(walk, &e))) {
            if (rc != VG_ENOENT)
                *fatal = rc;
            break;
        }
        if ((rc = entry_copy(&slots[seq % window], &e))) {
            *fatal = rc;
            break;
        }
        vg_engine_submit(eng, &slots[seq++ % window].ej);
    }
    while ((done = vg_engine_take(eng, 1)))
        any |= print_one((struct result *)done);
    return any;
}

int vg_cli_hash_option(struct vg_cli_hash_job *job, int c, const char *arg)
{
    unsigned long long v;

    switch (c) {
    case VG_CLI_OPT_FAST:
        job->opts.flags |= VG_IMAGEHASH_FAST;
        return 1;
    case VG_CLI_OPT_JSON:
        job->json = 1;
        return 1;
    case 'j':
        if (vg_cli_parse_size(arg, 1, &v) || v < 1 || v > 1024) {
            vg_cli_errorf("%s: -j wants a number from 1 to 1024, not '%s'",
                          job->cmd, arg);
            return -1;
        }
        job->jobs = (unsigned)v;
        return 1;
    case VG_CLI_OPT_MAXPX:
        if (vg_cli_parse_size(arg, 1, &v)) {
            vg_cli_errorf("%s: bad --max-pixels '%s'", job->cmd, arg);
            return -1;
        }
        job->opts.limits.max_pixels = v;
        return 1;
    case VG_CLI_OPT_MAXSIZE:
        if (vg_cli_parse_size(arg, 0, &v)) {
            vg_cli_errorf("%s: bad --max-size '%s'", job->cmd, arg);
            return -1;
        }
        job->opts.limits.max_bytes = v;
        return 1;
    default:
        return 0;
    }
}

void vg_cli_hash_job_init(struct vg_cli_hash_job *job, const char *cmd)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    memset(job, 0, sizeof(*job));
    job->cmd = cmd;
    job->jobs = ncpu > 0 ? (unsigned)ncpu : 1;
    job->format = format_ok;
}

/*
 * One path that is a file (or '-'): hashed on this thread, as starting
 * worker threads costs more than hashing a small image.  Returns the
 * VG_CLI_HASH_* bits, or -1 when path is not such a single file.
 */
static int single_file(const struct vg_cli_hash_job *job, char *path)
{
    struct vg_walk *walk = NULL;
    struct vg_walk_entry e;
    struct result r;
    struct stat st;
    int status;

    if (strcmp(path, "-") && (stat(path, &st) || S_ISDIR(st.st_mode)))
        return -1;
    if (vg_walk_new(&path, 1, &walk) || vg_walk_next(walk, &e)) {
        vg_walk_free(walk);
        return -1;
    }
    memset(&r, 0, sizeof(r));
    r.job = job;
    vg_buf_init(&r.out, 0);
    vg_buf_init(&r.err, 0);
    if (entry_copy(&r, &e)) {
        vg_walk_free(walk);
        return -1;
    }
    vg_walk_free(walk);
    run_one(NULL, &r.ej);
    status = print_one(&r);
    vg_buf_fini(&r.out);
    vg_buf_fini(&r.err);
    if (fflush(stdout) != 0) {
        vg_cli_errorf("%s: writing the output failed", job->cmd);
        status |= VG_CLI_HASH_FAILED;
    }
    return status;
}

int vg_cli_hash_files(const struct vg_cli_hash_job *job, char **paths,
                      int npaths)
{
    struct vg_engine_opts eo = {job->jobs, job->jobs * 4, 1,
                                run_one,   NULL,          NULL};
    struct vg_engine *eng = NULL;
    struct vg_walk *walk = NULL;
    struct result *slots = NULL;
    int status = 0, fatal = 0;

    for (int i = 0, n = 0; i < npaths; i++)
        if (!strcmp(paths[i], "-") && ++n > 1) {
            vg_cli_errorf("%s: '-' (standard input) may be given once",
                          job->cmd);
            return -1;
        }
    if (npaths == 1 && (status = single_file(job, paths[0])) >= 0)
        return status;
    status = 0;
    if (vg_walk_new(paths, npaths, &walk) ||
        !(slots = vg_calloc(eo.window, sizeof(*slots))))
        goto oom;
    for (unsigned i = 0; i < eo.window; i++) {
        slots[i].job = job;
        vg_buf_init(&slots[i].out, 0);
        vg_buf_init(&slots[i].err, 0);
    }
    if (vg_engine_new(&eo, &eng)) {
        vg_cli_errorf("%s: cannot start worker threads", job->cmd);
        status = VG_CLI_HASH_FAILED;
    } else {
        status = pump(eng, walk, slots, eo.window, &fatal);
    }
    vg_engine_free(eng, NULL);
    if (fatal) {
        vg_cli_errorf("%s: %s", job->cmd, vg_strerror(fatal));
        status |= VG_CLI_HASH_FAILED;
    }
    if (fflush(stdout) != 0) {
        vg_cli_errorf("%s: writing the output failed", job->cmd);
        status |= VG_CLI_HASH_FAILED;
    }
    for (unsigned i = 0; i < eo.window; i++) {
        vg_buf_fini(&slots[i].out);
        vg_buf_fini(&slots[i].err);
    }
    vg_free(slots);
    vg_walk_free(walk);
    return status;
oom:
    vg_cli_errorf("%s: out of memory", job->cmd);
    vg_free(slots);
    vg_walk_free(walk);
    return VG_CLI_HASH_FAILED;
}

enum { OPT_DIHEDRAL = VG_CLI_OPT_FIRST_FREE, OPT_PRESCALE };

int vg_cli_hash(int argc, char **argv)
{
    static const struct option longopts[] = {
        VG_CLI_HASH_LONGOPTS,
        {"dihedral", no_argument, NULL, OPT_DIHEDRAL},
        {"prescale-512", no_argument, NULL, OPT_PRESCALE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct vg_cli_hash_job job;
    int c, st;

    vg_cli_hash_job_init(&job, "hash");
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+j:h", longopts, NULL)) != -1) {
        if ((st = vg_cli_hash_option(&job, c, optarg)) < 0)
            return VG_EXIT_USAGE;
        if (st)
            continue;
        switch (c) {
        case OPT_DIHEDRAL:
            job.opts.flags |= VG_IMAGEHASH_DIHEDRAL;
            break;
        case OPT_PRESCALE:
            job.opts.flags |= VG_IMAGEHASH_PRESCALE_512;
            break;
        case 'h':
            usage(stdout);
            return VG_EXIT_OK;
        default:
            vg_cli_bad_option("hash", argv);
            usage(stderr);
            return VG_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        vg_cli_errorf("hash: no PATH given");
        usage(stderr);
        return VG_EXIT_USAGE;
    }
    if ((job.opts.flags & VG_IMAGEHASH_FAST) &&
        (job.opts.flags & VG_IMAGEHASH_PRESCALE_512)) {
        vg_cli_errorf("hash: --fast and --prescale-512 are exclusive");
        return VG_EXIT_USAGE;
    }
    if (!job.json) /* the plain lines print no digest */
        job.opts.flags |= VG_IMAGEHASH_NO_DIGESTS;
    st = vg_cli_hash_files(&job, argv + optind, argc - optind);
    if (st < 0)
        return VG_EXIT_USAGE;
    return st ? VG_EXIT_FAIL : VG_EXIT_OK;
}
