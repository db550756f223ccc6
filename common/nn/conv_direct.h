/* conv_direct.h - internal to conv.c: "implicit GEMM" convolution, with no
 * im2col, for every non-depthwise conv (any kernel, stride, dilation,
 * padding, groups).
 *
 * A chunk of nb images of one group is copied once into the zero-padded,
 * row-interleaved (and for strides, phase-split) layout of il_layout.h. In
 * it every kernel tap (ci, i, j) is a constant shift of the output position
 * p = oh*nb*Wq + b*Wq + ow, so the conv is a GEMM whose B rows are shifted
 * windows of that buffer (microkernel.h). Columns ow >= Wo are computed and
 * dropped. The weight gradient is an outer-product kernel over the same
 * positions. The input gradient, for stride 1 with padding <=
 * (k-1)*dilation, is the same forward kernel run on padded dy with the
 * flipped, transposed weights; for other convs it is computed phase by
 * phase (each residue class of dx pixels modulo the stride is a stride-1
 * correlation of padded dy with the taps that reach it).
 * Work is split by chunks of images over c->threads threads; weight-
 * gradient partials are summed in chunk order, so results do not depend on
 * the thread count.
 */
#ifndef AR_NN_CONV_DIRECT_H
#define AR_NN_CONV_DIRECT_H

#include <stddef.h>

#include "nn/conv.h"

/* Scratch floats for forward and backward with batch n at h x w. */
size_t ar_conv_direct_scratch(const ar_conv_cfg_t *c, int n, int h, int w);

void ar_conv_direct_forward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                            const float *bias, ar_tensor_t *y, float *scratch);
/* Adds into dx and dweight (either may be NULL); not the bias gradient. */
void ar_conv_direct_backward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                             const ar_tensor_t *dy, ar_tensor_t *dx, float *dweight,
                             float *scratch);

#endif
