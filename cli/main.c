/* main.c - `archrepair`: single-process utilities, one subcommand per row of
 * the table below. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "core/cliopt.h"
#include "core/version.h"

/* One row per command; the command itself lives in cli/cmd_<name>.c. */
static const ar_command_t commands[] = {
    {"info", "describe a dataset, corruption collection, model or result file", ar_cmd_info},
    {"config", "check a job file, or print the reference of every job key (--doc)", ar_cmd_config},
    {"corrupt", "make CIFAR-10-C style corruption sets (.h5 collection or .npy directory)", ar_cmd_corrupt},
    {"train", "train a zoo model (or continue a model file) on a dataset", ar_cmd_train},
    {"eval", "accuracy of a model on a dataset or corruption set", ar_cmd_eval},
    {"predict", "logits of a model for the /images of an HDF5 file", ar_cmd_predict},
    {"report", "a self-contained HTML page (inline SVG charts) of a repair result", ar_cmd_report},
};

#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

int ar_cli_wants_help(int argc, char **argv) { return ar_opts_wants_help(argc, argv); }

int ar_cli_opts(const char *cmd, const ar_opt_t *opts, int argc, char **argv, const char **pos,
                int maxpos, int *npos)
{
    char prog[64];
    snprintf(prog, sizeof prog, "archrepair %s", cmd);
    return ar_opts_parse(prog, opts, argc, argv, pos, maxpos, npos);
}

int ar_cli_fail(const char *cmd, const ar_err_t *err)
{
    fprintf(stderr, "archrepair %s: %s\n", cmd, ar_err_msg(err));
    return 1;
}

int ar_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    char prog[64];
    snprintf(prog, sizeof prog, "archrepair %s", cmd);
    va_list ap;
    va_start(ap, fmt);
    ar_usage_verror(prog, fmt, ap);
    va_end(ap);
    return 2;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: archrepair <command> [options]\n\n"
                 "Repairs CNN image classifiers that fail on corrupted images (ArchRepair).\n"
                 "The distributed job runner is archrepair-coord JOB.toml (run under mpirun).\n\n"
                 "Commands:\n");
    for (int i = 0; i < NCOMMANDS; i++) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n`archrepair <command> --help` describes each command; --version prints the version.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "archrepair: no command given (see archrepair --help)\n");
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("%s\n", ar_version());
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (int i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "archrepair: unknown command '%s' (see archrepair --help)\n", argv[1]);
    return 2;
}
