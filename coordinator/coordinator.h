/* coordinator.h - the coordinator role: plan tasks with the job kind, hand
 * them out against worker credit, validate and aggregate results in task
 * order, watch heartbeats, end the job (SHUTDOWN / BYE) and write the output.
 * It never calls MPI; main.c does the bootstrap around it.
 */
#ifndef AR_COORDINATOR_COORDINATOR_H
#define AR_COORDINATOR_COORDINATOR_H

#include <signal.h>

#include "comm/transport.h"
#include "runtime/checkpoint.h"
#include "runtime/registry.h"

typedef struct ar_coord_cfg {
    const ar_job_kind_t *kind;      /* the job's kind */
    const ar_job_ctx_t *job;
    ar_server_t *server;            /* bound, with every worker key admitted */
    /* Heartbeats: a second server (same keys) that the coordinator's
     * heartbeat thread alone uses, answering every worker's beat whatever the
     * event loop is doing (a long create / plan / aggregate / finish). NULL:
     * heartbeats arrive on `server` and the event loop answers them. */
    ar_server_t *hb_server;
    const int *worker_ranks;        /* ranks that run workers */
    int nworkers;
    /* Called once when every worker has both connections up (HELLO and a
     * heartbeat seen), e.g. to unlink an ipc:// socket nobody else may use;
     * may be NULL. */
    void (*all_connected)(void *user);
    void *user;
    /* Checkpoints (runtime/checkpoint.h): written to ckpt_path at the end of
     * every round, every [run] checkpoint_s seconds while new results came
     * in, and when the job fails or is interrupted; removed once the output
     * is written. inputs: the job's input files, as recorded. NULL ckpt_path:
     * none. */
    const char *ckpt_path;
    const ar_ckpt_input_t *inputs;
    uint32_t ninputs;
    /* --resume: the checkpoint read (its tasks are not run again); NULL
     * starts afresh. */
    const ar_ckpt_t *resume;
    /* Set (to the signal number) by a SIGTERM / SIGINT handler: checkpoint,
     * stop the workers, return AR_E_INTERRUPTED. May be NULL. */
    const volatile sig_atomic_t *stop;
} ar_coord_cfg_t;

/* Runs the job to the end. Returns AR_OK when every task was aggregated and
 * the output written; otherwise the first failure (a worker's ERROR, a
 * heartbeat timeout, a malformed message, an aggregation error) with a
 * message naming the rank and host, or AR_E_INTERRUPTED after a signal
 * (a checkpoint is written in every failing case where results were in, so
 * --resume can continue). *clean is 1 when every worker
 * acknowledged SHUTDOWN with BYE (so MPI can finalize normally); 0 means
 * main must MPI_Abort. */
int ar_coord_run(const ar_coord_cfg_t *cfg, int *clean, ar_err_t *err);

#endif
