/* str.h - string helpers: copying into a fixed-size buffer, comma lists,
 * suffix test. */
#ifndef AR_CORE_STR_H
#define AR_CORE_STR_H

#include <stddef.h>

/* Copies src into dst, a buffer of cap bytes: at most cap - 1 bytes of src
 * (a longer src is cut there, possibly inside a UTF-8 sequence), then a NUL,
 * so dst is always a terminated string when cap > 0. Reads no further than
 * cap - 1 bytes of src, which need not be terminated beyond them. A NULL src
 * copies as "". cap 0 writes nothing. dst and src must not overlap. */
void ar_str_copy(char *dst, size_t cap, const char *src);

/* Appends item to the comma list in buf (cap bytes, terminated): "a" then
 * "a,b"; cut like ar_str_copy when it does not fit. */
void ar_str_list_add(char *buf, size_t cap, const char *item);

/* 1 when s ends with suffix (case-sensitive; every s ends with ""), else 0. */
int ar_str_ends_with(const char *s, const char *suffix);

#endif
