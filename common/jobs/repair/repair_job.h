/* repair_job.h - the "repair" job: evaluate, localize, search candidates
 * with successive halving, select, evaluate, save (docs/repair.md).
 *
 * Rounds (each planned when the previous one is fully aggregated):
 *   0          "evaluate" shards of every set with the original model (the
 *              evaluate job's task type) and, when the job needs a ranking,
 *              one probe per block (repair.ranking = "probe": a short
 *              block-weights "repair_candidate" task, probe = 1) or one
 *              "repair_localize" task ("spectrum") (repair_params.h); else
 *              rung 0;
 *   b + r      rung r (b = 1 after a ranking round, else 0): the better half of
 *              the previous rung's candidates (by validation accuracy, ties
 *              to the lower candidate index) trained again with twice the
 *              epochs;
 *   b + R      "evaluate" shards of every set with the chosen candidate;
 * then finish writes the result file (docs/results.md "Repair job result")
 * atomically.
 * Candidates = target blocks (repair.blocks, else the top_k of the ranking)
 * x variants (nodes x seeds x lrs; baselines: seeds x lrs), in that order;
 * a candidate's search seed is ar_rng_key(job.seed, block, nodes, seed,
 * lr), so results do not depend on ranks (nor on the ranking). Without a
 * ranking round (repair.blocks given) the ranking is the graph's block
 * order. docs/repair.md has the details.
 */
#ifndef AR_JOBS_REPAIR_JOB_H
#define AR_JOBS_REPAIR_JOB_H

#include "runtime/registry.h"

/* Coordinator half (repair_coord.c); the task types are in repair_params.h. */
extern const ar_job_kind_t ar_job_repair;

#endif
