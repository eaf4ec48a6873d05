/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil serve`: the server (vigil/server.h) until SIGTERM or SIGINT, then
 * a graceful stop: no new requests, those in flight finished, every
 * report they submitted on disk.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/server.h"

static void serve_usage(FILE *f)
{
    fprintf(f,
            "Usage: vigil serve [--db URL] [--listen ADDR:PORT] [--web DIR]\n"
            "                   [--key-file PATH]\n"
            "\n"
            "Serve Vigil over HTTP until SIGTERM or Ctrl-C (a graceful stop:\n"
            "requests in flight finish and their reports are stored).  So far\n"
            "the partner intake API, POST /api/v1/reports (see README).\n"
            "Put it behind a TLS-terminating proxy (nginx) in a deployment.\n"
            "\n"
            "  --listen ADDR:PORT  default 127.0.0.1:8080 (port 0: any free)\n"
            "  --rate-limit N      reports a minute per client address, and\n"
            "                      as many at once (default 30; 0: none).\n"
            "                      Addresses are kept only as a keyed hash,\n"
            "                      in memory\n"
            "  --web DIR           the web/ directory (default: the sources')\n"
            "  --key-file PATH     the key that seals contact details at rest\n"
            "                      (default: the database's path + \".key\";\n"
            "                      created, mode 600, when missing; keep a copy\n"
            "                      apart from the database's backups)\n");
}

int vg_cli_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"web", required_argument, NULL, 'w'},
        {"key-file", required_argument, NULL, 'k'},
        {"rate-limit", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct vg_server_opts o = {0};
    struct vg_server *srv = NULL;
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    const char *db = NULL, *key = NULL;
    char *url = NULL, keybuf[4096];
    sigset_t sigs;
    unsigned long long n = 0;
    int c, sig = 0, status = VG_EXIT_FAIL;

    o.listen = "127.0.0.1:8080";
    o.rate_per_minute = 30;
    o.web_dir = VIGIL_WEB_DIR;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'l': o.listen = optarg; break;
        case 'w': o.web_dir = optarg; break;
        case 'k': key = optarg; break;
        case 'r':
            if (!strcmp(optarg, "0"))
                o.rate_per_minute = 0;
            else if (vg_cli_parse_size(optarg, 1, &n) || n > 1000000) {
                vg_cli_errorf("serve: --rate-limit wants 0 to 1000000");
                return VG_EXIT_USAGE;
            } else
                o.rate_per_minute = (unsigned)n;
            break;
        case 'h': serve_usage(stdout); return VG_EXIT_OK;
        default:
            vg_cli_bad_option("serve", argv);
            serve_usage(stderr);
            return VG_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        serve_usage(stderr);
        return VG_EXIT_USAGE;
    }
    if (!key) {
        const char *path = db ? db : (url = vg_store_default_url());
        if (!path || strstr(path, "://")) {
            vg_cli_errorf("serve: give --key-file");
            goto out;
        }
        if (!strncmp(path, "sqlite:", 7))
            path += 7;
        snprintf(keybuf, sizeof(keybuf), "%s.key", path);
        key = keybuf;
    }
    o.key_file = key;
    /* signals are taken by sigwait below, not by any thread */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if (vg_cli_open_store("serve", db, &st))
        goto out;
    o.store = st;
    if (vg_server_new(&o, &srv, &err) || vg_server_start(srv, &err)) {
        vg_cli_errorf("serve: %s", err.msg[0] ? err.msg : "cannot start");
        goto out;
    }
    printf("vigil: serving on http://%.*s:%d/\n",
           (int)(strrchr(o.listen, ':') ? strrchr(o.listen, ':') - o.listen
                                        : 0),
           o.listen, vg_server_port(srv));
    fflush(stdout);
    sigwait(&sigs, &sig);
    fprintf(stderr, "vigil: %s: stopping\n", sig == SIGTERM ? "SIGTERM"
                                                            : "SIGINT");
    vg_server_stop(srv);
    status = VG_EXIT_OK;
out:
    vg_server_free(srv); /* stores what was submitted */
    vg_store_close(st);
    vg_free(url);
    return status;
}
