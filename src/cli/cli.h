/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vigil command: one table of subcommands (cli.c) and one file per
 * subcommand (cli_<name>.c).  The CLI only parses arguments and prints; the
 * work is done by the library modules.
 * Exit codes shared by every subcommand: 0 success, 1 failure of some
 * input (or, for match, a match), 2 usage error.
 */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "vigil/buf.h"
#include "vigil/imagehash.h"
#include "vigil/notice.h"
#include "vigil/store.h"
#include "vigil/store_retention.h"

#define VG_EXIT_OK 0
#define VG_EXIT_FAIL 1
#define VG_EXIT_USAGE 2

/* argv[0] is the subcommand name. */
int vg_cli_hash(int argc, char **argv);
int vg_cli_lists(int argc, char **argv);
/* `vigil lists quarantine` (cli_quarantine.c); argv[0] is "quarantine" */
int vg_cli_lists_quarantine(int argc, char **argv);
int vg_cli_match(int argc, char **argv);
int vg_cli_crawl(int argc, char **argv);
int vg_cli_detections(int argc, char **argv);
int vg_cli_users(int argc, char **argv);
int vg_cli_audit(int argc, char **argv);
int vg_cli_apikeys(int argc, char **argv);
int vg_cli_serve(int argc, char **argv);
int vg_cli_notices(int argc, char **argv);
int vg_cli_providers(int argc, char **argv);
int vg_cli_db(int argc, char **argv);
int vg_cli_fleet(int argc, char **argv);
int vg_cli_check(int argc, char **argv);
int vg_cli_retention(int argc, char **argv);
int vg_cli_holds(int argc, char **argv);
int vg_cli_reports(int argc, char **argv);
int vg_cli_keys(int argc, char **argv);

/* `vigil db backup`, `restore`, `verify` (cli_db_backup.c), with the
 * options of `vigil db` (cli_db.c) that they take: exit codes. */
struct vg_cli_db_opts {
    const char *db, *from, *to, *key;
    int force, quick;
};
int vg_cli_db_backup(const struct vg_cli_db_opts *o);
int vg_cli_db_restore(const struct vg_cli_db_opts *o);
int vg_cli_db_verify(const struct vg_cli_db_opts *o);
/* verify the store at url under the audit key file key (NULL: the
 * default, vg_cli_audit_files) */
int vg_cli_db_verify_url(const char *url, const char *key, int quick);

/* ---- the file-hashing engine behind `hash` and `match` (cli_hash.c) ---- */

struct vg_cli_hash_job;

/*
 * Called in a worker thread for each file hashed: append the output to out
 * and messages to errs; set *flagged (for match: the file matched).
 * Returns VG_OK or an error code (the file is then reported as failed).
 */
typedef int (*vg_cli_hash_format_fn)(void *ctx,
                                     const struct vg_cli_hash_job *job,
                                     const char *path,
                                     const struct vg_imagehash *h,
                                     struct vg_buf *out, struct vg_buf *errs,
                                     int *flagged);

struct vg_cli_hash_job {
    const char *cmd; /* for messages */
    struct vg_imagehash_opts opts;
    int json;
    unsigned jobs;
    vg_cli_hash_format_fn format; /* default: vigil hash's output */
    void *ctx;
};

/* Options every hashing command takes (getopt_long codes below). */
enum {
    VG_CLI_OPT_FAST = 256,
    VG_CLI_OPT_JSON,
    VG_CLI_OPT_MAXPX,
    VG_CLI_OPT_MAXSIZE,
    VG_CLI_OPT_FIRST_FREE
};
#define VG_CLI_HASH_LONGOPTS                                                  \
    {"fast", no_argument, NULL, VG_CLI_OPT_FAST},                             \
        {"json", no_argument, NULL, VG_CLI_OPT_JSON},                         \
        {"jobs", required_argument, NULL, 'j'},                               \
        {"max-pixels", required_argument, NULL, VG_CLI_OPT_MAXPX},            \
    {                                                                         \
        "max-size", required_argument, NULL, VG_CLI_OPT_MAXSIZE               \
    }
#define VG_CLI_HASH_HELP                                                      \
    "  --fast            faster, approximate: JPEG decoded at reduced size\n" \
    "                    (sides >= 448) with the decoder's luma\n"            \
    "  --json            JSON Lines with digests, size and warnings\n"        \
    "  -j, --jobs N      hash N files in parallel (default: CPU cores)\n"     \
    "  --max-pixels N    refuse images over N pixels (default 128M)\n"        \
    "  --max-size N      refuse files over N bytes (default 256M; K/M/G)\n"

void vg_cli_hash_job_init(struct vg_cli_hash_job *job, const char *cmd);
/* 1 if c was a common option (applied), 0 if not, -1 after a usage error. */
int vg_cli_hash_option(struct vg_cli_hash_job *job, int c, const char *arg);

#define VG_CLI_HASH_FAILED 1  /* some file could not be hashed */
#define VG_CLI_HASH_FLAGGED 2 /* some file was flagged by the formatter */
/* Hash every path; the VG_CLI_HASH_* bits seen, or -1 on a usage error. */
int vg_cli_hash_files(const struct vg_cli_hash_job *job, char **paths,
                      int npaths);
/* Does the file at path start like an image vigil can hash?  (A file that
 * cannot be read counts as one, so that its hashing says why.)  How the
 * walk of a directory skips other files. */
int vg_cli_looks_like_image(const char *path);
/*
 * vigil hash's output for one file; with open (JSON only) the object is
 * left open for the caller to add fields and close.
 */
int vg_cli_hash_format(const struct vg_cli_hash_job *job, const char *path,
                       const struct vg_imagehash *h, int open,
                       struct vg_buf *out, struct vg_buf *errs);

/* ---- retention options, shared by retention and serve (cli_retention.c) */

struct vg_cli_retention {
    struct vg_retention_policy p;
    int off;            /* serve: --no-retention */
    int64_t interval_s; /* serve: between runs (0: a day) */
};

extern const char vg_cli_retention_help[];

/* The defaults (vg_retention_policy_default). */
void vg_cli_retention_init(struct vg_cli_retention *r);
/* Append the retention options to a getopt_long table; how many. */
size_t vg_cli_retention_longopts(struct option *out, size_t room);
/* 1 if c was a retention option (taken), 0 if not one, -1 bad (said, as
 * cmd's). */
int vg_cli_retention_option(struct vg_cli_retention *r, const char *cmd, int c,
                            const char *v);

/* ---- notice options, shared by notices and serve (cli_notice_opts.c) ---- */

struct vg_runtime_mail;

struct vg_cli_notices {
    const char *cmd;         /* "serve", "notices": for messages */
    struct vg_notice_opts o; /* what the cycle gets */
    const char *relay, *from, *starttls, *user, *password_file, *cafile;
    const char *rdap_bootstrap;
    int allow_private;
    int64_t at;         /* --at: a fixed clock; 0 = the real one */
    int64_t interval_s; /* serve: between cycles */
    /* made by vg_cli_notices_ready: the transport and the lookup */
    struct vg_runtime_mail *mail;
};

extern const char vg_cli_notice_help[];
extern const char *const vg_cli_notice_flags[]; /* for vg_cli_config_args */

void vg_cli_notices_init(struct vg_cli_notices *n, const char *cmd);
/* Append the notice options to a getopt_long table; returns how many. */
size_t vg_cli_notices_longopts(struct option *out, size_t room);
/* 1 if c was a notice option (taken), 0 if not one, -1 bad (printed). */
int vg_cli_notices_option(struct vg_cli_notices *n, int c, const char *v);
/* Make the transport and the lookup (vigil/runtime.h); 0 or -1 (printed). */
int vg_cli_notices_ready(struct vg_cli_notices *n, struct vg_store *st);
/* `vigil notices test-smtp` (cli_notices_smtp.c) */
int vg_cli_notices_test_smtp(int argc, char **argv);
/* The first line of path into buf (n bytes): 0, or -1 (printed). */
int vg_cli_read_password(const char *path, char *buf, size_t n);
void vg_cli_notices_fini(struct vg_cli_notices *n);

/* ---- JSON output: the one printer of every command (cli_json.c) ---- */

/* s as a JSON string (escaped as vg_buf_json_str does), or null for NULL
 * (or out of memory). */
void vg_cli_json_str(FILE *f, const char *s);
/* "key":"v" (or null), then after (",", "" ...). */
void vg_cli_json_field(FILE *f, const char *key, const char *v,
                       const char *after);
/* "key":["v0",...], then after. */
void vg_cli_json_list(FILE *f, const char *key, char *const *v, size_t n,
                      const char *after);
/* v indented with sorted keys and a newline; takes v (decref'd).  0, or 1
 * if it could not be written. */
int vg_cli_json_value(FILE *f, json_t *v);

/* ---- paging of listings (cli_page.c, docs/LISTINGS.md) ---- */

/* rows read from the store at a time when a listing prints them all */
#define VG_CLI_PAGE_ALL 1000

struct vg_cli_page {
    long long limit; /* --limit N: one page of N rows; 0: every row */
    long long after; /* --after CURSOR: where the last page stopped; 0 */
};

/* --limit N (1 to 1,000,000) and --after CURSOR (a key, 1 or more) into
 * p: 0, or -1 after saying why. */
int vg_cli_page_limit(const char *cmd, struct vg_cli_page *p, const char *s);
int vg_cli_page_after(const char *cmd, struct vg_cli_page *p, const char *s);
/* When next is not 0, say on stderr that the page stopped early:
 * "vigil: CMD: N shown, more: --after NEXT". */
void vg_cli_page_more(const char *cmd, size_t shown, long long next);
/* One page as JSON on stdout: {"items": items, "next": "NEXT"} (null for
 * 0); takes items.  0, or 1 if it could not be written. */
int vg_cli_page_json(json_t *items, long long next);

/* ---- shared helpers (cli.c) ---- */

/* Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" into buf ("-" for 0). */
void vg_cli_utc(int64_t t, char *buf, size_t n);

/* Report the unknown option getopt just stopped at. */
void vg_cli_bad_option(const char *cmd, char **argv);
/*
 * Open the store at db (NULL: vg_store_default_url), reporting failures
 * as "vigil: CMD: ...", and key its audit chain (vg_store_audit_key) with
 * the default key and head files, the key created if missing.  Returns
 * VG_OK or the error code.
 */
int vg_cli_open_store(const char *cmd, const char *db, struct vg_store **out);
/*
 * The same with the audit key file and head file given (NULL: the
 * defaults, vg_cli_audit_files; head_file "": none).  Without create, a missing key file
 * leaves the store unkeyed (*keyed 0; keyed may be NULL).
 */
int vg_cli_open_store_audit(const char *cmd, const char *db,
                            const char *key_file, const char *head_file,
                            int create, struct vg_store **out, int *keyed);
/*
 * The audit key and head files when none is given: $VIGIL_AUDIT_KEY and
 * $VIGIL_AUDIT_HEAD if set, else beside the database (its path and
 * ".audit-key", ".audit-head").  Each buffer of cap bytes, or NULL when
 * that file is given (so a store without a path, PostgreSQL, needs only
 * the one not given).  VG_OK, or VG_EINVAL (said: no file path to put
 * them beside).
 */
int vg_cli_audit_files(const char *cmd, const char *db, char *key, char *head,
                       size_t cap);

/* The folders used when no option names them (cli_paths.c): web/, its
 * notices/ and data/, the source tree's for a binary of the build tree, else
 * those installed beside this binary (/usr/share/vigil/...). */
const char *vg_cli_web_dir(void);
const char *vg_cli_notices_dir(void);
const char *vg_cli_data_dir(void);
/* data/'s RDAP bootstrap file, IANA's ipv4.json or (ipv6) ipv6.json */
const char *vg_cli_rdap_bootstrap(int ipv6);
/* The RDAP bootstrap for lookups (cli_providers_rdap.c): paths (files or
 * directories; NULL: the one installed), else data/'s, the refusal said
 * on stderr (vg_rdap_bootstrap_open). */
struct vg_rdap_bootstrap;
int vg_cli_rdap_open(const char *const *paths, struct vg_rdap_bootstrap **out,
                     struct vg_err *err);
/* vigil providers rdap-bootstrap [--from DIR] [--dir DIR] (argv[1] is
 * the action): an exit status, VG_EXIT_FAIL also when the shipped
 * fallback is in use. */
int vg_cli_providers_rdap(int argc, char **argv);

/* "vigil: " + message on stderr. */
void vg_cli_errorf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/*
 * Options from a config file of "name = value" lines ('#' comments): args
 * becomes argv[0], each line as "--name" "value" (a name in flags, NULL-
 * ended, takes "yes" or "no" and no value), then argv[1..], so the command
 * line wins.  *owned is how many leading args are the config's.  Returns
 * VG_EXIT_OK or a failure (printed as "vigil: CMD: ...").  Free with
 * vg_cli_config_free(args, argv, owned).
 */
int vg_cli_config_args(const char *cmd, const char *path,
                       const char *const *flags, int argc, char **argv,
                       char ***args, int *nargs, int *owned);
/* The same, for the --config FILE (or --config=FILE) among argv if there
 * is one (the last wins); without one, *args is argv and *nargs argc. */
int vg_cli_config_first(const char *cmd, const char *const *flags, int argc,
                        char **argv, char ***args, int *nargs, int *owned);
void vg_cli_config_free(char **args, char **argv, int owned);

/* A subcommand's action ("create", "ls", ...) and its positional args. */
struct vg_cli_action {
    const char *name;
    int nargs;        /* positional arguments it takes */
    const char *args; /* them, for "expected ..." */
};

/*
 * The index in actions[0..n) of argv[1], or -1 with *status set when there
 * is none to run: help asked (usage on stdout, VG_EXIT_OK), no action or
 * an unknown one (said, usage on stderr, VG_EXIT_USAGE).
 */
int vg_cli_action(const char *cmd, int argc, char **argv,
                  const struct vg_cli_action *actions, size_t n,
                  void (*usage)(FILE *f), int *status);

/* --proxy URL: 0 if it names a proxy libcurl knows (http, https,
 * socks4, socks4a, socks5, socks5h, with a host), or -1 after saying so. */
int vg_cli_proxy_check(const char *cmd, const char *url);

/* A decimal integer s in [lo, hi] into *out: 0, or -1 after saying
 * "CMD: OPT wants a number from LO to HI, not 'S'". */
int vg_cli_parse_range(const char *cmd, const char *opt, const char *s,
                       long long lo, long long hi, long long *out);

/* Parse a positive integer with an optional K/M/G suffix (powers of 1000
 * when si, else 1024).  Returns 0 on success. */
int vg_cli_parse_size(const char *s, int si, unsigned long long *out);

/* The crawler's byte budget, option opt's SIZE (1 MiB or more, K/M/G in
 * powers of 1024) into *out: 0, or -1 after saying why. */
int vg_cli_inflight_bytes(const char *cmd, const char *opt, const char *s,
                          size_t *out);

#endif
