/* test_corrupt_stats.c - the random corruptions statistically (noise mean and
 * variance on a flat mid-gray image, impulse fraction), severity ordering of
 * the mean absolute change for every corruption but saturate (synthetic
 * colour images and Fashion-MNIST when installed), odd shapes, determinism
 * (alone, batched, sharded through the corrupted dataset, fresh contexts) and
 * frost textures from a directory. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdio.h>

#include <jpeglib.h>

#include "check.h"
#include "core/par.h"
#include "corrupt/corrupt.h"
#include "corrupt/corrupt_dataset.h"
#include "io/image_io.h"
#include "synth.h"

/* mean and variance of out over nimg flat side x side x 3 images of value v */
static void flat_stats(const char *name, int s, int v, int side, int nimg, double *mean, double *var,
                       double *frac_extreme)
{
    ar_err_t err = {0};
    ar_corrupt_ctx_t *ctx = ar_corrupt_ctx_new(NULL, side, side, 3, &err);
    int n = side * side * 3;
    uint8_t *in = malloc((size_t)n), *out = malloc((size_t)n);
    memset(in, v, (size_t)n);
    double s1 = 0, s2 = 0, ext = 0, cnt = 0;
    for (int i = 0; i < nimg; i++) {
        ar_corrupt_image(ctx, ar_corrupt_find(name), s, 3, i, in, out, side, side, 3, &err);
        for (int j = 0; j < n; j++) {
            s1 += out[j], s2 += (double)out[j] * out[j], cnt++;
            ext += out[j] == 0 || out[j] == 255;
        }
    }
    *mean = s1 / cnt;
    *var = s2 / cnt - *mean * *mean;
    *frac_extreme = ext / cnt;
    free(in);
    free(out);
    ar_corrupt_ctx_destroy(&ctx);
}

/* The noise parameters of both tables: 32x32 images take CIFAR-10-C's,
 * 64x64 images Tiny-ImageNet-C's (the same number of elements: 60 and 15
 * images). */
static void test_noise_stats(void)
{
    const double GS[2][5] = {{.04, .06, .08, .09, .10}, {.04, .08, .12, .15, .18}};
    const double LAM[2][5] = {{500, 250, 100, 75, 50}, {250, 100, 50, 30, 15}};
    const double SP[2][5] = {{.06, .1, .12, .16, .2}, {.15, .2, .25, .3, .35}};
    const double IP[2][5] = {{.01, .02, .03, .05, .07}, {.01, .02, .05, .08, .14}};
    const int v = 128;
    const double x = v / 255.0;
    for (int t = 0; t < 2; t++) {
        int side = t ? 64 : 32, nimg = t ? 15 : 60;
        double elems = (double)nimg * side * side * 3;
        for (int s = 1; s <= 5; s++) {
            double m, var, ext;
            /* truncation lowers the mean by ~half a level and adds 1/12 of variance;
             * the larger Tiny-ImageNet-C sigmas clip at 0 and 255 (checked only
             * where clipping is negligible: sigma * 255 < 128 / 3.5) */
            flat_stats("gaussian_noise", s, v, side, nimg, &m, &var, &ext);
            double want = pow(GS[t][s - 1] * 255, 2) + 1.0 / 12;
            /* the mean's tolerance: 0.25, or 4.5 standard errors for the larger sigmas */
            CHECK(fabs(m - (v - 0.5)) < fmax(0.25, 4.5 * sqrt(want / elems)), "%dx%d gaussian s%d mean %g", side, side,
                  s, m);
            if (GS[t][s - 1] * 255 * 3.5 < v)
                CHECK(fabs(var / want - 1) < 0.03, "%dx%d gaussian s%d var %g want %g", side, side, s, var, want);
            flat_stats("shot_noise", s, v, side, nimg, &m, &var, &ext);
            want = x / LAM[t][s - 1] * 255 * 255 + 1.0 / 12;
            CHECK(fabs(m - (v - 0.5)) < 0.6, "%dx%d shot s%d mean %g", side, side, s, m);
            if (sqrt(want) * 3.5 < v)
                CHECK(fabs(var / want - 1) < 0.05, "%dx%d shot s%d var %g want %g", side, side, s, var, want);
            flat_stats("speckle_noise", s, v, side, nimg, &m, &var, &ext);
            want = pow(x * SP[t][s - 1] * 255, 2) + 1.0 / 12;
            CHECK(fabs(m - (v - 0.5)) < fmax(0.25, 4.5 * sqrt(want / elems)), "%dx%d speckle s%d mean %g", side, side,
                  s, m);
            if (sqrt(want) * 3.5 < v)
                CHECK(fabs(var / want - 1) < 0.03, "%dx%d speckle s%d var %g want %g", side, side, s, var, want);
            flat_stats("impulse_noise", s, v, side, nimg, &m, &var, &ext);
            double p = IP[t][s - 1], sd = sqrt(p * (1 - p) / elems);
            CHECK(fabs(ext - p) < 5 * sd, "%dx%d impulse s%d fraction %g want %g", side, side, s, ext, p);
            /* salt and pepper equally likely: the mean stays near 128 + p (127.5 - 128) */
            CHECK(fabs(m - (v + p * (127.5 - v))) < 0.5, "%dx%d impulse s%d mean %g", side, side, s, m);
        }
    }
}

/* mean |out - in| per severity over a set of images: strictly increasing,
 * except at the steps below where the CIFAR parameter table itself does not
 * order the mean absolute change (docs/corruptions.md, "Severity order"):
 *  - glass_blur 2->3, 4->5: sigma .25 -> .4 smooths the shuffled pixels;
 *  - frost 2->3, 3->4, 4->5: a < 1 darkens what b * frost brightens, the two
 *    cancel in |change|;
 *  - elastic_transform, every step: the affine jitter shrinks (2.56 -> .96
 *    px) faster than the sub-pixel elastic field grows;
 *  - spatter 3->4: water (additive) becomes mud (a sparse mask).
 * exempt(k, s) is 1 when the step s -> s+1 is exempt. */
static int exempt(int k, int s)
{
    switch (k) {
    case AR_CORRUPT_GLASS_BLUR: return s == 2 || s == 4;
    case AR_CORRUPT_FROST: return s >= 2;
    case AR_CORRUPT_ELASTIC_TRANSFORM: return 1;
    case AR_CORRUPT_SPATTER: return s == 3;
    default: return 0;
    }
}

static void check_ordering(const char *set, const uint8_t *imgs, int nimg, int h, int w, int c)
{
    ar_err_t err = {0};
    ar_corrupt_ctx_t *ctx = ar_corrupt_ctx_new(NULL, h, w, c, &err);
    CHECK(ctx != NULL, "%s ctx: %s", set, err.msg);
    if (!ctx) return;
    int n = h * w * c;
    uint8_t *out = malloc((size_t)n);
    for (int k = 0; k < AR_CORRUPT_COUNT; k++) {
        double mad[6] = {0};
        for (int s = 1; s <= 5; s++) {
            double sum = 0;
            for (int i = 0; i < nimg; i++) {
                const uint8_t *in = imgs + (long)i * n;
                int st = ar_corrupt_image(ctx, k, s, 1234, i, in, out, h, w, c, &err);
                CHECK(st == 0, "%s %s: %s", set, ar_corrupt_name(k), err.msg);
                for (int j = 0; j < n; j++) sum += abs((int)out[j] - (int)in[j]);
            }
            mad[s] = sum / ((double)nimg * n);
        }
        if (k == AR_CORRUPT_SATURATE) continue;
        int ok = mad[1] > 0.05;
        for (int s = 2; s <= 5; s++) ok &= mad[s] > 0.05 && (exempt(k, s - 1) || mad[s] > mad[s - 1]);
        CHECK(ok, "%s %s: mean |change| by severity %.3f %.3f %.3f %.3f %.3f", set,
              ar_corrupt_name(k), mad[1], mad[2], mad[3], mad[4], mad[5]);
        if (getenv("AR_CORRUPT_VERBOSE"))
            printf("%-8s %-18s %.3f %.3f %.3f %.3f %.3f\n", set, ar_corrupt_name(k), mad[1],
                   mad[2], mad[3], mad[4], mad[5]);
    }
    free(out);
    ar_corrupt_ctx_destroy(&ctx);
}

static void test_ordering(void)
{
    int nimg = 48, n = 32 * 32 * 3;
    uint8_t *imgs = malloc((size_t)nimg * n);
    for (int i = 0; i < nimg; i++) synth_image(2024, i, 32, 32, 3, imgs + (long)i * n);
    check_ordering("synth32", imgs, nimg, 32, 32, 3);
    free(imgs);
    /* Fashion-MNIST test images when the Debian package is installed */
    ar_data_source_t src = {.path = "/usr/share/datasets/fashion-mnist", .split = "test"};
    ar_err_t err = {0};
    ar_dataset_t *ds = ar_dataset_open(&src, &err);
    if (!ds) {
        printf("fashion-mnist not available (%s): skipped\n", err.msg);
        return;
    }
    const ar_dataset_info_t *info = ar_dataset_info(ds);
    int m = info->height * info->width * info->channels;
    uint8_t *fm = malloc((size_t)nimg * m);
    CHECK_OK(ar_dataset_read_u8(ds, 0, nimg, fm, NULL, &err), &err);
    check_ordering("fmnist", fm, nimg, info->height, info->width, info->channels);
    free(fm);
    ar_dataset_destroy(&ds);
}

/* every corruption runs on odd shapes and gray images, and changes them */
static void test_shapes(void)
{
    const int shapes[][3] = {{28, 28, 1}, {17, 23, 3}, {64, 48, 1}, {64, 64, 3}};
    for (int t = 0; t < 4; t++) {
        int h = shapes[t][0], w = shapes[t][1], c = shapes[t][2], n = h * w * c;
        ar_err_t err = {0};
        ar_corrupt_ctx_t *ctx = ar_corrupt_ctx_new(NULL, h, w, c, &err);
        CHECK(ctx != NULL, "ctx %dx%dx%d: %s", h, w, c, err.msg);
        if (!ctx) continue;
        uint8_t *in = malloc((size_t)n), *out = malloc((size_t)n);
        synth_image(5, t, h, w, c, in);
        for (int k = 0; k < AR_CORRUPT_COUNT; k++) {
            long changed = 0;
            for (int s = 1; s <= 5; s++) {
                int st = ar_corrupt_image(ctx, k, s, 9, 0, in, out, h, w, c, &err);
                CHECK(st == 0, "%s %dx%dx%d: %s", ar_corrupt_name(k), h, w, c, err.msg);
                for (int j = 0; j < n; j++) changed += out[j] != in[j];
            }
            CHECK(changed > 0, "%s changes a %dx%dx%d image", ar_corrupt_name(k), h, w, c);
        }
        free(in), free(out);
        ar_corrupt_ctx_destroy(&ctx);
    }
}

/* a tiny in-memory base dataset for the corrupted-dataset wrapper */
typedef struct {
    int n;
    uint8_t *px;
} mem_ds_t;
static int mem_read(void *self, int64_t start, int64_t count, uint8_t *px, int32_t *labels,
                    ar_err_t *err)
{
    (void)err;
    mem_ds_t *m = self;
    if (px) memcpy(px, m->px + start * 3072, (size_t)count * 3072);
    if (labels)
        for (int64_t i = 0; i < count; i++) labels[i] = (int32_t)((start + i) % 10);
    return 0;
}
static void mem_destroy(void *self)
{
    mem_ds_t *m = self;
    free(m->px);
    free(m);
}

static void test_determinism(void)
{
    int N = 40, n = 3072;
    uint8_t *clean = malloc((size_t)N * n), *all = malloc((size_t)N * n), *one = malloc((size_t)n);
    for (int i = 0; i < N; i++) synth_image(77, i, 32, 32, 3, clean + (long)i * n);
    ar_err_t err = {0};
    ar_corrupt_ctx_t *a = ar_corrupt_ctx_new(NULL, 32, 32, 3, &err);
    for (int k = 0; k < AR_CORRUPT_COUNT; k++) {
        int s = 1 + k % 5;
        CHECK_OK(ar_corrupt_images(a, k, s, 42, 0, N, clean, all, &err), &err);
        /* alone, out of order, with a fresh context each time */
        int same = 1;
        for (int i = N - 1; i >= 0; i -= 7) {
            ar_corrupt_ctx_t *b = ar_corrupt_ctx_new(NULL, 32, 32, 3, &err);
            ar_corrupt_image(b, k, s, 42, i, clean + (long)i * n, one, 32, 32, 3, &err);
            same &= memcmp(one, all + (long)i * n, (size_t)n) == 0;
            ar_corrupt_ctx_destroy(&b);
        }
        CHECK(same, "%s: one image alone = the same image in the batch", ar_corrupt_name(k));
        /* another seed or index gives another image for the random ones */
        ar_corrupt_image(a, k, s, 43, 0, clean, one, 32, 32, 3, &err);
        int random_kind = k != AR_CORRUPT_DEFOCUS_BLUR && k != AR_CORRUPT_ZOOM_BLUR &&
                          k != AR_CORRUPT_BRIGHTNESS && k != AR_CORRUPT_CONTRAST &&
                          k != AR_CORRUPT_PIXELATE && k != AR_CORRUPT_JPEG_COMPRESSION &&
                          k != AR_CORRUPT_GAUSSIAN_BLUR && k != AR_CORRUPT_SATURATE &&
                          !(k == AR_CORRUPT_GLASS_BLUR && s == 1 && 0);
        if (random_kind)
            CHECK(memcmp(one, all, (size_t)n) != 0, "%s: seed changes the image", ar_corrupt_name(k));
        else
            CHECK(memcmp(one, all, (size_t)n) == 0, "%s: deterministic ignores seed", ar_corrupt_name(k));
        /* shards of the corrupted dataset give the same rows */
        mem_ds_t *m = malloc(sizeof *m);
        m->n = N;
        m->px = malloc((size_t)N * n);
        memcpy(m->px, clean, (size_t)N * n);
        ar_dataset_info_t info = {.count = N, .height = 32, .width = 32, .channels = 3, .num_classes = 10};
        snprintf(info.format, sizeof info.format, "memory");
        snprintf(info.name, sizeof info.name, "synth");
        static const ar_dataset_vt_t vt = {mem_read, mem_destroy};
        ar_dataset_t *base = ar_dataset_new_custom(&info, &vt, m, &err);
        ar_dataset_t *cd = ar_corrupt_dataset_new(&base, k, s, 42, NULL, &err);
        CHECK(cd != NULL && base == NULL, "corrupted dataset: %s", err.msg);
        if (!cd) continue;
        const ar_dataset_info_t *ci = ar_dataset_info(cd);
        CHECK(ci->count == N && ci->channels == 3 && strstr(ci->name, ar_corrupt_name(k)),
              "info %s", ci->name);
        uint8_t *shard = malloc((size_t)13 * n);
        int32_t lab[13];
        int ok = 1;
        for (int start = 0; start < N; start += 13) {
            int cnt = N - start < 13 ? N - start : 13;
            CHECK_OK(ar_dataset_read_u8(cd, start, cnt, shard, lab, &err), &err);
            ok &= memcmp(shard, all + (long)start * n, (size_t)cnt * n) == 0;
            ok &= lab[0] == start % 10;
        }
        CHECK(ok, "%s: shards of the corrupted set = the full batch", ar_corrupt_name(k));
        /* generated on 3 threads (the rank's default): the same bytes */
        ar_par_set_default_threads(3);
        uint8_t *par = malloc((size_t)N * n);
        CHECK_OK(ar_dataset_read_u8(cd, 0, N, par, NULL, &err), &err);
        CHECK(memcmp(par, all, (size_t)N * n) == 0, "%s: 3 threads = 1 thread", ar_corrupt_name(k));
        ar_par_set_default_threads(1);
        free(par);
        CHECK(ar_dataset_read_u8(cd, N - 1, 2, shard, NULL, &err) != 0, "range past the end");
        free(shard);
        ar_dataset_destroy(&cd);
    }
    ar_corrupt_ctx_destroy(&a);
    free(clean), free(all), free(one);
}

/* a flat-colour JPEG file through libjpeg directly */
static int write_jpeg(const char *path, int h, int w, const uint8_t rgb[3])
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr je;
    ci.err = jpeg_std_error(&je);
    jpeg_create_compress(&ci);
    jpeg_stdio_dest(&ci, f);
    ci.image_width = (JDIMENSION)w, ci.image_height = (JDIMENSION)h;
    ci.input_components = 3, ci.in_color_space = JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, 95, TRUE);
    jpeg_start_compress(&ci, TRUE);
    uint8_t *row = malloc((size_t)w * 3);
    for (int x = 0; x < w; x++) memcpy(row + 3 * x, rgb, 3);
    while (ci.next_scanline < ci.image_height) jpeg_write_scanlines(&ci, &row, 1);
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    free(row);
    return fclose(f);
}

static void test_frost_jpeg(void)
{
    char dir[1024]; /* test_tmp's buffers rotate: keep a copy */
    snprintf(dir, sizeof dir, "%s", test_tmp("frost_jpg"));
    mkdir(dir, 0755);
    char p[1200];
    snprintf(p, sizeof p, "%s/b.jpg", dir);
    const uint8_t col[3] = {100, 150, 200};
    CHECK(write_jpeg(p, 240, 320, col) == 0, "write %s", p);
    ar_err_t err = {0};
    ar_corrupt_opts_t o = {.frost_dir = dir};
    ar_corrupt_ctx_t *ctx = ar_corrupt_ctx_new(&o, 28, 28, 1, &err);
    CHECK(ctx != NULL, "gray ctx with a JPEG texture: %s", err.msg);
    if (ctx) {
        uint8_t in[784], out[784];
        memset(in, 0, sizeof in);
        ar_corrupt_image(ctx, AR_CORRUPT_FROST, 5, 1, 3, in, out, 28, 28, 1, &err);
        /* 0.45 * luma(100, 150, 200) = 0.45 * 140.75 = 63.3 (JPEG +-1 level) */
        CHECK(out[0] >= 62 && out[0] <= 64 && out[783] == out[0], "frost from JPEG: %d", out[0]);
        ar_corrupt_ctx_destroy(&ctx);
    }
    /* damaged files are errors naming the file (and free what they hold) */
    static const unsigned char png_head[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 1, 0, 0, 0, 1, 0, 8, 2, 0, 0, 0, 1, 2, 3, 4, 0, 0};
    static const unsigned char jpg_head[] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF, 0xDB, 0, 3, 9};
    const struct {
        const char *name;
        const unsigned char *bytes;
        size_t n;
    } bad[2] = {{"bad.png", png_head, sizeof png_head}, {"bad.jpg", jpg_head, sizeof jpg_head}};
    remove(p);
    for (int i = 0; i < 2; i++) {
        char bp[1200];
        snprintf(bp, sizeof bp, "%s/%s", dir, bad[i].name);
        FILE *f = fopen(bp, "wb");
        if (f) fwrite(bad[i].bytes, 1, bad[i].n, f), fclose(f);
        ar_err_clear(&err);
        ctx = ar_corrupt_ctx_new(&o, 32, 32, 3, &err);
        CHECK(ctx == NULL && err.status == AR_E_FORMAT && strstr(err.msg, bad[i].name),
              "damaged %s: %s", bad[i].name, err.msg);
        ar_corrupt_ctx_destroy(&ctx);
        remove(bp);
    }
    rmdir(dir);
}

static void test_frost_dir(void)
{
    char dir[1024]; /* test_tmp's buffers rotate: keep a copy */
    snprintf(dir, sizeof dir, "%s", test_tmp("frost_tex"));
    mkdir(dir, 0755);
    char p1[1200], p2[1200];
    snprintf(p1, sizeof p1, "%s/a.png", dir);
    snprintf(p2, sizeof p2, "%s/notes.txt", dir);
    int th = 300, tw = 400;
    uint8_t *t = malloc((size_t)th * tw * 3);
    for (int i = 0; i < th * tw * 3; i++) t[i] = (uint8_t)(i % 3 == 2 ? 250 : 200);
    ar_err_t err = {0};
    CHECK_OK(ar_png_write(p1, t, th, tw, 3, &err), &err);
    FILE *f = fopen(p2, "w");
    if (f) fputs("not an image", f), fclose(f);
    ar_corrupt_opts_t o = {.frost_dir = dir};
    ar_corrupt_ctx_t *ctx = ar_corrupt_ctx_new(&o, 32, 32, 3, &err);
    CHECK(ctx != NULL, "ctx with frost dir: %s", err.msg);
    if (ctx) {
        CHECK(strstr(ar_corrupt_ctx_frost_source(ctx), "dir:") &&
                  strstr(ar_corrupt_ctx_frost_source(ctx), "(1 images)"),
              "source %s", ar_corrupt_ctx_frost_source(ctx));
        uint8_t in[3072], out[3072];
        memset(in, 100, sizeof in);
        ar_corrupt_image(ctx, AR_CORRUPT_FROST, 1, 1, 0, in, out, 32, 32, 3, &err);
        /* 1 * 100 + 0.2 * texture (200, 200, 250 after the 0.2x resize) */
        CHECK(out[0] == 140 && out[1] == 140 && out[2] == 150, "frost = a x + b tex: %d %d %d",
              out[0], out[1], out[2]);
        ar_corrupt_ctx_destroy(&ctx);
    }
    /* a directory whose only image is too small is an error naming it */
    uint8_t small[20 * 20 * 3] = {0};
    CHECK_OK(ar_png_write(p1, small, 20, 20, 3, &err), &err);
    ctx = ar_corrupt_ctx_new(&o, 32, 32, 3, &err);
    CHECK(ctx == NULL && strstr(err.msg, dir), "too-small textures: %s", err.msg);
    remove(p1), remove(p2), rmdir(dir);
    free(t);
}

int main(void)
{
    test_noise_stats();
    test_shapes();
    test_determinism();
    test_frost_dir();
    test_frost_jpeg();
    test_ordering();
    TEST_MAIN_END();
}
