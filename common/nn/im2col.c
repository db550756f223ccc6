/* im2col.c - unfold / fold a chunk of images for the GEMM convolution path.
 * Rows are filled tap by tap so the inner loop is a contiguous copy when the
 * stride is 1; the valid output range of every tap is computed once. */
#include "nn/im2col.h"

#include <string.h>

void ar_conv_tap_range(int off, int stride, int n, int out, int *lo, int *hi)
{
    /* o*stride + off >= 0  <=>  o >= ceil(-off/stride) */
    int l = off >= 0 ? 0 : (-off + stride - 1) / stride;
    /* o*stride + off <= n-1  <=>  o <= floor((n-1-off)/stride) */
    int h = n - 1 - off < 0 ? 0 : (n - 1 - off) / stride + 1;
    if (h > out)
        h = out;
    if (l > h)
        l = h;
    *lo = l;
    *hi = h;
}

void ar_im2col_chunk(const ar_conv_cfg_t *c, const float *x, int nb, int h, int w, int g,
                     int ho, int wo, float *col)
{
    const int cig = c->cin / c->groups;
    const size_t hw = (size_t)h * w, howo = (size_t)ho * wo;
    const size_t img = (size_t)c->cin * hw, P = (size_t)nb * howo;
    for (int ci = 0; ci < cig; ci++) {
        for (int i = 0; i < c->kh; i++) {
            int oh_lo, oh_hi;
            const int hoff = i * c->dh - c->ph;
            ar_conv_tap_range(hoff, c->sh, h, ho, &oh_lo, &oh_hi);
            for (int j = 0; j < c->kw; j++) {
                int ow_lo, ow_hi;
                const int woff = j * c->dw - c->pw;
                ar_conv_tap_range(woff, c->sw, w, wo, &ow_lo, &ow_hi);
                float *row = col + ((size_t)(ci * c->kh + i) * c->kw + j) * P;
                for (int b = 0; b < nb; b++) {
                    const float *xp = x + b * img + (size_t)(g * cig + ci) * hw;
                    float *dst = row + b * howo;
                    memset(dst, 0, (size_t)oh_lo * wo * sizeof(float));
                    for (int oh = oh_lo; oh < oh_hi; oh++) {
                        const float *src = xp + (size_t)(oh * c->sh + hoff) * w;
                        float *d = dst + (size_t)oh * wo;
                        for (int ow = 0; ow < ow_lo; ow++)
                            d[ow] = 0.0f;
                        if (c->sw == 1) {
                            memcpy(d + ow_lo, src + ow_lo + woff, (size_t)(ow_hi - ow_lo) * sizeof(float));
                        } else {
                            const int s = c->sw;
                            for (int ow = ow_lo; ow < ow_hi; ow++)
                                d[ow] = src[ow * s + woff];
                        }
                        for (int ow = ow_hi; ow < wo; ow++)
                            d[ow] = 0.0f;
                    }
                    memset(dst + (size_t)oh_hi * wo, 0, (size_t)(ho - oh_hi) * wo * sizeof(float));
                }
            }
        }
    }
}

void ar_col2im_chunk(const ar_conv_cfg_t *c, const float *col, int nb, int h, int w, int g,
                     int ho, int wo, float *dx)
{
    const int cig = c->cin / c->groups;
    const size_t hw = (size_t)h * w, howo = (size_t)ho * wo;
    const size_t img = (size_t)c->cin * hw, P = (size_t)nb * howo;
    for (int b = 0; b < nb; b++) {
        for (int ci = 0; ci < cig; ci++) {
            float *xp = dx + b * img + (size_t)(g * cig + ci) * hw;
            for (int i = 0; i < c->kh; i++) {
                int oh_lo, oh_hi;
                const int hoff = i * c->dh - c->ph;
                ar_conv_tap_range(hoff, c->sh, h, ho, &oh_lo, &oh_hi);
                for (int j = 0; j < c->kw; j++) {
                    int ow_lo, ow_hi;
                    const int woff = j * c->dw - c->pw;
                    ar_conv_tap_range(woff, c->sw, w, wo, &ow_lo, &ow_hi);
                    const float *src =
                        col + ((size_t)(ci * c->kh + i) * c->kw + j) * P + b * howo;
                    for (int oh = oh_lo; oh < oh_hi; oh++) {
                        float *d = xp + (size_t)(oh * c->sh + hoff) * w;
                        const float *s = src + (size_t)oh * wo;
                        if (c->sw == 1) {
                            for (int ow = ow_lo; ow < ow_hi; ow++)
                                d[ow + woff] += s[ow];
                        } else {
                            const int st = c->sw;
                            for (int ow = ow_lo; ow < ow_hi; ow++)
                                d[ow * st + woff] += s[ow];
                        }
                    }
                }
            }
        }
    }
}
