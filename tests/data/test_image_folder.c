/* test_image_folder.c - datasets of PNG / JPEG files read in place
 * (data/image_folder.h): image file reads and their errors (io/image_io.h);
 * ImageFolder, Tiny-ImageNet and Tiny-ImageNet-C trees written here (labels,
 * counts, class names and order, pixels: PNG exact, JPEG within a
 * tolerance, the same bytes at 1 and 3 threads and in any shards); the
 * strict metadata parsers (every bad line named file:line); damaged,
 * missing and mixed-size images, empty class folders, inconsistent trees. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/fsutil.h"
#include "core/par.h"
#include "data/collection.h"
#include "data/dataset.h"
#include "data/image_folder.h"
#include "data/readers.h"
#include "image_tree.h"
#include "io/image_io.h"
#include "test_util.h"

/* JPEG of the smooth test images stays this close to the written pixels. */
#define JPEG_MAX_DIFF 12
#define JPEG_MEAN_DIFF 2.0

static ar_dataset_t *open_src(const char *path, const char *split, const char *corr, int sev, ar_err_t *e)
{
    ar_data_source_t src = {.path = path, .split = split, .corruption = corr, .severity = sev};
    return ar_dataset_open(&src, e);
}

#define OPEN_FAILS(st, path, split, corr, sev, ...)                      \
    do {                                                                 \
        ar_dataset_t *d_ = open_src((path), (split), (corr), (sev), &e); \
        CHECK(d_ == NULL, "%s must not open", (path));                   \
        ar_dataset_destroy(&d_);                                         \
        CHECK_ERR(e.status, &e, (st), __VA_ARGS__);                      \
    } while (0)

/* Compares an image against it_fill(k, i): exact, or within the JPEG
 * tolerance. */
static void check_image(const uint8_t *got, int k, int i, int h, int w, int exact, const char *what)
{
    uint8_t *want = malloc((size_t)h * w * 3);
    it_fill(want, k, i, h, w);
    int maxd = 0;
    double sum = 0;
    for (size_t j = 0; j < (size_t)h * w * 3; j++) {
        int d = abs((int)got[j] - (int)want[j]);
        maxd = d > maxd ? d : maxd;
        sum += d;
    }
    double mean = sum / ((double)h * w * 3);
    if (exact)
        CHECK(maxd == 0, "%s: PNG pixels differ by up to %d", what, maxd);
    else
        CHECK(maxd <= JPEG_MAX_DIFF && mean <= JPEG_MEAN_DIFF, "%s: JPEG differs by up to %d (mean %.2f)", what, maxd,
              mean);
    free(want);
}

/* Reads the whole set at 1 and 3 threads and in shards: the same bytes. */
static uint8_t *read_all_checked(ar_dataset_t *ds, int32_t *labels, const char *what)
{
    ar_err_t e = {0};
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    size_t img = (size_t)in->height * in->width * in->channels;
    int64_t n = in->count;
    uint8_t *a = malloc((size_t)n * img), *b = malloc((size_t)n * img);
    int32_t *lb = malloc((size_t)n * sizeof *lb);
    ar_par_set_default_threads(1);
    CHECK_OK(ar_dataset_read_u8(ds, 0, n, a, labels, &e), &e);
    ar_par_set_default_threads(3);
    memset(b, 0, (size_t)n * img);
    CHECK_OK(ar_dataset_read_u8(ds, 0, n, b, lb, &e), &e);
    CHECK(memcmp(a, b, (size_t)n * img) == 0 && memcmp(labels, lb, (size_t)n * 4) == 0, "%s: 3 threads = 1 thread",
          what);
    memset(b, 0, (size_t)n * img);
    for (int64_t s = 0; s < n; s += 2) {
        int64_t c = n - s < 2 ? n - s : 2;
        CHECK_OK(ar_dataset_read_u8(ds, s, c, b + (size_t)s * img, NULL, &e), &e);
    }
    CHECK(memcmp(a, b, (size_t)n * img) == 0, "%s: shards of 2 = the whole", what);
    ar_par_set_default_threads(1);
    free(b);
    free(lb);
    return a;
}

/* ---- image files ---------------------------------------------------------- */

static void test_image_io(void)
{
    ar_err_t e = {0};
    const char *dir = test_tmp("imgio");
    tu_rmdir(dir);
    tu_mkdir(dir);
    char png[1024], jpg[1024], p[1024];
    snprintf(png, sizeof png, "%s/a.png", dir);
    snprintf(jpg, sizeof jpg, "%s/a.JPEG", dir);
    CHECK(it_write(png, 2, 1, 10, 14) == 0 && it_write(jpg, 2, 1, 10, 14) == 0, "write");
    int h = 0, w = 0;
    CHECK_OK(ar_image_size(png, &h, &w, &e), &e);
    CHECK(h == 10 && w == 14, "PNG size %dx%d", h, w);
    CHECK_OK(ar_image_size(jpg, &h, &w, &e), &e);
    CHECK(h == 10 && w == 14, "JPEG size %dx%d", h, w);
    uint8_t px[10 * 14 * 3];
    CHECK_OK(ar_image_read_into(png, 3, 10, 14, px, &e), &e);
    check_image(px, 2, 1, 10, 14, 1, "png");
    CHECK_OK(ar_image_read_into(jpg, 3, 10, 14, px, &e), &e);
    check_image(px, 2, 1, 10, 14, 0, "jpeg");
    CHECK_ERR(ar_image_read_into(png, 3, 14, 10, px, &e), &e, AR_E_FORMAT, "a.png", "10 x 14", "expected 14 x 10");
    CHECK_ERR(ar_image_read_into(jpg, 3, 10, 12, px, &e), &e, AR_E_FORMAT, "a.JPEG", "expected 10 x 12");

    /* a gray PNG becomes RGB by replication */
    uint8_t g[6 * 5];
    for (int i = 0; i < 30; i++) g[i] = (uint8_t)(i * 8);
    snprintf(p, sizeof p, "%s/gray.png", dir);
    CHECK_OK(ar_png_write(p, g, 6, 5, 1, &e), &e);
    uint8_t rgb[6 * 5 * 3];
    CHECK_OK(ar_image_read_into(p, 3, 6, 5, rgb, &e), &e);
    int same = 1;
    for (int i = 0; i < 30; i++) same &= rgb[3 * i] == g[i] && rgb[3 * i + 1] == g[i] && rgb[3 * i + 2] == g[i];
    CHECK(same, "gray replicated to RGB");
    /* a gray JPEG too (Tiny-ImageNet holds some among its RGB ones) */
    snprintf(p, sizeof p, "%s/gray.jpg", dir);
    CHECK_OK(ar_jpeg_write(p, g, 6, 5, 1, 95, &e), &e);
    CHECK_OK(ar_image_read_into(p, 3, 6, 5, rgb, &e), &e);
    int near = 1;
    for (int i = 0; i < 30; i++)
        near &= rgb[3 * i] == rgb[3 * i + 1] && rgb[3 * i] == rgb[3 * i + 2] && abs(rgb[3 * i] - g[i]) <= 12;
    CHECK(near, "gray JPEG replicated to RGB");

    /* damaged files: one line naming the file */
    snprintf(p, sizeof p, "%s/cut.jpg", dir);
    tu_truncate_copy(jpg, p, -60);
    CHECK_ERR(ar_image_read_into(p, 3, 10, 14, px, &e), &e, AR_E_FORMAT, "cut.jpg", "JPEG");
    snprintf(p, sizeof p, "%s/cut.png", dir);
    tu_truncate_copy(png, p, -30);
    CHECK_ERR(ar_image_read_into(p, 3, 10, 14, px, &e), &e, AR_E_FORMAT, "cut.png", "PNG");
    snprintf(p, sizeof p, "%s/head.png", dir);
    tu_truncate_copy(png, p, 20);
    CHECK_ERR(ar_image_size(p, &h, &w, &e), &e, AR_E_FORMAT, "head.png", "PNG");
    snprintf(p, sizeof p, "%s/junk.png", dir);
    tu_write(p, "not an image at all", 19);
    CHECK_ERR(ar_image_read_into(p, 3, 10, 14, px, &e), &e, AR_E_FORMAT, "junk.png", "neither PNG nor JPEG");
    snprintf(p, sizeof p, "%s/empty.jpg", dir);
    tu_write(p, "", 0);
    CHECK_ERR(ar_image_size(p, &h, &w, &e), &e, AR_E_FORMAT, "empty.jpg", "empty file");
    snprintf(p, sizeof p, "%s/absent.png", dir);
    CHECK_ERR(ar_image_read_into(p, 3, 10, 14, px, &e), &e, AR_E_IO, "absent.png", "cannot open");
    /* JPEG bytes after the header flipped: an error or an image, never a crash */
    FILE *f = fopen(jpg, "rb");
    uint8_t buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (int t = 0; t < 40; t++) {
        uint8_t m[8192];
        memcpy(m, buf, n);
        for (int k = 0; k < 4; k++) m[2 + (t * 131 + k * 977) % (n - 2)] ^= (uint8_t)(1u << ((t + k) & 7));
        snprintf(p, sizeof p, "%s/flip.jpg", dir);
        tu_write(p, m, n);
        int st = ar_image_read_into(p, 3, 10, 14, px, &e);
        CHECK(st == AR_OK || (st == AR_E_FORMAT && strstr(e.msg, "flip.jpg")), "flipped JPEG: %s", e.msg);
        ar_err_clear(&e);
    }
}

/* ---- ImageFolder ------------------------------------------------------------ */

typedef struct {
    const char *cls, *file;
    int k, i;
} entry_t;

/* Written in this (unsorted) order; read sorted: ant, bee, cat; by file name. */
static const entry_t FOLDER[] = {
    {"cat", "b.png", 0, 0}, {"cat", "a.jpg", 0, 1}, {"cat", "c.JPEG", 0, 2},
    {"ant", "z.png", 1, 3}, {"ant", "y.png", 1, 4}, {"bee", "m.jpeg", 2, 5},
};
/* the dataset's order: indices into FOLDER, and labels */
static const int FOLDER_ORDER[] = {4, 3, 5, 1, 0, 2};
static const int FOLDER_LABELS[] = {0, 0, 1, 2, 2, 2};

static void write_folder(const char *root, int h, int w)
{
    char p[1024];
    for (size_t j = 0; j < sizeof FOLDER / sizeof FOLDER[0]; j++) {
        snprintf(p, sizeof p, "%s/%s", root, FOLDER[j].cls);
        it_mkdirs(p);
        snprintf(p, sizeof p, "%s/%s/%s", root, FOLDER[j].cls, FOLDER[j].file);
        CHECK(it_write(p, FOLDER[j].k, FOLDER[j].i, h, w) == 0, "write %s", p);
    }
}

static void test_imagefolder(void)
{
    ar_err_t e = {0};
    const char *root = test_tmp("imgfolder");
    tu_rmdir(root);
    const int H = 20, W = 24;
    write_folder(root, H, W);
    char p[1024];
    /* not images: a text file in a class, a hidden image, a file at the root */
    snprintf(p, sizeof p, "%s/ant/notes.txt", root);
    it_text(p, "hello");
    snprintf(p, sizeof p, "%s/bee/._m.jpeg", root);
    it_text(p, "resource fork");
    snprintf(p, sizeof p, "%s/README", root);
    it_text(p, "readme");

    ar_dataset_t *ds = open_src(root, NULL, NULL, 0, &e);
    CHECK(ds != NULL, "open ImageFolder: %s", e.msg);
    if (!ds) return;
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    CHECK(!strcmp(in->format, "imagefolder") && in->count == 6 && in->height == H && in->width == W &&
              in->channels == 3 && in->num_classes == 3,
          "info: %s %lld %dx%dx%d %d classes", in->format, (long long)in->count, in->height, in->width, in->channels,
          in->num_classes);
    CHECK(in->class_names && !strcmp(in->class_names[0], "ant") && !strcmp(in->class_names[1], "bee") &&
              !strcmp(in->class_names[2], "cat"),
          "classes sorted by name");
    int32_t lab[6];
    uint8_t *px = read_all_checked(ds, lab, "imagefolder");
    for (int j = 0; j < 6; j++) {
        const entry_t *en = &FOLDER[FOLDER_ORDER[j]];
        CHECK(lab[j] == FOLDER_LABELS[j], "image %d (%s/%s): label %d, expected %d", j, en->cls, en->file, lab[j],
              FOLDER_LABELS[j]);
        char what[64];
        snprintf(what, sizeof what, "%s/%s", en->cls, en->file);
        check_image(px + (size_t)j * H * W * 3, en->k, en->i, H, W, strstr(en->file, ".png") != NULL, what);
    }
    free(px);
    /* a split asked for is ignored (no splits); the directory lists none */
    ar_dataset_t *d2 = open_src(root, "train", NULL, 0, &e);
    CHECK(d2 && ar_dataset_info(d2)->count == 6, "a split is ignored: %s", e.msg);
    ar_dataset_destroy(&d2);
    const char *sp[4];
    CHECK(ar_dataset_splits(root, sp, 4) == 0, "an ImageFolder has no splits");
    OPEN_FAILS(AR_E_ARG, root, NULL, "fog", 1, "corruption 'fog'", "ImageFolder dataset");
    CHECK(ar_collection_probe(root) == 0, "an ImageFolder is no collection");

    /* a file that disappears after opening: the read names it */
    snprintf(p, sizeof p, "%s/cat/b.png", root);
    remove(p);
    uint8_t one[20 * 24 * 3];
    CHECK_ERR(ar_dataset_read_u8(ds, 4, 1, one, NULL, &e), &e, AR_E_IO, "cat/b.png", "cannot open");
    CHECK_OK(ar_dataset_read_u8(ds, 4, 1, NULL, lab, &e), &e); /* labels need no file */
    ar_dataset_destroy(&ds);
}

static void test_imagefolder_bad(void)
{
    ar_err_t e = {0};
    const char *root = test_tmp("imgfolder_bad");
    tu_rmdir(root);
    char p[1024], q[1024];

    /* an empty class folder */
    snprintf(p, sizeof p, "%s/empty/a", root);
    it_mkdirs(p);
    snprintf(p, sizeof p, "%s/empty/a/1.png", root);
    it_write(p, 0, 0, 8, 8);
    snprintf(p, sizeof p, "%s/empty/b", root);
    it_mkdirs(p);
    snprintf(q, sizeof q, "%s/empty", root);
    OPEN_FAILS(AR_E_FORMAT, q, NULL, NULL, 0, "empty/b", "class folder holds no image");

    /* mixed sizes: opens; a read meeting one names it; the first bad in
     * index order is reported at any thread count */
    snprintf(q, sizeof q, "%s/mixed", root);
    snprintf(p, sizeof p, "%s/mixed/a", root);
    it_mkdirs(p);
    for (int i = 0; i < 7; i++) {
        snprintf(p, sizeof p, "%s/mixed/a/%d.png", root, i);
        it_write(p, 0, i, i == 2 || i == 5 ? 12 : 16, 16);
    }
    ar_dataset_t *ds = open_src(q, NULL, NULL, 0, &e);
    CHECK(ds != NULL, "mixed sizes open (checked when read): %s", e.msg);
    if (ds) {
        uint8_t *px = malloc(7 * 16 * 16 * 3);
        CHECK_OK(ar_dataset_read_u8(ds, 0, 2, px, NULL, &e), &e);
        for (int t = 1; t <= 3; t += 2) {
            ar_par_set_default_threads(t);
            CHECK_ERR(ar_dataset_read_u8(ds, 0, 7, px, NULL, &e), &e, AR_E_FORMAT, "mixed/a/2.png", "12 x 16",
                      "expected 16 x 16");
        }
        ar_par_set_default_threads(1);
        CHECK_ERR(ar_dataset_read_u8(ds, 3, 4, px, NULL, &e), &e, AR_E_FORMAT, "mixed/a/5.png");
        free(px);
        ar_dataset_destroy(&ds);
    }

    /* damaged files: the read names the file */
    snprintf(q, sizeof q, "%s/damaged", root);
    snprintf(p, sizeof p, "%s/damaged/a", root);
    it_mkdirs(p);
    const char *names[] = {"0.png", "1.jpg", "2.png", "3.jpg"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/damaged/a/%s", root, names[i]);
        it_write(p, 1, i, 16, 16);
    }
    char src[1024];
    snprintf(src, sizeof src, "%s/damaged/a/1.jpg", root);
    snprintf(p, sizeof p, "%s/damaged/a/3.jpg", root);
    tu_truncate_copy(src, p, -100);
    snprintf(p, sizeof p, "%s/damaged/a/2.png", root);
    tu_write(p, "\x89PNG\r\n\x1a\ngarbage", 15);
    ds = open_src(q, NULL, NULL, 0, &e);
    CHECK(ds != NULL, "damaged files open (checked when read): %s", e.msg);
    if (ds) {
        uint8_t px[16 * 16 * 3];
        CHECK_OK(ar_dataset_read_u8(ds, 1, 1, px, NULL, &e), &e);
        CHECK_ERR(ar_dataset_read_u8(ds, 2, 1, px, NULL, &e), &e, AR_E_FORMAT, "damaged/a/2.png", "PNG");
        CHECK_ERR(ar_dataset_read_u8(ds, 3, 1, px, NULL, &e), &e, AR_E_FORMAT, "damaged/a/3.jpg", "JPEG");
        ar_dataset_destroy(&ds);
    }
    /* the first image damaged: the open names it */
    snprintf(p, sizeof p, "%s/damaged/a/0.png", root);
    tu_write(p, "", 0);
    OPEN_FAILS(AR_E_FORMAT, q, NULL, NULL, 0, "damaged/a/0.png", "empty file");

    /* folders without images are not an ImageFolder */
    snprintf(q, sizeof q, "%s/noimages", root);
    snprintf(p, sizeof p, "%s/noimages/a", root);
    it_mkdirs(p);
    snprintf(p, sizeof p, "%s/noimages/a/x.txt", root);
    it_text(p, "x");
    OPEN_FAILS(AR_E_FORMAT, q, NULL, NULL, 0, "noimages", "not a dataset directory", "<class>/ folders");
}

/* ---- Tiny-ImageNet ----------------------------------------------------------- */

#define TIN_CLASSES 3
#define TIN_TRAIN 4
#define TIN_VAL 12

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Rewrites root/rel with text; the old text into keep (if given). */
static void replace_text(const char *root, const char *rel, const char *text, char **keep)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    if (keep) {
        ar_err_t e = {0};
        size_t n;
        *keep = ar_read_text_file(p, &n, &e);
    }
    tu_write(p, text, strlen(text));
}

static void test_tiny(void)
{
    ar_err_t e = {0};
    const char *root = test_tmp("tiny-imagenet-200");
    tu_rmdir(root);
    CHECK(it_tiny(root, TIN_CLASSES, TIN_TRAIN, TIN_VAL, 64, 64) == 0, "write the tree");

    /* val (the default split): files sorted by name (bytewise: val_10 before val_2) */
    ar_dataset_t *ds = open_src(root, NULL, NULL, 0, &e);
    CHECK(ds != NULL, "open Tiny-ImageNet: %s", e.msg);
    if (!ds) return;
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    CHECK(!strcmp(in->format, "tiny-imagenet") && !strcmp(in->name, "tiny-imagenet val") && in->count == TIN_VAL &&
              in->height == 64 && in->width == 64 && in->channels == 3 && in->num_classes == TIN_CLASSES,
          "val info: %s '%s' %lld, %d classes", in->format, in->name, (long long)in->count, in->num_classes);
    for (int k = 0; k < TIN_CLASSES; k++) {
        char want[64];
        snprintf(want, sizeof want, "%s thing %d", it_wnid(k), k);
        int l = it_label(k, TIN_CLASSES);
        CHECK(in->class_names && !strcmp(in->class_names[l], want), "class %d name '%s', expected '%s'", l,
              in->class_names ? in->class_names[l] : "", want);
    }
    char *files[TIN_VAL], fb[TIN_VAL][32];
    for (int j = 0; j < TIN_VAL; j++) {
        snprintf(fb[j], sizeof fb[j], "val_%d.JPEG", j);
        files[j] = fb[j];
    }
    qsort(files, TIN_VAL, sizeof *files, cmp_str);
    int32_t lab[TIN_VAL * TIN_TRAIN];
    uint8_t *px = read_all_checked(ds, lab, "tiny val");
    int seen[TIN_CLASSES] = {0};
    for (int j = 0; j < TIN_VAL; j++) {
        int jj = atoi(files[j] + 4), k = (jj * 7 + 1) % TIN_CLASSES;
        seen[k]++;
        CHECK(lab[j] == it_label(k, TIN_CLASSES), "val %s: label %d, expected %d", files[j], lab[j],
              it_label(k, TIN_CLASSES));
        check_image(px + (size_t)j * 64 * 64 * 3, k, jj, 64, 64, 0, files[j]);
    }
    for (int k = 0; k < TIN_CLASSES; k++) CHECK(seen[k] > 0, "val holds class %d", k);
    free(px);
    ar_dataset_destroy(&ds);

    /* train: classes in wnid order, files by name */
    ds = open_src(root, "train", NULL, 0, &e);
    CHECK(ds && ar_dataset_info(ds)->count == TIN_CLASSES * TIN_TRAIN, "train: %s", e.msg);
    if (ds) {
        px = read_all_checked(ds, lab, "tiny train");
        for (int k = 0; k < TIN_CLASSES; k++) {
            int l = it_label(k, TIN_CLASSES);
            for (int i = 0; i < TIN_TRAIN; i++) {
                int j = l * TIN_TRAIN + i;
                CHECK(lab[j] == l, "train image %d: label %d, expected %d", j, lab[j], l);
                check_image(px + (size_t)j * 64 * 64 * 3, k, i, 64, 64, 0, "train");
            }
        }
        free(px);
        ar_dataset_destroy(&ds);
    }
    const char *sp[4];
    CHECK(ar_dataset_splits(root, sp, 4) == 2 && !strcmp(sp[0], "train") && !strcmp(sp[1], "val"), "splits");
    OPEN_FAILS(AR_E_ARG, root, "test", NULL, 0, "tiny-imagenet-200", "unlabelled", "'val'");
    OPEN_FAILS(AR_E_ARG, root, "valid", NULL, 0, "unknown split 'valid'");
    OPEN_FAILS(AR_E_ARG, root, "val", "fog", 1, "corruption 'fog'", "Tiny-ImageNet dataset");
    /* its val/ and test/ folders are not ImageFolders of one class 'images' */
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/val", root);
    OPEN_FAILS(AR_E_ARG, sub, NULL, NULL, 0, "tiny-imagenet-200/val", "one class 'images'", "split val");
    snprintf(sub, sizeof sub, "%s/test", root);
    OPEN_FAILS(AR_E_ARG, sub, NULL, NULL, 0, "tiny-imagenet-200/test", "the directory with wnids.txt");
    CHECK(ar_collection_probe(root) == 0, "Tiny-ImageNet is no collection");

    /* without words.txt the class names are the wnids */
    char p[1024], q[1024];
    snprintf(p, sizeof p, "%s/words.txt", root);
    snprintf(q, sizeof q, "%s/words.moved", root);
    CHECK(rename(p, q) == 0, "move words.txt");
    ds = open_src(root, NULL, NULL, 0, &e);
    CHECK(ds && !strcmp(ar_dataset_info(ds)->class_names[it_label(0, TIN_CLASSES)], it_wnid(0)), "names = wnids: %s",
          e.msg);
    ar_dataset_destroy(&ds);
    CHECK(rename(q, p) == 0, "restore words.txt");
}

/* Every damaged metadata file is refused with file:line and the problem. */
static void test_tiny_bad(void)
{
    ar_err_t e = {0};
    const char *root = test_tmp("tiny_bad");
    tu_rmdir(root);
    CHECK(it_tiny(root, TIN_CLASSES, 2, 5, 16, 16) == 0, "write the tree");
    char *keep = NULL, text[1024], p[1024], q[1024];

    /* wnids.txt */
    snprintf(text, sizeof text, "%s\n%s extra\n%s\n", it_wnid(0), it_wnid(1), it_wnid(2));
    replace_text(root, "wnids.txt", text, &keep);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "wnids.txt:2:", "not a class id");
    snprintf(text, sizeof text, "%s\n%s\n%s\n%s\n", it_wnid(0), it_wnid(1), it_wnid(2), it_wnid(1));
    replace_text(root, "wnids.txt", text, NULL);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "wnids.txt", "listed twice", it_wnid(1));
    snprintf(text, sizeof text, "%s\n\n%s\n%s\n", it_wnid(0), it_wnid(1), it_wnid(2));
    replace_text(root, "wnids.txt", text, NULL);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "wnids.txt:2:");
    replace_text(root, "wnids.txt", "", NULL);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "wnids.txt", "no class ids");
    snprintf(text, sizeof text, "%s\r\n%s\r\n%s\r\n", it_wnid(0), it_wnid(1), it_wnid(2));
    replace_text(root, "wnids.txt", text, NULL);
    ar_dataset_t *ds = open_src(root, NULL, NULL, 0, &e);
    CHECK(ds != NULL, "CRLF wnids.txt: %s", e.msg);
    ar_dataset_destroy(&ds);
    /* a class without a train folder, a train folder without a class */
    snprintf(text, sizeof text, "%s\n%s\n%s\nn77777777\n", it_wnid(0), it_wnid(1), it_wnid(2));
    replace_text(root, "wnids.txt", text, NULL);
    OPEN_FAILS(AR_E_FORMAT, root, "train", NULL, 0, "wnids.txt", "'n77777777' has no folder");
    snprintf(text, sizeof text, "%s\n%s\n", it_wnid(0), it_wnid(2));
    replace_text(root, "wnids.txt", text, NULL);
    OPEN_FAILS(AR_E_FORMAT, root, "train", NULL, 0, it_wnid(1), "not listed in");
    replace_text(root, "wnids.txt", keep, NULL);
    free(keep);

    /* words.txt */
    replace_text(root, "words.txt", "n1\tone\nn2 two\n", &keep);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "words.txt:2:", "<wnid><TAB><words>");
    replace_text(root, "words.txt", "n1\tone\n\tnothing\n", NULL);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "words.txt:2:");
    replace_text(root, "words.txt", keep, NULL);
    free(keep);

    /* val_annotations.txt: fields, class, box, duplicates, files */
    const char *ann = "val/val_annotations.txt";
    replace_text(root, ann, "", &keep);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "val_annotations.txt", "no annotations");
    snprintf(text, sizeof text, "val_0.JPEG\t%s\t1\t2\t3\n", it_wnid(0));
    replace_text(root, ann, text, NULL);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "val_annotations.txt:1:", "6 tab-separated", "found 5");
    snprintf(text, sizeof text, "val_0.JPEG\t%s\t1\t2\t3\t4\nval_1.JPEG\t%s\t1\t2\t3\t4\t5\n", it_wnid(0), it_wnid(0));
    replace_text(root, ann, text, NULL);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "val_annotations.txt:2:", "more than 6");
    snprintf(text, sizeof text, "val_0.JPEG\t%s\t1\t2\t3\t4\nval_1.JPEG\tn55555555\t1\t2\t3\t4\n", it_wnid(0));
    replace_text(root, ann, text, NULL);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "val_annotations.txt:2:", "'n55555555' is not in wnids.txt");
    snprintf(text, sizeof text, "val_0.JPEG\t%s\t1\t-2\t3\t4\n", it_wnid(0));
    replace_text(root, ann, text, NULL);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "val_annotations.txt:1:", "bounding box field 2 '-2'");
    snprintf(text, sizeof text, "val_0.txt\t%s\t1\t2\t3\t4\n", it_wnid(0));
    replace_text(root, ann, text, NULL);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "val_annotations.txt:1:", "not an image file name");
    snprintf(text, sizeof text, "val_0.JPEG\t%s\t1\t2\t3\t4\nval_0.JPEG\t%s\t1\t2\t3\t4\n", it_wnid(0), it_wnid(1));
    replace_text(root, ann, text, NULL);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "val_annotations.txt:2:", "'val_0.JPEG' is annotated again",
               "line 1");
    /* the real file plus a line for an image that is not there */
    snprintf(text, sizeof text, "%sval_9.JPEG\t%s\t1\t2\t3\t4\n", keep, it_wnid(0));
    replace_text(root, ann, text, NULL);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "val_annotations.txt:6:", "'val_9.JPEG' is not in", "val/images");
    /* an image without a line */
    replace_text(root, ann, keep, NULL);
    free(keep);
    snprintf(p, sizeof p, "%s/val/images/val_7.JPEG", root);
    it_write(p, 0, 0, 16, 16);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, NULL, 0, "val/images/val_7.JPEG", "no line for it");
    remove(p);
    /* a val image of another size: the read names it */
    snprintf(p, sizeof p, "%s/val/images/val_3.JPEG", root);
    it_write(p, 0, 0, 16, 20);
    ds = open_src(root, NULL, NULL, 0, &e);
    CHECK(ds != NULL, "opens: %s", e.msg);
    if (ds) {
        uint8_t px[5 * 16 * 16 * 3];
        CHECK_ERR(ar_dataset_read_u8(ds, 0, 5, px, NULL, &e), &e, AR_E_FORMAT, "val_3.JPEG", "16 x 20",
                  "expected 16 x 16");
        ar_dataset_destroy(&ds);
    }
    /* an empty train class */
    snprintf(p, sizeof p, "%s/train/%s/images", root, it_wnid(2));
    snprintf(q, sizeof q, "%s/moved", root);
    CHECK(rename(p, q) == 0, "move images");
    it_mkdirs(p);
    OPEN_FAILS(AR_E_FORMAT, root, "train", NULL, 0, it_wnid(2), "class folder holds no image");
}

/* ---- Tiny-ImageNet-C ------------------------------------------------------------ */

static void test_tiny_c(void)
{
    ar_err_t e = {0};
    const char *root = test_tmp("Tiny-ImageNet-C");
    tu_rmdir(root);
    const char *cor[] = {"gaussian_noise", "fog"};
    CHECK(it_tiny_c(root, cor, 2, 5, TIN_CLASSES, 2, 64, 64) == 0, "write the tree");
    char p[1024], q[1024];
    snprintf(p, sizeof p, "%s/notes", root); /* a folder that is no corruption */
    it_mkdirs(p);

    CHECK(ar_collection_probe(root) == 1, "a Tiny-ImageNet-C tree is a collection");
    ar_collection_info_t ci;
    CHECK_OK(ar_collection_describe(root, &ci, &e), &e);
    CHECK(!strcmp(ci.format, "tiny-imagenet-c") && ci.ncorruptions == 2 && !strcmp(ci.corruptions[0], "fog") &&
              !strcmp(ci.corruptions[1], "gaussian_noise") && ci.severities == 5 && ci.count == TIN_CLASSES * 2 &&
              ci.height == 64 && ci.width == 64 && ci.channels == 3 && !ci.has_clean,
          "describe: %s %d corruptions, S=%d, N=%lld", ci.format, ci.ncorruptions, ci.severities, (long long)ci.count);
    ar_collection_info_free(&ci);

    ar_dataset_t *ds = open_src(root, NULL, "fog", 3, &e);
    CHECK(ds != NULL, "open fog/3: %s", e.msg);
    if (!ds) return;
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    CHECK(!strcmp(in->format, "tiny-imagenet-c") && !strcmp(in->name, "fog/3") && in->count == 6 &&
              in->num_classes == TIN_CLASSES,
          "fog/3: %s %s %lld", in->format, in->name, (long long)in->count);
    int32_t lab[6], lab2[6];
    uint8_t *px = read_all_checked(ds, lab, "fog/3");
    for (int k = 0; k < TIN_CLASSES; k++) {
        int l = it_label(k, TIN_CLASSES);
        CHECK(!strcmp(in->class_names[l], it_wnid(k)), "class %d is %s", l, it_wnid(k));
        for (int i = 0; i < 2; i++) {
            CHECK(lab[l * 2 + i] == l, "fog/3 image %d: label %d", l * 2 + i, lab[l * 2 + i]);
            check_image(px + (size_t)(l * 2 + i) * 64 * 64 * 3, k, i + 30, 64, 64, 0, "fog/3");
        }
    }
    ar_dataset_destroy(&ds);
    /* the set's folder is an ImageFolder of the same images and labels */
    snprintf(p, sizeof p, "%s/fog/3", root);
    ds = open_src(p, NULL, NULL, 0, &e);
    CHECK(ds && !strcmp(ar_dataset_info(ds)->format, "imagefolder"), "fog/3 as an image folder: %s", e.msg);
    if (ds) {
        uint8_t *px2 = read_all_checked(ds, lab2, "fog/3 folder");
        CHECK(!memcmp(px, px2, 6 * 64 * 64 * 3) && !memcmp(lab, lab2, sizeof lab), "same images and labels");
        free(px2);
        ar_dataset_destroy(&ds);
    }
    free(px);

    OPEN_FAILS(AR_E_ARG, root, NULL, NULL, 0, "corrupted sets only");
    OPEN_FAILS(AR_E_ARG, root, NULL, "clean", 0, "corrupted sets only");
    OPEN_FAILS(AR_E_ARG, root, NULL, "fog", 6, "severity 6 out of range 1..5");
    OPEN_FAILS(AR_E_ARG, root, NULL, "snow", 1, "no corruption 'snow'");
    OPEN_FAILS(AR_E_ARG, root, NULL, "../x", 1, "bad corruption name");

    /* a set missing a class folder, or with one more, is refused (labels
     * would shift); describe names it too */
    snprintf(p, sizeof p, "%s/gaussian_noise/2/%s", root, it_wnid(1));
    snprintf(q, sizeof q, "%s/moved", root);
    CHECK(rename(p, q) == 0, "move a class folder");
    OPEN_FAILS(AR_E_FORMAT, root, NULL, "gaussian_noise", 2, "gaussian_noise/2", it_wnid(1), "missing");
    CHECK(ar_collection_describe(root, &ci, &e) == AR_E_FORMAT && strstr(e.msg, "gaussian_noise/2"), "describe: %s",
          e.msg);
    ar_err_clear(&e);
    ds = open_src(root, NULL, "gaussian_noise", 1, &e);
    CHECK(ds != NULL, "the other sets still open: %s", e.msg);
    ar_dataset_destroy(&ds);
    /* with wnids.txt the classes are fixed: a missing folder is allowed, an
     * unknown one is not */
    snprintf(p, sizeof p, "%s/wnids.txt", root);
    char text[1024];
    snprintf(text, sizeof text, "%s\n%s\n%s\nn00000001\n", it_wnid(0), it_wnid(1), it_wnid(2));
    it_text(p, text);
    ds = open_src(root, NULL, "gaussian_noise", 2, &e);
    CHECK(ds && ar_dataset_info(ds)->num_classes == 4 && ar_dataset_info(ds)->count == 4,
          "wnids.txt fixes 4 classes: %s", e.msg);
    if (ds) {
        CHECK_OK(ar_dataset_read_u8(ds, 0, 4, NULL, lab, &e), &e);
        CHECK(lab[0] == 1 + it_label(0, TIN_CLASSES), "labels by wnids.txt (n00000001 sorts first): %d", lab[0]);
    }
    ar_dataset_destroy(&ds);
    snprintf(text, sizeof text, "%s\n%s\n", it_wnid(0), it_wnid(2));
    it_text(p, text);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, "fog", 1, it_wnid(1), "not in the collection's classes", "wnids.txt");
    remove(p);
    snprintf(p, sizeof p, "%s/gaussian_noise/2/%s", root, it_wnid(1));
    CHECK(rename(q, p) == 0, "restore the class folder");

    /* corruptions with different severities cannot form one collection */
    snprintf(p, sizeof p, "%s/fog/5", root);
    snprintf(q, sizeof q, "%s/fog5", root);
    CHECK(rename(p, q) == 0, "move fog/5");
    CHECK(ar_collection_describe(root, &ci, &e) == AR_E_FORMAT && strstr(e.msg, "S=5") && strstr(e.msg, "S=4"),
          "severities differ: %s", e.msg);
    ar_err_clear(&e);
    CHECK(rename(q, p) == 0, "restore fog/5");
    /* an empty class folder in one set */
    snprintf(p, sizeof p, "%s/fog/4/%s", root, it_wnid(0));
    tu_rmdir(p);
    it_mkdirs(p);
    OPEN_FAILS(AR_E_FORMAT, root, NULL, "fog", 4, "fog/4", "class folder holds no image");
}

/* ---- the strict parsers alone ----------------------------------------------------- */

static void test_parsers(void)
{
    ar_err_t e = {0};
    const char *dir = test_tmp("tin_parsers");
    tu_rmdir(dir);
    tu_mkdir(dir);
    char p[1024];
    snprintf(p, sizeof p, "%s/wnids.txt", dir);
    it_text(p, "n3\nn1\nn2");
    char **w = NULL;
    int n = 0;
    CHECK_OK(ar_wnids_read(p, &w, &n, &e), &e);
    CHECK(n == 3 && !strcmp(w[0], "n1") && !strcmp(w[2], "n3"), "sorted, last line without newline");
    CHECK(ar_names_find(w, n, "n2") == 1 && ar_names_find(w, n, "n4") == -1, "find");
    snprintf(p, sizeof p, "%s/words.txt", dir);
    it_text(p, "n2\tbee, honey bee\nn9\tother\nn2\tsecond line\n");
    char **names = NULL;
    CHECK_OK(ar_words_names(p, w, n, &names, &e), &e);
    CHECK(names && !strcmp(names[0], "n1") && !strcmp(names[1], "n2 bee") && !strcmp(names[2], "n3"), "words: %s",
          names ? names[1] : "");
    ar_names_free(names, n);
    snprintf(p, sizeof p, "%s/val_annotations.txt", dir);
    it_text(p, "b.jpg\tn3\t0\t0\t5\t5\r\na.png\tn1\t1\t1\t2\t2\r\n");
    ar_val_annot_t *a = NULL;
    int64_t na = 0;
    CHECK_OK(ar_val_annotations_read(p, w, n, &a, &na, &e), &e);
    CHECK(na == 2 && !strcmp(a[0].file, "a.png") && a[0].label == 0 && a[0].line == 2 && a[1].label == 2,
          "annotations sorted by file, CRLF");
    ar_val_annot_free(a, na);
    it_text(p, "a.png\tn1\t1\t1\t2\t2\n\n");
    CHECK_ERR(ar_val_annotations_read(p, w, n, &a, &na, &e), &e, AR_E_FORMAT, "val_annotations.txt:2:");
    it_text(p, "a.png\tn1\t1\t1\t2\t1234567890\n");
    CHECK_ERR(ar_val_annotations_read(p, w, n, &a, &na, &e), &e, AR_E_FORMAT, "val_annotations.txt:1:", "field 4");
    it_text(p, "sub/a.png\tn1\t1\t1\t2\t2\n");
    CHECK_ERR(ar_val_annotations_read(p, w, n, &a, &na, &e), &e, AR_E_FORMAT, ":1:", "not an image file name");
    tu_write(p, "a.png\tn1\t1\0\t2\t2\n", 16);
    CHECK_ERR(ar_val_annotations_read(p, w, n, &a, &na, &e), &e, AR_E_FORMAT, "NUL");
    snprintf(p, sizeof p, "%s/absent.txt", dir);
    CHECK_ERR(ar_val_annotations_read(p, w, n, &a, &na, &e), &e, AR_E_IO, "absent.txt");
    ar_names_free(w, n);
    CHECK(ar_image_name_ok("a.PNG") && ar_image_name_ok("x.JpEg") && !ar_image_name_ok(".a.png") &&
              !ar_image_name_ok(".png") && !ar_image_name_ok("a.gif") && !ar_image_name_ok("png"),
          "image names");
}

int main(void)
{
    test_image_io();
    test_imagefolder();
    test_imagefolder_bad();
    test_tiny();
    test_tiny_bad();
    test_tiny_c();
    test_parsers();
    TEST_MAIN_END();
}
