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

#define VG_EXIT_OK 0
#define VG_EXIT_FAIL 1
#define VG_EXIT_USAGE 2

/* argv[0] is the subcommand name. */
int vg_cli_hash(int argc, char **argv);

/* "vigil: " + message on stderr. */
void vg_cli_errorf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Parse a positive integer with an optional K/M/G suffix (powers of 1000
 * when si, else 1024).  Returns 0 on success. */
int vg_cli_parse_size(const char *s, int si, unsigned long long *out);

#endif
