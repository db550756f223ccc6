/* evaluate_job.h - the "evaluate" job: accuracy of a model
 * on the clean set and on every corruption set (corruption x severity).
 *
 * Tasks are shards (set, index range); a worker loads the model once, reads
 * its shard straight from disk (corrupting on the fly for generated sets),
 * predicts, and returns counts: correct, total and the per-class confusion
 * matrix (int64 [K, K], row = true label, column = prediction). The
 * coordinator folds the counts in task order and writes, only once every
 * shard is in, atomically:
 *   OUTPUT (HDF5)  /evaluation: set_names (string [M]), acc (float64 [M]),
 *                  count, correct (int64 [M]), confusion (int64 [M, K, K]);
 *                  attributes job (TOML text), model, ranks, wall_seconds,
 *                  version
 *   OUTPUT.json    the same numbers plus per-corruption, per-severity and
 *                  per-category means ("corruptions", "severities",
 *                  "categories"), the mean corrupted accuracy and relative
 *                  robustness (mean corrupted acc / clean acc), for scripts
 *                  (docs/results.md)
 *   stdout         a table: one row per corruption, one column per severity,
 *                  then the category means (evaluate_means.h)
 * (OUTPUT.json is the output path with a trailing ".h5" replaced by ".json".)
 */
#ifndef AR_JOBS_EVALUATE_JOB_H
#define AR_JOBS_EVALUATE_JOB_H

#include "jobs/evaluate/evaluate_params.h"
#include "jobs/sets.h"
#include "runtime/registry.h"

/* Coordinator half (evaluate_coord.c). */
extern const ar_job_kind_t ar_job_evaluate;

/* Plans one "evaluate" task per shard (run.shard_size images) of every set,
 * in set order, for the model file `model` with normalisation mean/std
 * (channels floats each). phase is carried in the task (-1: none; 0 / 1 for
 * jobs that evaluate more than one model, e.g. repair before / after). */
int ar_evaluate_plan(const ar_set_ref_t *sets, int nsets, const ar_job_ctx_t *job,
                     const char *model, const float *mean, const float *std, int channels,
                     int phase, ar_taskplan_t *plan, ar_err_t *err);

#endif
