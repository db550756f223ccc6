/* localize_job.h - the "localize" job: vulnerable block
 * localization by adversarial-aware spectrum analysis, distributed.
 *
 * Rounds (the same stages and batches as ar_localize_run, localize/localize.h,
 * so the numbers equal the in-process call's and do not depend on ranks):
 *   0  localize_scan tasks: shards of every source set (start and length
 *      multiples of data.batch_size), returning per-image correctness (u8);
 *   1  the coordinator selects failing / passing examples (ar_lz_select);
 *      with threshold "passing_mean", localize_spectrum tasks of role MEAN
 *      over the passing batches (rows of activation sums); else round 2 now;
 *   2  localize_spectrum tasks over the failing then the passing batches
 *      (role FAILING / PASSING, thresholds in the task), returning integer
 *      counts and one gradient row per batch; rows are summed in task order.
 * A task holds whole batches of one set (run.shard_size rounded to a
 * multiple of the batch), indices and thresholds as tensors.
 * Output (job.output, HDF5, written atomically): /localization (see
 * ar_localize_write_h5 and docs/localization.md) with attributes job (TOML
 * text), model, ranks, wall_seconds; <output>.json, the summary of
 * localize_report.h; stdout: the block and layer rankings.
 */
#ifndef AR_JOBS_LOCALIZE_JOB_H
#define AR_JOBS_LOCALIZE_JOB_H

#include "config/job_config.h"
#include "jobs/localize/localize_params.h"
#include "localize/localize.h"
#include "runtime/registry.h"

/* Coordinator half (localize_coord.c); the task types are in
 * localize_params.h. */
extern const ar_job_kind_t ar_job_localize;

/* The [localize] keys (and job.seed, data.batch_size) as options; mean/std
 * are left NULL (the caller supplies the data normalisation). AR_E_CONFIG
 * naming the key on a value the library refuses. */
int ar_localize_opts_from_job(const ar_job_config_t *cfg, ar_localize_opts_t *o, ar_err_t *err);

#endif
