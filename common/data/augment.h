/* augment.h - training augmentation on normalised NCHW float batches:
 * random crop with padding and random horizontal flip (the standard CIFAR
 * recipe: RandomCrop(32, padding=4) + RandomHorizontalFlip()).
 *
 * Determinism: the choice for an image (crop offset, flip) depends only on
 * (seed, epoch, dataset image index) through ar_rng_key, never on the batch
 * it lands in, its position, or the rank that reads it.
 *
 * Padding fills with `fill` per channel. Zero (the default) is zero in the
 * normalised space, i.e. the dataset-mean colour; ar_augment_fill_black sets
 * the normalised value of a black pixel, -mean/std, which is what
 * torchvision's RandomCrop on the PIL image amounts to.
 */
#ifndef AR_DATA_AUGMENT_H
#define AR_DATA_AUGMENT_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"

#define AR_AUGMENT_MAXC 4

typedef struct ar_augment {
    int pad;                        /* crop padding in pixels; 0 = no crop */
    int flip;                       /* 1 = flip horizontally with probability 1/2 */
    uint64_t seed;                  /* job seed */
    float fill[AR_AUGMENT_MAXC];    /* padding value per channel (normalised space) */
} ar_augment_t;

/* The standard recipe for images of the given height: pad 4 for 32x32
 * (height/8 in general, at least 1), flip on, fill zero. */
ar_augment_t ar_augment_default(int height, uint64_t seed);

/* Sets fill[c] = -mean[c]/std[c] (a black pixel after normalisation). */
void ar_augment_fill_black(ar_augment_t *a, const float *mean, const float *std, int channels);

/* The random choice for one image: crop offsets dy, dx in [0, 2*pad] (pad =
 * no shift) and flip 0/1. */
void ar_augment_choice(const ar_augment_t *a, int64_t epoch, int64_t image_index, int *dy, int *dx, int *flip);

/* Augments x [N, C, H, W] in place; image i of the batch is dataset image
 * idx[i]. AR_E_ARG for a tensor that is not 4-D or has more than
 * AR_AUGMENT_MAXC channels or pad >= H or W; AR_E_NOMEM. */
int ar_augment_apply(const ar_augment_t *a, ar_tensor_t *x, const int64_t *idx, int64_t epoch, ar_err_t *err);

#endif
