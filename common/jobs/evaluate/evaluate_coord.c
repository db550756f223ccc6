/* evaluate_coord.c - the "evaluate" job kind, the coordinator half: plans
 * one task per shard, folds the counts in task order and writes the report
 * (evaluate_report.c). Contract: evaluate_job.h. */
#include "evaluate_job.h"

#include <stdlib.h>
#include <string.h>

#include "config/job_config.h"
#include "core/fsutil.h"
#include "jobs/evaluate/evaluate_report.h"
#include "jobs/sets.h"
#include "nn/model_io.h"

static void job_destroy(void *state)
{
    ar_eval_report_free(state);
    free(state);
}

static int job_create(const ar_job_ctx_t *job, void **state, ar_err_t *err)
{
    ar_eval_report_t *r = calloc(1, sizeof *r);
    if (!r) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    r->t0 = ar_now();
    const ar_job_config_t *cfg = job->cfg;
    /* The coordinator reads the model once, to check it fits the data before
     * any worker starts, and to learn the classes and normalisation. */
    ar_graph_t *g = ar_model_load(cfg->model.path, err);
    int s = g ? AR_OK : err->status;
    if (!s) {
        r->k = g->num_classes;
        r->channels = g->in_c;
        for (int c = 0; c < g->in_c; c++) {
            r->mean[c] = cfg->data.mean.n ? (float)cfg->data.mean.v[c] : g->mean[c];
            r->std[c] = cfg->data.std.n ? (float)cfg->data.std.v[c] : g->std[c];
        }
        if (cfg->data.mean.n && cfg->data.mean.n != g->in_c)
            s = ar_err_set(err, AR_E_CONFIG, "%s:%d: data.mean has %d entries, the model %d channels",
                           ar_job_name(cfg), ar_job_key_line(cfg, "data.mean"), cfg->data.mean.n, g->in_c);
    }
    if (!s) s = ar_sets_from_job(cfg, &r->sets, &r->nsets, err);
    if (!s) s = ar_sets_fit_model(r->sets, r->nsets, g, cfg->model.path, err);
    ar_graph_destroy(&g);
    if (!s) s = ar_eval_report_alloc(r, err);
    if (s) {
        job_destroy(r);
        return s;
    }
    *state = r;
    return AR_OK;
}

int ar_evaluate_plan(const ar_set_ref_t *sets, int nsets, const ar_job_ctx_t *job,
                     const char *model, const float *mean, const float *std, int channels,
                     int phase, ar_taskplan_t *plan, ar_err_t *err)
{
    ar_evaluate_params_t p = {.model = model, .batch = job->cfg->data.batch_size,
                              .mean = {mean, channels}, .std = {std, channels}, .phase = phase};
    for (int i = 0; i < nsets; i++)
        for (int64_t a = 0; a < sets[i].count; a += job->run.shard_size) {
            int64_t n = sets[i].count - a;
            if (n > job->run.shard_size) n = job->run.shard_size;
            p.shard = ar_set_shard(&sets[i], i, a, n, (uint64_t)job->cfg->job.seed);
            int s = ar_taskplan_add_typed(plan, &ar_task_evaluate, &p, err);
            if (s) return s;
        }
    return AR_OK;
}

static int job_plan(void *state, const ar_job_ctx_t *job, int round, ar_taskplan_t *plan,
                    ar_err_t *err)
{
    ar_eval_report_t *r = state;
    if (round > 0) return AR_OK;
    return ar_evaluate_plan(r->sets, r->nsets, job, job->cfg->model.path, r->mean, r->std,
                            r->channels, -1, plan, err);
}

static int job_aggregate(void *state, const ar_job_ctx_t *job, uint64_t id, const char *type,
                         const ar_fields_t *params, const ar_fields_t *res, int final, ar_err_t *err)
{
    (void)job, (void)id, (void)type, (void)final;
    ar_eval_report_t *r = state;
    ar_evaluate_params_t p;
    int64_t count, correct;
    const ar_wtensor_t *conf;
    if (ar_params_decode(ar_evaluate_params_schema(), params, &p, err) ||
        ar_fields_get_int(res, "count", &count, err) || ar_fields_get_int(res, "correct", &correct, err) ||
        ar_fields_get_tensor(res, "confusion", AR_WDT_I64, 2, &conf, err))
        return err->status;
    int64_t set = p.shard.set, want = p.shard.count;
    if (set >= r->nsets || count != want || correct < 0 || correct > count ||
        conf->shape[0] != r->k || conf->shape[1] != r->k)
        return ar_err_set(err, AR_E_PROTO, "result does not match its task (set %lld, %lld of %lld images)",
                          (long long)set, (long long)count, (long long)want);
    r->count[set] += count;
    r->correct[set] += correct;
    const int64_t *cv = conf->data;
    int64_t kk = (int64_t)r->k * r->k, sum = 0;
    for (int64_t i = 0; i < kk; i++) {
        r->confusion[set * kk + i] += cv[i];
        sum += cv[i];
    }
    if (sum != count) return ar_err_set(err, AR_E_PROTO, "confusion matrix sums to %lld, not %lld",
                                        (long long)sum, (long long)count);
    return AR_OK;
}

static int job_finish(void *state, const ar_job_ctx_t *job, ar_err_t *err)
{
    ar_eval_report_t *r = state;
    for (int i = 0; i < r->nsets; i++) /* every image counted exactly once */
        if (r->count[i] != r->sets[i].count)
            return ar_err_set(err, AR_E_INTERNAL, "set %s: %lld images counted, expected %lld",
                              r->sets[i].label, (long long)r->count[i], (long long)r->sets[i].count);
    return ar_eval_report_write(r, job, err);
}

const ar_job_kind_t ar_job_evaluate = {.name = "evaluate", .create = job_create, .plan = job_plan,
                                       .aggregate = job_aggregate, .finish = job_finish,
                                       .destroy = job_destroy};
