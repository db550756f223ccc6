/* cifar_bin.h - CIFAR-10 binary batches (data_batch_N.bin, test_batch.bin).
 *
 * A batch file is a sequence of 3073-byte records: 1 label byte (0..9) then
 * 3072 pixel bytes, 1024 red, 1024 green, 1024 blue, each 32x32 row-major
 * (CHW planar). Several files open as one concatenated sequence. Reads seek
 * to the records asked for and convert them to NHWC.
 */
#ifndef AR_IO_CIFAR_BIN_H
#define AR_IO_CIFAR_BIN_H

#include <stdint.h>

#include "core/error.h"

#define AR_CIFAR_SIDE 32
#define AR_CIFAR_CHANNELS 3
#define AR_CIFAR_IMAGE_BYTES (AR_CIFAR_SIDE * AR_CIFAR_SIDE * AR_CIFAR_CHANNELS)
#define AR_CIFAR_RECORD_BYTES (1 + AR_CIFAR_IMAGE_BYTES)
#define AR_CIFAR_CLASSES 10

typedef struct ar_cifar_bin ar_cifar_bin_t;

/* Opens n batch files as one sequence. Each file must be a non-empty
 * multiple of 3073 bytes. NULL with err naming the file on failure. */
ar_cifar_bin_t *ar_cifar_bin_open(const char *const *paths, int n, ar_err_t *err);
void ar_cifar_bin_close(ar_cifar_bin_t **cb);

/* Records in all files together. */
int64_t ar_cifar_bin_count(const ar_cifar_bin_t *cb);

/* Records [start, start+count): pixels as NHWC uint8 (may be NULL), labels
 * (may be NULL). A label byte > 9 is an AR_E_FORMAT error naming the file
 * and record; a range outside the sequence is AR_E_ARG. */
int ar_cifar_bin_read(ar_cifar_bin_t *cb, int64_t start, int64_t count, uint8_t *pixels,
                      int32_t *labels, ar_err_t *err);

#endif
