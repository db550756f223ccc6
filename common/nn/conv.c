/* conv.c - 2-D convolution: path choice, scratch sizing, the im2col + SGEMM
 * path over chunks of images, and the direct 1x1 GEMM path.
 *
 * Paths (chosen from the config and the input size only, so forward,
 * backward and ar_conv2d_scratch_floats always agree):
 *   depthwise  groups == cin == cout            -> depthwise.c, no scratch
 *   direct 1x1 1x1, stride 1, no padding, and h*w >= AR_CONV_DIRECT_MIN_HW
 *                                               -> one SGEMM per (image,
 *                                                  group) on x itself
 *   gemm       everything else: a chunk of nb images is unfolded to
 *              col [K, nb*ho*wo] so each SGEMM is big even for small planes.
 */
#include "nn/conv.h"

#include <assert.h>
#include <cblas.h>
#include <string.h>

#include "nn/conv_direct.h"
#include "nn/depthwise.h"
#include "nn/im2col.h"

/* Columns per SGEMM the gemm path aims for (chunk of nb images). */
#define AR_CONV_TARGET_COLS 2048
/* Below this plane size a 1x1 conv goes through the chunked gemm path. */
#define AR_CONV_DIRECT_MIN_HW 256

typedef enum {
    CONV_PATH_GEMM,
    CONV_PATH_DIRECT1X1,
    CONV_PATH_DEPTHWISE,
    CONV_PATH_IMPLICIT
} conv_path_t;

static int conv_out(int n, int k, int s, int p, int d)
{
    int num = n + 2 * p - d * (k - 1) - 1;
    if (n <= 0 || k <= 0 || s <= 0 || d <= 0 || p < 0 || num < 0)
        return 0;
    return num / s + 1;
}

int ar_conv2d_out_h(const ar_conv_cfg_t *c, int h) { return conv_out(h, c->kh, c->sh, c->ph, c->dh); }
int ar_conv2d_out_w(const ar_conv_cfg_t *c, int w) { return conv_out(w, c->kw, c->sw, c->pw, c->dw); }

static conv_path_t conv_path(const ar_conv_cfg_t *c, int h, int w)
{
    if (c->groups == c->cin && c->cin == c->cout)
        return CONV_PATH_DEPTHWISE;
    if (ar_conv_direct_ok(c))
        return CONV_PATH_IMPLICIT;
    if (c->kh == 1 && c->kw == 1 && c->sh == 1 && c->sw == 1 && c->ph == 0 && c->pw == 0 &&
        (size_t)h * w >= AR_CONV_DIRECT_MIN_HW)
        return CONV_PATH_DIRECT1X1;
    return CONV_PATH_GEMM;
}

/* Images per chunk on the gemm path for planes of howo outputs. */
static int conv_chunk(int n, size_t howo)
{
    size_t nb = AR_CONV_TARGET_COLS / howo;
    if (nb < 1)
        nb = 1;
    return (size_t)n < nb ? n : (int)nb;
}

size_t ar_conv2d_scratch_floats(const ar_conv_cfg_t *c, int n, int h, int w)
{
    const conv_path_t path = conv_path(c, h, w);
    if (path == CONV_PATH_IMPLICIT)
        return ar_conv_direct_scratch(c, n, h, w);
    if (path == CONV_PATH_DEPTHWISE)
        return ar_depthwise_scratch(c, n, h, w);
    if (path != CONV_PATH_GEMM)
        return 0;
    const size_t howo = (size_t)ar_conv2d_out_h(c, h) * ar_conv2d_out_w(c, w);
    const size_t k = (size_t)(c->cin / c->groups) * c->kh * c->kw;
    const size_t P = (size_t)conv_chunk(n, howo) * howo;
    return (k + (size_t)(c->cout / c->groups)) * P;
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

static void fill_bias(float *y, const float *bias, int rows, size_t len)
{
    for (int o = 0; o < rows; o++) {
        float *r = y + (size_t)o * len;
        const float b = bias[o];
        for (size_t p = 0; p < len; p++)
            r[p] = b;
    }
}

static void gemm_forward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                         const float *bias, ar_tensor_t *y, float *scratch)
{
    const int n = (int)x->shape[0], h = (int)x->shape[2], w = (int)x->shape[3];
    const int ho = (int)y->shape[2], wo = (int)y->shape[3];
    const int G = c->groups, cog = c->cout / G;
    const size_t howo = (size_t)ho * wo, img = (size_t)c->cin * h * w;
    const int K = (c->cin / G) * c->kh * c->kw;
    const int chunk = conv_chunk(n, howo);
    for (int n0 = 0; n0 < n; n0 += chunk) {
        const int nb = n - n0 < chunk ? n - n0 : chunk;
        const int P = (int)(nb * howo);
        float *col = scratch, *out = scratch + (size_t)K * P;
        for (int g = 0; g < G; g++) {
            const float *wg = weight + (size_t)g * cog * K;
            ar_im2col_chunk(c, x->data + n0 * img, nb, h, w, g, ho, wo, col);
            if (nb == 1) {
                float *yg = y->data + ((size_t)n0 * c->cout + (size_t)g * cog) * howo;
                if (bias)
                    fill_bias(yg, bias + g * cog, cog, howo);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cog, P, K, 1.0f, wg, K,
                            col, P, bias ? 1.0f : 0.0f, yg, P);
                continue;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cog, P, K, 1.0f, wg, K, col,
                        P, 0.0f, out, P);
            for (int o = 0; o < cog; o++) {
                const float b0 = bias ? bias[g * cog + o] : 0.0f;
                for (int b = 0; b < nb; b++) {
                    const float *src = out + (size_t)o * P + b * howo;
                    float *dst = y->data + ((size_t)(n0 + b) * c->cout + g * cog + o) * howo;
                    for (size_t p = 0; p < howo; p++)
                        dst[p] = src[p] + b0;
                }
            }
        }
    }
}

static void gemm_backward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                          const ar_tensor_t *dy, ar_tensor_t *dx, float *dweight, float *scratch)
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
            if (dweight) {
                ar_im2col_chunk(c, x->data + n0 * img, nb, h, w, g, ho, wo, col);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, cog, K, P, 1.0f, dyg, P,
                            col, P, 1.0f, dweight + (size_t)g * cog * K, K);
            }
            if (dx) {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, P, cog, 1.0f, wg, K,
                            dyg, P, 0.0f, col, P);
                ar_col2im_chunk(c, col, nb, h, w, g, ho, wo, dx->data + n0 * img);
            }
        }
    }
}

static void direct_forward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                           const float *bias, ar_tensor_t *y)
{
    const int n = (int)x->shape[0], G = c->groups, cig = c->cin / G, cog = c->cout / G;
    const int hw = (int)(x->shape[2] * x->shape[3]);
    for (int b = 0; b < n; b++) {
        for (int g = 0; g < G; g++) {
            const float *xg = x->data + ((size_t)b * c->cin + (size_t)g * cig) * hw;
            float *yg = y->data + ((size_t)b * c->cout + (size_t)g * cog) * hw;
            if (bias)
                fill_bias(yg, bias + g * cog, cog, hw);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cog, hw, cig, 1.0f,
                        weight + (size_t)g * cog * cig, cig, xg, hw, bias ? 1.0f : 0.0f, yg, hw);
        }
    }
}

static void direct_backward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                            const ar_tensor_t *dy, ar_tensor_t *dx, float *dweight)
{
    const int n = (int)x->shape[0], G = c->groups, cig = c->cin / G, cog = c->cout / G;
    const int hw = (int)(x->shape[2] * x->shape[3]);
    for (int b = 0; b < n; b++) {
        for (int g = 0; g < G; g++) {
            const size_t xo = ((size_t)b * c->cin + (size_t)g * cig) * hw;
            const float *gg = dy->data + ((size_t)b * c->cout + (size_t)g * cog) * hw;
            const float *wg = weight + (size_t)g * cog * cig;
            if (dweight)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, cog, cig, hw, 1.0f, gg, hw,
                            x->data + xo, hw, 1.0f, dweight + (size_t)g * cog * cig, cig);
            if (dx)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cig, hw, cog, 1.0f, wg, cig,
                            gg, hw, 1.0f, dx->data + xo, hw);
        }
    }
}

void ar_conv2d_forward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                       const float *bias, ar_tensor_t *y, float *scratch)
{
    conv_check(c, x, y);
    switch (conv_path(c, (int)x->shape[2], (int)x->shape[3])) {
    case CONV_PATH_DEPTHWISE:
        ar_depthwise_forward(c, x, weight, bias, y, scratch);
        break;
    case CONV_PATH_DIRECT1X1:
        direct_forward(c, x, weight, bias, y);
        break;
    case CONV_PATH_IMPLICIT:
        assert(scratch);
        ar_conv_direct_forward(c, x, weight, bias, y, scratch);
        break;
    case CONV_PATH_GEMM:
        assert(scratch);
        gemm_forward(c, x, weight, bias, y, scratch);
        break;
    }
}

void ar_conv2d_backward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                        const ar_tensor_t *dy, ar_tensor_t *dx, float *dweight, float *dbias,
                        float *scratch)
{
    conv_check(c, x, dy);
    assert(!dx || ar_tensor_same_shape(dx, x));
    switch (conv_path(c, (int)x->shape[2], (int)x->shape[3])) {
    case CONV_PATH_DEPTHWISE:
        ar_depthwise_backward(c, x, weight, dy, dx, dweight, dbias, scratch);
        return;
    case CONV_PATH_DIRECT1X1:
        direct_backward(c, x, weight, dy, dx, dweight);
        break;
    case CONV_PATH_IMPLICIT:
        if (dx || dweight) {
            assert(scratch);
            ar_conv_direct_backward(c, x, weight, dy, dx, dweight, scratch);
        }
        break;
    case CONV_PATH_GEMM:
        if (dx || dweight) {
            assert(scratch);
            gemm_backward(c, x, weight, dy, dx, dweight, scratch);
        }
        break;
    }
    if (dbias)
        conv_bias_grad(dy, dbias);
}
