/* evaluate_task.c - the "evaluate" task type, the worker half: accuracy
 * counts and the confusion matrix of one shard. Contract: evaluate_params.h. */
#include "evaluate_params.h"

#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/str.h"
#include "nn/evaluate.h"
#include "nn/model_io.h"
#include "nn/plan.h"

AR_PARAMS_DEFINE(ar_evaluate_params, AR_EVALUATE_PARAMS)

typedef struct ev_worker {
    ar_set_cache_t *cache;
    char model_path[1024];
    ar_graph_t *g;
    ar_plan_t *plan;
    int batch;
    ar_dataset_rows_t rows;   /* batch buffers; ds, mean and std set per task */
} ev_worker_t;

static void worker_drop_model(ev_worker_t *w)
{
    ar_plan_destroy(&w->plan);
    ar_graph_destroy(&w->g);
    ar_dataset_rows_free(&w->rows);
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
    if (ar_dataset_rows_alloc(&w->rows, batch, w->g->in_c, w->g->in_h, w->g->in_w, err))
        return err->status;
    ar_str_copy(w->model_path, sizeof w->model_path, path);
    return AR_OK;
}

/* The evaluation loop's per-batch hook: stop when the job is torn down. */
static int stop_if_cancelled(void *task, const ar_eval_result_t *so_far, ar_err_t *err)
{
    (void)so_far;
    return ar_task_cancelled(task) ? ar_err_set(err, AR_E_TIMEOUT, "cancelled") : AR_OK;
}

static int task_run(void *state, const ar_task_ctx_t *t, ar_fields_t *res, ar_err_t *err)
{
    ev_worker_t *w = state;
    const ar_evaluate_params_t *p = t->p;
    const ar_shard_params_t *sh = &p->shard;
    int64_t batch = p->batch;
    int s = worker_model(w, p->model, (int)batch, err);
    if (s) return s;
    const ar_graph_t *g = w->g;
    if (p->mean.n != g->in_c || p->std.n != g->in_c)
        return ar_err_set(err, AR_E_PROTO, "mean/std have %lld entries, the model %d channels",
                          (long long)p->mean.n, g->in_c);
    ar_dataset_t *ds = ar_set_cache_open(w->cache, sh, err);
    if (!ds) return err->status;
    int k = g->num_classes;
    int64_t *conf = calloc((size_t)k * (size_t)k, sizeof *conf);
    if (!conf) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    w->rows.ds = ds, w->rows.mean = p->mean.v, w->rows.std = p->std.v;
    ar_eval_opts_t eo = {.start = sh->start, .count = sh->count, .read = ar_dataset_rows_read,
                         .read_ctx = &w->rows, .confusion = conf,
                         .after_batch = stop_if_cancelled, .hook_ctx = (void *)t};
    ar_eval_result_t r;
    s = ar_evaluate(w->plan, &eo, &r, err);
    if (s) ar_err_prefix(err, "%s rows %lld..%lld", sh->label, (long long)sh->start,
                         (long long)(sh->start + sh->count));
    if (!s) s = ar_fields_put_int(res, "count", sh->count, err);
    if (!s) s = ar_fields_put_int(res, "correct", r.correct, err);
    if (!s) s = ar_fields_put_tensor(res, "confusion", AR_WDT_I64, 2, (int64_t[]){k, k}, conf, err);
    free(conf);
    return s;
}

const ar_task_type_t ar_task_evaluate = {.name = "evaluate", .params = ar_evaluate_params_schema,
                                         .init = task_init, .run = task_run, .destroy = task_destroy};
