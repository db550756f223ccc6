/* worker.h - the worker role: connect to the coordinator, say HELLO, ask for
 * tasks with READY credit, run each with its registered task type, stream the
 * results back, heartbeat from a separate thread, stop on SHUTDOWN.
 *
 * The same function runs on MPI ranks 1..N-1 and, with one rank, in a thread
 * of rank 0 (over the same sockets), so both paths are one code path. It
 * never calls MPI.
 */
#ifndef AR_WORKER_WORKER_H
#define AR_WORKER_WORKER_H

#include <signal.h>
#include "comm/transport.h"
#include "runtime/registry.h"

/* Where a worker's reduction-tree socket is (runtime/reduce.h "the
 * reduction tree"). */
typedef struct ar_peer_addr {
    char endpoint[128];             /* "" when that rank has none */
    char pub[41];                   /* its CURVE public key (Z85) */
} ar_peer_addr_t;

typedef struct ar_worker_cfg {
    int rank;                       /* MPI rank this worker speaks for */
    const char *host;               /* host name reported in HELLO / ERROR */
    const char *endpoint;           /* the coordinator's ZeroMQ endpoint (tasks, results) */
    const char *hb_endpoint;        /* its heartbeat endpoint (answered by the coordinator's
                                       heartbeat thread); NULL = endpoint */
    const char *server_pub;         /* the coordinator's CURVE public key */
    ar_curve_keypair_t keys;        /* this worker's per-job keypair */
    const ar_registry_t *reg;       /* task types */
    const ar_job_ctx_t *job;        /* the job (run options, log) */
    int blas_threads;               /* reported in HELLO (already applied) */
    int fault_mode;                 /* test hook: AR_FAULT_* (main.c: $AR_FAULT) */
    int fault_after;                /* ... applied after this many completed tasks
                                       (stop-exchange: exchanges of shared tasks) */
    /* Set (to the signal number) by a SIGTERM / SIGINT handler: the running
     * task is cancelled, the coordinator told (ERROR), and the worker waits
     * for its SHUTDOWN as usual. May be NULL. */
    const volatile sig_atomic_t *stop;
    /* [run] reduce = "tree": this worker's own server (the workers below it
     * in a shared task's tree connect to it; it admits every worker key) and
     * every rank's address, indexed by rank (main.c makes them for repair
     * jobs with micro-batches on two workers or more). NULL: shared tasks
     * exchange through the coordinator. */
    ar_server_t *peer_server;
    const ar_peer_addr_t *peers;
    int npeers;
} ar_worker_cfg_t;

/* Injected faults, so tests can show how a job ends when a worker dies,
 * hangs or fails (SIGKILL itself, SIGSTOP itself, fail the task, get stuck
 * in the task while still heartbeating), how
 * work is balanced around a straggler (sleep 50 ms before each task), and
 * how a shared task survives a lost part (SIGSTOP itself before its
 * exchange number fault_after + 1: in the middle of a shared task), and a
 * worker killed while idle (SIGKILL itself once it has waited 0.3 s for a
 * message after fault_after tasks: the coordinator's next TASK to it
 * fails to send). */
enum { AR_FAULT_NONE, AR_FAULT_KILL, AR_FAULT_STOP, AR_FAULT_ERROR, AR_FAULT_SLOW, AR_FAULT_HANG,
       AR_FAULT_LONG, AR_FAULT_STOP_EXCHANGE, AR_FAULT_KILL_IDLE };

/* Runs until SHUTDOWN. Returns AR_OK and sets *job_failed from the
 * SHUTDOWN message, or an error status with err set when the worker could
 * not take part (coordinator silent past the heartbeat timeout, socket
 * failure). A task failure is reported to the coordinator as ERROR and the
 * worker then waits for SHUTDOWN. */
int ar_worker_run(const ar_worker_cfg_t *cfg, int *job_failed, ar_err_t *err);

#endif
