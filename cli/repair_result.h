/* repair_result.h - the /repair group of a repair job's result file
 * (docs/results.md "Repair job result"), read whole for `archrepair info`
 * and `archrepair report`. Parts an older file lacks are left empty. */
#ifndef AR_CLI_REPAIR_RESULT_H
#define AR_CLI_REPAIR_RESULT_H

#include <stdint.h>

#include "core/error.h"
#include "jobs/repair/repair_means.h"

typedef struct ar_repair_result {
    char *method, *methods, *outcome, *chosen, *genotype; /* "" when absent */
    /* evaluation sets: /repair/metrics */
    int nsets, have_held;
    char **set_names;
    double *before, *after;
    int8_t *held;   /* 1: held-out (all 0 without /repair/metrics/held_out) */
    int64_t *count; /* images per set (0 without /repair/metrics/count) */
    ar_repair_means_t means;
    /* candidates: /repair/candidates (numbers 0 where a dataset is absent) */
    int ncand;
    char **c_method, **c_block, **c_variant, **c_status;
    double *c_val_clean, *c_val_corrupt, *c_interp, *c_cpu_s;
    int64_t *c_passes; /* [ncand][2]: forward, backward image-passes */
    int64_t *c_rung;
    /* localization: /repair/blocks */
    int nblocks;
    char **block_names;
    double *block_scores;
} ar_repair_result_t;

/* Reads the repair result at path; AR_E_FORMAT "<path>: not a repair
 * result (...)" for an HDF5 file without a /repair group. Free with
 * ar_repair_result_free (also after a failure). */
int ar_repair_result_read(const char *path, ar_repair_result_t *r, ar_err_t *err);
void ar_repair_result_free(ar_repair_result_t *r);

#endif
