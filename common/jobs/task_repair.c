/* task_repair.c - the repair_candidate task type (task_repair.h). */
#include "task_repair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corrupt/corrupt.h"
#include "nn/model_io.h"
#include "repair/repair_set.h"
#include "repair/search.h"

typedef struct rw {
    ar_graph_t *g;
    char model[1024];
    char set_key[4096];       /* the repair-set parameters the set was built for */
    ar_repair_set_t set;
    int have_set;
} rw_t;

static int task_init(const ar_job_ctx_t *job, void **state, ar_err_t *err)
{
    (void)job;
    *state = calloc(1, sizeof(rw_t));
    return *state ? AR_OK : ar_err_set(err, AR_E_NOMEM, "out of memory");
}

static void task_destroy(void *state)
{
    rw_t *w = state;
    if (!w) return;
    ar_graph_destroy(&w->g);
    ar_repair_set_free(&w->set);
    free(w);
}

/* Splits a comma list of names into ids with parse; AR_E_PROTO on unknown. */
static int names_to_ids(const char *list, int (*parse)(const char *), int *ids, int max, int *n,
                        const char *what, ar_err_t *err)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int id = parse(tok);
        if (id < 0 || *n == max) return ar_err_set(err, AR_E_PROTO, "unknown or too many %s '%s'", what, tok);
        ids[(*n)++] = id;
    }
    return AR_OK;
}

static int parse_cand(const char *s) { return ar_cand_parse(s); }
static int parse_corr(const char *s) { return ar_corrupt_find(s); }

static int get_i(const ar_fields_t *p, const char *k, int64_t lo, int64_t hi, int64_t *v, ar_err_t *err)
{
    int st = ar_fields_get_int(p, k, v, err);
    if (!st && (*v < lo || *v > hi))
        st = ar_err_set(err, AR_E_PROTO, "field '%s' = %lld outside %lld..%lld", k, (long long)*v,
                        (long long)lo, (long long)hi);
    return st;
}

int ar_repair_set_cfg_from_fields(const ar_fields_t *p, int channels, ar_repair_set_cfg_t *c,
                                  ar_err_t *err)
{
    const char *path, *split, *corr;
    int64_t skip, pool, val, failing, sample, seed, batch;
    double augment;
    const ar_wtensor_t *sev, *mean, *std;
    int st;
    if ((st = ar_fields_get_str(p, "train_path", &path, err)) ||
        (st = ar_fields_get_str(p, "train_split", &split, err)) ||
        (st = ar_fields_get_str(p, "corruptions", &corr, err)) ||
        (st = get_i(p, "skip", 0, 1000000000000LL, &skip, err)) ||
        (st = get_i(p, "pool", 1, 1000000000, &pool, err)) ||
        (st = get_i(p, "val", 1, 1000000000, &val, err)) ||
        (st = get_i(p, "failing", 0, 1000000000, &failing, err)) ||
        (st = get_i(p, "sample", 0, 1000000000, &sample, err)) ||
        (st = ar_fields_get_int(p, "set_seed", &seed, err)) ||
        (st = get_i(p, "eval_batch", 1, 65536, &batch, err)) ||
        (st = ar_fields_get_float(p, "augment", &augment, err)) ||
        (st = ar_fields_get_tensor(p, "severities", AR_WDT_I64, 1, &sev, err)) ||
        (st = ar_fields_get_tensor(p, "mean", AR_WDT_F32, 1, &mean, err)) ||
        (st = ar_fields_get_tensor(p, "std", AR_WDT_F32, 1, &std, err)))
        return st;
    if (mean->shape[0] != channels || std->shape[0] != channels ||
        sev->shape[0] > AR_CORRUPT_SEVERITIES || !(augment >= 0 && augment <= 1))
        return ar_err_set(err, AR_E_PROTO, "mean/std/severities/augment do not match the model");
    *c = (ar_repair_set_cfg_t){.path = path, .split = split, .skip = skip, .pool = pool, .val = val,
                               .failing = failing, .sample = sample, .augment = augment,
                               .seed = (uint64_t)seed, .mean = mean->data, .std = std->data,
                               .batch = (int)batch};
    if ((st = names_to_ids(corr, parse_corr, c->corruptions, AR_CORRUPT_COUNT, &c->ncorruptions,
                           "corruption", err)))
        return st;
    const int64_t *sv = sev->data;
    for (int64_t i = 0; i < sev->shape[0]; i++) {
        if (sv[i] < 1 || sv[i] > AR_CORRUPT_SEVERITIES)
            return ar_err_set(err, AR_E_PROTO, "severity %lld", (long long)sv[i]);
        c->severities[c->nseverities++] = (int)sv[i];
    }
    return AR_OK;
}

/* The repair set of these parameters, built once per worker. */
static int repair_set(rw_t *w, const ar_fields_t *p, ar_err_t *err)
{
    ar_repair_set_cfg_t c;
    int st = ar_repair_set_cfg_from_fields(p, w->g->in_c, &c, err);
    if (st) return st;
    char key[4096];
    snprintf(key, sizeof key, "%s|%s|%s|%d|%d|%lld|%lld|%lld|%lld|%lld|%llu|%d|%.17g", w->model,
             c.path, c.split, c.ncorruptions, c.nseverities, (long long)c.skip, (long long)c.pool,
             (long long)c.val,
             (long long)c.failing, (long long)c.sample, (unsigned long long)c.seed, c.batch,
             c.augment);
    for (int i = 0; i < c.ncorruptions; i++) {
        size_t l = strlen(key);
        snprintf(key + l, sizeof key - l, ",%d", c.corruptions[i]);
    }
    for (int i = 0; i < c.nseverities; i++) {
        size_t l = strlen(key);
        snprintf(key + l, sizeof key - l, ";%d", c.severities[i]);
    }
    if (w->have_set && strcmp(key, w->set_key) == 0) return AR_OK;
    ar_repair_set_free(&w->set);
    w->have_set = 0;
    if ((st = ar_repair_set_build(w->g, &c, &w->set, err))) return st;
    snprintf(w->set_key, sizeof w->set_key, "%s", key);
    w->have_set = 1;
    return AR_OK;
}

typedef struct emit_ctx {
    const ar_task_ctx_t *t;
    ar_err_t *err;
    int status;
} emit_ctx_t;

static int on_epoch(void *user, const ar_epoch_report_t *r)
{
    emit_ctx_t *e = user;
    ar_fields_t f = {0};
    int st = ar_fields_put_str(&f, "phase", r->phase, e->err);
    if (!st) st = ar_fields_put_int(&f, "epoch", r->epoch, e->err);
    if (!st) st = ar_fields_put_float(&f, "train_loss", r->train_loss, e->err);
    if (!st) st = ar_fields_put_float(&f, "val_acc", r->val_acc, e->err);
    if (!st) st = ar_fields_put_float(&f, "alpha_entropy", r->alpha_entropy, e->err);
    if (!st) st = ar_task_emit(e->t, &f, e->err);
    ar_fields_clear(&f);
    e->status = st;
    return st || ar_task_cancelled(e->t);
}

/* The search configuration from the task's fields. */
static int search_cfg(const ar_fields_t *p, ar_search_cfg_t *c, ar_err_t *err)
{
    const char *method, *block, *layer, *ops;
    int64_t nodes, seed, se, fe, batch, ch, ks, so;
    double lr, flr, alr;
    int st;
    *c = ar_search_cfg_default();
    if ((st = ar_fields_get_str(p, "method", &method, err)) ||
        (st = ar_fields_get_str(p, "block", &block, err)) ||
        (st = ar_fields_get_str(p, "layer", &layer, err)) ||
        (st = ar_fields_get_str(p, "ops", &ops, err)) ||
        (st = get_i(p, "nodes", 1, AR_CELL_MAXNODES, &nodes, err)) ||
        (st = ar_fields_get_int(p, "seed", &seed, err)) ||
        (st = get_i(p, "search_epochs", 1, 100000, &se, err)) ||
        (st = get_i(p, "finetune_epochs", 0, 100000, &fe, err)) ||
        (st = get_i(p, "batch", 1, 65536, &batch, err)) ||
        (st = get_i(p, "channels", 0, 65536, &ch, err)) ||
        (st = get_i(p, "keep_shortcut", 0, 1, &ks, err)) ||
        (st = get_i(p, "seed_original", 0, 1, &so, err)) ||
        (st = ar_fields_get_float(p, "lr", &lr, err)) ||
        (st = ar_fields_get_float(p, "finetune_lr", &flr, err)) ||
        (st = ar_fields_get_float(p, "alpha_lr", &alr, err)))
        return st;
    int m = ar_method_parse(method);
    if (m < 0) return ar_err_set(err, AR_E_PROTO, "unknown method '%s'", method);
    c->method = (ar_method_t)m;
    snprintf(c->block, sizeof c->block, "%s", block);
    snprintf(c->layer, sizeof c->layer, "%s", layer);
    if ((st = names_to_ids(ops, parse_cand, c->cell.ops, AR_CAND_COUNT, &c->cell.nops, "op", err)))
        return st;
    c->cell.nodes = (int)nodes, c->cell.channels = (int)ch;
    c->cell.keep_shortcut = (int)ks, c->cell.seed_original = (int)so;
    c->cell.seed = c->seed = (uint64_t)seed;
    c->search_epochs = (int)se, c->finetune_epochs = (int)fe, c->batch = (int)batch;
    c->lr = lr, c->finetune_lr = flr, c->alpha_lr = alr;
    return AR_OK;
}

static int task_run(void *state, const ar_task_ctx_t *t, ar_fields_t *res, ar_err_t *err)
{
    rw_t *w = state;
    const char *model, *out;
    int st;
    if ((st = ar_fields_get_str(t->params, "model", &model, err)) ||
        (st = ar_fields_get_str(t->params, "out", &out, err)))
        return st;
    if (!w->g || strcmp(model, w->model) != 0) {
        ar_graph_destroy(&w->g);
        w->have_set = 0;
        if (!(w->g = ar_model_load(model, err))) return err->status;
        snprintf(w->model, sizeof w->model, "%s", model);
    }
    ar_search_cfg_t c;
    if ((st = search_cfg(t->params, &c, err)) || (st = repair_set(w, t->params, err))) return st;
    /* selection (docs/repair.md "Selection"): the held-out images clean and corrupted */
    ar_imgset_t train = {&w->set.x, w->set.y},
                val[2] = {{&w->set.xvc, w->set.yv}, {&w->set.xvk, w->set.yv}};
    c.nval = 2;
    emit_ctx_t ec = {t, err, AR_OK};
    ar_search_result_t r;
    st = ar_search_run(w->g, &c, &train, val, on_epoch, &ec, &r, err);
    if (st) return ar_err_prefix(err, "candidate block '%s' (%s)", c.block, ar_method_name(c.method));
    st = ar_model_save(r.model, out, err);
    if (!st) st = ar_fields_put_float(res, "val_acc", r.val_acc, err);
    if (!st) st = ar_fields_put_float(res, "val_clean", r.val_set_acc[0], err);
    if (!st) st = ar_fields_put_float(res, "val_corrupt", r.val_set_acc[1], err);
    if (!st) st = ar_fields_put_float(res, "val_clean0", w->set.val_clean0, err);
    if (!st) st = ar_fields_put_float(res, "val_corrupt0", w->set.val_corrupt0, err);
    if (!st) st = ar_fields_put_float(res, "first_loss", r.first_loss, err);
    if (!st) st = ar_fields_put_float(res, "last_loss", r.last_loss, err);
    if (!st) st = ar_fields_put_str(res, "genotype", r.genotype, err);
    if (!st) st = ar_fields_put_str(res, "path", out, err);
    if (!st) st = ar_fields_put_int(res, "nfailing", w->set.nfailing, err);
    if (!st) st = ar_fields_put_int(res, "nrepair", w->set.x.shape[0], err);
    if (!st) st = ar_fields_put_float(res, "pool_acc", w->set.pool_acc, err);
    ar_search_result_free(&r);
    return st;
}

const ar_task_type_t ar_task_repair = {
    .name = "repair_candidate", .init = task_init, .run = task_run, .destroy = task_destroy};
