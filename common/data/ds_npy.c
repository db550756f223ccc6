/* ds_npy.c - the reader of CIFAR-10-C style collections (readers.h): a
 * directory of <corruption>.npy uint8 [5N, H, W, C] + labels.npy ([5N] or
 * [N], any integer dtype), or one <corruption>.npy file of it. Opens one
 * (corruption, severity) set: severity s is rows N(s-1)..Ns-1; pixel rows are
 * read with seek + fread per request, never the whole file. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fsutil.h"
#include "core/str.h"
#include "data/classes.h"
#include "data/collection.h"
#include "data/readers.h"
#include "io/npy.h"

typedef struct {
    ar_npy_t *images;
    int64_t row0;           /* first row of the severity */
    int32_t *labels;        /* N labels of the severity */
} npy_set_t;

static int npy_read(void *self, int64_t start, int64_t count, uint8_t *pixels, int32_t *labels,
                    ar_err_t *err)
{
    npy_set_t *s = self;
    if (labels) memcpy(labels, s->labels + start, (size_t)count * sizeof *labels);
    return pixels ? ar_npy_read_rows(s->images, s->row0 + start, count, pixels, err) : AR_OK;
}

static void npy_destroy(void *self)
{
    npy_set_t *s = self;
    if (!s) return;
    ar_npy_close(&s->images);
    free(s->labels);
    free(s);
}

static int looks_cifar(const char *dir)
{
    for (const char *p = dir; *p; p++)
        if (strncasecmp(p, "cifar", 5) == 0) return 1;
    return 0;
}

static ar_dataset_t *open_set(const char *dir, const char *corruption, int severity, ar_err_t *err)
{
    if (!corruption || strcmp(corruption, "clean") == 0) {
        ar_err_set(err, AR_E_ARG, "%s: a .npy collection holds corrupted sets only: name a corruption and severity", dir);
        return NULL;
    }
    if (!ar_corruption_name_ok(corruption)) {
        ar_err_set(err, AR_E_ARG, "%s: bad corruption name '%s'", dir, corruption);
        return NULL;
    }
    if (severity < 1 || severity > AR_NPY_DIR_SEVERITIES) {
        ar_err_set(err, AR_E_ARG, "%s: severity %d out of range 1..%d", dir, severity, AR_NPY_DIR_SEVERITIES);
        return NULL;
    }
    char ipath[4096], lpath[4096];
    snprintf(ipath, sizeof ipath, "%s/%s.npy", dir, corruption);
    snprintf(lpath, sizeof lpath, "%s/labels.npy", dir);
    npy_set_t *s = calloc(1, sizeof *s);
    ar_npy_t *lab = NULL;
    int64_t *raw = NULL;
    int32_t *all = NULL;
    if (!s) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", dir);
        return NULL;
    }
    if (!(s->images = ar_npy_open(ipath, err))) goto fail;
    ar_npy_t *im = s->images;
    if (im->dtype != AR_NPY_U8) {
        ar_err_set(err, AR_E_FORMAT, "%s: images must be uint8, dtype is '%s'", ipath, ar_npy_dtype_descr(im->dtype));
        goto fail;
    }
    if (im->ndim != 4 && im->ndim != 3) {
        ar_err_set(err, AR_E_FORMAT, "%s: images must be [5N, H, W, C] (or [5N, H, W]), got %d dims", ipath, im->ndim);
        goto fail;
    }
    if (im->shape[0] == 0 || im->shape[0] % AR_NPY_DIR_SEVERITIES != 0) {
        ar_err_set(err, AR_E_FORMAT, "%s: %lld rows is not a non-zero multiple of %d severities", ipath,
                   (long long)im->shape[0], AR_NPY_DIR_SEVERITIES);
        goto fail;
    }
    int64_t n = im->shape[0] / AR_NPY_DIR_SEVERITIES;
    if (ar_ds_check_geometry(ipath, n, im->shape[1], im->shape[2], im->ndim == 4 ? im->shape[3] : 1, err))
        goto fail;
    if (!(lab = ar_npy_open(lpath, err))) goto fail;
    if (lab->ndim != 1 || (lab->shape[0] != im->shape[0] && lab->shape[0] != n)) {
        ar_err_set(err, AR_E_FORMAT, "%s: labels must be 1-D with %lld or %lld entries to match %s", lpath,
                   (long long)im->shape[0], (long long)n, ipath);
        goto fail;
    }
    int64_t nl = lab->shape[0];
    raw = malloc((size_t)nl * sizeof *raw);
    all = malloc((size_t)nl * sizeof *all);
    s->labels = malloc((size_t)n * sizeof *s->labels);
    if (!raw || !all || !s->labels) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", lpath);
        goto fail;
    }
    if (ar_npy_read_ints(lab, 0, nl, raw, err)) goto fail;
    ar_dataset_info_t info = {.count = n, .height = (int)im->shape[1], .width = (int)im->shape[2],
                              .channels = im->ndim == 4 ? (int)im->shape[3] : 1};
    if (info.channels < 1 || info.height < 1 || info.width < 1 || info.channels > 64 || info.height > 65536 ||
        info.width > 65536) {
        ar_err_set(err, AR_E_FORMAT, "%s: absurd image shape %dx%dx%d", ipath, info.height, info.width, info.channels);
        goto fail;
    }
    int known = 0;
    const char *const *names = ar_classes_known("cifar-10", &known);
    int cifar = looks_cifar(dir) && info.channels == 3;
    if (ar_labels_import(lpath, raw, nl, cifar ? known : 0, all, &info.num_classes, err)) goto fail;
    if (cifar) info.class_names = (char **)names;
    s->row0 = n * (severity - 1);
    memcpy(s->labels, all + (nl == n ? 0 : s->row0), (size_t)n * sizeof *s->labels);
    ar_str_copy(info.format, sizeof info.format, "npy-dir");
    snprintf(info.name, sizeof info.name, "%s/%d", corruption, severity);
    free(raw);
    free(all);
    ar_npy_close(&lab);
    return ar_dataset_new_custom(&info, &(ar_dataset_vt_t){npy_read, npy_destroy}, s, err);
fail:
    free(raw);
    free(all);
    ar_npy_close(&lab);
    npy_destroy(s);
    return NULL;
}

/* The corruption a file name stands for: "<corruption>.npy" -> corruption
 * into name (cap bytes); -1 for any other name, or one that does not fit. */
static int corruption_of(const char *file, char *name, size_t cap)
{
    size_t n = strlen(file);
    if (n <= 4 || n - 4 >= cap || strcmp(file + n - 4, ".npy") != 0) return -1;
    memcpy(name, file, n - 4);
    name[n - 4] = '\0';
    return 0;
}

/* A single <corruption>.npy file: its directory is the collection. */
static ar_dataset_t *open_file(const ar_data_source_t *src, ar_err_t *err)
{
    char dir[4096], name[256];
    const char *slash = strrchr(src->path, '/');
    const char *base = slash ? slash + 1 : src->path;
    size_t dn = slash ? (size_t)(slash - src->path) : 1;
    if (dn >= sizeof dir || strlen(base) >= sizeof name) {
        ar_err_set(err, AR_E_ARG, "%s: path too long", src->path);
        return NULL;
    }
    if (slash) {
        memcpy(dir, src->path, dn);
        dir[dn] = '\0';
        if (dn == 0) strcpy(dir, "/");
    } else {
        strcpy(dir, ".");
    }
    if (corruption_of(base, name, sizeof name) != 0) {
        ar_err_set(err, AR_E_ARG, "%s: a NumPy file not named <corruption>.npy; open the collection's directory",
                   src->path);
        return NULL;
    }
    if (strcmp(name, "labels") == 0) {
        ar_err_set(err, AR_E_ARG, "%s: labels.npy holds no images; open a <corruption>.npy or the directory", src->path);
        return NULL;
    }
    if (src->corruption && strcmp(src->corruption, name) != 0) {
        ar_err_set(err, AR_E_ARG, "%s: corruption '%s' asked for, but the file is '%s'", src->path, src->corruption, name);
        return NULL;
    }
    if (!ar_ds_dir_has(dir, "labels.npy")) {
        ar_err_set(err, AR_E_IO, "%s: no labels.npy beside it", src->path);
        return NULL;
    }
    return open_set(dir, name, src->severity, err);
}

static ar_dataset_t *npy_open(const ar_data_source_t *src, ar_err_t *err)
{
    if (ar_is_dir(src->path)) return open_set(src->path, src->corruption, src->severity, err);
    return open_file(src, err);
}

static ar_ds_match_t npy_probe(const ar_ds_sniff_t *s)
{
    if (s->is_dir) return ar_ds_dir_has(s->path, "labels.npy") ? AR_DS_BY_CONTENT : AR_DS_NO;
    if (ar_ds_head_is(s, "\x93NUMPY", 6)) return AR_DS_BY_CONTENT;
    return ar_ds_name_ends(s, ".npy") ? AR_DS_BY_NAME : AR_DS_NO;
}

/* A directory is the collection; a single file is one member of it. */
static int npy_is_collection(const ar_ds_sniff_t *s) { return s->is_dir; }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The collection: every <corruption>.npy beside labels.npy, sorted, each
 * checked to be uint8 [5N, H, W, C] of one shape. */
static int npy_describe(const char *dir, ar_collection_info_t *out, ar_err_t *err)
{
    ar_str_copy(out->format, sizeof out->format, "npy-dir");
    DIR *d = opendir(dir);
    if (!d) return ar_err_set(err, AR_E_IO, "%s: cannot list directory", dir);
    int cap = 0, st = AR_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        char name[256];
        if (corruption_of(e->d_name, name, sizeof name) != 0 || strcmp(name, "labels") == 0 ||
            !ar_corruption_name_ok(name))
            continue;
        if (ar_collection_add_name(out, name, &cap)) {
            st = ar_err_set(err, AR_E_NOMEM, "%s: out of memory", dir);
            break;
        }
    }
    closedir(d);
    if (st) return st;
    if (out->ncorruptions == 0) return ar_err_set(err, AR_E_FORMAT, "%s: no <corruption>.npy files beside labels.npy", dir);
    qsort(out->corruptions, (size_t)out->ncorruptions, sizeof *out->corruptions, cmp_str);
    for (int i = 0; i < out->ncorruptions && !st; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s.npy", dir, out->corruptions[i]);
        ar_npy_t *npy = ar_npy_open(p, err);
        if (!npy) return err->status;
        int empty = 0;
        for (int k = 0; k < npy->ndim; k++) empty |= npy->shape[k] == 0;
        if (npy->dtype != AR_NPY_U8 || (npy->ndim != 4 && npy->ndim != 3) ||
            npy->shape[0] % AR_NPY_DIR_SEVERITIES != 0 || empty)
            st = ar_err_set(err, AR_E_FORMAT, "%s: expected uint8 [5N, H, W, C] images, got dtype '%s' with %d dims", p,
                            ar_npy_dtype_descr(npy->dtype), npy->ndim);
        else if (!(st = ar_ds_check_geometry(p, npy->shape[0] / AR_NPY_DIR_SEVERITIES, npy->shape[1],
                                             npy->shape[2], npy->ndim == 4 ? npy->shape[3] : 1, err)))
            st = ar_collection_check_shape(out, i == 0, npy->shape[0] / AR_NPY_DIR_SEVERITIES, (int)npy->shape[1],
                                           (int)npy->shape[2], npy->ndim == 4 ? (int)npy->shape[3] : 1,
                                           AR_NPY_DIR_SEVERITIES, p, err);
        ar_npy_close(&npy);
    }
    return st;
}

const ar_ds_reader_t ar_ds_reader_npy = {
    .name = "npy-dir",
    .title = ".npy",
    .file_hint = "NumPy magic, or a .npy name",
    .dir_hint = "labels.npy beside <corruption>.npy files",
    .probe = npy_probe,
    .open = npy_open,
    .is_collection = npy_is_collection,
    .describe = npy_describe,
};
