/* html.c - escaping for the report page (html.h). */
#include "html.h"

#include <string.h>

void ar_html_esc(ar_strbuf_t *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': ar_strbuf_printf(b, "&amp;"); break;
        case '<': ar_strbuf_printf(b, "&lt;"); break;
        case '>': ar_strbuf_printf(b, "&gt;"); break;
        case '"': ar_strbuf_printf(b, "&quot;"); break;
        case '\'': ar_strbuf_printf(b, "&#39;"); break;
        default: ar_strbuf_printf(b, "%c", *s);
        }
    }
}

void ar_html_elem(ar_strbuf_t *b, const char *tag, const char *text)
{
    const char *sp = strchr(tag, ' ');
    int name_len = sp ? (int)(sp - tag) : (int)strlen(tag);
    ar_strbuf_printf(b, "<%s>", tag);
    ar_html_esc(b, text);
    ar_strbuf_printf(b, "</%.*s>", name_len, tag);
}
