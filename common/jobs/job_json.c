/* job_json.c - the shared parts of the job JSON summaries (job_json.h). */
#include "job_json.h"

#include "config/job_config.h"
#include "core/fsutil.h"
#include "core/version.h"

void ar_job_json_begin(ar_strbuf_t *b, const char *kind, const ar_job_ctx_t *job)
{
    ar_strbuf_printf(b, "{\n  \"kind\": ");
    ar_strbuf_json_str(b, kind);
    ar_strbuf_printf(b, ",\n  \"job\": ");
    ar_strbuf_json_str(b, job->cfg->job.name);
    ar_strbuf_printf(b, ",\n  \"model\": ");
    ar_strbuf_json_str(b, job->cfg->model.path);
    ar_strbuf_printf(b, ",\n  \"version\": ");
    ar_strbuf_json_str(b, ar_version());
}

void ar_job_json_set(ar_strbuf_t *b, const ar_set_ref_t *s)
{
    ar_strbuf_printf(b, "{\"name\": ");
    ar_strbuf_json_str(b, s->label);
    ar_strbuf_printf(b, ", \"corruption\": ");
    ar_strbuf_json_str(b, s->corruption);
    ar_strbuf_printf(b, ", \"severity\": %d", s->severity);
}

int ar_job_json_finish(ar_strbuf_t *b, const ar_job_ctx_t *job, double wall, ar_err_t *err)
{
    ar_strbuf_printf(b, ",\n  \"ranks\": %d,\n  \"wall_seconds\": %.3f\n}\n", job->ranks, wall);
    char path[4096];
    int s = ar_json_sibling(job->cfg->job.output, path, sizeof path, err);
    if (!s && b->bad) s = ar_err_set(err, AR_E_NOMEM, "out of memory writing %s", path);
    if (!s) s = ar_write_file_atomic(path, b->p, b->n, err);
    ar_strbuf_free(b);
    return s;
}
