/* basic_ops.h - relu, clamp, silu, hardswish, linear, add, concat, zero, and
 * softmax cross-entropy.
 * Backward functions ADD into their outputs (dx, dw, db), any may be NULL.
 */
#ifndef AR_NN_BASIC_OPS_H
#define AR_NN_BASIC_OPS_H

#include <stdint.h>

#include "core/tensor.h"

void ar_relu_forward(const ar_tensor_t *x, ar_tensor_t *y);        /* y may equal x */
void ar_relu_backward(const ar_tensor_t *y, const ar_tensor_t *dy, ar_tensor_t *dx);

/* One value of ar_relu_forward: v > 0 ? v : +0 (NaN gives 0). Every op that
 * runs a ReLU fused in (plan.h) stores this. */
static inline float ar_relu1(float v) { return v > 0.0f ? v : 0.0f; }
/* The gradient a ReLU with output y passes back for dy, exactly as
 * ar_relu_backward leaves it in a zeroed buffer: 0 + (y > 0 ? dy : 0).
 * Fused ReLUs use it, so they give the same bits, signed zeros included. */
static inline float ar_relu_grad1(float y, float dy) { return 0.0f + (y > 0.0f ? dy : 0.0f); }

/* One value of ar_clamp_forward: lo if v < lo, hi if v > hi, else v (NaN
 * stays NaN). */
static inline float ar_clamp1(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

/* clamp (ReLU6 = clamp to [0, 6], Hardtanh): y = ar_clamp1(x, lo, hi), y may
 * equal x. Backward reads the output: dx += dy where lo < y < hi, as
 * PyTorch's hardtanh (0 at and beyond the bounds). */
void ar_clamp_forward(const ar_tensor_t *x, ar_tensor_t *y, float lo, float hi);
void ar_clamp_backward(const ar_tensor_t *y, const ar_tensor_t *dy, ar_tensor_t *dx, float lo,
                       float hi);
/* silu (swish): y = x / (1 + exp(-x)); dx += dy s (1 + x (1 - s)), s the
 * sigmoid of x. Backward reads the input. */
void ar_silu_forward(const ar_tensor_t *x, ar_tensor_t *y);
void ar_silu_backward(const ar_tensor_t *x, const ar_tensor_t *dy, ar_tensor_t *dx);
/* hardswish: y = x min(max(x + 3, 0), 6) / 6; dx += dy times 0 (x < -3),
 * x / 3 + 1/2 (-3 <= x <= 3) or 1 (x > 3), as PyTorch. Backward reads the
 * input. */
void ar_hardswish_forward(const ar_tensor_t *x, ar_tensor_t *y);
void ar_hardswish_backward(const ar_tensor_t *x, const ar_tensor_t *dy, ar_tensor_t *dx);

/* x [N, I], weight [O, I], bias [O] or NULL, y [N, O] */
void ar_linear_forward(const ar_tensor_t *x, const float *weight, const float *bias, ar_tensor_t *y);
void ar_linear_backward(const ar_tensor_t *x, const float *weight, const ar_tensor_t *dy,
                        ar_tensor_t *dx, float *dweight, float *dbias);

/* y = sum of n inputs of y's shape */
void ar_add_forward(const ar_tensor_t *const *xs, int n, ar_tensor_t *y);
/* The same on the elements [lo, hi) only (for splitting over threads);
 * relu = 1: then max(0, .), a fused ReLU (plan.h). */
void ar_add_forward_span(const ar_tensor_t *const *xs, int n, ar_tensor_t *y, int64_t lo,
                         int64_t hi, int relu);
/* concat along channels (dim 1) of 4-D inputs; backward adds slices to dxs */
void ar_concat_forward(const ar_tensor_t *const *xs, int n, ar_tensor_t *y);
void ar_concat_backward(const ar_tensor_t *dy, ar_tensor_t *const *dxs, int n);

/* Index of the largest of v[0..n), the first one on ties (as torch.argmax);
 * 0 when n <= 1. A NaN never compares larger. */
static inline int64_t ar_argmax(const float *v, int64_t n)
{
    int64_t best = 0;
    for (int64_t k = 1; k < n; k++)
        if (v[k] > v[best]) best = k;
    return best;
}

/* Mean softmax cross-entropy over the batch: logits [N, K], labels [N].
 * Returns the loss; dlogits (may be NULL) receives d(loss)/d(logits)
 * (overwritten, not added). correct (may be NULL) receives the count of
 * ar_argmax == label. */
double ar_softmax_xent(const ar_tensor_t *logits, const int32_t *labels, ar_tensor_t *dlogits,
                       int64_t *correct);

/* The same against soft targets (knowledge distillation): row i's target is
 * t = (1 - w) * onehot(labels[i]) + w * soft[i*K .. i*K+K) (soft rows are
 * probability vectors, e.g. a teacher's softmax), the loss the mean of
 * -sum_k t_k log softmax(z)_k, d(loss)/d(z) = (softmax(z) - t) / N. With
 * w = 0 or soft NULL exactly ar_softmax_xent. correct counts argmax ==
 * label. */
double ar_softmax_xent_soft(const ar_tensor_t *logits, const int32_t *labels, const float *soft,
                            double w, ar_tensor_t *dlogits, int64_t *correct);

#endif
