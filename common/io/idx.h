/* idx.h - MNIST-style IDX files (unsigned byte data), plain or gzipped.
 *
 * An IDX file is a 4-byte magic (0, 0, type 0x08, ndim) followed by ndim
 * big-endian uint32 dims and the data. The files are small (47 MB for
 * Fashion-MNIST train), so a load decompresses the whole file into memory
 * once. Every byte the header promises must be present; a gzip stream cut
 * short, a wrong magic or an absurd dimension is an AR_E_FORMAT error naming
 * the file.
 */
#ifndef AR_IO_IDX_H
#define AR_IO_IDX_H

#include <stdint.h>

#include "core/error.h"

#define AR_IDX_MAXDIM 4

typedef struct ar_idx {
    int ndim;                       /* 1 (labels) .. 4 */
    int64_t dims[AR_IDX_MAXDIM];    /* dims[0] = number of items */
    uint8_t *data;                  /* owned, prod(dims) bytes, row-major */
    int64_t nbytes;                 /* prod(dims) */
} ar_idx_t;

/* Loads path (gzip or plain, detected from the content) into out. On failure
 * out is left zeroed and err names the file and the problem. */
int ar_idx_load(const char *path, ar_idx_t *out, ar_err_t *err);
/* Frees out->data and zeroes out; safe twice. */
void ar_idx_free(ar_idx_t *idx);

/* Writes an unsigned-byte IDX file atomically; gzipped when gzip != 0. */
int ar_idx_write(const char *path, int ndim, const int64_t *dims, const uint8_t *data, int gzip,
                 ar_err_t *err);

#endif
