/* stats_report.h - the stats job's JSON summary (docs/results.md). */
#ifndef AR_JOBS_STATS_REPORT_H
#define AR_JOBS_STATS_REPORT_H

#include <stdint.h>

#include "jobs/sets.h"
#include "runtime/registry.h"

/* The folded statistics of every set, as stats_coord.c holds them. */
typedef struct ar_stats_view {
    const ar_set_ref_t *sets;
    int nsets, k;                 /* k: columns of hist */
    const int64_t *count, *sum, *sq, *hist; /* [nsets], hist [nsets, k] */
    const uint64_t *hash;
} ar_stats_view_t;

/* Writes <output>.json: per set its count, pixel sum and sum of squares,
 * mean and standard deviation of the pixels (0..255), class counts and
 * the checksum (16 hex digits). */
int ar_stats_json_write(const ar_stats_view_t *v, const ar_job_ctx_t *job, double wall, ar_err_t *err);

#endif
