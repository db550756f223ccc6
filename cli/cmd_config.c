/* cmd_config.c - `archrepair config`: validate a job file and print its
 * effective values, or print the markdown reference of every key. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config/job_config.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: archrepair config check JOB.toml\n"
                 "       archrepair config --doc\n\n"
                 "check  validates JOB.toml (unknown keys, types, ranges) and prints every key's\n"
                 "       effective value, defaults included, as TOML.\n"
                 "--doc  prints the reference of every job key as markdown (docs/config.md).\n");
}

int ar_cmd_config(int argc, char **argv)
{
    if (ar_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--doc") == 0) {
        if (ar_job_doc_markdown(stdout) != 0 || fflush(stdout) != 0) {
            fprintf(stderr, "archrepair config: write error\n");
            return 1;
        }
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "check") == 0) {
        ar_err_t err = {0};
        ar_job_config_t job;
        if (ar_job_load_file(argv[2], &job, &err) != AR_OK) return ar_cli_fail("config", &err);
        int n;
        const ar_key_spec_t *specs = ar_job_schema(&n);
        printf("# %s: valid %s job\n", argv[2], job.job.kind);
        int st = ar_schema_dump(specs, n, &job, stdout);
        ar_job_free(&job);
        return st ? 1 : 0;
    }
    return ar_cli_usage_error("config", "expected 'check JOB.toml' or '--doc'");
}
