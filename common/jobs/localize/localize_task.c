/* localize_task.c - the localize job's worker half: localize_scan and
 * localize_spectrum tasks over one engine per (model, batch, adversarial
 * configuration). Contract: localize_params.h, localize_job.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/localize/localize_params.h"
#include "nn/model_io.h"

typedef struct lz_worker {
    ar_set_cache_t *cache;
    char key[1400];           /* model|batch|seed|adv|eps|step|steps|mean|std of the engine */
    ar_graph_t *g;
    ar_lz_engine_t *e;
} lz_worker_t;

static void drop_engine(lz_worker_t *w)
{
    ar_lz_engine_destroy(&w->e);
    ar_graph_destroy(&w->g);
    w->key[0] = '\0';
}

static void task_destroy(void *state)
{
    lz_worker_t *w = state;
    if (!w) return;
    drop_engine(w);
    ar_set_cache_destroy(&w->cache);
    free(w);
}

static int task_init(const ar_job_ctx_t *job, void **state, ar_err_t *err)
{
    (void)job;
    lz_worker_t *w = calloc(1, sizeof *w);
    if (!w) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    if (!(w->cache = ar_set_cache_new(err))) {
        free(w);
        return err->status;
    }
    *state = w;
    return AR_OK;
}

/* The engine the task's parameters ask for (built once, reused). */
static ar_lz_engine_t *engine(lz_worker_t *w, const ar_lz_engine_params_t *p, ar_err_t *err)
{
    const ar_lz_adv_params_t *adv = &p->adversarial;
    if (p->mean.n != p->std.n)
        return ar_err_set(err, AR_E_PROTO, "localize task: engine parameters out of range"), NULL;
    const char *model = p->model;
    const float *mv = p->mean.v, *sv = p->std.v;
    long long batch = p->batch, seed = p->lz_seed, steps = adv->steps;
    double eps = adv->eps, step = adv->step;
    char key[sizeof w->key];
    int n = snprintf(key, sizeof key, "%s|%lld|%lld|%lld|%.17g|%.17g|%lld", model, batch, seed,
                     (long long)adv->adv, eps, step, steps);
    for (int64_t c = 0; c < p->mean.n && n > 0 && (size_t)n < sizeof key; c++)
        n += snprintf(key + n, sizeof key - (size_t)n, "|%.9g/%.9g", mv[c], sv[c]);
    if (w->e && !strcmp(key, w->key)) return w->e;
    drop_engine(w);
    if (!(w->g = ar_model_load(model, err))) return NULL;
    if (p->mean.n != w->g->in_c) {
        ar_err_set(err, AR_E_PROTO, "localize task: %lld mean entries, the model has %d channels",
                   (long long)p->mean.n, w->g->in_c);
        drop_engine(w);
        return NULL;
    }
    ar_adv_cfg_t a = ar_lz_adv_cfg(adv);
    if (!(w->e = ar_lz_engine_new(w->g, (int)batch, mv, sv, &a, (uint64_t)seed, err))) {
        drop_engine(w);
        return NULL;
    }
    strcpy(w->key, key);
    return w->e;
}

static int scan_run(void *state, const ar_task_ctx_t *t, ar_fields_t *res, ar_err_t *err)
{
    lz_worker_t *w = state;
    const ar_localize_scan_params_t *p = t->p;
    const ar_shard_params_t *sh = &p->shard;
    ar_lz_engine_t *e = engine(w, &p->engine, err);
    if (!e) return err->status;
    ar_dataset_t *ds = ar_set_cache_open(w->cache, sh, err);
    if (!ds) return err->status;
    uint8_t *ok = malloc((size_t)sh->count);
    if (!ok) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    int s = ar_lz_engine_scan(e, ds, sh->start, sh->count, ok, err);
    if (s) ar_err_prefix(err, "%s rows %lld..%lld", sh->label, (long long)sh->start, (long long)(sh->start + sh->count));
    if (!s) s = ar_fields_put_tensor(res, "correct", AR_WDT_U8, 1, &sh->count, ok, err);
    free(ok);
    return s;
}

static int spectrum_run(void *state, const ar_task_ctx_t *t, ar_fields_t *res, ar_err_t *err)
{
    lz_worker_t *w = state;
    const ar_localize_spectrum_params_t *p = t->p;
    const ar_shard_params_t *sh = &p->shard;
    ar_lz_engine_t *e = engine(w, &p->engine, err);
    if (!e) return err->status;
    ar_dataset_t *ds = ar_set_cache_open(w->cache, sh, err);
    if (!ds) return err->status;
    int64_t role = p->role, src = p->src, nn = ar_lz_engine_map(e)->nneurons;
    if (role != AR_LZ_MEAN && p->threshold.n != nn)
        return ar_err_set(err, AR_E_PROTO, "localize task: %lld thresholds for %lld neurons",
                          (long long)p->threshold.n, (long long)nn);
    const int64_t *iv = p->indices.v;
    int64_t n = p->indices.n, nb = ar_lz_engine_nbatches(e, n);
    for (int64_t i = 0; i < n; i++)
        if (iv[i] < sh->start || iv[i] >= sh->start + sh->count)
            return ar_err_set(err, AR_E_PROTO, "localize task: index %lld outside rows %lld..%lld",
                              (long long)iv[i], (long long)sh->start, (long long)(sh->start + sh->count));
    ar_lz_counts_t cnt;
    double *rows = malloc((size_t)(nb * nn) * sizeof *rows);
    int s = rows ? ar_lz_counts_init(&cnt, nn, err) : ar_err_set(err, AR_E_NOMEM, "out of memory");
    if (!s) {
        s = ar_lz_engine_run(e, (ar_lz_role_t)role, ds, src, iv, n, role != AR_LZ_MEAN ? p->threshold.v : NULL, &cnt, rows, err);
        if (s) ar_err_prefix(err, "%s (%lld examples)", sh->label, (long long)n);
        if (!s) s = ar_fields_put_int(res, "n_fail", cnt.n_fail, err);
        if (!s) s = ar_fields_put_int(res, "n_pass", cnt.n_pass, err);
        if (!s) s = ar_fields_put_int(res, "n_adv", cnt.n_adv, err);
        if (!s) s = ar_fields_put_tensor(res, "act_fail", AR_WDT_I64, 1, &nn, cnt.act_fail, err);
        if (!s) s = ar_fields_put_tensor(res, "act_pass", AR_WDT_I64, 1, &nn, cnt.act_pass, err);
        if (!s) s = ar_fields_put_tensor(res, "rows", AR_WDT_F64, 2, (int64_t[]){nb, nn}, rows, err);
        ar_lz_counts_free(&cnt);
    }
    free(rows);
    return s;
}

const ar_task_type_t ar_task_localize_scan = {.name = "localize_scan",
                                              .params = ar_localize_scan_params_schema,
                                              .init = task_init, .run = scan_run,
                                              .destroy = task_destroy};
const ar_task_type_t ar_task_localize_spectrum = {.name = "localize_spectrum",
                                                  .params = ar_localize_spectrum_params_schema,
                                                  .init = task_init, .run = spectrum_run,
                                                  .destroy = task_destroy};
