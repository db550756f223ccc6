/* dataset_impl.h - what the format adapters of common/data share (internal).
 *
 * Each ds_<format>.c opens one format and wraps it with ar_dataset_new_custom;
 * ar_dataset_open (dataset_open.c) picks the adapter from the path.
 */
#ifndef AR_DATA_DATASET_IMPL_H
#define AR_DATA_DATASET_IMPL_H

#include <stdint.h>

#include "data/dataset.h"

/* Largest label accepted from any file. */
#define AR_MAX_LABEL 65535

/* Checks labels read from `where` (0 <= l <= AR_MAX_LABEL and l < declared
 * when declared > 0), copies them to out as int32 and sets *num_classes to
 * declared, or 1 + the largest label when declared <= 0. AR_E_FORMAT naming
 * where and the first bad index otherwise. */
int ar_labels_import(const char *where, const int64_t *raw, int64_t n, int declared, int32_t *out,
                     int *num_classes, ar_err_t *err);

ar_dataset_t *ar_ds_open_idx(const char *path, const char *split, ar_err_t *err);
ar_dataset_t *ar_ds_open_cifar_bin(const char *path, const char *split, ar_err_t *err);
ar_dataset_t *ar_ds_open_npy_dir(const char *dir, const char *corruption, int severity, ar_err_t *err);
ar_dataset_t *ar_ds_open_h5(const char *path, const char *corruption, int severity, ar_err_t *err);

#endif
