/* span_pack.h - places buffers with known lifetimes in one pool so that
 * buffers alive at the same time never overlap (the lean plans of plan.h).
 * Lifetimes are inclusive intervals of step indices (node indices).
 */
#ifndef AR_NN_SPAN_PACK_H
#define AR_NN_SPAN_PACK_H

#include <stddef.h>

typedef struct ar_span {
    size_t size;      /* bytes (0: takes no room) */
    size_t off;       /* out: offset in the pool */
    int start, end;   /* alive from step start to step end, inclusive */
} ar_span_t;

/* First fit, largest buffers first: assigns every s[i].off. Returns the pool
 * size (at least AR_ALIGN), or 0 when out of memory (offsets then unset). */
size_t ar_span_pack(ar_span_t *s, int n);

#endif
