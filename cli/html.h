/* html.h - HTML text for `archrepair report`: the page frame and its one
 * stylesheet (shared by the pages of every result kind), table rows, and
 * escaping: every string from a file goes through ar_html_esc before it
 * reaches the page. */
#ifndef AR_CLI_HTML_H
#define AR_CLI_HTML_H

#include "core/strbuf.h"

/* Appends s with & < > " ' escaped (safe in text and quoted attributes);
 * NULL as "". */
void ar_html_esc(ar_strbuf_t *b, const char *s);
/* Appends <tag>escaped text</tag> (tag may carry attributes: "td class=\"num\""). */
void ar_html_elem(ar_strbuf_t *b, const char *tag, const char *text);

/* Opens the page: doctype, <head> with the title "archrepair report:
 * <source>" and the inline stylesheet, <body> and the <h1>; kind (e.g.
 * "repair result") follows the heading as a subtitle. */
void ar_html_page_begin(ar_strbuf_t *b, const char *source, const char *kind);
/* The run's record as one line (<p class="meta" id="meta">): model,
 * program version, ranks and wall seconds; empty parts are left out. */
void ar_html_meta(ar_strbuf_t *b, const char *model, const char *version, int ranks, double wall);
/* Closes <body> and <html>. */
void ar_html_page_end(ar_strbuf_t *b);

/* A table row (class cls when not NULL) of ntext escaped text cells, then
 * nnum numbers formatted with fmt ("%.4f") in right-aligned cells. */
void ar_html_row(ar_strbuf_t *b, const char *cls, int ntext, const char *const *text, int nnum, const double *num,
                 const char *fmt);

#endif
