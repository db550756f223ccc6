/* collection.c - corruption collections through the reader table: a
 * collection is a source whose reader has is_collection/describe (readers.h;
 * the .npy directory in ds_npy.c, the HDF5 file in ds_h5.c). Here: the
 * lookups and what every describe shares. */
#define _POSIX_C_SOURCE 200809L
#include "collection.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/readers.h"

int ar_corruption_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n > 0 && n < 64 && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

void ar_collection_info_free(ar_collection_info_t *c)
{
    if (!c) return;
    for (int i = 0; i < c->ncorruptions; i++) free(c->corruptions[i]);
    free(c->corruptions);
    memset(c, 0, sizeof *c);
}

int ar_collection_add_name(ar_collection_info_t *c, const char *name, int *cap)
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

int ar_collection_check_shape(ar_collection_info_t *out, int first, int64_t n, int h, int w, int c, int s,
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

int ar_collection_probe(const char *path)
{
    ar_ds_sniff_t s;
    if (ar_ds_sniff(path, &s, NULL)) return 0;
    const ar_ds_reader_t *r = ar_ds_match(&s);
    return r && r->is_collection && r->is_collection(&s);
}

int ar_collection_describe(const char *path, ar_collection_info_t *out, ar_err_t *err)
{
    memset(out, 0, sizeof *out);
    ar_ds_sniff_t s;
    int st = ar_ds_sniff(path, &s, err);
    if (st) return st;
    const ar_ds_reader_t *r = ar_ds_match(&s);
    if (!r || !r->describe) return ar_ds_unmatched(&s, 1, err);
    st = r->describe(path, out, err);
    if (st) ar_collection_info_free(out);
    return st;
}
