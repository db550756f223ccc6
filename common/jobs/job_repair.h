/* job_repair.h - the "repair" job (DESIGN.md steps 1-4): evaluate, localize,
 * search candidates with successive halving, select, evaluate, save.
 *
 * Rounds (each planned when the previous one is fully aggregated):
 *   0          "evaluate" shards of every set with the original model (the
 *              evaluate job's task type) and rung 0 of the candidates;
 *   1..R-1     rung r: the better half of the previous rung's candidates
 *              (by validation accuracy, ties to the lower candidate index)
 *              trained again with twice the epochs;
 *   R          "evaluate" shards of every set with the chosen candidate;
 * then finish writes the result file (DESIGN.md "Result") atomically.
 * Candidates = target blocks (repair.blocks, else the top_k of the ranking)
 * x variants (nodes x seeds x lrs; baselines: seeds x lrs), in that order;
 * a candidate's search seed is ar_rng_key(job.seed, block, nodes, seed,
 * lr), so results do not depend on ranks. Ranking: the graph's block order
 * until the localization library is linked (logged as such).
 */
#ifndef AR_JOBS_JOB_REPAIR_H
#define AR_JOBS_JOB_REPAIR_H

#include "runtime/registry.h"

extern const ar_job_kind_t ar_job_repair;

#endif
