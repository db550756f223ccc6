/* pool.h - max / average / global-average pooling kernels (PyTorch semantics:
 * floor mode, implicit -inf padding for max, count_include_pad for avg).
 * Backward ADDS into dx.
 */
#ifndef AR_NN_POOL_H
#define AR_NN_POOL_H

#include <stdint.h>

#include "core/tensor.h"

typedef struct ar_pool_cfg {
    int kh, kw, sh, sw, ph, pw;
    int count_include_pad;  /* avg only: 1 divides by kh*kw always */
} ar_pool_cfg_t;

int ar_pool_out_h(const ar_pool_cfg_t *c, int h);
int ar_pool_out_w(const ar_pool_cfg_t *c, int w);

/* argmax (numel(y) int32, may be NULL in inference) records the winning
 * input offset within each (n, c) plane for backward. */
void ar_maxpool2d_forward(const ar_pool_cfg_t *c, const ar_tensor_t *x, ar_tensor_t *y,
                          int32_t *argmax);
void ar_maxpool2d_backward(const ar_pool_cfg_t *c, const int32_t *argmax, const ar_tensor_t *dy,
                           ar_tensor_t *dx);
void ar_avgpool2d_forward(const ar_pool_cfg_t *c, const ar_tensor_t *x, ar_tensor_t *y);
void ar_avgpool2d_backward(const ar_pool_cfg_t *c, const ar_tensor_t *dy, ar_tensor_t *dx);

/* x [N, C, H, W] -> y [N, C] */
void ar_global_avgpool_forward(const ar_tensor_t *x, ar_tensor_t *y);
void ar_global_avgpool_backward(const ar_tensor_t *dy, ar_tensor_t *dx);

#endif
