/* dp_xch.h - an in-process exchange for data-parallel tests: threads, one
 * per member, call xch_reduce (an ar_dp_reduce_fn, ctx = their xref_t);
 * the last to arrive combines the nodes up the fold tree (ar_fold_tree, as
 * the coordinator does), everyone copies the result before the next round.
 * Define XCH_MAXP (most members) before including; check.h first. */
#ifndef AR_TESTS_DP_XCH_H
#define AR_TESTS_DP_XCH_H

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/fold.h"
#include "repair/trainer.h"

/* The in-process exchange: members deposit their node's sum and cat rows,
 * the last to arrive combines them up the tree (ar_fold_tree, as the
 * coordinator does), everyone copies the result before the next round. */
typedef struct xch {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int parts, arrived, copied, draining;
    ar_dp_rows_t in[XCH_MAXP];
    float *sum, *cat;
    int64_t floats;            /* floats sent to the exchange in all */
} xch_t;

typedef struct xref {          /* a member's handle: the exchange and its part */
    xch_t *x;
    int part;
} xref_t;

static const float *xch_known(void *ctx, int64_t lo, int64_t hi)
{
    xch_t *x = ctx;
    for (int p = 0; p < x->parts; p++)
        if (x->in[p].lo == lo && x->in[p].hi == hi && lo < hi) return x->in[p].sum;
    return NULL;
}

static int xch_reduce(void *ctx, const ar_dp_rows_t *in, float *sum, float *cat, ar_err_t *err)
{
    (void)err;
    xref_t *r = ctx;
    xch_t *x = r->x;
    pthread_mutex_lock(&x->mu);
    while (x->draining) pthread_cond_wait(&x->cv, &x->mu); /* the last answer is being copied */
    x->in[r->part] = *in;
    x->floats += in->sum_len + (in->hi - in->lo) * in->cat_len;
    if (++x->arrived == x->parts) {
        int64_t M = in->nslots, S = in->sum_len, Q = in->cat_len;
        x->sum = realloc(x->sum, (size_t)(S + 1) * sizeof(float));
        x->cat = realloc(x->cat, (size_t)(M * Q + 1) * sizeof(float));
        CHECK(ar_fold_tree(x->sum, S, 0, M, xch_known, x) == 0, "the members' nodes cover the slots");
        for (int q = 0; q < x->parts; q++)
            if ((x->in[q].hi - x->in[q].lo) * Q > 0)
                memcpy(x->cat + x->in[q].lo * Q, x->in[q].cat, (size_t)((x->in[q].hi - x->in[q].lo) * Q) * 4);
        x->arrived = 0, x->copied = 0, x->draining = 1;
        pthread_cond_broadcast(&x->cv);
    } else {
        while (!x->draining) pthread_cond_wait(&x->cv, &x->mu);
    }
    memcpy(sum, x->sum, (size_t)in->sum_len * sizeof(float));
    if (cat) memcpy(cat, x->cat, (size_t)(in->nslots * in->cat_len) * sizeof(float));
    if (++x->copied == x->parts) {
        x->draining = 0;
        pthread_cond_broadcast(&x->cv);
    }
    pthread_mutex_unlock(&x->mu);
    return 0;
}

#endif
