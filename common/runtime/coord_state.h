/* coord_state.h - everything the coordinator knows, in ONE struct: the task
 * table (pending / in flight / done / aggregated, with parameters and results
 * not yet aggregated, and every result as received), per-worker credit,
 * liveness and counters, and the aggregation cursor. A checkpoint saves the
 * results of every task whose final result is in; a resume restores them
 * into the task table of the re-planned job (ar_coord_save / _restore).
 *
 * Ordering contract: tasks are handed out in id order, results may arrive in
 * any order, and are released to the job kind's aggregate() strictly in id
 * order (and seq order within a task), so aggregated numbers do not depend on
 * how many workers ran the job or how fast each was.
 */
#ifndef AR_RUNTIME_COORD_STATE_H
#define AR_RUNTIME_COORD_STATE_H

#include <stdint.h>

#include "proto/msg.h"
#include "runtime/checkpoint.h"
#include "runtime/reduce.h"
#include "runtime/registry.h"

typedef enum {
    AR_TASK_PENDING,     /* planned, not sent */
    AR_TASK_INFLIGHT,    /* sent to `worker`, final result not yet in */
    AR_TASK_DONE,        /* final result in, not yet aggregated */
    AR_TASK_AGGREGATED   /* folded into the job state */
} ar_task_state_t;

typedef struct ar_task_entry {
    char type[AR_PROTO_MAX_NAME];  /* task type */
    ar_fields_t params;            /* TASK body */
    ar_task_state_t state;
    int worker;                    /* rank it was sent to; -1 before */
    double sent_at;                /* when sent or its last result came (ar_now) */
    uint32_t attempt;              /* times sent (TASK `attempt` = this - 1) */
    ar_fields_t *results;          /* received, not yet aggregated, in seq order */
    int nresults, cap_results;
    uint32_t next_seq;             /* next seq expected from the worker */
    int final_seen;                /* the final result arrived */
    ar_ckpt_blob_t *raw;           /* every result as received (encoded), kept for checkpoints */
    uint32_t nraw, cap_raw;
    uint32_t consumed;             /* partial results already aggregated (a re-run of the
                                      task after its worker was lost skips as many) */
    /* shared tasks (ar_taskplan_add_shared): run by `parts` workers at once */
    int max_parts;                 /* 1: an ordinary task */
    int parts;                     /* workers it was sent to (0 before) */
    int *members;                  /* [parts] their ranks; members[0] = worker, the one whose
                                      results count */
    int max_parts_run;             /* most parts any run of it had */
    uint64_t step;                 /* the exchange being collected */
    ar_reduction_t red;            /* ... its REDUCEs so far */
} ar_task_entry_t;

typedef struct ar_worker_entry {
    int expected;                  /* this rank runs a worker */
    int joined;                    /* HELLO received */
    int said_bye;                  /* BYE received */
    int lost;                      /* declared dead (heartbeat / startup timeout) */
    char host[AR_PROTO_MAX_TEXT];
    int64_t pid;
    int threads;                   /* BLAS threads reported */
    uint8_t peer_id[256];          /* routing id of its task connection */
    size_t peer_len;
    int credit;                    /* tasks it may still be sent */
    int inflight;                  /* tasks sent, final result pending */
    uint64_t done;                 /* tasks completed */
    double last_seen;              /* last message of any kind (ar_now) */
    double unreachable_at;         /* when a TASK to it last failed to send (ar_now; 0 =
                                      never): no task for a heartbeat interval after */
    double unreachable_since;      /* the first such failure since its last message or
                                      TASK sent (0 = none): no shared task's part until it
                                      sends a message; holding one that failed to send, lost
                                      when that lasts a heartbeat timeout */
    uint64_t revoked;              /* id + 1 of a shared task taken back from it (a part was
                                      lost), until its next READY says it stopped: its
                                      messages for that task are dropped meanwhile and it
                                      gets no task; 0: none */
} ar_worker_entry_t;

typedef struct ar_coord_state {
    ar_task_entry_t *tasks;        /* ntasks entries, index = task id */
    uint64_t ntasks, cap;
    uint64_t next_pending;         /* tasks below were all sent */
    uint64_t next_aggregate;       /* tasks below were all aggregated */
    int round;                     /* planning round in progress */
    ar_worker_entry_t *workers;    /* nranks entries, index = rank */
    int nranks;
} ar_coord_state_t;

/* Empty state for nranks ranks; worker_ranks lists the ranks that run
 * workers (1..N-1, or just 0 with one rank). now = start time. */
int ar_coord_state_init(ar_coord_state_t *st, int nranks, const int *worker_ranks, int nworkers,
                        double now, ar_err_t *err);
void ar_coord_state_free(ar_coord_state_t *st);

/* A plan handle appending to st (valid while st lives). */
ar_taskplan_t *ar_coord_state_plan(ar_coord_state_t *st);

/* The next pending task id, or -1 when none is pending. */
int64_t ar_coord_next_pending(const ar_coord_state_t *st);
/* Marks task id as sent to rank (takes one credit). */
void ar_coord_mark_sent(ar_coord_state_t *st, uint64_t id, int rank, double now);
/* Marks shared task id as sent to ranks[0..parts) (part j to ranks[j]; one
 * credit each). AR_E_NOMEM. */
int ar_coord_mark_sent_parts(ar_coord_state_t *st, uint64_t id, const int *ranks, int parts,
                             double now, ar_err_t *err);
/* Validates a REDUCE from rank (a part of a shared task in flight there, the
 * exchange expected now) and keeps its body (moved out of m); *complete = 1
 * when every part's is in: then ar_coord_reduced gives the answer. */
int ar_coord_accept_reduce(ar_coord_state_t *st, int rank, ar_msg_t *m, int *complete,
                           ar_err_t *err);
/* How many of `idle` workers the first of `waiting` shared tasks gets: an
 * equal share, the remainder to the first ones (ceil(idle / waiting)), at
 * most max_parts. The coordinator's rule; `archrepair config plan` predicts
 * schedules with it. */
int ar_share_parts(int idle, int waiting, int max_parts);

/* The id of a task in flight on rank shared with other workers, or -1. */
int64_t ar_coord_shared_on(const ar_coord_state_t *st, int rank);
/* The combined answer of task id's complete exchange (out empty on entry);
 * the task moves on to its next exchange. */
int ar_coord_reduced(ar_coord_state_t *st, uint64_t id, ar_fields_t *out, ar_err_t *err);

/* Validates a RESULT from rank against the task table (known id, in flight on
 * that very rank, same type, the expected seq, not after the final one) and
 * stores its body (moved out of m). AR_E_PROTO naming rank and task when the
 * result is unexpected. */
int ar_coord_accept_result(ar_coord_state_t *st, int rank, ar_msg_t *m, ar_err_t *err);

/* Hands every result that is next in task order to kind->aggregate. */
int ar_coord_drain(ar_coord_state_t *st, const ar_job_kind_t *kind, void *kstate,
                   const ar_job_ctx_t *job, ar_err_t *err);

/* 1 when every planned task has been aggregated. */
int ar_coord_round_complete(const ar_coord_state_t *st);

/* A lost worker (rank): every task in flight on it goes back to pending, to
 * be sent again (before any later task). A shared task it ran a part of
 * goes back too: its other parts' workers are freed of it and marked
 * `revoked` (the coordinator tells them with a REDUCED failed). Partial
 * results already aggregated stay; the re-run's first ones, identical
 * (tasks are deterministic, and a shared task's results do not depend on
 * how many workers run it), are then skipped. Returns how many tasks went
 * back. */
int ar_coord_requeue(ar_coord_state_t *st, int rank);

/* 1 when a message of rank about task id is left over from a run of it
 * that was taken back (rank's `revoked`): to be dropped, not checked. */
int ar_coord_stale(const ar_coord_state_t *st, int rank, uint64_t id);

/* Keeps a copy of the encoded RESULT message just accepted for task id (what
 * a checkpoint records; a re-run's results already kept are not kept twice). */
int ar_coord_keep_raw(ar_coord_state_t *st, uint64_t id, const void *raw, size_t len, ar_err_t *err);

/* Writes a checkpoint (runtime/checkpoint.h) of every task whose final
 * result is in; *ntasks gets how many, *bytes the file's size. */
int ar_coord_save(const ar_coord_state_t *st, const char *path, const char *job_text,
                  const ar_ckpt_input_t *inputs, uint32_t ninputs, uint64_t *ntasks, size_t *bytes,
                  ar_err_t *err);

/* Resume: gives every planned task from id `from` on that ck recorded its
 * recorded results (decoded with max_bytes) and marks it done, so it is
 * aggregated without being sent. AR_E_CONFIG when a recorded task differs
 * from the planned one (type or parameters). *restored counts the tasks. */
int ar_coord_restore(ar_coord_state_t *st, uint64_t from, const ar_ckpt_t *ck, size_t max_bytes,
                     uint64_t *restored, ar_err_t *err);

#endif
