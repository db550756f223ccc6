/* evaluate_task.c - the "evaluate" task type, the worker half: accuracy
 * counts and the confusion matrix of one shard. Contract: evaluate_params.h. */
#include "evaluate_params.h"

#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "nn/model_io.h"
#include "nn/plan.h"

AR_PARAMS_DEFINE(ar_evaluate_params, AR_EVALUATE_PARAMS)

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
    int64_t correct = 0;
    for (int64_t at = 0; !s && at < sh->count; at += batch) {
        int b = (int)(sh->count - at < batch ? sh->count - at : batch);
        w->x.shape[0] = b;
        s = ar_dataset_read_batch(ds, sh->start + at, b, p->mean.v, p->std.v, &w->x, w->labels,
                                  w->scratch, err);
        if (!s) s = ar_plan_forward(w->plan, &w->x, AR_MODE_EVAL, err);
        const ar_tensor_t *lg = s ? NULL : ar_plan_logits(w->plan);
        for (int i = 0; !s && i < b; i++) {
            int y = w->labels[i];
            if (y < 0 || y >= k) {
                s = ar_err_set(err, AR_E_FORMAT, "image %lld has label %d, the model has %d classes",
                               (long long)(sh->start + at + i), y, k);
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
    if (s) ar_err_prefix(err, "%s rows %lld..%lld", sh->label, (long long)sh->start,
                         (long long)(sh->start + sh->count));
    if (!s) s = ar_fields_put_int(res, "count", sh->count, err);
    if (!s) s = ar_fields_put_int(res, "correct", correct, err);
    if (!s) s = ar_fields_put_tensor(res, "confusion", AR_WDT_I64, 2, (int64_t[]){k, k}, conf, err);
    free(conf);
    return s;
}

const ar_task_type_t ar_task_evaluate = {.name = "evaluate", .params = ar_evaluate_params_schema,
                                         .init = task_init, .run = task_run, .destroy = task_destroy};
