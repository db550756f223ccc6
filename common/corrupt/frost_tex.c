/* frost_tex.c - frost textures: photographs from a directory, or the
 * project's procedural texture "procedural-v1".
 *
 * From a directory: every .png / .jpg / .jpeg file (sorted by name) is read,
 * resized by 0.2 f (f = max(1, round(min(h, w)/32)); make_cifar_c.py resizes its frost
 * photos by 0.2 for 32x32 images), or by 0.3 with the Tiny-ImageNet-C table
 * (64x64 images, as make_tinyimagenet_c.py does), with OpenCV-style bilinear
 * interpolation, and kept if it is larger than the image.
 *
 * procedural-v1 (no directory): 6 textures of 5 max(h, w) pixels square, each
 * from its own fixed random stream (independent of the job seed), made of
 *   - a base level .12 and a haze: plasma fractal (decay 1.7), weight .35;
 *   - ice crystals: S^2/60 dendrites, each a straight needle (random start,
 *     direction, length .03-.15 S, brightness .4-.9) with side branches at
 *     +-60 degrees every ~3 px (half the time), each branch again with
 *     shorter sub-branches; drawn additively on a torus and blurred
 *     (sigma .6 px);
 *   - a fine grain N(0, .03);
 * clipped to [0, 1] and tinted icy blue-white (R .82, G .91, B 1.0).
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "color.h"
#include "corrupt_impl.h"
#include "filter.h"
#include "io/image_io.h"
#include "plasma.h"
#include "resize.h"

#define PROC_VARIANTS 6

static void draw_branch(double *I, int S, ar_rng_t *rng, double x, double y, double theta,
                        double len, double amp, int depth)
{
    double dx = cos(theta), dy = sin(theta);
    double next_branch = 2.0 + 2.0 * ar_rng_uniform(rng);
    for (double t = 0; t < len; t += 0.5) {
        double px = x + dx * t, py = y + dy * t;
        int ix = ((int)floor(px) % S + S) % S, iy = ((int)floor(py) % S + S) % S;
        I[(long)iy * S + ix] += amp * (1.0 - 0.5 * t / len) * 0.5;
        if (depth > 0 && t >= next_branch) {
            next_branch = t + 2.0 + 2.0 * ar_rng_uniform(rng);
            if (ar_rng_uniform(rng) < 0.5) {
                double side = ar_rng_uniform(rng) < 0.5 ? -1.0 : 1.0;
                double bl = (len - t) * ar_rng_range(rng, 0.2, 0.5);
                draw_branch(I, S, rng, px, py, theta + side * 1.0471975511965976, bl, amp * 0.7,
                            depth - 1);
            }
        }
    }
}

static int procedural(ar_corrupt_ctx_t *ctx, ar_err_t *err)
{
    int S = 5 * (ctx->h > ctx->w ? ctx->h : ctx->w), c = ctx->c;
    int side = ar_plasma_side(S);
    double *map = malloc(sizeof(double) * (size_t)side * side);
    double *I = calloc((size_t)S * S, sizeof(double));
    double *B = malloc(sizeof(double) * (size_t)S * S), *T = malloc(sizeof(double) * (size_t)S * S);
    int st = AR_OK;
    if (!map || !I || !B || !T) {
        st = ar_err_set(err, AR_E_NOMEM, "corrupt: frost texture %dx%d", S, S);
        goto done;
    }
    for (int v = 0; v < PROC_VARIANTS; v++) {
        uint64_t ids[2] = {ar_rng_hash_str("frost-procedural-v1"), (uint64_t)v};
        ar_rng_t rng;
        ar_rng_init(&rng, ar_rng_key(0x46524f5354ull, ids, 2));
        ar_plasma(&rng, 1.7, side, map);
        memset(I, 0, sizeof(double) * (size_t)S * S);
        int K = S * S / 60;
        for (int k = 0; k < K; k++) {
            double x = ar_rng_uniform(&rng) * S, y = ar_rng_uniform(&rng) * S;
            double th = ar_rng_uniform(&rng) * 6.283185307179586;
            double len = S * ar_rng_range(&rng, 0.03, 0.15);
            draw_branch(I, S, &rng, x, y, th, len, ar_rng_range(&rng, 0.4, 0.9), 2);
        }
        ar_gauss_blur(I, B, T, S, S, 1, 0.6, 4.0, AR_BORDER_REFLECT);
        uint8_t *px = malloc((size_t)S * S * c);
        if (!px) {
            st = ar_err_set(err, AR_E_NOMEM, "corrupt: frost texture");
            goto done;
        }
        static const double tint[3] = {0.82, 0.91, 1.0};
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                long i = (long)y * S + x;
                double t = 0.12 + 0.35 * map[(long)y * side + x] + 0.8 * B[i] + 0.03 * ar_rng_normal(&rng);
                t = t < 0 ? 0 : t > 1 ? 1 : t;
                double rgb[3];
                for (int ch = 0; ch < 3; ch++) rgb[ch] = t * tint[ch] * 255.0;
                if (c == 3)
                    for (int ch = 0; ch < 3; ch++) px[i * 3 + ch] = (uint8_t)(rgb[ch] + 0.5);
                else
                    px[i] = (uint8_t)(ar_color_luma(rgb[0], rgb[1], rgb[2]) + 0.5);
            }
        ctx->tex[ctx->ntex].px = px;
        ctx->tex[ctx->ntex].th = ctx->tex[ctx->ntex].tw = S;
        ctx->ntex++;
    }
    snprintf(ctx->frost_source, sizeof ctx->frost_source, "procedural-v1");
done:
    free(map), free(I), free(B), free(T);
    return st;
}

static int has_image_ext(const char *name)
{
    const char *d = strrchr(name, '.');
    if (!d) return 0;
    return !strcasecmp(d, ".png") || !strcasecmp(d, ".jpg") || !strcasecmp(d, ".jpeg");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int from_dir(ar_corrupt_ctx_t *ctx, const char *dir, ar_err_t *err)
{
    DIR *d = opendir(dir);
    if (!d) return ar_err_set(err, AR_E_IO, "frost_dir %s: cannot open directory", dir);
    char *names[AR_CX_MAXTEX];
    int nn = 0, st = AR_OK;
    struct dirent *e;
    while ((e = readdir(d)) && nn < AR_CX_MAXTEX)
        if (e->d_name[0] != '.' && has_image_ext(e->d_name)) names[nn++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)nn, sizeof(char *), cmp_str);
    double scale = ctx->table == AR_CORRUPT_TABLE_TINYIMAGENETC ? 0.3 : 0.2 * ctx->f;
    for (int i = 0; i < nn && st == AR_OK; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        uint8_t *px = NULL;
        int th, tw;
        st = ar_image_read(path, ctx->c, &px, &th, &tw, err);
        if (st) break;
        int oh = (int)nearbyint(th * scale), ow = (int)nearbyint(tw * scale);
        if (oh <= ctx->h || ow <= ctx->w) { /* too small for a crop: skip */
            free(px);
            continue;
        }
        uint8_t *rs = malloc((size_t)oh * ow * ctx->c);
        if (!rs) {
            free(px);
            st = ar_err_set(err, AR_E_NOMEM, "%s: resized texture", path);
            break;
        }
        ar_resize_linear_u8(px, th, tw, ctx->c, rs, oh, ow);
        free(px);
        ctx->tex[ctx->ntex].px = rs;
        ctx->tex[ctx->ntex].th = oh, ctx->tex[ctx->ntex].tw = ow;
        ctx->ntex++;
    }
    for (int i = 0; i < nn; i++) free(names[i]);
    if (st == AR_OK && ctx->ntex == 0)
        st = ar_err_set(err, AR_E_IO,
                        "frost_dir %s: no .png/.jpg texture larger than %dx%d after %gx resize",
                        dir, ctx->h, ctx->w, scale);
    if (st == AR_OK)
        snprintf(ctx->frost_source, sizeof ctx->frost_source, "dir:%.1000s (%d images)", dir,
                 ctx->ntex);
    return st;
}

int ar_cx_frost_prepare(ar_corrupt_ctx_t *ctx, const char *frost_dir, ar_err_t *err)
{
    if (frost_dir && *frost_dir) return from_dir(ctx, frost_dir, err);
    return procedural(ctx, err);
}

void ar_cx_frost_release(ar_corrupt_ctx_t *ctx)
{
    for (int i = 0; i < ctx->ntex; i++) free(ctx->tex[i].px);
    ctx->ntex = 0;
}
