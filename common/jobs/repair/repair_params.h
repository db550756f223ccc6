/* repair_params.h - the repair job's task types (the worker half:
 * repair_task_candidate.c, repair_task_localize.c) and their parameters,
 * each one field list (runtime/task_params.h).
 *
 *   repair_candidate  one candidate (target block x search variant) trained
 *                     on a worker; partial results, one per epoch: phase,
 *                     epoch, train_loss, val_acc, alpha_entropy; final
 *                     result: val_acc, val_clean and val_corrupt (the
 *                     candidate on the clean and the all-corrupted validation
 *                     images), val_clean0 and val_corrupt0 (the original model
 *                     on them), first_loss, last_loss, genotype, path (the
 *                     candidate model written to `out`, atomically),
 *                     nfailing, nrepair, pool_acc, interp (the weight
 *                     interpolation coefficient kept, 1 without
 *                     interpolation), cost_fwd, cost_bwd, cost_cpu_s
 *                     (all workers that trained it), kept_epoch, workers
 *                     (how many trained it together). With micro_batch > 0
 *                     a candidate is a shared task (runtime/reduce.h):
 *                     up to batch / micro_batch workers train it
 *                     data-parallel, part 0 reports. Candidate weights travel
 *                     through the shared filesystem, not the data plane.
 *   repair_localize   localization (common/localize) of the model on the
 *                     repair pool (its first `pool` images, `count` failing
 *                     examples wanted) with the job's [localize] options;
 *                     result: scores float64 [B] and rank int64 [B] over the
 *                     model's blocks in graph order (rank = indices, most
 *                     suspicious first), top_layer and top_layer_block.
 *
 * Both carry the repair set's description (ar_repair_set_params_t); the
 * worker builds the set once per distinct (model, set) and keeps it for
 * later candidates.
 */
#ifndef AR_JOBS_REPAIR_PARAMS_H
#define AR_JOBS_REPAIR_PARAMS_H

#include <float.h>

#include "corrupt/corrupt.h"
#include "jobs/localize/localize_params.h"
#include "repair/cell.h"
#include "repair/repair_set.h"
#include "runtime/registry.h"

/* The repair pool and validation images (repair/repair_set.h):
 * corruptions is a comma list of corruption names. */
#define AR_REPAIR_SET_PARAMS(X)                              \
    X(STR, train_path, 1, AR_PROTO_MAX_TEXT - 1)             \
    X(STR, train_split, 0, 7)                                \
    X(INT, skip, 0, 1000000000000LL)                         \
    X(INT, pool, 1, 1000000000)                              \
    X(INT, val, 1, 1000000000)                               \
    X(INT, failing, 0, 1000000000)                           \
    X(INT, sample, 0, 1000000000)                            \
    X(FLOAT, augment, 0, 1)                                  \
    X(STR, corruptions, 0, AR_PROTO_MAX_TEXT - 1)            \
    X(INT, set_seed, INT64_MIN, INT64_MAX)                   \
    X(INT, eval_batch, 1, 65536)                             \
    X(I64S, severities, 0, AR_CORRUPT_SEVERITIES)            \
    X(F32S, mean, 1, 4)                                      \
    X(F32S, std, 1, 4)
AR_PARAMS_DECLARE(ar_repair_set_params, AR_REPAIR_SET_PARAMS)

/* One candidate: model in, candidate model out (rung-specific name), the
 * method and its target (block, or layer for the layer method), the cell's
 * ops (comma list of op names), identity (cand, rung), the search seed,
 * the training budget of this rung (epochs, or budget image-passes when
 * > 0), whether to interpolate towards the original to stay within
 * max_clean_drop (repair/interpolate.h), the distillation weight, whether
 * to keep the best epoch within the bound and to redraw the corruptions
 * every epoch (repair/search.h). probe = 1: a block probe of
 * repair.ranking = "probe" (cand is the block's index in graph order): the
 * same training and interpolation, the same result fields, but no model
 * file is written (out is not used). */
#define AR_REPAIR_CANDIDATE_PARAMS(X)                        \
    X(SUB, set, ar_repair_set_params, 0)                     \
    X(STR, model, 1, AR_PROTO_MAX_TEXT - 1)                  \
    X(STR, out, 1, AR_PROTO_MAX_TEXT - 1)                    \
    X(STR, method, 1, 63)                                    \
    X(STR, block, 0, 127)                                    \
    X(STR, layer, 0, 127)                                    \
    X(STR, ops, 1, AR_PROTO_MAX_TEXT - 1)                    \
    X(INT, cand, 0, INT32_MAX)                               \
    X(INT, rung, 0, 64)                                      \
    X(INT, nodes, 1, AR_CELL_MAXNODES)                       \
    X(INT, seed, INT64_MIN, INT64_MAX)                       \
    X(FLOAT, lr, -DBL_MAX, DBL_MAX)                          \
    X(INT, search_epochs, 1, 100000)                         \
    X(INT, finetune_epochs, 0, 100000)                       \
    X(INT, batch, 1, 65536)                                  \
    X(FLOAT, finetune_lr, -DBL_MAX, DBL_MAX)                 \
    X(FLOAT, alpha_lr, -DBL_MAX, DBL_MAX)                    \
    X(INT, channels, 0, 65536)                               \
    X(INT, partial_channels, 0, 64)                          \
    X(INT, keep_shortcut, 0, 1)                              \
    X(INT, seed_original, 0, 1)                              \
    X(INT, interpolate, 0, 1)                                \
    X(FLOAT, max_clean_drop, 0, 1)                           \
    X(FLOAT, distill, 0, 1)                                  \
    X(INT, keep_best, 0, 1)                                  \
    X(INT, resample, 0, 1)                                   \
    X(INT, budget, 0, INT64_MAX)                             \
    X(INT, micro_batch, 0, 65536)                            \
    X(INT, finetune_all_epochs, 0, 100000)                   \
    X(INT, probe, 0, 1)
AR_PARAMS_DECLARE(ar_repair_candidate_params, AR_REPAIR_CANDIDATE_PARAMS)

#define AR_REPAIR_LOCALIZE_PARAMS(X)                         \
    X(SUB, set, ar_repair_set_params, 0)                     \
    X(STR, model, 1, AR_PROTO_MAX_TEXT - 1)                  \
    X(INT, count, 1, 1000000000)                             \
    X(SUB, localize, ar_localize_opts_params, 0)
AR_PARAMS_DECLARE(ar_repair_localize_params, AR_REPAIR_LOCALIZE_PARAMS)

/* The repair set's configuration for a model of `channels` channels; the
 * strings and arrays point into *p. AR_E_PROTO naming the value when a
 * corruption name is unknown or mean / std do not match the model. */
int ar_repair_set_cfg_from_params(const ar_repair_set_params_t *p, int channels,
                                  ar_repair_set_cfg_t *c, ar_err_t *err);

/* The most workers one candidate of `method` (ar_method_t) can use: one
 * per micro-batch of a step (batch / micro_batch rounded up); 1 without
 * micro-batches and for bn-adapt (nothing to train). */
int ar_repair_max_parts(int64_t batch, int64_t micro_batch, int method);

/* Splits a comma list of names into ids with parse (-1: unknown): at most
 * max; AR_E_PROTO naming the `what` on an unknown name or too many. */
int ar_names_to_ids(const char *list, int (*parse)(const char *), int *ids, int max, int *n,
                    const char *what, ar_err_t *err);

/* Worker half. */
extern const ar_task_type_t ar_task_repair;
extern const ar_task_type_t ar_task_repair_localize;

#endif
