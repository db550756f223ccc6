/* im2col.c - fold GEMM columns back into a chunk of images (the input
 * gradient of strided convs), and the valid-output range of a kernel tap.
 * The valid output range of every tap is computed once per row. */
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
