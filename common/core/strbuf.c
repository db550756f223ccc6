/* strbuf.c - growing text buffer (strbuf.h). */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ar_strbuf_printf(ar_strbuf_t *b, const char *fmt, ...)
{
    for (int pass = 0; pass < 2 && !b->bad; pass++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->bad = 1;
            return;
        }
        if (b->p && b->n + (size_t)n < b->cap) {
            b->n += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->bad = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
}

void ar_strbuf_json_str(ar_strbuf_t *b, const char *s)
{
    ar_strbuf_printf(b, "\"");
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') ar_strbuf_printf(b, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) ar_strbuf_printf(b, "\\u%04x", (unsigned char)*s);
        else ar_strbuf_printf(b, "%c", *s);
    }
    ar_strbuf_printf(b, "\"");
}

void ar_strbuf_free(ar_strbuf_t *b)
{
    free(b->p);
    *b = (ar_strbuf_t){0};
}

int ar_json_sibling(const char *out, char *path, size_t cap, ar_err_t *err)
{
    size_t n = strlen(out);
    if (n > 3 && !strcmp(out + n - 3, ".h5")) n -= 3;
    if (snprintf(path, cap, "%.*s.json", (int)n, out) >= (int)cap)
        return ar_err_set(err, AR_E_ARG, "%s: output path too long", out);
    return AR_OK;
}
