/* localize_report.h - the localize job's JSON summary (docs/results.md). */
#ifndef AR_JOBS_LOCALIZE_REPORT_H
#define AR_JOBS_LOCALIZE_REPORT_H

#include "jobs/sets.h"
#include "localize/localize.h"
#include "runtime/registry.h"

/* Writes <output>.json: the options as run, the example counts, the source
 * sets (sets[src[i]], i < nsrc, with their image counts), the block
 * ranking (most suspicious first, "top_block" its head) and the layer
 * ranking with each layer's block. */
int ar_localize_json_write(const ar_localize_result_t *r, const ar_set_ref_t *sets, const int *src, int nsrc,
                           const ar_job_ctx_t *job, double wall, ar_err_t *err);

#endif
