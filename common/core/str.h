/* str.h - copying a string into a fixed-size buffer. */
#ifndef AR_CORE_STR_H
#define AR_CORE_STR_H

#include <stddef.h>

/* Copies src into dst, a buffer of cap bytes: at most cap - 1 bytes of src
 * (a longer src is cut there, possibly inside a UTF-8 sequence), then a NUL,
 * so dst is always a terminated string when cap > 0. Reads no further than
 * cap - 1 bytes of src, which need not be terminated beyond them. A NULL src
 * copies as "". cap 0 writes nothing. dst and src must not overlap. */
void ar_str_copy(char *dst, size_t cap, const char *src);

#endif
