/* ds_h5.c - the HDF5 reader (readers.h): datasets (/images uint8
 * [N, H, W, C] + /labels) and one (corruption, severity) set of an HDF5
 * corruption collection (/<corruption>/images uint8 [S, N, H, W, C]), read
 * by hyperslab; and the description of such a collection. Files written by
 * h5py (int64 labels, variable-length string attributes) load the same as
 * ours. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "data/collection.h"
#include "data/readers.h"
#include "io/h5.h"

typedef struct {
    ar_h5_t *h;
    ar_h5_dset_t *dset;     /* the images dataset, open for the dataset's life */
    char images[160];       /* dataset path */
    int collection;         /* 1: [S, N, ...] and sev0 is the severity index */
    int sev0;
    int ndim;               /* rank of the images dataset */
    int64_t dims[AR_H5_MAXDIM];
    int32_t *labels;
} h5_set_t;

static int h5_read(void *self, int64_t start, int64_t count, uint8_t *pixels, int32_t *labels,
                   ar_err_t *err)
{
    h5_set_t *s = self;
    if (labels) memcpy(labels, s->labels + start, (size_t)count * sizeof *labels);
    if (!pixels) return AR_OK;
    int64_t st[AR_H5_MAXDIM] = {0}, cn[AR_H5_MAXDIM];
    for (int i = 0; i < s->ndim; i++) cn[i] = s->dims[i];
    int k = 0;
    if (s->collection) {
        st[0] = s->sev0;
        cn[0] = 1;
        k = 1;
    }
    st[k] = start;
    cn[k] = count;
    return ar_h5_dset_read_slab(s->dset, AR_DT_U8, st, cn, pixels, err);
}

static void h5_destroy(void *self)
{
    h5_set_t *s = self;
    if (!s) return;
    ar_h5_dset_close(&s->dset);
    ar_h5_destroy(&s->h);
    free(s->labels);
    free(s);
}

/* The images dataset's shape, checked to be uint8 of rank base or base+1
 * (trailing channel dim optional). */
static int images_shape(h5_set_t *s, const char *path, int base, ar_err_t *err)
{
    int is_int = 0;
    size_t es = 0;
    int st = ar_h5_shape(s->h, s->images, &s->ndim, s->dims, &is_int, &es, err);
    if (st) return st;
    if (is_int != 1 || es != 1)
        return ar_err_set(err, AR_E_FORMAT, "%s:%s: images must be uint8, found %zu-byte %s", path, s->images, es,
                          is_int == 1 ? "integers" : is_int == 0 ? "floats" : "non-numbers");
    if (s->ndim != base && s->ndim != base + 1)
        return ar_err_set(err, AR_E_FORMAT, "%s:%s: images must have %d dims (%s), found %d", path, s->images,
                          base + 1, base == 4 ? "S, N, H, W, C" : "N, H, W, C", s->ndim);
    for (int i = 0; i < s->ndim; i++)
        if (s->dims[i] <= 0 || s->dims[i] > (INT64_C(1) << 32))
            return ar_err_set(err, AR_E_FORMAT, "%s:%s: absurd dimension %d = %lld", path, s->images, i,
                              (long long)s->dims[i]);
    return AR_OK;
}

static int load_labels(h5_set_t *s, const char *path, int64_t n, int *num_classes, char ***classes,
                       int *nclasses, ar_err_t *err)
{
    int nd = 0, is_int = 0;
    int64_t dims[AR_H5_MAXDIM];
    int st = ar_h5_shape(s->h, "/labels", &nd, dims, &is_int, NULL, err);
    if (st) return st;
    if (is_int != 1 || nd != 1 || dims[0] != n)
        return ar_err_set(err, AR_E_FORMAT, "%s:/labels: must be integer [%lld] (one per image), found %s of %d dims",
                          path, (long long)n, is_int == 1 ? "integers" : "non-integers", nd);
    if (ar_h5_attr_exists(s->h, "/", "classes") &&
        (st = ar_h5_attr_read_strs(s->h, "/", "classes", classes, nclasses, err)))
        return st;
    if ((st = ar_h5_check_stored(s->h, "/labels", err))) return st; /* before n labels are allocated */
    int64_t *raw = malloc((size_t)(n ? n : 1) * sizeof *raw);
    s->labels = malloc((size_t)(n ? n : 1) * sizeof *s->labels);
    if (!raw || !s->labels) {
        free(raw);
        return ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
    }
    char where[4200];
    snprintf(where, sizeof where, "%s:/labels", path);
    st = ar_h5_read(s->h, "/labels", AR_DT_I64, raw, n, err);
    if (!st) st = ar_labels_import(where, raw, n, *nclasses, s->labels, num_classes, err);
    free(raw);
    return st;
}

/* 1 when the file holds at least one /<name>/images dataset. Never fails. */
static int has_collection(const char *path)
{
    ar_h5_t *h = ar_h5_open(path, NULL);
    if (!h) return 0;
    char **names = NULL;
    int n = 0, found = 0;
    if (ar_h5_list(h, "/", &names, &n, NULL) == AR_OK)
        for (int i = 0; i < n && !found; i++) {
            char p[512];
            snprintf(p, sizeof p, "/%s/images", names[i]);
            found = ar_h5_exists(h, p) && !ar_h5_is_group(h, p);
        }
    ar_h5_free_strings(names, n);
    ar_h5_destroy(&h);
    return found;
}

static ar_dataset_t *open_set(const char *path, const char *corruption, int severity, ar_err_t *err)
{
    h5_set_t *s = calloc(1, sizeof *s);
    char **classes = NULL, *name = NULL;
    int nclasses = 0;
    if (!s) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    if (!(s->h = ar_h5_open(path, err))) goto fail;
    int clean = !corruption || strcmp(corruption, "clean") == 0;
    if (clean) {
        strcpy(s->images, "/images");
        if (!ar_h5_exists(s->h, "/images")) {
            ar_err_set(err, AR_E_FORMAT, "%s: /images missing%s", path,
                       has_collection(path) ? " (a corruption collection without clean images: name a corruption)" : "");
            goto fail;
        }
        if (images_shape(s, path, 3, err)) goto fail;
    } else {
        if (!ar_corruption_name_ok(corruption)) {
            ar_err_set(err, AR_E_ARG, "%s: bad corruption name '%s'", path, corruption);
            goto fail;
        }
        snprintf(s->images, sizeof s->images, "/%s/images", corruption);
        if (!ar_h5_exists(s->h, s->images)) {
            ar_err_set(err, AR_E_ARG, "%s: no corruption '%s' (no %s)", path, corruption, s->images);
            goto fail;
        }
        if (images_shape(s, path, 4, err)) goto fail;
        if (severity < 1 || severity > s->dims[0]) {
            ar_err_set(err, AR_E_ARG, "%s: severity %d of '%s' out of range 1..%lld", path, severity, corruption,
                       (long long)s->dims[0]);
            goto fail;
        }
        s->collection = 1;
        s->sev0 = severity - 1;
    }
    int k = s->collection;
    if (ar_ds_check_geometry(path, s->dims[k], s->dims[k + 1], s->dims[k + 2],
                             s->ndim == k + 4 ? s->dims[k + 3] : 1, err))
        goto fail;
    ar_dataset_info_t info = {.count = s->dims[k], .height = (int)s->dims[k + 1], .width = (int)s->dims[k + 2],
                              .channels = s->ndim == k + 4 ? (int)s->dims[k + 3] : 1};
    if (info.channels > 64) {
        ar_err_set(err, AR_E_FORMAT, "%s:%s: absurd channel count %d", path, s->images, info.channels);
        goto fail;
    }
    if (load_labels(s, path, info.count, &info.num_classes, &classes, &nclasses, err)) goto fail;
    if (!(s->dset = ar_h5_dset_open(s->h, s->images, 0, err))) goto fail;
    if (nclasses > 0) info.class_names = classes;
    ar_str_copy(info.format, sizeof info.format, s->collection ? "hdf5-collection" : "hdf5");
    if (ar_h5_attr_exists(s->h, "/", "name") && ar_h5_attr_read_str(s->h, "/", "name", &name, err)) goto fail;
    if (s->collection)
        snprintf(info.name, sizeof info.name, "%s %s/%d", name ? name : path, corruption, severity);
    else
        ar_str_copy(info.name, sizeof info.name, name ? name : path);
    ar_dataset_t *ds = ar_dataset_new_custom(&info, &(ar_dataset_vt_t){h5_read, h5_destroy}, s, err);
    ar_h5_free_strings(classes, nclasses);
    free(name);
    return ds;
fail:
    ar_h5_free_strings(classes, nclasses);
    free(name);
    h5_destroy(s);
    return NULL;
}

static ar_dataset_t *h5_open(const ar_data_source_t *src, ar_err_t *err)
{
    return open_set(src->path, src->corruption, src->severity, err);
}

static ar_ds_match_t h5_probe(const ar_ds_sniff_t *s)
{
    if (s->is_dir) return AR_DS_NO;
    if (ar_ds_head_is(s, "\x89HDF\r\n\x1a\n", 8)) return AR_DS_BY_CONTENT;
    return ar_ds_name_ends(s, ".h5") || ar_ds_name_ends(s, ".hdf5") ? AR_DS_BY_NAME : AR_DS_NO;
}

static int h5_is_collection(const ar_ds_sniff_t *s) { return has_collection(s->path); }

/* The collection: every /<name> group holding images, each checked to be
 * uint8 [S, N, H, W, C] of one shape, and /labels. */
static int h5_describe(const char *path, ar_collection_info_t *out, ar_err_t *err)
{
    ar_str_copy(out->format, sizeof out->format, "hdf5-collection");
    ar_h5_t *h = ar_h5_open(path, err);
    if (!h) return err->status;
    char **names = NULL;
    int n = 0, cap = 0;
    int st = ar_h5_list(h, "/", &names, &n, err);
    for (int i = 0; i < n && !st; i++) {
        char p[512];
        snprintf(p, sizeof p, "/%s/images", names[i]);
        char g[300];
        snprintf(g, sizeof g, "/%s", names[i]);
        if (!ar_h5_is_group(h, g) || !ar_h5_exists(h, p)) continue;
        int nd = 0, is_int = 0;
        int64_t dims[AR_H5_MAXDIM];
        size_t es = 0;
        st = ar_h5_shape(h, p, &nd, dims, &is_int, &es, err);
        if (st) break;
        if ((nd != 5 && nd != 4) || is_int != 1 || es != 1) {
            st = ar_err_set(err, AR_E_FORMAT, "%s:%s: expected uint8 [S, N, H, W, C], got %d dims of %zu-byte %s", path, p,
                            nd, es, is_int == 1 ? "integers" : "non-integers");
            break;
        }
        st = ar_ds_check_geometry(path, dims[1], dims[2], dims[3], nd == 5 ? dims[4] : 1, err);
        if (!st && (dims[0] < 1 || dims[0] > 5))
            st = ar_err_set(err, AR_E_FORMAT, "%s:/%s/images: %lld severities (1..5)", path, names[i],
                            (long long)dims[0]);
        if (!st)
            st = ar_collection_check_shape(out, out->ncorruptions == 0, dims[1], (int)dims[2], (int)dims[3],
                                       nd == 5 ? (int)dims[4] : 1, (int)dims[0], path, err);
        if (!st && ar_collection_add_name(out, names[i], &cap)) st = ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
    }
    if (!st && out->ncorruptions == 0)
        st = ar_err_set(err, AR_E_FORMAT, "%s: no /<corruption>/images groups (not a corruption collection)", path);
    out->has_clean = !st && ar_h5_exists(h, "/images");
    if (!st && !ar_h5_exists(h, "/labels")) st = ar_err_set(err, AR_E_FORMAT, "%s: /labels missing", path);
    ar_h5_free_strings(names, n);
    ar_h5_destroy(&h);
    return st;
}

const ar_ds_reader_t ar_ds_reader_hdf5 = {
    .name = "hdf5",
    .title = "HDF5",
    .file_hint = "HDF5 signature, or a .h5 / .hdf5 name",
    .probe = h5_probe,
    .open = h5_open,
    .is_collection = h5_is_collection,
    .describe = h5_describe,
};
