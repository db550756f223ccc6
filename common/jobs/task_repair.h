/* task_repair.h - the "repair_candidate" task type: one repair candidate
 * (target block x search variant) trained on a worker.
 *
 * Parameters (planned by job_repair.c): model, out (the candidate model
 * file to write), method, block, layer, cand, rung, nodes, ops (comma list),
 * seed (the candidate's search seed), lr, search_epochs, finetune_epochs,
 * batch, finetune_lr, alpha_lr, channels, keep_shortcut, seed_original and
 * the repair-set fields train_path, train_split, skip, pool, val, failing, sample,
 * augment, corruptions (comma list of names), severities (int64 [S]),
 * set_seed, eval_batch, mean, std (float32 [C]).
 *
 * The worker loads the model and builds the repair set once per distinct
 * (model, set parameters) and keeps them for later candidates. Partial
 * results, one per epoch: phase, epoch, train_loss, val_acc, alpha_entropy.
 * Final result: val_acc, val_clean and val_corrupt (the candidate on the
 * clean and the all-corrupted validation images), val_clean0 and
 * val_corrupt0 (the original model on them), first_loss, last_loss,
 * genotype, path (the candidate model written to `out`, atomically),
 * nfailing, nrepair, pool_acc. Candidate weights travel through the shared filesystem, not the
 * data plane (docs/repair.md).
 */
#ifndef AR_JOBS_TASK_REPAIR_H
#define AR_JOBS_TASK_REPAIR_H

#include "repair/repair_set.h"
#include "runtime/registry.h"

extern const ar_task_type_t ar_task_repair;

/* The repair-set fields of a task (above) as a configuration for a model of
 * `channels` channels; strings and arrays point into the fields. AR_E_PROTO
 * naming the field on a missing or out-of-range value. */
int ar_repair_set_cfg_from_fields(const ar_fields_t *p, int channels, ar_repair_set_cfg_t *c,
                                  ar_err_t *err);

#ifdef AR_HAVE_LOCALIZE
/* "repair_localize": localization (common/localize) of the model on the
 * repair pool (the first `pool` images, the set fields above, `count`
 * failing examples wanted). Result: scores float64 [B] and rank int64 [B]
 * over the model's blocks in graph order (rank = indices, most suspicious
 * first), top_layer and top_layer_block (strings). */
extern const ar_task_type_t ar_task_repair_localize;
#endif

#endif
