/* preflight.h - fail fast: what a job needs from the filesystem, checked
 * before any work (by `archrepair config check` and by archrepair-coord's
 * rank 0 before the workers start), so a job does not find out after an
 * hour that its output directory does not exist.
 *
 * Checked: the output file's directory exists and is writable; the model
 * opens and its input fits every image set of the job (channels, height,
 * width) and, for repair jobs, the repair source; every data path opens
 * (each set is counted); every corruption name in data.corrupted
 * (generated sets) and repair.corruptions is a corruption or a category.
 * The error is one line naming the key and its line ("job.toml:7: key
 * 'model.path': ...").
 */
#ifndef AR_JOBS_PREFLIGHT_H
#define AR_JOBS_PREFLIGHT_H

#include "config/job_config.h"
#include "core/error.h"

int ar_job_preflight(const ar_job_config_t *cfg, ar_err_t *err);

#endif
