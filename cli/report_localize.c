/* report_localize.c - the report page of a localize result (report_html.h):
 * the chosen block, the examples and options, the block scores with the
 * per-block statistics the reader derives from the stored neurons
 * (localize_file.h), and the layer scores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "report_html.h"
#include "svg.h"

static void section_outcome(ar_strbuf_t *b, const ar_localize_file_t *r)
{
    ar_strbuf_printf(b, "<p class=\"outcome\" id=\"outcome\">Most suspicious block: <b>");
    ar_html_esc(b, r->chosen[0] ? r->chosen : "none");
    ar_strbuf_printf(b, "</b>");
    int c = ar_localize_file_block(r, r->chosen);
    if (c >= 0) ar_strbuf_printf(b, ", score %.6g", r->block_scores[c]);
    ar_strbuf_printf(b, " (of %d blocks, %d layers, %lld neurons).</p>\n", r->nblocks, r->nlayers,
                     (long long)r->nneurons);
    ar_strbuf_printf(b, "<table id=\"examples\"><tr><th>examples</th><th>count</th></tr>\n"
                        "<tr><td>failing (misclassified)</td><td class=\"num\">%lld</td></tr>\n"
                        "<tr><td>adversarial (passing examples flipped by the attack)</td><td class=\"num\">%lld</td></tr>\n"
                        "<tr><td>passing</td><td class=\"num\">%lld</td></tr>\n</table>\n",
                     (long long)(r->n_fail - r->n_adv), (long long)r->n_adv, (long long)r->n_pass);
    const char *opt[][2] = {{"formula", r->formula},           {"aggregate", r->aggregate},
                            {"threshold", r->threshold_mode},  {"gradient normalisation", r->gradient_norm},
                            {"adversarial", r->adversarial}};
    ar_strbuf_printf(b, "<table id=\"options\"><tr><th>option</th><th>value</th></tr>\n");
    for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++) ar_html_row(b, NULL, 2, opt[i], 0, NULL, "");
    ar_strbuf_printf(b, "</table>\n");
}

static void section_blocks(ar_strbuf_t *b, const ar_localize_file_t *r)
{
    if (!r->nblocks) return;
    ar_strbuf_printf(b, "<h2>Block localization</h2>\n<p>Suspiciousness of each block (the %s of its neurons' "
                        "scores; higher: more responsible for the failures), in graph order; the chosen block "
                        "is highlighted.</p>\n",
                     r->aggregate[0] ? r->aggregate : "aggregate");
    ar_report_blocks_chart(b, r->nblocks, (const char *const *)r->block_names, r->block_scores, r->chosen);
    ar_strbuf_printf(b, "<table id=\"block-table\"><tr><th>rank</th><th>block</th><th>score</th><th>layers</th>"
                        "<th>neurons</th><th>top layer</th><th>max susp.</th><th>mean susp.</th>"
                        "<th>mean spectrum</th><th>mean |grad|</th><th>active failing</th>"
                        "<th>active passing</th></tr>\n");
    for (int k = 0; k < r->nblocks; k++) {
        int i = ar_localize_file_block(r, r->block_ranking[k]);
        if (i < 0) continue;
        const ar_localize_block_stats_t *s = &r->blocks[i];
        ar_strbuf_printf(b, "<tr%s><td class=\"num\">%d</td>", strcmp(r->block_names[i], r->chosen) == 0 ? " class=\"chosen\"" : "",
                         s->rank);
        ar_html_elem(b, "td", r->block_names[i]);
        ar_strbuf_printf(b, "<td class=\"num\">%.6g</td><td class=\"num\">%d</td><td class=\"num\">%lld</td>",
                         r->block_scores[i], s->layers, (long long)s->neurons);
        ar_html_elem(b, "td", s->top_layer >= 0 ? r->layer_names[s->top_layer] : "");
        ar_strbuf_printf(b, "<td class=\"num\">%.4g</td><td class=\"num\">%.4g</td><td class=\"num\">%.4g</td>"
                            "<td class=\"num\">%.4g</td><td class=\"num\">%.3f</td><td class=\"num\">%.3f</td></tr>\n",
                         s->susp_max, s->susp_mean, s->spectrum_mean, s->grad_mean, s->act_fail, s->act_pass);
    }
    ar_strbuf_printf(b, "</table>\n<p>Per block, over its neurons: suspiciousness (spectrum x normalised "
                        "gradient), the spectrum formula's value, the mean gradient magnitude over failing "
                        "examples, and the mean share of failing / passing examples that activate a neuron.</p>\n");
    double *v = malloc(2 * (size_t)r->nblocks * sizeof *v);
    const char **names = malloc((size_t)r->nblocks * sizeof *names);
    int8_t *mark = calloc((size_t)r->nblocks, 1);
    if (v && names && mark) {
        for (int i = 0; i < r->nblocks; i++) {
            v[i] = r->blocks[i].act_fail, v[r->nblocks + i] = r->blocks[i].act_pass;
            names[i] = r->block_names[i], mark[i] = strcmp(r->block_names[i], r->chosen) == 0;
        }
        static const char *const ser[2] = {"failing", "passing"};
        ar_svg_bars(b, &(ar_svg_bars_t){.id = "activation", .title = "Mean share of examples activating a neuron",
                                         .ncat = r->nblocks, .nser = 2, .cats = names, .sers = ser, .v = v,
                                         .mark = mark, .mark_name = "chosen", .ymax = 1});
    }
    free(v), free(names), free(mark);
}

static void section_layers(ar_strbuf_t *b, const ar_localize_file_t *r)
{
    if (!r->nlayers) return;
    int8_t *mark = calloc((size_t)r->nlayers, 1);
    int *order = malloc((size_t)r->nlayers * sizeof *order);
    if (!mark || !order) goto done;
    for (int l = 0; l < r->nlayers; l++) {
        mark[l] = r->chosen[0] && strcmp(r->layer_blocks[l], r->chosen) == 0;
        order[r->layer_rank[l] - 1] = l;
    }
    static const char *const ser[1] = {"score"};
    ar_strbuf_printf(b, "<h2>Layers</h2>\n<p>Suspiciousness of each scored layer, in graph order; the chosen "
                        "block's layers are shaded.</p>\n");
    ar_svg_bars(b, &(ar_svg_bars_t){.id = "layers", .title = "Layer scores", .ncat = r->nlayers, .nser = 1,
                                     .cats = (const char *const *)r->layer_names, .sers = ser, .v = r->layer_scores,
                                     .mark = mark, .mark_name = "chosen block"});
    ar_strbuf_printf(b, "<table id=\"layer-table\"><tr><th>rank</th><th>layer</th><th>block</th><th>neurons</th>"
                        "<th>score</th></tr>\n");
    for (int k = 0; k < r->nlayers; k++) {
        int l = order[k];
        ar_strbuf_printf(b, "<tr%s><td class=\"num\">%d</td>", mark[l] ? " class=\"chosen\"" : "", k + 1);
        ar_html_elem(b, "td", r->layer_names[l]);
        ar_html_elem(b, "td", r->layer_blocks[l]);
        ar_strbuf_printf(b, "<td class=\"num\">%lld</td><td class=\"num\">%.6g</td></tr>\n",
                         (long long)(r->layer_offsets[l + 1] - r->layer_offsets[l]), r->layer_scores[l]);
    }
    ar_strbuf_printf(b, "</table>\n");
done:
    free(mark);
    free(order);
}

void ar_report_html_localize(ar_strbuf_t *b, const char *source, const ar_localize_file_t *r)
{
    ar_html_page_begin(b, source, "localize result");
    section_outcome(b, r);
    section_blocks(b, r);
    section_layers(b, r);
    ar_html_meta(b, r->model, r->version, r->ranks, r->wall);
    ar_html_page_end(b);
}
