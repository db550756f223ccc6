/* html.h - HTML text for `archrepair report`: every string from a file goes
 * through ar_html_esc before it reaches the page. */
#ifndef AR_CLI_HTML_H
#define AR_CLI_HTML_H

#include "core/strbuf.h"

/* Appends s with & < > " ' escaped (safe in text and quoted attributes);
 * NULL as "". */
void ar_html_esc(ar_strbuf_t *b, const char *s);
/* Appends <tag>escaped text</tag> (tag may carry attributes: "td class=\"num\""). */
void ar_html_elem(ar_strbuf_t *b, const char *tag, const char *text);

#endif
