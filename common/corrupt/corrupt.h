/* corrupt.h - the corruption engine: CIFAR-10-C's 15 benchmark corruptions and
 * 4 extras (Hendrycks & Dietterich 2019) on uint8 HWC images of any size.
 *
 * Algorithms and CIFAR parameter tables follow make_cifar_c.py (the
 * original benchmark code); 64 x 64 images take the Tiny-ImageNet-C tables
 * of make_tinyimagenet_c.py instead (ar_corrupt_table_for).
 * docs/corruptions.md describes each one, its parameters per severity in
 * both tables, the scaling to other image sizes and what differs from the
 * original.
 *
 * Determinism: the random stream of one corrupted image depends only on
 * (seed, corruption, severity, image index) through ar_corrupt_key(), so any
 * shard of any set can be regenerated anywhere, in any order, with any number
 * of threads or ranks, and gives the same bytes.
 *
 * A context holds what is precomputed for one image shape (kernels, frost
 * textures) and scratch space, so ar_corrupt_image does not allocate (apart
 * from libjpeg's own per-image pools, and the shot-noise sampling tables of a
 * severity, built once on its first use). A context is not thread-safe: use
 * one per thread.
 */
#ifndef AR_CORRUPT_CORRUPT_H
#define AR_CORRUPT_CORRUPT_H

#include <stdint.h>

#include "core/error.h"

/* Corruptions in the standard order: the 15 benchmark ones, then the extras. */
typedef enum {
    AR_CORRUPT_GAUSSIAN_NOISE,
    AR_CORRUPT_SHOT_NOISE,
    AR_CORRUPT_IMPULSE_NOISE,
    AR_CORRUPT_DEFOCUS_BLUR,
    AR_CORRUPT_GLASS_BLUR,
    AR_CORRUPT_MOTION_BLUR,
    AR_CORRUPT_ZOOM_BLUR,
    AR_CORRUPT_SNOW,
    AR_CORRUPT_FROST,
    AR_CORRUPT_FOG,
    AR_CORRUPT_BRIGHTNESS,
    AR_CORRUPT_CONTRAST,
    AR_CORRUPT_ELASTIC_TRANSFORM,
    AR_CORRUPT_PIXELATE,
    AR_CORRUPT_JPEG_COMPRESSION,
    AR_CORRUPT_SPECKLE_NOISE,
    AR_CORRUPT_GAUSSIAN_BLUR,
    AR_CORRUPT_SPATTER,
    AR_CORRUPT_SATURATE,
    AR_CORRUPT_COUNT
} ar_corruption_t;

#define AR_CORRUPT_BENCHMARK_COUNT 15 /* the first 15 of the list */
#define AR_CORRUPT_SEVERITIES 5       /* severities are 1..5 */

/* "gaussian_noise", ...; NULL when out of range. */
const char *ar_corrupt_name(int corruption);
/* All names in the standard order (AR_CORRUPT_COUNT entries; the first
 * AR_CORRUPT_BENCHMARK_COUNT are the benchmark). Static storage. */
const char *const *ar_corrupt_names(void);
/* The index of a name (exact match), or -1 when unknown. */
int ar_corrupt_find(const char *name);
/* 1 for the 15 benchmark corruptions, 0 for the extras. */
int ar_corrupt_is_benchmark(int corruption);

/* The benchmark's four categories: noise (gaussian, shot, impulse), blur
 * (defocus, glass, motion, zoom), weather (snow, frost, fog, brightness),
 * digital (contrast, elastic_transform, pixelate, jpeg_compression); the
 * extras belong to the category of their kind (speckle_noise noise,
 * gaussian_blur blur, spatter weather, saturate digital). */
#define AR_CORRUPT_CATEGORY_COUNT 4
/* "noise", "blur", "weather", "digital"; NULL when out of range. */
const char *ar_corrupt_category_name(int category);
/* The category (0..3) of a corruption; -1 when out of range. */
int ar_corrupt_category(int corruption);
/* The corruptions a name in a job's list stands for, into ids in the
 * standard order: a corruption's own name gives itself; "all" the 15
 * benchmark corruptions; a category name its 4 benchmark corruptions (an
 * extra only by its own name). Returns the count, or -1 for an unknown
 * name. */
int ar_corrupt_expand(const char *name, int ids[AR_CORRUPT_COUNT]);

/* The key of one image's random stream (ar_rng_key of the seed and the
 * identity words: hash of the name, severity, image index). */
uint64_t ar_corrupt_key(uint64_t seed, int corruption, int severity, int64_t image_index);

/* The parameter tables: make_cifar_c.py's (CIFAR-10-C, lengths for 32 x 32
 * images, scaled to other sizes) and make_tinyimagenet_c.py's
 * (Tiny-ImageNet-C, for 64 x 64 images, used as they are). */
typedef enum { AR_CORRUPT_TABLE_CIFAR10C, AR_CORRUPT_TABLE_TINYIMAGENETC, AR_CORRUPT_TABLE_COUNT } ar_corrupt_table_t;

/* The table for images of h x w: Tiny-ImageNet-C's for exactly 64 x 64,
 * CIFAR-10-C's for every other size. */
ar_corrupt_table_t ar_corrupt_table_for(int h, int w);
/* "cifar-10-c" or "tiny-imagenet-c"; NULL when out of range. */
const char *ar_corrupt_table_name(int table);

typedef struct ar_corrupt_opts {
    const char *frost_dir; /* directory of frost texture images (.png, .jpg,
                              .jpeg); NULL or "" = the procedural texture */
} ar_corrupt_opts_t;

typedef struct ar_corrupt_ctx ar_corrupt_ctx_t;

/* A context for images of h x w x c (c = 1 or 3; 8 <= h, w <= 4096). opts may be
 * NULL. Loads the frost textures (an unreadable or empty frost_dir is an
 * error) or builds the procedural ones. NULL with err set on failure. The
 * caller destroys it. */
ar_corrupt_ctx_t *ar_corrupt_ctx_new(const ar_corrupt_opts_t *opts, int h, int w, int c,
                                     ar_err_t *err);
void ar_corrupt_ctx_destroy(ar_corrupt_ctx_t **ctx);

/* Which frost texture source this context uses: "procedural-v1" or
 * "dir:<path> (<n> images)". Valid while the context lives. */
const char *ar_corrupt_ctx_frost_source(const ar_corrupt_ctx_t *ctx);

/* The parameter table of the context's image shape (ar_corrupt_table_for). */
ar_corrupt_table_t ar_corrupt_ctx_table(const ar_corrupt_ctx_t *ctx);

/* Corrupts one uint8 HWC image: out = corruption(in) at severity 1..5 with the
 * stream of ar_corrupt_key(seed, corruption, severity, image_index). h, w, c
 * must be the context's shape (AR_E_ARG otherwise); in and out must not
 * overlap. Returns AR_OK, or a status with err set (out is then undefined). */
int ar_corrupt_image(ar_corrupt_ctx_t *ctx, int corruption, int severity, uint64_t seed,
                     int64_t image_index, const uint8_t *in, uint8_t *out, int h, int w, int c,
                     ar_err_t *err);

/* The same for n consecutive images whose first has index first_index. */
int ar_corrupt_images(ar_corrupt_ctx_t *ctx, int corruption, int severity, uint64_t seed,
                      int64_t first_index, int64_t n, const uint8_t *in, uint8_t *out,
                      ar_err_t *err);

#endif
