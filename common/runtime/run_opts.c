/* run_opts.c - defaults and checks of the [run] options. */
#include "run_opts.h"

#include <string.h>

ar_run_opts_t ar_run_opts_default(void)
{
    ar_run_opts_t o;
    memset(&o, 0, sizeof o);
    o.heartbeat_interval = 1.0;
    o.heartbeat_timeout = 10.0;
    o.startup_timeout = 60.0;
    o.checkpoint_s = 300.0;
    o.credit = 2;
    o.shard_size = 1000;
    o.blas_threads = 0;
    strcpy(o.transport, "auto");
    strcpy(o.reduce, "tree");
    o.hwm = 1000;
    o.max_message_mb = 256;
    strcpy(o.log_level, "info");
    return o;
}

int ar_run_opts_check(const ar_run_opts_t *o, ar_err_t *err)
{
    if (!(o->heartbeat_interval >= 0.01 && o->heartbeat_interval <= 600))
        return ar_err_set(err, AR_E_CONFIG, "[run] heartbeat_interval must be in 0.01..600 s");
    if (!(o->heartbeat_timeout >= 2 * o->heartbeat_interval && o->heartbeat_timeout <= 86400))
        return ar_err_set(err, AR_E_CONFIG,
                          "[run] heartbeat_timeout must be at least 2 x heartbeat_interval");
    if (!(o->startup_timeout >= 1 && o->startup_timeout <= 86400))
        return ar_err_set(err, AR_E_CONFIG, "[run] startup_timeout must be in 1..86400 s");
    if (!(o->task_timeout >= 0 && o->task_timeout <= 1e7))
        return ar_err_set(err, AR_E_CONFIG, "[run] task_timeout_s must be in 0..1e7 s");
    if (!(o->checkpoint_s >= 0 && o->checkpoint_s <= 1e7))
        return ar_err_set(err, AR_E_CONFIG, "[run] checkpoint_s must be in 0..1e7 s");
    if (o->credit < 1 || o->credit > 64)
        return ar_err_set(err, AR_E_CONFIG, "[run] credit must be in 1..64");
    if (o->shard_size < 1) return ar_err_set(err, AR_E_CONFIG, "[run] shard_size must be >= 1");
    if (o->threads < 0 || o->threads > 1024)
        return ar_err_set(err, AR_E_CONFIG, "[run] threads must be in 0..1024");
    if (o->blas_threads < 0 || o->blas_threads > 1024)
        return ar_err_set(err, AR_E_CONFIG, "[run] blas_threads must be in 0..1024");
    if (strcmp(o->reduce, "tree") && strcmp(o->reduce, "coordinator"))
        return ar_err_set(err, AR_E_CONFIG, "[run] reduce must be tree or coordinator, not '%s'",
                          o->reduce);
    if (strcmp(o->transport, "auto") && strcmp(o->transport, "ipc") && strcmp(o->transport, "tcp"))
        return ar_err_set(err, AR_E_CONFIG, "[run] transport must be auto, ipc or tcp, not '%s'",
                          o->transport);
    if (o->hwm < 1) return ar_err_set(err, AR_E_CONFIG, "[run] hwm must be >= 1");
    if (o->max_message_mb < 1 || o->max_message_mb > 2047)
        return ar_err_set(err, AR_E_CONFIG, "[run] max_message_mb must be in 1..2047");
    return AR_OK;
}

int ar_run_opts_threads(const ar_run_opts_t *o, int cores, int ranks_on_node)
{
    if (o->threads > 0) return o->threads;
    if (o->blas_threads > 0) return o->blas_threads;
    if (ranks_on_node < 1) ranks_on_node = 1;
    int t = cores / ranks_on_node;
    return t < 1 ? 1 : t;
}
