/* evaluate_report.c - /evaluation, the JSON summary and the accuracy table. */
#include "evaluate_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/job_config.h"
#include "core/fsutil.h"
#include "core/strbuf.h"
#include "core/version.h"
#include "corrupt/corrupt.h"
#include "io/h5.h"
#include "jobs/evaluate/evaluate_means.h"
#include "jobs/job_json.h"

int ar_eval_report_alloc(ar_eval_report_t *r, ar_err_t *err)
{
    size_t m = r->nsets > 0 ? (size_t)r->nsets : 1, kk = (size_t)r->k * (size_t)r->k;
    r->count = calloc(m, sizeof *r->count);
    r->correct = calloc(m, sizeof *r->correct);
    r->confusion = calloc(m * kk, sizeof *r->confusion);
    if (!r->count || !r->correct || !r->confusion)
        return ar_err_set(err, AR_E_NOMEM, "out of memory for %d sets", r->nsets);
    return AR_OK;
}

void ar_eval_report_free(ar_eval_report_t *r)
{
    if (!r) return;
    free(r->sets);
    free(r->count);
    free(r->correct);
    free(r->confusion);
    r->sets = NULL;
    r->count = r->correct = r->confusion = NULL;
}

static double acc(const ar_eval_report_t *r, int i)
{
    return r->count[i] ? (double)r->correct[i] / (double)r->count[i] : 0.0;
}

static int write_json(const ar_eval_report_t *r, const ar_eval_means_t *m, const ar_job_ctx_t *job, double wall,
                      ar_err_t *err)
{
    ar_strbuf_t b = {0};
    ar_job_json_begin(&b, "evaluate", job);
    ar_strbuf_printf(&b, ",\n  \"sets\": [\n");
    for (int i = 0; i < r->nsets; i++) {
        ar_strbuf_printf(&b, "    ");
        ar_job_json_set(&b, &r->sets[i]);
        ar_strbuf_printf(&b, ", \"count\": %lld, \"correct\": %lld, \"acc\": %.17g}%s\n",
                  (long long)r->count[i], (long long)r->correct[i], acc(r, i),
                  i + 1 < r->nsets ? "," : "");
    }
    ar_strbuf_printf(&b, "  ],\n  \"corruptions\": [");
    for (int k = 0; k < m->nrows; k++) {
        ar_strbuf_printf(&b, "%s\n    {\"name\": ", k ? "," : "");
        ar_strbuf_json_str(&b, m->row[k]);
        ar_strbuf_printf(&b, ", \"mean_acc\": %.17g}", m->row_mean[k]);
    }
    ar_strbuf_printf(&b, "%s],\n  \"severities\": [", m->nrows ? "\n  " : "");
    for (int sev = 1, first = 1; sev <= AR_EVAL_MAX_SEV; sev++) {
        if (!m->sev_n[sev]) continue;
        ar_strbuf_printf(&b, "%s\n    {\"severity\": %d, \"mean_acc\": %.17g}", first ? "" : ",", sev,
                  m->sev_mean[sev]);
        first = 0;
    }
    ar_strbuf_printf(&b, "%s],\n  \"categories\": [", m->nrows ? "\n  " : "");
    for (int c = 0, first = 1; c < AR_EVAL_NCAT; c++) {
        if (!m->cat_sets[c]) continue;
        ar_strbuf_printf(&b, "%s\n    {\"name\": \"%s\", \"corruptions\": %d, \"sets\": %d, \"mean_acc\": %.17g}",
                         first ? "" : ",", ar_corrupt_category_name(c), m->cat_rows[c], m->cat_sets[c],
                         m->cat_mean[c]);
        first = 0;
    }
    ar_strbuf_printf(&b, "%s],\n", m->nrows ? "\n  " : "");
    ar_strbuf_printf(&b, "  \"clean_acc\": %.17g,\n  \"mean_corrupted_acc\": %.17g,\n"
                  "  \"relative_robustness\": %.17g", m->clean, m->mean_corrupted, m->relative);
    return ar_job_json_finish(&b, job, wall, err);
}

int ar_eval_report_write(const ar_eval_report_t *r, const ar_job_ctx_t *job, ar_err_t *err)
{
    const char *out = job->cfg->job.output;
    double wall = ar_now() - r->t0;
    int64_t m = r->nsets, mkk[3] = {r->nsets, r->k, r->k};
    double *accs = calloc((size_t)(m ? m : 1), sizeof *accs);
    const char **names = calloc((size_t)(m ? m : 1), sizeof *names);
    if (!accs || !names) {
        free(accs);
        free(names);
        return ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    for (int i = 0; i < r->nsets; i++) {
        accs[i] = acc(r, i);
        names[i] = r->sets[i].label;
    }
    ar_h5_t *h = ar_h5_create(out, err);
    int s = h ? AR_OK : err->status;
    int ranks = job->ranks;
    if (!s) s = ar_h5_write_strings(h, "/evaluation/set_names", names, r->nsets, err);
    if (!s) s = ar_h5_write(h, "/evaluation/acc", AR_DT_F64, 1, &m, accs, 0, err);
    if (!s) s = ar_h5_write(h, "/evaluation/count", AR_DT_I64, 1, &m, r->count, 0, err);
    if (!s) s = ar_h5_write(h, "/evaluation/correct", AR_DT_I64, 1, &m, r->correct, 0, err);
    if (!s) s = ar_h5_write(h, "/evaluation/confusion", AR_DT_I64, 3, mkk, r->confusion, 0, err);
    if (!s) s = ar_h5_attr_write_str(h, "/evaluation", "job", job->job_text, err);
    if (!s) s = ar_h5_attr_write_str(h, "/evaluation", "model", job->cfg->model.path, err);
    if (!s) s = ar_h5_attr_write_str(h, "/evaluation", "version", ar_version(), err);
    if (!s) s = ar_h5_attr_write(h, "/evaluation", "ranks", AR_DT_I32, 1, &ranks, 1, err);
    if (!s) s = ar_h5_attr_write(h, "/evaluation", "wall_seconds", AR_DT_F64, 1, &wall, 1, err);
    if (!s) s = ar_h5_commit(&h, err);
    ar_h5_destroy(&h);
    ar_eval_means_t means;
    if (!s && ar_eval_means(r->nsets, names, accs, &means)) s = ar_err_set(err, AR_E_NOMEM, "out of memory");
    if (!s) {
        s = write_json(r, &means, job, wall, err);
        if (!s) ar_eval_means_print(&means, accs, stdout);
        fflush(stdout);
        ar_eval_means_free(&means);
    }
    free(accs);
    free(names);
    return s;
}
