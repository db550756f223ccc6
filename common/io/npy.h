/* npy.h - NumPy .npy files (format v1.0, v2.0, v3.0): header parse, row reads,
 * writing.
 *
 * Readers parse the header per the spec (magic, version, header length,
 * 'descr', 'fortran_order', 'shape'), never assume the data offset, and check
 * that the file holds every byte the header promises. Only C-order arrays of
 * the dtypes below are accepted; anything else is an AR_E_FORMAT error naming
 * the file.
 */
#ifndef AR_IO_NPY_H
#define AR_IO_NPY_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

#define AR_NPY_MAXDIM 8

typedef enum { AR_NPY_U8, AR_NPY_I32, AR_NPY_I64, AR_NPY_F32, AR_NPY_F64 } ar_npy_dtype_t;

typedef struct ar_npy {
    FILE *f;                        /* open file, positioned anywhere */
    char *path;                     /* owned copy, for messages */
    ar_npy_dtype_t dtype;
    int ndim;
    int64_t shape[AR_NPY_MAXDIM];
    int64_t data_offset;            /* byte offset of element 0 */
    int64_t row_bytes;              /* bytes per index of dim 0 */
} ar_npy_t;

/* Opens and validates a .npy file. NULL with err set on failure. Accepted
 * dtypes: '|u1' '<i4' '<i8' '<f4' '<f8' (also '|i1', '<u2' ... for labels are
 * reported as unsupported unless listed). */
ar_npy_t *ar_npy_open(const char *path, ar_err_t *err);
void ar_npy_close(ar_npy_t **npy);

/* Reads rows [row0, row0+nrows) of dim 0 as raw bytes into buf. */
int ar_npy_read_rows(ar_npy_t *npy, int64_t row0, int64_t nrows, void *buf, ar_err_t *err);

/* Writes an array atomically (temporary name + rename), v1.0 header unless
 * the header needs v2.0. */
int ar_npy_write(const char *path, ar_npy_dtype_t dtype, int ndim, const int64_t *shape,
                 const void *data, ar_err_t *err);

/* Streaming writer for arrays too large to hold: create with the full shape,
 * append rows in order, then commit (renames into place) or abort. */
typedef struct ar_npy_writer ar_npy_writer_t;
ar_npy_writer_t *ar_npy_writer_new(const char *path, ar_npy_dtype_t dtype, int ndim,
                                   const int64_t *shape, ar_err_t *err);
int ar_npy_writer_append(ar_npy_writer_t *w, const void *rows, int64_t nrows, ar_err_t *err);
/* Fails if fewer rows than shape[0] were appended. Destroys *w either way. */
int ar_npy_writer_commit(ar_npy_writer_t **w, ar_err_t *err);
/* Removes the temporary file; safe on NULL. */
void ar_npy_writer_abort(ar_npy_writer_t **w);

#endif
