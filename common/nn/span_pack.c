/* span_pack.c - first-fit placement of buffers by lifetime (span_pack.h). */
#include "span_pack.h"

#include <stdlib.h>

#include "core/tensor.h"

static int by_off(const void *a, const void *b)
{
    const ar_span_t *x = *(const ar_span_t *const *)a, *y = *(const ar_span_t *const *)b;
    return x->off < y->off ? -1 : x->off > y->off;
}

size_t ar_span_pack(ar_span_t *s, int n)
{
    int *ord = malloc((size_t)(n ? n : 1) * sizeof *ord);
    const ar_span_t **live = malloc((size_t)(n ? n : 1) * sizeof *live);
    size_t total = 0;
    if (!ord || !live) {
        free(ord);
        free(live);
        return 0;
    }
    for (int i = 0; i < n; i++) ord[i] = i;
    for (int i = 1; i < n; i++) /* insertion sort, largest first */
        for (int j = i; j > 0 && s[ord[j]].size > s[ord[j - 1]].size; j--) {
            int t = ord[j];
            ord[j] = ord[j - 1], ord[j - 1] = t;
        }
    for (int k = 0; k < n; k++) {
        ar_span_t *x = &s[ord[k]];
        int nl = 0;
        for (int j = 0; j < k; j++) {
            const ar_span_t *y = &s[ord[j]];
            if (y->size && x->start <= y->end && y->start <= x->end) live[nl++] = y;
        }
        qsort(live, (size_t)nl, sizeof *live, by_off);
        size_t off = 0;
        for (int j = 0; j < nl && x->size; j++) {
            if (off + x->size <= live[j]->off) break;
            if (live[j]->off + live[j]->size > off) off = live[j]->off + live[j]->size;
        }
        x->off = off;
        if (off + x->size > total) total = off + x->size;
    }
    free(ord);
    free(live);
    return total ? total : AR_ALIGN;
}
