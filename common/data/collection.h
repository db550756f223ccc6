/* collection.h - corruption collections: what a collection holds.
 *
 * Two layouts (docs/formats.md "Dataset files"): an HDF5 file with /labels [N] and one group
 * per corruption, /<corruption>/images uint8 [S, N, H, W, C] (severities
 * 1..S), optionally the clean /images [N, H, W, C]; and a CIFAR-10-C style
 * directory of <corruption>.npy uint8 [5N, H, W, C] + labels.npy ([5N] or
 * [N]), where severity s is rows N(s-1) .. Ns-1. Each layout is a reader of
 * the dataset reader table (readers.h: ds_h5.c, ds_npy.c) with is_collection
 * and describe; the functions below find the reader the same way
 * ar_dataset_open does. One set of a collection opens with ar_dataset_open
 * (source.corruption, source.severity).
 */
#ifndef AR_DATA_COLLECTION_H
#define AR_DATA_COLLECTION_H

#include <stdint.h>

#include "core/error.h"

/* Severities in a CIFAR-10-C style .npy directory. */
#define AR_NPY_DIR_SEVERITIES 5

typedef struct ar_collection_info {
    char format[32];        /* "npy-dir" or "hdf5-collection" */
    int64_t count;          /* images per (corruption, severity) */
    int height, width, channels;
    int severities;         /* S: severities 1..S */
    int has_clean;          /* 1 when the clean images are in the collection (HDF5 /images) */
    int ncorruptions;
    char **corruptions;     /* ncorruptions names, sorted; owned */
} ar_collection_info_t;

/* 1 when path is a collection (a directory holding labels.npy, or an HDF5
 * file - by signature or .h5/.hdf5 name - with at least one /<name>/images
 * group), else 0. Never fails. */
int ar_collection_probe(const char *path);

/* Describes the collection at path; every corruption set is checked to have
 * the same image shape and count. On failure *out is zeroed and err names
 * the file (AR_E_FORMAT, saying what was looked for, when no collection
 * reader takes the path). Free with ar_collection_info_free. */
int ar_collection_describe(const char *path, ar_collection_info_t *out, ar_err_t *err);
void ar_collection_info_free(ar_collection_info_t *c);

/* 1 if name is usable as a corruption name (non-empty, no '/', not "." or
 * "..", at most 63 bytes). */
int ar_corruption_name_ok(const char *name);

#endif
