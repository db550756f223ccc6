/* basic_ops.c - relu, clamp, silu, hardswish, linear (SGEMM), add, concat and
 * softmax cross-entropy. */
#include "nn/basic_ops.h"

#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "nn/dispatch.h"
#include "nn/vec.h"

AR_KERNEL
void ar_relu_forward(const ar_tensor_t *x, ar_tensor_t *y)
{
    assert(ar_tensor_numel(x) == ar_tensor_numel(y));
    const int64_t n = ar_tensor_numel(x);
    const float *xp = x->data;
    float *yp = y->data;
    for (int64_t i = 0; i < n; i++)
        yp[i] = ar_relu1(xp[i]);
}

AR_KERNEL
void ar_relu_backward(const ar_tensor_t *y, const ar_tensor_t *dy, ar_tensor_t *dx)
{
    if (!dx)
        return;
    assert(ar_tensor_numel(y) == ar_tensor_numel(dy) && ar_tensor_numel(y) == ar_tensor_numel(dx));
    const int64_t n = ar_tensor_numel(y);
    const float *yp = y->data, *gp = dy->data;
    float *dp = dx->data;
    for (int64_t i = 0; i < n; i++)
        dp[i] += yp[i] > 0.0f ? gp[i] : 0.0f;
}

AR_KERNEL
void ar_clamp_forward(const ar_tensor_t *x, ar_tensor_t *y, float lo, float hi)
{
    assert(ar_tensor_numel(x) == ar_tensor_numel(y));
    const int64_t n = ar_tensor_numel(x);
    const float *xp = x->data;
    float *yp = y->data;
    for (int64_t i = 0; i < n; i++)
        yp[i] = ar_clamp1(xp[i], lo, hi);
}

AR_KERNEL
void ar_clamp_backward(const ar_tensor_t *y, const ar_tensor_t *dy, ar_tensor_t *dx, float lo,
                       float hi)
{
    if (!dx)
        return;
    assert(ar_tensor_numel(y) == ar_tensor_numel(dy) && ar_tensor_numel(y) == ar_tensor_numel(dx));
    const int64_t n = ar_tensor_numel(y);
    const float *yp = y->data, *gp = dy->data;
    float *dp = dx->data;
    for (int64_t i = 0; i < n; i++)
        dp[i] += yp[i] > lo && yp[i] < hi ? gp[i] : 0.0f;
}

void ar_silu_forward(const ar_tensor_t *x, ar_tensor_t *y)
{
    assert(ar_tensor_numel(x) == ar_tensor_numel(y));
    const int64_t n = ar_tensor_numel(x);
    const float *xp = x->data;
    float *yp = y->data;
    for (int64_t i = 0; i < n; i++)
        yp[i] = xp[i] / (1.0f + expf(-xp[i]));
}

void ar_silu_backward(const ar_tensor_t *x, const ar_tensor_t *dy, ar_tensor_t *dx)
{
    if (!dx)
        return;
    assert(ar_tensor_numel(x) == ar_tensor_numel(dy) && ar_tensor_numel(x) == ar_tensor_numel(dx));
    const int64_t n = ar_tensor_numel(x);
    const float *xp = x->data, *gp = dy->data;
    float *dp = dx->data;
    for (int64_t i = 0; i < n; i++) {
        const float s = 1.0f / (1.0f + expf(-xp[i]));
        dp[i] += gp[i] * s * (1.0f + xp[i] * (1.0f - s));
    }
}

AR_KERNEL
void ar_hardswish_forward(const ar_tensor_t *x, ar_tensor_t *y)
{
    assert(ar_tensor_numel(x) == ar_tensor_numel(y));
    const int64_t n = ar_tensor_numel(x);
    const float *xp = x->data;
    float *yp = y->data;
    for (int64_t i = 0; i < n; i++)
        yp[i] = xp[i] * ar_clamp1(xp[i] + 3.0f, 0.0f, 6.0f) / 6.0f;
}

AR_KERNEL
void ar_hardswish_backward(const ar_tensor_t *x, const ar_tensor_t *dy, ar_tensor_t *dx)
{
    if (!dx)
        return;
    assert(ar_tensor_numel(x) == ar_tensor_numel(dy) && ar_tensor_numel(x) == ar_tensor_numel(dx));
    const int64_t n = ar_tensor_numel(x);
    const float *xp = x->data, *gp = dy->data;
    float *dp = dx->data;
    for (int64_t i = 0; i < n; i++) {
        const float v = xp[i];
        dp[i] += v < -3.0f ? 0.0f : v <= 3.0f ? gp[i] * (v / 3.0f + 0.5f) : gp[i];
    }
}

void ar_linear_forward(const ar_tensor_t *x, const float *weight, const float *bias, ar_tensor_t *y)
{
    assert(x->ndim == 2 && y->ndim == 2 && x->shape[0] == y->shape[0]);
    const int n = (int)x->shape[0], in = (int)x->shape[1], out = (int)y->shape[1];
    if (bias)
        for (int i = 0; i < n; i++)
            memcpy(y->data + (size_t)i * out, bias, (size_t)out * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x->data, in, weight,
                in, bias ? 1.0f : 0.0f, y->data, out);
}

void ar_linear_backward(const ar_tensor_t *x, const float *weight, const ar_tensor_t *dy,
                        ar_tensor_t *dx, float *dweight, float *dbias)
{
    assert(x->ndim == 2 && dy->ndim == 2 && x->shape[0] == dy->shape[0]);
    assert(!dx || ar_tensor_same_shape(x, dx));
    const int n = (int)x->shape[0], in = (int)x->shape[1], out = (int)dy->shape[1];
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.0f, dy->data, out,
                    weight, in, 1.0f, dx->data, in);
    if (dweight)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0f, dy->data, out,
                    x->data, in, 1.0f, dweight, in);
    if (dbias)
        for (int i = 0; i < n; i++) {
            const float *g = dy->data + (size_t)i * out;
            for (int o = 0; o < out; o++)
                dbias[o] += g[o];
        }
}

void ar_add_forward(const ar_tensor_t *const *xs, int n, ar_tensor_t *y)
{
    ar_add_forward_span(xs, n, y, 0, ar_tensor_numel(y), 0);
}

/* 16 floats at a time, each group loaded from every input before it is
 * stored: y may alias any input. Summed in input order; relu as ar_relu1
 * (an AND with the comparison, vec.h). The
 * earlier version summed 512-float blocks in a stack buffer through two
 * memcpy calls per block: 4% of resnet20 inference. */
AR_KERNEL
void ar_add_forward_span(const ar_tensor_t *const *xs, int n, ar_tensor_t *y, int64_t lo,
                         int64_t hi, int relu)
{
    assert(n >= 1 && 0 <= lo && lo <= hi && hi <= ar_tensor_numel(y));
    for (int k = 0; k < n; k++)
        assert(ar_tensor_numel(xs[k]) == ar_tensor_numel(y));
    int64_t i = lo;
    for (; i + 16 <= hi; i += 16) {
        ar_vf16 s, t;
        memcpy(&s, xs[0]->data + i, sizeof s);
        for (int k = 1; k < n; k++) {
            memcpy(&t, xs[k]->data + i, sizeof t);
            s += t;
        }
        if (relu)
            s = (ar_vf16)((ar_vi16)s & (s > 0.0f));
        memcpy(y->data + i, &s, sizeof s);
    }
    for (; i < hi; i++) {
        float v = xs[0]->data[i];
        for (int k = 1; k < n; k++)
            v += xs[k]->data[i];
        y->data[i] = relu ? ar_relu1(v) : v;
    }
}

void ar_concat_forward(const ar_tensor_t *const *xs, int n, ar_tensor_t *y)
{
    assert(y->ndim == 4 && n >= 1);
    const int64_t N = y->shape[0], C = y->shape[1], hw = y->shape[2] * y->shape[3];
    int64_t c0 = 0;
    for (int k = 0; k < n; k++) {
        const ar_tensor_t *x = xs[k];
        assert(x->ndim == 4 && x->shape[0] == N && x->shape[2] * x->shape[3] == hw);
        const int64_t ck = x->shape[1];
        for (int64_t b = 0; b < N; b++)
            memcpy(y->data + (b * C + c0) * hw, x->data + b * ck * hw,
                   (size_t)(ck * hw) * sizeof(float));
        c0 += ck;
    }
    assert(c0 == C);
}

void ar_concat_backward(const ar_tensor_t *dy, ar_tensor_t *const *dxs, int n)
{
    assert(dy->ndim == 4);
    const int64_t N = dy->shape[0], C = dy->shape[1], hw = dy->shape[2] * dy->shape[3];
    int64_t c0 = 0;
    for (int k = 0; k < n; k++) {
        ar_tensor_t *dx = dxs[k];
        assert(dx->ndim == 4 && dx->shape[0] == N && dx->shape[2] * dx->shape[3] == hw);
        const int64_t ck = dx->shape[1], len = ck * hw;
        for (int64_t b = 0; b < N; b++) {
            const float *src = dy->data + (b * C + c0) * hw;
            float *dst = dx->data + b * len;
            for (int64_t i = 0; i < len; i++)
                dst[i] += src[i];
        }
        c0 += ck;
    }
    assert(c0 == C);
}

/* log(sum_k exp(z_k)) of one row, shifted by its maximum (z[*best]). */
static double log_sum_exp(const float *z, int64_t K, int64_t *best)
{
    *best = ar_argmax(z, K);
    const double m = z[*best];
    double s = 0.0;
    for (int64_t k = 0; k < K; k++)
        s += exp((double)z[k] - m);
    return m + log(s);
}

double ar_softmax_xent(const ar_tensor_t *logits, const int32_t *labels, ar_tensor_t *dlogits,
                       int64_t *correct)
{
    assert(logits->ndim == 2 && logits->shape[0] > 0);
    assert(!dlogits || ar_tensor_same_shape(logits, dlogits));
    const int64_t N = logits->shape[0], K = logits->shape[1];
    double loss = 0.0;
    int64_t right = 0;
    for (int64_t i = 0; i < N; i++) {
        const float *z = logits->data + i * K;
        const int32_t y = labels[i];
        assert(y >= 0 && y < K);
        int64_t best;
        const double lse = log_sum_exp(z, K, &best);
        right += best == y;
        loss += lse - z[y];
        if (dlogits) {
            float *d = dlogits->data + i * K;
            for (int64_t k = 0; k < K; k++)
                d[k] = (float)(exp((double)z[k] - lse) / (double)N);
            d[y] -= (float)(1.0 / (double)N);
        }
    }
    if (correct)
        *correct = right;
    return loss / (double)N;
}

double ar_softmax_xent_soft(const ar_tensor_t *logits, const int32_t *labels, const float *soft,
                            double w, ar_tensor_t *dlogits, int64_t *correct)
{
    if (!soft || w == 0) return ar_softmax_xent(logits, labels, dlogits, correct);
    assert(logits->ndim == 2 && logits->shape[0] > 0 && w >= 0 && w <= 1);
    assert(!dlogits || ar_tensor_same_shape(logits, dlogits));
    const int64_t N = logits->shape[0], K = logits->shape[1];
    double loss = 0.0;
    int64_t right = 0;
    for (int64_t i = 0; i < N; i++) {
        const float *z = logits->data + i * K, *q = soft + i * K;
        const int32_t y = labels[i];
        assert(y >= 0 && y < K);
        int64_t best;
        const double lse = log_sum_exp(z, K, &best);
        right += best == y;
        for (int64_t k = 0; k < K; k++) {
            const double t = w * (double)q[k] + (k == y ? 1.0 - w : 0.0);
            loss += t * (lse - (double)z[k]);
            if (dlogits)
                dlogits->data[i * K + k] = (float)((exp((double)z[k] - lse) - t) / (double)N);
        }
    }
    if (correct)
        *correct = right;
    return loss / (double)N;
}
