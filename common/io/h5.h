/* h5.h - the project's only door to HDF5 (no other file includes hdf5.h).
 *
 * A small API over files, groups, datasets and attributes, enough for the
 * model, dataset, corruption-collection and result layouts of
 * docs/formats.md and docs/results.md.
 * Reads convert to the requested memory type (so int64 labels or float64
 * attributes written by h5py load as int32 / float), strings may be fixed or
 * variable length. Files created for writing live under a temporary name
 * until ar_h5_commit() renames them into place.
 *
 * Every function returns AR_OK or a status with a message on err naming the
 * file and the object ("model.h5:/graph/0003: attribute 'kernel' missing").
 */
#ifndef AR_IO_H5_H
#define AR_IO_H5_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef enum { AR_DT_U8, AR_DT_I32, AR_DT_I64, AR_DT_F32, AR_DT_F64, AR_DT_I8, AR_DT_COUNT } ar_dtype_t;

#define AR_H5_MAXDIM 8

typedef struct ar_h5 ar_h5_t;

/* Opens an existing file read-only. NULL with err set on failure. */
ar_h5_t *ar_h5_open(const char *path, ar_err_t *err);
/* Creates path's temporary sibling for writing; nothing appears under path
 * until ar_h5_commit. NULL with err set on failure. */
ar_h5_t *ar_h5_create(const char *path, ar_err_t *err);
/* Flushes, closes and renames a created file into place; destroys *h. */
int ar_h5_commit(ar_h5_t **h, ar_err_t *err);
/* Closes; a created file that was not committed is removed. Safe on NULL. */
void ar_h5_destroy(ar_h5_t **h);
/* The path given at open/create (the final name). */
const char *ar_h5_path(const ar_h5_t *h);

/* 1 if the object (group or dataset) at path exists, else 0. */
int ar_h5_exists(ar_h5_t *h, const char *path);
/* 1 if path is a group, 0 otherwise. */
int ar_h5_is_group(ar_h5_t *h, const char *path);
/* Creates a group and any missing parents. */
int ar_h5_group(ar_h5_t *h, const char *path, ar_err_t *err);
/* Names of a group's children, sorted by name; *names is a malloc'd array of
 * malloc'd strings, freed with ar_h5_free_strings. */
int ar_h5_list(ar_h5_t *h, const char *group, char ***names, int *n, ar_err_t *err);
void ar_h5_free_strings(char **s, int n);

/* Rank, dims and element class of a dataset. is_int: 1 integer, 0 float,
 * -1 other (string, compound...). elem_size in bytes. */
int ar_h5_shape(ar_h5_t *h, const char *path, int *ndim, int64_t *dims, int *is_int,
                size_t *elem_size, ar_err_t *err);
/* Most a dataset's declared bytes may exceed its stored bytes (deflate's
 * own limit is about 1032:1). */
#define AR_H5_MAX_RATIO 1100
/* Checks, before a whole dataset is read into memory, that the file stores
 * its data: a shape declared with nothing written (HDF5 fill values: a 2 KB
 * file can declare terabytes) or more than AR_H5_MAX_RATIO times its stored
 * bytes is AR_E_FORMAT naming the file and dataset. */
int ar_h5_check_stored(ar_h5_t *h, const char *path, ar_err_t *err);
/* Reads a whole dataset converted to type; n must equal its element count. */
int ar_h5_read(ar_h5_t *h, const char *path, ar_dtype_t type, void *buf, int64_t n, ar_err_t *err);
/* Reads the hyperslab start[i]..start[i]+count[i] (all ndim dims). */
int ar_h5_read_slab(ar_h5_t *h, const char *path, ar_dtype_t type, const int64_t *start,
                    const int64_t *count, void *buf, ar_err_t *err);

/* Writes a whole dataset (parents created). chunk0 > 0 chunks along dim 0
 * with that many rows and deflate level 4; 0 writes contiguous. */
int ar_h5_write(ar_h5_t *h, const char *path, ar_dtype_t type, int ndim, const int64_t *dims,
                const void *buf, int64_t chunk0, ar_err_t *err);
/* Creates an empty dataset to fill piecewise with ar_h5_write_slab. */
int ar_h5_create_dataset(ar_h5_t *h, const char *path, ar_dtype_t type, int ndim,
                         const int64_t *dims, int64_t chunk0, ar_err_t *err);
int ar_h5_write_slab(ar_h5_t *h, const char *path, ar_dtype_t type, const int64_t *start,
                     const int64_t *count, const void *buf, ar_err_t *err);

/* An open dataset, for many small reads (a dataset's shuffled batches):
 * opening once keeps HDF5's chunk cache (sized cache_bytes, 0 = 64 MiB)
 * alive between reads, so a compressed chunk is not inflated once per image.
 * Valid while its file is open; close before ar_h5_destroy. */
typedef struct ar_h5_dset ar_h5_dset_t;
ar_h5_dset_t *ar_h5_dset_open(ar_h5_t *h, const char *path, size_t cache_bytes, ar_err_t *err);
/* The same hyperslab read as ar_h5_read_slab. */
int ar_h5_dset_read_slab(ar_h5_dset_t *d, ar_dtype_t type, const int64_t *start, const int64_t *count,
                         void *buf, ar_err_t *err);
/* Closes; nulls *d; safe on NULL. */
void ar_h5_dset_close(ar_h5_dset_t **d);

/* Most strings a string dataset or string-list attribute may hold when
 * read: a larger count from a damaged or hostile file is refused before
 * anything is allocated. */
#define AR_H5_MAX_STRINGS 65536

/* String datasets (1-D, variable-length UTF-8 when written; any when read). */
int ar_h5_write_strings(ar_h5_t *h, const char *path, const char *const *s, int n, ar_err_t *err);
int ar_h5_read_strings(ar_h5_t *h, const char *path, char ***s, int *n, ar_err_t *err);

/* Attributes on the object at obj ("/" for the root). */
int ar_h5_attr_exists(ar_h5_t *h, const char *obj, const char *name);
/* n values of type; n == 1 with scalar != 0 writes a scalar attribute. */
int ar_h5_attr_write(ar_h5_t *h, const char *obj, const char *name, ar_dtype_t type, int n,
                     const void *vals, int scalar, ar_err_t *err);
/* Reads a numeric attribute (scalar or 1-D) converted to type. The element
 * count must equal n_expected, unless n_expected < 0: then up to -n_expected
 * values are read and *n_got (if non-NULL) tells how many. */
int ar_h5_attr_read(ar_h5_t *h, const char *obj, const char *name, ar_dtype_t type,
                    void *vals, int n_expected, int *n_got, ar_err_t *err);
int ar_h5_attr_write_str(ar_h5_t *h, const char *obj, const char *name, const char *v,
                         ar_err_t *err);
/* Reads a scalar string attribute (fixed or variable length, or a 1-element
 * array; any other count is refused before it is read); *v is malloc'd. */
int ar_h5_attr_read_str(ar_h5_t *h, const char *obj, const char *name, char **v, ar_err_t *err);
/* String-list attributes (e.g. a dataset's class names). */
int ar_h5_attr_write_strs(ar_h5_t *h, const char *obj, const char *name, const char *const *s,
                          int n, ar_err_t *err);
int ar_h5_attr_read_strs(ar_h5_t *h, const char *obj, const char *name, char ***s, int *n,
                         ar_err_t *err);

#endif
