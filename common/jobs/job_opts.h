/* job_opts.h - the runtime's [run] options from a loaded job file.
 *
 * Maps ar_job_config_t's run.* keys onto ar_run_opts_t and applies the
 * environment overrides AR_ZMQ_ADDRESS (bind address or interface name, for
 * sites where the job file is shared but the network differs) and
 * AR_ZMQ_TRANSPORT ("auto", "ipc" or "tcp").
 */
#ifndef AR_JOBS_JOB_OPTS_H
#define AR_JOBS_JOB_OPTS_H

#include "config/job_config.h"
#include "runtime/run_opts.h"

/* Fills *o (defaults first) and checks it; AR_E_CONFIG naming the key. */
int ar_job_run_opts(const ar_job_config_t *cfg, ar_run_opts_t *o, ar_err_t *err);

#endif
