/* depthwise.c - direct depthwise convolution, plane by plane.
 * Loops run tap by tap over whole output rows, so the innermost loop is a
 * unit-stride multiply-add (vectorised) when the stride is 1. */
#include "nn/depthwise.h"

#include <assert.h>
#include <string.h>

#include "core/par.h"
#include "nn/dispatch.h"
#include "nn/il_layout.h"
#include "nn/lane_sum.h"
#include "nn/microkernel.h"

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

static int dw_threads(const ar_conv_cfg_t *c)
{
    int t = c->threads < 1 ? 1 : c->threads;
    t = t > AR_PAR_MAX ? AR_PAR_MAX : t;
    return t < c->cin ? t : c->cin;
}

AR_KERNEL
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

AR_KERNEL
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
            if (dbias)
                dbias[k] += ar_lane_sum(gp, howo);
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

/* ---- stride-1 path on the padded interleaved layout ------------------- */

#define AR_DW_TARGET_POS 2048

static int dw_chunk(const ar_conv_cfg_t *c, int n, int h, int w)
{
    ar_il_geom_t g = ar_il_geom(c, 1, h, w, c->ph, c->pw, 1);
    size_t nb = AR_DW_TARGET_POS / g.L;
    nb = nb < 1 ? 1 : nb;
    return (size_t)n < nb ? n : (int)nb;
}

/* Per-thread scratch pieces (floats, 16-aligned) for a chunk of nb. */
typedef struct {
    ar_il_geom_t gx, gd;
    size_t xp, out, dyp, dxo, off, off2, wf, total;
} dw_plan_t;

static dw_plan_t dw_plan(const ar_conv_cfg_t *c, int nb, int h, int w)
{
    dw_plan_t p;
    const size_t taps = (size_t)c->kh * c->kw;
    p.gx = ar_il_geom(c, 1, h, w, c->ph, c->pw, nb);
    p.gd = ar_il_geom(c, 1, p.gx.ho, p.gx.wo, (c->kh - 1) * c->dh - c->ph,
                      (c->kw - 1) * c->dw - c->pw, nb);
    p.xp = 0;
    p.out = p.xp + p.gx.floats; /* forward output, or dy scattered for dW */
    p.dyp = p.out + ar_il_round16(p.gx.Lr);
    p.dxo = p.dyp + p.gd.floats;
    p.off = p.dxo + ar_il_round16(p.gd.Lr);
    p.off2 = p.off + ar_il_round16(taps);
    p.wf = p.off2 + ar_il_round16(taps);
    p.total = p.wf + ar_il_round16(taps);
    return p;
}

static int dw_il_ok(const ar_conv_cfg_t *c)
{
    return c->sh == 1 && c->sw == 1 && c->ph <= (c->kh - 1) * c->dh &&
           c->pw <= (c->kw - 1) * c->dw;
}

size_t ar_depthwise_scratch(const ar_conv_cfg_t *c, int n, int h, int w)
{
    if (!dw_il_ok(c))
        return 0;
    return (size_t)dw_threads(c) * dw_plan(c, dw_chunk(c, n, h, w), h, w).total;
}

typedef struct {
    dw_job_t j;
    float *scratch;
    size_t per_thread;
    int chunk;
} dw_il_job_t;

static void dw_il_forward_worker(void *ctx, int tid, int T)
{
    const dw_il_job_t *q = ctx;
    const ar_conv_cfg_t *c = q->j.c;
    const int n = (int)q->j.x->shape[0], h = (int)q->j.x->shape[2], w = (int)q->j.x->shape[3];
    const int taps = c->kh * c->kw;
    const size_t ximg = (size_t)c->cin * h * w;
    const size_t yimg = (size_t)c->cout * q->j.y->shape[2] * q->j.y->shape[3];
    float *sc = q->scratch + (size_t)tid * q->per_thread;
    int k0, k1;
    dw_range(c, tid, T, &k0, &k1);
    for (int n0 = 0; n0 < n; n0 += q->chunk) {
        const int nb = n - n0 < q->chunk ? n - n0 : q->chunk;
        const dw_plan_t p = dw_plan(c, nb, h, w);
        int32_t *off = (int32_t *)(sc + p.off);
        ar_il_offsets(c, &p.gx, off);
        for (int k = k0; k < k1; k++) {
            ar_il_pack(&p.gx, q->j.x->data + n0 * ximg, ximg, k, sc + p.xp);
            ar_mk_shiftsum(sc + p.xp, off, q->j.weight + (size_t)k * taps, taps, p.gx.Lr, sc + p.out);
            ar_il_unpack(&p.gx, sc + p.out, 1, q->j.y->data + n0 * yimg, yimg, k,
                         q->j.bias ? q->j.bias + k : NULL, 0, 0);
        }
    }
}

static void dw_il_backward_worker(void *ctx, int tid, int T)
{
    const dw_il_job_t *q = ctx;
    const ar_conv_cfg_t *c = q->j.c;
    const int n = (int)q->j.x->shape[0], h = (int)q->j.x->shape[2], w = (int)q->j.x->shape[3];
    const int taps = c->kh * c->kw;
    const size_t ximg = (size_t)c->cin * h * w;
    const size_t yimg = (size_t)c->cout * q->j.dy->shape[2] * q->j.dy->shape[3];
    float *sc = q->scratch + (size_t)tid * q->per_thread;
    int k0, k1;
    dw_range(c, tid, T, &k0, &k1);
    for (int n0 = 0; n0 < n; n0 += q->chunk) {
        const int nb = n - n0 < q->chunk ? n - n0 : q->chunk;
        const dw_plan_t p = dw_plan(c, nb, h, w);
        int32_t *off = (int32_t *)(sc + p.off), *off2 = (int32_t *)(sc + p.off2);
        float *wf = sc + p.wf;
        ar_il_offsets(c, &p.gx, off);
        ar_il_offsets(c, &p.gd, off2);
        for (int k = k0; k < k1; k++) {
            const float *wk = q->j.weight + (size_t)k * taps;
            if (q->j.dweight) {
                ar_il_pack(&p.gx, q->j.x->data + n0 * ximg, ximg, k, sc + p.xp);
                ar_il_scatter_t(&p.gx, q->j.dy->data + n0 * yimg, yimg, k, 1, 1, sc + p.out);
                ar_mk_shiftdot(sc + p.out, sc + p.xp, off, taps, p.gx.Lr,
                               q->j.dweight + (size_t)k * taps);
            }
            if (q->j.dx) {
                for (int t = 0; t < taps; t++)
                    wf[t] = wk[taps - 1 - t];
                ar_il_pack(&p.gd, q->j.dy->data + n0 * yimg, yimg, k, sc + p.dyp);
                ar_mk_shiftsum(sc + p.dyp, off2, wf, taps, p.gd.Lr, sc + p.dxo);
                ar_il_unpack(&p.gd, sc + p.dxo, 1, q->j.dx->data + n0 * ximg, ximg, k, NULL, 1,
                             0);
            }
        }
        if (q->j.dbias)
            for (int k = k0; k < k1; k++)
                for (int b = 0; b < nb; b++)
                    q->j.dbias[k] += ar_lane_sum(q->j.dy->data + (size_t)(n0 + b) * yimg +
                                                   (size_t)k * q->j.dy->shape[2] * q->j.dy->shape[3],
                                               (size_t)q->j.dy->shape[2] * q->j.dy->shape[3]);
    }
}

/* ---- entry points ----------------------------------------------------- */

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

void ar_depthwise_forward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                          const float *bias, ar_tensor_t *y, float *scratch)
{
    dw_job_t j = {c, x, NULL, y, NULL, weight, bias, NULL, NULL};
    if (dw_il_ok(c)) {
        const int h = (int)x->shape[2], w = (int)x->shape[3];
        const int chunk = dw_chunk(c, (int)x->shape[0], h, w);
        dw_il_job_t q = {j, scratch, dw_plan(c, chunk, h, w).total, chunk};
        ar_par_run(dw_threads(c), dw_il_forward_worker, &q);
        return;
    }
    ar_par_run(dw_threads(c), dw_forward_worker, &j);
}

void ar_depthwise_backward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                           const ar_tensor_t *dy, ar_tensor_t *dx, float *dweight, float *dbias,
                           float *scratch)
{
    dw_job_t j = {c, x, dy, NULL, dx, weight, NULL, dweight, dbias};
    if (dw_il_ok(c)) {
        const int h = (int)x->shape[2], w = (int)x->shape[3];
        const int chunk = dw_chunk(c, (int)x->shape[0], h, w);
        dw_il_job_t q = {j, scratch, dw_plan(c, chunk, h, w).total, chunk};
        ar_par_run(dw_threads(c), dw_il_backward_worker, &q);
        return;
    }
    ar_par_run(dw_threads(c), dw_backward_worker, &j);
}
