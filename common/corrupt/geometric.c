/* geometric.c - elastic_transform: a random affine warp of three points
 * (OpenCV warpAffine, bilinear, reflect-101), then a smooth random
 * displacement field (scipy map_coordinates, order 1, mode 'reflect').
 * Sizes follow make_cifar_c.py with IMSIZE = min(h, w). */
#include <math.h>

#include "corrupt_impl.h"
#include "filter.h"

/* (alpha, sigma, affine) as fractions of the image size, [table][severity]:
 * make_cifar_c.py, make_tinyimagenet_c.py */
static const double ELASTIC[2][5][3] = {
    {{0, 0, .08}, {.05, .2, .07}, {.08, .06, .06}, {.1, .04, .05}, {.1, .03, .03}},
    {{0, 0, .08}, {.05, .3, .06}, {.1, .08, .06}, {.1, .03, .03}, {.16, .03, .02}}};

/* Bilinear sample of channel ch at (fy, fx) with border mode. */
static double sample(const double *img, int h, int w, int c, int ch, double fy, double fx,
                     ar_border_t mode)
{
    int y0 = (int)floor(fy), x0 = (int)floor(fx);
    double ty = fy - y0, tx = fx - x0;
    int ya = ar_border_index(y0, h, mode), yb = ar_border_index(y0 + 1, h, mode);
    int xa = ar_border_index(x0, w, mode), xb = ar_border_index(x0 + 1, w, mode);
    double a = img[((long)ya * w + xa) * c + ch], b = img[((long)ya * w + xb) * c + ch];
    double d = img[((long)yb * w + xa) * c + ch], e = img[((long)yb * w + xb) * c + ch];
    return (1 - ty) * ((1 - tx) * a + tx * b) + ty * ((1 - tx) * d + tx * e);
}

/* Solves the affine map taking src[i] to dst[i] (3 points, (x, y)):
 * m = [a b c; d e f]. Returns -1 when the points are collinear. */
static int affine_from_points(const double src[3][2], const double dst[3][2], double m[6])
{
    double x0 = src[0][0], y0 = src[0][1], x1 = src[1][0], y1 = src[1][1], x2 = src[2][0],
           y2 = src[2][1];
    double det = x0 * (y1 - y2) - y0 * (x1 - x2) + (x1 * y2 - x2 * y1);
    if (fabs(det) < 1e-12) return -1;
    for (int r = 0; r < 2; r++) {
        double u0 = dst[0][r], u1 = dst[1][r], u2 = dst[2][r];
        /* Cramer on [x y 1] [a b c]^T = u */
        m[r * 3 + 0] = (u0 * (y1 - y2) - y0 * (u1 - u2) + (u1 * y2 - u2 * y1)) / det;
        m[r * 3 + 1] = (x0 * (u1 - u2) - u0 * (x1 - x2) + (x1 * u2 - x2 * u1)) / det;
        m[r * 3 + 2] = (x0 * (y1 * u2 - y2 * u1) - y0 * (x1 * u2 - x2 * u1) + u0 * (x1 * y2 - x2 * y1)) / det;
    }
    return 0;
}

int ar_cx_elastic(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in, uint8_t *out,
                  ar_err_t *err)
{
    int h = ctx->h, w = ctx->w, c = ctx->c, hw = h * w;
    double size = h < w ? h : w;
    const double *p = ELASTIC[ctx->table][s];
    double alpha = size * p[0], sigma = size * p[1], aff = size * p[2];
    double *x = ctx->buf[0], *warped = ctx->buf[1], *dxf = ctx->buf[2], *dyf = ctx->buf[3],
           *tmp = ctx->buf[4], *u = ctx->buf[5];
    ar_cx_to_double(in, x, ctx->n);
    /* points centre +- size//3, centre = shape//2: (26,26), (26,6), (6,6) */
    double cy = h / 2, cx = w / 2, sq = (int)size / 3;
    double p1[3][2] = {{cx + sq, cy + sq}, {cx + sq, cy - sq}, {cx - sq, cy - sq}}, p2[3][2];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) p2[i][j] = p1[i][j] + ar_rng_range(rng, -aff, aff);
    double m[6]; /* destination -> source */
    if (affine_from_points(p2, p1, m) != 0)
        return ar_err_set(err, AR_E_NUMERIC, "corrupt: degenerate elastic affine");
    for (int yy = 0; yy < h; yy++)
        for (int xx = 0; xx < w; xx++) {
            double sx = m[0] * xx + m[1] * yy + m[2], sy = m[3] * xx + m[4] * yy + m[5];
            for (int ch = 0; ch < c; ch++)
                warped[((long)yy * w + xx) * c + ch] = sample(x, h, w, c, ch, sy, sx, AR_BORDER_MIRROR);
        }
    if (alpha == 0) {
        ar_cx_to_u8(warped, out, ctx->n);
        return AR_OK;
    }
    /* displacement fields: gaussian(U(-1, 1), sigma, mode reflect, truncate 3) * alpha */
    double *fields[2] = {dxf, dyf};
    for (int f = 0; f < 2; f++) {
        for (int i = 0; i < hw; i++) u[i] = ar_rng_range(rng, -1.0, 1.0);
        if (ar_gauss_blur(u, fields[f], tmp, h, w, 1, sigma, 3.0, AR_BORDER_REFLECT) != 0)
            return ar_err_set(err, AR_E_ARG, "corrupt: elastic sigma too large");
        for (int i = 0; i < hw; i++) fields[f][i] *= alpha;
    }
    for (int yy = 0; yy < h; yy++)
        for (int xx = 0; xx < w; xx++) {
            long i = (long)yy * w + xx;
            double sy = yy + dyf[i], sx = xx + dxf[i];
            for (int ch = 0; ch < c; ch++)
                x[i * c + ch] = sample(warped, h, w, c, ch, sy, sx, AR_BORDER_REFLECT);
        }
    ar_cx_to_u8(x, out, ctx->n);
    return AR_OK;
}
