/* pool.c - max / average / global-average pooling over [N, C, H, W] planes,
 * PyTorch floor mode. Max: padding acts as -inf, the first maximum in
 * row-major window order wins, a NaN wins over numbers (the last NaN, as
 * PyTorch's CPU kernel). */
#include "nn/pool.h"

#include <assert.h>
#include <math.h>

#include "nn/dispatch.h"

static int pool_out(int n, int k, int s, int p)
{
    int num = n + 2 * p - k;
    if (n <= 0 || k <= 0 || s <= 0 || p < 0 || 2 * p > k || num < 0)
        return 0;
    return num / s + 1;
}

int ar_pool_out_h(const ar_pool_cfg_t *c, int h) { return pool_out(h, c->kh, c->sh, c->ph); }
int ar_pool_out_w(const ar_pool_cfg_t *c, int w) { return pool_out(w, c->kw, c->sw, c->pw); }

static void pool_check(const ar_pool_cfg_t *c, const ar_tensor_t *x, const ar_tensor_t *y)
{
    (void)c, (void)x, (void)y;
    assert(x->ndim == 4 && y->ndim == 4);
    assert(x->shape[0] == y->shape[0] && x->shape[1] == y->shape[1]);
    assert(y->shape[2] == ar_pool_out_h(c, (int)x->shape[2]) && y->shape[2] > 0);
    assert(y->shape[3] == ar_pool_out_w(c, (int)x->shape[3]) && y->shape[3] > 0);
}

AR_KERNEL
void ar_maxpool2d_forward(const ar_pool_cfg_t *c, const ar_tensor_t *x, ar_tensor_t *y,
                          int32_t *argmax)
{
    pool_check(c, x, y);
    const int h = (int)x->shape[2], w = (int)x->shape[3];
    const int ho = (int)y->shape[2], wo = (int)y->shape[3];
    const int64_t planes = x->shape[0] * x->shape[1];
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *xp = x->data + pl * h * w;
        float *yp = y->data + pl * ho * wo;
        int32_t *ap = argmax ? argmax + pl * ho * wo : NULL;
        for (int oh = 0; oh < ho; oh++) {
            int h0 = oh * c->sh - c->ph, h1 = h0 + c->kh;
            h0 = h0 < 0 ? 0 : h0;
            h1 = h1 > h ? h : h1;
            for (int ow = 0; ow < wo; ow++) {
                int w0 = ow * c->sw - c->pw, w1 = w0 + c->kw;
                w0 = w0 < 0 ? 0 : w0;
                w1 = w1 > w ? w : w1;
                float m = -INFINITY;
                int32_t best = h0 * w + w0;
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) {
                        const float v = xp[ih * w + iw];
                        if (v > m || isnan(v)) {
                            m = v;
                            best = ih * w + iw;
                        }
                    }
                yp[oh * wo + ow] = m;
                if (ap)
                    ap[oh * wo + ow] = best;
            }
        }
    }
}

AR_KERNEL
void ar_maxpool2d_backward(const ar_pool_cfg_t *c, const int32_t *argmax, const ar_tensor_t *dy,
                           ar_tensor_t *dx)
{
    (void)c;
    assert(dy->ndim == 4 && dx->ndim == 4 && dy->shape[1] == dx->shape[1]);
    const int64_t hw = dx->shape[2] * dx->shape[3], howo = dy->shape[2] * dy->shape[3];
    const int64_t planes = dy->shape[0] * dy->shape[1];
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *gp = dy->data + pl * howo;
        const int32_t *ap = argmax + pl * howo;
        float *dp = dx->data + pl * hw;
        for (int64_t p = 0; p < howo; p++) {
            assert(ap[p] >= 0 && ap[p] < hw);
            dp[ap[p]] += gp[p];
        }
    }
}

/* Window [h0,h1) x [w0,w1) clipped to the input; returns its divisor. */
static int avg_window(const ar_pool_cfg_t *c, int h, int w, int oh, int ow, int *h0, int *h1,
                        int *w0, int *w1)
{
    int a0 = oh * c->sh - c->ph, a1 = a0 + c->kh;
    int b0 = ow * c->sw - c->pw, b1 = b0 + c->kw;
    /* PyTorch: the padded window is clipped to [-p, n+p) before counting */
    const int pad_count = ((a1 > h + c->ph ? h + c->ph : a1) - a0) *
                          ((b1 > w + c->pw ? w + c->pw : b1) - b0);
    a0 = a0 < 0 ? 0 : a0;
    a1 = a1 > h ? h : a1;
    b0 = b0 < 0 ? 0 : b0;
    b1 = b1 > w ? w : b1;
    *h0 = a0, *h1 = a1, *w0 = b0, *w1 = b1;
    const int count = c->count_include_pad ? pad_count : (a1 - a0) * (b1 - b0);
    return count;
}

AR_KERNEL
void ar_avgpool2d_forward(const ar_pool_cfg_t *c, const ar_tensor_t *x, ar_tensor_t *y)
{
    pool_check(c, x, y);
    const int h = (int)x->shape[2], w = (int)x->shape[3];
    const int ho = (int)y->shape[2], wo = (int)y->shape[3];
    const int64_t planes = x->shape[0] * x->shape[1];
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *xp = x->data + pl * h * w;
        float *yp = y->data + pl * ho * wo;
        for (int oh = 0; oh < ho; oh++)
            for (int ow = 0; ow < wo; ow++) {
                int h0, h1, w0, w1;
                const int cnt = avg_window(c, h, w, oh, ow, &h0, &h1, &w0, &w1);
                float s = 0.0f;
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++)
                        s += xp[ih * w + iw];
                yp[oh * wo + ow] = s / (float)cnt;
            }
    }
}

AR_KERNEL
void ar_avgpool2d_backward(const ar_pool_cfg_t *c, const ar_tensor_t *dy, ar_tensor_t *dx)
{
    pool_check(c, dx, dy);
    const int h = (int)dx->shape[2], w = (int)dx->shape[3];
    const int ho = (int)dy->shape[2], wo = (int)dy->shape[3];
    const int64_t planes = dy->shape[0] * dy->shape[1];
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *gp = dy->data + pl * ho * wo;
        float *dp = dx->data + pl * h * w;
        for (int oh = 0; oh < ho; oh++)
            for (int ow = 0; ow < wo; ow++) {
                int h0, h1, w0, w1;
                const float g = gp[oh * wo + ow] /
                                (float)avg_window(c, h, w, oh, ow, &h0, &h1, &w0, &w1);
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++)
                        dp[ih * w + iw] += g;
            }
    }
}

AR_KERNEL
void ar_global_avgpool_forward(const ar_tensor_t *x, ar_tensor_t *y)
{
    assert(x->ndim == 4 && y->shape[0] == x->shape[0] && y->shape[1] == x->shape[1]);
    const int64_t hw = x->shape[2] * x->shape[3], planes = x->shape[0] * x->shape[1];
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *xp = x->data + pl * hw;
        float acc[16] = {0};
        int64_t p = 0;
        for (; p + 16 <= hw; p += 16)
            for (int q = 0; q < 16; q++)
                acc[q] += xp[p + q];
        float s = 0.0f;
        for (; p < hw; p++)
            s += xp[p];
        for (int q = 0; q < 16; q++)
            s += acc[q];
        y->data[pl] = s / (float)hw;
    }
}

AR_KERNEL
void ar_global_avgpool_backward(const ar_tensor_t *dy, ar_tensor_t *dx)
{
    assert(dx->ndim == 4 && dy->shape[0] == dx->shape[0] && dy->shape[1] == dx->shape[1]);
    const int64_t hw = dx->shape[2] * dx->shape[3], planes = dx->shape[0] * dx->shape[1];
    const float inv = 1.0f / (float)hw;
    for (int64_t pl = 0; pl < planes; pl++) {
        const float g = dy->data[pl] * inv;
        float *dp = dx->data + pl * hw;
        for (int64_t p = 0; p < hw; p++)
            dp[p] += g;
    }
}
