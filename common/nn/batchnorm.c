/* batchnorm.c - batch normalisation over [N, C, H, W], per channel.
 * Statistics are summed per plane in 16 float lanes (vectorised) and across
 * planes in double, with a two-pass (mean, then centred squares) variance. */
#include "nn/batchnorm.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "core/par.h"
#include "nn/basic_ops.h"
#include "nn/dispatch.h"
#include "nn/lane_sum.h"
#include "nn/vec.h"

/* Elements per thread below which a channel range is not split further. */
#define AR_BN_GRAIN_ELEMS 32768

/* Everything the per-channel workers read; each channel is computed alone,
 * so the channel ranges of ar_par_for change nothing in the results. */
typedef struct {
    const ar_bn_cfg_t *c;
    const ar_tensor_t *x, *dy;
    ar_tensor_t *y, *dx;
    const float *gamma, *beta;
    float *running_mean, *running_var, *save_mean, *save_invstd, *dgamma, *dbeta;
    const float *mean_in, *invstd_in; /* backward: the forward's statistics */
    const ar_tensor_t *yr;            /* backward with c->relu: the ReLU's output */
} bn_job_t;

/* Channels per ar_par_for run for x. */
static int64_t bn_grain(const ar_tensor_t *x)
{
    const int64_t per = x->shape[0] * x->shape[2] * x->shape[3];
    return per >= AR_BN_GRAIN_ELEMS ? 1 : AR_BN_GRAIN_ELEMS / (per ? per : 1);
}

/* Sum of (p[i] - m)^2. */
AR_INLINE float lane_sqdev(const float *p, size_t len, float m)
{
    float acc[16] = {0};
    size_t i = 0;
    for (; i + 16 <= len; i += 16)
        for (int q = 0; q < 16; q++) {
            float d = p[i + q] - m;
            acc[q] += d * d;
        }
    float s = 0.0f;
    for (; i < len; i++)
        s += (p[i] - m) * (p[i] - m);
    for (int q = 0; q < 16; q++)
        s += acc[q];
    return s;
}

/* *s1 += sum of g[i], *s2 += sum of g[i] * (p[i] - m), with g[i] taken as 0
 * where mask[i] <= 0 when mask is given (a fused ReLU's output; then
 * ar_relu_grad1's value): one pass, in 16 lanes as ar_lane_sum (GCC does
 * not vectorise the masked scalar form, hence vec.h's AND). */
AR_INLINE void lane_sum_dotdev(const float *g, const float *p, const float *mask, size_t len, float m,
                               double *s1, double *s2)
{
    ar_vf16 a1 = {0}, a2 = {0};
    const ar_vf16 mv = (ar_vf16){0} + m;
    size_t i = 0;
    for (; i + 16 <= len; i += 16) {
        ar_vf16 gv, pv, yv;
        memcpy(&gv, g + i, sizeof gv);
        memcpy(&pv, p + i, sizeof pv);
        if (mask) { /* ar_relu_grad1 */
            memcpy(&yv, mask + i, sizeof yv);
            gv = (ar_vf16){0} + (ar_vf16)((ar_vi16)gv & (yv > 0.0f));
        }
        a1 += gv;
        a2 += gv * (pv - mv);
    }
    float t1 = 0.0f, t2 = 0.0f;
    for (; i < len; i++) {
        const float gv = mask ? ar_relu_grad1(mask[i], g[i]) : g[i];
        t1 += gv;
        t2 += gv * (p[i] - m);
    }
    for (int q = 0; q < 16; q++) {
        t1 += a1[q];
        t2 += a2[q];
    }
    *s1 += t1;
    *s2 += t2;
}

/* y = x*a + b on every plane of channel k (relu: then max(0, .)). */
AR_INLINE void bn_apply(const ar_tensor_t *x, ar_tensor_t *y, int k, float a, float b, int relu)
{
    const int n = (int)x->shape[0], C = (int)x->shape[1];
    const size_t hw = (size_t)x->shape[2] * x->shape[3];
    for (int i = 0; i < n; i++) {
        const float *xp = x->data + ((size_t)i * C + k) * hw;
        float *yp = y->data + ((size_t)i * C + k) * hw;
        if (relu) {
            for (size_t p = 0; p < hw; p++) {
                float v = xp[p] * a + b;
                yp[p] = ar_relu1(v);
            }
        } else {
            for (size_t p = 0; p < hw; p++)
                yp[p] = xp[p] * a + b;
        }
    }
}

static void bn_check(const ar_bn_cfg_t *c, const ar_tensor_t *x, const ar_tensor_t *y)
{
    (void)c, (void)x, (void)y;
    assert(x->ndim == 4 && x->shape[1] == c->channels);
    assert(!y || ar_tensor_same_shape(x, y));
}

AR_KERNEL
static void bn_train_range(void *ctx, int64_t k0, int64_t k1)
{
    const bn_job_t *j = ctx;
    const ar_bn_cfg_t *c = j->c;
    const ar_tensor_t *x = j->x;
    const int n = (int)x->shape[0], C = c->channels;
    const size_t hw = (size_t)x->shape[2] * x->shape[3];
    const double M = (double)n * hw;
    for (int k = (int)k0; k < (int)k1; k++) {
        double s = 0.0;
        for (int i = 0; i < n; i++)
            s += ar_lane_sum(x->data + ((size_t)i * C + k) * hw, hw);
        const double mean = s / M;
        double ss = 0.0;
        for (int i = 0; i < n; i++)
            ss += lane_sqdev(x->data + ((size_t)i * C + k) * hw, hw, (float)mean);
        const double var = ss / M;
        const double invstd = 1.0 / sqrt(var + c->eps);
        if (j->save_mean)
            j->save_mean[k] = (float)mean;
        if (j->save_invstd)
            j->save_invstd[k] = (float)invstd;
        if (j->running_mean)
            j->running_mean[k] =
                (float)((1.0 - c->momentum) * j->running_mean[k] + c->momentum * mean);
        if (j->running_var) {
            const double unbiased = M > 1.0 ? var * M / (M - 1.0) : var;
            j->running_var[k] =
                (float)((1.0 - c->momentum) * j->running_var[k] + c->momentum * unbiased);
        }
        const double a = (j->gamma ? j->gamma[k] : 1.0) * invstd;
        const double b = (j->beta ? j->beta[k] : 0.0) - mean * a;
        bn_apply(x, j->y, k, (float)a, (float)b, c->relu);
    }
}

void ar_bn_forward_train(const ar_bn_cfg_t *c, const ar_tensor_t *x, const float *gamma,
                         const float *beta, float *running_mean, float *running_var,
                         ar_tensor_t *y, float *save_mean, float *save_invstd)
{
    bn_check(c, x, y);
    bn_job_t j = {.c = c, .x = x, .y = y, .gamma = gamma, .beta = beta,
                  .running_mean = running_mean, .running_var = running_var,
                  .save_mean = save_mean, .save_invstd = save_invstd};
    ar_par_for(c->threads, c->channels, bn_grain(x), bn_train_range, &j);
}

AR_KERNEL
static void bn_eval_range(void *ctx, int64_t k0, int64_t k1)
{
    const bn_job_t *j = ctx;
    for (int k = (int)k0; k < (int)k1; k++) {
        const double a =
            (j->gamma ? j->gamma[k] : 1.0) / sqrt((double)j->running_var[k] + j->c->eps);
        const double b = (j->beta ? j->beta[k] : 0.0) - j->running_mean[k] * a;
        bn_apply(j->x, j->y, k, (float)a, (float)b, j->c->relu);
    }
}

void ar_bn_forward_eval(const ar_bn_cfg_t *c, const ar_tensor_t *x, const float *gamma,
                        const float *beta, const float *running_mean, const float *running_var,
                        ar_tensor_t *y)
{
    bn_check(c, x, y);
    bn_job_t j = {.c = c, .x = x, .y = y, .gamma = gamma, .beta = beta,
                  .running_mean = (float *)running_mean, .running_var = (float *)running_var};
    ar_par_for(c->threads, c->channels, bn_grain(x), bn_eval_range, &j);
}

AR_KERNEL
static void bn_backward_range(void *ctx, int64_t k0, int64_t k1)
{
    const bn_job_t *j = ctx;
    const ar_tensor_t *x = j->x, *dy = j->dy;
    const int n = (int)x->shape[0], C = j->c->channels;
    const size_t hw = (size_t)x->shape[2] * x->shape[3];
    const double M = (double)n * hw;
    for (int k = (int)k0; k < (int)k1; k++) {
        const float mean = j->mean_in[k], invstd = j->invstd_in[k];
        double sdy = 0.0, sdyx = 0.0;
        for (int i = 0; i < n; i++) {
            const size_t off = ((size_t)i * C + k) * hw;
            lane_sum_dotdev(dy->data + off, x->data + off, j->yr ? j->yr->data + off : NULL, hw,
                            mean, &sdy, &sdyx);
        }
        const double sdyxhat = sdyx * invstd; /* sum dy * xhat */
        if (j->dbeta)
            j->dbeta[k] += (float)sdy;
        if (j->dgamma)
            j->dgamma[k] += (float)sdyxhat;
        if (!j->dx)
            continue;
        /* dx = g*invstd*(dy - sdy/M - xhat*sdyxhat/M), xhat = (x-mean)*invstd */
        const double g = j->gamma ? j->gamma[k] : 1.0;
        const float a = (float)(g * invstd);
        const float cx = (float)(g * invstd * invstd * invstd * sdyx / M);
        const float c0 = (float)(g * invstd * sdy / M);
        for (int i = 0; i < n; i++) {
            const size_t off = ((size_t)i * C + k) * hw;
            const float *xp = x->data + off, *gp = dy->data + off;
            float *dp = j->dx->data + off;
            if (j->yr) {
                const float *yp = j->yr->data + off;
                for (size_t p = 0; p < hw; p++) {
                    dp[p] += a * ar_relu_grad1(yp[p], gp[p]) - cx * (xp[p] - mean) - c0;
                }
            } else {
                for (size_t p = 0; p < hw; p++)
                    dp[p] += a * gp[p] - cx * (xp[p] - mean) - c0;
            }
        }
    }
}

void ar_bn_backward(const ar_bn_cfg_t *c, const ar_tensor_t *x, const float *gamma,
                    const float *save_mean, const float *save_invstd, const ar_tensor_t *y,
                    const ar_tensor_t *dy, ar_tensor_t *dx, float *dgamma, float *dbeta)
{
    bn_check(c, x, dy);
    assert(!dx || ar_tensor_same_shape(x, dx));
    assert(!c->relu || (y && ar_tensor_same_shape(x, y)));
    bn_job_t j = {.c = c, .x = x, .dy = dy, .dx = dx, .gamma = gamma, .dgamma = dgamma,
                  .dbeta = dbeta, .mean_in = save_mean, .invstd_in = save_invstd,
                  .yr = c->relu ? y : NULL};
    ar_par_for(c->threads, c->channels, bn_grain(x), bn_backward_range, &j);
}

void ar_bn_fold_into_conv(const ar_bn_cfg_t *c, const float *gamma, const float *beta,
                          const float *running_mean, const float *running_var, float *w,
                          int wsize_per_out, float *bias)
{
    for (int k = 0; k < c->channels; k++) {
        const double a = (gamma ? gamma[k] : 1.0) / sqrt((double)running_var[k] + c->eps);
        float *wk = w + (size_t)k * wsize_per_out;
        for (int i = 0; i < wsize_per_out; i++)
            wk[i] = (float)(wk[i] * a);
        bias[k] = (float)((bias[k] - running_mean[k]) * a + (beta ? beta[k] : 0.0));
    }
}
