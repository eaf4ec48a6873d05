/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil serve`: the server (vigil/server.h) until SIGTERM or SIGINT, then
 * a graceful stop: no new requests, those in flight finished, every
 * report they submitted on disk.  Options come from --config FILE
 * ("name = value" lines) and the command line, which wins.
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
            "Usage: vigil serve [--config FILE] [--db URL] [--listen ADDR:PORT]\n"
            "                   [--web DIR] [--key-file PATH] [--rate-limit N]\n"
            "                   [--reviewers N] [--trust-proxy] [--no-crawl]\n"
            "                   [NOTICE OPTIONS]\n"
            "                   [--threads N] [--per-address N]\n"
            "\n"
            "Serve Vigil over HTTP until SIGTERM or Ctrl-C (a graceful stop:\n"
            "requests in flight finish and their reports are stored): the\n"
            "public report form and help pages, the partner intake API\n"
            "(POST /api/v1/reports) and the analyst console (/console).\n"
            "Put it behind a TLS-terminating proxy (nginx: deploy/README.md);\n"
            "never serve the console over plain HTTP.\n"
            "\n"
            "  --config FILE       options as \"name = value\" lines, '#' starts\n"
            "                      a comment (\"trust-proxy = yes\"); the command\n"
            "                      line wins\n"
            "  --listen ADDR:PORT  default 127.0.0.1:8080 (port 0: any free)\n"
            "  --rate-limit N      reports a minute per client address, and\n"
            "                      as many at once (default 30; 0: none).\n"
            "                      Addresses are kept only as a keyed hash,\n"
            "                      in memory\n"
            "  --threads N         HTTP threads (default 8); a request waiting\n"
            "                      for its report's commit holds one\n"
            "  --per-address N     connections at once from one client address\n"
            "                      (default 32); behind a proxy every\n"
            "                      connection comes from the proxy's address\n"
            "  --web DIR           the web/ directory (default: the sources')\n"
            "  --key-file PATH     the key that seals contact details at rest\n"
            "                      (default: the database's path + \".key\";\n"
            "                      created, mode 600, when missing; keep a copy\n"
            "                      apart from the database's backups)\n"
            "  --reviewers N       analysts who must agree on a media item\n"
            "                      before its hash joins the verified list\n"
            "                      (default 2)\n"
            "  --trust-proxy       behind a proxy on this machine: rate limits\n"
            "                      go by its X-Real-IP header, not the peer\n"
            "  --no-crawl          do not crawl reported addresses (by default\n"
            "                      they are crawled politely while serving, and\n"
            "                      media that match no list await review)\n"
            "  --allow-private     let that crawl reach private and loopback\n"
            "                      addresses (tests only)\n"
            "\n"
            "With --smtp-relay, notice and takedown runs every\n"
            "--notice-interval seconds while serving.\n\n%s",
            vg_cli_notice_help);
}

/* An option's number in [lo, hi] into *out; -1 (said) if not. */
static int count_arg(const char *opt, const char *v, long long lo,
                     long long hi, unsigned *out)
{
    long long n;

    if (vg_cli_parse_range("serve", opt, v, lo, hi, &n))
        return -1;
    *out = (unsigned)n;
    return 0;
}

/* Serve until a signal; with n, notice cycles too (a relay was given). */
static int run(struct vg_server_opts *o, const char *db, const char *key,
               struct vg_cli_notices *n)
{
    struct vg_server *srv = NULL;
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    char *url = NULL, keybuf[4096];
    sigset_t sigs;
    int sig = 0, status = VG_EXIT_FAIL;

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
    o->key_file = key;
    /* signals are taken by sigwait below, not by any thread */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if (vg_cli_open_store("serve", db, &st))
        goto out;
    o->store = st;
    if (n) {
        if (vg_cli_notices_ready(n, st))
            goto out;
        o->notices = &n->o;
        o->notice_interval_s = n->interval_s;
    }
    if (vg_server_new(o, &srv, &err) || vg_server_start(srv, &err)) {
        vg_cli_errorf("serve: %s", err.msg[0] ? err.msg : "cannot start");
        goto out;
    }
    printf("vigil: serving on http://%.*s:%d/\n",
           (int)(strrchr(o->listen, ':') ? strrchr(o->listen, ':') - o->listen
                                         : 0),
           o->listen, vg_server_port(srv));
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

int vg_cli_serve(int argc, char **argv)
{
    static const struct option own[] = {
        {"config", required_argument, NULL, 'c'},
        {"db", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"web", required_argument, NULL, 'w'},
        {"key-file", required_argument, NULL, 'k'},
        {"rate-limit", required_argument, NULL, 'r'},
        {"reviewers", required_argument, NULL, 'R'},
        {"threads", required_argument, NULL, 't'},
        {"per-address", required_argument, NULL, 'a'},
        {"trust-proxy", no_argument, NULL, 'p'},
        {"no-crawl", no_argument, NULL, 'n'},
        {"allow-private", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'}};
    static const char *const flags[] = {"trust-proxy", "no-crawl",
                                        "allow-private",
                                        "notice-allow-private", NULL};
    struct option longopts[64];
    struct vg_cli_notices n;
    struct vg_server_opts o = {0};
    const char *db = NULL, *key = NULL, *config = NULL;
    char **args = argv;
    int c, nargs = argc, owned = 0, status = VG_EXIT_USAGE;
    size_t k = 0;

    vg_cli_notices_init(&n, "serve");
    for (size_t i = 0; i < sizeof(own) / sizeof(*own); i++)
        longopts[k++] = own[i];
    k += vg_cli_notices_longopts(longopts + k, 64 - k - 1);
    longopts[k] = (struct option){NULL, 0, NULL, 0};
    /* the config file first, so that the command line overrides it */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9))
            config = argv[i] + 9;
    if (config && (status = vg_cli_config_args("serve", config, flags, argc,
                                               argv, &args, &nargs, &owned)))
        return status;
    status = VG_EXIT_USAGE;
    o.listen = "127.0.0.1:8080";
    o.rate_per_minute = 30;
    o.threads = 8; /* each report waits for its commit on one */
    o.crawl = 1;
    o.web_dir = VIGIL_WEB_DIR;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(nargs, args, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': break; /* read above */
        case 'd': db = optarg; break;
        case 'l': o.listen = optarg; break;
        case 'w': o.web_dir = optarg; break;
        case 'k': key = optarg; break;
        case 'r':
            if (count_arg("--rate-limit", optarg, 0, 1000000,
                          &o.rate_per_minute))
                goto out;
            break;
        case 'R':
            if (count_arg("--reviewers", optarg, 1, 10, &o.reviewers))
                goto out;
            break;
        case 't':
            if (count_arg("--threads", optarg, 1, 1024, &o.threads))
                goto out;
            break;
        case 'a':
            if (count_arg("--per-address", optarg, 1, 1024, &o.max_per_ip))
                goto out;
            break;
        case 'p': o.trust_proxy = 1; break;
        case 'n': o.crawl = 0; break;
        case 'P': o.allow_private = 1; break;
        case 'h':
            serve_usage(stdout);
            status = VG_EXIT_OK;
            goto out;
        default:
            if ((k = (size_t)vg_cli_notices_option(&n, c, optarg)) == 1)
                break;
            if (k == 0) {
                vg_cli_bad_option("serve", args);
                serve_usage(stderr);
            }
            goto out;
        }
    }
    if (optind < nargs) {
        serve_usage(stderr);
        goto out;
    }
    status = run(&o, db, key, n.relay ? &n : NULL);
out:
    vg_cli_notices_fini(&n);
    vg_cli_config_free(args, argv, owned);
    return status;
}
