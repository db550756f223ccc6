/* repair_plan.h - what a repair job will run before it runs: its population
 * of candidates (targets x variants per method), the candidates and epochs
 * of every successive-halving rung, and a prediction of how the candidates
 * share N ranks (`archrepair config plan JOB.toml --ranks N`,
 * docs/distributed.md "Planning a run").
 *
 * The prediction replays the coordinator's dispatch rule (ar_share_parts:
 * the idle workers split between the waiting candidates, at most
 * ar_repair_max_parts each) on a model where a candidate's work is its
 * training epochs and p workers finish it p times faster. It predicts the
 * schedule's shape (waves, workers per candidate, busy fraction), not
 * seconds: exchange costs are measured separately (tests/bench). The
 * block probes of repair.ranking = "probe" are a round of their own before
 * rung 0 (`probe`); the rounds of evaluation and spectrum localization
 * around the rungs are not in it.
 */
#ifndef AR_JOBS_REPAIR_PLAN_H
#define AR_JOBS_REPAIR_PLAN_H

#include <stdint.h>

#include "config/job_config.h"
#include "core/error.h"

#define AR_REPAIR_PLAN_MAXRUNGS 64
#define AR_REPAIR_PLAN_MAXBLOCKS 65536 /* more: "not known" (the model was not read) */

typedef struct ar_repair_plan_rung {
    int candidates;           /* candidates trained in this rung */
    int64_t epochs;           /* training epochs per candidate (search + fine-tune);
                                 0 when repair.budget sets them (see passes) */
    int64_t passes;           /* repair.budget: image-passes per candidate; else 0 */
    int min_workers, max_workers; /* workers one candidate gets, fewest / most */
    int waves;                /* candidates that had to wait for a free worker + 1 */
    double span;              /* predicted length in work units (epochs of one worker) */
    double busy;              /* predicted busy fraction of the workers in this rung */
} ar_repair_plan_rung_t;

typedef struct ar_repair_plan {
    int methods[8];           /* candidates per method at rung 0 (ar_method_t order) */
    int candidates;           /* rung 0's population */
    int max_parts;            /* most workers one candidate can use */
    int workers;              /* workers of `ranks` ranks (ranks - 1; 1 for one rank) */
    int nrungs;
    ar_repair_plan_rung_t rung[AR_REPAIR_PLAN_MAXRUNGS];
    ar_repair_plan_rung_t probe; /* repair.ranking = "probe": one block-weights task per
                                    block (candidates = blocks; -1 when nblocks is
                                    more than AR_REPAIR_PLAN_MAXBLOCKS: not known),
                                    else all 0 */
    double busy;              /* over the probe round and all rungs */
} ar_repair_plan_t;

/* One method's candidates: *ntarget target blocks x *nvariants variants
 * (repair_job.h), for a model with nblocks blocks (the ranking's top_k is
 * capped by it); one_layer: the layer method retrains the one layer
 * localization named. AR_E_CONFIG naming the key when none is left. */
int ar_repair_method_shape(const ar_job_config_t *cfg, int nblocks, int method, int one_layer,
                           int *ntarget, int *nvariants, ar_err_t *err);

/* Candidates of each method at rung 0 (one_layer assumed when the job
 * ranks by the spectrum analysis and names no layer). */
int ar_repair_population(const ar_job_config_t *cfg, int nblocks, int counts[8], ar_err_t *err);

/* Rung `rung` of R trains full >> (R - 1 - rung) epochs (or image-passes),
 * at least min: each rung doubles the previous one's budget. */
int64_t ar_repair_rung_epochs(int64_t full, int rung, int R, int64_t min);

/* The whole-network epochs after `method`'s own training at the last rung:
 * repair.finetune_all_epochs, or where it is -1 (the default) the method's
 * own default (ar_method_all_epochs: 4 for the cell methods, else 0);
 * finetune and bn-adapt never have any. */
int64_t ar_repair_all_epochs(const ar_job_config_t *cfg, int method);

/* The whole plan on `ranks` ranks. */
int ar_repair_plan(const ar_job_config_t *cfg, int nblocks, int ranks, ar_repair_plan_t *out,
                   ar_err_t *err);

#endif
