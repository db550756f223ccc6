/* blur.c - defocus, glass, motion, zoom and gaussian blur. Spatial parameters
 * (radii, sigmas) are the table's values times ctx->f (corrupt_impl.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "corrupt_impl.h"
#include "filter.h"
#include "resize.h"

/* [table][severity]: make_cifar_c.py, make_tinyimagenet_c.py */
static const double DEFOCUS[2][5][2] = {{{.3, .4}, {.4, .5}, {.5, .6}, {1, .2}, {1.5, .1}},
                                        {{.5, .6}, {1, .1}, {1.5, .1}, {2.5, .01}, {3, .1}}};
static const double GLASS_SIGMA[2][5] = {{.05, .25, .4, .25, .4}, {.1, .5, .6, .7, .9}};
static const int GLASS_DELTA[2][5] = {{1, 1, 1, 1, 1}, {1, 1, 1, 2, 2}};
static const int GLASS_ITERS[2][5] = {{1, 1, 1, 2, 2}, {1, 1, 2, 1, 2}};
static const double MOTION[2][5][2] = {{{6, 1}, {6, 1.5}, {6, 2}, {8, 2}, {9, 2.5}},
                                       {{10, 1}, {10, 1.5}, {10, 2}, {10, 2.5}, {12, 3}}};
/* np.arange(1, E, 0.01) lengths for E = 1.06 1.11 1.16 1.21 1.26 (both tables) */
static const int ZOOM_COUNT[2][5] = {{7, 12, 16, 21, 26}, {7, 12, 16, 21, 26}};
static const double GBLUR_SIGMA[2][5] = {{.4, .6, .7, .8, 1}, {.5, .75, 1, 1.25, 1.5}};

int ar_cx_defocus_prepare(ar_corrupt_ctx_t *ctx, ar_err_t *err)
{
    for (int s = 0; s < AR_CORRUPT_SEVERITIES; s++) {
        double r = ar_cx_len(ctx, DEFOCUS[ctx->table][s][0]), a = ar_cx_len(ctx, DEFOCUS[ctx->table][s][1]);
        int L = r <= 8 ? 8 : (int)ceil(r);
        long cap = 3L * (2 * L + 1) * (2 * L + 1);
        double *k = malloc(sizeof(double) * (size_t)cap);
        if (!k) return ar_err_set(err, AR_E_NOMEM, "corrupt: defocus kernel");
        int size = 0;
        if (ar_disk_kernel(r, a, k, (int)cap, &size) != 0) {
            free(k);
            return ar_err_set(err, AR_E_INTERNAL, "corrupt: defocus kernel does not fit");
        }
        ctx->disk[s] = k;
        ctx->disk_kh[s] = ctx->disk_kw[s] = size;
    }
    return AR_OK;
}

int ar_cx_defocus_blur(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                       uint8_t *out, ar_err_t *err)
{
    (void)rng, (void)err;
    double *x = ctx->buf[0], *y = ctx->buf[1];
    ar_cx_to_double(in, x, ctx->n);
    ar_filter_2d(x, y, ctx->h, ctx->w, ctx->c, ctx->disk[s], ctx->disk_kh[s], ctx->disk_kw[s],
                 AR_BORDER_MIRROR);
    ar_cx_to_u8(y, out, ctx->n);
    return AR_OK;
}

/* skimage gaussian(multichannel) = scipy gaussian_filter, truncate 4,
 * mode 'nearest'. */
static int blur_nearest(ar_corrupt_ctx_t *ctx, const double *in, double *out, double sigma,
                        ar_err_t *err)
{
    if (ar_gauss_blur(in, out, ctx->buf[5], ctx->h, ctx->w, ctx->c, sigma, 4.0,
                      AR_BORDER_NEAREST) != 0)
        return ar_err_set(err, AR_E_ARG, "corrupt: blur sigma %g too large", sigma);
    return AR_OK;
}

int ar_cx_glass_blur(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                     uint8_t *out, ar_err_t *err)
{
    int h = ctx->h, w = ctx->w, c = ctx->c, n = ctx->n, d = GLASS_DELTA[ctx->table][s];
    double sigma = ar_cx_len(ctx, GLASS_SIGMA[ctx->table][s]);
    double *x = ctx->buf[0], *y = ctx->buf[1];
    uint8_t *u = ctx->u8[0];
    ar_cx_to_double(in, x, n);
    int st = blur_nearest(ctx, x, y, sigma, err);
    if (st) return st;
    ar_cx_to_u8(y, u, n);
    /* copy (not swap: numpy's tuple assignment of views) from a random
     * neighbour, scanning bottom-up, right-to-left */
    for (int it = 0; it < GLASS_ITERS[ctx->table][s]; it++)
        for (int hh = h - d; hh > d; hh--)
            for (int ww = w - d; ww > d; ww--) {
                int dx = (int)ar_rng_below(rng, (uint64_t)(2 * d)) - d;
                int dy = (int)ar_rng_below(rng, (uint64_t)(2 * d)) - d;
                int hp = hh + dy, wp = ww + dx;
                memcpy(u + ((long)hh * w + ww) * c, u + ((long)hp * w + wp) * c, (size_t)c);
            }
    ar_cx_to_double(u, x, n);
    st = blur_nearest(ctx, x, y, sigma, err);
    if (st) return st;
    ar_cx_to_u8(y, out, n);
    return AR_OK;
}

int ar_cx_motion_blur(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                      uint8_t *out, ar_err_t *err)
{
    double angle = ar_rng_range(rng, -45.0, 45.0);
    double *x = ctx->buf[0], *y = ctx->buf[1];
    ar_cx_to_double(in, x, ctx->n);
    if (ar_motion_blur(x, y, ctx->h, ctx->w, ctx->c, ar_cx_len(ctx, MOTION[ctx->table][s][0]),
                       ar_cx_len(ctx, MOTION[ctx->table][s][1]), angle) != 0)
        return ar_err_set(err, AR_E_ARG, "corrupt: motion blur too wide for this image");
    ar_cx_to_u8_round(y, out, ctx->n); /* ImageMagick's 8-bit export rounds */
    return AR_OK;
}

int ar_cx_zoom_blur(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                    uint8_t *out, ar_err_t *err)
{
    (void)rng, (void)err;
    int n = ctx->n, cnt = ZOOM_COUNT[ctx->table][s];
    double *x = ctx->buf[0], *acc = ctx->buf[1];
    ar_cx_to_double(in, x, n);
    memset(acc, 0, sizeof(double) * (size_t)n);
    for (int i = 0; i < cnt; i++) /* numpy arange: start + i * step */
        ar_clipped_zoom_add(x, acc, ctx->h, ctx->w, ctx->c, 1.0 + i * 0.01);
    for (int j = 0; j < n; j++) acc[j] = (x[j] + acc[j]) / (cnt + 1);
    ar_cx_to_u8(acc, out, n);
    return AR_OK;
}

int ar_cx_gaussian_blur(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                        uint8_t *out, ar_err_t *err)
{
    (void)rng;
    double *x = ctx->buf[0], *y = ctx->buf[1];
    ar_cx_to_double(in, x, ctx->n);
    int st = blur_nearest(ctx, x, y, ar_cx_len(ctx, GBLUR_SIGMA[ctx->table][s]), err);
    if (st) return st;
    ar_cx_to_u8(y, out, ctx->n);
    return AR_OK;
}
