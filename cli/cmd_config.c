/* cmd_config.c - `archrepair config`: validate a job file and print its
 * effective values, or print the markdown reference of every key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "config/job_config.h"
#include "jobs/preflight.h"
#include "jobs/repair/repair_plan.h"
#include "nn/model_io.h"
#include "repair/search.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: archrepair config check [--no-files] JOB.toml\n"
                 "       archrepair config plan JOB.toml --ranks N [--no-files]\n"
                 "       archrepair config --doc\n\n"
                 "check  validates JOB.toml (unknown keys, types, ranges; the model and every data\n"
                 "       path open and fit each other, every corruption name is known, the output\n"
                 "       directory is writable) and prints every key's effective value, defaults\n"
                 "       included, as TOML. --no-files checks the text only (a job for another\n"
                 "       machine).\n"
                 "plan   a repair job's schedule on N ranks (N - 1 workers): candidates per\n"
                 "       method and rung, workers per candidate (repair.micro_batch), waves and\n"
                 "       the predicted busy fraction of the workers (docs/distributed.md).\n"
                 "       --no-files: the ranking's top_k is not capped by the model's blocks.\n"
                 "--doc  prints the reference of every job key as markdown (docs/config.md).\n");
}

/* `config plan`: the repair job's population and predicted schedule. */
static int plan(const char *path, int ranks, int files)
{
    ar_err_t err = {0};
    ar_job_config_t job;
    if (ar_job_load_file(path, &job, &err) != AR_OK) return ar_cli_fail("config", &err);
    if (strcmp(job.job.kind, "repair") != 0) {
        fprintf(stderr, "archrepair config: %s: plan is for repair jobs, this is a %s job\n", path,
                job.job.kind);
        ar_job_free(&job);
        return 1;
    }
    int nblocks = 1 << 20;
    if (files) { /* the ranking's top_k cannot exceed the model's blocks */
        ar_graph_t *g = ar_model_load(job.model.path, &err);
        const char **names = NULL;
        if (!g || ar_graph_blocks(g, &names, &nblocks, &err)) {
            ar_graph_destroy(&g);
            ar_job_free(&job);
            return ar_cli_fail("config", &err);
        }
        free(names);
        ar_graph_destroy(&g);
    }
    ar_repair_plan_t p;
    if (ar_repair_plan(&job, nblocks, (int)ranks, &p, &err)) {
        ar_job_free(&job);
        return ar_cli_fail("config", &err);
    }
    printf("# %s on %lld ranks: %d workers; repair.micro_batch %lld of batch %lld: up to %d "
           "workers per candidate\n", path, (long long)ranks, p.workers,
           (long long)job.repair.micro_batch, (long long)job.repair.batch, p.max_parts);
    printf("population:");
    for (int m = 0; m < 8; m++)
        if (p.methods[m]) printf(" %s %d", ar_method_name((ar_method_t)m), p.methods[m]);
    printf(" (%d candidates)\n", p.candidates);
    int said = 0; /* the whole-network epochs after a method's own (epochs column: its own;
                     with a budget they are part of its passes) */
    for (int m = 0; m < 8; m++) {
        int64_t e = p.methods[m] && !job.repair.budget ? ar_repair_all_epochs(&job, m) : 0;
        if (e > 0)
            printf("%s %s %lld", said++ ? "," : "then the whole network (repair.finetune_all_epochs):",
                   ar_method_name((ar_method_t)m), (long long)e);
    }
    if (said) printf(" epochs at the last rung\n");
    printf("%-5s %10s %12s %14s %6s %10s %6s\n", "rung", "candidates", job.repair.budget ? "passes" : "epochs",
           "workers/cand", "waves", "span", "busy");
    if (p.probe.candidates < 0)
        printf("probe      (one block-weights task of %lld epochs per block: the model was not read)\n",
               (long long)job.repair.probe_epochs);
    for (int k = -1; k < p.nrungs; k++) {
        const ar_repair_plan_rung_t *r = k < 0 ? &p.probe : &p.rung[k];
        if (k < 0 && r->candidates <= 0) continue;
        char w[32], name[16];
        if (r->min_workers == r->max_workers) snprintf(w, sizeof w, "%d", r->max_workers);
        else snprintf(w, sizeof w, "%d-%d", r->min_workers, r->max_workers);
        if (k < 0) snprintf(name, sizeof name, "probe");
        else snprintf(name, sizeof name, "%d", k);
        printf("%-5s %10d %12lld %14s %6d %10.2f %5.0f%%\n", name, r->candidates,
               (long long)(r->passes ? r->passes : r->epochs), w, r->waves, r->span, 100 * r->busy);
    }
    printf("predicted busy fraction of the workers over the %s: %.0f%%\n"
           "(model: a candidate's work is its epochs, p workers finish it p times faster; span in\n"
           " epochs of one worker; exchanges and the evaluation rounds not included)\n",
           p.probe.candidates > 0 ? "probes and the rungs" : "rungs", 100 * p.busy);
    ar_job_free(&job);
    return 0;
}

int ar_cmd_config(int argc, char **argv)
{
    if (ar_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    int doc = 0, no_files = 0, npos = 0;
    int ranks = 0;
    const char *pos[2] = {NULL, NULL};
    const ar_opt_t opts[] = {AR_FLAG("doc", &doc), AR_FLAG("no-files", &no_files),
                             AR_INT("ranks", &ranks, 1, 1000000), AR_OPT_END};
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
    if (!doc && npos == 2 && strcmp(pos[0], "plan") == 0) {
        if (!ranks) return ar_cli_usage_error("config", "plan needs --ranks N");
        return plan(pos[1], ranks, files);
    }
    return ar_cli_usage_error("config", "expected 'check [--no-files] JOB.toml', 'plan JOB.toml --ranks N' or '--doc'");
}
