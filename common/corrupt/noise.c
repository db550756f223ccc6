/* noise.c - gaussian, shot (Poisson), impulse (salt & pepper) and speckle
 * noise, per element of x = pixel/255, drawn in HWC order. */
#include <math.h>
#include <stdlib.h>

#include "corrupt_impl.h"

/* [table][severity]: make_cifar_c.py, make_tinyimagenet_c.py */
static const double GAUSS_SIGMA[2][5] = {{.04, .06, .08, .09, .10}, {.04, .08, .12, .15, .18}};
static const double SHOT_LAMBDA[2][5] = {{500, 250, 100, 75, 50}, {250, 100, 50, 30, 15}};
static const double IMPULSE_P[2][5] = {{.01, .02, .03, .05, .07}, {.01, .02, .05, .08, .14}};
static const double SPECKLE_C[2][5] = {{.06, .1, .12, .16, .2}, {.15, .2, .25, .3, .35}};

int ar_cx_gaussian_noise(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                         uint8_t *out, ar_err_t *err)
{
    (void)err;
    double *x = ctx->buf[0], sd = GAUSS_SIGMA[ctx->table][s];
    ar_cx_to_double(in, x, ctx->n);
    ar_cx_normals(rng, ctx->normals, ctx->n);
    for (int i = 0; i < ctx->n; i++) x[i] += sd * ctx->normals[i];
    ar_cx_to_u8(x, out, ctx->n);
    return AR_OK;
}

void ar_cx_pois_free(ar_pois_table_t **t)
{
    if (!t || !*t) return;
    free((*t)->cdf);
    free((*t)->guide);
    free(*t);
    *t = NULL;
}

/* CDF tables of Poisson(v/255 * lam) for v = 0..255 over mode +- (10 sqrt + 10),
 * the pmf by recurrence from the mode (tails beyond hold < 1e-20). */
static ar_pois_table_t *pois_build(double lam_max)
{
    ar_pois_table_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    long total = 0;
    for (int v = 0; v < 256; v++) {
        double lam = v / 255.0 * lam_max;
        int m = (int)floor(lam), r = (int)ceil(10 * sqrt(lam) + 10);
        t->lam[v] = lam;
        t->kmin[v] = m - r < 0 ? 0 : m - r;
        t->len[v] = m + r + 1 - t->kmin[v];
        t->off[v] = (int)total;
        total += t->len[v];
    }
    t->cdf = malloc(sizeof(double) * (size_t)total);
    t->guide = malloc(sizeof(int) * (size_t)total);
    double *pmf = malloc(sizeof(double) * 4096);
    if (!t->cdf || !t->guide || !pmf) {
        free(pmf);
        ar_cx_pois_free(&t);
        return NULL;
    }
    for (int v = 0; v < 256; v++) {
        double lam = t->lam[v], *c = t->cdf + t->off[v];
        int k0 = t->kmin[v], n = t->len[v];
        if (lam == 0) {
            for (int j = 0; j < n; j++) c[j] = 1.0;
            continue;
        }
        int m = (int)floor(lam) - k0;
        pmf[m] = exp((m + k0) * log(lam) - lam - lgamma(m + k0 + 1.0));
        for (int j = m + 1; j < n; j++) pmf[j] = pmf[j - 1] * lam / (j + k0);
        for (int j = m - 1; j >= 0; j--) pmf[j] = pmf[j + 1] * (j + k0 + 1) / lam;
        double acc = 0;
        for (int j = 0; j < n; j++) c[j] = (acc += pmf[j]);
    }
    for (int v = 0; v < 256; v++) {
        const double *c = t->cdf + t->off[v];
        int *g = t->guide + t->off[v], n = t->len[v], k = 0;
        for (int j = 0; j < n; j++) {
            while (k < n - 1 && c[k] <= (double)j / n) k++;
            g[j] = k;
        }
    }
    free(pmf);
    return t;
}

int ar_cx_shot_noise(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                     uint8_t *out, ar_err_t *err)
{
    double lam = SHOT_LAMBDA[ctx->table][s];
    if (!ctx->pois[s] && !(ctx->pois[s] = pois_build(lam)))
        return ar_err_set(err, AR_E_NOMEM, "corrupt: shot noise tables");
    const ar_pois_table_t *t = ctx->pois[s];
    double *x = ctx->buf[0];
    for (int i = 0; i < ctx->n; i++) {
        int v = in[i];
        const double *c = t->cdf + t->off[v];
        double u = ar_rng_uniform(rng);
        int64_t k;
        if (u >= c[t->len[v] - 1]) {
            k = ar_rng_poisson(rng, t->lam[v]); /* beyond the table: ~never */
        } else { /* smallest j with c[j] > u, from the guide */
            int n = t->len[v];
            int j = t->guide[t->off[v] + (int)(u * n)];
            while (c[j] <= u) j++;
            k = t->kmin[v] + j;
        }
        x[i] = (double)k / lam;
    }
    ar_cx_to_u8(x, out, ctx->n);
    return AR_OK;
}

/* skimage random_noise(mode='s&p', amount=p): each element is flipped with
 * probability p, to 1 or 0 with equal odds. One 64-bit draw per element: its
 * top 53 bits decide the flip, its lowest bit salt or pepper. */
int ar_cx_impulse_noise(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                        uint8_t *out, ar_err_t *err)
{
    (void)err;
    double *x = ctx->buf[0], p = IMPULSE_P[ctx->table][s];
    ar_cx_to_double(in, x, ctx->n);
    for (int i = 0; i < ctx->n; i++) {
        uint64_t r = ar_rng_u64(rng);
        double u = (double)(r >> 11) * 0x1.0p-53;
        if (u < p) x[i] = (r & 1) ? 1.0 : 0.0;
    }
    ar_cx_to_u8(x, out, ctx->n);
    return AR_OK;
}

int ar_cx_speckle_noise(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                        uint8_t *out, ar_err_t *err)
{
    (void)err;
    double *x = ctx->buf[0], sd = SPECKLE_C[ctx->table][s];
    ar_cx_to_double(in, x, ctx->n);
    ar_cx_normals(rng, ctx->normals, ctx->n);
    for (int i = 0; i < ctx->n; i++) x[i] += x[i] * sd * ctx->normals[i];
    ar_cx_to_u8(x, out, ctx->n);
    return AR_OK;
}
