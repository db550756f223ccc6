/* registry.h - the plug-in points of the distributed runtime: job kinds and
 * task types.
 *
 * A *job kind* ("evaluate", "stats", "localize", "repair") lives on the
 * coordinator: it plans tasks in rounds, aggregates their results IN TASK
 * ORDER (never arrival order, so numbers do not depend on the number of
 * ranks), decides whether another round is needed (successive halving, the
 * next phase of a repair) and finally writes the job's output.
 *
 * A *task type* lives on the workers: given a task's parameters - one typed
 * struct per task type, generated with its encoder and decoder from one
 * field list (runtime/task_params.h) - it computes and returns a result
 * (named scalars and tensors), optionally streaming partial results first.
 * Tasks are self-contained: everything a worker needs (file paths, index
 * ranges, seeds, options) is in the parameters, never in the job file, and
 * random streams derive from (job seed, task identity) only. The worker
 * hands tasks a job context without the parsed job (cfg is NULL there).
 *
 * Adding a job: a folder common/jobs/<kind>/ with the parameter lists, the
 * coordinator half (one ar_job_kind_t) and the worker half (its
 * ar_task_type_t(s)), plus one line each in common/jobs/builtin.c. Nothing in
 * the coordinator, worker or protocol changes.
 *
 * The registry is a plain value built in main (no global state).
 */
#ifndef AR_RUNTIME_REGISTRY_H
#define AR_RUNTIME_REGISTRY_H

#include <stdint.h>

#include "core/error.h"
#include "core/log.h"
#include "proto/msg.h"
#include "runtime/run_opts.h"
#include "runtime/task_params.h"

/* What every job kind and task type sees of the job. */
typedef struct ar_job_ctx {
    const char *job_path;     /* the job file as given on the command line */
    const char *job_text;     /* its full text (as broadcast to every rank) */
    const struct ar_job_config *cfg; /* the parsed, validated job (config/job_config.h);
                                        NULL in what tasks see */
    ar_run_opts_t run;        /* [run] options */
    int ranks;                /* MPI ranks in the job */
    int rank;                 /* this process's rank */
    const ar_log_t *log;      /* where to log; never NULL */
} ar_job_ctx_t;

/* The tasks a job kind plans for one round. */
typedef struct ar_taskplan ar_taskplan_t;

/* Adds one task of type `type` with parameters *params (moved into the plan:
 * *params is left empty on success and untouched on failure). Task ids are
 * assigned in call order, continuing across rounds. */
int ar_taskplan_add(ar_taskplan_t *plan, const char *type, ar_fields_t *params, ar_err_t *err);

struct ar_task_type;
/* Adds one task of type tt whose parameters are the struct *params of tt's
 * schema (encoded here; runtime/task_params.h). */
int ar_taskplan_add_typed(ar_taskplan_t *plan, const struct ar_task_type *tt, const void *params,
                          ar_err_t *err);

/* Adds a task that up to max_parts workers may run together (a shared task:
 * runtime/reduce.h). How many share it is decided when it is sent, from the
 * workers free then and the shared tasks still waiting (one worker when the
 * job has one); every part runs the type's `run` with ar_task_ctx_t's part /
 * parts set, the parts meet at each ar_task_exchange, and part 0's results
 * are the task's (the others send none). Its results must not depend on
 * how many parts ran it. */
int ar_taskplan_add_shared(ar_taskplan_t *plan, const struct ar_task_type *tt, const void *params,
                           int max_parts, ar_err_t *err);

/* The coordinator's functions run on its event loop; heartbeats are answered
 * by a thread of their own meanwhile, so a long call does not lose the
 * workers, but it delays everything else (put heavy work into tasks).
 *
 * Checkpoints need nothing from a job kind: plan() and aggregate() must be
 * deterministic functions of the job and of the results aggregated so far
 * (never of time, ranks or arrival order), because --resume rebuilds the
 * state by creating the job again and replaying the recorded results
 * (runtime/checkpoint.h). Files a job kind writes for later rounds must
 * survive a failure while a checkpoint exists (repair's candidate files). */
typedef struct ar_job_kind {
    const char *name;   /* [job] kind in the job file */

    /* Creates the coordinator-side state from the job (validates its keys). */
    int (*create)(const ar_job_ctx_t *job, void **state, ar_err_t *err);
    /* Plans round `round` (0, 1, ...) by calling ar_taskplan_add; called first at
     * start and again each time every task so far has been aggregated.
     * Planning no task ends the job. */
    int (*plan)(void *state, const ar_job_ctx_t *job, int round, ar_taskplan_t *plan, ar_err_t *err);
    /* Folds one result of task `id` into the state. Called in task-id order,
     * and within a task in seq order (partials then the final one). */
    int (*aggregate)(void *state, const ar_job_ctx_t *job, uint64_t id, const char *type,
                     const ar_fields_t *params, const ar_fields_t *result, int final,
                     ar_err_t *err);
    /* Writes the job's outputs (atomically) and prints its summary. */
    int (*finish)(void *state, const ar_job_ctx_t *job, ar_err_t *err);
    /* Frees the state; safe on NULL. */
    void (*destroy)(void *state);
} ar_job_kind_t;

/* A running task, as its type's run function sees it. */
typedef struct ar_task_ctx {
    const ar_job_ctx_t *job;
    uint64_t id;                  /* task id */
    const char *type;             /* task type name */
    const ar_fields_t *params;    /* the TASK body */
    const void *p;                /* the body decoded with the type's schema */
    /* internal: where partial results go (use ar_task_emit) */
    int (*emit_fn)(void *user, const struct ar_task_ctx *t, ar_fields_t *partial, ar_err_t *err);
    void *emit_user;
    /* internal: set when the job is being torn down (use ar_task_cancelled) */
    const int *cancel_flag;
    int part, parts;              /* a shared task: this worker's part of parts (else 0 of 1) */
    /* internal: where exchanges go (use ar_task_exchange) */
    int (*exchange_fn)(void *user, const struct ar_task_ctx *t, ar_fields_t *send,
                       ar_fields_t *recv, ar_err_t *err);
    void *exchange_user;
} ar_task_ctx_t;

/* Streams a partial result now (the fields are moved out and *partial left
 * empty). The coordinator aggregates it before the task's final result. */
int ar_task_emit(const ar_task_ctx_t *t, ar_fields_t *partial, ar_err_t *err);
/* 1 when a long task should stop early (coordinator gone or shutting down). */
int ar_task_cancelled(const ar_task_ctx_t *t);
/* A shared task's next exchange: sends this part's rows (*send, moved out;
 * runtime/reduce.h's body) and waits for the combined answer from every
 * part (*recv, empty on entry). With one part the answer is computed here.
 * AR_E_TIMEOUT when the job is cancelled meanwhile; AR_E_WORKER when the
 * coordinator took the task back (another part's worker was lost): stop
 * the task then, its result is not wanted. */
int ar_task_exchange(const ar_task_ctx_t *t, ar_fields_t *send, ar_fields_t *recv, ar_err_t *err);

typedef struct ar_task_type {
    const char *name;   /* the TASK message's kind */
    /* The parameter struct's schema (runtime/task_params.h); the worker
     * decodes every TASK with it and passes the struct as ar_task_ctx_t.p. */
    const ar_params_schema_t *(*params)(void);
    /* Per-worker state created on the first task of this type (load a model
     * once, not per task); may leave *state NULL. */
    int (*init)(const ar_job_ctx_t *job, void **state, ar_err_t *err);
    /* Runs one task; fills *result (empty on entry) with the final result. On
     * error the message names the task's data (file, range). */
    int (*run)(void *state, const ar_task_ctx_t *task, ar_fields_t *result, ar_err_t *err);
    void (*destroy)(void *state);
} ar_task_type_t;

#define AR_REGISTRY_MAX 32

typedef struct ar_registry {
    const ar_job_kind_t *jobs[AR_REGISTRY_MAX];
    int njobs;
    const ar_task_type_t *tasks[AR_REGISTRY_MAX];
    int ntasks;
} ar_registry_t;

/* Registers a job kind / task type (pointers must outlive the registry).
 * AR_E_ARG on a duplicate name or a full registry. */
int ar_registry_add_job(ar_registry_t *r, const ar_job_kind_t *k, ar_err_t *err);
int ar_registry_add_task(ar_registry_t *r, const ar_task_type_t *t, ar_err_t *err);
/* Lookups; NULL when unknown. */
const ar_job_kind_t *ar_registry_job(const ar_registry_t *r, const char *name);
const ar_task_type_t *ar_registry_task(const ar_registry_t *r, const char *name);

#endif
