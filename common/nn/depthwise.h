/* depthwise.h - internal to conv.c: depthwise convolutions (groups == cin
 * == cout, one kh x kw filter per channel). Stride-1 convs with padding <=
 * (k-1)*dilation run as sums of shifted vectors on the padded interleaved
 * layout (il_layout.h); others run plane by plane with no scratch.
 * Channels are split over c->threads threads, so results do not depend on
 * the thread count. Same contract as ar_conv2d_forward / _backward. */
#ifndef AR_NN_DEPTHWISE_H
#define AR_NN_DEPTHWISE_H

#include "nn/conv.h"

/* Scratch floats for batch n at h x w (0 when the plane path is used). */
size_t ar_depthwise_scratch(const ar_conv_cfg_t *c, int n, int h, int w);

void ar_depthwise_forward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                          const float *bias, ar_tensor_t *y, float *scratch);
void ar_depthwise_backward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                           const ar_tensor_t *dy, ar_tensor_t *dx, float *dweight, float *dbias,
                           float *scratch);

#endif
