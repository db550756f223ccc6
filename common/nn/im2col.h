/* im2col.h - internal to the conv kernels: fold GEMM columns back into
 * images (PyTorch conv geometry), and tap ranges.
 *
 * For one group g of a conv c, col [K, P] has K = (cin/groups)*kh*kw rows,
 * row r = (ci*kh + i)*kw + j, and P = nb*ho*wo columns, column
 * b*ho*wo + oh*wo + ow, for a chunk of nb images (image stride cin*h*w).
 */
#ifndef AR_NN_IM2COL_H
#define AR_NN_IM2COL_H

#include "nn/conv.h"

/* ADDS col [K, P] back into the images dx[0..nb) (group g's channels);
 * padding positions are dropped. */
void ar_col2im_chunk(const ar_conv_cfg_t *c, const float *col, int nb, int h, int w, int g,
                     int ho, int wo, float *dx);

/* Valid output range [lo, hi) along one axis for a kernel tap at input
 * offset off (input index = o*stride + off) and input size n: the outputs
 * whose input index lies in [0, n). */
void ar_conv_tap_range(int off, int stride, int n, int out, int *lo, int *hi);

#endif
