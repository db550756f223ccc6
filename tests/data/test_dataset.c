/* test_dataset.c - every format through ar_dataset_open on small files the
 * test writes itself (IDX plain + gz, CIFAR-10 bin file and directory, .npy
 * collection, HDF5 dataset and collection by our layer and by h5py): pixels,
 * labels, info, shard reads that concatenate to the whole, normalisation,
 * index reads; the reader table (order, probes, what a miss says; the image
 * folders of test_image_folder.c among the others); and every
 * bad input as a clean one-line error. */
#include <stdint.h>
#include <zlib.h>

#include "check.h"
#include "core/fsutil.h"
#include "core/par.h"
#include "image_tree.h"
#include "data/collection.h"
#include "data/dataset.h"
#include "data/readers.h"
#include "io/h5.h"
#include "io/idx.h"
#include "io/npy.h"
#include "test_util.h"

#define N 23
#define H 5
#define W 4

/* Deterministic pixel for image i, row y, col x, channel c. */
static uint8_t pix(int64_t i, int y, int x, int c) { return (uint8_t)((i * 31 + y * 7 + x * 3 + c * 101) % 256); }

static void fill_nhwc(uint8_t *p, int64_t n, int h, int w, int c, int salt)
{
    for (int64_t i = 0; i < n; i++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < c; k++) p[((i * h + y) * w + x) * c + k] = (uint8_t)(pix(i, y, x, k) + salt);
}

/* Reads the whole set, then in uneven shards, and checks they agree with
 * the expected pixels and labels. */
static void check_contents(ar_dataset_t *ds, const uint8_t *want_px, const int32_t *want_lab, const char *what)
{
    ar_err_t e = {0};
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    int64_t n = in->count, img = (int64_t)in->height * in->width * in->channels;
    uint8_t *px = malloc((size_t)(n * img)), *sh = malloc((size_t)(n * img));
    int32_t *lab = malloc((size_t)n * 4), *shl = malloc((size_t)n * 4);
    CHECK_OK(ar_dataset_read_u8(ds, 0, n, px, lab, &e), &e);
    CHECK(memcmp(px, want_px, (size_t)(n * img)) == 0, "%s: pixels", what);
    CHECK(memcmp(lab, want_lab, (size_t)n * 4) == 0, "%s: labels", what);
    for (int shards = 1; shards <= 5; shards++) {
        memset(sh, 0, (size_t)(n * img));
        memset(shl, 0xff, (size_t)n * 4);
        for (int s = 0; s < shards; s++) {
            int64_t a = n * s / shards, b = n * (s + 1) / shards;
            CHECK_OK(ar_dataset_read_u8(ds, a, b - a, sh + a * img, shl + a, &e), &e);
        }
        CHECK(memcmp(sh, px, (size_t)(n * img)) == 0 && memcmp(shl, lab, (size_t)n * 4) == 0,
              "%s: %d shards concatenate to the whole", what, shards);
    }
    /* labels only, pixels only */
    CHECK_OK(ar_dataset_read_u8(ds, 1, n - 1, NULL, shl, &e), &e);
    CHECK(memcmp(shl, lab + 1, (size_t)(n - 1) * 4) == 0, "%s: labels-only read", what);
    CHECK_OK(ar_dataset_read_u8(ds, n - 1, 1, sh, NULL, &e), &e);
    CHECK(memcmp(sh, px + (n - 1) * img, (size_t)img) == 0, "%s: pixels-only read", what);
    CHECK_ERR(ar_dataset_read_u8(ds, n - 2, 3, px, lab, &e), &e, AR_E_ARG, "outside");
    CHECK_ERR(ar_dataset_read_u8(ds, -1, 1, px, lab, &e), &e, AR_E_ARG, "outside");
    free(px);
    free(sh);
    free(lab);
    free(shl);
}

static ar_dataset_t *open_src(const char *path, const char *split, const char *corr, int sev, ar_err_t *e)
{
    ar_data_source_t src = {.path = path, .split = split, .corruption = corr, .severity = sev};
    return ar_dataset_open(&src, e);
}

#define OPEN_FAILS(st, path, split, corr, sev, ...)                                \
    do {                                                                           \
        ar_dataset_t *d_ = open_src((path), (split), (corr), (sev), &e);           \
        CHECK(d_ == NULL, "%s must not open", (path));                             \
        ar_dataset_destroy(&d_);                                                   \
        CHECK_ERR(e.status, &e, (st), __VA_ARGS__);                                \
    } while (0)

/* ---- IDX ------------------------------------------------------------------ */

static void write_idx_pair(const char *dir, const char *prefix, int64_t n, int gz, int salt)
{
    uint8_t *px = malloc((size_t)(n * H * W));
    uint8_t *lab = malloc((size_t)n);
    fill_nhwc(px, n, H, W, 1, salt);
    for (int64_t i = 0; i < n; i++) lab[i] = (uint8_t)((i * 7 + salt) % 10);
    char p[1024];
    ar_err_t e = {0};
    int64_t d[3] = {n, H, W};
    snprintf(p, sizeof p, "%s/%s-images-idx3-ubyte%s", dir, prefix, gz ? ".gz" : "");
    CHECK_OK(ar_idx_write(p, 3, d, px, gz, &e), &e);
    snprintf(p, sizeof p, "%s/%s-labels-idx1-ubyte%s", dir, prefix, gz ? ".gz" : "");
    CHECK_OK(ar_idx_write(p, 1, d, lab, gz, &e), &e);
    free(px);
    free(lab);
}

static void test_idx(void)
{
    ar_err_t e = {0};
    for (int gz = 0; gz < 2; gz++) {
        const char *dir = test_tmp(gz ? "idx_gz" : "idx_plain");
        tu_rmdir(dir);
        tu_mkdir(dir);
        write_idx_pair(dir, "train", N, gz, 0);
        write_idx_pair(dir, "t10k", 7, gz, 5);
        uint8_t px[N * H * W];
        int32_t lab[N];
        fill_nhwc(px, N, H, W, 1, 0);
        for (int i = 0; i < N; i++) lab[i] = (i * 7) % 10;
        ar_dataset_t *ds = open_src(dir, "train", NULL, 0, &e);
        CHECK(ds != NULL, "idx dir train: %s", ar_err_msg(&e));
        if (!ds) continue;
        const ar_dataset_info_t *in = ar_dataset_info(ds);
        CHECK(in->count == N && in->height == H && in->width == W && in->channels == 1, "idx info");
        CHECK(strcmp(in->format, "idx") == 0 && in->num_classes == 10, "format %s classes %d", in->format, in->num_classes);
        check_contents(ds, px, lab, gz ? "idx gz" : "idx plain");
        ar_dataset_destroy(&ds);
        CHECK(ds == NULL, "destroy nulls");
        ar_dataset_destroy(&ds);
        ds = open_src(dir, NULL, NULL, 0, &e); /* default split = test */
        CHECK(ds && ar_dataset_info(ds)->count == 7, "default split is test (t10k)");
        ar_dataset_destroy(&ds);
        char f[1024];
        snprintf(f, sizeof f, "%s/t10k-images-idx3-ubyte%s", dir, gz ? ".gz" : "");
        ds = open_src(f, NULL, NULL, 0, &e); /* a single images file finds its labels */
        CHECK(ds && ar_dataset_info(ds)->count == 7, "images file opens with its labels: %s", ar_err_msg(&e));
        ar_dataset_destroy(&ds);
        OPEN_FAILS(AR_E_ARG, dir, "valid", NULL, 0, "unknown split 'valid'");
        OPEN_FAILS(AR_E_ARG, dir, "test", "fog", 1, "corruption 'fog'", "not a corruption collection");
        OPEN_FAILS(AR_E_ARG, f, NULL, "fog", 1, "corruption 'fog'", "IDX dataset");
        ds = open_src(f, NULL, "clean", 0, &e);
        CHECK(ds != NULL, "'clean' of a plain dataset is the dataset");
        ar_dataset_destroy(&ds);
    }
}

static void test_idx_bad(void)
{
    ar_err_t e = {0};
    const char *dir = test_tmp("idx_bad");
    tu_rmdir(dir);
    tu_mkdir(dir);
    write_idx_pair(dir, "t10k", N, 0, 0);
    write_idx_pair(dir, "train", N, 1, 0);
    char img[1024], lab[1024], gz[1024];
    snprintf(img, sizeof img, "%s/t10k-images-idx3-ubyte", dir);
    snprintf(lab, sizeof lab, "%s/t10k-labels-idx1-ubyte", dir);
    snprintf(gz, sizeof gz, "%s/train-images-idx3-ubyte.gz", dir);
    ar_idx_t x;

    /* truncated plain images */
    char p[1024];
    snprintf(p, sizeof p, "%s/trunc-images-idx3-ubyte", dir);
    tu_truncate_copy(img, p, -10);
    CHECK_ERR(ar_idx_load(p, &x, &e), &e, AR_E_FORMAT, "trunc-images-idx3-ubyte", "promises 460", "truncated");
    /* gzip cut in half */
    snprintf(p, sizeof p, "%s/half-images-idx3-ubyte.gz", dir);
    tu_truncate_copy(gz, p, (long)ar_file_size(gz) / 2);
    int st = ar_idx_load(p, &x, &e);
    CHECK(st == AR_E_FORMAT, "half gzip fails: %s", ar_err_msg(&e));
    CHECK(strstr(ar_err_msg(&e), "half-images-idx3-ubyte.gz") != NULL, "names the file: %s", ar_err_msg(&e));
    ar_err_clear(&e);
    /* gzip with damaged body */
    snprintf(p, sizeof p, "%s/bent-images-idx3-ubyte.gz", dir);
    tu_truncate_copy(gz, p, -1);
    {
        FILE *f = fopen(p, "r+b");
        fseek(f, 20, SEEK_SET);
        fputc(0xff, f);
        fputc(0x00, f);
        fputc(0x13, f);
        fclose(f);
    }
    CHECK(ar_idx_load(p, &x, &e) != AR_OK, "damaged gzip fails");
    CHECK(strstr(ar_err_msg(&e), "bent-images") != NULL, "names the file: %s", ar_err_msg(&e));
    ar_err_clear(&e);
    /* wrong magic, other element type, absurd dims, header cut */
    snprintf(p, sizeof p, "%s/magic-images-idx3-ubyte", dir);
    tu_write(p, "\x01\x02\x08\x03\x00\x00\x00\x01", 8);
    CHECK_ERR(ar_idx_load(p, &x, &e), &e, AR_E_FORMAT, "magic-images-idx3-ubyte", "bad magic");
    tu_write(p, "\x00\x00\x0d\x01\x00\x00\x00\x01\x00\x00\x00\x00", 12);
    CHECK_ERR(ar_idx_load(p, &x, &e), &e, AR_E_UNSUPPORTED, "type 0x0d");
    tu_write(p, "\x00\x00\x08\x03\x7f\xff\xff\xff\x7f\xff\xff\xff\x7f\xff\xff\xff", 16);
    CHECK_ERR(ar_idx_load(p, &x, &e), &e, AR_E_FORMAT, "absurd");
    tu_write(p, "\x00\x00\x08\x03\x00\x01\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00", 16);
    CHECK_ERR(ar_idx_load(p, &x, &e), &e, AR_E_FORMAT, "promises", "holds 0");
    tu_write(p, "\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00", 10);
    CHECK_ERR(ar_idx_load(p, &x, &e), &e, AR_E_FORMAT, "truncated IDX header");
    tu_write(p, "\x00\x00\x08\x01\x00\x00\x00\x00", 8);
    CHECK_ERR(ar_idx_load(p, &x, &e), &e, AR_E_FORMAT, "dimension 0 = 0");
    CHECK_ERR(ar_idx_load(test_tmp("idx_bad/nothing-images"), &x, &e), &e, AR_E_IO, "nothing-images", "cannot open");

    /* labels out of range for Fashion-MNIST naming / mismatched counts */
    const char *fd = test_tmp("idx_bad/fashion");
    tu_mkdir(fd);
    write_idx_pair(fd, "t10k", N, 0, 0);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", fd);
    uint8_t bad[N];
    for (int i = 0; i < N; i++) bad[i] = (uint8_t)(i == 17 ? 12 : 3);
    int64_t d = N;
    CHECK_OK(ar_idx_write(p, 1, &d, bad, 0, &e), &e);
    OPEN_FAILS(AR_E_FORMAT, fd, "test", NULL, 0, "t10k-labels-idx1-ubyte", "label 12 of image 17", "0..9");
    d = N - 1;
    CHECK_OK(ar_idx_write(p, 1, &d, bad, 0, &e), &e);
    OPEN_FAILS(AR_E_FORMAT, fd, "test", NULL, 0, "t10k-labels-idx1-ubyte", "23 entries");
    remove(p);
    OPEN_FAILS(AR_E_IO, fd, "test", NULL, 0, "t10k-labels-idx1-ubyte");
    /* an images file without its labels file beside it */
    snprintf(p, sizeof p, "%s/lonely-images-idx3-ubyte", dir);
    tu_truncate_copy(img, p, 1L << 30);
    OPEN_FAILS(AR_E_IO, p, NULL, NULL, 0, "lonely-images-idx3-ubyte", "no matching labels");
    (void)lab;
}

/* ---- CIFAR-10 binary --------------------------------------------------------- */

static void cifar_records(uint8_t *buf, int64_t n, int64_t first, uint8_t *nhwc, int32_t *labels)
{
    for (int64_t i = 0; i < n; i++) {
        int64_t g = first + i;
        uint8_t *r = buf + i * 3073;
        r[0] = (uint8_t)(g % 10);
        labels[i] = r[0];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++) {
                    uint8_t v = pix(g, y, x, c);
                    r[1 + c * 1024 + y * 32 + x] = v;
                    nhwc[i * 3072 + (y * 32 + x) * 3 + c] = v;
                }
    }
}

static void test_cifar(void)
{
    ar_err_t e = {0};
    const char *dir = test_tmp("cifar-10-batches-bin");
    tu_rmdir(dir);
    tu_mkdir(dir);
    const int per = 4; /* records per training batch */
    int64_t ntr = 5 * per;
    uint8_t *rec = malloc(3073 * 8), *want = malloc(3072 * (size_t)ntr);
    int32_t wl[20], tl[8];
    char p[1024];
    for (int b = 0; b < 5; b++) {
        cifar_records(rec, per, b * per, want + (size_t)b * per * 3072, wl + b * per);
        snprintf(p, sizeof p, "%s/data_batch_%d.bin", dir, b + 1);
        tu_write(p, rec, 3073 * (size_t)per);
    }
    uint8_t *twant = malloc(3072 * 6);
    cifar_records(rec, 6, 1000, twant, tl);
    snprintf(p, sizeof p, "%s/test_batch.bin", dir);
    tu_write(p, rec, 3073 * 6);

    ar_dataset_t *ds = open_src(dir, "train", NULL, 0, &e);
    CHECK(ds != NULL, "cifar train: %s", ar_err_msg(&e));
    if (ds) {
        const ar_dataset_info_t *in = ar_dataset_info(ds);
        CHECK(in->count == ntr && in->height == 32 && in->channels == 3 && in->num_classes == 10, "cifar info");
        CHECK(in->class_names && strcmp(in->class_names[0], "airplane") == 0 && strcmp(in->class_names[9], "truck") == 0,
              "cifar class names");
        check_contents(ds, want, wl, "cifar train (5 batches)");
        ar_dataset_destroy(&ds);
    }
    ds = open_src(dir, NULL, NULL, 0, &e);
    CHECK(ds != NULL && ar_dataset_info(ds)->count == 6, "cifar test split");
    if (ds) check_contents(ds, twant, tl, "cifar test");
    ar_dataset_destroy(&ds);
    ds = open_src(p, NULL, NULL, 0, &e);
    CHECK(ds != NULL && ar_dataset_info(ds)->count == 6, "single .bin file: %s", ar_err_msg(&e));
    ar_dataset_destroy(&ds);
    OPEN_FAILS(AR_E_ARG, p, NULL, "snow", 2, "corruption 'snow'", "CIFAR-10 binary");
    OPEN_FAILS(AR_E_ARG, dir, "test", "snow", 2, "corruption 'snow'", "CIFAR-10 binary");

    /* bad: truncated, label out of range, missing batch */
    char q[1024];
    snprintf(q, sizeof q, "%s/cut.bin", test_tmp(""));
    tu_truncate_copy(p, q, 3073 * 2 + 100);
    OPEN_FAILS(AR_E_FORMAT, q, NULL, NULL, 0, "cut.bin", "3073", "truncated");
    rec[3073 * 3] = 10;
    snprintf(q, sizeof q, "%s/badlabel.bin", test_tmp(""));
    tu_write(q, rec, 3073 * 6);
    OPEN_FAILS(AR_E_FORMAT, q, NULL, NULL, 0, "badlabel.bin", "record 3", "label 10");
    snprintf(p, sizeof p, "%s/data_batch_4.bin", dir);
    remove(p);
    OPEN_FAILS(AR_E_IO, dir, "train", NULL, 0, "data_batch_4.bin", "cannot open");
    free(rec);
    free(want);
    free(twant);
}

/* ---- .npy collection (CIFAR-10-C style) --------------------------------------- */

static void test_npy_dir(void)
{
    ar_err_t e = {0};
    const char *dir = test_tmp("CIFAR-10-C-mini");
    tu_rmdir(dir);
    tu_mkdir(dir);
    const int n = 6, S = 5;
    int64_t shape[4] = {S * n, H, W, 3};
    uint8_t *px = malloc((size_t)(S * n * H * W * 3));
    char p[1024];
    const char *names[2] = {"fog", "gaussian_noise"};
    for (int k = 0; k < 2; k++) {
        fill_nhwc(px, S * n, H, W, 3, 11 * k);
        snprintf(p, sizeof p, "%s/%s.npy", dir, names[k]);
        CHECK_OK(ar_npy_write(p, AR_NPY_U8, 4, shape, px, &e), &e);
    }
    int64_t labs[30];
    for (int i = 0; i < S * n; i++) labs[i] = (i % n) * 3 % 10 + (i / n == 2 ? 0 : 0);
    labs[2 * n + 1] = 9; /* severity 3 differs in one label */
    snprintf(p, sizeof p, "%s/labels.npy", dir);
    int64_t d1 = S * n;
    CHECK_OK(ar_npy_write(p, AR_NPY_I64, 1, &d1, labs, &e), &e);

    ar_collection_info_t ci;
    CHECK(ar_collection_probe(dir) == 1, "npy dir is a collection");
    CHECK_OK(ar_collection_describe(dir, &ci, &e), &e);
    CHECK(ci.ncorruptions == 2 && strcmp(ci.corruptions[0], "fog") == 0 && strcmp(ci.corruptions[1], "gaussian_noise") == 0,
          "corruption names");
    CHECK(ci.count == n && ci.severities == 5 && ci.channels == 3 && ci.height == H && !ci.has_clean, "geometry");
    CHECK(strcmp(ci.format, "npy-dir") == 0, "format");
    ar_collection_info_free(&ci);

    for (int sev = 1; sev <= 5; sev += 2) {
        ar_dataset_t *ds = open_src(dir, NULL, "gaussian_noise", sev, &e);
        CHECK(ds != NULL, "open sev %d: %s", sev, ar_err_msg(&e));
        if (!ds) continue;
        const ar_dataset_info_t *in = ar_dataset_info(ds);
        CHECK(in->count == n && in->channels == 3 && strcmp(in->format, "npy-dir") == 0, "npy info");
        CHECK(in->num_classes == 10 && in->class_names && strcmp(in->class_names[1], "automobile") == 0,
              "cifar names from dir name");
        uint8_t *want = malloc((size_t)(n * H * W * 3));
        int32_t wl[6];
        fill_nhwc(px, S * n, H, W, 3, 11);
        memcpy(want, px + (size_t)(sev - 1) * n * H * W * 3, (size_t)(n * H * W * 3));
        for (int i = 0; i < n; i++) wl[i] = (int32_t)labs[(sev - 1) * n + i];
        check_contents(ds, want, wl, "npy-dir");
        free(want);
        ar_dataset_destroy(&ds);
    }
    /* a single <corruption>.npy file */
    snprintf(p, sizeof p, "%s/fog.npy", dir);
    ar_dataset_t *ds = open_src(p, NULL, NULL, 2, &e);
    CHECK(ds && strcmp(ar_dataset_info(ds)->name, "fog/2") == 0, "single npy file: %s", ds ? ar_dataset_info(ds)->name : ar_err_msg(&e));
    ar_dataset_destroy(&ds);
    /* a NumPy file by another name is refused by its name (short names once wrote before the buffer) */
    const char *odd[2] = {"ab", "fog.dat"};
    for (int k = 0; k < 2; k++) {
        char q[1024];
        snprintf(q, sizeof q, "%s/%s", dir, odd[k]);
        tu_truncate_copy(p, q, 1L << 30);
        OPEN_FAILS(AR_E_ARG, q, NULL, NULL, 2, odd[k], "not named <corruption>.npy");
        remove(q);
    }

    OPEN_FAILS(AR_E_ARG, dir, NULL, NULL, 0, "name a corruption");
    OPEN_FAILS(AR_E_ARG, dir, NULL, "fog", 6, "severity 6", "1..5");
    OPEN_FAILS(AR_E_ARG, dir, NULL, "../etc", 1, "bad corruption name");
    OPEN_FAILS(AR_E_IO, dir, NULL, "snow", 1, "snow.npy", "cannot open");

    /* bad image dtype, bad row count, bad labels */
    int64_t fshape[4] = {S * n, H, W, 3};
    float *fp = calloc((size_t)(S * n * H * W * 3), sizeof *fp);
    snprintf(p, sizeof p, "%s/floaty.npy", dir);
    CHECK_OK(ar_npy_write(p, AR_NPY_F32, 4, fshape, fp, &e), &e);
    OPEN_FAILS(AR_E_FORMAT, dir, NULL, "floaty", 1, "floaty.npy", "uint8", "<f4");
    free(fp);
    int64_t oshape[4] = {7, H, W, 3};
    snprintf(p, sizeof p, "%s/odd.npy", dir);
    CHECK_OK(ar_npy_write(p, AR_NPY_U8, 4, oshape, px, &e), &e);
    OPEN_FAILS(AR_E_FORMAT, dir, NULL, "odd", 1, "odd.npy", "multiple of 5");
    CHECK(ar_collection_describe(dir, &ci, &e) == AR_E_FORMAT, "describe rejects a bad member");
    CHECK_ERR(e.status, &e, AR_E_FORMAT, "floaty.npy");
    remove(p);
    snprintf(p, sizeof p, "%s/floaty.npy", dir);
    remove(p);
    labs[4] = 10;
    labs[5] = -1;
    snprintf(p, sizeof p, "%s/labels.npy", dir);
    CHECK_OK(ar_npy_write(p, AR_NPY_I64, 1, &d1, labs, &e), &e);
    OPEN_FAILS(AR_E_FORMAT, dir, NULL, "fog", 1, "labels.npy", "label 10 of image 4", "0..9");
    d1 = 4;
    CHECK_OK(ar_npy_write(p, AR_NPY_I64, 1, &d1, labs, &e), &e);
    OPEN_FAILS(AR_E_FORMAT, dir, NULL, "fog", 1, "labels.npy", "30 or 6");
    free(px);
}

/* ---- HDF5 --------------------------------------------------------------------- */

static void test_h5_ours(void)
{
    ar_err_t e = {0};
    const char *p = test_tmp("ds_ours.h5");
    uint8_t px[N * H * W * 3];
    int32_t lab[N];
    fill_nhwc(px, N, H, W, 3, 3);
    for (int i = 0; i < N; i++) lab[i] = i % 4;
    ar_h5_t *h = ar_h5_create(p, &e);
    int64_t dims[4] = {N, H, W, 3}, dn = N;
    CHECK_OK(ar_h5_write(h, "/images", AR_DT_U8, 4, dims, px, 8, &e), &e);
    CHECK_OK(ar_h5_write(h, "/labels", AR_DT_I32, 1, &dn, lab, 0, &e), &e);
    const char *cls[4] = {"a", "b", "c", "d"};
    CHECK_OK(ar_h5_attr_write_strs(h, "/", "classes", cls, 4, &e), &e);
    CHECK_OK(ar_h5_attr_write_str(h, "/", "name", "tiny", &e), &e);
    CHECK_OK(ar_h5_commit(&h, &e), &e);
    ar_dataset_t *ds = open_src(p, NULL, NULL, 0, &e);
    CHECK(ds != NULL, "h5: %s", ar_err_msg(&e));
    if (ds) {
        const ar_dataset_info_t *in = ar_dataset_info(ds);
        CHECK(in->count == N && in->channels == 3 && in->num_classes == 4 && strcmp(in->name, "tiny") == 0 &&
                  strcmp(in->format, "hdf5") == 0 && strcmp(in->class_names[3], "d") == 0,
              "h5 info");
        check_contents(ds, px, lab, "hdf5 ours");
    }
    ar_dataset_destroy(&ds);
    /* the open-dataset handle of the HDF5 layer */
    h = ar_h5_open(p, &e);
    ar_h5_dset_t *d = h ? ar_h5_dset_open(h, "/images", 1 << 20, &e) : NULL;
    CHECK(d != NULL, "dset open: %s", ar_err_msg(&e));
    if (d) {
        int64_t st[4] = {N - 2, 0, 0, 0}, cn[4] = {2, H, W, 3};
        uint8_t two[2 * H * W * 3];
        CHECK_OK(ar_h5_dset_read_slab(d, AR_DT_U8, st, cn, two, &e), &e);
        CHECK(memcmp(two, px + (N - 2) * H * W * 3, sizeof two) == 0, "dset slab");
        cn[0] = 3;
        CHECK_ERR(ar_h5_dset_read_slab(d, AR_DT_U8, st, cn, two, &e), &e, AR_E_ARG, "ds_ours.h5:/images", "outside");
        ar_h5_dset_close(&d);
        ar_h5_dset_close(&d);
    }
    CHECK(h && ar_h5_dset_open(h, "/nothing", 0, &e) == NULL, "missing dset");
    CHECK_ERR(e.status, &e, AR_E_FORMAT, "/nothing", "missing");
    ar_h5_destroy(&h);
    CHECK(ar_collection_probe(p) == 0, "a plain dataset is no collection");
    OPEN_FAILS(AR_E_ARG, p, NULL, "fog", 1, "ds_ours.h5", "no corruption 'fog'");

    /* labels beyond the declared classes */
    lab[5] = 4;
    h = ar_h5_create(p, &e);
    CHECK_OK(ar_h5_write(h, "/images", AR_DT_U8, 4, dims, px, 0, &e), &e);
    CHECK_OK(ar_h5_write(h, "/labels", AR_DT_I32, 1, &dn, lab, 0, &e), &e);
    CHECK_OK(ar_h5_attr_write_strs(h, "/", "classes", cls, 4, &e), &e);
    CHECK_OK(ar_h5_commit(&h, &e), &e);
    OPEN_FAILS(AR_E_FORMAT, p, NULL, NULL, 0, "ds_ours.h5:/labels", "label 4 of image 5", "0..3");
    /* float images, missing labels, wrong label count */
    float fimg[N * H * W * 3] = {0};
    h = ar_h5_create(p, &e);
    CHECK_OK(ar_h5_write(h, "/images", AR_DT_F32, 4, dims, fimg, 0, &e), &e);
    CHECK_OK(ar_h5_commit(&h, &e), &e);
    OPEN_FAILS(AR_E_FORMAT, p, NULL, NULL, 0, "ds_ours.h5", "/images", "uint8");
    h = ar_h5_create(p, &e);
    CHECK_OK(ar_h5_write(h, "/images", AR_DT_U8, 4, dims, px, 0, &e), &e);
    CHECK_OK(ar_h5_commit(&h, &e), &e);
    OPEN_FAILS(AR_E_FORMAT, p, NULL, NULL, 0, "ds_ours.h5", "/labels", "missing");
    h = ar_h5_create(p, &e);
    dn = N - 3;
    CHECK_OK(ar_h5_write(h, "/images", AR_DT_U8, 4, dims, px, 0, &e), &e);
    CHECK_OK(ar_h5_write(h, "/labels", AR_DT_I32, 1, &dn, lab, 0, &e), &e);
    CHECK_OK(ar_h5_commit(&h, &e), &e);
    OPEN_FAILS(AR_E_FORMAT, p, NULL, NULL, 0, "ds_ours.h5:/labels", "one per image");
}

static void test_h5_collection(void)
{
    ar_err_t e = {0};
    const char *p = test_tmp("coll_ours.h5");
    const int S = 3, n = 9;
    uint8_t *px = malloc((size_t)(S * n * H * W));
    int32_t lab[9];
    for (int i = 0; i < n; i++) lab[i] = (i * 5) % 7;
    ar_h5_t *h = ar_h5_create(p, &e);
    int64_t dims[5] = {S, n, H, W, 1}, dn = n;
    const char *names[2] = {"zoom_blur", "brightness"};
    for (int k = 0; k < 2; k++) {
        fill_nhwc(px, S * n, H, W, 1, k);
        char g[64];
        snprintf(g, sizeof g, "/%s/images", names[k]);
        CHECK_OK(ar_h5_write(h, g, AR_DT_U8, 5, dims, px, 4, &e), &e);
    }
    CHECK_OK(ar_h5_write(h, "/labels", AR_DT_I32, 1, &dn, lab, 0, &e), &e);
    CHECK_OK(ar_h5_commit(&h, &e), &e);
    CHECK(ar_collection_probe(p) == 1, "h5 collection probe");
    ar_collection_info_t ci;
    CHECK_OK(ar_collection_describe(p, &ci, &e), &e);
    CHECK(ci.ncorruptions == 2 && strcmp(ci.corruptions[0], "brightness") == 0 && ci.severities == S && ci.count == n &&
              ci.channels == 1 && !ci.has_clean && strcmp(ci.format, "hdf5-collection") == 0,
          "h5 collection description");
    ar_collection_info_free(&ci);
    ar_dataset_t *ds = open_src(p, NULL, "zoom_blur", 2, &e);
    CHECK(ds != NULL, "h5 collection set: %s", ar_err_msg(&e));
    if (ds) {
        CHECK(strcmp(ar_dataset_info(ds)->format, "hdf5-collection") == 0 && ar_dataset_info(ds)->num_classes == 7,
              "collection set info");
        fill_nhwc(px, S * n, H, W, 1, 0);
        check_contents(ds, px + (size_t)n * H * W, lab, "hdf5 collection severity 2");
    }
    ar_dataset_destroy(&ds);
    OPEN_FAILS(AR_E_ARG, p, NULL, "zoom_blur", 4, "severity 4", "1..3");
    OPEN_FAILS(AR_E_ARG, p, NULL, "zoom_blur", 0, "severity 0");
    OPEN_FAILS(AR_E_FORMAT, p, NULL, NULL, 0, "/images missing", "name a corruption");
    free(px);
}

static void test_h5py(void)
{
    if (!tu_have_python("numpy, h5py")) {
        printf("note: /usr/bin/python3 with numpy + h5py not found, skipping h5py-written files\n");
        return;
    }
    ar_err_t e = {0};
    char code[2048];
    snprintf(code, sizeof code,
             "import numpy as np, h5py\n"
             "n, h, w = 11, 5, 4\n"
             "img = ((np.arange(n)[:, None, None, None] * 31 + np.arange(h)[None, :, None, None] * 7 +\n"
             "        np.arange(w)[None, None, :, None] * 3 + np.arange(3)[None, None, None, :] * 101) %% 256).astype(np.uint8)\n"
             "lab = (np.arange(n) * 3 %% 10).astype(np.int64)\n"
             "with h5py.File('%s', 'w') as f:\n"
             "    f['images'] = img\n"
             "    f['labels'] = lab\n"
             "    f.attrs['name'] = 'from h5py'\n"
             "    f.attrs['classes'] = np.array(['c%%d' %% i for i in range(10)], dtype=h5py.string_dtype())\n"
             "with h5py.File('%s', 'w') as f:\n"
             "    f['labels'] = lab\n"
             "    f['images'] = img\n"
             "    f.create_dataset('snow/images', data=np.stack([img, 255 - img]), chunks=(1, 4, h, w, 3), compression='gzip')\n",
             test_tmp("h5py_ds.h5"), test_tmp("h5py_coll.h5"));
    CHECK(tu_python(code) == 0, "h5py wrote the files");
    uint8_t px[11 * H * W * 3];
    int32_t lab[11];
    fill_nhwc(px, 11, H, W, 3, 0);
    for (int i = 0; i < 11; i++) lab[i] = i * 3 % 10;
    ar_dataset_t *ds = open_src(test_tmp("h5py_ds.h5"), NULL, NULL, 0, &e);
    CHECK(ds != NULL, "h5py dataset: %s", ar_err_msg(&e));
    if (ds) {
        const ar_dataset_info_t *in = ar_dataset_info(ds);
        CHECK(strcmp(in->name, "from h5py") == 0 && in->num_classes == 10 && strcmp(in->class_names[7], "c7") == 0,
              "h5py attrs (vlen strings)");
        check_contents(ds, px, lab, "h5py dataset (int64 labels)");
    }
    ar_dataset_destroy(&ds);
    ds = open_src(test_tmp("h5py_coll.h5"), NULL, "snow", 2, &e);
    CHECK(ds != NULL, "h5py collection: %s", ar_err_msg(&e));
    if (ds) {
        uint8_t inv[sizeof px];
        for (size_t i = 0; i < sizeof px; i++) inv[i] = (uint8_t)(255 - px[i]);
        check_contents(ds, inv, lab, "h5py collection severity 2 (chunked, gzip)");
    }
    ar_dataset_destroy(&ds);
    ar_collection_info_t ci;
    CHECK_OK(ar_collection_describe(test_tmp("h5py_coll.h5"), &ci, &e), &e);
    CHECK(ci.has_clean == 1 && ci.ncorruptions == 1 && ci.severities == 2, "h5py collection with clean");
    ar_collection_info_free(&ci);
    ds = open_src(test_tmp("h5py_coll.h5"), NULL, "clean", 0, &e);
    CHECK(ds != NULL && ar_dataset_info(ds)->count == 11, "clean images of a collection");
    ar_dataset_destroy(&ds);
}

static void test_damaged(void)
{
    ar_err_t e = {0};
    OPEN_FAILS(AR_E_IO, test_tmp("nope.h5"), NULL, NULL, 0, "nope.h5", "cannot open");
    OPEN_FAILS(AR_E_ARG, "", NULL, NULL, 0, "no path");
    /* an HDF5 file cut short */
    const char *src = test_tmp("ds_big.h5"), *cut = test_tmp("ds_cut.h5");
    uint8_t *px = malloc(200 * 16 * 16);
    fill_nhwc(px, 200, 16, 16, 1, 0);
    int32_t lab[200] = {0};
    ar_h5_t *h = ar_h5_create(src, &e);
    int64_t dims[4] = {200, 16, 16, 1}, dn = 200;
    CHECK_OK(ar_h5_write(h, "/images", AR_DT_U8, 4, dims, px, 0, &e), &e);
    CHECK_OK(ar_h5_write(h, "/labels", AR_DT_I32, 1, &dn, lab, 0, &e), &e);
    CHECK_OK(ar_h5_commit(&h, &e), &e);
    free(px);
    long keep[3] = {4, 1000, (long)ar_file_size(src) - 20000};
    for (int i = 0; i < 3; i++) {
        tu_truncate_copy(src, cut, keep[i]);
        ar_dataset_t *ds = open_src(cut, NULL, NULL, 0, &e);
        if (ds) { /* metadata intact: the pixel read must fail cleanly */
            uint8_t *buf = malloc(200 * 256);
            CHECK(ar_dataset_read_u8(ds, 0, 200, buf, NULL, &e) != AR_OK, "read of a cut file fails");
            free(buf);
            ar_dataset_destroy(&ds);
        }
        CHECK(e.status != AR_OK, "cut at %ld fails", keep[i]);
        CHECK(strstr(ar_err_msg(&e), "ds_cut.h5") != NULL, "names the file: %s", ar_err_msg(&e));
        ar_err_clear(&e);
    }
    /* unknown files and directories */
    const char *junk = test_tmp("junk.dat");
    tu_write(junk, "hello world", 11);
    OPEN_FAILS(AR_E_FORMAT, junk, NULL, NULL, 0, "junk.dat", "unrecognised");
    tu_write(junk, "", 0);
    OPEN_FAILS(AR_E_FORMAT, junk, NULL, NULL, 0, "junk.dat", "empty");
    const char *ed = test_tmp("empty_dir");
    tu_mkdir(ed);
    OPEN_FAILS(AR_E_FORMAT, ed, NULL, NULL, 0, "empty_dir", "not a dataset directory");
}

static void test_normalize(void)
{
    ar_err_t e = {0};
    const char *p = test_tmp("ds_norm.h5");
    uint8_t px[N * H * W * 3];
    int32_t lab[N] = {0};
    fill_nhwc(px, N, H, W, 3, 9);
    ar_h5_t *h = ar_h5_create(p, &e);
    int64_t dims[4] = {N, H, W, 3}, dn = N;
    CHECK_OK(ar_h5_write(h, "/images", AR_DT_U8, 4, dims, px, 0, &e), &e);
    for (int i = 0; i < N; i++) lab[i] = i % 3;
    CHECK_OK(ar_h5_write(h, "/labels", AR_DT_I32, 1, &dn, lab, 0, &e), &e);
    CHECK_OK(ar_h5_commit(&h, &e), &e);
    ar_dataset_t *ds = open_src(p, NULL, NULL, 0, &e);
    if (!ds) {
        CHECK(0, "open: %s", ar_err_msg(&e));
        return;
    }
    const float mean[3] = {0.4914f, 0.4822f, 0.4465f}, std[3] = {0.2470f, 0.2435f, 0.2616f};
    ar_tensor_t x = ar_tensor_4d(7, 3, H, W);
    ar_tensor_alloc(&x);
    int32_t got[7];
    CHECK_OK(ar_dataset_read_batch(ds, 10, 7, mean, std, &x, got, NULL, &e), &e);
    double maxerr = 0;
    for (int i = 0; i < 7; i++)
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < H; y++)
                for (int xx = 0; xx < W; xx++) {
                    double want = ((double)px[(((10 + i) * H + y) * W + xx) * 3 + c] / 255.0 - mean[c]) / std[c];
                    double d = fabs(want - x.data[((i * 3 + c) * H + y) * W + xx]);
                    if (d > maxerr) maxerr = d;
                }
    CHECK(maxerr < 1e-5, "normalised NCHW values, max error %g", maxerr);
    CHECK(got[0] == lab[10] && got[6] == lab[16], "batch labels");
    /* index reads equal range reads, in any order */
    int64_t idx[7] = {16, 10, 11, 12, 3, 22, 0};
    ar_tensor_t y = ar_tensor_4d(7, 3, H, W), one = ar_tensor_4d(1, 3, H, W);
    ar_tensor_alloc(&y);
    ar_tensor_alloc(&one);
    uint8_t scratch[7 * H * W * 3];
    CHECK_OK(ar_dataset_read_indices(ds, idx, 7, mean, std, &y, got, scratch, &e), &e);
    int same = 1;
    for (int i = 0; i < 7; i++) {
        CHECK_OK(ar_dataset_read_batch(ds, idx[i], 1, mean, std, &one, NULL, NULL, &e), &e);
        same &= memcmp(one.data, y.data + (size_t)i * 3 * H * W, sizeof(float) * 3 * H * W) == 0;
        same &= got[i] == lab[idx[i]];
    }
    CHECK(same, "index read = per-image reads");
    int64_t badidx[2] = {3, N};
    ar_tensor_t two = ar_tensor_4d(2, 3, H, W);
    ar_tensor_alloc(&two);
    CHECK_ERR(ar_dataset_read_indices(ds, badidx, 2, mean, std, &two, NULL, NULL, &e), &e, AR_E_ARG, "outside");
    CHECK_ERR(ar_dataset_read_batch(ds, 0, 3, mean, std, &two, NULL, NULL, &e), &e, AR_E_ARG, "does not match");
    ar_tensor_free(&x);
    ar_tensor_free(&y);
    ar_tensor_free(&one);
    ar_tensor_free(&two);
    ar_dataset_destroy(&ds);
}

/* Normalisation is bit-identical to float32 (x/255 - mean)/std as numpy (and
 * PyTorch's ToTensor + Normalize) compute it, for every pixel value. */
static void test_normalize_exact(void)
{
    if (!tu_have_python("numpy")) {
        printf("note: /usr/bin/python3 with numpy not found, skipping exact normalisation check\n");
        return;
    }
    ar_err_t e = {0};
    const int n = 2, h = 16, w = 16; /* 256 pixels per channel: every value */
    uint8_t px[2 * 16 * 16 * 3];
    for (int i = 0; i < n * h * w * 3; i++) px[i] = (uint8_t)((i / 3) * (i % 3 == 1 ? 7 : 1) + i % 3 * 40);
    int64_t shape[4] = {n, h, w, 3};
    CHECK_OK(ar_npy_write(test_tmp("norm_in.npy"), AR_NPY_U8, 4, shape, px, &e), &e);
    char code[1024];
    snprintf(code, sizeof code,
             "import numpy as np\n"
             "x = np.load('%s').astype(np.float32).transpose(0, 3, 1, 2)\n"
             "m = np.array([0.4914, 0.4822, 0.4465], np.float32)[None, :, None, None]\n"
             "s = np.array([0.2470, 0.2435, 0.2616], np.float32)[None, :, None, None]\n"
             "np.save('%s', np.ascontiguousarray((x / np.float32(255) - m) / s, dtype=np.float32))\n",
             test_tmp("norm_in.npy"), test_tmp("norm_out.npy"));
    CHECK(tu_python(code) == 0, "numpy normalised");
    ar_npy_t *o = ar_npy_open(test_tmp("norm_out.npy"), &e);
    CHECK(o && o->dtype == AR_NPY_F32 && o->shape[0] == n, "numpy output: %s", ar_err_msg(&e));
    if (!o) return;
    float want[2 * 3 * 16 * 16], got[2 * 3 * 16 * 16];
    CHECK_OK(ar_npy_read_rows(o, 0, n, want, &e), &e);
    ar_npy_close(&o);
    const float mean[3] = {0.4914f, 0.4822f, 0.4465f}, std[3] = {0.2470f, 0.2435f, 0.2616f};
    ar_normalize_nhwc(px, n, h, w, 3, mean, std, got);
    int diff = 0;
    for (int i = 0; i < n * 3 * h * w; i++) diff += memcmp(&got[i], &want[i], sizeof(float)) != 0;
    CHECK(diff == 0, "%d of %d values differ from numpy float32", diff, n * 3 * h * w);
    /* the single-channel and generic paths agree with the 3-channel one */
    float one[16 * 16], gen[2 * 5 * 16 * 16];
    uint8_t px5[2 * 16 * 16 * 5];
    for (int i = 0; i < n * h * w * 5; i++) px5[i] = px[(i / 5) * 3 + (i % 5) % 3];
    const float mean5[5] = {mean[0], mean[1], mean[2], mean[0], mean[1]}, std5[5] = {std[0], std[1], std[2], std[0], std[1]};
    ar_normalize_nhwc(px5, n, h, w, 5, mean5, std5, gen);
    uint8_t plane[16 * 16];
    for (int p = 0; p < h * w; p++) plane[p] = px[(h * w + p) * 3 + 2];
    ar_normalize_nhwc(plane, 1, h, w, 1, mean + 2, std + 2, one);
    CHECK(memcmp(one, want + (3 + 2) * h * w, sizeof one) == 0, "1-channel path exact");
    CHECK(memcmp(gen + (5 + 1) * h * w, want + (3 + 1) * h * w, sizeof one) == 0, "generic path exact");
}

/* Normalising over several threads (ar_par_default_threads) gives the bits
 * of one thread on every path; the images are large enough that each
 * image is a run of its own, so 3 threads really split 7 images. */
static void test_normalize_threads(void)
{
    const int n = 7, sizes[3][2] = {{1, 128}, {3, 80}, {5, 80}};
    for (int k = 0; k < 3; k++) {
        int c = sizes[k][0], hw = sizes[k][1];
        size_t vals = (size_t)n * c * hw * hw;
        uint8_t *px = malloc(vals);
        float *one = malloc(vals * sizeof(float)), *three = malloc(vals * sizeof(float));
        CHECK(px && one && three, "out of memory");
        if (!px || !one || !three) {
            free(px), free(one), free(three);
            return;
        }
        for (size_t i = 0; i < vals; i++) px[i] = (uint8_t)(i * 2654435761u >> 24);
        const float mean[5] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f}, std[5] = {0.5f, 0.25f, 0.3f, 0.2f, 0.1f};
        ar_par_set_default_threads(1);
        ar_normalize_nhwc(px, n, hw, hw, c, mean, std, one);
        for (int t = 2; t <= 3; t++) {
            memset(three, 0xff, vals * sizeof(float));
            ar_par_set_default_threads(t);
            ar_normalize_nhwc(px, n, hw, hw, c, mean, std, three);
            CHECK(memcmp(one, three, vals * sizeof(float)) == 0, "%d channels: %d threads differ from 1", c, t);
        }
        ar_par_set_default_threads(1);
        free(px), free(one), free(three);
    }
}

/* ---- the reader table ------------------------------------------------------------ */

/* Which reader the table picks for path, after checking each probe's answer
 * (want[i] for the i-th reader of the table). */
static const ar_ds_reader_t *probe_all(const char *path, const ar_ds_match_t *want)
{
    ar_err_t e = {0};
    ar_ds_sniff_t s;
    CHECK_OK(ar_ds_sniff(path, &s, &e), &e);
    int n;
    const ar_ds_reader_t *const *t = ar_ds_readers(&n);
    for (int i = 0; i < n; i++)
        CHECK(t[i]->probe(&s) == want[i], "%s: reader %s probes %d, expected %d", path, t[i]->name, t[i]->probe(&s),
              want[i]);
    return ar_ds_match(&s);
}

/* path is taken by the reader called `reader` and opens with its format. */
static void opens_as(const char *path, const ar_ds_match_t *want, const char *reader, const char *corr, int sev)
{
    ar_err_t e = {0};
    const ar_ds_reader_t *r = probe_all(path, want);
    CHECK(r && strcmp(r->name, reader) == 0, "%s: picked %s, expected %s", path, r ? r->name : "none", reader);
    ar_dataset_t *ds = open_src(path, NULL, corr, sev, &e);
    CHECK(ds && strcmp(ar_dataset_info(ds)->format, reader) == 0, "%s opens as %s: %s", path, reader,
          ds ? ar_dataset_info(ds)->format : ar_err_msg(&e));
    ar_dataset_destroy(&ds);
}

/* The miss message names the path and every hint the table has for it. */
static void miss_names_hints(const char *path, int collections, const char *what)
{
    ar_err_t e = {0};
    ar_ds_sniff_t s;
    CHECK_OK(ar_ds_sniff(path, &s, &e), &e);
    ar_collection_info_t ci;
    if (collections)
        CHECK(ar_collection_describe(path, &ci, &e) == AR_E_FORMAT, "%s: no collection", path);
    else
        CHECK(ar_dataset_open(&(ar_data_source_t){.path = path}, &e) == NULL, "%s must not open", path);
    const char *msg = ar_err_msg(&e);
    CHECK(e.status == AR_E_FORMAT && strstr(msg, path) && strstr(msg, what) && !strchr(msg, '\n'), "miss: %s", msg);
    int n;
    const ar_ds_reader_t *const *t = ar_ds_readers(&n);
    for (int i = 0; i < n; i++) {
        const char *hint = s.is_dir ? t[i]->dir_hint : t[i]->file_hint;
        int listed = hint && (!collections || t[i]->describe);
        CHECK(!listed || strstr(msg, hint), "'%s' lacks %s's hint '%s'", msg, t[i]->name, hint);
    }
}

static void test_readers(void)
{
    ar_err_t e = {0};
    int n;
    const ar_ds_reader_t *const *t = ar_ds_readers(&n);
    const char *order[] = {"hdf5", "npy-dir", "cifar10-bin", "idx", "tiny-imagenet", "tiny-imagenet-c", "imagefolder"};
    CHECK(n == 7, "%d readers", n);
    for (int i = 0; i < n && i < 7; i++) {
        CHECK(strcmp(t[i]->name, order[i]) == 0, "reader %d is %s, expected %s", i, t[i]->name, order[i]);
        CHECK(t[i]->title && t[i]->probe && t[i]->open && (t[i]->file_hint || t[i]->dir_hint), "%s complete", t[i]->name);
        CHECK(!t[i]->is_collection == !t[i]->describe, "%s: is_collection and describe go together", t[i]->name);
    }

    /* one source of each format: exactly its reader answers (table order: hdf5, npy, cifar, idx,
     * tiny-imagenet, tiny-imagenet-c, imagefolder) */
    const char *dir = test_tmp("readers");
    tu_rmdir(dir);
    tu_mkdir(dir);
    char p[1024], q[1100];
    const ar_ds_match_t NO = AR_DS_NO, NAME = AR_DS_BY_NAME, CONTENT = AR_DS_BY_CONTENT;
    uint8_t px[10 * H * W * 3], rec[3073 * 2], nhwc[3072 * 2];
    int32_t lab[10];
    int64_t l64[10] = {0}, d4[4] = {5, H, W, 3}, d1 = 5;
    fill_nhwc(px, 10, H, W, 3, 1);
    snprintf(p, sizeof p, "%s/set.h5", dir);
    ar_h5_t *h = ar_h5_create(p, &e);
    CHECK_OK(ar_h5_write(h, "/images", AR_DT_U8, 4, d4, px, 0, &e), &e);
    CHECK_OK(ar_h5_write(h, "/labels", AR_DT_I64, 1, &d1, l64, 0, &e), &e);
    CHECK_OK(ar_h5_commit(&h, &e), &e);
    opens_as(p, (ar_ds_match_t[]){CONTENT, NO, NO, NO, NO, NO, NO}, "hdf5", NULL, 0);
    CHECK(ar_collection_probe(p) == 0, "a plain HDF5 dataset is no collection");
    snprintf(q, sizeof q, "%s/set.npy", dir); /* HDF5 bytes under a .npy name: contents win */
    tu_truncate_copy(p, q, 1L << 30);
    opens_as(q, (ar_ds_match_t[]){CONTENT, NAME, NO, NO, NO, NO, NO}, "hdf5", NULL, 0);

    snprintf(p, sizeof p, "%s/coll", dir);
    tu_mkdir(p);
    snprintf(q, sizeof q, "%s/labels.npy", p);
    CHECK_OK(ar_npy_write(q, AR_NPY_I64, 1, &d1, l64, &e), &e);
    snprintf(q, sizeof q, "%s/fog.npy", p);
    CHECK_OK(ar_npy_write(q, AR_NPY_U8, 4, d4, px, &e), &e);
    opens_as(p, (ar_ds_match_t[]){NO, CONTENT, NO, NO, NO, NO, NO}, "npy-dir", "fog", 1);
    opens_as(q, (ar_ds_match_t[]){NO, CONTENT, NO, NO, NO, NO, NO}, "npy-dir", NULL, 1);
    CHECK(ar_collection_probe(p) == 1 && ar_collection_probe(q) == 0, "the directory is the collection, not its file");

    snprintf(p, sizeof p, "%s/cifar", dir);
    tu_mkdir(p);
    cifar_records(rec, 2, 0, nhwc, lab);
    snprintf(q, sizeof q, "%s/test_batch.bin", p);
    tu_write(q, rec, sizeof rec);
    opens_as(p, (ar_ds_match_t[]){NO, NO, CONTENT, NO, NO, NO, NO}, "cifar10-bin", NULL, 0);
    opens_as(q, (ar_ds_match_t[]){NO, NO, NAME, NO, NO, NO, NO}, "cifar10-bin", NULL, 0);
    OPEN_FAILS(AR_E_ARG, p, NULL, "fog", 1, "cifar", "corruption 'fog'", "CIFAR-10 binary dataset");
    CHECK(ar_collection_probe(p) == 0, "CIFAR-10 is no collection");
    miss_names_hints(p, 1, "not a corruption collection");

    snprintf(p, sizeof p, "%s/mnist", dir);
    tu_mkdir(p);
    write_idx_pair(p, "t10k", 4, 1, 0);
    snprintf(q, sizeof q, "%s/t10k-images-idx3-ubyte.gz", p);
    opens_as(p, (ar_ds_match_t[]){NO, NO, NO, CONTENT, NO, NO, NO}, "idx", NULL, 0);
    opens_as(q, (ar_ds_match_t[]){NO, NO, NO, CONTENT, NO, NO, NO}, "idx", NULL, 0);
    OPEN_FAILS(AR_E_ARG, q, NULL, "fog", 1, "t10k-images", "corruption 'fog'", "IDX dataset");
    /* IDX bytes under a .bin name: the last reader's contents beat the third's name */
    write_idx_pair(p, "odd", 3, 0, 0);
    char bin[1200]; /* ends as the images file */
    for (int k = 0; k < 2; k++) {
        snprintf(q, sizeof q, "%s/odd-%s-ubyte", p, k ? "images-idx3" : "labels-idx1");
        snprintf(bin, sizeof bin, "%s.bin", q);
        CHECK(rename(q, bin) == 0, "rename %s", q);
    }
    opens_as(bin, (ar_ds_match_t[]){NO, NO, NAME, CONTENT, NO, NO, NO}, "idx", NULL, 0);

    /* a directory two readers recognise alike: the earlier row wins */
    snprintf(p, sizeof p, "%s/both", dir);
    tu_mkdir(p);
    snprintf(q, sizeof q, "%s/test_batch.bin", p);
    tu_write(q, rec, sizeof rec);
    write_idx_pair(p, "t10k", 4, 0, 0);
    opens_as(p, (ar_ds_match_t[]){NO, NO, CONTENT, CONTENT, NO, NO, NO}, "cifar10-bin", NULL, 0);

    /* the image-folder formats: a Tiny-ImageNet root, a Tiny-ImageNet-C tree,
     * one of its sets (an ImageFolder) */
    snprintf(p, sizeof p, "%s/tiny", dir);
    CHECK(it_tiny(p, 2, 1, 3, 8, 8) == 0, "write %s", p);
    opens_as(p, (ar_ds_match_t[]){NO, NO, NO, NO, CONTENT, NO, NO}, "tiny-imagenet", NULL, 0);
    CHECK(ar_collection_probe(p) == 0, "Tiny-ImageNet is no collection");
    snprintf(p, sizeof p, "%s/tinyc", dir);
    CHECK(it_tiny_c(p, (const char *const[]){"fog"}, 1, 2, 2, 1, 8, 8) == 0, "write %s", p);
    opens_as(p, (ar_ds_match_t[]){NO, NO, NO, NO, NO, CONTENT, NO}, "tiny-imagenet-c", "fog", 2);
    CHECK(ar_collection_probe(p) == 1, "Tiny-ImageNet-C is a collection");
    snprintf(q, sizeof q, "%s/fog/1", p);
    opens_as(q, (ar_ds_match_t[]){NO, NO, NO, NO, NO, NO, CONTENT}, "imagefolder", NULL, 0);
    CHECK(ar_collection_probe(q) == 0, "an ImageFolder is no collection");

    /* nothing matches: the error names the path and what each reader looked for */
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    tu_write(p, "hello world", 11);
    CHECK(probe_all(p, (ar_ds_match_t[]){NO, NO, NO, NO, NO, NO, NO}) == NULL, "no reader for a text file");
    miss_names_hints(p, 0, "unrecognised dataset format");
    miss_names_hints(p, 1, "not a corruption collection");
    snprintf(p, sizeof p, "%s/nothing", dir);
    tu_mkdir(p);
    miss_names_hints(p, 0, "not a dataset directory");
    OPEN_FAILS(AR_E_IO, test_tmp("readers/absent"), NULL, NULL, 0, "absent", "cannot open");
    CHECK(ar_collection_probe(test_tmp("readers/absent")) == 0, "no collection where nothing is");
}

/* Shapes without a channel axis, and IDX with one. */
static void test_shapes(void)
{
    ar_err_t e = {0};
    const char *dir = test_tmp("shapes");
    tu_rmdir(dir);
    tu_mkdir(dir);
    char p[1024], q[1024];
    uint8_t px[10 * H * W * 3];
    int32_t lab[10];
    uint8_t l8[10];
    int64_t l64[10];
    for (int i = 0; i < 10; i++) lab[i] = (int32_t)(l8[i] = (uint8_t)(l64[i] = (i * 3) % 4));
    /* IDX [N, H, W, 3] */
    fill_nhwc(px, 10, H, W, 3, 4);
    int64_t d4[4] = {10, H, W, 3}, d1 = 10;
    snprintf(p, sizeof p, "%s/rgb-images-idx3-ubyte", dir);
    snprintf(q, sizeof q, "%s/rgb-labels-idx1-ubyte", dir);
    CHECK_OK(ar_idx_write(p, 4, d4, px, 0, &e), &e);
    CHECK_OK(ar_idx_write(q, 1, &d1, l8, 1, &e), &e);
    snprintf(q, sizeof q, "%s/rgb-labels-idx1-ubyte.gz", dir);
    CHECK_OK(ar_idx_write(q, 1, &d1, l8, 1, &e), &e); /* plain and .gz labels both present: plain wins */
    ar_dataset_t *ds = open_src(p, NULL, NULL, 0, &e);
    CHECK(ds && ar_dataset_info(ds)->channels == 3 && ar_dataset_info(ds)->num_classes == 4, "4-D IDX: %s",
          ar_err_msg(&e));
    if (ds) check_contents(ds, px, lab, "idx [N, H, W, 3]");
    ar_dataset_destroy(&ds);
    /* .npy collection of [5N, H, W] */
    char nd[900];
    snprintf(nd, sizeof nd, "%s/gray", dir);
    tu_mkdir(nd);
    uint8_t g[10 * H * W];
    fill_nhwc(g, 10, H, W, 1, 9);
    int64_t s3[3] = {10, H, W};
    snprintf(p, sizeof p, "%s/blur.npy", nd);
    CHECK_OK(ar_npy_write(p, AR_NPY_U8, 3, s3, g, &e), &e);
    int64_t d2 = 2;
    snprintf(p, sizeof p, "%s/labels.npy", nd);
    CHECK_OK(ar_npy_write(p, AR_NPY_I64, 1, &d2, l64, &e), &e); /* [N] labels shared by all severities */
    ds = open_src(nd, NULL, "blur", 5, &e);
    CHECK(ds && ar_dataset_info(ds)->channels == 1 && ar_dataset_info(ds)->count == 2, "3-D npy: %s", ar_err_msg(&e));
    if (ds) check_contents(ds, g + 8 * H * W, lab, "npy-dir [5N, H, W], severity 5, [N] labels");
    ar_dataset_destroy(&ds);
    /* HDF5 [N, H, W] */
    snprintf(p, sizeof p, "%s/gray.h5", dir);
    ar_h5_t *h = ar_h5_create(p, &e);
    CHECK_OK(ar_h5_write(h, "/images", AR_DT_U8, 3, s3, g, 0, &e), &e);
    CHECK_OK(ar_h5_write(h, "/labels", AR_DT_I64, 1, &d1, l64, 0, &e), &e);
    CHECK_OK(ar_h5_commit(&h, &e), &e);
    ds = open_src(p, NULL, NULL, 0, &e);
    CHECK(ds && ar_dataset_info(ds)->channels == 1 && ar_dataset_info(ds)->num_classes == 4, "3-D hdf5: %s",
          ar_err_msg(&e));
    if (ds) check_contents(ds, g, lab, "hdf5 [N, H, W]");
    ar_dataset_destroy(&ds);
    /* HDF5 images of rank 2 are rejected */
    h = ar_h5_create(p, &e);
    int64_t s2[2] = {10, H * W};
    CHECK_OK(ar_h5_write(h, "/images", AR_DT_U8, 2, s2, g, 0, &e), &e);
    CHECK_OK(ar_h5_write(h, "/labels", AR_DT_I64, 1, &d1, l64, 0, &e), &e);
    CHECK_OK(ar_h5_commit(&h, &e), &e);
    OPEN_FAILS(AR_E_FORMAT, p, NULL, NULL, 0, "gray.h5:/images", "must have 4 dims", "found 2");
}

/* A virtual set through ar_dataset_new_custom. */
typedef struct {
    int destroyed;
} fake_t;
static int fake_read(void *self, int64_t start, int64_t count, uint8_t *pixels, int32_t *labels, ar_err_t *err)
{
    (void)self;
    (void)err;
    for (int64_t i = 0; i < count; i++) {
        if (pixels) pixels[i] = (uint8_t)(start + i);
        if (labels) labels[i] = (int32_t)((start + i) % 2);
    }
    return AR_OK;
}
static void fake_destroy(void *self) { ((fake_t *)self)->destroyed++; }

static void test_custom(void)
{
    ar_err_t e = {0};
    fake_t f = {0};
    char *names[2] = {"even", "odd"};
    ar_dataset_info_t info = {.count = 40, .height = 1, .width = 1, .channels = 1, .num_classes = 2,
                              .format = "custom", .name = "fake", .class_names = names};
    ar_dataset_t *ds = ar_dataset_new_custom(&info, &(ar_dataset_vt_t){fake_read, fake_destroy}, &f, &e);
    CHECK(ds != NULL, "custom");
    names[0] = "changed";
    CHECK(strcmp(ar_dataset_info(ds)->class_names[0], "even") == 0, "class names copied");
    uint8_t px[40], want[40];
    int32_t lab[40], wl[40];
    for (int i = 0; i < 40; i++) {
        want[i] = (uint8_t)i;
        wl[i] = i % 2;
    }
    (void)px;
    check_contents(ds, want, wl, "custom");
    (void)lab;
    ar_dataset_destroy(&ds);
    CHECK(f.destroyed == 1, "destroy called once");
}

int main(void)
{
    test_idx();
    test_idx_bad();
    test_cifar();
    test_npy_dir();
    test_h5_ours();
    test_h5_collection();
    test_h5py();
    test_damaged();
    test_normalize();
    test_normalize_exact();
    test_normalize_threads();
    test_shapes();
    test_readers();
    test_custom();
    TEST_MAIN_END();
}
