/* report_html.h - the page of `archrepair report`: one self-contained HTML
 * document (inline CSS and SVG, no scripts, no external resources) showing
 * a repair result: the outcome, clean / in-pool / held-out means, accuracy
 * per evaluation set, severity curves, the candidates, the genotype and the
 * block localization scores. */
#ifndef AR_CLI_REPORT_HTML_H
#define AR_CLI_REPORT_HTML_H

#include "core/strbuf.h"
#include "repair_result.h"

/* Appends the page for r, read from the file named source. */
void ar_report_html(ar_strbuf_t *b, const char *source, const ar_repair_result_t *r);

#endif
