/* dataset_open.c - ar_dataset_open: detects the format from the path and
 * its contents and hands over to the adapter (ds_*.c). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/str.h"
#include "data/dataset_impl.h"

static int exists(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return ar_file_size(p) >= 0;
}

/* A corrupted set asked of a format that holds only clean images. */
static ar_dataset_t *not_collection(const ar_data_source_t *src, const char *format, ar_err_t *err)
{
    ar_err_set(err, AR_E_ARG, "%s: corruption '%s' asked for, but this is a %s dataset, not a corruption collection",
               src->path, src->corruption, format);
    return NULL;
}

static int wants_corruption(const ar_data_source_t *src)
{
    return src->corruption && strcmp(src->corruption, "clean") != 0;
}

static ar_dataset_t *open_dir(const ar_data_source_t *src, ar_err_t *err)
{
    const char *p = src->path;
    if (exists(p, "labels.npy")) return ar_ds_open_npy_dir(p, src->corruption, src->severity, err);
    if (wants_corruption(src)) {
        if (exists(p, "data_batch_1.bin") || exists(p, "test_batch.bin")) return not_collection(src, "CIFAR-10 binary", err);
        return not_collection(src, "directory", err);
    }
    if (exists(p, "data_batch_1.bin") || exists(p, "test_batch.bin")) return ar_ds_open_cifar_bin(p, src->split, err);
    static const char *const idx_names[] = {"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz",
                                            "t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"};
    for (size_t i = 0; i < sizeof idx_names / sizeof idx_names[0]; i++)
        if (exists(p, idx_names[i])) return ar_ds_open_idx(p, src->split, err);
    ar_err_set(err, AR_E_FORMAT,
               "%s: not a dataset directory (expected IDX files, CIFAR-10 .bin batches, or <corruption>.npy + labels.npy)", p);
    return NULL;
}

/* A single <corruption>.npy file: its directory is the collection. */
static ar_dataset_t *open_npy_file(const ar_data_source_t *src, ar_err_t *err)
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
    ar_str_copy(name, sizeof name, base);
    name[strlen(name) - 4] = '\0';
    if (strcmp(name, "labels") == 0) {
        ar_err_set(err, AR_E_ARG, "%s: labels.npy holds no images; open a <corruption>.npy or the directory", src->path);
        return NULL;
    }
    if (src->corruption && strcmp(src->corruption, name) != 0) {
        ar_err_set(err, AR_E_ARG, "%s: corruption '%s' asked for, but the file is '%s'", src->path, src->corruption, name);
        return NULL;
    }
    if (!exists(dir, "labels.npy")) {
        ar_err_set(err, AR_E_IO, "%s: no labels.npy beside it", src->path);
        return NULL;
    }
    return ar_ds_open_npy_dir(dir, name, src->severity, err);
}

ar_dataset_t *ar_dataset_open(const ar_data_source_t *src, ar_err_t *err)
{
    const char *p = src->path;
    if (!p || !*p) {
        ar_err_set(err, AR_E_ARG, "dataset: no path given");
        return NULL;
    }
    if (ar_is_dir(p)) return open_dir(src, err);
    FILE *f = fopen(p, "rb");
    if (!f) {
        ar_err_set(err, AR_E_IO, "%s: cannot open: %s", p, strerror(errno));
        return NULL;
    }
    unsigned char m[8] = {0};
    size_t got = fread(m, 1, sizeof m, f);
    fclose(f);
    if (got >= 8 && memcmp(m, "\x89HDF\r\n\x1a\n", 8) == 0) return ar_ds_open_h5(p, src->corruption, src->severity, err);
    if (got >= 6 && memcmp(m, "\x93NUMPY", 6) == 0) return open_npy_file(src, err);
    if ((got >= 2 && m[0] == 0x1f && m[1] == 0x8b) || (got >= 4 && m[0] == 0 && m[1] == 0 && m[2] == 0x08))
        return wants_corruption(src) ? not_collection(src, "IDX", err) : ar_ds_open_idx(p, NULL, err);
    if (ar_str_ends_with(p, ".bin"))
        return wants_corruption(src) ? not_collection(src, "CIFAR-10 binary", err) : ar_ds_open_cifar_bin(p, NULL, err);
    if (ar_str_ends_with(p, ".h5") || ar_str_ends_with(p, ".hdf5")) return ar_ds_open_h5(p, src->corruption, src->severity, err);
    if (ar_str_ends_with(p, ".npy")) return open_npy_file(src, err);
    ar_err_set(err, AR_E_FORMAT, "%s: unrecognised dataset format (%s)", p,
               got == 0 ? "empty file" : "not HDF5, .npy, IDX or CIFAR-10 .bin");
    return NULL;
}
