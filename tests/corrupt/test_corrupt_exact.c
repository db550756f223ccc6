/* test_corrupt_exact.c - the deterministic corruptions (contrast, brightness,
 * saturate, pixelate, defocus_blur, gaussian_blur, zoom_blur) byte for byte
 * against straightforward implementations of docs/corruptions.md written here
 * (no library helper is called), on synthetic colour and gray images of
 * several sizes; glass_blur and motion_blur the same way, replaying their
 * draws from the keyed stream; plus the registry and argument checks. Both
 * parameter tables: CIFAR-10-C's (scaled: 48x64 takes lengths x 2) and
 * Tiny-ImageNet-C's for 64x64, copied here from docs/corruptions.md. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "corrupt/corrupt.h"
#include "synth.h"

typedef struct {
    int h, w, c;
    const uint8_t *in;
} img_t;

static double clip01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }
static uint8_t to8(double v) { return (uint8_t)(clip01(v) * 255.0); }
#define AT(im, y, x, ch) ((im).in[(((long)(y)) * (im).w + (x)) * (im).c + (ch)] / 255.0)

/* The table of an image: 1 (Tiny-ImageNet-C) for 64x64, else 0 (CIFAR-10-C);
 * and the scale of its lengths. */
static int tab(img_t im) { return im.h == 64 && im.w == 64; }
static double scale_f(img_t im) { return tab(im) ? 1 : fmax(1, nearbyint((im.h < im.w ? im.h : im.w) / 32.0)); }

/* ---- contrast: per channel (x - mean) c + mean ---- */
static void ref_contrast(img_t im, int s, uint8_t *out)
{
    const double C[2][5] = {{.75, .5, .4, .3, .15}, {.4, .3, .2, .1, .05}};
    for (int ch = 0; ch < im.c; ch++) {
        double sum = 0;
        for (int y = 0; y < im.h; y++)
            for (int x = 0; x < im.w; x++) sum += AT(im, y, x, ch);
        double mean = sum / (im.h * im.w);
        for (int y = 0; y < im.h; y++)
            for (int x = 0; x < im.w; x++)
                out[((long)y * im.w + x) * im.c + ch] = to8((AT(im, y, x, ch) - mean) * C[tab(im)][s] + mean);
    }
}

/* ---- brightness / saturate through HSV closed forms; gray images act on (g,g,g) ---- */
static const double HSV_B[2][5] = {{.05, .1, .15, .2, .3}, {.1, .2, .3, .4, .5}};
static const double HSV_SA[2][5] = {{.3, .1, 1.5, 2, 2.5}, {.3, .1, 2, 5, 30}};
static const double HSV_SB[2][5] = {{0, 0, 0, .1, .2}, {0, 0, 0, .1, .2}};
static void hsv_edit(double *p, int which, int s, int t)
{
    const double *B = HSV_B[t], *SA = HSV_SA[t], *SB = HSV_SB[t];
    double v = fmax(p[0], fmax(p[1], p[2])), mn = fmin(p[0], fmin(p[1], p[2]));
    if (which == 0) {
        double v2 = clip01(v + B[s]);
        for (int k = 0; k < 3; k++) p[k] = v == 0 ? v2 : p[k] * v2 / v;
    } else {
        double d = v - mn, sat = v == 0 ? 0 : d / v, s2 = clip01(sat * SA[s] + SB[s]);
        if (d == 0) {
            p[0] = v, p[1] = p[2] = v * (1 - s2);
        } else {
            for (int k = 0; k < 3; k++) p[k] = v - (v - p[k]) * s2 / sat;
        }
    }
}

static void ref_hsv(img_t im, int which, int s, uint8_t *out)
{
    for (int y = 0; y < im.h; y++)
        for (int x = 0; x < im.w; x++) {
            double p[3];
            for (int k = 0; k < 3; k++) p[k] = AT(im, y, x, im.c == 3 ? k : 0);
            hsv_edit(p, which, s, tab(im));
            long o = ((long)y * im.w + x) * im.c;
            if (im.c == 3) {
                for (int k = 0; k < 3; k++) out[o + k] = to8(p[k]);
            } else {
                double g = (p[0] == p[1] && p[1] == p[2]) ? p[0] : 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
                out[o] = to8(g);
            }
        }
}

/* skimage rgb2hsv / hsv2rgb, to check the closed forms stay within one level */
static void rgb2hsv(const double *p, double *hsv)
{
    double v = fmax(p[0], fmax(p[1], p[2])), d = v - fmin(p[0], fmin(p[1], p[2]));
    double s = v == 0 ? 0 : d / v, h = 0;
    if (d != 0) {
        if (p[0] == v) h = (p[1] - p[2]) / d;
        else if (p[1] == v) h = 2.0 + (p[2] - p[0]) / d;
        else h = 4.0 + (p[0] - p[1]) / d;
        h = fmod(h / 6.0 + 1.0, 1.0);
    }
    hsv[0] = h, hsv[1] = s, hsv[2] = v;
}
static void hsv2rgb(const double *hsv, double *p)
{
    double h6 = hsv[0] * 6.0, s = hsv[1], v = hsv[2];
    int i = (int)floor(h6) % 6;
    double f = h6 - floor(h6), pp = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
    double r[6][3] = {{v, t, pp}, {q, v, pp}, {pp, v, t}, {pp, q, v}, {t, pp, v}, {v, pp, q}};
    for (int k = 0; k < 3; k++) p[k] = r[i][k];
}

/* ---- pixelate: Pillow BOX down then up, 22-bit fixed point, uint8 passes ---- */
static void box_pass(const uint8_t *in, int n_in, int n_out, int stride_pix, int lines,
                     int line_stride, int c, uint8_t *out, int out_stride_pix, int out_line_stride)
{
    double scale = (double)n_in / n_out, fs = scale < 1 ? 1 : scale;
    for (int o = 0; o < n_out; o++) {
        double center = (o + 0.5) * scale;
        int idx[64], cnt = 0;
        for (int i = 0; i < n_in; i++) {
            double t = (i - center + 0.5) / fs;
            if (t > -0.5 && t <= 0.5) idx[cnt++] = i;
        }
        int k = (int)(0.5 + (1.0 / cnt) * (1 << 22));
        for (int l = 0; l < lines; l++)
            for (int ch = 0; ch < c; ch++) {
                int acc = 1 << 21;
                for (int j = 0; j < cnt; j++) acc += in[(long)l * line_stride + (long)idx[j] * stride_pix + ch] * k;
                int v = acc >> 22;
                out[(long)l * out_line_stride + (long)o * out_stride_pix + ch] = (uint8_t)(acc <= 0 ? 0 : v > 255 ? 255 : v);
            }
    }
}
static void ref_pixelate(img_t im, int s, uint8_t *out)
{
    const double P[2][5] = {{.95, .9, .85, .75, .65}, {.9, .8, .7, .6, .5}};
    int h = im.h, w = im.w, c = im.c, sh = (int)(h * P[tab(im)][s]), sw = (int)(w * P[tab(im)][s]);
    uint8_t *t1 = malloc((size_t)h * sw * c), *t2 = malloc((size_t)sh * sw * c),
            *t3 = malloc((size_t)sh * w * c);
    box_pass(im.in, w, sw, c, h, w * c, c, t1, c, sw * c);      /* rows: w -> sw */
    box_pass(t1, h, sh, sw * c, sw, c, c, t2, sw * c, c);       /* cols: h -> sh */
    box_pass(t2, sw, w, c, sh, sw * c, c, t3, c, w * c);        /* rows: sw -> w */
    box_pass(t3, sh, h, w * c, w, c, c, out, w * c, c);         /* cols: sh -> h */
    free(t1), free(t2), free(t3);
}

/* ---- defocus: disk on -8..8, normalised, cv2 3x3 Gaussian (rows, then
 * columns, reflect-101), correlated with reflect-101 borders ---- */
static int refl101(int i, int n)
{
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
    return i;
}
static void ref_defocus(img_t im, int s, uint8_t *out)
{
    const double R[2][5] = {{.3, .4, .5, 1, 1.5}, {.5, 1, 1.5, 2.5, 3}};
    const double A[2][5] = {{.4, .5, .6, .2, .1}, {.6, .1, .1, .01, .1}};
    double f = scale_f(im), r = R[tab(im)][s] * f, a = A[tab(im)][s] * f;
    double d[17][17], t[17][17], k[17][17], g[3], tot = 0, gs = 0;
    for (int y = 0; y < 17; y++)
        for (int x = 0; x < 17; x++) tot += d[y][x] = ((x - 8) * (x - 8) + (y - 8) * (y - 8)) <= r * r;
    for (int y = 0; y < 17; y++)
        for (int x = 0; x < 17; x++) d[y][x] /= tot;
    for (int i = 0; i < 3; i++) gs += g[i] = exp(-(double)((i - 1) * (i - 1)) / (2 * a * a));
    for (int i = 0; i < 3; i++) g[i] /= gs;
    for (int y = 0; y < 17; y++)
        for (int x = 0; x < 17; x++) {
            t[y][x] = 0;
            for (int j = 0; j < 3; j++) t[y][x] += g[j] * d[y][refl101(x + j - 1, 17)];
        }
    for (int y = 0; y < 17; y++)
        for (int x = 0; x < 17; x++) {
            k[y][x] = 0;
            for (int j = 0; j < 3; j++) k[y][x] += g[j] * t[refl101(y + j - 1, 17)][x];
        }
    for (int y = 0; y < im.h; y++)
        for (int x = 0; x < im.w; x++)
            for (int ch = 0; ch < im.c; ch++) {
                double acc = 0;
                for (int i = 0; i < 17; i++)
                    for (int j = 0; j < 17; j++)
                        acc += k[i][j] * AT(im, refl101(y + i - 8, im.h), refl101(x + j - 8, im.w), ch);
                out[((long)y * im.w + x) * im.c + ch] = to8(acc);
            }
}

/* ---- gaussian_blur: scipy gaussian_filter (truncate 4, nearest), along H
 * then W, each sum as centre + (left + right) pairs from the outside in ---- */
static int clampn(int i, int n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }
static void ref_gblur(img_t im, int s, uint8_t *out)
{
    const double S[2][5] = {{.4, .6, .7, .8, 1}, {.5, .75, 1, 1.25, 1.5}};
    double sg = S[tab(im)][s] * scale_f(im);
    int r = (int)(4.0 * sg + 0.5);
    double k[64], sum = 0;
    for (int j = -r; j <= r; j++) sum += k[j + r] = exp(-0.5 / (sg * sg) * (double)(j * j));
    for (int j = 0; j <= 2 * r; j++) k[j] /= sum;
    long n = (long)im.h * im.w * im.c;
    double *t = malloc(sizeof(double) * n);
    for (int y = 0; y < im.h; y++)
        for (int x = 0; x < im.w; x++)
            for (int ch = 0; ch < im.c; ch++) {
                double acc = AT(im, y, x, ch) * k[r];
                for (int j = r; j >= 1; j--)
                    acc += (AT(im, clampn(y - j, im.h), x, ch) + AT(im, clampn(y + j, im.h), x, ch)) * k[r - j];
                t[((long)y * im.w + x) * im.c + ch] = acc;
            }
    for (int y = 0; y < im.h; y++)
        for (int x = 0; x < im.w; x++)
            for (int ch = 0; ch < im.c; ch++) {
#define T(xx) t[((long)y * im.w + (xx)) * im.c + ch]
                double acc = T(x) * k[r];
                for (int j = r; j >= 1; j--) acc += (T(clampn(x - j, im.w)) + T(clampn(x + j, im.w))) * k[r - j];
#undef T
                out[((long)y * im.w + x) * im.c + ch] = to8(acc);
            }
    free(t);
}

/* ---- zoom_blur: mean of x and clipped_zoom(x, 1 + .01 i), i < count ---- */
static double zoom_at(img_t im, int y, int x, int ch, double z)
{
    int chh = (int)ceil(im.h / z), chw = (int)ceil(im.w / z);
    int top = (im.h - chh) / 2, left = (im.w - chw) / 2;
    int nh = (int)nearbyint(chh * z), nw = (int)nearbyint(chw * z);
    int oy = y + (nh - im.h) / 2, ox = x + (nw - im.w) / 2;
    double sy = oy * ((double)(chh - 1) / (nh - 1)), sx = ox * ((double)(chw - 1) / (nw - 1));
    int y0 = (int)floor(sy), x0 = (int)floor(sx);
    double ty = sy - y0, tx = sx - x0;
    int y1 = y0 + 1 < chh ? y0 + 1 : y0, x1 = x0 + 1 < chw ? x0 + 1 : x0;
    double a = AT(im, top + y0, left + x0, ch), b = AT(im, top + y0, left + x1, ch);
    double c = AT(im, top + y1, left + x0, ch), d = AT(im, top + y1, left + x1, ch);
    return (1 - ty) * ((1 - tx) * a + tx * b) + ty * ((1 - tx) * c + tx * d);
}
static void ref_zoom(img_t im, int s, uint8_t *out)
{
    const int N[5] = {7, 12, 16, 21, 26};
    for (int y = 0; y < im.h; y++)
        for (int x = 0; x < im.w; x++)
            for (int ch = 0; ch < im.c; ch++) {
                double acc = 0;
                for (int i = 0; i < N[s]; i++) acc += zoom_at(im, y, x, ch, 1.0 + i * 0.01);
                out[((long)y * im.w + x) * im.c + ch] = to8((AT(im, y, x, ch) + acc) / (N[s] + 1));
            }
}

/* ---- glass_blur and motion_blur: random, but their draws can be replayed
 * from the same keyed stream (ar_corrupt_key + core rng only) ---- */
static void gauss_nearest(const double *in, double *out, int h, int w, int c, double sg)
{
    int r = sg > 1e-15 ? (int)(4.0 * sg + 0.5) : 0;
    double k[64], sum = 0;
    for (int j = -r; j <= r; j++) sum += k[j + r] = r ? exp(-0.5 / (sg * sg) * (double)(j * j)) : 1.0;
    for (int j = 0; j <= 2 * r; j++) k[j] /= sum;
    if (r == 0) {
        memcpy(out, in, sizeof(double) * (size_t)h * w * c);
        return;
    }
    double *t = malloc(sizeof(double) * (size_t)h * w * c);
#define I(y, x, ch) in[((long)(y) * w + (x)) * c + (ch)]
#define TT(y, x, ch) t[((long)(y) * w + (x)) * c + (ch)]
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int ch = 0; ch < c; ch++) {
                double acc = I(y, x, ch) * k[r];
                for (int j = r; j >= 1; j--) acc += (I(clampn(y - j, h), x, ch) + I(clampn(y + j, h), x, ch)) * k[r - j];
                TT(y, x, ch) = acc;
            }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int ch = 0; ch < c; ch++) {
                double acc = TT(y, x, ch) * k[r];
                for (int j = r; j >= 1; j--) acc += (TT(y, clampn(x - j, w), ch) + TT(y, clampn(x + j, w), ch)) * k[r - j];
                out[((long)y * w + x) * c + ch] = acc;
            }
#undef I
#undef TT
    free(t);
}

static uint64_t g_seed = 5;
static int64_t g_index;

static void ref_glass(img_t im, int s, uint8_t *out)
{
    const double SG[2][5] = {{.05, .25, .4, .25, .4}, {.1, .5, .6, .7, .9}};
    const int IT[2][5] = {{1, 1, 1, 2, 2}, {1, 1, 2, 1, 2}}, D[2][5] = {{1, 1, 1, 1, 1}, {1, 1, 1, 2, 2}};
    int h = im.h, w = im.w, c = im.c, n = h * w * c, t = tab(im), d = D[t][s];
    double sg = SG[t][s] * scale_f(im);
    double *a = malloc(sizeof(double) * n), *b = malloc(sizeof(double) * n);
    uint8_t *u = malloc((size_t)n);
    if (n <= 0 || !a || !b || !u) {
        free(a), free(b), free(u);
        return;
    }
    for (int i = 0; i < n; i++) a[i] = im.in[i] / 255.0;
    gauss_nearest(a, b, h, w, c, sg);
    for (int i = 0; i < n; i++) u[i] = to8(b[i]);
    ar_rng_t r;
    ar_rng_init(&r, ar_corrupt_key(g_seed, ar_corrupt_find("glass_blur"), s + 1, g_index));
    for (int it = 0; it < IT[t][s]; it++)
        for (int y = h - d; y >= d + 1; y--)
            for (int x = w - d; x >= d + 1; x--) {
                int dx = (int)ar_rng_below(&r, 2 * d) - d, dy = (int)ar_rng_below(&r, 2 * d) - d;
                for (int ch = 0; ch < c; ch++) /* a copy: the source keeps its value */
                    u[((long)y * w + x) * c + ch] = u[((long)(y + dy) * w + x + dx) * c + ch];
            }
    for (int i = 0; i < n; i++) a[i] = u[i] / 255.0;
    gauss_nearest(a, b, h, w, c, sg);
    for (int i = 0; i < n; i++) out[i] = to8(b[i]);
    free(a), free(b), free(u);
}

/* ImageMagick MotionBlurImage, written from its definition */
static void ref_motion(img_t im, int s, uint8_t *out)
{
    const double RAD[2][5] = {{6, 6, 6, 8, 9}, {10, 10, 10, 10, 12}};
    const double SIG[2][5] = {{1, 1.5, 2, 2, 2.5}, {1, 1.5, 2, 2.5, 3}};
    double f = scale_f(im), radius = RAD[tab(im)][s] * f, sigma = SIG[tab(im)][s] * f;
    ar_rng_t r;
    ar_rng_init(&r, ar_corrupt_key(g_seed, ar_corrupt_find("motion_blur"), s + 1, g_index));
    double angle = ar_rng_range(&r, -45.0, 45.0) * M_PI / 180.0;
    int width = (int)(2 * ceil(radius) + 1);
    double k[64], norm = 0;
    int ox[64], oy[64];
    for (int i = 0; i < width; i++) {
        norm += k[i] = exp(-(double)(i * i) / (2 * sigma * sigma));
        double px = width * sin(angle), py = width * cos(angle);
        ox[i] = (int)ceil(i * py / hypot(px, py) - 0.5);
        oy[i] = (int)ceil(i * px / hypot(px, py) - 0.5);
    }
    for (int i = 0; i < width; i++) k[i] /= norm;
    for (int y = 0; y < im.h; y++)
        for (int x = 0; x < im.w; x++)
            for (int ch = 0; ch < im.c; ch++) {
                double acc = 0;
                for (int i = 0; i < width; i++)
                    acc += k[i] * AT(im, clampn(y + oy[i], im.h), clampn(x + ox[i], im.w), ch);
                out[((long)y * im.w + x) * im.c + ch] = (uint8_t)(fmin(fmax(acc, 0), 1) * 255.0 + 0.5);
            }
}

typedef void (*ref_fn)(img_t, int, uint8_t *);
static void ref_bright(img_t im, int s, uint8_t *o) { ref_hsv(im, 0, s, o); }
static void ref_sat(img_t im, int s, uint8_t *o) { ref_hsv(im, 1, s, o); }

static void test_exact(void)
{
    const struct {
        const char *name;
        ref_fn ref;
    } cases[] = {{"contrast", ref_contrast},       {"brightness", ref_bright},
                 {"saturate", ref_sat},            {"pixelate", ref_pixelate},
                 {"defocus_blur", ref_defocus},    {"gaussian_blur", ref_gblur},
                 {"zoom_blur", ref_zoom},          {"glass_blur", ref_glass},
                 {"motion_blur", ref_motion}};
    const int shapes[][3] = {{32, 32, 3}, {28, 28, 1}, {24, 40, 3}, {48, 64, 3}, {64, 64, 3}, {64, 64, 1}};
    for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++) {
        int h = shapes[sh][0], w = shapes[sh][1], c = shapes[sh][2], n = h * w * c;
        ar_err_t err = {0};
        ar_corrupt_ctx_t *ctx = ar_corrupt_ctx_new(NULL, h, w, c, &err);
        CHECK(ctx != NULL, "ctx %dx%dx%d: %s", h, w, c, err.msg);
        if (!ctx) continue;
        uint8_t *in = malloc(n), *got = malloc(n), *want = malloc(n);
        int nimg = h >= 48 ? 2 : 6;
        int t = h == 64 && w == 64;
        CHECK(ar_corrupt_table_for(h, w) == (ar_corrupt_table_t)t && ar_corrupt_ctx_table(ctx) == (ar_corrupt_table_t)t,
              "%dx%d takes the %s table", h, w, t ? "tiny-imagenet-c" : "cifar-10-c");
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            int cor = ar_corrupt_find(cases[k].name);
            /* defocus's reference grid is the fixed 17x17 one: radii <= 8 */
            for (int s = 1; s <= 5; s++) {
                long mism = 0, changed = 0;
                for (int i = 0; i < nimg; i++) {
                    synth_image(11, i, h, w, c, in);
                    if (i == 0) memset(in, 255, (size_t)w * c * 3); /* saturated rows */
                    if (i == 1) memset(in + (long)w * c * 5, 0, (size_t)w * c * 4); /* black rows */
                    g_index = i;
                    int st = ar_corrupt_image(ctx, cor, s, g_seed, i, in, got, h, w, c, &err);
                    CHECK(st == 0, "%s: %s", cases[k].name, err.msg);
                    cases[k].ref((img_t){h, w, c, in}, s - 1, want);
                    for (int j = 0; j < n; j++) {
                        mism += got[j] != want[j];
                        changed += got[j] != in[j];
                    }
                }
                CHECK(mism == 0, "%s s%d %dx%dx%d: %ld of %d bytes differ from the reference",
                      cases[k].name, s, h, w, c, mism, n * nimg);
                if (!(c == 1 && !strcmp(cases[k].name, "saturate") && s <= 3))
                    CHECK(changed > 0, "%s s%d changes the image", cases[k].name, s);
            }
        }
        free(in), free(got), free(want);
        ar_corrupt_ctx_destroy(&ctx);
        CHECK(ctx == NULL, "destroy nulls");
    }
}

/* the closed forms agree with a full skimage HSV round trip within a level */
static void test_hsv_roundtrip(void)
{
    int worst = 0;
    ar_rng_t r;
    ar_rng_init(&r, 99);
    for (int t = 0; t < 20000; t++) {
        double p[3], q[3], hsv[3];
        for (int k = 0; k < 3; k++) p[k] = (double)ar_rng_below(&r, 256) / 255.0;
        for (int which = 0; which < 4; which++)
            for (int s = 0; s < 5; s++) {
                int tb = which / 2;
                memcpy(q, p, sizeof q);
                hsv_edit(q, which % 2, s, tb);
                rgb2hsv(p, hsv);
                if (which % 2 == 0) hsv[2] = clip01(hsv[2] + HSV_B[tb][s]);
                else hsv[1] = clip01(hsv[1] * HSV_SA[tb][s] + HSV_SB[tb][s]);
                double full[3];
                hsv2rgb(hsv, full);
                for (int k = 0; k < 3; k++) {
                    int d = abs((int)to8(full[k]) - (int)to8(q[k]));
                    if (d > worst) worst = d;
                }
            }
    }
    CHECK(worst <= 1, "HSV closed forms vs round trip: worst %d levels", worst);
}

static void test_registry(void)
{
    const char *order[] = {"gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur",
                           "glass_blur", "motion_blur", "zoom_blur", "snow", "frost", "fog",
                           "brightness", "contrast", "elastic_transform", "pixelate",
                           "jpeg_compression", "speckle_noise", "gaussian_blur", "spatter",
                           "saturate"};
    CHECK(AR_CORRUPT_COUNT == 19, "19 corruptions");
    for (int i = 0; i < AR_CORRUPT_COUNT; i++) {
        CHECK(strcmp(ar_corrupt_name(i), order[i]) == 0, "name %d = %s", i, ar_corrupt_name(i));
        CHECK(ar_corrupt_find(order[i]) == i, "find %s", order[i]);
        CHECK(strcmp(ar_corrupt_names()[i], order[i]) == 0, "names()[%d]", i);
        CHECK(ar_corrupt_is_benchmark(i) == (i < 15), "benchmark flag %d", i);
    }
    CHECK(ar_corrupt_find("fog ") == -1 && ar_corrupt_find("") == -1 && ar_corrupt_find(NULL) == -1,
          "unknown names");
    CHECK(ar_corrupt_name(19) == NULL && ar_corrupt_name(-1) == NULL, "name out of range");
    CHECK(!strcmp(ar_corrupt_table_name(AR_CORRUPT_TABLE_CIFAR10C), "cifar-10-c") &&
              !strcmp(ar_corrupt_table_name(AR_CORRUPT_TABLE_TINYIMAGENETC), "tiny-imagenet-c") &&
              ar_corrupt_table_name(AR_CORRUPT_TABLE_COUNT) == NULL && ar_corrupt_table_name(-1) == NULL,
          "table names");
    CHECK(ar_corrupt_table_for(64, 64) == AR_CORRUPT_TABLE_TINYIMAGENETC &&
              ar_corrupt_table_for(64, 63) == AR_CORRUPT_TABLE_CIFAR10C &&
              ar_corrupt_table_for(32, 32) == AR_CORRUPT_TABLE_CIFAR10C &&
              ar_corrupt_table_for(128, 128) == AR_CORRUPT_TABLE_CIFAR10C,
          "the table by image size: 64x64 only");
    CHECK(ar_corrupt_key(1, 0, 1, 5) != ar_corrupt_key(1, 0, 1, 6), "key by index");
    CHECK(ar_corrupt_key(1, 0, 1, 5) != ar_corrupt_key(1, 0, 2, 5), "key by severity");
    CHECK(ar_corrupt_key(1, 0, 1, 5) != ar_corrupt_key(1, 1, 1, 5), "key by corruption");
    CHECK(ar_corrupt_key(1, 0, 1, 5) != ar_corrupt_key(2, 0, 1, 5), "key by seed");

    /* categories: the benchmark's four groups; extras by their kind */
    const char *cat[] = {"noise", "noise", "noise", "blur", "blur", "blur", "blur",
                         "weather", "weather", "weather", "weather", "digital", "digital",
                         "digital", "digital", "noise", "blur", "weather", "digital"};
    for (int i = 0; i < AR_CORRUPT_COUNT; i++)
        CHECK(!strcmp(ar_corrupt_category_name(ar_corrupt_category(i)), cat[i]), "category of %s",
              order[i]);
    int ids[AR_CORRUPT_COUNT];
    CHECK(ar_corrupt_expand("all", ids) == 15 && ids[0] == 0 && ids[14] == 14, "all = benchmark");
    CHECK(ar_corrupt_expand("weather", ids) == 4 && ids[0] == 7 && ids[3] == 10, "weather = 4");
    CHECK(ar_corrupt_expand("digital", ids) == 4 && ids[0] == 11 && ids[3] == 14, "digital = 4");
    CHECK(ar_corrupt_expand("spatter", ids) == 1 && ids[0] == 17, "an extra by name");
    CHECK(ar_corrupt_expand("weathers", ids) == -1 && ar_corrupt_expand(NULL, ids) == -1, "unknown");

    ar_err_t err = {0};
    CHECK(ar_corrupt_ctx_new(NULL, 32, 32, 2, &err) == NULL && err.status == AR_E_ARG,
          "2 channels rejected: %s", err.msg);
    ar_err_clear(&err);
    CHECK(ar_corrupt_ctx_new(NULL, 4, 32, 3, &err) == NULL && err.status == AR_E_ARG, "tiny rejected");
    ar_err_clear(&err);
    ar_corrupt_opts_t o = {.frost_dir = "/nonexistent/frost"};
    CHECK(ar_corrupt_ctx_new(&o, 32, 32, 3, &err) == NULL && err.status == AR_E_IO &&
              strstr(err.msg, "/nonexistent/frost"),
          "missing frost dir named: %s", err.msg);
    ar_err_clear(&err);
    ar_corrupt_ctx_t *ctx = ar_corrupt_ctx_new(NULL, 32, 32, 3, &err);
    uint8_t a[32 * 32 * 3] = {0}, b[32 * 32 * 3];
    CHECK(ar_corrupt_image(ctx, 0, 0, 1, 0, a, b, 32, 32, 3, &err) == AR_E_ARG, "severity 0");
    CHECK(ar_corrupt_image(ctx, 0, 6, 1, 0, a, b, 32, 32, 3, &err) == AR_E_ARG, "severity 6");
    CHECK(ar_corrupt_image(ctx, 19, 1, 1, 0, a, b, 32, 32, 3, &err) == AR_E_ARG, "corruption 19");
    CHECK(ar_corrupt_image(ctx, 0, 1, 1, 0, a, b, 32, 16, 3, &err) == AR_E_ARG &&
              strstr(err.msg, "32x32x3"),
          "shape mismatch: %s", err.msg);
    CHECK(strcmp(ar_corrupt_ctx_frost_source(ctx), "procedural-v1") == 0, "frost source %s",
          ar_corrupt_ctx_frost_source(ctx));
    ar_corrupt_ctx_destroy(&ctx);
    ar_corrupt_ctx_destroy(&ctx); /* safe twice */
}

int main(void)
{
    test_registry();
    test_hsv_roundtrip();
    test_exact();
    TEST_MAIN_END();
}
