/* ds_npy.c - one (corruption, severity) set of a CIFAR-10-C style directory:
 * <corruption>.npy uint8 [5N, H, W, C] + labels.npy ([5N] or [N], any
 * integer dtype). Severity s is rows N(s-1)..Ns-1; pixel rows are read with
 * seek + fread per request, never the whole file. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/str.h"
#include "data/classes.h"
#include "data/collection.h"
#include "data/dataset_impl.h"
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

ar_dataset_t *ar_ds_open_npy_dir(const char *dir, const char *corruption, int severity, ar_err_t *err)
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
