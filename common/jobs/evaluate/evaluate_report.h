/* evaluate_report.h - the evaluate job's aggregated numbers and their outputs:
 * the /evaluation group (HDF5), the JSON summary and the printed table
 * (evaluate_job.h describes each; their means come from evaluate_means.h).
 * All three are written only by ar_eval_report_write, after every shard was
 * counted; each file appears atomically (temporary name + rename).
 */
#ifndef AR_JOBS_EVALUATE_REPORT_H
#define AR_JOBS_EVALUATE_REPORT_H

#include <stdint.h>

#include "jobs/sets.h"
#include "runtime/registry.h"

typedef struct ar_eval_report {
    ar_set_ref_t *sets;      /* owned, nsets */
    int nsets;
    int k;                   /* classes */
    int channels;            /* model input channels (<= 4) */
    float mean[4], std[4];   /* normalisation sent to the workers */
    int64_t *count;          /* [nsets] images counted */
    int64_t *correct;        /* [nsets] */
    int64_t *confusion;      /* [nsets, k, k] */
    double t0;               /* start (ar_now), for wall_seconds */
} ar_eval_report_t;

/* Allocates the zeroed count arrays for nsets sets of k classes. */
int ar_eval_report_alloc(ar_eval_report_t *r, ar_err_t *err);
/* Frees what r owns (not r). */
void ar_eval_report_free(ar_eval_report_t *r);

/* Writes job->cfg->job.output (HDF5), its .json sibling and the table on
 * stdout. */
int ar_eval_report_write(const ar_eval_report_t *r, const ar_job_ctx_t *job, ar_err_t *err);

#endif
