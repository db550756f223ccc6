/* weather.c - snow, frost and fog. */
#include <math.h>
#include <string.h>

#include "color.h"
#include "corrupt_impl.h"
#include "filter.h"
#include "plasma.h"
#include "resize.h"

/* [table][severity]: make_cifar_c.py, make_tinyimagenet_c.py.
 * Snow: (mu, sigma, zoom, thr, radius, sigma, blend) */
static const double SNOW[2][5][7] = {{{.1, .2, 1, .6, 8, 3, .95},
                                      {.1, .2, 1, .5, 10, 4, .9},
                                      {.15, .3, 1.75, .55, 10, 4, .9},
                                      {.25, .3, 2.25, .6, 12, 6, .85},
                                      {.3, .3, 1.25, .65, 14, 12, .8}},
                                     {{.1, .2, 1, .6, 8, 3, .8},
                                      {.1, .2, 1, .5, 10, 4, .8},
                                      {.15, .3, 1.75, .55, 10, 4, .7},
                                      {.25, .3, 2.25, .6, 12, 6, .65},
                                      {.3, .3, 1.25, .65, 14, 12, .6}}};
static const double FROST[2][5][2] = {{{1, .2}, {1, .3}, {.9, .4}, {.85, .4}, {.75, .45}},
                                      {{1, .3}, {.9, .4}, {.8, .45}, {.75, .5}, {.7, .55}}};
static const double FOG[2][5][2] = {{{.2, 3}, {.5, 3}, {.75, 2.5}, {1, 2}, {1.5, 1.75}},
                                    {{.4, 3}, {.7, 3}, {1, 2.5}, {1.5, 2}, {2, 1.75}}};

int ar_cx_snow(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in, uint8_t *out,
               ar_err_t *err)
{
    const double *p = SNOW[ctx->table][s];
    int h = ctx->h, w = ctx->w, c = ctx->c, hw = h * w;
    double *x = ctx->buf[0], *layer = ctx->buf[1], *zl = ctx->buf[2], *tmp = ctx->buf[3],
           *bl = ctx->buf[4];
    ar_cx_normals(rng, ctx->normals, hw);
    for (int i = 0; i < hw; i++) layer[i] = p[0] + p[1] * ctx->normals[i];
    ar_clipped_zoom(layer, zl, tmp, h, w, 1, p[2]);
    /* < thr -> 0, clip, to 8 bits (truncation), as the PNG handed to
     * ImageMagick */
    for (int i = 0; i < hw; i++) {
        double v = zl[i] < p[3] ? 0.0 : zl[i];
        v = v < 0 ? 0 : v > 1 ? 1 : v;
        zl[i] = (double)(uint8_t)(v * 255.0) / 255.0;
    }
    double angle = ar_rng_range(rng, -135.0, -45.0);
    if (ar_motion_blur(zl, bl, h, w, 1, ar_cx_len(ctx, p[4]), ar_cx_len(ctx, p[5]), angle) != 0)
        return ar_err_set(err, AR_E_ARG, "corrupt: snow blur too wide for this image");
    for (int i = 0; i < hw; i++) { /* ImageMagick 8-bit export rounds */
        double v = bl[i] < 0 ? 0 : bl[i] > 1 ? 1 : bl[i];
        bl[i] = floor(v * 255.0 + 0.5) / 255.0;
    }
    ar_cx_to_double(in, x, ctx->n);
    double blend = p[6];
    for (int i = 0; i < hw; i++) {
        double *px = x + (long)i * c;
        double g = c == 3 ? ar_color_luma(px[0], px[1], px[2]) : px[0];
        double lift = g * 1.5 + 0.5;
        double snow = bl[i] + bl[hw - 1 - i]; /* L + rot180(L) */
        for (int ch = 0; ch < c; ch++) {
            double m = px[ch] > lift ? px[ch] : lift;
            px[ch] = blend * px[ch] + (1 - blend) * m + snow;
        }
    }
    ar_cx_to_u8(x, out, ctx->n);
    return AR_OK;
}

int ar_cx_frost(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in, uint8_t *out,
                ar_err_t *err)
{
    if (ctx->ntex < 1) return ar_err_set(err, AR_E_INTERNAL, "corrupt: no frost texture");
    int h = ctx->h, w = ctx->w, c = ctx->c;
    const ar_frost_tex_t *t = &ctx->tex[ar_rng_below(rng, (uint64_t)ctx->ntex)];
    int y0 = t->th > h ? (int)ar_rng_below(rng, (uint64_t)(t->th - h)) : 0;
    int x0 = t->tw > w ? (int)ar_rng_below(rng, (uint64_t)(t->tw - w)) : 0;
    double a = FROST[ctx->table][s][0], b = FROST[ctx->table][s][1];
    for (int y = 0; y < h; y++) {
        const uint8_t *tr = t->px + ((long)(y0 + y) * t->tw + x0) * c;
        const uint8_t *ir = in + (long)y * w * c;
        uint8_t *orow = out + (long)y * w * c;
        for (int i = 0; i < w * c; i++) {
            double v = a * ir[i] + b * tr[i]; /* 0..255 units, as the original */
            v = v < 0 ? 0 : v > 255 ? 255 : v;
            orow[i] = (uint8_t)v;
        }
    }
    return AR_OK;
}

int ar_cx_fog(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in, uint8_t *out,
              ar_err_t *err)
{
    (void)err;
    int h = ctx->h, w = ctx->w, c = ctx->c, n = ctx->n;
    int side = ar_plasma_side(h > w ? h : w);
    double *x = ctx->buf[0], *map = ctx->plasma; /* side x side, see ctx_new */
    double amt = FOG[ctx->table][s][0];
    ar_plasma(rng, FOG[ctx->table][s][1], side, map);
    ar_cx_to_double(in, x, n);
    double m = 0;
    for (int i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    for (int y = 0; y < h; y++)
        for (int xx = 0; xx < w; xx++) {
            double add = amt * map[(long)y * side + xx];
            double *px = x + ((long)y * w + xx) * c;
            for (int ch = 0; ch < c; ch++) px[ch] = (px[ch] + add) * m / (m + amt);
        }
    ar_cx_to_u8(x, out, n);
    return AR_OK;
}
