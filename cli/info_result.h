/* info_result.h - `archrepair info` on job result files (docs/results.md):
 * the outcome of a repair result (which is also a model file, so
 * info_model.c prints it after the model), and the whole description of an
 * evaluate, localize or stats result, read through the same readers as
 * `archrepair report`. */
#ifndef AR_CLI_INFO_RESULT_H
#define AR_CLI_INFO_RESULT_H

#include <stdio.h>

#include "core/error.h"

/* 1 when path is an HDF5 file holding /evaluation, /localization or /stats
 * (and no /repair). */
int ar_info_is_result(const char *path);

/* Describes the evaluate, localize or stats result at path on out. Returns
 * AR_OK or a status with err naming the file and what is wrong with it. */
int ar_info_result(const char *path, FILE *out, ar_err_t *err);

/* The outcome of the repair result at path: method, choice, and the before
 * / after table with each set in-pool or held-out and the group means.
 * Prints nothing when path holds no readable /repair group. */
void ar_info_repair(const char *path, FILE *out);

#endif
