/* evaluate_means.c - the means of an evaluation's sets (evaluate_means.h). */
#include "evaluate_means.h"

#include <stdlib.h>
#include <string.h>

#include "corrupt/corrupt.h"

int ar_eval_label_severity(const char *label)
{
    const char *slash = strrchr(label, '/');
    if (!slash || !slash[1]) return 0;
    char *end;
    long s = strtol(slash + 1, &end, 10);
    return *end || s < 1 || s > 1000000 ? 0 : (int)s;
}

/* The row of a label: the label without its "/<severity>" suffix. */
static void row_of(const char *label, char *out, size_t cap)
{
    const char *slash = strrchr(label, '/');
    size_t n = slash ? (size_t)(slash - label) : strlen(label);
    snprintf(out, cap, "%.*s", (int)n, label);
}

/* The category of a row: that of its last component's corruption. */
static int category_of(const char *row)
{
    const char *slash = strrchr(row, '/');
    return ar_corrupt_category(ar_corrupt_find(slash ? slash + 1 : row));
}

void ar_eval_means_free(ar_eval_means_t *m)
{
    free(m->row), free(m->row_cat), free(m->row_mean), free(m->idx);
    memset(m, 0, sizeof *m);
}

int ar_eval_means(int n, const char *const *labels, const double *acc, ar_eval_means_t *m)
{
    memset(m, 0, sizeof *m);
    size_t cap = (size_t)(n > 0 ? n : 1);
    m->row = calloc(cap, sizeof *m->row);
    m->row_cat = calloc(cap, sizeof *m->row_cat);
    m->row_mean = calloc(cap, sizeof *m->row_mean);
    m->idx = malloc(cap * AR_EVAL_MAX_SEV * sizeof *m->idx);
    if (!m->row || !m->row_cat || !m->row_mean || !m->idx) {
        ar_eval_means_free(m);
        return -1;
    }
    /* rows in order of appearance; each set into its (row, severity) cell */
    double sum = 0, sev_sum[AR_EVAL_MAX_SEV + 1] = {0}, cat_sum[AR_EVAL_NCAT] = {0};
    for (int i = 1; i < n; i++) {
        char name[AR_EVAL_ROW_CAP];
        row_of(labels[i], name, sizeof name);
        sum += acc[i];
        int k = 0;
        while (k < m->nrows && strcmp(m->row[k], name) != 0) k++;
        if (k == m->nrows) {
            strcpy(m->row[m->nrows], name);
            m->row_cat[k] = category_of(name);
            for (int s = 0; s < AR_EVAL_MAX_SEV; s++) m->idx[k * AR_EVAL_MAX_SEV + s] = -1;
            m->nrows++;
        }
        int sev = ar_eval_label_severity(labels[i]);
        if (sev >= 1 && sev <= AR_EVAL_MAX_SEV && m->idx[k * AR_EVAL_MAX_SEV + sev - 1] < 0)
            m->idx[k * AR_EVAL_MAX_SEV + sev - 1] = i;
    }
    for (int k = 0; k < m->nrows; k++) {
        double rs = 0;
        int rn = 0, c = m->row_cat[k];
        for (int sev = 1; sev <= AR_EVAL_MAX_SEV; sev++) {
            int i = m->idx[k * AR_EVAL_MAX_SEV + sev - 1];
            if (i < 0) continue;
            rs += acc[i], rn++;
            sev_sum[sev] += acc[i], m->sev_n[sev]++;
            if (c >= 0) cat_sum[c] += acc[i], m->cat_sets[c]++;
        }
        m->row_mean[k] = rn ? rs / rn : 0.0;
        if (c >= 0 && rn) m->cat_rows[c]++;
    }
    for (int sev = 1; sev <= AR_EVAL_MAX_SEV; sev++)
        m->sev_mean[sev] = m->sev_n[sev] ? sev_sum[sev] / m->sev_n[sev] : 0.0;
    for (int c = 0; c < AR_EVAL_NCAT; c++) m->cat_mean[c] = m->cat_sets[c] ? cat_sum[c] / m->cat_sets[c] : 0.0;
    m->clean = n > 0 ? acc[0] : 0.0;
    m->mean_corrupted = n > 1 ? sum / (n - 1) : 0.0;
    m->relative = m->clean > 0 ? m->mean_corrupted / m->clean : 0.0;
    return 0;
}

void ar_eval_means_print(const ar_eval_means_t *m, const double *acc, FILE *f)
{
    fprintf(f, "%-28s %9s %9s %9s %9s %9s %9s\n", "accuracy (%)", "sev 1", "sev 2", "sev 3", "sev 4", "sev 5",
            "mean");
    fprintf(f, "%-28s %9.2f\n", "clean", 100 * m->clean);
    for (int k = 0; k < m->nrows; k++) {
        fprintf(f, "%-28s", m->row[k]);
        for (int sev = 1; sev <= AR_EVAL_MAX_SEV; sev++) {
            int i = m->idx[k * AR_EVAL_MAX_SEV + sev - 1];
            if (i < 0) fprintf(f, " %9s", "-");
            else fprintf(f, " %9.2f", 100 * acc[i]);
        }
        fprintf(f, " %9.2f\n", 100 * m->row_mean[k]);
    }
    if (!m->nrows) return;
    fprintf(f, "%-28s", "mean over corruptions");
    for (int sev = 1; sev <= AR_EVAL_MAX_SEV; sev++)
        if (m->sev_n[sev]) fprintf(f, " %9.2f", 100 * m->sev_mean[sev]);
        else fprintf(f, " %9s", "-");
    fprintf(f, " %9.2f\n", 100 * m->mean_corrupted);
    for (int c = 0; c < AR_EVAL_NCAT; c++) {
        if (!m->cat_sets[c]) continue;
        char name[64];
        snprintf(name, sizeof name, "%s (category)", ar_corrupt_category_name(c));
        fprintf(f, "%-28s %49s %9.2f  %d corruption%s, %d set%s\n", name, "", 100 * m->cat_mean[c], m->cat_rows[c],
                m->cat_rows[c] == 1 ? "" : "s", m->cat_sets[c], m->cat_sets[c] == 1 ? "" : "s");
    }
    fprintf(f, "relative robustness (mean corrupted / clean): %.4f\n", m->relative);
}
