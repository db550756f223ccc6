/* str.c - string helpers (str.h). */
#include "str.h"

#include <string.h>

void ar_str_copy(char *dst, size_t cap, const char *src)
{
    if (!cap) return;
    size_t n = src ? strnlen(src, cap - 1) : 0;
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
}

void ar_str_list_add(char *buf, size_t cap, const char *item)
{
    size_t l = strnlen(buf, cap);
    if (l + 1 >= cap) return;
    if (l) buf[l++] = ',';
    ar_str_copy(buf + l, cap - l, item);
}

int ar_str_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}
