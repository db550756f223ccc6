/* strbuf.h - a growing text buffer for reports (JSON summaries, tables):
 * printf-style appends, JSON string quoting, and the ".json" sibling of an
 * output path. Out of memory is remembered (bad = 1) and reported once by
 * the caller, so a writer can append without checking each call. */
#ifndef AR_CORE_STRBUF_H
#define AR_CORE_STRBUF_H

#include <stddef.h>

#include "core/error.h"

typedef struct ar_strbuf {
    char *p;        /* NUL-terminated text (malloc'd), NULL while empty */
    size_t n, cap;  /* length, capacity */
    int bad;        /* 1 after a failed allocation or format */
} ar_strbuf_t;

/* Appends printf-style. */
void ar_strbuf_printf(ar_strbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal (quotes, backslash escapes, control
 * characters as \u00XX); NULL as "". */
void ar_strbuf_json_str(ar_strbuf_t *b, const char *s);
/* Frees the text; leaves an empty buffer. */
void ar_strbuf_free(ar_strbuf_t *b);

/* The JSON summary's path beside an output: "out.h5" -> "out.json", any
 * other name gets ".json" appended. AR_E_ARG when it does not fit cap. */
int ar_json_sibling(const char *out, char *path, size_t cap, ar_err_t *err);

#endif
