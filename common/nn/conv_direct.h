/* conv_direct.h - internal to conv.c: "implicit GEMM" convolution for
 * stride-1 convs (any kernel, dilation, groups; padding <= (k-1)*dilation),
 * with no im2col.
 *
 * A chunk of nb images of one group is copied once into a zero-padded,
 * row-interleaved buffer xp[ci][row][image][col] (row stride nb*Wp). In that
 * buffer every kernel tap (ci, i, j) is a constant shift of the output
 * position p = oh*nb*Wp + b*Wp + ow, so the conv is a GEMM whose B rows are
 * shifted windows of xp (microkernel.h). Columns ow >= Wo of the padded
 * width are computed and dropped. The input gradient is the same kernel run
 * on padded dy with the flipped, transposed weights; the weight gradient is
 * a dot-product kernel over the positions.
 */
#ifndef AR_NN_CONV_DIRECT_H
#define AR_NN_CONV_DIRECT_H

#include <stddef.h>

#include "nn/conv.h"

/* 1 when the direct path applies to c (stride 1, padding small enough). */
int ar_conv_direct_ok(const ar_conv_cfg_t *c);
/* Scratch floats for forward and backward with batch n at h x w. */
size_t ar_conv_direct_scratch(const ar_conv_cfg_t *c, int n, int h, int w);

void ar_conv_direct_forward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                            const float *bias, ar_tensor_t *y, float *scratch);
/* Adds into dx and dweight (either may be NULL); not the bias gradient. */
void ar_conv_direct_backward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                             const ar_tensor_t *dy, ar_tensor_t *dx, float *dweight,
                             float *scratch);

#endif
