/* run_opts.h - the [run] options of a job: how the distributed runtime runs
 * it (never what it computes: results do not depend on any of these).
 *
 * Keys (all optional) and defaults, as documented in cluster/README.md:
 *   heartbeat_interval  1.0 s    both directions
 *   heartbeat_timeout  10.0 s    a peer silent this long fails the job
 *   startup_timeout    60.0 s    a worker must say HELLO within this
 *   task_timeout        0 s      no result from a task this long fails the job (0 = off)
 *   checkpoint_s      300 s      checkpoint at most this often within a round (0 = round ends only)
 *   credit               2       tasks a worker asks for ahead
 *   shard_size        1000       images per task for data-parallel jobs
 *   threads              0       threads per rank for every plan of every task and
 *                                for OpenBLAS; 0 = cores per node / ranks per node
 *   blas_threads         0       the older name of threads (threads wins)
 *   transport        "auto"      "auto" | "ipc" | "tcp"
 *   reduce           "tree"      "tree" | "coordinator": shared tasks' exchanges
 *   address             ""       IPv4 address or interface to bind (multi-host);
 *                                $AR_ZMQ_ADDRESS overrides when set
 *   hwm               1000       ZeroMQ high-water mark (messages)
 *   max_message_mb     256       largest accepted message
 *   log_level         "info"
 */
#ifndef AR_RUNTIME_RUN_OPTS_H
#define AR_RUNTIME_RUN_OPTS_H

#include "core/error.h"

typedef struct ar_run_opts {
    double heartbeat_interval;  /* seconds between heartbeats */
    double heartbeat_timeout;   /* seconds of silence that fail the job */
    double startup_timeout;     /* seconds a worker has to say HELLO */
    double task_timeout;        /* seconds without a result from a task; 0 = no limit */
    double checkpoint_s;        /* seconds between checkpoints within a round; 0 = round ends only */
    int credit;                 /* initial READY credit of a worker (1..64) */
    long shard_size;            /* items per data-parallel task (>= 1) */
    int threads;                /* per rank; 0 = automatic */
    int blas_threads;           /* older name of threads; 0 = not given */
    char transport[8];          /* "auto", "ipc" or "tcp" */
    char reduce[16];            /* "tree" or "coordinator": where shared tasks' exchanges add up */
    char address[64];           /* bind address or interface; "" = automatic */
    int hwm;                    /* ZeroMQ high-water mark */
    int max_message_mb;         /* maximum message size in MiB */
    char log_level[8];          /* debug, info, warn, error */
} ar_run_opts_t;

/* The defaults above. */
ar_run_opts_t ar_run_opts_default(void);

/* Checks ranges (timeout > 2 x interval, credit 1..64, ...); AR_E_CONFIG
 * naming the key on failure. */
int ar_run_opts_check(const ar_run_opts_t *o, ar_err_t *err);

/* Threads for a rank (its plans and OpenBLAS): o->threads when > 0, else
 * o->blas_threads when > 0, else max(1, cores / ranks_on_node). */
int ar_run_opts_threads(const ar_run_opts_t *o, int cores, int ranks_on_node);

#endif
