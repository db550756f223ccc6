/* h5.c - HDF5 implementation of h5.h (the only file that includes hdf5.h). */
#define _POSIX_C_SOURCE 200809L
#include "h5.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"

struct ar_h5 {
    hid_t file;         /* open file id */
    char *path;         /* final path */
    char *tmp;          /* temporary path while writing; NULL when read-only */
};

static hid_t mem_type(ar_dtype_t t)
{
    switch (t) {
    case AR_DT_U8: return H5T_NATIVE_UINT8;
    case AR_DT_I32: return H5T_NATIVE_INT32;
    case AR_DT_I64: return H5T_NATIVE_INT64;
    case AR_DT_F32: return H5T_NATIVE_FLOAT;
    case AR_DT_F64: return H5T_NATIVE_DOUBLE;
    case AR_DT_I8: return H5T_NATIVE_INT8;
    default: return H5I_INVALID_HID;
    }
}

static hid_t file_type(ar_dtype_t t)
{
    switch (t) {
    case AR_DT_U8: return H5T_STD_U8LE;
    case AR_DT_I32: return H5T_STD_I32LE;
    case AR_DT_I64: return H5T_STD_I64LE;
    case AR_DT_F32: return H5T_IEEE_F32LE;
    case AR_DT_F64: return H5T_IEEE_F64LE;
    case AR_DT_I8: return H5T_STD_I8LE;
    default: return H5I_INVALID_HID;
    }
}

static void quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

ar_h5_t *ar_h5_open(const char *path, ar_err_t *err)
{
    quiet();
    if (access(path, R_OK) != 0) {
        ar_err_set(err, AR_E_IO, "%s: cannot open: no such readable file", path);
        return NULL;
    }
    if (H5Fis_hdf5(path) <= 0) {
        ar_err_set(err, AR_E_FORMAT, "%s: not an HDF5 file (bad signature or damaged)", path);
        return NULL;
    }
    ar_h5_t *h = calloc(1, sizeof *h);
    if (!h) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    h->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    h->path = dupstr(path);
    if (h->file < 0 || !h->path) {
        ar_err_set(err, AR_E_HDF5, "%s: damaged HDF5 file (cannot open)", path);
        if (h->file >= 0) H5Fclose(h->file);
        free(h->path);
        free(h);
        return NULL;
    }
    return h;
}

ar_h5_t *ar_h5_create(const char *path, ar_err_t *err)
{
    quiet();
    char tmp[4096];
    if (ar_tmp_path(path, tmp, sizeof tmp) != 0) {
        ar_err_set(err, AR_E_IO, "%s: path too long", path);
        return NULL;
    }
    ar_h5_t *h = calloc(1, sizeof *h);
    if (!h) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    h->path = dupstr(path);
    h->tmp = dupstr(tmp);
    h->file = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT); /* never an existing file */
    if (h->file < 0 || !h->path || !h->tmp) {
        ar_err_set(err, AR_E_IO, "%s: cannot create temporary file %s", path, tmp);
        if (h->file >= 0) H5Fclose(h->file);
        free(h->path);
        free(h->tmp);
        free(h);
        return NULL;
    }
    return h;
}

int ar_h5_commit(ar_h5_t **hp, ar_err_t *err)
{
    ar_h5_t *h = *hp;
    *hp = NULL;
    int st = AR_OK;
    if (H5Fclose(h->file) < 0) {
        st = ar_err_set(err, AR_E_HDF5, "%s: closing the file failed", h->path);
        unlink(h->tmp);
    } else {
        st = ar_commit_file(h->tmp, h->path, err);
    }
    free(h->path);
    free(h->tmp);
    free(h);
    return st;
}

void ar_h5_destroy(ar_h5_t **hp)
{
    if (!hp || !*hp) return;
    ar_h5_t *h = *hp;
    *hp = NULL;
    H5Fclose(h->file);
    if (h->tmp) unlink(h->tmp);
    free(h->path);
    free(h->tmp);
    free(h);
}

const char *ar_h5_path(const ar_h5_t *h) { return h->path; }

int ar_h5_exists(ar_h5_t *h, const char *path)
{
    if (strcmp(path, "/") == 0) return 1;
    /* check each prefix so a missing parent is not an error */
    char buf[1024];
    size_t n = strlen(path);
    if (n >= sizeof buf) return 0;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            htri_t ok = H5Lexists(h->file, buf, H5P_DEFAULT);
            buf[i] = c;
            if (ok <= 0) return 0;
        }
    }
    return H5Oexists_by_name(h->file, path, H5P_DEFAULT) > 0;
}

int ar_h5_is_group(ar_h5_t *h, const char *path)
{
    if (!ar_h5_exists(h, path)) return 0;
    H5O_info_t info;
    if (H5Oget_info_by_name(h->file, path, &info, H5P_DEFAULT) < 0) return 0;
    return info.type == H5O_TYPE_GROUP;
}

int ar_h5_group(ar_h5_t *h, const char *path, ar_err_t *err)
{
    if (ar_h5_exists(h, path)) return AR_OK;
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t g = H5Gcreate2(h->file, path, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
    if (g < 0) return ar_err_set(err, AR_E_HDF5, "%s:%s: cannot create group", h->path, path);
    H5Gclose(g);
    return AR_OK;
}

typedef struct {
    char **names;
    int n, cap;
} name_list_t;

static herr_t collect_name(hid_t g, const char *name, const H5L_info_t *info, void *op)
{
    (void)g;
    (void)info;
    name_list_t *l = op;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        char **nn = realloc(l->names, (size_t)cap * sizeof *nn);
        if (!nn) return -1;
        l->names = nn;
        l->cap = cap;
    }
    l->names[l->n] = dupstr(name);
    if (!l->names[l->n]) return -1;
    l->n++;
    return 0;
}

void ar_h5_free_strings(char **s, int n)
{
    if (!s) return;
    for (int i = 0; i < n; i++) free(s[i]);
    free(s);
}

int ar_h5_list(ar_h5_t *h, const char *group, char ***names, int *n, ar_err_t *err)
{
    *names = NULL;
    *n = 0;
    if (!ar_h5_is_group(h, group))
        return ar_err_set(err, AR_E_FORMAT, "%s:%s: group missing", h->path, group);
    hid_t g = H5Gopen2(h->file, group, H5P_DEFAULT);
    if (g < 0) return ar_err_set(err, AR_E_HDF5, "%s:%s: cannot open group", h->path, group);
    name_list_t l = {0};
    herr_t r = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_name, &l);
    H5Gclose(g);
    if (r < 0) {
        ar_h5_free_strings(l.names, l.n);
        return ar_err_set(err, AR_E_HDF5, "%s:%s: cannot list group", h->path, group);
    }
    *names = l.names;
    *n = l.n;
    return AR_OK;
}

static hid_t open_dataset(ar_h5_t *h, const char *path, ar_err_t *err)
{
    if (!ar_h5_exists(h, path)) {
        ar_err_set(err, AR_E_FORMAT, "%s:%s: dataset missing", h->path, path);
        return -1;
    }
    hid_t d = H5Dopen2(h->file, path, H5P_DEFAULT);
    if (d < 0) ar_err_set(err, AR_E_FORMAT, "%s:%s: not a dataset", h->path, path);
    return d;
}

int ar_h5_shape(ar_h5_t *h, const char *path, int *ndim, int64_t *dims, int *is_int,
                size_t *elem_size, ar_err_t *err)
{
    hid_t d = open_dataset(h, path, err);
    if (d < 0) return err ? err->status : AR_E_FORMAT;
    hid_t s = H5Dget_space(d), t = H5Dget_type(d);
    int nd = H5Sget_simple_extent_ndims(s);
    int st = AR_OK;
    if (nd < 0 || nd > AR_H5_MAXDIM) {
        st = ar_err_set(err, AR_E_FORMAT, "%s:%s: unsupported rank %d", h->path, path, nd);
    } else {
        hsize_t hd[AR_H5_MAXDIM];
        H5Sget_simple_extent_dims(s, hd, NULL);
        *ndim = nd;
        for (int i = 0; i < nd; i++) dims[i] = (int64_t)hd[i];
        H5T_class_t c = H5Tget_class(t);
        if (is_int) *is_int = c == H5T_INTEGER ? 1 : c == H5T_FLOAT ? 0 : -1;
        if (elem_size) *elem_size = H5Tget_size(t);
    }
    H5Tclose(t);
    H5Sclose(s);
    H5Dclose(d);
    return st;
}

int ar_h5_check_stored(ar_h5_t *h, const char *path, ar_err_t *err)
{
    hid_t d = open_dataset(h, path, err);
    if (d < 0) return err ? err->status : AR_E_FORMAT;
    hid_t s = H5Dget_space(d), t = H5Dget_type(d);
    hssize_t np = H5Sget_simple_extent_npoints(s);
    size_t es = H5Tget_size(t);
    uint64_t stored = H5Dget_storage_size(d);
    H5Tclose(t);
    H5Sclose(s);
    H5Dclose(d);
    /* in 64 bits: np < 2^63 and es is a type size, so compare by division */
    if (np < 0 || (np > 0 && (es == 0 || (uint64_t)np > (stored * AR_H5_MAX_RATIO) / es)))
        return ar_err_set(err, AR_E_FORMAT,
                          "%s:%s: declares %lld values of %zu bytes but the file stores %llu bytes of them "
                          "(damaged or hostile file)",
                          h->path, path, (long long)np, es, (unsigned long long)stored);
    return AR_OK;
}

static int check_numeric(ar_h5_t *h, const char *path, hid_t d, ar_err_t *err)
{
    hid_t t = H5Dget_type(d);
    H5T_class_t c = H5Tget_class(t);
    H5Tclose(t);
    if (c != H5T_INTEGER && c != H5T_FLOAT)
        return ar_err_set(err, AR_E_FORMAT, "%s:%s: not a numeric dataset", h->path, path);
    return AR_OK;
}

int ar_h5_read(ar_h5_t *h, const char *path, ar_dtype_t type, void *buf, int64_t n, ar_err_t *err)
{
    hid_t d = open_dataset(h, path, err);
    if (d < 0) return err ? err->status : AR_E_FORMAT;
    int st = check_numeric(h, path, d, err);
    if (st == AR_OK) {
        hid_t s = H5Dget_space(d);
        hssize_t np = H5Sget_simple_extent_npoints(s);
        H5Sclose(s);
        if (np != n)
            st = ar_err_set(err, AR_E_FORMAT, "%s:%s: holds %lld values, expected %lld", h->path,
                            path, (long long)np, (long long)n);
        else if (H5Dread(d, mem_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            st = ar_err_set(err, AR_E_HDF5, "%s:%s: read failed (damaged file?)", h->path, path);
    }
    H5Dclose(d);
    return st;
}

static int slab_io(ar_h5_t *h, const char *path, ar_dtype_t type, const int64_t *start,
                   const int64_t *count, void *buf, int write, ar_err_t *err)
{
    hid_t d = open_dataset(h, path, err);
    if (d < 0) return err ? err->status : AR_E_FORMAT;
    hid_t fs = H5Dget_space(d);
    int nd = H5Sget_simple_extent_ndims(fs);
    hsize_t hd[AR_H5_MAXDIM], hs[AR_H5_MAXDIM], hc[AR_H5_MAXDIM];
    int st = AR_OK;
    if (nd <= 0 || nd > AR_H5_MAXDIM) {
        st = ar_err_set(err, AR_E_FORMAT, "%s:%s: unsupported rank %d", h->path, path, nd);
        goto done;
    }
    H5Sget_simple_extent_dims(fs, hd, NULL);
    for (int i = 0; i < nd; i++) {
        if (start[i] < 0 || count[i] < 0 || (hsize_t)(start[i] + count[i]) > hd[i]) {
            st = ar_err_set(err, AR_E_ARG, "%s:%s: range %lld+%lld outside dimension %d of size %llu",
                            h->path, path, (long long)start[i], (long long)count[i], i,
                            (unsigned long long)hd[i]);
            goto done;
        }
        hs[i] = (hsize_t)start[i];
        hc[i] = (hsize_t)count[i];
    }
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, hs, NULL, hc, NULL);
    hid_t ms = H5Screate_simple(nd, hc, NULL);
    herr_t r = write ? H5Dwrite(d, mem_type(type), ms, fs, H5P_DEFAULT, buf)
                     : H5Dread(d, mem_type(type), ms, fs, H5P_DEFAULT, buf);
    H5Sclose(ms);
    if (r < 0)
        st = ar_err_set(err, AR_E_HDF5, "%s:%s: %s failed (damaged file?)", h->path, path,
                        write ? "write" : "read");
done:
    H5Sclose(fs);
    H5Dclose(d);
    return st;
}

int ar_h5_read_slab(ar_h5_t *h, const char *path, ar_dtype_t type, const int64_t *start,
                    const int64_t *count, void *buf, ar_err_t *err)
{
    return slab_io(h, path, type, start, count, buf, 0, err);
}

int ar_h5_write_slab(ar_h5_t *h, const char *path, ar_dtype_t type, const int64_t *start,
                     const int64_t *count, const void *buf, ar_err_t *err)
{
    return slab_io(h, path, type, start, count, (void *)buf, 1, err);
}

struct ar_h5_dset {
    ar_h5_t *h;
    hid_t id, space;    /* dataset and its file dataspace */
    int ndim;
    hsize_t dims[AR_H5_MAXDIM];
    char *path;
};

ar_h5_dset_t *ar_h5_dset_open(ar_h5_t *h, const char *path, size_t cache_bytes, ar_err_t *err)
{
    if (!ar_h5_exists(h, path)) {
        ar_err_set(err, AR_E_FORMAT, "%s:%s: dataset missing", h->path, path);
        return NULL;
    }
    ar_h5_dset_t *d = calloc(1, sizeof *d);
    if (!d || !(d->path = dupstr(path))) {
        free(d);
        ar_err_set(err, AR_E_NOMEM, "%s:%s: out of memory", h->path, path);
        return NULL;
    }
    d->h = h;
    d->space = -1;
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5Pset_chunk_cache(dapl, 10007, cache_bytes ? cache_bytes : (size_t)64 << 20, 0.75);
    d->id = H5Dopen2(h->file, path, dapl);
    H5Pclose(dapl);
    if (d->id >= 0) d->space = H5Dget_space(d->id);
    d->ndim = d->space >= 0 ? H5Sget_simple_extent_ndims(d->space) : -1;
    if (d->id < 0 || d->ndim <= 0 || d->ndim > AR_H5_MAXDIM || check_numeric(h, path, d->id, err) != AR_OK) {
        if (!err || err->status == AR_OK)
            ar_err_set(err, AR_E_FORMAT, "%s:%s: not a readable numeric dataset", h->path, path);
        ar_h5_dset_close(&d);
        return NULL;
    }
    H5Sget_simple_extent_dims(d->space, d->dims, NULL);
    return d;
}

int ar_h5_dset_read_slab(ar_h5_dset_t *d, ar_dtype_t type, const int64_t *start, const int64_t *count,
                         void *buf, ar_err_t *err)
{
    hsize_t hs[AR_H5_MAXDIM], hc[AR_H5_MAXDIM];
    for (int i = 0; i < d->ndim; i++) {
        if (start[i] < 0 || count[i] < 0 || (hsize_t)(start[i] + count[i]) > d->dims[i])
            return ar_err_set(err, AR_E_ARG, "%s:%s: range %lld+%lld outside dimension %d of size %llu", d->h->path,
                              d->path, (long long)start[i], (long long)count[i], i, (unsigned long long)d->dims[i]);
        hs[i] = (hsize_t)start[i];
        hc[i] = (hsize_t)count[i];
    }
    H5Sselect_hyperslab(d->space, H5S_SELECT_SET, hs, NULL, hc, NULL);
    hid_t ms = H5Screate_simple(d->ndim, hc, NULL);
    herr_t r = H5Dread(d->id, mem_type(type), ms, d->space, H5P_DEFAULT, buf);
    H5Sclose(ms);
    if (r < 0) return ar_err_set(err, AR_E_HDF5, "%s:%s: read failed (damaged file?)", d->h->path, d->path);
    return AR_OK;
}

void ar_h5_dset_close(ar_h5_dset_t **dp)
{
    if (!dp || !*dp) return;
    ar_h5_dset_t *d = *dp;
    if (d->space >= 0) H5Sclose(d->space);
    if (d->id >= 0) H5Dclose(d->id);
    free(d->path);
    free(d);
    *dp = NULL;
}

static int ensure_parent(ar_h5_t *h, const char *path, ar_err_t *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return AR_OK;
    char parent[1024];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof parent) return ar_err_set(err, AR_E_ARG, "%s: path too long", path);
    memcpy(parent, path, n);
    parent[n] = '\0';
    return ar_h5_group(h, parent, err);
}

int ar_h5_create_dataset(ar_h5_t *h, const char *path, ar_dtype_t type, int ndim,
                         const int64_t *dims, int64_t chunk0, ar_err_t *err)
{
    if (ndim < 1 || ndim > AR_H5_MAXDIM)
        return ar_err_set(err, AR_E_ARG, "%s:%s: unsupported rank %d", h->path, path, ndim);
    int st = ensure_parent(h, path, err);
    if (st) return st;
    hsize_t hd[AR_H5_MAXDIM], hc[AR_H5_MAXDIM];
    for (int i = 0; i < ndim; i++) hd[i] = hc[i] = (hsize_t)dims[i];
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (chunk0 > 0 && dims[0] > 0) {
        hc[0] = (hsize_t)(chunk0 < dims[0] ? chunk0 : dims[0]);
        int zero = 0;
        for (int i = 0; i < ndim; i++) zero |= hc[i] == 0;
        if (!zero) {
            H5Pset_chunk(dcpl, ndim, hc);
            H5Pset_deflate(dcpl, 4);
        }
    }
    hid_t s = H5Screate_simple(ndim, hd, NULL);
    hid_t d = H5Dcreate2(h->file, path, file_type(type), s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Sclose(s);
    H5Pclose(dcpl);
    if (d < 0) return ar_err_set(err, AR_E_HDF5, "%s:%s: cannot create dataset", h->path, path);
    H5Dclose(d);
    return AR_OK;
}

int ar_h5_write(ar_h5_t *h, const char *path, ar_dtype_t type, int ndim, const int64_t *dims,
                const void *buf, int64_t chunk0, ar_err_t *err)
{
    int st = ar_h5_create_dataset(h, path, type, ndim, dims, chunk0, err);
    if (st) return st;
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= dims[i];
    if (n == 0) return AR_OK;
    hid_t d = H5Dopen2(h->file, path, H5P_DEFAULT);
    herr_t r = H5Dwrite(d, mem_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Dclose(d);
    if (r < 0) return ar_err_set(err, AR_E_HDF5, "%s:%s: write failed", h->path, path);
    return AR_OK;
}

static hid_t vlen_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

/* Reads n strings of an attribute or dataset (obj_is_attr) into malloc'd
 * copies, whatever the stored string type. */
static int read_strings(hid_t id, int is_attr, int64_t n, char **out)
{
    hid_t ft = is_attr ? H5Aget_type(id) : H5Dget_type(id);
    if (H5Tget_class(ft) != H5T_STRING) {
        H5Tclose(ft);
        return -2;
    }
    int rc = 0;
    if (H5Tis_variable_str(ft) > 0) {
        hid_t mt = vlen_str_type();
        char **tmp = calloc((size_t)(n ? n : 1), sizeof *tmp);
        herr_t r = tmp ? (is_attr ? H5Aread(id, mt, tmp) : H5Dread(id, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp)) : -1;
        if (r < 0) rc = -1;
        for (int64_t i = 0; i < n && rc == 0; i++) {
            out[i] = dupstr(tmp[i] ? tmp[i] : "");
            if (!out[i]) rc = -1;
        }
        if (tmp && r >= 0) {
            hid_t sp = is_attr ? H5Aget_space(id) : H5Dget_space(id);
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, tmp);
            H5Sclose(sp);
        }
        free(tmp);
        H5Tclose(mt);
    } else {
        size_t sz = H5Tget_size(ft);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sz);
        H5Tset_strpad(mt, H5T_STR_NULLPAD);
        char *raw = calloc((size_t)(n ? n : 1), sz + 1);
        herr_t r = raw ? (is_attr ? H5Aread(id, mt, raw) : H5Dread(id, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw)) : -1;
        if (r < 0) rc = -1;
        for (int64_t i = 0; i < n && rc == 0; i++) {
            out[i] = calloc(sz + 1, 1);
            if (!out[i]) {
                rc = -1;
                break;
            }
            memcpy(out[i], raw + (size_t)i * sz, sz);
            for (size_t k = sz; k > 0 && out[i][k - 1] == ' '; k--) out[i][k - 1] = '\0';
        }
        free(raw);
        H5Tclose(mt);
    }
    H5Tclose(ft);
    return rc;
}

int ar_h5_write_strings(ar_h5_t *h, const char *path, const char *const *s, int n, ar_err_t *err)
{
    int st = ensure_parent(h, path, err);
    if (st) return st;
    hsize_t dim = (hsize_t)n;
    hid_t sp = H5Screate_simple(1, &dim, NULL), t = vlen_str_type();
    hid_t d = H5Dcreate2(h->file, path, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t r = d < 0 ? -1 : (n ? H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) : 0);
    if (d >= 0) H5Dclose(d);
    H5Tclose(t);
    H5Sclose(sp);
    if (r < 0) return ar_err_set(err, AR_E_HDF5, "%s:%s: cannot write strings", h->path, path);
    return AR_OK;
}

int ar_h5_read_strings(ar_h5_t *h, const char *path, char ***s, int *n, ar_err_t *err)
{
    *s = NULL;
    *n = 0;
    hid_t d = open_dataset(h, path, err);
    if (d < 0) return err ? err->status : AR_E_FORMAT;
    hid_t sp = H5Dget_space(d);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    if (np < 0 || np > AR_H5_MAX_STRINGS) {
        H5Dclose(d);
        return ar_err_set(err, AR_E_FORMAT, "%s:%s: holds %lld strings (at most %d read)", h->path, path,
                          (long long)np, AR_H5_MAX_STRINGS);
    }
    int st = AR_OK;
    char **out = calloc((size_t)(np > 0 ? np : 1), sizeof *out);
    int rc = out ? read_strings(d, 0, np, out) : -1;
    if (rc == -2) st = ar_err_set(err, AR_E_FORMAT, "%s:%s: not a string dataset", h->path, path);
    else if (rc) st = ar_err_set(err, AR_E_HDF5, "%s:%s: cannot read strings", h->path, path);
    H5Dclose(d);
    if (st) {
        ar_h5_free_strings(out, (int)np);
        return st;
    }
    *s = out;
    *n = (int)np;
    return AR_OK;
}

int ar_h5_attr_exists(ar_h5_t *h, const char *obj, const char *name)
{
    if (!ar_h5_exists(h, obj)) return 0;
    return H5Aexists_by_name(h->file, obj, name, H5P_DEFAULT) > 0;
}

static hid_t open_attr(ar_h5_t *h, const char *obj, const char *name, ar_err_t *err)
{
    if (!ar_h5_attr_exists(h, obj, name)) {
        ar_err_set(err, AR_E_FORMAT, "%s:%s: attribute '%s' missing", h->path, obj, name);
        return -1;
    }
    hid_t a = H5Aopen_by_name(h->file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) ar_err_set(err, AR_E_HDF5, "%s:%s: cannot open attribute '%s'", h->path, obj, name);
    return a;
}

static int replace_attr(ar_h5_t *h, const char *obj, const char *name, ar_err_t *err)
{
    if (!ar_h5_exists(h, obj))
        return ar_err_set(err, AR_E_ARG, "%s:%s: no such object for attribute '%s'", h->path, obj, name);
    if (H5Aexists_by_name(h->file, obj, name, H5P_DEFAULT) > 0)
        H5Adelete_by_name(h->file, obj, name, H5P_DEFAULT);
    return AR_OK;
}

static int write_attr(ar_h5_t *h, const char *obj, const char *name, hid_t ftype, hid_t mtype,
                      hid_t space, const void *vals, ar_err_t *err)
{
    int st = replace_attr(h, obj, name, err);
    if (st) return st;
    hid_t a = H5Acreate_by_name(h->file, obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t r = a < 0 ? -1 : H5Awrite(a, mtype, vals);
    if (a >= 0) H5Aclose(a);
    if (r < 0) return ar_err_set(err, AR_E_HDF5, "%s:%s: cannot write attribute '%s'", h->path, obj, name);
    return AR_OK;
}

int ar_h5_attr_write(ar_h5_t *h, const char *obj, const char *name, ar_dtype_t type, int n,
                     const void *vals, int scalar, ar_err_t *err)
{
    hsize_t dim = (hsize_t)n;
    hid_t sp = (scalar && n == 1) ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL);
    int st = write_attr(h, obj, name, file_type(type), mem_type(type), sp, vals, err);
    H5Sclose(sp);
    return st;
}

int ar_h5_attr_read(ar_h5_t *h, const char *obj, const char *name, ar_dtype_t type,
                    void *vals, int n_expected, int *n_got, ar_err_t *err)
{
    hid_t a = open_attr(h, obj, name, err);
    if (a < 0) return err ? err->status : AR_E_FORMAT;
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    H5T_class_t c = H5Tget_class(t);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    int st = AR_OK;
    if (c != H5T_INTEGER && c != H5T_FLOAT) {
        st = ar_err_set(err, AR_E_FORMAT, "%s:%s: attribute '%s' is not numeric", h->path, obj, name);
    } else if ((n_expected >= 0 && np != n_expected) || (n_expected < 0 && np > -n_expected)) {
        st = ar_err_set(err, AR_E_FORMAT, "%s:%s: attribute '%s' has %lld values, expected %s%d",
                        h->path, obj, name, (long long)np, n_expected < 0 ? "at most " : "",
                        n_expected < 0 ? -n_expected : n_expected);
    } else if (H5Aread(a, mem_type(type), vals) < 0) {
        st = ar_err_set(err, AR_E_FORMAT, "%s:%s: attribute '%s' cannot be read as a number (out of range?)",
                        h->path, obj, name);
    } else if (n_got) {
        *n_got = (int)np;
    }
    H5Sclose(sp);
    H5Tclose(t);
    H5Aclose(a);
    return st;
}

int ar_h5_attr_write_str(ar_h5_t *h, const char *obj, const char *name, const char *v, ar_err_t *err)
{
    hid_t t = vlen_str_type(), sp = H5Screate(H5S_SCALAR);
    int st = write_attr(h, obj, name, t, t, sp, &v, err);
    H5Sclose(sp);
    H5Tclose(t);
    return st;
}

/* The strings of an attribute holding at most max of them (the count is
 * checked before anything is allocated or read). */
static int attr_strings(ar_h5_t *h, const char *obj, const char *name, int max, char ***s, int *n,
                        ar_err_t *err)
{
    *s = NULL;
    *n = 0;
    hid_t a = open_attr(h, obj, name, err);
    if (a < 0) return err ? err->status : AR_E_FORMAT;
    hid_t sp = H5Aget_space(a);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    if (np < 0 || np > max) {
        H5Aclose(a);
        return ar_err_set(err, AR_E_FORMAT, "%s:%s: attribute '%s' holds %lld strings, expected %s%d", h->path, obj,
                          name, (long long)np, max > 1 ? "at most " : "", max);
    }
    char **out = calloc((size_t)(np > 0 ? np : 1), sizeof *out);
    int rc = out ? read_strings(a, 1, np, out) : -1;
    H5Aclose(a);
    if (rc) {
        ar_h5_free_strings(out, (int)np);
        return ar_err_set(err, AR_E_FORMAT, "%s:%s: attribute '%s' is not %s", h->path, obj, name,
                          rc == -2 ? "a string" : "readable");
    }
    *s = out;
    *n = (int)np;
    return AR_OK;
}

int ar_h5_attr_read_str(ar_h5_t *h, const char *obj, const char *name, char **v, ar_err_t *err)
{
    char **s;
    int n;
    *v = NULL;
    int st = attr_strings(h, obj, name, 1, &s, &n, err);
    if (st) return st;
    if (n != 1) {
        ar_h5_free_strings(s, n);
        return ar_err_set(err, AR_E_FORMAT, "%s:%s: attribute '%s' holds %d strings, expected one",
                          h->path, obj, name, n);
    }
    *v = s[0];
    free(s);
    return AR_OK;
}

int ar_h5_attr_write_strs(ar_h5_t *h, const char *obj, const char *name, const char *const *s,
                          int n, ar_err_t *err)
{
    hsize_t dim = (hsize_t)n;
    hid_t t = vlen_str_type(), sp = H5Screate_simple(1, &dim, NULL);
    int st = write_attr(h, obj, name, t, t, sp, s, err);
    H5Sclose(sp);
    H5Tclose(t);
    return st;
}

int ar_h5_attr_read_strs(ar_h5_t *h, const char *obj, const char *name, char ***s, int *n,
                         ar_err_t *err)
{
    return attr_strings(h, obj, name, AR_H5_MAX_STRINGS, s, n, err);
}
