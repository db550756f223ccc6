/* augment.c - seeded random crop (with padding) and horizontal flip. */
#include "augment.h"

#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

/* identity word separating augmentation streams from other uses of the seed */
#define AUGMENT_STREAM 0x61756731u /* "aug1" */

ar_augment_t ar_augment_default(int height, uint64_t seed)
{
    ar_augment_t a = {.pad = height / 8, .flip = 1, .seed = seed};
    if (a.pad < 1) a.pad = 1;
    return a;
}

void ar_augment_fill_black(ar_augment_t *a, const float *mean, const float *std, int channels)
{
    for (int c = 0; c < channels && c < AR_AUGMENT_MAXC; c++) a->fill[c] = -mean[c] / std[c];
}

void ar_augment_choice(const ar_augment_t *a, int64_t epoch, int64_t image_index, int *dy, int *dx, int *flip)
{
    uint64_t ids[3] = {AUGMENT_STREAM, (uint64_t)epoch, (uint64_t)image_index};
    ar_rng_t r;
    ar_rng_init(&r, ar_rng_key(a->seed, ids, 3));
    uint64_t span = (uint64_t)(2 * a->pad + 1);
    *dy = a->pad > 0 ? (int)ar_rng_below(&r, span) : 0;
    *dx = a->pad > 0 ? (int)ar_rng_below(&r, span) : 0;
    *flip = a->flip ? (int)(ar_rng_u64(&r) >> 63) : 0;
}

int ar_augment_apply(const ar_augment_t *a, ar_tensor_t *x, const int64_t *idx, int64_t epoch, ar_err_t *err)
{
    if (x->ndim != 4 || x->shape[1] > AR_AUGMENT_MAXC)
        return ar_err_set(err, AR_E_ARG, "augment: batch must be [N, C<=%d, H, W]", AR_AUGMENT_MAXC);
    int64_t n = x->shape[0], c = x->shape[1], h = x->shape[2], w = x->shape[3];
    if (a->pad < 0 || a->pad >= h || a->pad >= w)
        return ar_err_set(err, AR_E_ARG, "augment: padding %d must be in 0..%lld for %lldx%lld images", a->pad,
                          (long long)((h < w ? h : w) - 1), (long long)h, (long long)w);
    if (a->pad == 0 && !a->flip) return AR_OK;
    float *plane = malloc((size_t)(h * w) * sizeof *plane);
    if (!plane) return ar_err_set(err, AR_E_NOMEM, "augment: out of memory");
    for (int64_t i = 0; i < n; i++) {
        int dy, dx, flip;
        ar_augment_choice(a, epoch, idx[i], &dy, &dx, &flip);
        int64_t sy0 = dy - a->pad, sx0 = dx - a->pad; /* source of output (0, 0) before the flip */
        if (sy0 == 0 && sx0 == 0 && !flip) continue;
        for (int64_t k = 0; k < c; k++) {
            float *p = x->data + ((i * c + k) * h) * w;
            memcpy(plane, p, (size_t)(h * w) * sizeof *plane);
            float fill = a->fill[k];
            for (int64_t y = 0; y < h; y++) {
                int64_t sy = y + sy0;
                float *o = p + y * w;
                if (sy < 0 || sy >= h) {
                    for (int64_t xx = 0; xx < w; xx++) o[xx] = fill;
                    continue;
                }
                const float *src = plane + sy * w;
                for (int64_t xx = 0; xx < w; xx++) {
                    int64_t cx = flip ? w - 1 - xx : xx; /* crop column shown at xx */
                    int64_t sx = cx + sx0;
                    o[xx] = (sx < 0 || sx >= w) ? fill : src[sx];
                }
            }
        }
    }
    free(plane);
    return AR_OK;
}
