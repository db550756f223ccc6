/* evaluate_report.c - /evaluation, the JSON summary and the accuracy table. */
#include "evaluate_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/job_config.h"
#include "core/fsutil.h"
#include "core/strbuf.h"
#include "core/version.h"
#include "io/h5.h"
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

void ar_eval_report_summary(const ar_eval_report_t *r, double *clean, double *mean_corrupted,
                            double *relative)
{
    *clean = r->nsets ? acc(r, 0) : 0.0;
    double sum = 0;
    for (int i = 1; i < r->nsets; i++) sum += acc(r, i);
    *mean_corrupted = r->nsets > 1 ? sum / (r->nsets - 1) : 0.0;
    *relative = *clean > 0 ? *mean_corrupted / *clean : 0.0;
}

/* The label without its "/<severity>" suffix (the corruption row name). */
static void group_of(const ar_set_ref_t *s, char *out, size_t cap)
{
    const char *slash = strrchr(s->label, '/');
    size_t n = slash ? (size_t)(slash - s->label) : strlen(s->label);
    snprintf(out, cap, "%.*s", (int)n, s->label);
}

/* Distinct groups of the corrupted sets, in order of appearance. */
static int groups(const ar_eval_report_t *r, char (*g)[192], int cap)
{
    int n = 0;
    for (int i = 1; i < r->nsets; i++) {
        char name[192];
        group_of(&r->sets[i], name, sizeof name);
        int k = 0;
        while (k < n && strcmp(g[k], name)) k++;
        if (k == n && n < cap) strcpy(g[n++], name);
    }
    return n;
}

/* Means of the corrupted sets: per corruption (group, over its severities)
 * and per severity (over the corruptions that have it). One computation for
 * the table and the JSON summary. */
typedef struct means {
    char (*g)[192];    /* group names, in order of appearance */
    double *g_mean;    /* [ng] */
    int ng;
    int *idx;          /* [ng * 5]: set index of (group, severity 1..5), -1 when absent */
    double sev_mean[6]; /* [1..5] */
    int sev_n[6];
} means_t;

static void means_free(means_t *m)
{
    free(m->g);
    free(m->g_mean);
    free(m->idx);
}

static int means_of(const ar_eval_report_t *r, means_t *m)
{
    memset(m, 0, sizeof *m);
    size_t cap = (size_t)(r->nsets > 0 ? r->nsets : 1);
    m->g = calloc(cap, sizeof *m->g);
    m->g_mean = calloc(cap, sizeof *m->g_mean);
    m->idx = malloc(cap * 5 * sizeof *m->idx);
    if (!m->g || !m->g_mean || !m->idx) {
        means_free(m);
        memset(m, 0, sizeof *m);
        return -1;
    }
    m->ng = groups(r, m->g, (int)cap);
    double sev_sum[6] = {0};
    for (int k = 0; k < m->ng; k++) {
        double sum = 0;
        int n = 0;
        for (int sev = 1; sev <= 5; sev++) {
            int found = -1;
            for (int i = 1; i < r->nsets && found < 0; i++) {
                char name[192];
                group_of(&r->sets[i], name, sizeof name);
                if (!strcmp(name, m->g[k]) && r->sets[i].severity == sev) found = i;
            }
            m->idx[k * 5 + sev - 1] = found;
            if (found < 0) continue;
            sum += acc(r, found);
            n++;
            sev_sum[sev] += acc(r, found);
            m->sev_n[sev]++;
        }
        m->g_mean[k] = n ? sum / n : 0.0;
    }
    for (int sev = 1; sev <= 5; sev++)
        m->sev_mean[sev] = m->sev_n[sev] ? sev_sum[sev] / m->sev_n[sev] : 0.0;
    return 0;
}

static void print_table(const ar_eval_report_t *r, FILE *f)
{
    double clean, mean, rel;
    ar_eval_report_summary(r, &clean, &mean, &rel);
    fprintf(f, "%-28s %9s %9s %9s %9s %9s %9s\n", "accuracy (%)", "sev 1", "sev 2", "sev 3",
            "sev 4", "sev 5", "mean");
    fprintf(f, "%-28s %9.2f\n", "clean", 100 * clean);
    means_t m;
    if (means_of(r, &m)) return;
    for (int k = 0; k < m.ng; k++) {
        fprintf(f, "%-28s", m.g[k]);
        for (int sev = 1; sev <= 5; sev++) {
            int i = m.idx[k * 5 + sev - 1];
            if (i < 0) fprintf(f, " %9s", "-");
            else fprintf(f, " %9.2f", 100 * acc(r, i));
        }
        fprintf(f, " %9.2f\n", 100 * m.g_mean[k]);
    }
    if (m.ng) {
        fprintf(f, "%-28s", "mean over corruptions");
        for (int sev = 1; sev <= 5; sev++)
            if (m.sev_n[sev]) fprintf(f, " %9.2f", 100 * m.sev_mean[sev]);
            else fprintf(f, " %9s", "-");
        fprintf(f, " %9.2f\n", 100 * mean);
        fprintf(f, "relative robustness (mean corrupted / clean): %.4f\n", rel);
    }
    means_free(&m);
}

static int write_json(const ar_eval_report_t *r, const ar_job_ctx_t *job, double wall, ar_err_t *err)
{
    double clean, mean, rel;
    ar_eval_report_summary(r, &clean, &mean, &rel);
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
    means_t m;
    if (means_of(r, &m)) b.bad = 1;
    ar_strbuf_printf(&b, "  ],\n  \"corruptions\": [");
    for (int k = 0; !b.bad && k < m.ng; k++) {
        ar_strbuf_printf(&b, "%s\n    {\"name\": ", k ? "," : "");
        ar_strbuf_json_str(&b, m.g[k]);
        ar_strbuf_printf(&b, ", \"mean_acc\": %.17g}", m.g_mean[k]);
    }
    ar_strbuf_printf(&b, "%s],\n  \"severities\": [", m.ng ? "\n  " : "");
    for (int sev = 1, first = 1; !b.bad && sev <= 5; sev++) {
        if (!m.sev_n[sev]) continue;
        ar_strbuf_printf(&b, "%s\n    {\"severity\": %d, \"mean_acc\": %.17g}", first ? "" : ",", sev,
                  m.sev_mean[sev]);
        first = 0;
    }
    ar_strbuf_printf(&b, "%s],\n", m.ng ? "\n  " : "");
    means_free(&m);
    ar_strbuf_printf(&b, "  \"clean_acc\": %.17g,\n  \"mean_corrupted_acc\": %.17g,\n"
                  "  \"relative_robustness\": %.17g", clean, mean, rel);
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
    free(accs);
    free(names);
    if (s) return s;
    if ((s = write_json(r, job, wall, err))) return s;
    print_table(r, stdout);
    fflush(stdout);
    return AR_OK;
}
