/* im2col.h - internal to conv.c: unfold a chunk of images into GEMM columns
 * and fold column gradients back (PyTorch conv geometry).
 *
 * For one group g of a conv c, a chunk of nb images x (image stride
 * cin*h*w floats) unfolds to col [K, P] with K = (cin/groups)*kh*kw rows,
 * row r = (ci*kh + i)*kw + j, and P = nb*ho*wo columns, column
 * b*ho*wo + oh*wo + ow. Positions in the zero padding read as 0.
 */
#ifndef AR_NN_IM2COL_H
#define AR_NN_IM2COL_H

#include "nn/conv.h"

/* Overwrites col [K, P] from images x[0..nb) (group g's channels). */
void ar_im2col_chunk(const ar_conv_cfg_t *c, const float *x, int nb, int h, int w, int g,
                     int ho, int wo, float *col);

/* ADDS col [K, P] back into the images dx[0..nb) (group g's channels);
 * padding positions are dropped. */
void ar_col2im_chunk(const ar_conv_cfg_t *c, const float *col, int nb, int h, int w, int g,
                     int ho, int wo, float *dx);

/* Valid output range [lo, hi) along one axis for a kernel tap at input
 * offset off (input index = o*stride + off) and input size n: the outputs
 * whose input index lies in [0, n). */
void ar_conv_tap_range(int off, int stride, int n, int out, int *lo, int *hi);

#endif
