/* patch_set.h - the synthetic 3-class problem of the repair tests: 8x8
 * one-channel images, class k a bright 3x3 patch at one of three places,
 * plus N(0, 0.8^2) noise, and the small ResNet-20 the tests repair on it.
 * Header-only test support. */
#ifndef AR_TESTS_REPAIR_PATCH_SET_H
#define AR_TESTS_REPAIR_PATCH_SET_H

#include <stdint.h>

#include "core/rng.h"
#include "core/tensor.h"
#include "nn/zoo.h"
#include "repair/trainer.h"

/* Allocates x [n, 1, 8, 8] and fills x and y[0..n) from `seed`. */
static inline void make_set(ar_tensor_t *x, int32_t *y, int n, uint64_t seed)
{
    *x = ar_tensor_4d(n, 1, 8, 8);
    ar_tensor_alloc(x);
    ar_rng_t r;
    ar_rng_init(&r, seed);
    for (int i = 0; i < n; i++) {
        int k = (int)ar_rng_below(&r, 3);
        y[i] = k;
        float *p = x->data + i * 64;
        for (int j = 0; j < 64; j++) p[j] = (float)(0.8 * ar_rng_normal(&r));
        int oy = k == 0 ? 1 : 4, ox = k == 2 ? 1 : 4;
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) p[(oy + a) * 8 + ox + b] += 1.0f;
    }
}

/* The tests' network: zoo resnet20, width 0.25, 1x8x8 input, 3 classes,
 * seed 1. NULL with e set on failure. */
static inline ar_graph_t *patch_model(ar_err_t *e)
{
    ar_zoo_opts_t zo = {.in_c = 1, .in_h = 8, .in_w = 8, .num_classes = 3, .width = 0.25, .seed = 1};
    return ar_zoo_build("resnet20", &zo, e);
}

/* What the search tests start from: the network, a training set (seed 10)
 * and a validation set (seed 20) of at most 96 and 32 images. */
typedef struct {
    ar_graph_t *g;
    ar_tensor_t xt, xv;
    int32_t yt[96], yv[32];
    ar_imgset_t train, val;
} patch_fixture_t;

/* Builds f with nt <= 96 training and nv <= 32 validation images; -1 with
 * e set when the network cannot be built (nothing to free then). */
static inline int patch_fixture_init(patch_fixture_t *f, int nt, int nv, ar_err_t *e)
{
    if (!(f->g = patch_model(e))) return -1;
    make_set(&f->xt, f->yt, nt, 10);
    make_set(&f->xv, f->yv, nv, 20);
    f->train = (ar_imgset_t){&f->xt, f->yt, NULL};
    f->val = (ar_imgset_t){&f->xv, f->yv, NULL};
    return 0;
}

static inline void patch_fixture_free(patch_fixture_t *f)
{
    ar_tensor_free(&f->xt);
    ar_tensor_free(&f->xv);
    ar_graph_destroy(&f->g);
}

#endif
