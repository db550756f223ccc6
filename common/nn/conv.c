/* conv.c - 2-D convolution: path choice, scratch sizing, and the im2col +
 * SGEMM input gradient for the convs the implicit path cannot invert.
 *
 * Paths (chosen from the config only, so forward, backward and
 * ar_conv2d_scratch_floats always agree):
 *   depthwise  groups == cin == cout            -> depthwise.c
 *   implicit   every other conv                 -> conv_direct.c (forward,
 *              weight gradient, and dx when stride 1, padding <= (k-1)*d)
 *   im2col     dx of the remaining convs (strided, or over-padded): per
 *              chunk of nb images, col [K, nb*ho*wo] = W^T dY by SGEMM,
 *              then col2im adds into dx.
 */
#include "nn/conv.h"

#include <assert.h>
#include <cblas.h>
#include <string.h>

#include "nn/conv_direct.h"
#include "nn/depthwise.h"
#include "nn/im2col.h"

/* Columns per SGEMM the im2col path aims for (chunk of nb images). */
#define AR_CONV_TARGET_COLS 2048

static int conv_out(int n, int k, int s, int p, int d)
{
    int num = n + 2 * p - d * (k - 1) - 1;
    if (n <= 0 || k <= 0 || s <= 0 || d <= 0 || p < 0 || num < 0)
        return 0;
    return num / s + 1;
}

int ar_conv2d_out_h(const ar_conv_cfg_t *c, int h) { return conv_out(h, c->kh, c->sh, c->ph, c->dh); }
int ar_conv2d_out_w(const ar_conv_cfg_t *c, int w) { return conv_out(w, c->kw, c->sw, c->pw, c->dw); }

static int conv_is_depthwise(const ar_conv_cfg_t *c)
{
    return c->groups == c->cin && c->cin == c->cout;
}

/* Images per chunk on the im2col path for planes of howo outputs. */
static int conv_chunk(int n, size_t howo)
{
    size_t nb = AR_CONV_TARGET_COLS / howo;
    if (nb < 1)
        nb = 1;
    return (size_t)n < nb ? n : (int)nb;
}

size_t ar_conv2d_scratch_floats(const ar_conv_cfg_t *c, int n, int h, int w)
{
    if (conv_is_depthwise(c))
        return ar_depthwise_scratch(c, n, h, w);
    size_t s = ar_conv_direct_scratch(c, n, h, w);
    if (!ar_conv_direct_dx_ok(c)) {
        const size_t howo = (size_t)ar_conv2d_out_h(c, h) * ar_conv2d_out_w(c, w);
        const size_t k = (size_t)(c->cin / c->groups) * c->kh * c->kw;
        const size_t P = (size_t)conv_chunk(n, howo) * howo;
        const size_t g = (k + (size_t)(c->cout / c->groups)) * P;
        s = s > g ? s : g;
    }
    return s;
}

static void conv_check(const ar_conv_cfg_t *c, const ar_tensor_t *x, const ar_tensor_t *y)
{
    (void)c, (void)x, (void)y;
    assert(c->groups > 0 && c->cin % c->groups == 0 && c->cout % c->groups == 0);
    assert(x->ndim == 4 && x->shape[1] == c->cin);
    assert(y->ndim == 4 && y->shape[0] == x->shape[0] && y->shape[1] == c->cout);
    assert(y->shape[2] == ar_conv2d_out_h(c, (int)x->shape[2]) && y->shape[2] > 0);
    assert(y->shape[3] == ar_conv2d_out_w(c, (int)x->shape[3]) && y->shape[3] > 0);
}

/* Adds the sum of each output channel's gradient planes into db. */
static void conv_bias_grad(const ar_tensor_t *dy, float *db)
{
    const int n = (int)dy->shape[0], co = (int)dy->shape[1];
    const size_t howo = (size_t)dy->shape[2] * dy->shape[3];
    for (int o = 0; o < co; o++) {
        double total = 0.0;
        for (int b = 0; b < n; b++) {
            const float *g = dy->data + ((size_t)b * co + o) * howo;
            float acc[16] = {0};
            size_t p = 0;
            for (; p + 16 <= howo; p += 16)
                for (int q = 0; q < 16; q++)
                    acc[q] += g[p + q];
            float s = 0.0f;
            for (; p < howo; p++)
                s += g[p];
            for (int q = 0; q < 16; q++)
                s += acc[q];
            total += s;
        }
        db[o] += (float)total;
    }
}

/* dx += col2im(W^T dY), per chunk of images and group (im2col path). */
static void gemm_backward_dx(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                             const ar_tensor_t *dy, ar_tensor_t *dx, float *scratch)
{
    const int n = (int)x->shape[0], h = (int)x->shape[2], w = (int)x->shape[3];
    const int ho = (int)dy->shape[2], wo = (int)dy->shape[3];
    const int G = c->groups, cog = c->cout / G;
    const size_t howo = (size_t)ho * wo, img = (size_t)c->cin * h * w;
    const int K = (c->cin / G) * c->kh * c->kw;
    const int chunk = conv_chunk(n, howo);
    for (int n0 = 0; n0 < n; n0 += chunk) {
        const int nb = n - n0 < chunk ? n - n0 : chunk;
        const int P = (int)(nb * howo);
        float *col = scratch, *tmp = scratch + (size_t)K * P;
        for (int g = 0; g < G; g++) {
            const float *wg = weight + (size_t)g * cog * K;
            const float *dyg;
            if (nb == 1) {
                dyg = dy->data + ((size_t)n0 * c->cout + (size_t)g * cog) * howo;
            } else {
                for (int o = 0; o < cog; o++)
                    for (int b = 0; b < nb; b++)
                        memcpy(tmp + (size_t)o * P + b * howo,
                               dy->data + ((size_t)(n0 + b) * c->cout + g * cog + o) * howo,
                               howo * sizeof(float));
                dyg = tmp;
            }
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, P, cog, 1.0f, wg, K, dyg, P,
                        0.0f, col, P);
            ar_col2im_chunk(c, col, nb, h, w, g, ho, wo, dx->data + n0 * img);
        }
    }
}

void ar_conv2d_forward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                       const float *bias, ar_tensor_t *y, float *scratch)
{
    conv_check(c, x, y);
    assert(scratch || ar_conv2d_scratch_floats(c, (int)x->shape[0], (int)x->shape[2],
                                               (int)x->shape[3]) == 0);
    if (conv_is_depthwise(c))
        ar_depthwise_forward(c, x, weight, bias, y, scratch);
    else
        ar_conv_direct_forward(c, x, weight, bias, y, scratch);
}

void ar_conv2d_backward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                        const ar_tensor_t *dy, ar_tensor_t *dx, float *dweight, float *dbias,
                        float *scratch)
{
    conv_check(c, x, dy);
    assert(!dx || ar_tensor_same_shape(dx, x));
    assert(scratch || ar_conv2d_scratch_floats(c, (int)x->shape[0], (int)x->shape[2],
                                               (int)x->shape[3]) == 0);
    if (conv_is_depthwise(c)) {
        ar_depthwise_backward(c, x, weight, dy, dx, dweight, dbias, scratch);
        return;
    }
    const int direct_dx = ar_conv_direct_dx_ok(c);
    if (dweight || (dx && direct_dx))
        ar_conv_direct_backward(c, x, weight, dy, direct_dx ? dx : NULL, dweight, scratch);
    if (dx && !direct_dx)
        gemm_backward_dx(c, x, weight, dy, dx, scratch);
    if (dbias)
        conv_bias_grad(dy, dbias);
}
