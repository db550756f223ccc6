/* job_evaluate.c - the "evaluate" job kind and task type. Contract:
 * job_evaluate.h; the report writers are in eval_report.c. */
#include "job_evaluate.h"

#include <stdlib.h>
#include <string.h>

#include "config/job_config.h"
#include "core/fsutil.h"
#include "jobs/eval_report.h"
#include "jobs/sets.h"
#include "nn/model_io.h"
#include "nn/plan.h"

/* ---- worker ---------------------------------------------------------------- */

typedef struct ev_worker {
    ar_set_cache_t *cache;
    char model_path[1024];
    ar_graph_t *g;
    ar_plan_t *plan;
    int batch;
    ar_tensor_t x;
    int32_t *labels;
    uint8_t *scratch;
} ev_worker_t;

static void worker_drop_model(ev_worker_t *w)
{
    ar_plan_destroy(&w->plan);
    ar_graph_destroy(&w->g);
    ar_tensor_free(&w->x);
    free(w->labels);
    free(w->scratch);
    w->labels = NULL;
    w->scratch = NULL;
    w->model_path[0] = '\0';
}

static void task_destroy(void *state)
{
    ev_worker_t *w = state;
    if (!w) return;
    worker_drop_model(w);
    ar_set_cache_destroy(&w->cache);
    free(w);
}

static int task_init(const ar_job_ctx_t *job, void **state, ar_err_t *err)
{
    (void)job;
    ev_worker_t *w = calloc(1, sizeof *w);
    if (!w) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    w->cache = ar_set_cache_new(err);
    if (!w->cache) {
        free(w);
        return err->status;
    }
    *state = w;
    return AR_OK;
}

/* Loads the model and plans a batch, once per (model, batch). */
static int worker_model(ev_worker_t *w, const char *path, int batch, ar_err_t *err)
{
    if (w->g && !strcmp(path, w->model_path) && batch == w->batch) return AR_OK;
    worker_drop_model(w);
    w->g = ar_model_load(path, err);
    if (!w->g) return err->status;
    /* lean: only the logits are read, so activations share memory by lifetime */
    ar_plan_opts_t po = {.batch = batch, .fold_bn = 1, .lean = 1};
    w->plan = ar_plan_new(w->g, &po, err);
    if (!w->plan) return err->status;
    w->batch = batch;
    w->x = ar_tensor_4d(batch, w->g->in_c, w->g->in_h, w->g->in_w);
    w->labels = malloc((size_t)batch * sizeof *w->labels);
    w->scratch = malloc((size_t)batch * (size_t)(w->g->in_c * w->g->in_h * w->g->in_w));
    if (ar_tensor_alloc(&w->x) || !w->labels || !w->scratch)
        return ar_err_set(err, AR_E_NOMEM, "out of memory for a batch of %d", batch);
    ar_msg_strcpy(w->model_path, sizeof w->model_path, path);
    return AR_OK;
}

static int task_run(void *state, const ar_task_ctx_t *t, ar_fields_t *res, ar_err_t *err)
{
    ev_worker_t *w = state;
    const char *model;
    int64_t batch;
    const ar_wtensor_t *mean, *std;
    if (ar_fields_get_str(t->params, "model", &model, err) ||
        ar_fields_get_int(t->params, "batch", &batch, err) ||
        ar_fields_get_tensor(t->params, "mean", AR_WDT_F32, 1, &mean, err) ||
        ar_fields_get_tensor(t->params, "std", AR_WDT_F32, 1, &std, err))
        return err->status;
    if (batch < 1 || batch > 65536) return ar_err_set(err, AR_E_PROTO, "batch %lld out of range", (long long)batch);
    int s = worker_model(w, model, (int)batch, err);
    if (s) return s;
    const ar_graph_t *g = w->g;
    if (mean->shape[0] != g->in_c || std->shape[0] != g->in_c)
        return ar_err_set(err, AR_E_PROTO, "mean/std have %lld entries, the model %d channels",
                          (long long)mean->shape[0], g->in_c);
    ar_shard_t sh;
    ar_dataset_t *ds = ar_set_cache_open(w->cache, t->params, &sh, err);
    if (!ds) return err->status;
    int k = g->num_classes;
    int64_t *conf = calloc((size_t)k * (size_t)k, sizeof *conf);
    if (!conf) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    int64_t correct = 0;
    for (int64_t at = 0; !s && at < sh.count; at += batch) {
        int b = (int)(sh.count - at < batch ? sh.count - at : batch);
        w->x.shape[0] = b;
        s = ar_dataset_read_batch(ds, sh.start + at, b, mean->data, std->data, &w->x, w->labels,
                                  w->scratch, err);
        if (!s) s = ar_plan_forward(w->plan, &w->x, AR_MODE_EVAL, err);
        const ar_tensor_t *lg = s ? NULL : ar_plan_logits(w->plan);
        for (int i = 0; !s && i < b; i++) {
            int y = w->labels[i];
            if (y < 0 || y >= k) {
                s = ar_err_set(err, AR_E_FORMAT, "image %lld has label %d, the model has %d classes",
                               (long long)(sh.start + at + i), y, k);
                break;
            }
            const float *row = lg->data + (size_t)i * (size_t)k;
            int best = 0; /* argmax, first index on ties (as torch.argmax) */
            for (int c = 1; c < k; c++)
                if (row[c] > row[best]) best = c;
            conf[(size_t)y * (size_t)k + (size_t)best]++;
            correct += best == y;
        }
        if (!s && ar_task_cancelled(t)) s = ar_err_set(err, AR_E_TIMEOUT, "cancelled");
    }
    if (s) ar_err_prefix(err, "%s rows %lld..%lld", sh.label, (long long)sh.start,
                         (long long)(sh.start + sh.count));
    if (!s) s = ar_fields_put_int(res, "count", sh.count, err);
    if (!s) s = ar_fields_put_int(res, "correct", correct, err);
    if (!s) s = ar_fields_put_tensor(res, "confusion", AR_WDT_I64, 2, (int64_t[]){k, k}, conf, err);
    free(conf);
    return s;
}

const ar_task_type_t ar_task_evaluate = {
    .name = "evaluate", .init = task_init, .run = task_run, .destroy = task_destroy};

/* ---- coordinator ------------------------------------------------------------ */

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
    for (int i = 0; !s && i < r->nsets; i++) {
        const ar_set_ref_t *set = &r->sets[i];
        if (set->height != g->in_h || set->width != g->in_w || set->channels != g->in_c)
            s = ar_err_set(err, AR_E_CONFIG, "set %s: images are %dx%dx%d (HxWxC), the model %s takes %dx%dx%d",
                           set->label, set->height, set->width, set->channels, cfg->model.path,
                           g->in_h, g->in_w, g->in_c);
    }
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
    const ar_job_config_t *cfg = job->cfg;
    int64_t ch = channels;
    for (int i = 0; i < nsets; i++)
        for (int64_t a = 0; a < sets[i].count; a += job->run.shard_size) {
            int64_t n = sets[i].count - a;
            if (n > job->run.shard_size) n = job->run.shard_size;
            ar_fields_t p = {0};
            int s = ar_set_shard_params(&sets[i], i, a, n, (uint64_t)cfg->job.seed, &p, err);
            if (!s) s = ar_fields_put_str(&p, "model", model, err);
            if (!s) s = ar_fields_put_int(&p, "batch", cfg->data.batch_size, err);
            if (!s) s = ar_fields_put_tensor(&p, "mean", AR_WDT_F32, 1, &ch, mean, err);
            if (!s) s = ar_fields_put_tensor(&p, "std", AR_WDT_F32, 1, &ch, std, err);
            if (!s && phase >= 0) s = ar_fields_put_int(&p, "phase", phase, err);
            if (!s) s = ar_taskplan_add(plan, "evaluate", &p, err);
            ar_fields_clear(&p);
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
    int64_t set, want, count, correct;
    const ar_wtensor_t *conf;
    if (ar_fields_get_int(params, "set", &set, err) || ar_fields_get_int(params, "count", &want, err) ||
        ar_fields_get_int(res, "count", &count, err) || ar_fields_get_int(res, "correct", &correct, err) ||
        ar_fields_get_tensor(res, "confusion", AR_WDT_I64, 2, &conf, err))
        return err->status;
    if (set < 0 || set >= r->nsets || count != want || correct < 0 || correct > count ||
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
