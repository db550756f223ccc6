/* digital.c - contrast, brightness, saturate, pixelate, jpeg_compression.
 * Colour operations on one-channel images act on the gray value g: the pixel
 * is taken as (g, g, g) and the result converted back (equal components stay
 * exact, others by luma). */
#include "color.h"
#include "corrupt_impl.h"
#include "resize.h"

/* [table][severity]: make_cifar_c.py, make_tinyimagenet_c.py */
static const double BRIGHT[2][5] = {{.05, .1, .15, .2, .3}, {.1, .2, .3, .4, .5}};
static const double CONTRAST[2][5] = {{.75, .5, .4, .3, .15}, {.4, .3, .2, .1, .05}};
static const double SAT[2][5][2] = {{{.3, 0}, {.1, 0}, {1.5, 0}, {2, .1}, {2.5, .2}},
                                    {{.3, 0}, {.1, 0}, {2, 0}, {5, .1}, {30, .2}}};
static const double PIXELATE[2][5] = {{.95, .9, .85, .75, .65}, {.9, .8, .7, .6, .5}};
static const int JPEG_Q[2][5] = {{80, 65, 58, 50, 40}, {65, 58, 50, 40, 25}};

static double back_to_gray(const double *rgb)
{
    if (rgb[0] == rgb[1] && rgb[1] == rgb[2]) return rgb[0];
    return ar_color_luma(rgb[0], rgb[1], rgb[2]);
}

int ar_cx_brightness(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                     uint8_t *out, ar_err_t *err)
{
    (void)rng, (void)err;
    double *x = ctx->buf[0];
    int hw = ctx->h * ctx->w;
    ar_cx_to_double(in, x, ctx->n);
    for (int i = 0; i < hw; i++) {
        if (ctx->c == 3) {
            ar_color_add_value(x + 3L * i, BRIGHT[ctx->table][s]);
        } else {
            double rgb[3] = {x[i], x[i], x[i]};
            ar_color_add_value(rgb, BRIGHT[ctx->table][s]);
            x[i] = back_to_gray(rgb);
        }
    }
    ar_cx_to_u8(x, out, ctx->n);
    return AR_OK;
}

int ar_cx_saturate(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in, uint8_t *out,
                   ar_err_t *err)
{
    (void)rng, (void)err;
    double *x = ctx->buf[0];
    int hw = ctx->h * ctx->w;
    ar_cx_to_double(in, x, ctx->n);
    for (int i = 0; i < hw; i++) {
        if (ctx->c == 3) {
            ar_color_scale_saturation(x + 3L * i, SAT[ctx->table][s][0], SAT[ctx->table][s][1]);
        } else {
            double rgb[3] = {x[i], x[i], x[i]};
            ar_color_scale_saturation(rgb, SAT[ctx->table][s][0], SAT[ctx->table][s][1]);
            x[i] = back_to_gray(rgb);
        }
    }
    ar_cx_to_u8(x, out, ctx->n);
    return AR_OK;
}

/* per channel: (x - mean) * c + mean, mean over all pixels (sequential sum) */
int ar_cx_contrast(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in, uint8_t *out,
                   ar_err_t *err)
{
    (void)rng, (void)err;
    int c = ctx->c, hw = ctx->h * ctx->w;
    double *x = ctx->buf[0], mean[3] = {0, 0, 0}, k = CONTRAST[ctx->table][s];
    ar_cx_to_double(in, x, ctx->n);
    for (int i = 0; i < hw; i++)
        for (int ch = 0; ch < c; ch++) mean[ch] += x[(long)i * c + ch];
    for (int ch = 0; ch < c; ch++) mean[ch] /= hw;
    for (int i = 0; i < hw; i++)
        for (int ch = 0; ch < c; ch++) {
            double *v = x + (long)i * c + ch;
            *v = (*v - mean[ch]) * k + mean[ch];
        }
    ar_cx_to_u8(x, out, ctx->n);
    return AR_OK;
}

/* Pillow BOX down to (int)(w c) x (int)(h c), then BOX (= nearest) back up;
 * uint8 all the way, as PIL does. */
int ar_cx_pixelate(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                   uint8_t *out, ar_err_t *err)
{
    (void)rng, (void)err;
    int h = ctx->h, w = ctx->w, c = ctx->c;
    int sh = (int)(h * PIXELATE[ctx->table][s]), sw = (int)(w * PIXELATE[ctx->table][s]);
    if (sh < 1) sh = 1;
    if (sw < 1) sw = 1;
    uint8_t *small = ctx->u8[0], *tmp = ctx->u8[1];
    ar_resize_box_u8(in, h, w, c, small, sh, sw, tmp);
    ar_resize_box_u8(small, sh, sw, c, out, h, w, tmp);
    return AR_OK;
}

int ar_cx_jpeg(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in, uint8_t *out,
               ar_err_t *err)
{
    (void)rng;
    return ar_jpeg_roundtrip(ctx->jpeg, in, out, JPEG_Q[ctx->table][s], err);
}
