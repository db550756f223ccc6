/* report_html.h - the pages of `archrepair report`: one self-contained HTML
 * document (inline CSS and SVG, no scripts, no external resources) per
 * result kind (docs/results.md "A report to share"):
 *   repair   - the outcome, clean / in-pool / held-out means, accuracy per
 *              evaluation set, severity curves, the candidates, the genotype
 *              and the block localization scores (report_html.c);
 *   evaluate - clean and mean corrupted accuracy, category means, the
 *              corruption x severity heatmap, severity curves, accuracy per
 *              class and per set (report_eval.c);
 *   localize - the chosen block, the examples and options, block scores
 *              and per-block statistics, layer scores (report_localize.c).
 * Each reads its kind through the same reader as `archrepair info`. */
#ifndef AR_CLI_REPORT_HTML_H
#define AR_CLI_REPORT_HTML_H

#include "core/strbuf.h"
#include "eval_file.h"
#include "localize_file.h"
#include "repair_result.h"

/* Append the page for a result read from the file named source. */
void ar_report_html_repair(ar_strbuf_t *b, const char *source, const ar_repair_result_t *r);
void ar_report_html_eval(ar_strbuf_t *b, const char *source, const ar_eval_file_t *r);
void ar_report_html_localize(ar_strbuf_t *b, const char *source, const ar_localize_file_t *r);

/* The block scores as a bar chart (<svg id="blocks">), in the given
 * (graph) order, the block named chosen on a shaded band in its own colour. */
void ar_report_blocks_chart(ar_strbuf_t *b, int n, const char *const *names, const double *scores,
                            const char *chosen);

#endif
