/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil serve`: the server (vigil/server.h) until SIGTERM or SIGINT, then
 * a graceful stop: no new requests, those in flight finished, every
 * report they submitted on disk.  Options come from --config FILE
 * ("name = value" lines) and the command line, which wins.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/runtime.h"

/* The fleet's part of serve_usage, and the notice options. */
static void serve_fleet_usage(FILE *f)
{
    fprintf(
        f,
        "\n"
        "GET /healthz answers \"ok\" while it runs, GET /readyz 200 when\n"
        "the store answers at this program's schema and the match index\n"
        "is loaded, else 503 (for load balancers: no sign-in, no rate\n"
        "limit).  Several serve nodes may share one database: each beats\n"
        "in the fleet's table (vigil fleet status) and one at a time runs\n"
        "the notice cycles (docs/FLEET.md).\n"
        "\n"
        "  --node-name NAME    this node's name in the fleet (default\n"
        "                      host:pid:random)\n"
        "  --heartbeat S       seconds between heartbeats (default 5);\n"
        "                      a node silent for three is stale\n"
        "  --notice-lease S    the notice cycle's lease, renewed every\n"
        "                      third of it while a cycle runs (default 30,\n"
        "                      3 to 3600): a node that dies mid-cycle is\n"
        "                      replaced this long after\n"
        "  --reseal-interval S after a sealing key's rotation (vigil keys),\n"
        "                      seal old rows again under the new key every\n"
        "                      S seconds (default 60; 0: never), 100 rows\n"
        "                      per transaction\n"
        "\n"
        "The hash-check API for platforms (Shield's and HMA's shapes:\n"
        "docs/API.md) is served beside the rest unless given its own\n"
        "listener.\n"
        "\n"
        "  --api-listen ADDR:PORT  the API (reports and hash checks) on this\n"
        "                      listener only, not on --listen\n"
        "\n"
        "With --smtp-relay, notice and takedown runs every\n"
        "--notice-interval seconds while serving (one node at a time).\n\n%s"
        "\n%s",
        vg_cli_notice_help, vg_cli_retention_help);
}

static void serve_usage_more(FILE *f);

static void serve_usage(FILE *f)
{
    fprintf(
        f,
        "Usage: vigil serve [--config FILE] [--db URL] [--listen ADDR:PORT]\n"
        "                   [--web DIR] [--key-file PATH] [--rate-limit N]\n"
        "                   [--audit-key PATH] [--audit-head PATH]\n"
        "                   [--reviewers N] [--trust-proxy]\n"
        "                   [--trusted-proxy ADDR] [--no-crawl]\n"
        "                   [--proxy URL] [--crawl-inflight-bytes SIZE]\n"
        "                   [NOTICE OPTIONS] [RETENTION OPTIONS]\n"
        "                   [--threads N] [--per-address N]\n"
        "                   [--ipv6-prefix BITS] [--node-name NAME]\n"
        "                   [--heartbeat S] [--notice-lease S]\n"
        "                   [--reseal-interval S]\n"
        "                   [--api-listen ADDR:PORT] [--api-max-upload SIZE]\n"
        "                   [--quick-exit-url URL]\n"
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
        "  --ipv6-prefix BITS  rate limits (reports, sign-ins) and sign-in\n"
        "                      throttling count an IPv6 client by its\n"
        "                      network of BITS bits\n"
        "                      (default 64: rotating addresses within a\n"
        "                      /64 gains nothing; 128: each address)\n"
        "  --threads N         HTTP threads (default 8); a request waiting\n"
        "                      for its report's commit holds one\n"
        "  --per-address N     connections at once from one client address\n"
        "                      (default 32); behind a proxy every\n"
        "                      connection comes from the proxy's address\n"
        "");
    serve_usage_more(f);
}

/* serve_usage's second half (ISO C caps a string literal near 4 KiB). */
static void serve_usage_more(FILE *f)
{
    fprintf(
        f,
        "  --web DIR           the web/ directory (default: the sources')\n"
        "  --quick-exit-url URL  where the public pages' quick exit button\n"
        "                      (and Escape pressed twice) leaves for, in\n"
        "                      place of the page in the browser's history\n"
        "                      (http or https; default\n"
        "                      https://www.google.com/)\n"
        "  --key-file PATH     the key that seals contact details at rest\n"
        "                      (default: the database's path + \".key\";\n"
        "                      created, mode 600, when missing; keep a copy\n"
        "                      apart from the database's backups)\n"
        "  --audit-key PATH    the key of the audit log's MACs (default:\n"
        "                      $VIGIL_AUDIT_KEY, else the database's path +\n"
        "                      \".audit-key\"; created, mode 600, when\n"
        "                      missing; every vigil command that writes the\n"
        "                      store needs the same one)\n"
        "  --audit-head PATH   the append-only file each audited change adds\n"
        "                      its head line to (default: $VIGIL_AUDIT_HEAD,\n"
        "                      else the database's path + \".audit-head\")\n"
        "  --reviewers N       analysts who must agree on a media item\n"
        "                      before its hash joins the verified list\n"
        "                      (default 2)\n"
        "  --trust-proxy       behind a proxy on this machine: rate limits\n"
        "                      and sign-in throttling go by its X-Real-IP\n"
        "                      header, not the peer\n"
        "  --trusted-proxy ADDR  the same, but believing that header only\n"
        "                      from a peer at ADDR exactly (a proxy on\n"
        "                      another machine, e.g. 10.0.0.2), not from\n"
        "                      the loopback; implies --trust-proxy.  Two or\n"
        "                      more nodes behind one proxy:\n"
        "                      docs/FLEET-SERVE.md\n"
        "  --no-crawl          do not crawl reported addresses (by default\n"
        "                      they are crawled politely while serving, and\n"
        "                      media that match no list await review)\n"
        "  --allow-private     let that crawl reach private and loopback\n"
        "                      addresses (tests only)\n"
        "  --proxy URL         that crawl's and the notices' re-checks'\n"
        "                      proxy (http://host:port, socks5h://...);\n"
        "                      the environment's http_proxy, ALL_PROXY...\n"
        "                      are ignored.  The proxy must refuse private\n"
        "                      destinations (see vigil crawl --help)\n"
        "  --crawl-inflight-bytes SIZE\n"
        "                      that crawl's bodies held in memory at once\n"
        "                      (default 256M; see vigil crawl --help,\n"
        "                      --max-inflight-bytes)\n"
        "  --api-max-upload SIZE  the largest media the hash-check API\n"
        "                      takes (an upload, or a URL's document:\n"
        "                      larger gets 413 or 422; default 32M, at\n"
        "                      least 1K; K, M, G: KiB, MiB, GiB)\n");
    serve_fleet_usage(f);
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

/* --api-max-upload SIZE into *out: 0, or -1 (said). */
static int upload_cap(const char *v, size_t *out)
{
    unsigned long long n;

    if (vg_cli_parse_size(v, 0, &n) || n < 1024 || n > (1ull << 32)) {
        vg_cli_errorf("serve: --api-max-upload wants a size from 1K to 4G"
                      " (K, M, G: KiB, MiB, GiB), not '%s'",
                      v);
        return -1;
    }
    *out = (size_t)n;
    return 0;
}

/* Serve until a signal (vigil/runtime.h); with n, notice cycles too (a
 * relay was given). */
static int run(struct vg_runtime_serve_opts *o, const char *db,
               const char *key, const char *const audit[2],
               struct vg_cli_notices *n)
{
    struct vg_runtime *rt = NULL;
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    char keybuf[4096];
    const char *listen = o->server.listen, *colon = strrchr(listen, ':');
    int sig, status = VG_EXIT_FAIL;

    if (!key && vg_runtime_key_file(db, keybuf, sizeof(keybuf))) {
        vg_cli_errorf("serve: give --key-file");
        return status;
    }
    o->server.key_file = key ? key : keybuf;
    if (vg_cli_open_store_audit("serve", db, audit[0], audit[1], 1, &st, NULL))
        return status;
    o->server.store = st;
    if (n && vg_cli_notices_ready(n, st))
        goto out;
    o->notices = n ? &n->o : NULL;
    o->notice_interval_s = n ? n->interval_s : 0;
    if (vg_runtime_serve_start(o, &rt, &err)) {
        vg_cli_errorf("serve: %s", err.msg[0] ? err.msg : "cannot start");
        goto out;
    }
    printf("vigil: serving on http://%.*s:%d/\n",
           (int)(colon ? colon - listen : 0), listen, vg_runtime_port(rt));
    if (o->server.api_listen) {
        listen = o->server.api_listen;
        colon = strrchr(listen, ':');
        printf("vigil: API on http://%.*s:%d/\n",
               (int)(colon ? colon - listen : 0), listen,
               vg_runtime_api_port(rt));
    }
    fflush(stdout);
    sig = vg_runtime_wait(rt);
    fprintf(stderr, "vigil: %s: stopping\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    status = VG_EXIT_OK;
out:
    vg_runtime_serve_stop(rt); /* stores what was submitted */
    vg_store_close(st);
    return status;
}

static const struct option own[] = {
    {"config", required_argument, NULL, 'c'},
    {"db", required_argument, NULL, 'd'},
    {"listen", required_argument, NULL, 'l'},
    {"web", required_argument, NULL, 'w'},
    {"key-file", required_argument, NULL, 'k'},
    {"audit-key", required_argument, NULL, 'A'},
    {"audit-head", required_argument, NULL, 'H'},
    {"rate-limit", required_argument, NULL, 'r'},
    {"reviewers", required_argument, NULL, 'R'},
    {"threads", required_argument, NULL, 't'},
    {"per-address", required_argument, NULL, 'a'},
    {"ipv6-prefix", required_argument, NULL, '6'},
    {"trust-proxy", no_argument, NULL, 'p'},
    {"trusted-proxy", required_argument, NULL, 'T'},
    {"no-crawl", no_argument, NULL, 'n'},
    {"allow-private", no_argument, NULL, 'P'},
    {"proxy", required_argument, NULL, 'x'},
    {"crawl-inflight-bytes", required_argument, NULL, 'B'},
    {"node-name", required_argument, NULL, 'N'},
    {"heartbeat", required_argument, NULL, 'b'},
    {"notice-lease", required_argument, NULL, 'L'},
    {"reseal-interval", required_argument, NULL, 'S'},
    {"api-listen", required_argument, NULL, 'I'},
    {"api-max-upload", required_argument, NULL, 'U'},
    {"quick-exit-url", required_argument, NULL, 'Q'},
    {"help", no_argument, NULL, 'h'}};

struct serve_args {
    struct vg_runtime_serve_opts o;
    struct vg_cli_notices n;
    struct vg_cli_retention ret;
    const char *db, *key;
    const char *audit[2]; /* --audit-key, --audit-head */
};

static void serve_defaults(struct serve_args *a)
{
    memset(a, 0, sizeof(*a));
    vg_cli_notices_init(&a->n, "serve");
    vg_cli_retention_init(&a->ret);
    a->o.server.listen = "127.0.0.1:8080";
    a->o.server.rate_per_minute = 30;
    a->o.server.threads = 8; /* each report waits for its commit on one */
    a->o.server.web_dir = vg_cli_web_dir();
    a->o.crawl = 1;
}

/* --node-name, --heartbeat, --notice-lease, --reseal-interval: 1 taken,
 * -1 bad (said). */
static int fleet_option(struct serve_args *a, int c)
{
    unsigned u;

    switch (c) {
    case 'N':
        a->o.node.name = optarg;
        return 1;
    case 'b':
        if (count_arg("--heartbeat", optarg, 1, 3600, &u))
            return -1;
        a->o.node.beat_ms = u * 1000LL;
        return 1;
    case 'L':
        if (count_arg("--notice-lease", optarg, 3, 3600, &u))
            return -1;
        a->o.lease_ms = u * 1000LL;
        return 1;
    case 'S':
        if (count_arg("--reseal-interval", optarg, 0, 86400, &u))
            return -1;
        a->o.reseal_interval_s = u ? (int64_t)u : -1;
        return 1;
    default:
        return -1;
    }
}

/* --web, --api-listen, --api-max-upload, --quick-exit-url: 1 taken, -1
 * bad (said). */
static int server_option(struct vg_server_opts *so, int c)
{
    switch (c) {
    case 'w':
        so->web_dir = optarg;
        return 1;
    case 'Q':
        so->quick_exit_url = optarg;
        return 1;
    case 'I':
        so->api_listen = optarg;
        return 1;
    default:
        return upload_cap(optarg, &so->api_max_upload) ? -1 : 1;
    }
}

/* A retention or notice option: 1 taken, -1 bad or unknown (said). */
static int shared_option(struct serve_args *a, int c, char **args)
{
    int k;

    if ((k = vg_cli_retention_option(&a->ret, "serve", c, optarg)) != 0)
        return k;
    if ((k = vg_cli_notices_option(&a->n, c, optarg)) == 0) {
        vg_cli_bad_option("serve", args);
        serve_usage(stderr);
    }
    return k == 1 ? 1 : -1;
}

/* One option: 1 taken, -1 bad (said), 0 --help. */
static int serve_option(struct serve_args *a, int c, char **args)
{
    struct vg_server_opts *so = &a->o.server;

    if (c > 0 && c < 128 && strchr("NbLS", c))
        return fleet_option(a, c);
    switch (c) {
    case 'c':
        return 1; /* read before */
    case 'd':
        a->db = optarg;
        return 1;
    case 'l':
        so->listen = optarg;
        return 1;
    case 'k':
        a->key = optarg;
        return 1;
    case 'A':
        a->audit[0] = optarg;
        return 1;
    case 'H':
        a->audit[1] = optarg;
        return 1;
    case 'r':
        return count_arg("--rate-limit", optarg, 0, 1000000,
                         &so->rate_per_minute)
                   ? -1
                   : 1;
    case 'R':
        return count_arg("--reviewers", optarg, 1, 10, &so->reviewers) ? -1
                                                                       : 1;
    case 't':
        return count_arg("--threads", optarg, 1, 1024, &so->threads) ? -1 : 1;
    case 'a':
        return count_arg("--per-address", optarg, 1, 1024, &so->max_per_ip)
                   ? -1
                   : 1;
    case '6':
        return count_arg("--ipv6-prefix", optarg, 1, 128, &so->ipv6_prefix)
                   ? -1
                   : 1;
    case 'p':
        so->trust_proxy = 1;
        return 1;
    case 'T':
        so->trust_proxy = 1;
        so->trusted_proxy = optarg;
        return 1;
    case 'n':
        a->o.crawl = 0;
        return 1;
    case 'P':
        a->o.allow_private = 1;
        return 1;
    case 'x':
        a->o.proxy = optarg;
        a->n.o.fetch.proxy = optarg; /* the notices' re-checks */
        return vg_cli_proxy_check("serve", optarg) ? -1 : 1;
    case 'B':
        return vg_cli_inflight_bytes("serve", "--crawl-inflight-bytes", optarg,
                                     &a->o.crawl_inflight_bytes)
                   ? -1
                   : 1;
    case 'w':
    case 'I':
    case 'U':
    case 'Q':
        return server_option(so, c);
    case 'h':
        return 0;
    default:
        return shared_option(a, c, args);
    }
}

int vg_cli_serve(int argc, char **argv)
{
    static const char *const flags[] = {
        "trust-proxy",          "no-crawl",     "allow-private",
        "notice-allow-private", "no-retention", NULL};
    struct option longopts[64];
    struct serve_args a;
    char **args = argv;
    int c, r = 1, nargs = argc, owned = 0, status;
    size_t k = 0;

    serve_defaults(&a);
    for (size_t i = 0; i < sizeof(own) / sizeof(*own); i++)
        longopts[k++] = own[i];
    k += vg_cli_notices_longopts(longopts + k, 64 - k - 1);
    k += vg_cli_retention_longopts(longopts + k, 64 - k - 1);
    longopts[k] = (struct option){NULL, 0, NULL, 0};
    /* the config file first, so that the command line overrides it */
    if ((status = vg_cli_config_first("serve", flags, argc, argv, &args,
                                      &nargs, &owned)))
        return status;
    optind = 1;
    opterr = 0;
    while (r == 1 && (c = getopt_long(nargs, args, "h", longopts, NULL)) != -1)
        r = serve_option(&a, c, args);
    if (r == 0)
        serve_usage(stdout);
    else if (r == 1 && optind < nargs)
        serve_usage(stderr);
    a.o.retention = a.ret.off ? NULL : &a.ret.p;
    a.o.retention_interval_s = a.ret.interval_s;
    status = r == 0 ? VG_EXIT_OK
             : r < 0 || optind < nargs
                 ? VG_EXIT_USAGE
                 : run(&a.o, a.db, a.key, a.audit, a.n.relay ? &a.n : NULL);
    vg_cli_notices_fini(&a.n);
    vg_cli_config_free(args, argv, owned);
    return status;
}
