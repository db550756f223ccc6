/* job_json.h - the JSON summary every job kind writes beside its output
 * (<output without .h5>.json; docs/results.md): the same opening fields
 * (kind, job name, model, program version), the same description of each
 * set, and the same closing fields (ranks, wall seconds), written to a
 * temporary name and renamed into place like the HDF5 output. A job kind
 * appends its own fields between ar_job_json_begin and ar_job_json_finish.
 */
#ifndef AR_JOBS_JOB_JSON_H
#define AR_JOBS_JOB_JSON_H

#include "core/strbuf.h"
#include "jobs/sets.h"
#include "runtime/registry.h"

/* Starts b with "{", "kind", "job" (job.name), "model" (model.path, "" when
 * the job has none) and "version" (ar_version); the caller continues with
 * ",\n  \"key\": ...". */
void ar_job_json_begin(ar_strbuf_t *b, const char *kind, const ar_job_ctx_t *job);

/* Appends "{\"name\": label, \"corruption\": ..., \"severity\": N" for one set
 * (corruption "" and severity 0 for the clean set); the caller appends its
 * own fields and the closing "}". */
void ar_job_json_set(ar_strbuf_t *b, const ar_set_ref_t *s);

/* Appends "ranks" and "wall_seconds", closes the object and writes b to
 * the .json sibling of job.output atomically; frees b. AR_E_NOMEM when an
 * append failed, an I/O error naming the file otherwise. */
int ar_job_json_finish(ar_strbuf_t *b, const ar_job_ctx_t *job, double wall, ar_err_t *err);

#endif
