/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil crawl` (run, resume, status) and `vigil detections`: the crawler
 * (vigil/crawler.h) from the command line.  A crawl's options are stored
 * with it as JSON, so `--resume` continues it exactly as it was started.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/crawler.h"
#include "vigil/digest.h"
#include "vigil/runtime.h"
#include "vigil/store_crawl.h"

/* The end of crawl_usage: crawl workers, exit status. */
static void crawl_usage_workers(FILE *f)
{
    fputs(
        "Crawl workers (docs/FLEET-CRAWL.md): '--create-only' stores the\n"
        "crawl and its seeds, prints its ID and fetches nothing; then any\n"
        "number of 'vigil crawl --worker ID' on one store work it together,\n"
        "with its stored options (--per-host and --delay hold across them).\n"
        "A worker ends when the crawl has nothing queued and nothing\n"
        "leased; one that is killed loses nothing: its leases expire and\n"
        "the others take them.  Not with a '--resume' of the same crawl.\n"
        "  --create-only       create the crawl and stop (prints 'crawl ID\n"
        "                      created', or {\"crawl\":ID} with --json)\n"
        "  --worker ID         work crawl ID with the crawl's other workers\n"
        "  --lease S           a worker's leases last S seconds, renewed\n"
        "                      while it works them (default 30; 2-3600)\n"
        "  --node-name NAME    its name in vigil fleet status, where it beats\n"
        "                      every 5 s (default host:pid:random)\n"
        "\n"
        "Exit status: 0 when the crawl ran (finished or stopped at a bound),\n"
        "1 on an error, 2 on a usage error, 130 when interrupted (resumable).\n",
        f);
}

static void crawl_usage(FILE *f)
{
    struct vg_crawl_opts d;

    vg_crawl_opts_default(&d);
    fprintf(
        f,
        "Usage: vigil crawl [--db URL] --seed URL... | --seeds FILE [OPTIONS]\n"
        "       vigil crawl [--db URL] --resume [ID] [--proxy URL]\n"
        "                   [--max-inflight-bytes SIZE] [--quiet] [--json]\n"
        "       vigil crawl [--db URL] --create-only --seed URL... [OPTIONS]\n"
        "       vigil crawl [--db URL] --worker ID [--lease S] [--proxy URL]\n"
        "                   [--max-inflight-bytes SIZE] [--quiet] [--json]\n"
        "       vigil crawl status [--db URL] [ID] [--json]\n"
        "\n"
        "Crawl from the seeds: fetch pages, follow their links within the\n"
        "bounds, fetch every image, hash it and match it against the hash\n"
        "lists; every sighting and detection is stored with its evidence\n"
        "(see 'vigil detections').  The crawl is durable: after a crash or\n"
        "Ctrl-C, '--resume' continues it where it stopped.\n"
        "\n"
        "Seeds and bounds:\n"
        "  --seed URL          a URL to start from (repeatable)\n"
        "  --seeds FILE        URLs to start from, one a line ('-': stdin)\n"
        "  --max-depth N       link hops from a seed to a page (default %d);\n"
        "                      the images of the last pages are fetched\n"
        "  --max-pages N       stop after N pages (default: no limit)\n"
        "  --same-site         follow links within the seed's site only\n"
        "                      (registrable domain; the default)\n"
        "  --follow-offsite N  follow links up to N sites away\n"
        "  --max-host-pages N  pages queued per host (default %lld; 0: no\n"
        "                      limit)\n"
        "  --max-pattern N     URLs per near-identical pattern per host, e.g.\n"
        "                      /cal?y=*&m=* (default %lld; 0: no limit)\n"
        "Politeness and safety:\n"
        "  --delay MS          between two requests to a host (default %lld;\n"
        "                      the larger of this and robots.txt Crawl-delay)\n"
        "  --per-host N        requests in flight per host (default %u)\n"
        "  --timeout S         give up on a transfer after S seconds\n"
        "                      (default 60; also: under 1000 bytes/s for 15 s)\n"
        "  --max-in-flight N   requests in flight in all (default %u)\n"
        "  --max-inflight-bytes SIZE\n"
        "                      decoded bodies held in memory at once, being\n"
        "                      fetched or waiting to be hashed (default\n"
        "                      %zuM; K, M, G: KiB, MiB, GiB; at least 1M).\n"
        "                      Transfers wait for room rather than fail; a\n"
        "                      body larger than this fails as too large.\n"
        "                      Not stored with the crawl: give it again\n"
        "                      with --resume\n"
        "  --user-agent TEXT   sent with every request; name your hotline and\n"
        "                      a contact (default:\n"
        "                      \"%s\")\n"
        "  --ignore-robots     do not obey robots.txt (the operator's call)\n"
        "  --robots-cache S    ask for a host's robots.txt again after S\n"
        "                      seconds (default and most: 86400)\n"
        "  --allow-private     connect to private and loopback addresses\n"
        "                      (tests; refused by default)\n"
        "  --allow-private-addr IP:PORT\n"
        "                      connect to this one private address and port\n"
        "                      (e.g. 127.0.0.1:8080, [::1]:8080; repeatable,\n"
        "                      at most 8), every other stays refused: tests\n"
        "                      and labs (not through --proxy)\n"
        "  --proxy URL         send every request through this proxy\n"
        "                      (http://host:port, socks5h://...); the\n"
        "                      environment's http_proxy, ALL_PROXY... are\n"
        "                      ignored.  The proxy must refuse private\n"
        "                      destinations: Vigil then sees only the\n"
        "                      proxy's address (it still refuses private\n"
        "                      address literals).  Not stored with the\n"
        "                      crawl: give it again with --resume\n"
        "Hashing:\n"
        "  --fast              faster, approximate JPEG hashing (as vigil hash)\n"
        "  -j, --threads N     hashing threads (default: CPU cores)\n"
        "  --min-quality N     PDQ hashes below N are not matched (default 50)\n"
        "Output:\n"
        "  --quiet             no progress line\n"
        "  --json              the summary as one JSON object\n"
        "\n",
        d.max_depth, (long long)d.max_host_pages, (long long)d.max_pattern,
        (long long)d.delay_ms, d.per_host, d.max_in_flight,
        d.max_inflight_bytes >> 20, d.user_agent);
    crawl_usage_workers(f);
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* ---- options <-> the crawl's stored parameters ---- */

static json_t *params_json(const struct vg_crawl_opts *o, int min_quality,
                           json_t *seeds)
{
    return json_pack(
        "{s:o, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:s, s:b, s:b,"
        " s:b, s:i, s:I, s:I, s:s?}",
        "seeds", seeds, "max_depth", o->max_depth, "follow_offsite",
        o->follow_offsite, "max_pages", (json_int_t)o->max_pages,
        "max_host_pages", (json_int_t)o->max_host_pages, "max_pattern",
        (json_int_t)o->max_pattern, "delay_ms", (json_int_t)o->delay_ms,
        "per_host", (json_int_t)o->per_host, "max_in_flight",
        (int)o->max_in_flight, "threads", (int)o->threads, "user_agent",
        o->user_agent, "fast", (o->hash_flags & VG_IMAGEHASH_FAST) != 0,
        "ignore_robots", o->ignore_robots, "allow_private", o->allow_private,
        "min_quality", min_quality, "timeout_ms",
        (json_int_t)o->total_timeout_ms, "robots_ttl_ms",
        (json_int_t)o->robots_ttl_ms, "allow_private_addrs", o->allow_addrs);
}

/* Restore options from a crawl's parameters (ua: kept alive by p). */
static void params_apply(json_t *p, struct vg_crawl_opts *o, int *min_quality)
{
    json_t *v;

#define INT(name, field, type)                                                \
    if ((v = json_object_get(p, name)) && json_is_integer(v))                 \
        o->field = (type)json_integer_value(v);
    INT("max_depth", max_depth, int)
    INT("follow_offsite", follow_offsite, int)
    INT("max_pages", max_pages, int64_t)
    INT("max_host_pages", max_host_pages, int64_t)
    INT("max_pattern", max_pattern, int64_t)
    INT("delay_ms", delay_ms, int64_t)
    INT("per_host", per_host, unsigned)
    INT("max_in_flight", max_in_flight, unsigned)
    INT("threads", threads, unsigned)
    INT("timeout_ms", total_timeout_ms, long)
    INT("robots_ttl_ms", robots_ttl_ms, int64_t)
#undef INT
    if ((v = json_object_get(p, "user_agent")) && json_is_string(v))
        o->user_agent = json_string_value(v);
    if (json_is_true(json_object_get(p, "fast")))
        o->hash_flags |= VG_IMAGEHASH_FAST;
    o->ignore_robots = json_is_true(json_object_get(p, "ignore_robots"));
    o->allow_private = json_is_true(json_object_get(p, "allow_private"));
    if ((v = json_object_get(p, "allow_private_addrs")) && json_is_string(v))
        o->allow_addrs = json_string_value(v);
    if ((v = json_object_get(p, "min_quality")) && json_is_integer(v))
        *min_quality = (int)json_integer_value(v);
}

static int add_seeds_file(const char *path, json_t *seeds)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    char line[8192];
    unsigned long n = 0;

    if (!f) {
        vg_cli_errorf("crawl: %s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);
        char *p = line;
        n++;
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            vg_cli_errorf("crawl: %s:%lu: line too long", path, n);
            if (f != stdin)
                fclose(f);
            return -1;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
                       line[len - 1] == ' ' || line[len - 1] == '\t'))
            line[--len] = 0;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p && *p != '#')
            json_array_append_new(seeds, json_string(p));
    }
    if (f != stdin)
        fclose(f);
    return 0;
}

/* ---- progress and summary ---- */

static void progress(void *ctx, const struct vg_crawl_stats *s)
{
    (void)ctx;
    fprintf(stderr,
            "\r\033[K%.0fs  pages %lld (%lld failed)  images %lld  hashed "
            "%lld  detections %lld  %.1f pages/s",
            s->seconds, (long long)s->pages, (long long)s->pages_failed,
            (long long)s->media, (long long)s->media_hashed,
            (long long)s->detections,
            s->seconds > 0 ? (double)s->pages / s->seconds : 0.0);
    fflush(stderr);
}

/* A worker's name and the URLs it fetched under leases lost. */
static void summary_worker(const char *worker, const struct vg_crawl_stats *s,
                           int json)
{
    if (json) {
        fputs(",\"worker\":", stdout);
        vg_cli_json_str(stdout, worker);
        printf(",\"lost\":%lld", (long long)s->lost);
    } else {
        printf("  worker:     %s, %lld fetched under leases lost (not"
               " recorded)\n",
               worker, (long long)s->lost);
    }
}

static void summary(int64_t id, const struct vg_crawl_stats *s,
                    const char *worker, int json)
{
    const char *status = s->finished ? "finished" : "stopped";

    if (json) {
        printf("{\"crawl\":%lld,\"status\":\"%s\",\"pages\":%lld,"
               "\"pages_failed\":%lld,\"media\":%lld,\"media_failed\":%lld,"
               "\"media_hashed\":%lld,\"media_duplicates\":%lld,"
               "\"not_media\":%lld,\"detections\":%lld,\"urls_added\":%lld,"
               "\"robots_denied\":%lld,\"trapped\":%lld,\"bytes\":%lld,"
               "\"queued\":%lld,\"seconds\":%.3f",
               (long long)id, status, (long long)s->pages,
               (long long)s->pages_failed, (long long)s->media,
               (long long)s->media_failed, (long long)s->media_hashed,
               (long long)s->media_dup, (long long)s->not_media,
               (long long)s->detections, (long long)s->urls_added,
               (long long)s->robots_denied, (long long)s->trapped,
               (long long)s->bytes, (long long)s->queued, s->seconds);
        if (worker)
            summary_worker(worker, s, json);
        puts("}");
        return;
    }
    printf("crawl %lld %s in %.1f s\n"
           "  pages:      %lld fetched (%.1f/s), %lld failed\n"
           "  images:     %lld fetched, %lld failed, %lld hashed, %lld seen "
           "before, %lld not images\n"
           "  detections: %lld\n"
           "  skipped:    %lld by robots.txt, %lld by trap limits\n"
           "  queued:     %lld URLs left%s\n",
           (long long)id, status, s->seconds, (long long)s->pages,
           s->seconds > 0 ? (double)s->pages / s->seconds : 0.0,
           (long long)s->pages_failed, (long long)s->media,
           (long long)s->media_failed, (long long)s->media_hashed,
           (long long)s->media_dup, (long long)s->not_media,
           (long long)s->detections, (long long)s->robots_denied,
           (long long)s->trapped, (long long)s->queued,
           !s->queued ? ""
           : worker   ? " (vigil crawl --worker continues)"
                      : " (vigil crawl --resume continues)");
    if (worker)
        summary_worker(worker, s, json);
}

/* ---- vigil crawl status ---- */

struct status_ctx {
    struct vg_store *st;
    int json;
};

static int print_crawl(void *ctx, const struct vg_crawl_info *c)
{
    struct status_ctx *s = ctx;
    const struct vg_frontier_counts fc = c->urls;
    char started[32], finished[32];

    vg_cli_utc(c->started_at, started, sizeof(started));
    vg_cli_utc(c->finished_at, finished, sizeof(finished));
    if (s->json) {
        printf("{\"crawl\":%lld,\"status\":\"%s\",\"started\":\"%s\","
               "\"ended\":%s%s%s,\"queued\":%lld,\"leased\":%lld,"
               "\"done\":%lld,\"failed\":%lld,\"pages\":%lld,\"media\":%lld,"
               "\"sightings\":%lld,\"detections\":%lld,\"params\":%s}\n",
               (long long)c->id, c->status, started,
               c->finished_at ? "\"" : "", c->finished_at ? finished : "null",
               c->finished_at ? "\"" : "", (long long)fc.queued,
               (long long)fc.leased, (long long)fc.done, (long long)fc.failed,
               (long long)fc.pages, (long long)fc.media,
               (long long)c->sightings, (long long)c->detections, c->params);
    } else {
        printf("crawl %lld: %s, started %s, ended %s\n"
               "  URLs: %lld queued, %lld in progress, %lld done, %lld failed"
               " (%lld pages, %lld images)\n"
               "  sightings %lld, detections %lld\n",
               (long long)c->id, c->status, started, finished,
               (long long)fc.queued, (long long)fc.leased, (long long)fc.done,
               (long long)fc.failed, (long long)fc.pages, (long long)fc.media,
               (long long)c->sightings, (long long)c->detections);
    }
    return VG_OK;
}

static int crawl_status(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, NULL,
                                              'd'},
                                             {"json", no_argument, NULL, 'J'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct status_ctx s = {NULL, 0};
    struct vg_err err = {0};
    const char *db = NULL;
    long long id = 0;
    int c, rc;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'J':
            s.json = 1;
            break;
        case 'h':
            crawl_usage(stdout);
            return VG_EXIT_OK;
        default:
            vg_cli_bad_option("crawl status", argv);
            return VG_EXIT_USAGE;
        }
    }
    if (optind < argc && vg_cli_parse_range("crawl status", "ID",
                                            argv[optind++], 0, INT64_MAX, &id))
        return VG_EXIT_USAGE;
    if (optind < argc) {
        vg_cli_errorf("crawl status: unexpected '%s'", argv[optind]);
        return VG_EXIT_USAGE;
    }
    if (vg_cli_open_store("crawl status", db, &s.st))
        return VG_EXIT_FAIL;
    rc = vg_store_crawls(s.st, id, print_crawl, &s, &err);
    if (rc)
        vg_cli_errorf("crawl status: %s",
                      err.msg[0] ? err.msg : vg_strerror(rc));
    vg_store_close(s.st);
    return rc ? VG_EXIT_FAIL : VG_EXIT_OK;
}

/* ---- vigil crawl ---- */

static int latest_unfinished(void *ctx, const struct vg_crawl_info *c)
{
    int64_t *id = ctx;

    if (!*id && strcmp(c->status, "finished"))
        *id = c->id;
    return VG_OK;
}

static int copy_params(void *ctx, const struct vg_crawl_info *c)
{
    json_t **p = ctx;

    *p = json_loads(c->params, 0, NULL);
    return *p ? VG_OK : VG_EFORMAT;
}

enum {
    OPT_DB = 256,
    OPT_SEED,
    OPT_SEEDS,
    OPT_DEPTH,
    OPT_PAGES,
    OPT_SAMESITE,
    OPT_OFFSITE,
    OPT_HOSTPAGES,
    OPT_PATTERN,
    OPT_DELAY,
    OPT_PERHOST,
    OPT_INFLIGHT,
    OPT_UA,
    OPT_NOROBOTS,
    OPT_PRIVATE,
    OPT_PRIVATEADDR,
    OPT_FAST,
    OPT_MINQ,
    OPT_QUIET,
    OPT_JSON,
    OPT_RESUME,
    OPT_TIMEOUT,
    OPT_ROBOTSTTL,
    OPT_PROXY,
    OPT_INFLIGHTBYTES,
    OPT_CREATE,
    OPT_WORKER,
    OPT_LEASE,
    OPT_NODE
};

static const struct option crawl_longopts[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"seed", required_argument, NULL, OPT_SEED},
    {"seeds", required_argument, NULL, OPT_SEEDS},
    {"max-depth", required_argument, NULL, OPT_DEPTH},
    {"max-pages", required_argument, NULL, OPT_PAGES},
    {"same-site", no_argument, NULL, OPT_SAMESITE},
    {"follow-offsite", required_argument, NULL, OPT_OFFSITE},
    {"max-host-pages", required_argument, NULL, OPT_HOSTPAGES},
    {"max-pattern", required_argument, NULL, OPT_PATTERN},
    {"delay", required_argument, NULL, OPT_DELAY},
    {"per-host", required_argument, NULL, OPT_PERHOST},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"robots-cache", required_argument, NULL, OPT_ROBOTSTTL},
    {"max-in-flight", required_argument, NULL, OPT_INFLIGHT},
    {"max-inflight-bytes", required_argument, NULL, OPT_INFLIGHTBYTES},
    {"user-agent", required_argument, NULL, OPT_UA},
    {"ignore-robots", no_argument, NULL, OPT_NOROBOTS},
    {"allow-private", no_argument, NULL, OPT_PRIVATE},
    {"allow-private-addr", required_argument, NULL, OPT_PRIVATEADDR},
    {"proxy", required_argument, NULL, OPT_PROXY},
    {"fast", no_argument, NULL, OPT_FAST},
    {"threads", required_argument, NULL, 'j'},
    {"min-quality", required_argument, NULL, OPT_MINQ},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"json", no_argument, NULL, OPT_JSON},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"create-only", no_argument, NULL, OPT_CREATE},
    {"worker", required_argument, NULL, OPT_WORKER},
    {"lease", required_argument, NULL, OPT_LEASE},
    {"node-name", required_argument, NULL, OPT_NODE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

/* The numeric options, each into its field of vg_crawl_opts: 0..max,
 * times scale (seconds into milliseconds), not 0 if nonzero. */
struct crawl_num {
    int code;
    const char *name;
    long long max;
    int scale, nonzero;
    size_t off;
    char type; /* 'i' int, 'I' int64_t, 'u' unsigned, 'l' long */
};

#define FIELD(f) offsetof(struct vg_crawl_opts, f)
static const struct crawl_num crawl_nums[] = {
    {OPT_DEPTH, "--max-depth", 1000000, 1, 0, FIELD(max_depth), 'i'},
    {OPT_PAGES, "--max-pages", INT64_MAX, 1, 0, FIELD(max_pages), 'I'},
    {OPT_OFFSITE, "--follow-offsite", 1000, 1, 0, FIELD(follow_offsite), 'i'},
    {OPT_HOSTPAGES, "--max-host-pages", INT64_MAX, 1, 0, FIELD(max_host_pages),
     'I'},
    {OPT_PATTERN, "--max-pattern", INT64_MAX, 1, 0, FIELD(max_pattern), 'I'},
    {OPT_DELAY, "--delay", 3600000, 1, 0, FIELD(delay_ms), 'I'},
    {OPT_PERHOST, "--per-host", 1000, 1, 0, FIELD(per_host), 'u'},
    {OPT_INFLIGHT, "--max-in-flight", 10000, 1, 0, FIELD(max_in_flight), 'u'},
    {'j', "--threads", 1024, 1, 0, FIELD(threads), 'u'},
    {OPT_TIMEOUT, "--timeout", 86400, 1000, 1, FIELD(total_timeout_ms), 'l'},
    {OPT_ROBOTSTTL, "--robots-cache", 86400, 1000, 1, FIELD(robots_ttl_ms),
     'I'},
};
#undef FIELD

struct crawl_args {
    struct vg_crawl_opts o;
    json_t *seeds;
    json_t *params; /* a resumed crawl's: its strings are in a->o */
    const char *db, *node_name;
    int min_quality, quiet, json, resume, create_only;
    int64_t id;       /* --resume ID, --worker */
    char worker[128]; /* --worker: its name */
    size_t entries;   /* the matcher's, for the heartbeat */
    char allow_addrs[8 * (INET6_ADDRSTRLEN + 9)]; /* --allow-private-addr */
};

/* --allow-private-addr IP:PORT (or [IPv6]:PORT), in canonical form, onto
 * a->allow_addrs (commas between): 1 taken, -1 a usage error (said). */
static int add_allow_addr(struct crawl_args *a, const char *v)
{
    char ip[INET6_ADDRSTRLEN + 2], text[96], *end;
    unsigned char bin[16];
    const char *colon = strrchr(v, ':');
    size_t n = colon ? (size_t)(colon - v) : 0, used = strlen(a->allow_addrs);
    long port = 0;
    int six = n > 2 && v[0] == '[' && v[n - 1] == ']';

    if (colon && n - 2 * six < sizeof(ip)) {
        snprintf(ip, sizeof(ip), "%.*s", (int)(n - 2 * six), v + six);
        errno = 0;
        port = strtol(colon + 1, &end, 10);
        if (errno || *end || end == colon + 1 || port < 1 || port > 65535)
            port = 0;
    }
    if (!port || inet_pton(six ? AF_INET6 : AF_INET, ip, bin) != 1 ||
        !inet_ntop(six ? AF_INET6 : AF_INET, bin, ip, sizeof(ip))) {
        vg_cli_errorf("crawl: --allow-private-addr wants IP:PORT or "
                      "[IPv6]:PORT (port 1-65535), not '%s'",
                      v);
        return -1;
    }
    snprintf(text, sizeof(text), six ? "%s[%s]:%ld" : "%s%s:%ld",
             used ? "," : "", ip, port);
    if (used + strlen(text) >= sizeof(a->allow_addrs)) {
        vg_cli_errorf("crawl: --allow-private-addr: at most 8");
        return -1;
    }
    strcat(a->allow_addrs, text);
    a->o.allow_addrs = a->allow_addrs;
    return 1;
}

/* A numeric option of the table into a->o: 1 taken, 0 not one, -1 bad. */
static int crawl_num_option(struct crawl_args *a, int c, const char *v)
{
    long long x;

    for (size_t i = 0; i < sizeof(crawl_nums) / sizeof(*crawl_nums); i++) {
        const struct crawl_num *n = &crawl_nums[i];
        char *field = (char *)&a->o + n->off;
        if (n->code != c)
            continue;
        if (vg_cli_parse_range("crawl", n->name, v, 0, n->max, &x) ||
            (n->nonzero && !x))
            return -1;
        x *= n->scale;
        switch (n->type) {
        case 'i':
            *(int *)(void *)field = (int)x;
            break;
        case 'I':
            *(int64_t *)(void *)field = (int64_t)x;
            break;
        case 'u':
            *(unsigned *)(void *)field = (unsigned)x;
            break;
        default:
            *(long *)(void *)field = (long)x;
            break;
        }
        return 1;
    }
    return 0;
}

/* A crawl worker's name, unique among the crawl's: HOST:PID:NANOSECONDS. */
static const char *worker_name(char *out, size_t n)
{
    char host[64] = "";
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (gethostname(host, sizeof(host) - 1))
        strcpy(host, "?");
    snprintf(out, n, "%s:%ld:%09ld", host, (long)getpid(), ts.tv_nsec);
    return out;
}

/* One option: 1 taken, 0 --help, -1 a usage error. */
static int crawl_option(struct crawl_args *a, int c, char **argv)
{
    long long v;
    int k;

    if ((k = crawl_num_option(a, c, optarg)))
        return k;
    switch (c) {
    case OPT_DB:
        a->db = optarg;
        return 1;
    case OPT_SEED:
        json_array_append_new(a->seeds, json_string(optarg));
        return 1;
    case OPT_SEEDS:
        return add_seeds_file(optarg, a->seeds) ? -1 : 1;
    case OPT_SAMESITE:
        a->o.follow_offsite = 0;
        return 1;
    case OPT_UA:
        a->o.user_agent = optarg;
        return 1;
    case OPT_NOROBOTS:
        a->o.ignore_robots = 1;
        return 1;
    case OPT_PRIVATE:
        a->o.allow_private = 1;
        return 1;
    case OPT_PRIVATEADDR:
        return add_allow_addr(a, optarg);
    case OPT_PROXY:
        a->o.proxy = optarg;
        return vg_cli_proxy_check("crawl", optarg) ? -1 : 1;
    case OPT_FAST:
        a->o.hash_flags |= VG_IMAGEHASH_FAST;
        return 1;
    case OPT_INFLIGHTBYTES:
        return vg_cli_inflight_bytes("crawl", "--max-inflight-bytes", optarg,
                                     &a->o.max_inflight_bytes)
                   ? -1
                   : 1;
    case OPT_MINQ:
        if (vg_cli_parse_range("crawl", "--min-quality", optarg, 0, 100, &v))
            return -1;
        a->min_quality = (int)v;
        return 1;
    case OPT_QUIET:
        a->quiet = 1;
        return 1;
    case OPT_JSON:
        a->json = 1;
        return 1;
    case OPT_RESUME:
        a->resume = 1;
        return 1;
    case OPT_CREATE:
        a->create_only = 1;
        return 1;
    case OPT_WORKER:
        if (vg_cli_parse_range("crawl", "--worker", optarg, 1, INT64_MAX, &v))
            return -1;
        a->id = (int64_t)v;
        a->o.worker = worker_name(a->worker, sizeof(a->worker));
        return 1;
    case OPT_LEASE:
        if (vg_cli_parse_range("crawl", "--lease", optarg, 2, 3600, &v))
            return -1;
        a->o.lease_s = (unsigned)v;
        return 1;
    case OPT_NODE:
        a->node_name = optarg;
        return 1;
    case 'h':
        return 0;
    default:
        vg_cli_bad_option("crawl", argv);
        return -1;
    }
}

/* What follows the options, and the rules between them: 0 or -1 (said). */
static int crawl_check(struct crawl_args *a, int argc, char **argv)
{
    long long v;

    if (a->resume && optind < argc) {
        if (vg_cli_parse_range("crawl", "--resume ID", argv[optind++], 0,
                               INT64_MAX, &v))
            return -1;
        a->id = (int64_t)v;
    }
    if (optind < argc) {
        vg_cli_errorf("crawl: unexpected '%s' (seeds go after --seed)",
                      argv[optind]);
        return -1;
    }
    if (!a->o.per_host || !a->o.max_in_flight) {
        vg_cli_errorf("crawl: --per-host and --max-in-flight must be >= 1");
        return -1;
    }
    if ((a->o.worker != NULL) + a->resume + a->create_only > 1) {
        vg_cli_errorf("crawl: --resume, --worker and --create-only exclude"
                      " one another");
        return -1;
    }
    if ((a->resume || a->o.worker) == !!json_array_size(a->seeds)) {
        vg_cli_errorf(a->resume     ? "crawl: --resume takes no seeds"
                      : a->o.worker ? "crawl: --worker takes no seeds"
                                    : "crawl: no --seed or --seeds given");
        return -1;
    }
    if (a->o.lease_s && !a->o.worker) {
        vg_cli_errorf("crawl: --lease is a worker's (--worker ID)");
        return -1;
    }
    return 0;
}

/* The options: VG_EXIT_OK to go on, else the exit status (-1: --help). */
static int crawl_parse(int argc, char **argv, struct crawl_args *a)
{
    int c, r = 1;

    vg_crawl_opts_default(&a->o);
    a->min_quality = 50;
    optind = 1;
    opterr = 0;
    while (r == 1 &&
           (c = getopt_long(argc, argv, "j:h", crawl_longopts, NULL)) != -1)
        r = crawl_option(a, c, argv);
    if (r == 0) {
        crawl_usage(stdout);
        return -1;
    }
    if (r < 0 || crawl_check(a, argc, argv)) {
        crawl_usage(stderr);
        return VG_EXIT_USAGE;
    }
    return VG_EXIT_OK;
}

/* The crawl to run: the one to resume (its options back into a), or a new
 * one with a's seeds.  VG_ENOENT (said) when there is nothing to resume. */
static int crawl_prepare(struct vg_store *st, struct crawl_args *a,
                         struct vg_err *err)
{
    json_t *p;
    char *text = NULL;
    int rc;

    if (a->resume || a->o.worker) {
        if (!a->id &&
            (rc = vg_store_crawls(st, 0, latest_unfinished, &a->id, err)))
            return rc;
        if (!a->id) {
            vg_cli_errorf("crawl: no unfinished crawl to resume");
            return VG_ENOENT;
        }
        if (!(rc = vg_store_crawls(st, a->id, copy_params, &a->params, err)))
            params_apply(a->params, &a->o, &a->min_quality);
        return rc;
    }
    p = params_json(&a->o, a->min_quality, json_incref(a->seeds));
    if (!p || !(text = json_dumps(p, JSON_COMPACT)))
        rc = vg_err_set(err, VG_ENOMEM, "out of memory");
    else
        rc = vg_store_crawl_new(st, text, &a->id, err);
    json_decref(p);
    free(text);
    for (size_t i = 0; !rc && i < json_array_size(a->seeds); i++)
        rc = vg_crawl_seed(st, a->id,
                           json_string_value(json_array_get(a->seeds, i)), 0,
                           err);
    return rc;
}

/* The heartbeat's status line: which crawl, and its index. */
static void node_status(void *ctx, char *buf, size_t cap)
{
    const struct crawl_args *a = ctx;

    snprintf(buf, cap, "crawl %lld, index %zu entries", (long long)a->id,
             a->entries);
}

static void sync_log(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "vigil: %s\n", line);
}

/* Run the crawl until done or interrupted, then say how it went; the
 * process beats in the fleet's table and keeps its lists in sync
 * meanwhile. */
static int crawl_go(struct vg_store *st, struct crawl_args *a,
                    struct vg_err *err)
{
    struct vg_runtime_node_opts no = {a->node_name, "crawl", 0, node_status,
                                      a};
    struct vg_runtime_node *node = NULL;
    struct vg_crawl_stats stats;
    struct vg_matcher *m = NULL;
    struct vg_listsync *sync = NULL;
    struct sigaction sa;
    int rc, tty = isatty(STDERR_FILENO);

    /* the lists as they change while the crawl runs (vigil/lists.h) */
    if ((rc = vg_matcher_load(st, a->min_quality, &m, err)) ||
        (rc = vg_listsync_start(m, 0, a->quiet || a->json ? NULL : sync_log,
                                NULL, &sync))) {
        vg_matcher_free(m);
        return rc;
    }
    a->entries = vg_matcher_size(m);
    if ((rc = vg_runtime_node_start(st, &no, &node, err))) {
        vg_listsync_stop(sync);
        vg_matcher_free(m);
        return rc;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (!a->quiet && !a->json)
        fprintf(stderr, "vigil: crawl %lld: %zu list entries loaded\n",
                (long long)a->id, vg_matcher_size(m));
    rc = vg_crawl_run(st, m, a->id, &a->o, &interrupted,
                      a->quiet || !tty ? NULL : progress, NULL, &stats, err);
    if (!a->quiet && tty)
        fputs("\r\033[K", stderr);
    if (!rc)
        summary(a->id, &stats, a->o.worker, a->json);
    vg_listsync_stop(sync);
    vg_runtime_node_stop(node);
    vg_matcher_free(m);
    return rc;
}

int vg_cli_crawl(int argc, char **argv)
{
    struct crawl_args a;
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    int rc, status;

    if (argc > 1 && !strcmp(argv[1], "status"))
        return crawl_status(argc - 1, argv + 1);
    memset(&a, 0, sizeof(a));
    if (!(a.seeds = json_array()))
        return VG_EXIT_FAIL;
    if ((status = crawl_parse(argc, argv, &a)))
        goto out;
    status = VG_EXIT_FAIL;
    if (vg_cli_open_store("crawl", a.db, &st))
        goto out;
    if ((rc = crawl_prepare(st, &a, &err)) ||
        (!a.create_only && (rc = crawl_go(st, &a, &err)))) {
        if (rc != VG_ENOENT || err.msg[0])
            vg_cli_errorf("crawl: %s", err.msg[0] ? err.msg : vg_strerror(rc));
        goto out;
    }
    if (a.create_only)
        printf(a.json ? "{\"crawl\":%lld}\n" : "crawl %lld created\n",
               (long long)a.id);
    status = interrupted ? 130 : VG_EXIT_OK;
out:
    vg_store_close(st);
    json_decref(a.seeds);
    json_decref(a.params);
    return status == -1 ? VG_EXIT_OK : status;
}

/* ---- vigil detections ---- */

static void detections_usage(FILE *f)
{
    fprintf(f,
            "Usage: vigil detections [--db URL] [--crawl ID] [--json]\n"
            "\n"
            "List what crawls found that matched a hash list, oldest first,\n"
            "with the evidence: the image URL and the page it was on, when\n"
            "it was fetched (UTC), the HTTP status, the server's address,\n"
            "selected response headers, the image's SHA-256, MD5 and PDQ,\n"
            "and the list entry it matched, at what distance and in which\n"
            "variant (rotation or mirror).\n"
            "\n"
            "  --crawl ID  only this crawl's\n"
            "  --json      JSON Lines, one detection a line\n");
}

static int print_detection(void *ctx, const struct vg_detection_info *d)
{
    char at[32], sha[65], md5[33], pdq[65];
    int json = *(int *)ctx;

    vg_cli_utc(d->fetched_at, at, sizeof(at));
    vg_hex_encode(d->sha256, 32, sha);
    vg_hex_encode(d->md5, 16, md5);
    if (d->pdq)
        vg_hex_encode(d->pdq, 32, pdq);
    if (!json) {
        printf("detection %lld (crawl %lld): %s\n"
               "  on page:  %s\n"
               "  fetched:  %s, HTTP %ld from %s\n"
               "  image:    %s %ux%u sha256 %s\n"
               "  matched:  list %s entry %lld (%s%s%s) by %s at distance %d"
               "%s%s\n",
               (long long)d->id, (long long)d->crawl_id, d->url,
               d->page_url ? d->page_url : "-", at, d->http_status,
               d->server_ip ? d->server_ip : "-", d->format ? d->format : "?",
               d->width, d->height, sha, d->list ? d->list : "(deleted)",
               (long long)d->entry_id, d->category ? d->category : "-",
               d->external_id ? ", id " : "",
               d->external_id ? d->external_id : "", d->algo ? d->algo : "?",
               d->distance, d->variant ? ", variant " : "",
               d->variant ? d->variant : "");
        return VG_OK;
    }
    printf("{\"id\":%lld,\"crawl\":%lld,\"url\":", (long long)d->id,
           (long long)d->crawl_id);
    vg_cli_json_str(stdout, d->url);
    fputs(",\"page_url\":", stdout);
    vg_cli_json_str(stdout, d->page_url);
    printf(",\"fetched_at\":\"%s\",\"http_status\":%ld,\"server_ip\":", at,
           d->http_status);
    vg_cli_json_str(stdout, d->server_ip);
    printf(",\"headers\":%s,\"sha256\":\"%s\",\"md5\":\"%s\",\"pdq\":",
           d->headers_json && *d->headers_json ? d->headers_json : "{}", sha,
           md5);
    if (d->pdq)
        printf("\"%s\",\"pdq_quality\":%d", pdq, d->pdq_quality);
    else
        fputs("null", stdout);
    fputs(",\"format\":", stdout);
    vg_cli_json_str(stdout, d->format);
    printf(",\"width\":%u,\"height\":%u,\"list\":", d->width, d->height);
    vg_cli_json_str(stdout, d->list);
    printf(",\"entry\":%lld,\"category\":", (long long)d->entry_id);
    vg_cli_json_str(stdout, d->category);
    fputs(",\"external_id\":", stdout);
    vg_cli_json_str(stdout, d->external_id);
    fputs(",\"metadata\":", stdout);
    vg_cli_json_str(stdout, d->metadata);
    fputs(",\"algo\":", stdout);
    vg_cli_json_str(stdout, d->algo);
    printf(",\"distance\":%d,\"variant\":", d->distance);
    vg_cli_json_str(stdout, d->variant);
    fputs(",\"status\":", stdout);
    vg_cli_json_str(stdout, d->status);
    fputs("}\n", stdout);
    return VG_OK;
}

int vg_cli_detections(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"crawl", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    const char *db = NULL;
    long long crawl = 0;
    int json = 0, c, rc;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'c':
            if (vg_cli_parse_range("detections", "--crawl", optarg, 0,
                                   INT64_MAX, &crawl))
                return VG_EXIT_USAGE;
            break;
        case 'J':
            json = 1;
            break;
        case 'h':
            detections_usage(stdout);
            return VG_EXIT_OK;
        default:
            vg_cli_bad_option("detections", argv);
            detections_usage(stderr);
            return VG_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        vg_cli_errorf("detections: unexpected '%s'", argv[optind]);
        return VG_EXIT_USAGE;
    }
    if (vg_cli_open_store("detections", db, &st))
        return VG_EXIT_FAIL;
    rc = vg_store_detections(st, (int64_t)crawl, print_detection, &json, &err);
    if (rc)
        vg_cli_errorf("detections: %s",
                      err.msg[0] ? err.msg : vg_strerror(rc));
    vg_store_close(st);
    return rc ? VG_EXIT_FAIL : VG_EXIT_OK;
}
