/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RDAP bootstrap of `vigil providers`: the one lookups use (the
 * files given, else IANA's installed in VG_RDAP_BOOTSTRAP_DIR, else the
 * shipped fallback in data/, said on stderr), and `vigil providers
 * rdap-bootstrap`, which shows it or installs IANA's files from a
 * directory after checking them (copied beside the old ones, checked,
 * then renamed over them: a bad download never replaces a good file).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "vigil/rdap.h"

static const char *const iana_names[] = {"ipv4.json", "ipv6.json"};

int vg_cli_rdap_open(const char *const *paths, struct vg_rdap_bootstrap **out,
                     struct vg_err *err)
{
    const char *shipped[] = {vg_cli_rdap_bootstrap(0),
                             vg_cli_rdap_bootstrap(1), NULL};
    char warning[1024];
    int rc = vg_rdap_bootstrap_open(paths, shipped, out, warning,
                                    sizeof(warning), err);

    if (!rc && warning[0])
        vg_cli_errorf("RDAP bootstrap %s; using the shipped fallback %s",
                      warning, vg_rdap_bootstrap_source(*out));
    return rc;
}

/* Copy src to dst (a new file); VG_OK or VG_EIO said. */
static int copy_file(const char *src, const char *dst, struct vg_err *err)
{
    FILE *in = fopen(src, "rb"), *out = NULL;
    char buf[65536];
    size_t n = 0, total = 0;
    int rc = VG_OK;

    if (!in)
        return vg_err_set(err, VG_EIO, "%s: %s", src, strerror(errno));
    if (!(out = fopen(dst, "wb"))) {
        fclose(in);
        return vg_err_set(err, VG_EIO, "%s: %s", dst, strerror(errno));
    }
    /* past the cap, what is copied is enough for the check to refuse */
    while (total <= VG_RDAP_BOOTSTRAP_MAX_BYTES &&
           (n = fread(buf, 1, sizeof(buf), in)) > 0) {
        if (fwrite(buf, 1, n, out) != n)
            break;
        total += n;
        n = 0;
    }
    if (ferror(in))
        rc = vg_err_set(err, VG_EIO, "%s: cannot read", src);
    if (fclose(out) || (!rc && n))
        rc = vg_err_set(err, VG_EIO, "%s: cannot write", dst);
    fclose(in);
    return rc;
}

/* IANA's files of from into dir, each checked before it replaces the
   one there. */
static int install(const char *from, const char *dir, struct vg_err *err)
{
    char src[2][4096], tmp[2][4096], dst[2][4096];
    struct vg_rdap_bootstrap *b = NULL;
    int rc = VG_OK;

    if (mkdir(dir, 0755) && errno != EEXIST)
        return vg_err_set(err, VG_EIO, "%s: %s", dir, strerror(errno));
    for (int i = 0; i < 2; i++) {
        snprintf(src[i], sizeof(src[i]), "%s/%s", from, iana_names[i]);
        snprintf(tmp[i], sizeof(tmp[i]), "%s/.%s.new", dir, iana_names[i]);
        snprintf(dst[i], sizeof(dst[i]), "%s/%s", dir, iana_names[i]);
    }
    if ((rc = vg_rdap_bootstrap_new(&b)))
        return rc;
    for (int i = 0; i < 2 && !rc; i++)
        if (!(rc = copy_file(src[i], tmp[i], err)) &&
            (rc = vg_rdap_bootstrap_load(b, tmp[i], err)) && rc != VG_ENOMEM) {
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            vg_err_set(err, rc, "refused %s (nothing installed): %s", src[i],
                       msg);
        }
    vg_rdap_bootstrap_free(b);
    for (int i = 0; i < 2 && !rc; i++)
        if (rename(tmp[i], dst[i]))
            rc = vg_err_set(err, VG_EIO, "%s: %s", dst[i], strerror(errno));
    for (int i = 0; i < 2; i++)
        remove(tmp[i]);
    return rc;
}

/* Show the bootstrap of dir (NULL: the installed one), after installing
   from's files there; VG_OK, 1 on the fallback, or the error. */
static int rdap_bootstrap(const char *from, const char *dir,
                          struct vg_err *err)
{
    const char *paths[] = {dir ? dir : VG_RDAP_BOOTSTRAP_DIR, NULL};
    struct vg_rdap_bootstrap *b = NULL;
    struct stat sb;
    int rc;

    if (from && (stat(from, &sb) || !S_ISDIR(sb.st_mode)))
        return vg_err_set(err, VG_EINVAL,
                          "--from wants the directory of IANA's ipv4.json "
                          "and ipv6.json, not %s",
                          from);
    if (from && (rc = install(from, paths[0], err)))
        return rc;
    if ((rc = vg_cli_rdap_open(dir ? paths : NULL, &b, err)))
        return rc;
    printf("%s %s%s\nprefixes  %zu\n", from ? "installed" : "bootstrap",
           vg_rdap_bootstrap_is_fallback(b) ? "the shipped fallback " : "",
           vg_rdap_bootstrap_source(b), vg_rdap_bootstrap_count(b));
    rc = vg_rdap_bootstrap_is_fallback(b) ? 1 : VG_OK;
    vg_rdap_bootstrap_free(b);
    return rc;
}

int vg_cli_providers_rdap(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"from", required_argument, NULL, 'f'},
        {"dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *from = NULL, *dir = NULL;
    struct vg_err err = {0};
    int c, rc;

    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'f')
            from = optarg;
        else if (c == 'd')
            dir = optarg;
        else if (c == 'h') {
            printf("Usage: vigil providers rdap-bootstrap [--from DIR] "
                   "[--dir DIR]\n"
                   "Says which RDAP bootstrap lookups use (exit 1: the "
                   "shipped fallback);\n"
                   "--from installs IANA's ipv4.json and ipv6.json of DIR, "
                   "once checked,\n"
                   "into --dir (default " VG_RDAP_BOOTSTRAP_DIR ").\n");
            return VG_EXIT_OK;
        } else {
            vg_cli_bad_option("providers rdap-bootstrap", argv);
            return VG_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        vg_cli_errorf("providers rdap-bootstrap: expected no argument");
        return VG_EXIT_USAGE;
    }
    if ((rc = rdap_bootstrap(from, dir, &err)) < 0)
        vg_cli_errorf("providers rdap-bootstrap: %s",
                      err.msg[0] ? err.msg : vg_strerror(rc));
    return rc ? VG_EXIT_FAIL : VG_EXIT_OK;
}
