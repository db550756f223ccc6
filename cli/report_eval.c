/* report_eval.c - the report page of an evaluate result (report_html.h).
 * Every mean comes from the file's ar_eval_means_t (evaluate_means.h), the
 * numbers the job printed and wrote to its JSON summary. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corrupt/corrupt.h"
#include "html.h"
#include "report_html.h"
#include "svg.h"

#define MAX_CLASS_BARS 100 /* more classes: the per-class table only */

static void section_outcome(ar_strbuf_t *b, const ar_eval_file_t *r)
{
    const ar_eval_means_t *m = &r->means;
    ar_strbuf_printf(b, "<p class=\"outcome\" id=\"outcome\">Clean accuracy <b>%.4f</b>", m->clean);
    if (r->nsets > 1)
        ar_strbuf_printf(b, "; mean over %d corrupted sets <b>%.4f</b>; relative robustness <b>%.4f</b> "
                            "(mean corrupted / clean)",
                         r->nsets - 1, m->mean_corrupted, m->relative);
    ar_strbuf_printf(b, ".</p>\n");
}

/* The summary table and the chart of clean, each category and all
 * corrupted sets. */
static void section_summary(ar_strbuf_t *b, const ar_eval_file_t *r)
{
    const ar_eval_means_t *m = &r->means;
    const char *cats[AR_EVAL_NCAT + 2];
    double v[AR_EVAL_NCAT + 2];
    int n = 0;
    char sets[32], rows[32];
    ar_strbuf_printf(b, "<h2>Summary</h2>\n<table id=\"summary\"><tr><th>group</th><th>corruptions</th>"
                        "<th>sets</th><th>images</th><th>accuracy</th></tr>\n");
    snprintf(sets, sizeof sets, "%lld", (long long)r->count[0]);
    ar_html_row(b, NULL, 4, (const char *[]){"clean", "", "1", sets}, 1, &m->clean, "%.4f");
    cats[n] = "clean", v[n++] = m->clean;
    for (int c = 0; c < AR_EVAL_NCAT; c++) {
        if (!m->cat_sets[c]) continue;
        int64_t images = 0;
        for (int k = 0; k < m->nrows; k++)
            for (int s = 0; m->row_cat[k] == c && s < AR_EVAL_MAX_SEV; s++)
                if (m->idx[k * AR_EVAL_MAX_SEV + s] >= 0) images += r->count[m->idx[k * AR_EVAL_MAX_SEV + s]];
        char im[32];
        snprintf(rows, sizeof rows, "%d", m->cat_rows[c]);
        snprintf(sets, sizeof sets, "%d", m->cat_sets[c]);
        snprintf(im, sizeof im, "%lld", (long long)images);
        ar_html_row(b, NULL, 4, (const char *[]){ar_corrupt_category_name(c), rows, sets, im}, 1, &m->cat_mean[c],
                    "%.4f");
        cats[n] = ar_corrupt_category_name(c), v[n++] = m->cat_mean[c];
    }
    if (r->nsets > 1) {
        int64_t images = 0;
        for (int i = 1; i < r->nsets; i++) images += r->count[i];
        char im[32];
        snprintf(rows, sizeof rows, "%d", m->nrows);
        snprintf(sets, sizeof sets, "%d", r->nsets - 1);
        snprintf(im, sizeof im, "%lld", (long long)images);
        ar_html_row(b, "mean", 4, (const char *[]){"all corrupted", rows, sets, im}, 1, &m->mean_corrupted, "%.4f");
        ar_html_row(b, NULL, 4, (const char *[]){"relative robustness", "", "", ""}, 1, &m->relative, "%.4f");
        cats[n] = "all corrupted", v[n++] = m->mean_corrupted;
    }
    ar_strbuf_printf(b, "</table>\n");
    static const char *const ser[1] = {"accuracy"};
    ar_svg_bars(b, &(ar_svg_bars_t){.id = "categories", .title = "Clean, per category and mean corrupted accuracy",
                                     .ncat = n, .nser = 1, .cats = cats, .sers = ser, .v = v, .ymax = 1});
}

/* Severities with at least one set, ascending, into sev[]; their count. */
static int severities(const ar_eval_means_t *m, int *sev)
{
    int n = 0;
    for (int s = 1; s <= AR_EVAL_MAX_SEV; s++)
        if (m->sev_n[s]) sev[n++] = s;
    return n;
}

static void section_heatmap(ar_strbuf_t *b, const ar_eval_file_t *r)
{
    const ar_eval_means_t *m = &r->means;
    int sev[AR_EVAL_MAX_SEV], ns = severities(m, sev), nr = m->nrows + 1, nc = ns + 1;
    const char **rows = calloc((size_t)nr, sizeof *rows);
    double *v = malloc((size_t)nr * nc * sizeof *v);
    char cols[AR_EVAL_MAX_SEV + 1][16];
    const char *colp[AR_EVAL_MAX_SEV + 1];
    if (!rows || !v) goto done;
    for (int s = 0; s < ns; s++) snprintf(cols[s], sizeof cols[s], "severity %d", sev[s]), colp[s] = cols[s];
    colp[ns] = "mean";
    for (int k = 0; k < m->nrows; k++) {
        rows[k] = m->row[k];
        for (int s = 0; s < ns; s++) {
            int i = m->idx[k * AR_EVAL_MAX_SEV + sev[s] - 1];
            v[k * nc + s] = i < 0 ? NAN : r->acc[i];
        }
        v[k * nc + ns] = m->row_mean[k];
    }
    rows[m->nrows] = "mean over corruptions";
    for (int s = 0; s < ns; s++) v[m->nrows * nc + s] = m->sev_mean[sev[s]];
    v[m->nrows * nc + ns] = m->mean_corrupted;
    ar_strbuf_printf(b, "<h2>Accuracy per corruption and severity</h2>\n<p>Top-1 accuracy of every corrupted set; "
                        "the last column is each corruption's mean over its severities, the last row each "
                        "severity's mean over the corruptions (the job's table).</p>\n");
    ar_svg_heatmap(b, &(ar_svg_heatmap_t){.id = "heatmap", .title = "Accuracy: corruption x severity", .nrows = nr,
                                           .ncols = nc, .rows = rows, .cols = colp, .v = v, .fmt = "%.3f"});
done:
    free(rows);
    free(v);
}

/* One chart: accuracy vs severity for the rows of category cat (-1: rows
 * of no known category), one series each. */
static void curves_of(ar_strbuf_t *b, const ar_eval_file_t *r, int cat, const int *sev, int ns, double *x)
{
    const ar_eval_means_t *m = &r->means;
    int n = 0;
    for (int k = 0; k < m->nrows; k++) n += m->row_cat[k] == cat;
    if (!n) return;
    const char **names = calloc((size_t)n, sizeof *names);
    double *y = malloc((size_t)n * ns * sizeof *y);
    if (names && y) {
        int j = 0;
        for (int k = 0; k < m->nrows; k++) {
            if (m->row_cat[k] != cat) continue;
            names[j] = m->row[k];
            for (int s = 0; s < ns; s++) {
                int i = m->idx[k * AR_EVAL_MAX_SEV + sev[s] - 1];
                y[j * ns + s] = i < 0 ? NAN : r->acc[i];
            }
            j++;
        }
        const char *cname = cat >= 0 ? ar_corrupt_category_name(cat) : "other";
        char id[32], title[64];
        snprintf(id, sizeof id, "severity-%s", cname);
        snprintf(title, sizeof title, "%s%s", cname, cat >= 0 ? " corruptions" : "");
        ar_svg_lines(b, &(ar_svg_lines_t){.id = id, .title = title, .xlabel = "severity", .npts = ns, .nser = n,
                                           .x = x, .y = y, .sers = names, .ymax = 1});
    }
    free(names);
    free(y);
}

static void section_severity(ar_strbuf_t *b, const ar_eval_file_t *r)
{
    const ar_eval_means_t *m = &r->means;
    int sev[AR_EVAL_MAX_SEV], ns = severities(m, sev);
    if (ns < 2) return;
    double x[AR_EVAL_MAX_SEV], y[2 * AR_EVAL_MAX_SEV];
    for (int s = 0; s < ns; s++) x[s] = sev[s], y[s] = m->clean, y[ns + s] = m->sev_mean[sev[s]];
    static const char *const ser[2] = {"clean", "mean over corruptions"};
    ar_strbuf_printf(b, "<h2>Severity curves</h2>\n<p>Accuracy against severity: the mean over the corruptions "
                        "with the clean accuracy for reference, then each corruption by category.</p>\n"
                        "<div class=\"curves\">\n");
    ar_svg_lines(b, &(ar_svg_lines_t){.id = "severity-mean", .title = "Mean over corruptions", .xlabel = "severity",
                                       .npts = ns, .nser = 2, .x = x, .y = y, .sers = ser, .ymax = 1});
    for (int c = 0; c < AR_EVAL_NCAT; c++) curves_of(b, r, c, sev, ns, x);
    curves_of(b, r, -1, sev, ns, x);
    ar_strbuf_printf(b, "</div>\n");
}

/* Per class: accuracy on the clean set and its mean over the corrupted sets
 * that hold the class. */
static void section_classes(ar_strbuf_t *b, const ar_eval_file_t *r)
{
    if (!r->have_confusion || r->k < 2) return;
    int k = r->k, nser = r->nsets > 1 ? 2 : 1;
    double *v = calloc(2 * (size_t)k, sizeof *v);
    char (*names)[16] = calloc((size_t)k, sizeof *names);
    const char **cats = calloc((size_t)k, sizeof *cats);
    if (!v || !names || !cats) goto done;
    ar_strbuf_printf(b, "<h2>Accuracy per class</h2>\n<p>Share of each class's images classified correctly "
                        "(from the confusion matrices): on the clean set, and the mean over the corrupted "
                        "sets.</p>\n<table id=\"class-table\"><tr><th>class</th><th>clean images</th><th>clean</th>%s"
                        "</tr>\n",
                     nser > 1 ? "<th>corrupted (mean)</th>" : "");
    for (int c = 0; c < k; c++) {
        double clean = ar_eval_file_class_acc(r, 0, c), sum = 0;
        int n = 0;
        for (int i = 1; i < r->nsets; i++) {
            double a = ar_eval_file_class_acc(r, i, c);
            if (a >= 0) sum += a, n++;
        }
        int64_t images = 0;
        for (int j = 0; j < k; j++) images += r->confusion[(int64_t)c * k + j];
        v[c] = clean > 0 ? clean : 0, v[k + c] = n ? sum / n : 0;
        snprintf(names[c], sizeof names[c], "%d", c);
        cats[c] = names[c];
        char im[32];
        snprintf(im, sizeof im, "%lld", (long long)images);
        ar_html_row(b, NULL, 2, (const char *[]){names[c], im}, nser, (double[]){v[c], v[k + c]}, "%.4f");
    }
    ar_strbuf_printf(b, "</table>\n");
    if (k <= MAX_CLASS_BARS) {
        static const char *const ser[2] = {"clean", "corrupted (mean)"};
        ar_svg_bars(b, &(ar_svg_bars_t){.id = "classes", .title = "Accuracy per class", .ncat = k, .nser = nser,
                                         .cats = cats, .sers = ser, .v = v, .ymax = 1});
    }
done:
    free(v);
    free(names);
    free(cats);
}

static void section_sets(ar_strbuf_t *b, const ar_eval_file_t *r)
{
    ar_strbuf_printf(b, "<h2>Sets</h2>\n<table id=\"set-table\"><tr><th>set</th><th>category</th><th>severity</th>"
                        "<th>images</th><th>correct</th><th>accuracy</th></tr>\n");
    for (int i = 0; i < r->nsets; i++) {
        const char *label = r->set_names[i], *cat = "";
        int sev = i ? ar_eval_label_severity(label) : 0;
        const char *slash = strrchr(label, '/');
        size_t len = slash ? (size_t)(slash - label) : strlen(label);
        for (int k = 0; i && k < r->means.nrows; k++)
            if (strlen(r->means.row[k]) == len && strncmp(r->means.row[k], label, len) == 0 &&
                r->means.row_cat[k] >= 0)
                cat = ar_corrupt_category_name(r->means.row_cat[k]);
        char s[16], c[32];
        snprintf(s, sizeof s, "%d", sev);
        snprintf(c, sizeof c, "%lld", (long long)r->correct[i]);
        ar_strbuf_printf(b, "<tr>");
        ar_html_elem(b, "td", label);
        ar_html_elem(b, "td", cat);
        ar_strbuf_printf(b, "<td class=\"num\">%s</td><td class=\"num\">%lld</td><td class=\"num\">%s</td>"
                            "<td class=\"num\">%.4f</td></tr>\n",
                         sev ? s : "", (long long)r->count[i], c, r->acc[i]);
    }
    ar_strbuf_printf(b, "</table>\n");
}

void ar_report_html_eval(ar_strbuf_t *b, const char *source, const ar_eval_file_t *r)
{
    ar_html_page_begin(b, source, "evaluate result");
    section_outcome(b, r);
    section_summary(b, r);
    if (r->means.nrows) {
        section_heatmap(b, r);
        section_severity(b, r);
    }
    section_classes(b, r);
    section_sets(b, r);
    ar_html_meta(b, r->model, r->version, r->ranks, r->wall);
    ar_html_page_end(b);
}
