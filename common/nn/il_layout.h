/* il_layout.h - internal to the conv kernels: the padded, row-interleaved
 * (and, for strides, phase-split) layout that turns a convolution into
 * shifted reads.
 *
 * A chunk of nb images, channels [chan0, chan0+ch), zero-padded by
 * (ph, pw), is copied into buf[ci][a][e][u][image][v] = padded pixel
 * (a + sh*u, e + sw*v): one phase plane per (row, column) residue modulo the
 * stride, row stride rs = nb*wq. With stride 1 there is one plane, and
 * images in a row share their zero columns: image b starts at column
 * x0 + b*wq (x0 = pw, wq = ws + gap), rs = x0 + nb*wq.
 * Output position p = oh*rs + b*wq + ow (ow < wq; ow >= wo is a dropped
 * column) reads tap (ci, i, j) at buf[p + off], with
 *   off = ((ci*sh + (i*dh)%sh)*sw + (j*dw)%sw)*plane + (i*dh/sh)*rs + j*dw/sw,
 * so every tap is a constant shift and a conv is a GEMM (or, depthwise, a
 * sum of shifted vectors) over contiguous positions.
 */
#ifndef AR_NN_IL_LAYOUT_H
#define AR_NN_IL_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "nn/conv.h"

/* Positions are rounded up to this (the widest kernel tile). */
#define AR_IL_POS_ROUND 48

/* Geometry of one padded, interleaved buffer and the conv run on it. */
typedef struct {
    int ch;            /* channels in the buffer */
    int hs, ws;        /* source plane */
    int ph, pw;        /* zero padding around it */
    int sh, sw;        /* stride: sh*sw phase planes per channel */
    int nb;            /* images interleaved */
    int hq, wq;        /* phase plane rows; columns per image in a row */
    int x0;            /* columns before the first image (stride 1: pw) */
    size_t rs, plane;  /* row stride x0 + nb*wq; phase plane hq*rs */
    int ho, wo;        /* valid output size */
    size_t L, Lr;      /* positions ho*rs, rounded up to AR_IL_POS_ROUND */
    size_t slack;      /* positions the kernels may read past the last plane */
    size_t floats;     /* buffer size: planes + slack */
    int xw, xd;        /* column-expanded (ar_il_geom_xw): xw copies per channel,
                        * copy j shifted by j*xd columns; 0 = plain layout */
} ar_il_geom_t;

/* Valid output range [lo, hi) along one axis for a kernel tap at input
 * offset off (input index = o*stride + off) and input size n: the outputs
 * whose input index lies in [0, n), clipped to [0, out). */
void ar_conv_tap_range(int off, int stride, int n, int out, int *lo, int *hi);

/* Rounds n up to a multiple of 16 floats (64 bytes). */
size_t ar_il_round16(size_t n);

/* Geometry for ch channels of hs x ws planes padded by (ph, pw), nb images,
 * and the conv c (kernel, stride, dilation) run on it. */
ar_il_geom_t ar_il_geom(const ar_conv_cfg_t *c, int ch, int hs, int ws, int ph, int pw, int nb);

/* Column-expanded variant for stride 1 (c->sh == c->sw == 1): per channel
 * kw copies, copy j holding at (row, image b, column v) padded pixel
 * (row, v + j*dw), images packed without gaps (wq = wo, x0 = 0, rs =
 * nb*wo), so no output position is dropped; tap (ci, i, j) reads at
 * ((ci*kw + j)*plane + i*dh*rs). ar_il_pack, ar_il_offsets and
 * ar_il_unpack take it; ar_il_pack_cl16 and ar_il_scatter_t do not. */
ar_il_geom_t ar_il_geom_xw(const ar_conv_cfg_t *c, int ch, int hs, int ws, int ph, int pw, int nb);

/* Copies channels [chan0, chan0+ch) of nb images (image stride img floats)
 * into dst (g->floats floats), zeros everywhere else. */
void ar_il_pack(const ar_il_geom_t *g, const float *src, size_t img, int chan0, float *dst);

/* Channel-last variant for exactly 16 channels (g->ch == 16): with
 * P = sh*sw*plane positions per channel, dst[q*16 + ci] holds what
 * ar_il_pack puts at ci*P + q, for q < P + slack (zeros elsewhere); dst holds
 * 16*(P + slack) floats. */
void ar_il_pack_cl16(const ar_il_geom_t *g, const float *src, size_t img, int chan0, float *dst);

/* off[(ci*kh + i)*kw + j] = the tap's shift (above) for ci < g->ch. */
void ar_il_offsets(const ar_conv_cfg_t *c, const ar_il_geom_t *g, int32_t *off);

/* The way back from a stride-2 column phase (split_row2 in il_layout.c
 * splits a row into two): d[2v] += s[v] for v from v, 8 at a time while the
 * 16 floats d[2v .. 2v+15] lie below d[lim], as two contiguous vectors with
 * s interleaved with zeros (the odd floats get + 0.0f; the scalar strided
 * loop of the stride-2 input gradient was 3% of a resnet20 training step).
 * Returns the first v not done, for the caller's scalar loop. */
int ar_il_add_stride2(float *d, const float *s, int v, int v1, int lim);

/* Rows [0, M) of out (row stride Lr, positions of g) into channels
 * [chan0, chan0+M) of nb images of dst (ho x wo planes, image stride img):
 * overwrite plus bias (bias may be NULL; then max(0, .) when relu), or add
 * when add != 0 (relu ignored). */
void ar_il_unpack(const ar_il_geom_t *g, const float *out, int M, float *dst, size_t img, int chan0,
                  const float *bias, int add, int relu);

/* Inverse of ar_il_unpack for gradients, transposed: dst [Lr, ldt] gets at
 * (p, m) channel chan0+m of src at position p, zeros at dropped positions
 * and for m >= M. */
void ar_il_scatter_t(const ar_il_geom_t *g, const float *src, size_t img, int chan0, int M,
                     size_t ldt, float *dst);

#endif
