/* corrupt_impl.h - internals shared by the corruption modules (not for callers
 * outside common/corrupt/).
 *
 * Every corruption is a function of (context, severity index 0..4, the image's
 * random stream, in, out). Its parameters come from a table per
 * ar_corrupt_table_t, [table][severity], indexed by ctx->table (CIFAR-10-C's
 * for most sizes, Tiny-ImageNet-C's for 64 x 64). Images stay in HWC order; the float working copy is
 * x = pixel/255 in double precision, written back by ar_cx_to_u8 (clip to
 * [0,1], times 255, truncate), the original's convention.
 */
#ifndef AR_CORRUPT_IMPL_H
#define AR_CORRUPT_IMPL_H

#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"
#include "corrupt.h"

#define AR_CX_NBUF 6         /* double scratch images per context */
#define AR_CX_MAXTEX 16      /* frost textures kept */
#define AR_CX_DISK_MAX 4096  /* entries of one precomputed disk kernel */

typedef struct ar_frost_tex {
    uint8_t *px;   /* th x tw x c (the context's channel count) */
    int th, tw;
} ar_frost_tex_t;

typedef struct ar_jpeg_state ar_jpeg_state_t; /* jpeg.c */

/* Poisson(level / 255 * lambda) sampling tables for the 256 levels of one
 * shot-noise severity: inversion of the CDF, started from a guide table
 * (guide[j] = first index whose CDF exceeds j / len), so a draw costs about
 * one uniform and one or two comparisons. */
typedef struct ar_pois_table {
    int kmin[256], off[256], len[256];
    double lam[256];
    double *cdf;          /* concatenated CDFs */
    int *guide;           /* concatenated guide tables, same layout */
} ar_pois_table_t;


struct ar_corrupt_ctx {
    int h, w, c;          /* image shape */
    int n;                /* h * w * c */
    int table;            /* ar_corrupt_table_t: the parameter tables' first index */
    double f;             /* spatial scale of blur lengths: max(1, round(min(h, w) / 32))
                             with the CIFAR-10-C table, 1 with Tiny-ImageNet-C's
                             (its lengths are for 64 x 64 already) */
    double *buf[AR_CX_NBUF]; /* (h+4)(w+4)c doubles each (room for zoom crops) */
    uint8_t *u8[3];       /* n bytes each */
    int32_t *i32;         /* h * w ints (spatter) */
    double *plasma;       /* ar_plasma_side(max(h, w))^2 doubles (fog) */
    double *disk[AR_CORRUPT_SEVERITIES]; /* defocus kernels, trimmed, row-major */
    int disk_kh[AR_CORRUPT_SEVERITIES], disk_kw[AR_CORRUPT_SEVERITIES];
    ar_frost_tex_t tex[AR_CX_MAXTEX];
    int ntex;
    char frost_source[1100];
    ar_jpeg_state_t *jpeg;
    ar_pois_table_t *pois[AR_CORRUPT_SEVERITIES]; /* built on first use */
    double *normals;      /* n doubles */
};

typedef int (*ar_cx_fn)(ar_corrupt_ctx_t *ctx, int s, ar_rng_t *rng, const uint8_t *in,
                        uint8_t *out, ar_err_t *err);

/* Fills z[0..n) with standard normals (Marsaglia's polar method, in pairs,
 * both used in order). */
void ar_cx_normals(ar_rng_t *rng, double *z, int n);

/* x[i] = in[i] / 255. */
void ar_cx_to_double(const uint8_t *in, double *x, int n);
/* out[i] = (uint8)(clip(x[i], 0, 1) * 255), truncation. */
void ar_cx_to_u8(const double *x, uint8_t *out, int n);
/* out[i] = (uint8)floor(clip(x[i], 0, 1) * 255 + 0.5), rounding (ImageMagick). */
void ar_cx_to_u8_round(const double *x, uint8_t *out, int n);
/* Scales a length of the table (32x32 pixels for CIFAR-10-C's) to the
 * context's image. */
static inline double ar_cx_len(const ar_corrupt_ctx_t *ctx, double v) { return v * ctx->f; }

/* noise.c */
void ar_cx_pois_free(ar_pois_table_t **t);
int ar_cx_gaussian_noise(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
int ar_cx_shot_noise(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
int ar_cx_impulse_noise(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
int ar_cx_speckle_noise(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
/* blur.c */
int ar_cx_defocus_prepare(ar_corrupt_ctx_t *ctx, ar_err_t *err);
int ar_cx_defocus_blur(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
int ar_cx_glass_blur(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
int ar_cx_motion_blur(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
int ar_cx_zoom_blur(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
int ar_cx_gaussian_blur(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
/* weather.c */
int ar_cx_snow(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
int ar_cx_frost(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
int ar_cx_fog(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
/* digital.c */
int ar_cx_brightness(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
int ar_cx_contrast(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
int ar_cx_saturate(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
int ar_cx_pixelate(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
int ar_cx_jpeg(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
/* jpeg.c: libjpeg state reused across images */
ar_jpeg_state_t *ar_jpeg_state_new(int h, int w, int c);
void ar_jpeg_state_destroy(ar_jpeg_state_t **st);
/* Encodes in (h x w x c, c = 1 gray or 3 RGB with 4:2:0 chroma) at quality
 * and decodes it into out. */
int ar_jpeg_roundtrip(ar_jpeg_state_t *st, const uint8_t *in, uint8_t *out, int quality,
                      ar_err_t *err);
/* geometric.c */
int ar_cx_elastic(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
/* spatter.c */
int ar_cx_spatter(ar_corrupt_ctx_t *, int, ar_rng_t *, const uint8_t *, uint8_t *, ar_err_t *);
/* frost_tex.c: fills ctx->tex / ntex / frost_source. */
int ar_cx_frost_prepare(ar_corrupt_ctx_t *ctx, const char *frost_dir, ar_err_t *err);
void ar_cx_frost_release(ar_corrupt_ctx_t *ctx);

#endif
