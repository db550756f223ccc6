/* noise.c - gaussian, shot (Poisson), impulse (salt & pepper) and speckle
 * noise, per element of x = pixel/255, drawn in HWC order. */
#include <math.h>

#include "corrupt_impl.h"

static const double GAUSS_SIGMA[5] = {.04, .06, .08, .09, .10};
static const double SHOT_LAMBDA[5] = {500, 250, 100, 75, 50};
static const double IMPULSE_P[5] = {.01, .02, .03, .05, .07};
static const double SPECKLE_C[5] = {.06, .1, .12, .16, .2};

/* x[i] += scale(x[i]) * N(0, 1) for every element, standard normals made in
 * pairs by Box-Muller from two uniforms (both outputs used, in order). */
static void add_normals(ar_rng_t *rng, double *x, int n, double sd, int multiplicative)
{
    for (int i = 0; i < n; i += 2) {
        double u1 = 1.0 - ar_rng_uniform(rng), u2 = ar_rng_uniform(rng);
        double r = sqrt(-2.0 * log(u1)), a = 6.283185307179586 * u2;
        double z[2] = {r * cos(a), r * sin(a)};
        for (int j = 0; j < 2 && i + j < n; j++) {
            double *v = x + i + j;
            *v += (multiplicative ? *v * sd : sd) * z[j];
        }
    }
}

int ar_cx_gaussian_noise(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                         uint8_t *out, ar_err_t *err)
{
    (void)err;
    double *x = ctx->buf[0], sd = GAUSS_SIGMA[s];
    ar_cx_to_double(in, x, ctx->n);
    add_normals(rng, x, ctx->n, sd, 0);
    ar_cx_to_u8(x, out, ctx->n);
    return AR_OK;
}

int ar_cx_shot_noise(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                     uint8_t *out, ar_err_t *err)
{
    (void)err;
    double *x = ctx->buf[0], lam = SHOT_LAMBDA[s];
    ar_cx_to_double(in, x, ctx->n);
    for (int i = 0; i < ctx->n; i++) x[i] = (double)ar_rng_poisson(rng, x[i] * lam) / lam;
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
    double *x = ctx->buf[0], p = IMPULSE_P[s];
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
    double *x = ctx->buf[0], sd = SPECKLE_C[s];
    ar_cx_to_double(in, x, ctx->n);
    add_normals(rng, x, ctx->n, sd, 1);
    ar_cx_to_u8(x, out, ctx->n);
    return AR_OK;
}
