/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil hash`: hash files and directory trees with N worker threads,
 * printing one line per file in input order (a bounded reorder window keeps
 * memory flat however many files there are).
 * Output: `PDQHEX,QUALITY,PATH` as the reference pdq-photo-hasher prints;
 * with --dihedral the reference's --pdqdih-across form
 * `ORIG,ROT90,ROT180,ROT270,FLIPX,FLIPY,FLIPPLUS1,FLIPMINUS1,QUALITY,PATH`;
 * with --json one JSON object per line.  Failures go to stderr (and as
 * {"path":…,"error":…} with --json); the others are still hashed.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/imagehash.h"
#include "vigil/walk.h"

struct result {
    int done;
    int failed;
    struct vg_buf out, err;
};

struct pool {
    struct vg_imagehash_opts opts;
    int json;
    struct vg_walk *walk;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned long next_seq, printed;
    int walk_done, fatal;
    unsigned window;
    struct result *slots;
    unsigned long skipped;
};

static void usage(FILE *f)
{
    fprintf(f,
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
        "  --fast            faster, approximate: JPEG decoded at reduced size\n"
        "                    (sides >= 512) with the decoder's luma\n"
        "  --prescale-512    C++ pdq-photo-hasher convention: resize larger\n"
        "                    images to 512x512 (nearest neighbour) first\n"
        "  --json            JSON Lines with digests, size and warnings\n"
        "  -j, --jobs N      hash N files in parallel (default: CPU cores)\n"
        "  --max-pixels N    refuse images over N pixels (default 128M)\n"
        "  --max-size N      refuse files over N bytes (default 256M; K/M/G)\n"
        "  -h, --help        show this help\n"
        "\n"
        "Exit status: 0 if every file was hashed, 1 if any failed, 2 on usage\n"
        "errors.\n");
}

/* Format one successful result. */
static int format_ok(const struct pool *p, const char *path,
                     const struct vg_imagehash *h, struct result *r)
{
    char hex[65], md5[33], sha1[41], sha256[65];
    int rc = 0, dih = p->opts.flags & VG_IMAGEHASH_DIHEDRAL;

    vg_pdq_to_hex(&h->pdq.hash, hex);
    if (!p->json) {
        if (dih)
            for (int d = 0; !rc && d < VG_PDQ_NDIHEDRAL; d++) {
                vg_pdq_to_hex(&h->pdq.dihedral[d], hex);
                rc = vg_buf_printf(&r->out, "%s,", hex);
            }
        else
            rc = vg_buf_printf(&r->out, "%s,", hex);
        if (!rc)
            rc = vg_buf_printf(&r->out, "%d,%s\n", h->pdq.quality, path);
        if (!rc && h->warning[0])
            rc = vg_buf_printf(&r->err, "vigil: %s: warning: %s\n", path,
                               h->warning);
        return rc;
    }
    vg_hex_encode(h->digests.md5, 16, md5);
    vg_hex_encode(h->digests.sha1, 20, sha1);
    vg_hex_encode(h->digests.sha256, 32, sha256);
    rc = vg_buf_puts(&r->out, "{\"path\":");
    if (!rc)
        rc = vg_buf_json_str(&r->out, path, strlen(path));
    if (!rc)
        rc = vg_buf_printf(&r->out,
                           ",\"pdq\":\"%s\",\"quality\":%d,\"md5\":\"%s\","
                           "\"sha1\":\"%s\",\"sha256\":\"%s\",\"width\":%u,"
                           "\"height\":%u,\"format\":\"%s\"",
                           hex, h->pdq.quality, md5, sha1, sha256, h->width,
                           h->height, vg_media_format_name(h->format));
    if (!rc && dih) {
        rc = vg_buf_puts(&r->out, ",\"dihedral\":[");
        for (int d = 0; !rc && d < VG_PDQ_NDIHEDRAL; d++) {
            vg_pdq_to_hex(&h->pdq.dihedral[d], hex);
            rc = vg_buf_printf(&r->out, "%s\"%s\"", d ? "," : "", hex);
        }
        if (!rc)
            rc = vg_buf_puts(&r->out, "]");
    }
    if (!rc && h->warning[0]) {
        rc = vg_buf_puts(&r->out, ",\"warning\":");
        if (!rc)
            rc = vg_buf_json_str(&r->out, h->warning, strlen(h->warning));
        if (!rc)
            rc = vg_buf_printf(&r->err, "vigil: %s: warning: %s\n", path,
                               h->warning);
    }
    return rc ? rc : vg_buf_puts(&r->out, "}\n");
}

static int format_err(const struct pool *p, const char *path, int code,
                      const char *msg, struct result *r)
{
    char text[700];
    int rc = 0;

    if (msg && *msg)
        snprintf(text, sizeof(text), "%s: %s", vg_strerror(code), msg);
    else
        snprintf(text, sizeof(text), "%s", vg_strerror(code));
    r->failed = 1;
    if (p->json) {
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
static int looks_like_image(const char *path)
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

/* Hash one entry into r; returns 1 when the entry was skipped. */
static int run_one(struct pool *p, const struct vg_walk_entry *e,
                   struct result *r)
{
    struct vg_imagehash h;
    struct vg_err err = {0};
    int rc;

    if (e->error) {
        format_err(p, e->path, e->error, e->error_msg, r);
        return 0;
    }
    if (e->from_dir && !looks_like_image(e->path))
        return 1;
    if (!strcmp(e->path, "-"))
        rc = vg_imagehash_stream(stdin, &p->opts, &h, &err);
    else
        rc = vg_imagehash_file(e->path, &p->opts, &h, &err);
    if (rc)
        format_err(p, e->path, rc, err.msg, r);
    else if (format_ok(p, e->path, &h, r))
        format_err(p, e->path, VG_ENOMEM, "formatting the result", r);
    return 0;
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    struct vg_walk_entry e;
    char *path = NULL;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->walk_done && !p->fatal &&
               p->next_seq >= p->printed + p->window)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->walk_done || p->fatal)
            break;
        int rc = vg_walk_next(p->walk, &e);
        if (rc) {
            if (rc != VG_ENOENT)
                p->fatal = rc;
            p->walk_done = 1;
            pthread_cond_broadcast(&p->cv);
            break;
        }
        unsigned long seq = p->next_seq++;
        struct result *r = &p->slots[seq % p->window];
        struct vg_walk_entry mine = e;
        char *msg = NULL;
        if (!(path = vg_strdup(e.path)) ||
            (e.error_msg && !(msg = vg_strdup(e.error_msg)))) {
            vg_free(path);
            path = NULL;
            p->fatal = VG_ENOMEM;
            r->done = 1;
            pthread_cond_broadcast(&p->cv);
            break;
        }
        mine.path = path;
        mine.error_msg = msg;
        pthread_mutex_unlock(&p->mu);

        int skipped = run_one(p, &mine, r);
        vg_free(path);
        vg_free(msg);
        path = NULL;

        pthread_mutex_lock(&p->mu);
        if (skipped)
            p->skipped++;
        r->done = 1;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Print results in order as they complete; returns 1 if any failed. */
static int printer(struct pool *p)
{
    int any_failed = 0;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct result *r = &p->slots[p->printed % p->window];
        while (!r->done && !(p->walk_done && p->printed == p->next_seq))
            pthread_cond_wait(&p->cv, &p->mu);
        if (!r->done)
            break;
        pthread_mutex_unlock(&p->mu);
        if (r->out.len)
            fwrite(r->out.data, 1, r->out.len, stdout);
        if (r->err.len) {
            fflush(stdout);
            fwrite(r->err.data, 1, r->err.len, stderr);
        }
        any_failed |= r->failed;
        vg_buf_reset(&r->out);
        vg_buf_reset(&r->err);
        pthread_mutex_lock(&p->mu);
        r->done = r->failed = 0;
        p->printed++;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return any_failed;
}

enum { OPT_DIHEDRAL = 256, OPT_FAST, OPT_PRESCALE, OPT_JSON, OPT_MAXPX,
       OPT_MAXSIZE };

int vg_cli_hash(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dihedral", no_argument, NULL, OPT_DIHEDRAL},
        {"fast", no_argument, NULL, OPT_FAST},
        {"prescale-512", no_argument, NULL, OPT_PRESCALE},
        {"json", no_argument, NULL, OPT_JSON},
        {"jobs", required_argument, NULL, 'j'},
        {"max-pixels", required_argument, NULL, OPT_MAXPX},
        {"max-size", required_argument, NULL, OPT_MAXSIZE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct pool p;
    unsigned long long v;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned jobs = ncpu > 0 ? (unsigned)ncpu : 1;
    pthread_t *threads = NULL;
    unsigned started = 0;
    int c, status = VG_EXIT_OK;

    memset(&p, 0, sizeof(p));
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+j:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DIHEDRAL: p.opts.flags |= VG_IMAGEHASH_DIHEDRAL; break;
        case OPT_FAST: p.opts.flags |= VG_IMAGEHASH_FAST; break;
        case OPT_PRESCALE: p.opts.flags |= VG_IMAGEHASH_PRESCALE_512; break;
        case OPT_JSON: p.json = 1; break;
        case 'j':
            if (vg_cli_parse_size(optarg, 1, &v) || v > 1024) {
                vg_cli_errorf("hash: -j wants a number from 1 to 1024, not "
                              "'%s'", optarg);
                return VG_EXIT_USAGE;
            }
            jobs = (unsigned)v;
            break;
        case OPT_MAXPX:
            if (vg_cli_parse_size(optarg, 1, &v)) {
                vg_cli_errorf("hash: bad --max-pixels '%s'", optarg);
                return VG_EXIT_USAGE;
            }
            p.opts.limits.max_pixels = v;
            break;
        case OPT_MAXSIZE:
            if (vg_cli_parse_size(optarg, 0, &v)) {
                vg_cli_errorf("hash: bad --max-size '%s'", optarg);
                return VG_EXIT_USAGE;
            }
            p.opts.limits.max_bytes = v;
            break;
        case 'h':
            usage(stdout);
            return VG_EXIT_OK;
        default:
            if (optopt)
                vg_cli_errorf("hash: unknown option '-%c'", optopt);
            else
                vg_cli_errorf("hash: unknown option '%s'", argv[optind - 1]);
            usage(stderr);
            return VG_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        vg_cli_errorf("hash: no PATH given");
        usage(stderr);
        return VG_EXIT_USAGE;
    }
    if ((p.opts.flags & VG_IMAGEHASH_FAST) &&
        (p.opts.flags & VG_IMAGEHASH_PRESCALE_512)) {
        vg_cli_errorf("hash: --fast and --prescale-512 are exclusive");
        return VG_EXIT_USAGE;
    }
    for (int i = optind, n = 0; i < argc; i++)
        if (!strcmp(argv[i], "-") && ++n > 1) {
            vg_cli_errorf("hash: '-' (standard input) may be given once");
            return VG_EXIT_USAGE;
        }
    if (vg_walk_new(argv + optind, argc - optind, &p.walk))
        goto oom;
    p.window = jobs * 4;
    if (!(p.slots = vg_calloc(p.window, sizeof(*p.slots))) ||
        !(threads = vg_calloc(jobs, sizeof(*threads))))
        goto oom;
    for (unsigned i = 0; i < p.window; i++) {
        vg_buf_init(&p.slots[i].out, 0);
        vg_buf_init(&p.slots[i].err, 0);
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    for (; started < jobs; started++)
        if (pthread_create(&threads[started], NULL, worker, &p))
            break;
    if (!started) {
        vg_cli_errorf("hash: cannot start worker threads");
        status = VG_EXIT_FAIL;
    } else if (printer(&p)) {
        status = VG_EXIT_FAIL;
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    if (p.fatal) {
        vg_cli_errorf("hash: %s", vg_strerror(p.fatal));
        status = VG_EXIT_FAIL;
    }
    if (fflush(stdout) != 0) {
        vg_cli_errorf("hash: writing the output failed");
        status = VG_EXIT_FAIL;
    }
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    for (unsigned i = 0; i < p.window; i++) {
        vg_buf_fini(&p.slots[i].out);
        vg_buf_fini(&p.slots[i].err);
    }
    vg_free(p.slots);
    vg_free(threads);
    vg_walk_free(p.walk);
    return status;
oom:
    vg_cli_errorf("hash: out of memory");
    vg_free(p.slots);
    vg_free(threads);
    vg_walk_free(p.walk);
    return VG_EXIT_FAIL;
}
