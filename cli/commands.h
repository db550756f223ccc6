/* commands.h - the subcommands of `archrepair` and the helpers they share.
 *
 * Each command lives in cli/cmd_<name>.c as `int ar_cmd_<name>(int argc,
 * char **argv)` (argv[0] is the command name) and has one row in the table
 * of main.c. Every command answers --help / -h with its usage on stdout and
 * status 0; on any error it prints one line "archrepair <name>: <cause>" on
 * stderr and returns 2 for a usage error (core/cliopt.h), 1 otherwise.
 */
#ifndef AR_CLI_COMMANDS_H
#define AR_CLI_COMMANDS_H

#include "core/cliopt.h"
#include "core/error.h"

typedef int (*ar_cmd_fn)(int argc, char **argv);

typedef struct ar_command {
    const char *name;   /* as typed: archrepair <name> */
    const char *help;   /* one line for `archrepair --help` */
    ar_cmd_fn fn;
} ar_command_t;

int ar_cmd_info(int argc, char **argv);
int ar_cmd_config(int argc, char **argv);
int ar_cmd_corrupt(int argc, char **argv);
int ar_cmd_train(int argc, char **argv);
int ar_cmd_eval(int argc, char **argv);
int ar_cmd_predict(int argc, char **argv);
int ar_cmd_report(int argc, char **argv);

/* 1 when argv[1..] holds --help or -h. */
int ar_cli_wants_help(int argc, char **argv);
/* ar_opts_parse (core/cliopt.h) with prog "archrepair <cmd>": 0, or 2 after
 * the one-line usage error. */
int ar_cli_opts(const char *cmd, const ar_opt_t *opts, int argc, char **argv, const char **pos,
                int maxpos, int *npos);
/* Prints "archrepair <cmd>: <message of err>" on stderr; returns 1. */
int ar_cli_fail(const char *cmd, const ar_err_t *err);
/* Prints "archrepair <cmd>: <formatted>" on stderr; returns 2 (usage error). */
int ar_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
