/* localize_params.h - the localize job's task types (the worker half is
 * localize_task.c) and their parameters, each one field list
 * (runtime/task_params.h):
 *
 *   localize_scan      a shard of a source set; returns per-image
 *                      correctness (u8 [count])
 *   localize_spectrum  whole batches of one set (indices, sorted), a role
 *                      (failing / passing / passing-mean) and the per-neuron
 *                      thresholds (empty for the mean role); returns integer
 *                      counts and one gradient row per batch
 *
 * Both carry the engine's parameters (model, batch, normalisation, seed and
 * the adversarial configuration). The localization options as a list of
 * their own (ar_localize_opts_params_t) also travel in the repair job's
 * repair_localize task.
 */
#ifndef AR_JOBS_LOCALIZE_PARAMS_H
#define AR_JOBS_LOCALIZE_PARAMS_H

#include <float.h>

#include "jobs/sets.h"
#include "localize/localize.h"
#include "localize/lz_engine.h"
#include "runtime/registry.h"

/* The adversarial versions of passing examples (localize/adversarial.h). */
#define AR_LZ_ADV_PARAMS(X)                   \
    X(INT, adv, 0, AR_ADV_COUNT - 1)          \
    X(FLOAT, eps, -DBL_MAX, DBL_MAX)          \
    X(FLOAT, step, -DBL_MAX, DBL_MAX)         \
    X(INT, steps, 0, 100000)
AR_PARAMS_DECLARE(ar_lz_adv_params, AR_LZ_ADV_PARAMS)

/* Every option of ar_localize_opts_t that is not data (count, seed, batch
 * and normalisation travel beside it). */
#define AR_LOCALIZE_OPTS_PARAMS(X)                        \
    X(SUB, adversarial, ar_lz_adv_params, 0)              \
    X(INT, formula, 0, AR_SBFL_COUNT - 1)                 \
    X(INT, threshold_mode, 0, AR_THRESH_COUNT - 1)        \
    X(FLOAT, threshold, -DBL_MAX, DBL_MAX)                \
    X(INT, gscale, 0, AR_GSCALE_COUNT - 1)                \
    X(INT, gnorm, 0, AR_GNORM_COUNT - 1)                  \
    X(INT, aggregate, 0, AR_AGG_COUNT - 1)                \
    X(INT, top_k, 1, 1000000)
AR_PARAMS_DECLARE(ar_localize_opts_params, AR_LOCALIZE_OPTS_PARAMS)

/* The worker's engine: built once per distinct value of these. */
#define AR_LZ_ENGINE_PARAMS(X)                            \
    X(STR, model, 1, AR_PROTO_MAX_TEXT - 1)               \
    X(INT, batch, 1, 65536)                               \
    X(F32S, mean, 1, 4)                                   \
    X(F32S, std, 1, 4)                                    \
    X(INT, lz_seed, INT64_MIN, INT64_MAX)                 \
    X(SUB, adversarial, ar_lz_adv_params, 0)
AR_PARAMS_DECLARE(ar_lz_engine_params, AR_LZ_ENGINE_PARAMS)

#define AR_LOCALIZE_SCAN_PARAMS(X)                        \
    X(SUB, shard, ar_shard_params, 0)                     \
    X(SUB, engine, ar_lz_engine_params, 0)                \
    X(INT, src, 0, INT32_MAX)
AR_PARAMS_DECLARE(ar_localize_scan_params, AR_LOCALIZE_SCAN_PARAMS)

#define AR_LOCALIZE_SPECTRUM_PARAMS(X)                    \
    X(SUB, shard, ar_shard_params, 0)                     \
    X(SUB, engine, ar_lz_engine_params, 0)                \
    X(INT, src, 0, INT32_MAX)                             \
    X(INT, role, 0, AR_LZ_ROLE_COUNT - 1)                 \
    X(I64S, indices, 1, INT64_MAX)                        \
    X(F64S, threshold, 0, INT64_MAX)
AR_PARAMS_DECLARE(ar_localize_spectrum_params, AR_LOCALIZE_SPECTRUM_PARAMS)

/* The adversarial configuration of its parameter list. */
ar_adv_cfg_t ar_lz_adv_cfg(const ar_lz_adv_params_t *p);

/* Options <-> their parameter list (the adversarial part included). */
ar_localize_opts_params_t ar_localize_opts_params(const ar_localize_opts_t *o);
void ar_localize_opts_apply(const ar_localize_opts_params_t *p, ar_localize_opts_t *o);

/* The engine parameters of options o for a model and its normalisation
 * (channels floats each; the pointers are kept). */
ar_lz_engine_params_t ar_lz_engine_params(const char *model, const ar_localize_opts_t *o,
                                          const float *mean, const float *std, int channels);

/* Worker half (localize_task.c). */
extern const ar_task_type_t ar_task_localize_scan;
extern const ar_task_type_t ar_task_localize_spectrum;

#endif
