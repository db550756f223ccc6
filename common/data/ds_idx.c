/* ds_idx.c - the IDX reader (readers.h): MNIST / Fashion-MNIST, an images
 * file (plain or gzipped) and its labels file, or their directory with
 * train/test (t10k) splits (a single file ignores the split). The images are
 * held in memory (they are small); reads are memcpy. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/str.h"
#include "data/classes.h"
#include "data/readers.h"
#include "io/idx.h"

typedef struct {
    ar_idx_t images;
    int32_t *labels;
    int64_t image_bytes;
} idx_set_t;

static int idx_read(void *self, int64_t start, int64_t count, uint8_t *pixels, int32_t *labels,
                    ar_err_t *err)
{
    (void)err;
    idx_set_t *s = self;
    if (pixels) memcpy(pixels, s->images.data + start * s->image_bytes, (size_t)(count * s->image_bytes));
    if (labels) memcpy(labels, s->labels + start, (size_t)count * sizeof *labels);
    return AR_OK;
}

static void idx_destroy(void *self)
{
    idx_set_t *s = self;
    if (!s) return;
    ar_idx_free(&s->images);
    free(s->labels);
    free(s);
}

/* First of "<dir>/<stem>" and "<dir>/<stem>.gz" that exists, into out. */
static int find_file(const char *dir, const char *stem, char *out, size_t cap)
{
    const char *fmt[2] = {"%s/%s", "%s/%s.gz"};
    for (int i = 0; i < 2; i++) {
        snprintf(out, cap, fmt[i], dir, stem);
        if (ar_file_size(out) >= 0) return 0;
    }
    return -1;
}

/* The labels file beside an images file: "images" -> "labels", "idx3" -> "idx1"
 * in the file name, with or without ".gz". */
static int labels_beside(const char *images, char *out, size_t cap)
{
    const char *base = strrchr(images, '/');
    base = base ? base + 1 : images;
    const char *img = strstr(base, "images");
    if (!img || strlen(images) + 8 > cap) return -1;
    size_t pre = (size_t)(img - images);
    memcpy(out, images, pre);
    memcpy(out + pre, "labels", 6);
    strcpy(out + pre + 6, img + 6);
    char *k = strstr(out + pre, "idx3");
    if (k) k[3] = '1';
    if (ar_file_size(out) >= 0) return 0;
    size_t n = strlen(out);
    if (n > 3 && strcmp(out + n - 3, ".gz") == 0) out[n - 3] = '\0';
    else strcat(out, ".gz");
    return ar_file_size(out) >= 0 ? 0 : -1;
}

static int contains_ci(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++) {
        size_t i = 0;
        while (i < n && s[i] && tolower((unsigned char)s[i]) == word[i]) i++;
        if (i == n) return 1;
    }
    return 0;
}

static ar_dataset_t *idx_open(const ar_data_source_t *src, ar_err_t *err)
{
    const char *path = src->path, *split = src->split;
    char ipath[4096], lpath[4096];
    if (ar_is_dir(path)) {
        const char *prefix = !split || strcmp(split, "test") == 0 ? "t10k" : strcmp(split, "train") == 0 ? "train" : NULL;
        if (!prefix) {
            ar_err_set(err, AR_E_ARG, "%s: unknown split '%s' (train or test)", path, split);
            return NULL;
        }
        char stem[64];
        snprintf(stem, sizeof stem, "%s-images-idx3-ubyte", prefix);
        if (find_file(path, stem, ipath, sizeof ipath) != 0) {
            ar_err_set(err, AR_E_IO, "%s: no %s or %s.gz in this directory", path, stem, stem);
            return NULL;
        }
        snprintf(stem, sizeof stem, "%s-labels-idx1-ubyte", prefix);
        if (find_file(path, stem, lpath, sizeof lpath) != 0) {
            ar_err_set(err, AR_E_IO, "%s: no %s or %s.gz in this directory", path, stem, stem);
            return NULL;
        }
    } else {
        ar_str_copy(ipath, sizeof ipath, path);
        if (labels_beside(path, lpath, sizeof lpath) != 0) {
            ar_err_set(err, AR_E_IO, "%s: no matching labels file (...labels-idx1-ubyte[.gz]) beside it", path);
            return NULL;
        }
    }
    idx_set_t *s = calloc(1, sizeof *s);
    ar_idx_t lab = {0};
    int64_t *raw = NULL;
    if (!s) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    if (ar_idx_load(ipath, &s->images, err) || ar_idx_load(lpath, &lab, err)) goto fail;
    ar_idx_t *im = &s->images;
    if (im->ndim != 3 && im->ndim != 4) {
        ar_err_set(err, AR_E_FORMAT, "%s: images must be 3-D [N, H, W] or 4-D [N, H, W, C], got %d-D", ipath, im->ndim);
        goto fail;
    }
    if (lab.ndim != 1 || lab.dims[0] != im->dims[0]) {
        ar_err_set(err, AR_E_FORMAT, "%s: labels file must be 1-D with %lld entries (one per image in %s)", lpath,
                   (long long)im->dims[0], ipath);
        goto fail;
    }
    if (ar_ds_check_geometry(ipath, im->dims[0], im->dims[1], im->dims[2], im->ndim == 4 ? im->dims[3] : 1, err))
        goto fail;
    ar_dataset_info_t info = {.count = im->dims[0], .height = (int)im->dims[1], .width = (int)im->dims[2],
                              .channels = im->ndim == 4 ? (int)im->dims[3] : 1};
    if (info.height > 65536 || info.width > 65536 || info.channels > 64) {
        ar_err_set(err, AR_E_FORMAT, "%s: absurd image shape %dx%dx%d", ipath, info.height, info.width, info.channels);
        goto fail;
    }
    s->image_bytes = (int64_t)info.height * info.width * info.channels;
    raw = malloc((size_t)lab.nbytes * sizeof *raw);
    s->labels = malloc((size_t)lab.nbytes * sizeof *s->labels);
    if (!raw || !s->labels) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", lpath);
        goto fail;
    }
    for (int64_t i = 0; i < lab.nbytes; i++) raw[i] = lab.data[i];
    int fashion = contains_ci(path, "fashion");
    int known = 0;
    const char *const *names = ar_classes_known(fashion ? "fashion-mnist" : "mnist", &known);
    int looks_mnist = info.height == 28 && info.width == 28 && info.channels == 1;
    /* Fashion-MNIST declares its 10 classes; other IDX sets get 1 + max label,
     * named as MNIST digits when they look like MNIST */
    if (ar_labels_import(lpath, raw, lab.nbytes, fashion ? known : 0, s->labels, &info.num_classes, err))
        goto fail;
    if (fashion || (looks_mnist && info.num_classes <= known)) {
        info.num_classes = known;
        info.class_names = (char **)names;
    }
    ar_str_copy(info.format, sizeof info.format, "idx");
    snprintf(info.name, sizeof info.name, "%s %.100s", fashion ? "fashion-mnist" : looks_mnist ? "mnist" : "idx",
             ar_is_dir(path) ? (split ? split : "test") : ipath);
    free(raw);
    ar_idx_free(&lab);
    return ar_dataset_new_custom(&info, &(ar_dataset_vt_t){idx_read, idx_destroy}, s, err);
fail:
    free(raw);
    ar_idx_free(&lab);
    idx_destroy(s);
    return NULL;
}

static ar_ds_match_t idx_probe(const ar_ds_sniff_t *s)
{
    if (s->is_dir) {
        static const char *const stems[] = {"train", "t10k"};
        char stem[64], p[4096];
        for (int i = 0; i < 2; i++) {
            snprintf(stem, sizeof stem, "%s-images-idx3-ubyte", stems[i]);
            if (find_file(s->path, stem, p, sizeof p) == 0) return AR_DS_BY_CONTENT;
        }
        return AR_DS_NO;
    }
    /* magic 00 00 08 <ndim> (uint8 elements), or any gzip stream */
    int idx = s->nhead >= 4 && ar_ds_head_is(s, "\0\0\x08", 3);
    return idx || ar_ds_head_is(s, "\x1f\x8b", 2) ? AR_DS_BY_CONTENT : AR_DS_NO;
}

static int idx_splits(const char *path, const char **out, int cap)
{
    static const char *const stems[] = {"train", "t10k"}, *const names[] = {"train", "test"};
    char stem[64], p[4096];
    int n = 0;
    for (int i = 0; i < 2 && n < cap; i++) {
        snprintf(stem, sizeof stem, "%s-images-idx3-ubyte", stems[i]);
        if (find_file(path, stem, p, sizeof p) == 0) out[n++] = names[i];
    }
    return n;
}

const ar_ds_reader_t ar_ds_reader_idx = {
    .name = "idx",
    .title = "IDX",
    .file_hint = "IDX or gzip magic",
    .dir_hint = "train- or t10k-images-idx3-ubyte[.gz]",
    .probe = idx_probe,
    .open = idx_open,
    .splits = idx_splits,
};
