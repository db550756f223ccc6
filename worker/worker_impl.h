/* worker_impl.h - the worker's state, shared by its task loop (worker.c)
 * and its shared tasks' exchanges (exchange.c). Not part of any interface.
 */
#ifndef AR_WORKER_WORKER_IMPL_H
#define AR_WORKER_WORKER_IMPL_H

#include <stdint.h>

#include "proto/msg.h"
#include "worker.h"

/* Shared between the task loop and the heartbeat thread (atomics only). */
typedef struct hb {
    const ar_worker_cfg_t *cfg;
    ar_net_opts_t net;
    int stop;            /* set by the task loop to end the thread */
    int lost;            /* set by the thread: coordinator silent past the timeout */
    int cancel;          /* set by the thread on SHUTDOWN or loss: tasks stop early */
    uint64_t done;       /* tasks finished (reported in heartbeats) */
    int failed;          /* the thread could not run; message in err */
    ar_err_t err;
} hb_t;

/* State of the task loop. */
typedef struct wk {
    const ar_worker_cfg_t *cfg;
    ar_client_t *c;                 /* the task connection to the coordinator */
    hb_t *hb;
    size_t max;
    void *tstate[AR_REGISTRY_MAX];  /* per task type, created on first use */
    int tinit[AR_REGISTRY_MAX];
    ar_job_ctx_t task_job;          /* the job as tasks see it: no parsed config */
    ar_msg_t *backlog;              /* TASK / SHUTDOWN received during a shared task's
                                       exchange, handled after it, in order */
    int nback, capback;
    uint64_t exchanges;             /* exchanges made, counted only under the stop-exchange
                                       test hook */
    ar_client_t **up;               /* [cfg->npeers] reduction-tree links to the workers
                                       above this one, by rank, made on first use */
    double tree_in, tree_out;       /* bytes received / sent on reduction-tree links */
} wk_t;

/* One running task: where its results go. */
typedef struct run {
    wk_t *w;
    uint32_t seq;        /* next result's seq */
    uint64_t step;       /* a shared task's next exchange */
    uint32_t attempt;    /* the TASK's sending */
    const int32_t *members; /* [parts] the TASK's ranks (borrowed from it) */
    int taken_back;      /* the coordinator took the task back (REDUCED failed) */
} run_t;

/* Encodes and sends one message on a client connection. */
int ar_wk_send(ar_client_t *c, const ar_msg_t *m, size_t max, ar_err_t *err);
/* Receives and decodes one message from the coordinator on the task
 * connection, waiting up to timeout_ms (*got = 0: none came). */
int ar_wk_recv(wk_t *w, int timeout_ms, ar_msg_t *m, int *got, ar_err_t *err);
/* Keeps a TASK / SHUTDOWN / REDUCED that came during an exchange for the
 * loop (moved out of *m). */
int ar_wk_backlog_push(wk_t *w, ar_msg_t *m, ar_err_t *err);

/* ar_task_exchange of a shared task (user: its run_t): through the
 * coordinator, or along the reduction tree when the worker has one. */
int ar_wk_exchange(void *user, const ar_task_ctx_t *t, ar_fields_t *send, ar_fields_t *recv,
                   ar_err_t *err);

#endif
