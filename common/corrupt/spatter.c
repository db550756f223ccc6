/* spatter.c - water (severities 1-3) and mud (4-5) spatter, after
 * make_cifar_c.py. The water texture uses OpenCV-style steps written here:
 * Canny (Sobel 3x3 replicate, L1 magnitude, non-maximum suppression,
 * hysteresis 50/150), an exact Euclidean distance transform (OpenCV's DIST_L2
 * mask 5 is a close approximation), truncation at 20, 3x3 box blur,
 * histogram equalisation, an emboss kernel, and a 3x3 box blur again. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "corrupt_impl.h"
#include "filter.h"

/* (mu, sigma, blur sigma, thr, k, mode), [table][severity]: make_cifar_c.py,
 * make_tinyimagenet_c.py */
static const double SPATTER[2][5][6] = {{{.62, .1, .7, .7, .5, 0},
                                         {.65, .1, .8, .7, .5, 0},
                                         {.65, .3, 1, .69, .5, 0},
                                         {.65, .1, .7, .69, .6, 1},
                                         {.65, .1, .5, .68, .6, 1}},
                                        {{.62, .1, .7, .7, .6, 0},
                                         {.65, .1, .8, .7, .6, 0},
                                         {.65, .3, 1, .69, .6, 0},
                                         {.65, .1, .7, .68, .6, 1},
                                         {.65, .1, .5, .67, .6, 1}}};

static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* edges (255) / not (0) of an 8-bit image, cv2.Canny(img, lo, hi) */
static void canny(const uint8_t *img, int h, int w, double lo, double hi, int32_t *mag,
                  int32_t *gx, int32_t *gy, uint8_t *edge, int32_t *stack)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
#define P(dy, dx) img[clampi(y + (dy), 0, h - 1) * w + clampi(x + (dx), 0, w - 1)]
            int dx = (P(-1, 1) + 2 * P(0, 1) + P(1, 1)) - (P(-1, -1) + 2 * P(0, -1) + P(1, -1));
            int dy = (P(1, -1) + 2 * P(1, 0) + P(1, 1)) - (P(-1, -1) + 2 * P(-1, 0) + P(-1, 1));
#undef P
            gx[y * w + x] = dx, gy[y * w + x] = dy;
            mag[y * w + x] = abs(dx) + abs(dy);
        }
    /* 0: not an edge, 1: candidate, 2: edge */
    int nst = 0;
    memset(edge, 0, (size_t)h * w);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int m = mag[y * w + x];
            if (m <= lo) continue;
            int dx = gx[y * w + x], dy = gy[y * w + x], ax = abs(dx), ay = abs(dy);
#define MG(yy, xx) ((yy) < 0 || (yy) >= h || (xx) < 0 || (xx) >= w ? 0 : mag[(yy) * w + (xx)])
            int keep;
            if (ay < ax * 0.4142135623730951) /* horizontal gradient */
                keep = m > MG(y, x - 1) && m >= MG(y, x + 1);
            else if (ay > ax * 2.414213562373095) /* vertical */
                keep = m > MG(y - 1, x) && m >= MG(y + 1, x);
            else {
                int sg = (dx ^ dy) < 0 ? -1 : 1;
                keep = m > MG(y - 1, x - sg) && m > MG(y + 1, x + sg);
            }
#undef MG
            if (!keep) continue;
            if (m > hi) {
                edge[y * w + x] = 2;
                stack[nst++] = y * w + x;
            } else {
                edge[y * w + x] = 1;
            }
        }
    while (nst > 0) { /* hysteresis: grow strong edges through candidates */
        int i = stack[--nst], y = i / w, x = i % w;
        for (int a = -1; a <= 1; a++)
            for (int b = -1; b <= 1; b++) {
                int yy = y + a, xx = x + b;
                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                if (edge[yy * w + xx] == 1) {
                    edge[yy * w + xx] = 2;
                    stack[nst++] = yy * w + xx;
                }
            }
    }
    for (int i = 0; i < h * w; i++) edge[i] = edge[i] == 2 ? 255 : 0;
}

/* 1-D squared distance transform (Felzenszwalb & Huttenlocher). */
static void edt1d(const double *f, double *d, int n, int *v, double *z)
{
    int k = 0;
    v[0] = 0, z[0] = -1e300, z[1] = 1e300;
    for (int q = 1; q < n; q++) {
        double s;
        for (;;) {
            s = ((f[q] + (double)q * q) - (f[v[k]] + (double)v[k] * v[k])) / (2.0 * q - 2.0 * v[k]);
            if (s <= z[k] && k > 0) k--;
            else break;
        }
        if (s <= z[k]) { /* k == 0 */
            v[0] = q, z[0] = -1e300, z[1] = 1e300;
            continue;
        }
        k++;
        v[k] = q, z[k] = s, z[k + 1] = 1e300;
    }
    k = 0;
    for (int q = 0; q < n; q++) {
        while (z[k + 1] < q) k++;
        d[q] = (double)(q - v[k]) * (q - v[k]) + f[v[k]];
    }
}

/* Euclidean distance of each pixel to the nearest zero of src (1e10 when
 * there is none). */
static void distance(const uint8_t *src, int h, int w, double *out, double *tmp)
{
    double f[4096] = {0}, d[4096], z[4097];
    int v[4096];
    for (int x = 0; x < w; x++) {
        for (int y = 0; y < h; y++) f[y] = src[y * w + x] == 0 ? 0 : 1e20;
        edt1d(f, d, h, v, z);
        for (int y = 0; y < h; y++) tmp[y * w + x] = d[y];
    }
    for (int y = 0; y < h; y++) {
        edt1d(tmp + (long)y * w, d, w, v, z);
        for (int x = 0; x < w; x++) out[y * w + x] = d[x] >= 1e19 ? 1e10 : sqrt(d[x]);
    }
}

static const double BOX3[9] = {1. / 9, 1. / 9, 1. / 9, 1. / 9, 1. / 9, 1. / 9, 1. / 9, 1. / 9, 1. / 9};
static const double EMBOSS[9] = {-2, -1, 0, -1, 1, 1, 0, 1, 2};

/* cv2.equalizeHist */
static void equalize(uint8_t *img, int n)
{
    int hist[256] = {0}, lut[256];
    for (int i = 0; i < n; i++) hist[img[i]]++;
    int i = 0;
    while (!hist[i]) i++;
    if (hist[i] == n) {
        memset(img, i, (size_t)n);
        return;
    }
    double scale = 255.0 / (n - hist[i]);
    int sum = 0;
    for (lut[i++] = 0; i < 256; i++) {
        sum += hist[i];
        lut[i] = clampi((int)lrint(sum * scale), 0, 255);
    }
    for (int j = 0; j < n; j++) img[j] = (uint8_t)lut[img[j]];
}

int ar_cx_spatter(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                  uint8_t *out, ar_err_t *err)
{
    const double *p = SPATTER[ctx->table][s];
    int h = ctx->h, w = ctx->w, c = ctx->c, hw = h * w;
    double *x = ctx->buf[0], *liq = ctx->buf[1], *a = ctx->buf[2], *b = ctx->buf[3],
           *tmp = ctx->buf[4];
    ar_cx_normals(rng, ctx->normals, hw);
    for (int i = 0; i < hw; i++) a[i] = p[0] + p[1] * ctx->normals[i];
    if (ar_gauss_blur(a, liq, tmp, h, w, 1, ar_cx_len(ctx, p[2]), 4.0, AR_BORDER_NEAREST) != 0)
        return ar_err_set(err, AR_E_ARG, "corrupt: spatter blur too large");
    for (int i = 0; i < hw; i++)
        if (liq[i] < p[3]) liq[i] = 0;
    ar_cx_to_double(in, x, ctx->n);
    static const double water[3] = {175 / 255., 238 / 255., 238 / 255.};
    static const double mud[3] = {63 / 255., 42 / 255., 20 / 255.};
    const double *col = p[5] == 0 ? water : mud;
    double gray = 0.299 * col[0] + 0.587 * col[1] + 0.114 * col[2];
    if (p[5] == 0) {
        uint8_t *l8 = ctx->u8[0], *e8 = ctx->u8[1], *d8 = ctx->u8[2];
        int32_t *i32 = ctx->i32;
        for (int i = 0; i < hw; i++) {
            double v = liq[i] * 255.0;
            l8[i] = (uint8_t)(v > 255 ? 255 : v);
        }
        /* i32 holds 4 planes of hw ints: mag, gx, gy, stack */
        canny(l8, h, w, 50, 150, i32, i32 + hw, i32 + 2L * hw, e8, i32 + 3L * hw);
        for (int i = 0; i < hw; i++) e8[i] = (uint8_t)(255 - e8[i]);
        distance(e8, h, w, a, tmp);
        for (int i = 0; i < hw; i++) a[i] = a[i] > 20 ? 20 : a[i];
        ar_filter_2d(a, b, h, w, 1, BOX3, 3, 3, AR_BORDER_MIRROR);
        for (int i = 0; i < hw; i++) d8[i] = (uint8_t)b[i];
        equalize(d8, hw);
        for (int i = 0; i < hw; i++) a[i] = d8[i];
        ar_filter_2d(a, b, h, w, 1, EMBOSS, 3, 3, AR_BORDER_MIRROR);
        for (int i = 0; i < hw; i++) a[i] = clampi((int)lrint(b[i]), 0, 255);
        ar_filter_2d(a, b, h, w, 1, BOX3, 3, 3, AR_BORDER_MIRROR);
        double mx = 0;
        for (int i = 0; i < hw; i++) {
            b[i] *= l8[i];
            if (b[i] > mx) mx = b[i];
        }
        double k = mx > 0 ? p[4] / mx : 0;
        for (int i = 0; i < hw; i++) {
            double m = b[i] * k;
            for (int ch = 0; ch < c; ch++)
                x[(long)i * c + ch] += m * (c == 3 ? col[ch] : gray);
        }
    } else {
        for (int i = 0; i < hw; i++) a[i] = liq[i] > p[3] ? 1.0 : 0.0;
        if (ar_gauss_blur(a, b, tmp, h, w, 1, ar_cx_len(ctx, p[4]), 4.0, AR_BORDER_NEAREST) != 0)
            return ar_err_set(err, AR_E_ARG, "corrupt: spatter blur too large");
        for (int i = 0; i < hw; i++) {
            double m = b[i] < 0.8 ? 0 : b[i];
            for (int ch = 0; ch < c; ch++) {
                double *v = x + (long)i * c + ch;
                *v = *v * (1 - m) + m * (c == 3 ? col[ch] : gray);
            }
        }
    }
    ar_cx_to_u8(x, out, ctx->n);
    return AR_OK;
}
