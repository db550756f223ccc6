/* job_opts.c - [run] keys of the job file -> ar_run_opts_t. */
#include "job_opts.h"

#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "proto/msg.h"

int ar_job_run_opts(const ar_job_config_t *cfg, ar_run_opts_t *o, ar_err_t *err)
{
    *o = ar_run_opts_default();
    o->heartbeat_interval = cfg->run.heartbeat_s;
    o->heartbeat_timeout = cfg->run.heartbeat_timeout_s;
    o->shard_size = (long)cfg->run.shard_size;
    o->threads = (int)cfg->run.threads;
    o->blas_threads = (int)cfg->run.blas_threads;
    if (cfg->run.log_level) ar_str_copy(o->log_level, sizeof o->log_level, cfg->run.log_level);
    o->startup_timeout = cfg->run.startup_timeout_s;
    o->task_timeout = cfg->run.task_timeout_s;
    o->checkpoint_s = cfg->run.checkpoint_s;
    o->credit = (int)cfg->run.credit;
    o->hwm = (int)cfg->run.hwm;
    o->max_message_mb = (int)cfg->run.max_message_mb;
    if (cfg->run.transport) ar_str_copy(o->transport, sizeof o->transport, cfg->run.transport);
    if (cfg->run.reduce) ar_str_copy(o->reduce, sizeof o->reduce, cfg->run.reduce);
    if (cfg->run.address) ar_str_copy(o->address, sizeof o->address, cfg->run.address);
    const char *addr = getenv("AR_ZMQ_ADDRESS");
    if (addr && *addr) ar_str_copy(o->address, sizeof o->address, addr);
    const char *tr = getenv("AR_ZMQ_TRANSPORT");
    if (tr && *tr) ar_str_copy(o->transport, sizeof o->transport, tr);
    int s = ar_run_opts_check(o, err);
    if (s) return ar_err_prefix(err, "%s", ar_job_name(cfg));
    return AR_OK;
}
