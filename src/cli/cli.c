/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil` entry point and subcommand dispatcher.  Every subcommand plugs in
 * through the table below; `vigil --help` lists them from it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/core_audit.h"
#include "vigil/runtime.h"
#include "vigil/store_people.h"
#include "vigil/utc.h"

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
    {"hash", "hash image files: PDQ, MD5, SHA-1, SHA-256", vg_cli_hash},
    {"lists", "manage hash lists: create, import, export, enable, ...",
     vg_cli_lists},
    {"match", "hash files and look them up in the hash lists", vg_cli_match},
    {"check", "check files against a hash-check server, sending only hashes",
     vg_cli_check},
    {"crawl", "crawl sites for known images; crawl status", vg_cli_crawl},
    {"detections", "what crawls found, with the evidence", vg_cli_detections},
    {"serve", "the server: tip-line, partner API, analyst console, notices",
     vg_cli_serve},
    {"notices", "notice and takedown: run-once, ls, show, report, test-smtp",
     vg_cli_notices},
    {"users", "console accounts: add, passwd, disable, enable, unlock, ls",
     vg_cli_users},
    {"apikeys", "partners' API keys: add, revoke, ls", vg_cli_apikeys},
    {"audit", "the audit log of analyst and admin actions: verify, ls",
     vg_cli_audit},
    {"keys", "the sealing and audit keys: rotate, reseal, status, retire",
     vg_cli_keys},
    {"providers", "hosting providers notices go to: import, export, lookup",
     vg_cli_providers},
    {"db", "the store: status, migrate, copy, backup, restore, verify",
     vg_cli_db},
    {"fleet", "the processes sharing the database: status", vg_cli_fleet},
    {"retention", "delete what is past its time: show, run", vg_cli_retention},
    {"holds", "legal holds on reports and cases: add, rm, ls", vg_cli_holds},
    {"reports", "reports: erase a reporter's contact details", vg_cli_reports},
};

int vg_cli_proxy_check(const char *cmd, const char *url)
{
    static const char *const schemes[] = {"http://",   "https://",
                                          "socks4://", "socks4a://",
                                          "socks5://", "socks5h://"};

    for (size_t i = 0; i < sizeof(schemes) / sizeof(*schemes); i++) {
        size_t n = strlen(schemes[i]);
        if (!strncmp(url, schemes[i], n) && url[n] && url[n] != '/')
            return 0;
    }
    vg_cli_errorf("%s: --proxy wants a URL such as http://proxy:3128 "
                  "(http, https, socks4, socks4a, socks5, socks5h), not '%s'",
                  cmd, url);
    return -1;
}

int vg_cli_audit_files(const char *cmd, const char *db, char *key, char *head,
                       size_t cap)
{
    const char *ek = getenv("VIGIL_AUDIT_KEY"),
               *eh = getenv("VIGIL_AUDIT_HEAD");

    if (key &&
        (ek && *ek ? snprintf(key, cap, "%s", ek) >= (int)cap
                   : vg_runtime_file_beside(db, ".audit-key", key, cap))) {
        vg_cli_errorf("%s: give --audit-key (or VIGIL_AUDIT_KEY)", cmd);
        return VG_EINVAL;
    }
    if (head &&
        (eh && *eh ? snprintf(head, cap, "%s", eh) >= (int)cap
                   : vg_runtime_file_beside(db, ".audit-head", head, cap))) {
        vg_cli_errorf("%s: give --audit-head (or VIGIL_AUDIT_HEAD)", cmd);
        return VG_EINVAL;
    }
    return VG_OK;
}

int vg_cli_open_store_audit(const char *cmd, const char *db,
                            const char *key_file, const char *head_file,
                            int create, struct vg_store **out, int *keyed)
{
    struct vg_err err = {0};
    char *url = db ? NULL : vg_store_default_url();
    char who[VG_OPERATOR_MAX + 1], key[4096], head[4096];
    int rc;

    if (keyed)
        *keyed = 0;
    if (!db && !url) {
        vg_cli_errorf("%s: no --db given and no default (set VIGIL_DB or "
                      "HOME)",
                      cmd);
        return VG_EINVAL;
    }
    if ((rc = vg_store_open(db ? db : url, NULL, out, &err))) {
        vg_cli_errorf("%s: %s", cmd, err.msg[0] ? err.msg : vg_strerror(rc));
        vg_free(url);
        return rc;
    }
    if (!vg_core_operator_name(who, sizeof(who)))
        vg_store_set_operator(*out, who); /* names actor 0's records */
    if ((!key_file || !head_file) &&
        (rc = vg_cli_audit_files(cmd, db, key_file ? NULL : key,
                                 head_file ? NULL : head, sizeof(key)))) {
        vg_store_close(*out);
        *out = NULL;
    } else {
        const char *hf = head_file ? head_file : head;
        rc = vg_store_audit_key(*out, key_file ? key_file : key, create,
                                *hf ? hf : NULL, &err);
        if (rc == VG_ENOENT && !create)
            rc = VG_OK; /* unkeyed, as asked */
        else if (!rc && keyed)
            *keyed = 1;
        if (rc) {
            vg_cli_errorf("%s: %s", cmd,
                          err.msg[0] ? err.msg : vg_strerror(rc));
            vg_store_close(*out);
            *out = NULL;
        }
    }
    vg_free(url);
    return rc;
}

int vg_cli_open_store(const char *cmd, const char *db, struct vg_store **out)
{
    return vg_cli_open_store_audit(cmd, db, NULL, NULL, 1, out, NULL);
}

void vg_cli_utc(int64_t t, char *buf, size_t n)
{
    if (!t || vg_utc_format(t, "%Y-%m-%dT%H:%M:%SZ", buf, n))
        snprintf(buf, n, "-");
}

int vg_cli_action(const char *cmd, int argc, char **argv,
                  const struct vg_cli_action *actions, size_t n,
                  void (*usage)(FILE *f), int *status)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        *status = argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (!strcmp(argv[1], actions[i].name))
            return (int)i;
    vg_cli_errorf("%s: unknown action '%s'", cmd, argv[1]);
    usage(stderr);
    *status = VG_EXIT_USAGE;
    return -1;
}

int vg_cli_parse_range(const char *cmd, const char *opt, const char *s,
                       long long lo, long long hi, long long *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        vg_cli_errorf("%s: %s wants a number from %lld to %lld, not '%s'", cmd,
                      opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int vg_cli_inflight_bytes(const char *cmd, const char *opt, const char *s,
                          size_t *out)
{
    unsigned long long v;

    if (vg_cli_parse_size(s, 0, &v) || v < (1ull << 20)) {
        vg_cli_errorf("%s: %s wants a size of at least 1M (K, M, G: KiB,"
                      " MiB, GiB), not '%s'",
                      cmd, opt, s);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(
        f, "Usage: vigil [--help] [--version] COMMAND [ARGS...]\n"
           "\n"
           "Vigil: crawl, hash, match and take down known child sexual abuse\n"
           "material for hotlines and their partners.\n"
           "\n"
           "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'vigil COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return VG_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            char *sub[] = {argv[2], "--help", NULL};
            for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (!strcmp(commands[i].name, argv[2]))
                    return commands[i].run(2, sub);
        }
        usage(stdout);
        return VG_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("vigil %s\n", VIGIL_VERSION);
        return VG_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(commands[i].name, argv[1]))
            return commands[i].run(argc - 1, argv + 1);
    if (argv[1][0] == '-')
        vg_cli_errorf("unknown option '%s'", argv[1]);
    else
        vg_cli_errorf("unknown command '%s'", argv[1]);
    usage(stderr);
    return VG_EXIT_USAGE;
}
