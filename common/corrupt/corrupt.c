/* corrupt.c - the corruption registry, contexts and dispatch. */
#include "corrupt.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "corrupt_impl.h"
#include "plasma.h"

enum { NOISE, BLUR, WEATHER, DIGITAL };
static const char *const CATEGORY_NAMES[AR_CORRUPT_CATEGORY_COUNT] = {"noise", "blur", "weather",
                                                                      "digital"};

static const struct {
    const char *name;
    ar_cx_fn fn;
    int category;
} TABLE[] = {
    {"gaussian_noise", ar_cx_gaussian_noise, NOISE},
    {"shot_noise", ar_cx_shot_noise, NOISE},
    {"impulse_noise", ar_cx_impulse_noise, NOISE},
    {"defocus_blur", ar_cx_defocus_blur, BLUR},
    {"glass_blur", ar_cx_glass_blur, BLUR},
    {"motion_blur", ar_cx_motion_blur, BLUR},
    {"zoom_blur", ar_cx_zoom_blur, BLUR},
    {"snow", ar_cx_snow, WEATHER},
    {"frost", ar_cx_frost, WEATHER},
    {"fog", ar_cx_fog, WEATHER},
    {"brightness", ar_cx_brightness, WEATHER},
    {"contrast", ar_cx_contrast, DIGITAL},
    {"elastic_transform", ar_cx_elastic, DIGITAL},
    {"pixelate", ar_cx_pixelate, DIGITAL},
    {"jpeg_compression", ar_cx_jpeg, DIGITAL},
    {"speckle_noise", ar_cx_speckle_noise, NOISE},
    {"gaussian_blur", ar_cx_gaussian_blur, BLUR},
    {"spatter", ar_cx_spatter, WEATHER},
    {"saturate", ar_cx_saturate, DIGITAL},
};
_Static_assert(sizeof TABLE / sizeof TABLE[0] == AR_CORRUPT_COUNT, "one row per corruption");

const char *ar_corrupt_name(int corruption)
{
    if (corruption < 0 || corruption >= AR_CORRUPT_COUNT) return NULL;
    return TABLE[corruption].name;
}

const char *const *ar_corrupt_names(void)
{
    static const char *const names[AR_CORRUPT_COUNT] = {
        "gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur",
        "motion_blur", "zoom_blur", "snow", "frost", "fog", "brightness", "contrast",
        "elastic_transform", "pixelate", "jpeg_compression", "speckle_noise", "gaussian_blur",
        "spatter", "saturate"};
    return names;
}

int ar_corrupt_find(const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < AR_CORRUPT_COUNT; i++)
        if (strcmp(TABLE[i].name, name) == 0) return i;
    return -1;
}

int ar_corrupt_is_benchmark(int corruption)
{
    return corruption >= 0 && corruption < AR_CORRUPT_BENCHMARK_COUNT;
}

const char *ar_corrupt_category_name(int category)
{
    return category >= 0 && category < AR_CORRUPT_CATEGORY_COUNT ? CATEGORY_NAMES[category] : NULL;
}

int ar_corrupt_category(int corruption)
{
    return corruption >= 0 && corruption < AR_CORRUPT_COUNT ? TABLE[corruption].category : -1;
}

int ar_corrupt_expand(const char *name, int ids[AR_CORRUPT_COUNT])
{
    int c = ar_corrupt_find(name);
    if (c >= 0) {
        ids[0] = c;
        return 1;
    }
    int cat = -2; /* -1: "all" */
    if (name && !strcmp(name, "all")) cat = -1;
    for (int k = 0; name && k < AR_CORRUPT_CATEGORY_COUNT; k++)
        if (!strcmp(name, CATEGORY_NAMES[k])) cat = k;
    if (cat == -2) return -1;
    int n = 0;
    for (int i = 0; i < AR_CORRUPT_BENCHMARK_COUNT; i++)
        if (cat < 0 || TABLE[i].category == cat) ids[n++] = i;
    return n;
}

ar_corrupt_table_t ar_corrupt_table_for(int h, int w)
{
    return h == 64 && w == 64 ? AR_CORRUPT_TABLE_TINYIMAGENETC : AR_CORRUPT_TABLE_CIFAR10C;
}

const char *ar_corrupt_table_name(int table)
{
    static const char *const names[AR_CORRUPT_TABLE_COUNT] = {"cifar-10-c", "tiny-imagenet-c"};
    return table >= 0 && table < AR_CORRUPT_TABLE_COUNT ? names[table] : NULL;
}

uint64_t ar_corrupt_key(uint64_t seed, int corruption, int severity, int64_t image_index)
{
    const char *name = ar_corrupt_name(corruption);
    uint64_t ids[3] = {ar_rng_hash_str(name ? name : "?"), (uint64_t)severity,
                       (uint64_t)image_index};
    return ar_rng_key(seed, ids, 3);
}

void ar_cx_normals(ar_rng_t *rng, double *z, int n)
{
    for (int i = 0; i < n; i += 2) {
        double u, v, s;
        do {
            u = 2.0 * ar_rng_uniform(rng) - 1.0;
            v = 2.0 * ar_rng_uniform(rng) - 1.0;
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        double f = sqrt(-2.0 * log(s) / s);
        z[i] = u * f;
        if (i + 1 < n) z[i + 1] = v * f;
    }
}

void ar_cx_to_double(const uint8_t *in, double *x, int n)
{
    for (int i = 0; i < n; i++) x[i] = in[i] / 255.0;
}

void ar_cx_to_u8(const double *x, uint8_t *out, int n)
{
    for (int i = 0; i < n; i++) {
        double v = x[i];
        v = v > 0 ? (v < 1 ? v : 1) : 0; /* NaN -> 0 */
        out[i] = (uint8_t)(v * 255.0);
    }
}

void ar_cx_to_u8_round(const double *x, uint8_t *out, int n)
{
    for (int i = 0; i < n; i++) {
        double v = x[i];
        v = v > 0 ? (v < 1 ? v : 1) : 0;
        out[i] = (uint8_t)(v * 255.0 + 0.5);
    }
}

ar_corrupt_ctx_t *ar_corrupt_ctx_new(const ar_corrupt_opts_t *opts, int h, int w, int c,
                                     ar_err_t *err)
{
    if (h < 8 || w < 8 || h > 4096 || w > 4096 || (c != 1 && c != 3)) {
        ar_err_set(err, AR_E_ARG, "corrupt: unsupported image shape %dx%dx%d (need 8..4096, 1 or 3 channels)", h, w, c);
        return NULL;
    }
    ar_corrupt_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        ar_err_set(err, AR_E_NOMEM, "corrupt: context");
        return NULL;
    }
    ctx->h = h, ctx->w = w, ctx->c = c, ctx->n = h * w * c;
    ctx->table = ar_corrupt_table_for(h, w);
    /* integer scale, so that discrete kernels (disk radius 1, glass delta)
     * keep their shape: 28x28 -> 1, 48x64 -> 2; the Tiny-ImageNet-C table
     * is written for its 64x64 images: 1 */
    ctx->f = nearbyint((h < w ? h : w) / 32.0);
    if (ctx->f < 1 || ctx->table == AR_CORRUPT_TABLE_TINYIMAGENETC) ctx->f = 1;
    size_t nb = (size_t)(h + 4) * (w + 4) * c;
    for (int i = 0; i < AR_CX_NBUF; i++)
        if (!(ctx->buf[i] = malloc(sizeof(double) * nb))) goto nomem;
    for (int i = 0; i < 3; i++)
        if (!(ctx->u8[i] = malloc(nb))) goto nomem;
    if (!(ctx->normals = malloc(sizeof(double) * nb))) goto nomem;
    if (!(ctx->i32 = malloc(sizeof(int32_t) * 4 * (size_t)(h * w + 8)))) goto nomem;
    int side = ar_plasma_side(h > w ? h : w);
    if (!(ctx->plasma = malloc(sizeof(double) * (size_t)side * side))) goto nomem;
    if (!(ctx->jpeg = ar_jpeg_state_new(h, w, c))) goto nomem;
    if (ar_cx_defocus_prepare(ctx, err) != AR_OK) goto fail;
    if (ar_cx_frost_prepare(ctx, opts ? opts->frost_dir : NULL, err) != AR_OK) goto fail;
    return ctx;
nomem:
    ar_err_set(err, AR_E_NOMEM, "corrupt: context for %dx%dx%d images", h, w, c);
fail:
    ar_corrupt_ctx_destroy(&ctx);
    return NULL;
}

void ar_corrupt_ctx_destroy(ar_corrupt_ctx_t **ctxp)
{
    if (!ctxp || !*ctxp) return;
    ar_corrupt_ctx_t *ctx = *ctxp;
    for (int i = 0; i < AR_CX_NBUF; i++) free(ctx->buf[i]);
    for (int i = 0; i < 3; i++) free(ctx->u8[i]);
    free(ctx->i32);
    free(ctx->normals);
    free(ctx->plasma);
    for (int s = 0; s < AR_CORRUPT_SEVERITIES; s++) ar_cx_pois_free(&ctx->pois[s]);
    for (int s = 0; s < AR_CORRUPT_SEVERITIES; s++) free(ctx->disk[s]);
    ar_cx_frost_release(ctx);
    ar_jpeg_state_destroy(&ctx->jpeg);
    free(ctx);
    *ctxp = NULL;
}

const char *ar_corrupt_ctx_frost_source(const ar_corrupt_ctx_t *ctx)
{
    return ctx->frost_source;
}

ar_corrupt_table_t ar_corrupt_ctx_table(const ar_corrupt_ctx_t *ctx) { return (ar_corrupt_table_t)ctx->table; }

int ar_corrupt_image(ar_corrupt_ctx_t *ctx, int corruption, int severity, uint64_t seed,
                     int64_t image_index, const uint8_t *in, uint8_t *out, int h, int w, int c,
                     ar_err_t *err)
{
    assert(ctx && in && out);
    if (corruption < 0 || corruption >= AR_CORRUPT_COUNT)
        return ar_err_set(err, AR_E_ARG, "corrupt: no corruption #%d", corruption);
    if (severity < 1 || severity > AR_CORRUPT_SEVERITIES)
        return ar_err_set(err, AR_E_ARG, "corrupt: %s severity %d not in 1..5",
                          TABLE[corruption].name, severity);
    if (h != ctx->h || w != ctx->w || c != ctx->c)
        return ar_err_set(err, AR_E_ARG, "corrupt: image %dx%dx%d, context made for %dx%dx%d",
                          h, w, c, ctx->h, ctx->w, ctx->c);
    ar_rng_t rng;
    ar_rng_init(&rng, ar_corrupt_key(seed, corruption, severity, image_index));
    return TABLE[corruption].fn(ctx, severity - 1, &rng, in, out, err);
}

int ar_corrupt_images(ar_corrupt_ctx_t *ctx, int corruption, int severity, uint64_t seed,
                      int64_t first_index, int64_t n, const uint8_t *in, uint8_t *out,
                      ar_err_t *err)
{
    for (int64_t i = 0; i < n; i++) {
        int st = ar_corrupt_image(ctx, corruption, severity, seed, first_index + i,
                                  in + i * ctx->n, out + i * ctx->n, ctx->h, ctx->w, ctx->c, err);
        if (st) return ar_err_prefix(err, "image %lld", (long long)(first_index + i));
    }
    return AR_OK;
}
