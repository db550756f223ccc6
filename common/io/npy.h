/* npy.h - NumPy .npy files (format v1.0, v2.0, v3.0): header parse, row reads,
 * writing.
 *
 * Readers parse the header per the spec (magic, version, header length,
 * 'descr', 'fortran_order', 'shape'), never assume the data offset, and check
 * that the file holds every byte the header promises. Only C-order arrays of
 * the dtypes below are accepted; anything else is an AR_E_FORMAT error naming
 * the file. Reads seek to the rows asked for: a 5 GB CIFAR-10-C file is never
 * loaded whole.
 */
#ifndef AR_IO_NPY_H
#define AR_IO_NPY_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

#define AR_NPY_MAXDIM 8

/* Element types; integers of any width and either byte order are read
 * (ar_npy_read_ints converts them), writing uses little endian. */
typedef enum {
    AR_NPY_U8,
    AR_NPY_I32,
    AR_NPY_I64,
    AR_NPY_F32,
    AR_NPY_F64,
    AR_NPY_I8,
    AR_NPY_I16,
    AR_NPY_U16,
    AR_NPY_U32,
    AR_NPY_U64,
    AR_NPY_DTYPE_COUNT
} ar_npy_dtype_t;

typedef struct ar_npy {
    FILE *f;                        /* open file, positioned anywhere */
    char *path;                     /* owned copy, for messages */
    ar_npy_dtype_t dtype;
    int big_endian;                 /* 1 when descr starts with '>' (multi-byte types) */
    int ndim;                       /* 0 for a scalar */
    int64_t shape[AR_NPY_MAXDIM];
    int64_t data_offset;            /* byte offset of element 0 */
    int64_t row_bytes;              /* bytes per index of dim 0 */
    int version;                    /* major version: 1, 2 or 3 */
} ar_npy_t;

/* Bytes per element of a dtype. */
size_t ar_npy_dtype_size(ar_npy_dtype_t t);
/* The numpy descr written for a dtype ("|u1", "<i8", ...). */
const char *ar_npy_dtype_descr(ar_npy_dtype_t t);
/* 1 for the integer dtypes. */
int ar_npy_dtype_is_int(ar_npy_dtype_t t);

/* Opens and validates a .npy file. NULL with err set on failure (missing
 * file, bad magic, unknown version, malformed header, fortran_order True,
 * unsupported dtype, absurd shape, fewer bytes than the header promises). */
ar_npy_t *ar_npy_open(const char *path, ar_err_t *err);
/* Closes and frees; nulls *npy; safe on NULL. */
void ar_npy_close(ar_npy_t **npy);

/* Reads rows [row0, row0+nrows) of dim 0 as raw bytes (file byte order)
 * into buf (nrows * row_bytes bytes). A range outside the array is AR_E_ARG;
 * a short read AR_E_IO. */
int ar_npy_read_rows(ar_npy_t *npy, int64_t row0, int64_t nrows, void *buf, ar_err_t *err);

/* Reads rows [row0, row0+nrows) of an integer array as int64 (any integer
 * dtype, either byte order); out holds nrows * row_bytes / itemsize values.
 * A non-integer array is AR_E_FORMAT. */
int ar_npy_read_ints(ar_npy_t *npy, int64_t row0, int64_t nrows, int64_t *out, ar_err_t *err);

/* Writes an array atomically (temporary name + rename), v1.0 header unless
 * the header needs v2.0. ndim 1..AR_NPY_MAXDIM. */
int ar_npy_write(const char *path, ar_npy_dtype_t dtype, int ndim, const int64_t *shape,
                 const void *data, ar_err_t *err);

/* Streaming writer for arrays too large to hold: create with the full shape,
 * append rows in order, then commit (renames into place) or abort. Nothing
 * appears under path before a successful commit. */
typedef struct ar_npy_writer ar_npy_writer_t;
ar_npy_writer_t *ar_npy_writer_new(const char *path, ar_npy_dtype_t dtype, int ndim,
                                   const int64_t *shape, ar_err_t *err);
/* The same with the header version chosen: 1, 2 or 3 (0 = v1.0 unless the
 * header needs v2.0). v1.0 cannot hold a header over 65535 bytes (AR_E_ARG). */
ar_npy_writer_t *ar_npy_writer_new_version(const char *path, ar_npy_dtype_t dtype, int ndim,
                                           const int64_t *shape, int version, ar_err_t *err);
/* Appends nrows rows; more rows than shape[0] in total is AR_E_ARG. */
int ar_npy_writer_append(ar_npy_writer_t *w, const void *rows, int64_t nrows, ar_err_t *err);
/* Fails if fewer rows than shape[0] were appended. Destroys *w either way. */
int ar_npy_writer_commit(ar_npy_writer_t **w, ar_err_t *err);
/* Removes the temporary file; safe on NULL. */
void ar_npy_writer_abort(ar_npy_writer_t **w);

#endif
