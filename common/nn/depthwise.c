/* depthwise.c - direct depthwise convolution, plane by plane.
 * Loops run tap by tap over whole output rows, so the innermost loop is a
 * unit-stride multiply-add (vectorised) when the stride is 1. */
#include "nn/depthwise.h"

#include <assert.h>
#include <string.h>

#include "nn/im2col.h"
#include "nn/par.h"

typedef struct {
    const ar_conv_cfg_t *c;
    const ar_tensor_t *x, *dy;
    ar_tensor_t *y, *dx;
    const float *weight, *bias;
    float *dweight, *dbias;
} dw_job_t;

/* Channels [k0, k1) of thread tid out of T (channels are independent, so
 * results do not depend on T). */
static void dw_range(const ar_conv_cfg_t *c, int tid, int T, int *k0, int *k1)
{
    *k0 = (int)((long)c->cin * tid / T);
    *k1 = (int)((long)c->cin * (tid + 1) / T);
}

static void dw_forward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                       const float *bias, ar_tensor_t *y, int k0, int k1)
{
    const int n = (int)x->shape[0], ch = c->cin, h = (int)x->shape[2], w = (int)x->shape[3];
    const int ho = (int)y->shape[2], wo = (int)y->shape[3];
    const size_t hw = (size_t)h * w, howo = (size_t)ho * wo;
    for (int b = 0; b < n; b++) {
        for (int k = k0; k < k1; k++) {
            const float *xp = x->data + ((size_t)b * ch + k) * hw;
            float *yp = y->data + ((size_t)b * ch + k) * howo;
            const float *wk = weight + (size_t)k * c->kh * c->kw;
            const float b0 = bias ? bias[k] : 0.0f;
            for (size_t p = 0; p < howo; p++)
                yp[p] = b0;
            for (int i = 0; i < c->kh; i++) {
                int oh_lo, oh_hi;
                const int hoff = i * c->dh - c->ph;
                ar_conv_tap_range(hoff, c->sh, h, ho, &oh_lo, &oh_hi);
                for (int j = 0; j < c->kw; j++) {
                    int ow_lo, ow_hi;
                    const int woff = j * c->dw - c->pw;
                    ar_conv_tap_range(woff, c->sw, w, wo, &ow_lo, &ow_hi);
                    const float wv = wk[i * c->kw + j];
                    for (int oh = oh_lo; oh < oh_hi; oh++) {
                        const float *xr = xp + (size_t)(oh * c->sh + hoff) * w;
                        float *yr = yp + (size_t)oh * wo;
                        if (c->sw == 1) {
                            for (int ow = ow_lo; ow < ow_hi; ow++)
                                yr[ow] += wv * xr[ow + woff];
                        } else {
                            const int s = c->sw;
                            for (int ow = ow_lo; ow < ow_hi; ow++)
                                yr[ow] += wv * xr[ow * s + woff];
                        }
                    }
                }
            }
        }
    }
}

static void dw_backward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                        const ar_tensor_t *dy, ar_tensor_t *dx, float *dweight, float *dbias,
                        int k0, int k1)
{
    const int n = (int)x->shape[0], ch = c->cin, h = (int)x->shape[2], w = (int)x->shape[3];
    const int ho = (int)dy->shape[2], wo = (int)dy->shape[3];
    const size_t hw = (size_t)h * w, howo = (size_t)ho * wo;
    const int taps = c->kh * c->kw;
    for (int b = 0; b < n; b++) {
        for (int k = k0; k < k1; k++) {
            const float *xp = x->data + ((size_t)b * ch + k) * hw;
            const float *gp = dy->data + ((size_t)b * ch + k) * howo;
            float *dxp = dx ? dx->data + ((size_t)b * ch + k) * hw : NULL;
            const float *wk = weight + (size_t)k * taps;
            if (dbias) {
                float acc[16] = {0};
                size_t p = 0;
                for (; p + 16 <= howo; p += 16)
                    for (int q = 0; q < 16; q++)
                        acc[q] += gp[p + q];
                float s = 0.0f;
                for (; p < howo; p++)
                    s += gp[p];
                for (int q = 0; q < 16; q++)
                    s += acc[q];
                dbias[k] += s;
            }
            for (int i = 0; i < c->kh; i++) {
                int oh_lo, oh_hi;
                const int hoff = i * c->dh - c->ph;
                ar_conv_tap_range(hoff, c->sh, h, ho, &oh_lo, &oh_hi);
                for (int j = 0; j < c->kw; j++) {
                    int ow_lo, ow_hi;
                    const int woff = j * c->dw - c->pw;
                    ar_conv_tap_range(woff, c->sw, w, wo, &ow_lo, &ow_hi);
                    const float wv = wk[i * c->kw + j];
                    float dwacc = 0.0f;
                    for (int oh = oh_lo; oh < oh_hi; oh++) {
                        const size_t xoff = (size_t)(oh * c->sh + hoff) * w;
                        const float *gr = gp + (size_t)oh * wo;
                        const int s = c->sw;
                        if (dweight) {
                            const float *xr = xp + xoff;
                            float racc = 0.0f;
                            for (int ow = ow_lo; ow < ow_hi; ow++)
                                racc += gr[ow] * xr[ow * s + woff];
                            dwacc += racc;
                        }
                        if (dxp) {
                            float *dr = dxp + xoff;
                            if (s == 1) {
                                for (int ow = ow_lo; ow < ow_hi; ow++)
                                    dr[ow + woff] += wv * gr[ow];
                            } else {
                                for (int ow = ow_lo; ow < ow_hi; ow++)
                                    dr[ow * s + woff] += wv * gr[ow];
                            }
                        }
                    }
                    if (dweight)
                        dweight[(size_t)k * taps + i * c->kw + j] += dwacc;
                }
            }
        }
    }
}

static void dw_forward_worker(void *ctx, int tid, int T)
{
    const dw_job_t *j = ctx;
    int k0, k1;
    dw_range(j->c, tid, T, &k0, &k1);
    dw_forward(j->c, j->x, j->weight, j->bias, j->y, k0, k1);
}

static void dw_backward_worker(void *ctx, int tid, int T)
{
    const dw_job_t *j = ctx;
    int k0, k1;
    dw_range(j->c, tid, T, &k0, &k1);
    dw_backward(j->c, j->x, j->weight, j->dy, j->dx, j->dweight, j->dbias, k0, k1);
}

static int dw_threads(const ar_conv_cfg_t *c)
{
    int t = c->threads < 1 ? 1 : c->threads;
    return t < c->cin ? t : c->cin;
}

void ar_depthwise_forward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                          const float *bias, ar_tensor_t *y)
{
    dw_job_t j = {c, x, NULL, y, NULL, weight, bias, NULL, NULL};
    ar_par_run(dw_threads(c), dw_forward_worker, &j);
}

void ar_depthwise_backward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                           const ar_tensor_t *dy, ar_tensor_t *dx, float *dweight, float *dbias)
{
    dw_job_t j = {c, x, dy, NULL, dx, weight, NULL, dweight, dbias};
    ar_par_run(dw_threads(c), dw_backward_worker, &j);
}
