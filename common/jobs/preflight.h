/* preflight.h - fail fast: what a job needs from the filesystem, checked
 * before any work (by `archrepair config check` and by archrepair-coord's
 * rank 0 before the workers start), so a job does not find out after an
 * hour that its output directory does not exist.
 *
 * Checked: the output file's directory exists and is writable; every
 * corruption name in data.corrupted (generated sets) and repair.corruptions
 * is a corruption or a category; for repair jobs the repair source opens
 * and holds skip + pool + val images; with model_and_sets, the model opens
 * and its input fits every image set of the job (channels, height, width;
 * ar_sets_fit_model, which the job kinds' create calls too) and the repair
 * source, and every data path opens (each set is counted).
 * The error is one line naming the key and its line ("job.toml:7: key
 * 'model.path': ...").
 */
#ifndef AR_JOBS_PREFLIGHT_H
#define AR_JOBS_PREFLIGHT_H

#include "config/job_config.h"
#include "core/error.h"

/* model_and_sets = 0 leaves out opening the model and the job's image sets:
 * archrepair-coord passes 0, because its job kind's create opens and checks
 * them right after (the same files are not read twice); config check
 * passes 1. */
int ar_job_preflight(const ar_job_config_t *cfg, int model_and_sets, ar_err_t *err);

#endif
