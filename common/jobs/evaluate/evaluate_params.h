/* evaluate_params.h - the "evaluate" task type: its parameters (one field
 * list: the struct, its encoder and decoder; runtime/task_params.h) and the
 * type itself (evaluate_task.c, the worker half).
 *
 * One task = one shard of one set: the worker loads `model` once, reads the
 * shard straight from disk (corrupting on the fly for generated sets),
 * predicts in batches of `batch` with the normalisation mean / std (one
 * float per model channel), and returns count, correct and the confusion
 * matrix (int64 [K, K], row = true label, column = prediction). `phase`
 * tells the coordinator which model of its job this was (-1: the only one).
 */
#ifndef AR_JOBS_EVALUATE_PARAMS_H
#define AR_JOBS_EVALUATE_PARAMS_H

#include "jobs/sets.h"
#include "runtime/registry.h"

#define AR_EVALUATE_PARAMS(X)                 \
    X(SUB, shard, ar_shard_params, 0)         \
    X(STR, model, 1, AR_PROTO_MAX_TEXT - 1)   \
    X(INT, batch, 1, 65536)                   \
    X(F32S, mean, 1, 4)                       \
    X(F32S, std, 1, 4)                        \
    X(INT, phase, -1, 1)
AR_PARAMS_DECLARE(ar_evaluate_params, AR_EVALUATE_PARAMS)

/* Worker half (evaluate_task.c). */
extern const ar_task_type_t ar_task_evaluate;

#endif
