/* report_html.c - the report page of a repair result (report_html.h). Each
 * section is one function; charts come from svg.h, the page frame, rows and
 * escaping from html.h. */
#include "report_html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "jobs/evaluate/evaluate_means.h"
#include "svg.h"

static const char *const before_after[2] = {"before", "after"};

static void section_outcome(ar_strbuf_t *b, const ar_repair_result_t *r)
{
    ar_strbuf_printf(b, "<p class=\"outcome\" id=\"outcome\">Outcome: <b>");
    ar_html_esc(b, r->outcome[0] ? r->outcome : "unknown");
    ar_strbuf_printf(b, "</b>, method <b>");
    ar_html_esc(b, r->method);
    ar_strbuf_printf(b, "</b>");
    if (r->methods[0] && strcmp(r->methods, r->method) != 0) {
        ar_strbuf_printf(b, " (population: ");
        ar_html_esc(b, r->methods);
        ar_strbuf_printf(b, ")");
    }
    if (r->chosen[0]) {
        ar_strbuf_printf(b, ", chosen block <b>");
        ar_html_esc(b, r->chosen);
        ar_strbuf_printf(b, "</b>");
    }
    ar_strbuf_printf(b, ".</p>\n");
    if (r->genotype[0]) {
        ar_strbuf_printf(b, "<p>Genotype of the repaired block:</p>\n<pre id=\"genotype\">");
        ar_html_esc(b, r->genotype);
        ar_strbuf_printf(b, "</pre>\n");
        ar_svg_genotype(b, "cell", r->genotype); /* drawn when it parses */
    }
}

static void section_means(ar_strbuf_t *b, const ar_repair_result_t *r)
{
    const ar_repair_means_t *m = &r->means;
    const char *cats[AR_NGROUPS];
    double v[2 * AR_NGROUPS];
    int n = 0;
    ar_strbuf_printf(b, "<h2>Summary</h2>\n<table id=\"summary\"><tr><th>group</th><th>sets</th><th>before</th>"
                        "<th>after</th><th>change</th></tr>\n");
    for (int g = 0; g < AR_NGROUPS; g++) {
        if (!m->n[g]) continue;
        char sets[16];
        snprintf(sets, sizeof sets, "%d", m->n[g]);
        const char *text[2] = {ar_repair_group_names[g], sets};
        ar_html_row(b, NULL, 2, text, 3, (double[]){m->before[g], m->after[g], m->after[g] - m->before[g]}, "%.4f");
        cats[n] = ar_repair_group_names[g];
        v[n] = m->before[g], v[AR_NGROUPS + n] = m->after[g];
        n++;
    }
    ar_strbuf_printf(b, "</table>\n");
    memmove(v + n, v + AR_NGROUPS, (size_t)n * sizeof *v); /* after row right behind the before row */
    ar_svg_bars(b, &(ar_svg_bars_t){.id = "means", .title = "Clean, in-pool and held-out mean accuracy",
                                     .ncat = n, .nser = 2, .cats = cats, .sers = before_after, .v = v, .ymax = 1});
}

static void section_sets(ar_strbuf_t *b, const ar_repair_result_t *r)
{
    int n = r->nsets;
    double *v = malloc(2 * (size_t)n * sizeof *v + 1);
    if (!v) return;
    for (int i = 0; i < n; i++) v[i] = r->before[i], v[n + i] = r->after[i];
    ar_strbuf_printf(b, "<h2>Accuracy per evaluation set</h2>\n<p>Held-out sets (shaded) are corruptions "
                        "the repair never saw; in-pool ones were in its training pool.</p>\n");
    ar_svg_bars(b, &(ar_svg_bars_t){.id = "sets", .title = "Accuracy before and after repair, per set",
                                     .ncat = n, .nser = 2, .cats = (const char *const *)r->set_names,
                                     .sers = before_after, .v = v, .mark = r->held,
                                     .mark_name = "held-out", .ymax = 1});
    free(v);
    ar_strbuf_printf(b, "<table id=\"set-table\"><tr><th>set</th><th>pool</th><th>images</th><th>before</th>"
                        "<th>after</th><th>change</th></tr>\n");
    for (int i = 0; i < n; i++) {
        int g = ar_repair_set_group(r->set_names[i], r->held[i]);
        const char *pool = g == AR_GROUP_CLEAN ? "" : g == AR_GROUP_HELD_OUT ? "held-out" : "in-pool";
        ar_strbuf_printf(b, "<tr%s>", g == AR_GROUP_HELD_OUT ? " class=\"held-out\"" : "");
        ar_html_elem(b, "td", r->set_names[i]);
        ar_html_elem(b, "td", pool);
        ar_strbuf_printf(b, "<td class=\"num\">%lld</td><td class=\"num\">%.4f</td><td class=\"num\">%.4f</td>"
                            "<td class=\"num\">%+.4f</td></tr>\n",
                         (long long)r->count[i], r->before[i], r->after[i], r->after[i] - r->before[i]);
    }
    ar_strbuf_printf(b, "</table>\n");
}

/* "a/b/3" -> corruption "a/b", severity 3; 0 for a label without one. */
static int split_label(const char *label, char *corr, size_t cap, int *sev)
{
    if (!(*sev = ar_eval_label_severity(label))) return 0;
    snprintf(corr, cap, "%.*s", (int)(strrchr(label, '/') - label), label);
    return 1;
}

/* The severity curve of corruption name: its sets (idx[0..k-1]) in order. */
static void curve(ar_strbuf_t *b, const ar_repair_result_t *r, const char *name, const int *idx, int k, int id)
{
    double *x = malloc(3 * (size_t)k * sizeof *x);
    if (!x) return;
    double *y = x + k;
    char c[192], sid[32], title[256];
    for (int j = 0; j < k; j++) {
        int sev = 0;
        split_label(r->set_names[idx[j]], c, sizeof c, &sev);
        x[j] = sev, y[j] = r->before[idx[j]], y[k + j] = r->after[idx[j]];
    }
    snprintf(sid, sizeof sid, "severity-%d", id);
    snprintf(title, sizeof title, "%s (%s)", name, r->held[idx[0]] ? "held-out" : "in-pool");
    ar_svg_lines(b, &(ar_svg_lines_t){.id = sid, .title = title, .xlabel = "severity", .npts = k, .nser = 2,
                                       .x = x, .y = y, .sers = before_after, .ymax = 1});
    free(x);
}

static void section_severity(ar_strbuf_t *b, const ar_repair_result_t *r)
{
    int n = r->nsets, ncurves = 0;
    int *idx = malloc((size_t)n * sizeof *idx + 1), *done = calloc((size_t)n + 1, sizeof *done);
    char ci[192], cj[192];
    for (int i = 0; idx && done && i < n; i++) {
        int sev, k = 0;
        if (done[i] || !split_label(r->set_names[i], ci, sizeof ci, &sev)) continue;
        for (int j = i; j < n; j++)
            if (!done[j] && split_label(r->set_names[j], cj, sizeof cj, &sev) && strcmp(ci, cj) == 0)
                idx[k++] = j, done[j] = 1;
        if (k < 2) continue;
        if (!ncurves++)
            ar_strbuf_printf(b, "<h2>Severity curves</h2>\n<div class=\"curves\">\n");
        curve(b, r, ci, idx, k, ncurves);
    }
    if (ncurves) ar_strbuf_printf(b, "</div>\n");
    free(idx), free(done);
}

static void section_candidates(ar_strbuf_t *b, const ar_repair_result_t *r)
{
    if (!r->ncand) return;
    ar_strbuf_printf(b, "<h2>Candidates</h2>\n<table id=\"candidates\"><tr><th>method</th><th>block</th>"
                        "<th>variant</th><th>status</th><th>rung</th><th>val clean</th><th>val corrupted</th>"
                        "<th>interp</th><th>passes fwd</th><th>passes bwd</th><th>CPU s</th></tr>\n");
    for (int i = 0; i < r->ncand; i++) {
        const char *text[4] = {r->c_method[i], r->c_block[i], r->c_variant[i], r->c_status[i]};
        ar_strbuf_printf(b, "<tr%s>", strcmp(r->c_status[i], "chosen") == 0 ? " class=\"chosen\"" : "");
        for (int t = 0; t < 4; t++) ar_html_elem(b, "td", text[t]);
        ar_strbuf_printf(b,
                         "<td class=\"num\">%lld</td><td class=\"num\">%.4f</td><td class=\"num\">%.4f</td>"
                         "<td class=\"num\">%.3g</td><td class=\"num\">%lld</td><td class=\"num\">%lld</td>"
                         "<td class=\"num\">%.2f</td></tr>\n",
                         (long long)r->c_rung[i], r->c_val_clean[i], r->c_val_corrupt[i], r->c_interp[i],
                         (long long)r->c_passes[2 * i], (long long)r->c_passes[2 * i + 1], r->c_cpu_s[i]);
    }
    ar_strbuf_printf(b, "</table>\n");
}

void ar_report_blocks_chart(ar_strbuf_t *b, int n, const char *const *names, const double *scores,
                            const char *chosen)
{
    int8_t *mark = calloc((size_t)n + 1, 1);
    if (!mark) return;
    for (int i = 0; i < n; i++) mark[i] = strcmp(names[i], chosen) == 0;
    static const char *const ser[1] = {"score"};
    ar_svg_bars(b, &(ar_svg_bars_t){.id = "blocks", .title = "Block localization scores", .ncat = n, .nser = 1,
                                     .cats = names, .sers = ser, .v = scores, .mark = mark, .mark_name = "chosen",
                                     .highlight = 1});
    free(mark);
}

static void section_blocks(ar_strbuf_t *b, const ar_repair_result_t *r)
{
    if (!r->nblocks) return;
    ar_strbuf_printf(b, "<h2>Block localization</h2>\n<p>Vulnerability score of each block (higher: more "
                        "responsible for the failures); the chosen block is highlighted.</p>\n");
    ar_report_blocks_chart(b, r->nblocks, (const char *const *)r->block_names, r->block_scores, r->chosen);
}

void ar_report_html_repair(ar_strbuf_t *b, const char *source, const ar_repair_result_t *r)
{
    ar_html_page_begin(b, source, "repair result");
    section_outcome(b, r);
    section_means(b, r);
    section_sets(b, r);
    section_severity(b, r);
    section_candidates(b, r);
    section_blocks(b, r);
    ar_html_page_end(b);
}
