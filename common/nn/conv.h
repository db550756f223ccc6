/* conv.h - 2-D convolution kernels (PyTorch semantics and weight layout).
 *
 * x [N, Cin, H, W], weight [Cout, Cin/groups, kh, kw], bias [Cout] or NULL,
 * y [N, Cout, Ho, Wo] with Ho = (H + 2ph - dh(kh-1) - 1)/sh + 1.
 * Paths (docs/engine-kernels.md): a dedicated depthwise kernel when
 * groups == Cin == Cout; otherwise "implicit GEMM" on a padded, row-
 * interleaved copy of chunks of images (no im2col), with register-blocked
 * AVX-512 kernels; strides split the copy into phase planes.
 * Backward ADDS into dx, dw, db (callers zero them first); any of them may be
 * NULL to skip that gradient. Kernels never allocate, print or fail: they
 * use the caller's scratch of ar_conv2d_scratch_floats() floats (64-byte
 * aligned). Results are bit-identical for any `threads`.
 */
#ifndef AR_NN_CONV_H
#define AR_NN_CONV_H

#include <stddef.h>

#include "core/tensor.h"

typedef struct ar_conv_cfg {
    int cin, cout;      /* channels in / out */
    int kh, kw;         /* kernel */
    int sh, sw;         /* stride */
    int ph, pw;         /* zero padding */
    int dh, dw;         /* dilation */
    int groups;         /* cin and cout divisible by groups */
    int threads;        /* threads the kernels may use; 0 or 1: the caller's only.
                         * Results do not depend on it; scratch grows with it. */
    int relu;           /* forward only: max(0, .) after the bias, a ReLU fused in
                         * (plan.c, eval with a folded BN); 0: plain conv */
} ar_conv_cfg_t;

/* Output spatial size for input h, w; 0 or negative means invalid. */
int ar_conv2d_out_h(const ar_conv_cfg_t *c, int h);
int ar_conv2d_out_w(const ar_conv_cfg_t *c, int w);

/* Scratch floats needed by forward and backward for a batch of n at h x w.
 * A scratch sized for n also serves any smaller batch at the same h x w.
 * 0 for the depthwise and direct 1x1 paths (scratch may then be NULL).
 * Scratch contents need not be kept between calls. */
size_t ar_conv2d_scratch_floats(const ar_conv_cfg_t *c, int n, int h, int w);

/* Overwrites y. */
void ar_conv2d_forward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                       const float *bias, ar_tensor_t *y, float *scratch);

void ar_conv2d_backward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                        const ar_tensor_t *dy, ar_tensor_t *dx, float *dweight, float *dbias,
                        float *scratch);

#endif
