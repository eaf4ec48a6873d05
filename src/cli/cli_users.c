/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil users` (accounts of analysts and admins: the first admin is made
 * here) and `vigil apikeys` (partners' keys); `vigil audit`, the log of
 * what they all did, is cli_audit.c.
 * Passwords are read from the terminal without echo (asked twice), or as
 * the first line of standard input when it is not a terminal; they never
 * appear on the command line, where other users of the machine could see
 * them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vigil/auth.h"
#include "vigil/store_people.h"

static void users_usage(FILE *f)
{
    fprintf(
        f,
        "Usage: vigil users add NAME [--role analyst|admin] [--db URL]\n"
        "       vigil users passwd NAME [--db URL]\n"
        "       vigil users disable|enable NAME [--db URL]\n"
        "       vigil users unlock NAME [--db URL]\n"
        "       vigil users ls [--db URL]\n"
        "\n"
        "Accounts for the analyst console.  The first admin is made here.\n"
        "The password is asked on the terminal (twice, not shown), or read\n"
        "as the first line of standard input; at least %d characters.\n"
        "Passwords are stored as Argon2id hashes.  Disabling an account\n"
        "ends its sessions.  Unlock clears the failed sign-ins counted\n"
        "against the account (from every address) in a running\n"
        "`vigil serve`.  Every change is in the audit log.\n"
        "\n"
        "  --role R   analyst (default) or admin\n",
        VG_PASSWORD_MIN);
}

/* Read a line without echo from the terminal, or a line of stdin. */
static int read_line(const char *prompt, char *buf, size_t n)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO), ok;
    size_t len;

    if (tty) {
        fputs(prompt, stderr);
        fflush(stderr);
        if (tcgetattr(STDIN_FILENO, &old))
            return -1;
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    ok = fgets(buf, (int)n, stdin) != NULL;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!ok)
        return -1;
    len = strlen(buf);
    if (len && buf[len - 1] != '\n' && len == n - 1)
        return -2; /* longer than the buffer */
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        buf[--len] = 0;
    return 0;
}

/* A new password, checked, hashed into hash. */
static int new_password(char *hash)
{
    char pw[VG_PASSWORD_MAX + 2], again[VG_PASSWORD_MAX + 2];
    struct vg_err err = {0};
    int rc = -1;

    if (read_line("New password: ", pw, sizeof(pw))) {
        vg_cli_errorf("users: no password given (or over %d bytes)",
                      VG_PASSWORD_MAX);
        goto out;
    }
    if (isatty(STDIN_FILENO) &&
        (read_line("Again: ", again, sizeof(again)) || strcmp(pw, again))) {
        vg_cli_errorf("users: the passwords differ");
        goto out;
    }
    if (vg_auth_hash_password(pw, hash, &err)) {
        vg_cli_errorf("users: %s", err.msg);
        goto out;
    }
    rc = 0;
out:
    memset(pw, 0, sizeof(pw));
    memset(again, 0, sizeof(again));
    return rc;
}

static int print_user(void *ctx, const struct vg_user *u)
{
    char created[32];

    (void)ctx;
    vg_cli_utc(u->created_at, created, sizeof(created));
    printf("%-24s %-8s %-9s %s\n", u->username, vg_role_name(u->role),
           u->disabled ? "disabled" : "active", created);
    return VG_OK;
}

/* One action of `vigil users` on an open store; the exit status. */
static int users_run(struct vg_store *st, const char *verb, const char *name,
                     enum vg_role role)
{
    char hash[VG_PASSWORD_HASH_MAX + 1];
    struct vg_err err = {0};
    int rc = VG_OK, status = VG_EXIT_FAIL;

    if (!strcmp(verb, "ls")) {
        rc = vg_store_users(st, print_user, NULL, &err);
    } else if (!strcmp(verb, "add")) {
        struct vg_user u;
        if (vg_store_user_get(st, name, &u, &err) == VG_OK) {
            vg_cli_errorf("users: a user named %s exists", name);
            goto out;
        }
        err.msg[0] = 0;
        if (new_password(hash))
            goto out;
        if (!(rc = vg_store_user_add(st, 0, name, hash, role, NULL, &err)))
            printf("added %s (%s)\n", name, vg_role_name(role));
    } else if (!strcmp(verb, "passwd")) {
        struct vg_user u;
        if ((rc = vg_store_user_get(st, name, &u, &err)))
            goto fail;
        if (new_password(hash))
            goto out;
        if (!(rc = vg_store_user_set_password(st, 0, name, hash, &err)))
            printf("password of %s changed\n", name);
    } else if (!strcmp(verb, "unlock")) {
        if (!(rc = vg_store_user_unlock(st, 0, name, &err)))
            printf("%s unlocked: its failed sign-ins are cleared\n", name);
    } else {
        int off = !strcmp(verb, "disable");
        if (!(rc = vg_store_user_set_disabled(st, 0, name, off, &err)))
            printf("%s %s\n", name, off ? "disabled" : "enabled");
    }
fail:
    if (rc)
        vg_cli_errorf("users: %s", err.msg[0] ? err.msg : vg_strerror(rc));
    else
        status = VG_EXIT_OK;
out:
    return status;
}

int vg_cli_users(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"role", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct vg_store *st = NULL;
    const char *db = NULL, *verb, *name = NULL;
    enum vg_role role = VG_ROLE_ANALYST;
    int c, status;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'r':
            if (vg_role_parse(optarg, &role)) {
                vg_cli_errorf("users: --role is analyst or admin, not '%s'",
                              optarg);
                return VG_EXIT_USAGE;
            }
            break;
        case 'h':
            users_usage(stdout);
            return VG_EXIT_OK;
        default:
            vg_cli_bad_option("users", argv);
            users_usage(stderr);
            return VG_EXIT_USAGE;
        }
    }
    verb = optind < argc ? argv[optind++] : NULL;
    if (verb && strcmp(verb, "ls"))
        name = optind < argc ? argv[optind++] : NULL;
    if (!verb || (strcmp(verb, "ls") && !name) || optind < argc ||
        (strcmp(verb, "add") && strcmp(verb, "passwd") &&
         strcmp(verb, "disable") && strcmp(verb, "enable") &&
         strcmp(verb, "unlock") && strcmp(verb, "ls"))) {
        users_usage(stderr);
        return VG_EXIT_USAGE;
    }
    if (vg_cli_open_store("users", db, &st))
        return VG_EXIT_FAIL;
    status = users_run(st, verb, name, role);
    vg_store_close(st);
    return status;
}

/* ---- vigil apikeys ---- */

static void apikeys_usage(FILE *f)
{
    fprintf(
        f, "Usage: vigil apikeys add NAME [--scopes S] [--partner P]\n"
           "                        [--rate N] [--quota N] [--db URL]\n"
           "       vigil apikeys revoke ID [--db URL]\n"
           "       vigil apikeys ls [--db URL]\n"
           "\n"
           "Keys for partner hotlines and platforms calling the API.  'add'\n"
           "prints the new key once: give it to the partner over a safe\n"
           "channel; Vigil keeps only its SHA-256.  A revoked key is refused\n"
           "at once.  Every change is in the audit log.\n"
           "\n"
           "  --scopes S   what the key may do, words separated by commas:\n"
           "               reports (send reports; the default), lookup\n"
           "               (check hashes and media), hash (hash media),\n"
           "               curate (manage the partner's own banks)\n"
           "  --partner P  the organisation the key belongs to (default:\n"
           "               NAME); lists are shared with partners\n"
           "               (`vigil lists share`)\n"
           "  --rate N     requests a minute (default 0: no limit)\n"
           "  --quota N    requests a UTC day (default 0: no limit)\n");
}

static int print_key(void *ctx, const struct vg_apikey *k)
{
    (void)ctx;
    printf("%-6lld %-24s %-20s %-24s %6lld/min %8lld/day %s\n",
           (long long)k->id, k->name, k->partner, k->scopes,
           (long long)k->rate_per_minute, (long long)k->daily_quota,
           k->revoked_at ? "revoked" : "valid");
    return VG_OK;
}

int vg_cli_apikeys(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"scopes", required_argument, NULL, 's'},
        {"partner", required_argument, NULL, 'p'},
        {"rate", required_argument, NULL, 'r'},
        {"quota", required_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    char key[VG_APIKEY_LEN + 1];
    unsigned char hash[32];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    const char *db = NULL, *verb, *arg = NULL;
    struct vg_apikey k = {.scopes = "reports"};
    unsigned long long id = 0;
    long long rate = 0, quota = 0;
    int64_t newid = 0;
    int c, rc;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 's':
            k.scopes = optarg;
            break;
        case 'p':
            k.partner = optarg;
            break;
        case 'r':
        case 'q':
            if (vg_cli_parse_range("apikeys", c == 'r' ? "--rate" : "--quota",
                                   optarg, 0, 1000000000LL,
                                   c == 'r' ? &rate : &quota))
                return VG_EXIT_USAGE;
            break;
        case 'h':
            apikeys_usage(stdout);
            return VG_EXIT_OK;
        default:
            vg_cli_bad_option("apikeys", argv);
            apikeys_usage(stderr);
            return VG_EXIT_USAGE;
        }
    }
    verb = optind < argc ? argv[optind++] : NULL;
    if (verb && strcmp(verb, "ls"))
        arg = optind < argc ? argv[optind++] : NULL;
    if (!verb || optind < argc || (strcmp(verb, "ls") && !arg) ||
        (strcmp(verb, "add") && strcmp(verb, "revoke") &&
         strcmp(verb, "ls")) ||
        (!strcmp(verb, "revoke") && vg_cli_parse_size(arg, 1, &id))) {
        apikeys_usage(stderr);
        return VG_EXIT_USAGE;
    }
    if (vg_cli_open_store("apikeys", db, &st))
        return VG_EXIT_FAIL;
    if (!strcmp(verb, "ls")) {
        rc = vg_store_apikeys(st, print_key, NULL, &err);
    } else if (!strcmp(verb, "revoke")) {
        if (!(rc = vg_store_apikey_revoke(st, 0, (int64_t)id, &err)))
            printf("key %llu revoked\n", id);
    } else if ((rc = vg_auth_apikey_new(key, hash))) {
        vg_err_set(&err, rc, "no random bytes for a key");
    } else if (k.name = arg, k.rate_per_minute = (int64_t)rate,
               k.daily_quota = (int64_t)quota,
               !(rc = vg_store_apikey_add(st, 0, &k, hash, &newid, &err))) {
        printf("key %lld for %s (shown once, keep it safe):\n%s\n",
               (long long)newid, arg, key);
    }
    if (rc)
        vg_cli_errorf("apikeys: %s", err.msg[0] ? err.msg : vg_strerror(rc));
    vg_store_close(st);
    return rc ? VG_EXIT_FAIL : VG_EXIT_OK;
}
