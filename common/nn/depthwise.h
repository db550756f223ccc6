/* depthwise.h - internal to conv.c: the direct kernel for depthwise
 * convolutions (groups == cin == cout, one kh x kw filter per channel).
 * Same contract as ar_conv2d_forward / ar_conv2d_backward; no scratch. */
#ifndef AR_NN_DEPTHWISE_H
#define AR_NN_DEPTHWISE_H

#include "nn/conv.h"

void ar_depthwise_forward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                          const float *bias, ar_tensor_t *y);
void ar_depthwise_backward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                           const ar_tensor_t *dy, ar_tensor_t *dx, float *dweight, float *dbias);

#endif
