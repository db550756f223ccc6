/* collection.c - listing and checking corruption collections (HDF5 and
 * .npy directories). */
#define _POSIX_C_SOURCE 200809L
#include "collection.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/str.h"
#include "data/dataset_impl.h"
#include "io/h5.h"
#include "io/npy.h"

int ar_corruption_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n > 0 && n < 64 && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void ar_collection_info_free(ar_collection_info_t *c)
{
    if (!c) return;
    for (int i = 0; i < c->ncorruptions; i++) free(c->corruptions[i]);
    free(c->corruptions);
    memset(c, 0, sizeof *c);
}

static int push_name(ar_collection_info_t *c, const char *name, int *cap)
{
    if (c->ncorruptions == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        char **nn = realloc(c->corruptions, (size_t)nc * sizeof *nn);
        if (!nn) return -1;
        c->corruptions = nn;
        *cap = nc;
    }
    if (!(c->corruptions[c->ncorruptions] = strdup(name))) return -1;
    c->ncorruptions++;
    return 0;
}

/* Shape of one set: sets or checks out's geometry. */
static int set_geometry(ar_collection_info_t *out, int first, int64_t n, int h, int w, int c, int s,
                        const char *where, ar_err_t *err)
{
    if (first) {
        out->count = n;
        out->height = h;
        out->width = w;
        out->channels = c;
        out->severities = s;
        return AR_OK;
    }
    if (out->count != n || out->height != h || out->width != w || out->channels != c || out->severities != s)
        return ar_err_set(err, AR_E_FORMAT,
                          "%s: shape [S=%d, N=%lld, %d, %d, %d] differs from the collection's [S=%d, N=%lld, %d, %d, %d]",
                          where, s, (long long)n, h, w, c, out->severities, (long long)out->count, out->height,
                          out->width, out->channels);
    return AR_OK;
}

static int describe_npy_dir(const char *dir, ar_collection_info_t *out, ar_err_t *err)
{
    ar_str_copy(out->format, sizeof out->format, "npy-dir");
    DIR *d = opendir(dir);
    if (!d) return ar_err_set(err, AR_E_IO, "%s: cannot list directory", dir);
    int cap = 0, st = AR_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n <= 4 || strcmp(e->d_name + n - 4, ".npy") != 0 || strcmp(e->d_name, "labels.npy") == 0) continue;
        char name[256];
        ar_str_copy(name, sizeof name, e->d_name);
        name[n - 4] = '\0';
        if (!ar_corruption_name_ok(name)) continue;
        if (push_name(out, name, &cap)) {
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
        else
            st = set_geometry(out, i == 0, npy->shape[0] / AR_NPY_DIR_SEVERITIES, (int)npy->shape[1],
                              (int)npy->shape[2], npy->ndim == 4 ? (int)npy->shape[3] : 1, AR_NPY_DIR_SEVERITIES, p,
                              err);
        ar_npy_close(&npy);
    }
    return st;
}

static int describe_h5(const char *path, ar_collection_info_t *out, ar_err_t *err)
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
        st = set_geometry(out, out->ncorruptions == 0, dims[1], (int)dims[2], (int)dims[3], nd == 5 ? (int)dims[4] : 1,
                          (int)dims[0], path, err);
        if (!st && push_name(out, names[i], &cap)) st = ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
    }
    if (!st && out->ncorruptions == 0)
        st = ar_err_set(err, AR_E_FORMAT, "%s: no /<corruption>/images groups (not a corruption collection)", path);
    out->has_clean = !st && ar_h5_exists(h, "/images");
    if (!st && !ar_h5_exists(h, "/labels")) st = ar_err_set(err, AR_E_FORMAT, "%s: /labels missing", path);
    ar_h5_free_strings(names, n);
    ar_h5_destroy(&h);
    return st;
}

int ar_collection_probe(const char *path)
{
    if (ar_is_dir(path)) {
        char p[4096];
        snprintf(p, sizeof p, "%s/labels.npy", path);
        return ar_file_size(p) >= 0;
    }
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

int ar_collection_describe(const char *path, ar_collection_info_t *out, ar_err_t *err)
{
    memset(out, 0, sizeof *out);
    int st = ar_is_dir(path) ? describe_npy_dir(path, out, err) : describe_h5(path, out, err);
    if (st) ar_collection_info_free(out);
    return st;
}
