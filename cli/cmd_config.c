/* cmd_config.c - `archrepair config`: validate a job file and print its
 * effective values, or print the markdown reference of every key. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config/job_config.h"
#include "jobs/preflight.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: archrepair config check [--no-files] JOB.toml\n"
                 "       archrepair config --doc\n\n"
                 "check  validates JOB.toml (unknown keys, types, ranges; the model and every data\n"
                 "       path open and fit each other, every corruption name is known, the output\n"
                 "       directory is writable) and prints every key's effective value, defaults\n"
                 "       included, as TOML. --no-files checks the text only (a job for another\n"
                 "       machine).\n"
                 "--doc  prints the reference of every job key as markdown (docs/config.md).\n");
}

int ar_cmd_config(int argc, char **argv)
{
    if (ar_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    int doc = 0, no_files = 0, npos = 0;
    const char *pos[2] = {NULL, NULL};
    const ar_opt_t opts[] = {AR_FLAG("doc", &doc), AR_FLAG("no-files", &no_files), AR_OPT_END};
    int rc = ar_cli_opts("config", opts, argc, argv, pos, 2, &npos);
    if (rc) return rc;
    if (doc && npos == 0 && !no_files) {
        if (ar_job_doc_markdown(stdout) != 0 || fflush(stdout) != 0) {
            fprintf(stderr, "archrepair config: write error\n");
            return 1;
        }
        return 0;
    }
    int files = !no_files;
    if (!doc && npos == 2 && strcmp(pos[0], "check") == 0) {
        const char *path = pos[1];
        ar_err_t err = {0};
        ar_job_config_t job;
        if (ar_job_load_file(path, &job, &err) != AR_OK) return ar_cli_fail("config", &err);
        if (files && ar_job_preflight(&job, 1, &err) != AR_OK) {
            ar_job_free(&job);
            return ar_cli_fail("config", &err);
        }
        int n;
        const ar_key_spec_t *specs = ar_job_schema(&n);
        printf("# %s: valid %s job%s\n", path, job.job.kind, files ? "" : " (files not checked)");
        int st = ar_schema_dump(specs, n, &job, stdout);
        ar_job_free(&job);
        return st ? 1 : 0;
    }
    return ar_cli_usage_error("config", "expected 'check [--no-files] JOB.toml' or '--doc'");
}
