/* fold.c - the fixed-tree sum of float rows (fold.h). */
#include "fold.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK 2048 /* floats per pass: the tree is evaluated chunk by chunk */

static int64_t mid_of(int64_t lo, int64_t hi) { return lo + (hi - lo + 1) / 2; }

void ar_fold_part(int64_t n, int part, int parts, int64_t *lo, int64_t *hi)
{
    int64_t a = 0, b = n;
    int k = parts;
    while (k > 1 && b - a > 1) {
        int kl = (k + 1) / 2;
        int64_t m = mid_of(a, b);
        if (part < kl) b = m, k = kl;
        else a = m, part -= kl, k -= kl;
    }
    if (k > 1 && part > 0) a = b; /* more parts than slots here: nothing */
    *lo = a, *hi = b;
}

typedef struct fold {
    ar_fold_known_fn known;
    void *ctx;
    int64_t off, n;        /* the chunk */
    float *tmp;            /* [depth][CHUNK] */
    int depth, bad;
} fold_t;

/* dst[0..n) = node [lo, hi) over the current chunk; level: tmp row to use. */
static void node(fold_t *f, float *dst, int64_t lo, int64_t hi, int level)
{
    const float *k = f->known(f->ctx, lo, hi);
    if (k) {
        memcpy(dst, k + f->off, (size_t)f->n * sizeof *dst);
        return;
    }
    if (hi - lo <= 1 || level >= f->depth) {
        f->bad = 1;
        memset(dst, 0, (size_t)f->n * sizeof *dst);
        return;
    }
    int64_t m = mid_of(lo, hi);
    float *r = f->tmp + (size_t)level * CHUNK;
    node(f, dst, lo, m, level + 1);
    node(f, r, m, hi, level + 1);
    for (int64_t i = 0; i < f->n; i++) dst[i] += r[i];
}

int ar_fold_tree(float *out, int64_t len, int64_t lo, int64_t hi, ar_fold_known_fn known,
                 void *ctx)
{
    if (hi <= lo) {
        memset(out, 0, (size_t)len * sizeof *out);
        return 0;
    }
    int depth = 1;
    for (int64_t w = hi - lo; w > 1; w = (w + 1) / 2) depth++;
    fold_t f = {.known = known, .ctx = ctx, .depth = depth,
                .tmp = malloc((size_t)depth * CHUNK * sizeof(float))};
    if (!f.tmp) return -1;
    for (f.off = 0; f.off < len; f.off += CHUNK) {
        f.n = len - f.off < CHUNK ? len - f.off : CHUNK;
        node(&f, out + f.off, lo, hi, 0);
    }
    free(f.tmp);
    return f.bad ? -1 : 0;
}
