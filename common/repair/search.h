/* search.h - one repair candidate, in process: the relaxed block search
 * (ArchRepair) and the baselines, through the same training code.
 *
 * archrepair     relaxed cell in the block (cell.h); the rest of the network
 *                frozen; `search_epochs` DARTS first-order epochs: per step
 *                one SGD weight step (cosine LR) on a batch of split A, then
 *                one Adam alpha step on a batch of split B; discretise
 *                (genotype.h), rebuild with plain ops, inherit the searched
 *                weights, fine-tune the block `finetune_epochs` epochs on A+B.
 * finetune       the whole network,        } search_epochs + finetune_epochs
 * block-weights  the block's own weights,  } epochs on A+B with SGD, cosine
 * layer          one layer's weights       } LR: the same images and steps.
 * random-cell    the control of the search: archrepair's cell with a genotype
 *                drawn at random (genotype.h, keyed by the seed) instead of
 *                searched, trained as archrepair trains its cell - the
 *                search epochs' weight steps (split A, no alpha steps), then
 *                the fine-tuning - so only the architecture's origin differs.
 * bn-adapt       no training: every BatchNorm's running statistics
 *                re-estimated on the repair set's images (nn/bn_adapt.h;
 *                labels unused); one report, phase "adapt".
 * A and B are the two halves of the repair set by a permutation keyed by
 * the seed; batch order is keyed by (seed, phase, epoch). Every number
 * depends only on the inputs and the seed (one thread of BLAS assumed).
 */
#ifndef AR_REPAIR_SEARCH_H
#define AR_REPAIR_SEARCH_H

#include <stdint.h>

#include "core/error.h"
#include "nn/graph.h"
#include "repair/cell.h"
#include "repair/trainer.h"

typedef enum {
    AR_METHOD_ARCHREPAIR,
    AR_METHOD_FINETUNE,
    AR_METHOD_LAYER,
    AR_METHOD_BLOCK_WEIGHTS,
    AR_METHOD_BN_ADAPT,
    AR_METHOD_RANDOM_CELL,
    AR_METHOD_COUNT
} ar_method_t;

/* "archrepair", "finetune", "layer", "block-weights", "bn-adapt",
 * "random-cell"; parse: -1 when unknown. ar_method_cell: archrepair and
 * random-cell (a cell replaces the block's branch). */
const char *ar_method_name(ar_method_t m);
int ar_method_parse(const char *s);
int ar_method_cell(int m);

/* finetune and bn-adapt: they act on the whole network, have no target block
 * (one candidate, block "") and no whole-network epochs after their own. */
int ar_method_blockless(int m);

/* Whole-network epochs after the method's own training when the job leaves
 * repair.finetune_all_epochs at its default: AR_CELL_ALL_EPOCHS for the cell
 * methods (archrepair followed by a whole-network fine-tune was the best
 * archrepair variant measured, docs/repair.md), 0 for the others. */
#define AR_CELL_ALL_EPOCHS 4
int ar_method_all_epochs(int m);

typedef struct ar_search_cfg {
    ar_method_t method;
    char block[128];          /* target block (every method but finetune) */
    char layer[128];          /* layer: node to retrain; "" = the block's first conv */
    ar_cell_cfg_t cell;       /* archrepair: the cell */
    int search_epochs;        /* >= 1 */
    int finetune_epochs;      /* >= 0 */
    int batch;                /* images per step */
    double lr, lr_min;        /* SGD weights: cosine from lr to lr_min over the phase */
    double momentum, weight_decay;
    double finetune_lr;       /* archrepair fine-tuning: cosine from it to lr_min */
    int finetune_all_epochs;  /* > 0: after the method's own phases (not finetune, bn-adapt),
                                 the whole network trains this many epochs on every repair
                                 image, cosine from finetune_lr to lr_min ("finetune-all") */
    double alpha_lr, alpha_wd, alpha_beta1, alpha_beta2; /* Adam on alpha */
    uint64_t seed;            /* split and batch order */
    int nval;                 /* validation sets at val[]: 1, or 2 (clean, corrupted); default 1 */
    int no_prefix_cache;      /* 1: trainers recompute the frozen prefix every step (a
                                 benchmark switch, trainer.h); same results, slower */
    double distill;           /* 0..1: weight of the repair set's soft targets (train->soft,
                                 the original model's outputs) in the training loss */
    int keep_best;            /* 1: the last training phase ends on its best epoch whose
                                 clean validation accuracy (val[0]) is within the bound
                                 below (select.h's rule), not on its last; none within:
                                 the last */
    double clean0, max_clean_drop; /* keep_best's bound */
    /* Corruptions drawn afresh (repair.resample): called before every training
     * epoch but the first (epoch counts across phases from 0) to rewrite
     * train->x in place; NULL: the repair set stays as built. */
    int (*resample)(void *ctx, int epoch, const int64_t *rows, int64_t nrows, ar_err_t *err);
    void *resample_ctx;       /* rows: the rows to rewrite (the ones this worker's steps read
                                 this epoch), or NULL for all */
    /* Data-parallel training (trainer.h ar_dp_t; NULL: whole-batch steps on
     * this process alone): every training step is ar_trainer_step_dp, the
     * validation sets are split between the members (contiguous shares,
     * correct counts exchanged), and resampling rewrites only the rows this
     * member's steps read. Every member runs ar_search_run with the same
     * inputs and ends with the same model. */
    const ar_dp_t *dp;
} ar_search_cfg_t;

/* DARTS' defaults: SGD 0.025 -> 0.001, momentum 0.9, wd 3e-4; Adam 3e-4,
 * betas 0.5 / 0.999; batch 64; 10 search + 5 fine-tune epochs. Except: no
 * alpha weight decay (DARTS: 1e-3). Adam's decay is coupled (added to the
 * gradient before normalising); the seeded cell's alpha gradient scales with
 * its output BN weight (0 at the start) and stays comparable with 1e-3 *
 * alpha, so the decay pulled the alphas back to 0 (docs/repair.md). */
ar_search_cfg_t ar_search_cfg_default(void);

typedef struct ar_epoch_report {
    const char *phase;        /* "search", "finetune", "train" (baselines) or "adapt" */
    int epoch;                /* within the phase, from 0 */
    double train_loss;        /* mean over the epoch's weight steps */
    double val_acc;           /* eval mode, on the validation set */
    double alpha_entropy;     /* mean over mix nodes (search), else 0 */
} ar_epoch_report_t;

/* Called after every epoch; a non-zero return stops the run (AR_E_TIMEOUT). */
typedef int (*ar_epoch_fn)(void *user, const ar_epoch_report_t *r);

typedef struct ar_search_result {
    ar_graph_t *model;        /* owned: the repaired network, plain ops */
    char genotype[1024];      /* archrepair: the discrete cell as text; else "" */
    double val_acc;           /* final validation accuracy (all validation images) */
    double val_set_acc[2];    /* final accuracy per validation set (nval of them) */
    double first_loss, last_loss; /* mean training loss of the first and last epoch */
    int64_t passes_fwd, passes_bwd; /* cost: images through a forward / a backward
                                       (ar_trainer_passes, summed over phases) */
    int epochs;               /* training epochs run, all phases */
    int kept_epoch;           /* keep_best: the last phase's epoch kept (-1: none qualified,
                                 the last state kept; also -1 without keep_best) */
} ar_search_result_t;

/* Runs cfg->method on a copy of g (finalized, not changed) with repair set
 * `train` (>= 2 images) and the cfg->nval validation sets val[] (the
 * reports' val_acc is over all of them, val_set_acc per set). fn may be NULL. On
 * success out->model is set; on error nothing is owned by *out. */
int ar_search_run(const ar_graph_t *g, const ar_search_cfg_t *cfg, const ar_imgset_t *train,
                  const ar_imgset_t *val, ar_epoch_fn fn, void *user, ar_search_result_t *out,
                  ar_err_t *err);
void ar_search_result_free(ar_search_result_t *r);

#endif
