/* repair_task_candidate.c - the repair_candidate task type, the worker
 * half: one candidate searched and trained (repair_params.h). */
#include "repair_params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fold.h"
#include "core/fsutil.h"
#include "nn/model_io.h"
#include "repair/interpolate.h"
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

static int parse_cand(const char *s) { return ar_cand_parse(s); }

static int dp_exchange(void *ctx, const ar_dp_rows_t *in, float *sum, float *cat, ar_err_t *err);

/* Every part's row of len floats, gathered into all [parts * len] in part
 * order (one slot per part, nothing summed). */
static int dp_gather(const ar_task_ctx_t *t, const float *row, int len, float *all, ar_err_t *err)
{
    float none = 0;
    ar_dp_rows_t in = {.nslots = t->parts, .sum_len = 0, .cat_len = len, .sum = &none, .cat = row};
    ar_fold_part(t->parts, t->part, t->parts, &in.lo, &in.hi); /* = [part, part + 1) */
    return dp_exchange((void *)t, &in, &none, all, err);
}

/* The repair set of these parameters, built once per worker. The parts of
 * a shared task build it together (each predicts a share) unless every one
 * of them has it already: they first tell each other. */
static int repair_set(rw_t *w, const ar_repair_set_params_t *p, const ar_task_ctx_t *t,
                      ar_err_t *err)
{
    ar_repair_set_cfg_t c;
    int st = ar_repair_set_cfg_from_params(p, w->g->in_c, &c, err);
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
    int have = w->have_set && strcmp(key, w->set_key) == 0;
    if (t->parts > 1) { /* does every part have the set? */
        float mine = (float)have, *all = malloc((size_t)t->parts * sizeof *all);
        st = all ? dp_gather(t, &mine, 1, all, err) : ar_err_set(err, AR_E_NOMEM, "out of memory");
        for (int i = 0; !st && i < t->parts; i++) have &= all[i] != 0;
        free(all);
        if (st) return ar_err_prefix(err, "agreeing on the repair set");
    }
    if (have) return AR_OK;
    ar_repair_set_free(&w->set);
    w->have_set = 0;
    ar_repair_set_share_t share = {.part = t->part, .parts = t->parts, .reduce = dp_exchange,
                                   .ctx = (void *)t};
    if ((st = ar_repair_set_build_shared(w->g, &c, t->parts > 1 ? &share : NULL, &w->set, err)))
        return st;
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

/* round(total * part / whole), whole > 0 */
static int64_t share(int64_t total, int64_t part, int64_t whole)
{
    return (total * part + whole / 2) / whole;
}

/* repair.budget: the epochs of budget image-passes over n repair images
 * (every method's training epoch passes each image once through a step),
 * split as the epoch keys split them: the method's own training against the
 * whole-network epochs after it (finetune_all_epochs), archrepair's own as
 * search_epochs : finetune_epochs; the method's own at least one epoch. */
static void budget_epochs(const ar_repair_candidate_params_t *p, int64_t n, ar_search_cfg_t *c)
{
    int64_t total = p->budget / (n > 0 ? n : 1);
    if (total < 1) total = 1;
    if (total > 100000) total = 100000;
    int64_t se = p->search_epochs, fe = p->finetune_epochs;
    int64_t fa = ar_method_blockless(c->method) ? 0 : c->finetune_all_epochs;
    int64_t own = total - share(total, fa, se + fe + fa);
    if (own < 1) own = 1;
    c->finetune_all_epochs = (int)(total - own > 0 ? total - own : 0);
    if (!ar_method_cell(c->method)) {
        c->search_epochs = (int)own, c->finetune_epochs = 0; /* baselines train their sum */
        return;
    }
    int64_t s = share(own, se, se + fe);
    if (s < 1) s = 1;
    c->search_epochs = (int)s, c->finetune_epochs = (int)(own - s > 0 ? own - s : 0);
}

/* repair.resample: the candidate's own copy of the repair images, redrawn
 * before every epoch but the first (search.h). */
typedef struct redraw {
    const ar_repair_set_t *set;
    ar_repair_set_cfg_t cfg;
    ar_corrupt_ctx_t *cc;
    ar_tensor_t x;
} redraw_t;

static int redraw(void *ctx, int epoch, const int64_t *rows, int64_t nrows, ar_err_t *err)
{
    redraw_t *r = ctx;
    return ar_repair_set_redraw(r->set, &r->cfg, r->cc, epoch, rows, nrows, &r->x, err);
}

static int redraw_init(redraw_t *r, const ar_repair_set_t *set, const ar_repair_set_params_t *p,
                       int channels, ar_err_t *err)
{
    r->set = set;
    int st = ar_repair_set_cfg_from_params(p, channels, &r->cfg, err);
    if (st) return st;
    r->x = ar_tensor_4d(set->x.shape[0], set->x.shape[1], set->x.shape[2], set->x.shape[3]);
    if (ar_tensor_alloc(&r->x)) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    memcpy(r->x.data, set->x.data, (size_t)ar_tensor_numel(&r->x) * sizeof(float));
    if (r->cfg.augment > 0 &&
        !(r->cc = ar_corrupt_ctx_new(NULL, (int)set->x.shape[2], (int)set->x.shape[3],
                                     (int)set->x.shape[1], err)))
        return err->status;
    return AR_OK;
}

static void redraw_free(redraw_t *r)
{
    ar_tensor_free(&r->x);
    ar_corrupt_ctx_destroy(&r->cc);
}

/* Data-parallel candidates: the trainer's exchange (repair/trainer.h) over
 * the task's (runtime/reduce.h). */
static int dp_exchange(void *ctx, const ar_dp_rows_t *in, float *sum, float *cat, ar_err_t *err)
{
    const ar_task_ctx_t *t = ctx;
    ar_fields_t send = {0}, recv = {0};
    int64_t m = in->hi - in->lo;
    float zero = 0;
    int st = ar_fields_put_int(&send, "nslots", in->nslots, err);
    if (!st) st = ar_fields_put_int(&send, "lo", in->lo, err);
    if (!st) st = ar_fields_put_int(&send, "hi", in->hi, err);
    if (!st) st = m ? ar_fields_put_tensor(&send, "sum", AR_WDT_F32, 1, (int64_t[]){in->sum_len}, in->sum, err)
                    : ar_fields_put_tensor(&send, "sum", AR_WDT_F32, 1, (int64_t[]){0}, &zero, err);
    if (!st) st = ar_fields_put_tensor(&send, "cat", AR_WDT_F32, 2, (int64_t[]){m, in->cat_len}, in->cat, err);
    if (!st) st = ar_task_exchange(t, &send, &recv, err);
    const ar_wtensor_t *ts = NULL, *tc = NULL;
    if (!st && ((st = ar_fields_get_tensor(&recv, "sum", AR_WDT_F32, 1, &ts, err)) ||
                (st = ar_fields_get_tensor(&recv, "cat", AR_WDT_F32, 2, &tc, err))))
        st = ar_err_prefix(err, "the exchange's answer");
    if (!st && (ts->shape[0] != in->sum_len || tc->shape[0] != in->nslots || tc->shape[1] != in->cat_len))
        st = ar_err_set(err, AR_E_PROTO, "the exchange's answer: %lld + %lldx%lld values, "
                        "expected %lld + %lldx%lld", (long long)ts->shape[0], (long long)tc->shape[0],
                        (long long)tc->shape[1], (long long)in->sum_len, (long long)in->nslots,
                        (long long)in->cat_len);
    if (!st) {
        if (in->sum_len > 0) memcpy(sum, ts->data, (size_t)in->sum_len * sizeof *sum);
        if (cat && in->nslots * in->cat_len > 0)
            memcpy(cat, tc->data, (size_t)(in->nslots * in->cat_len) * sizeof *cat);
    }
    ar_fields_clear(&send);
    ar_fields_clear(&recv);
    return st;
}

/* Every part's cost, gathered (one slot per part) and added up in part
 * order; int64 counts travel as two exact floats (high and low 2^24). */
static int dp_costs(const ar_task_ctx_t *t, double *cpu, int64_t *fwd, int64_t *bwd, ar_err_t *err)
{
    const double B = 16777216.0;
    float row[5] = {(float)*cpu, (float)floor((double)*fwd / B), (float)fmod((double)*fwd, B),
                    (float)floor((double)*bwd / B), (float)fmod((double)*bwd, B)};
    float *cat = malloc((size_t)t->parts * 5 * sizeof *cat);
    int st = cat ? dp_gather(t, row, 5, cat, err) : ar_err_set(err, AR_E_NOMEM, "out of memory");
    if (!st) {
        *cpu = 0, *fwd = *bwd = 0;
        for (int p = 0; p < t->parts; p++) {
            const float *c = cat + p * 5;
            *cpu += c[0];
            *fwd += (int64_t)((double)c[1] * B + c[2]), *bwd += (int64_t)((double)c[3] * B + c[4]);
        }
    }
    free(cat);
    return st;
}

/* The search configuration of a candidate task. */
static int search_cfg(const ar_repair_candidate_params_t *p, ar_search_cfg_t *c, ar_err_t *err)
{
    *c = ar_search_cfg_default();
    int m = ar_method_parse(p->method);
    if (m < 0) return ar_err_set(err, AR_E_PROTO, "unknown method '%s'", p->method);
    c->method = (ar_method_t)m;
    snprintf(c->block, sizeof c->block, "%s", p->block);
    snprintf(c->layer, sizeof c->layer, "%s", p->layer);
    int st = ar_names_to_ids(p->ops, parse_cand, c->cell.ops, AR_CAND_COUNT, &c->cell.nops, "op", err);
    if (st) return st;
    c->cell.nodes = (int)p->nodes, c->cell.channels = (int)p->channels;
    c->cell.partial = (int)p->partial_channels;
    c->cell.keep_shortcut = (int)p->keep_shortcut, c->cell.seed_original = (int)p->seed_original;
    c->cell.seed = c->seed = (uint64_t)p->seed;
    c->search_epochs = (int)p->search_epochs, c->finetune_epochs = (int)p->finetune_epochs;
    c->batch = (int)p->batch;
    c->lr = p->lr, c->finetune_lr = p->finetune_lr, c->alpha_lr = p->alpha_lr;
    c->distill = p->distill, c->keep_best = (int)p->keep_best;
    c->finetune_all_epochs = (int)p->finetune_all_epochs;
    c->max_clean_drop = p->max_clean_drop;
    return AR_OK;
}

static int task_run(void *state, const ar_task_ctx_t *t, ar_fields_t *res, ar_err_t *err)
{
    rw_t *w = state;
    const ar_repair_candidate_params_t *p = t->p;
    const char *model = p->model, *out = p->out;
    int st;
    if (!w->g || strcmp(model, w->model) != 0) {
        ar_graph_destroy(&w->g);
        w->have_set = 0;
        if (!(w->g = ar_model_load(model, err))) return err->status;
        snprintf(w->model, sizeof w->model, "%s", model);
    }
    ar_search_cfg_t c;
    if ((st = search_cfg(p, &c, err)) || (st = repair_set(w, &p->set, t, err))) return st;
    /* selection (docs/repair.md "Selection"): the held-out images clean and corrupted */
    ar_imgset_t train = {&w->set.x, w->set.y, c.distill > 0 ? w->set.soft : NULL},
                val[2] = {{&w->set.xvc, w->set.yv, NULL}, {&w->set.xvk, w->set.yv, NULL}};
    c.nval = 2;
    c.clean0 = w->set.val_clean0;
    if (p->budget > 0) budget_epochs(p, w->set.x.shape[0], &c);
    double cpu0 = ar_cpu_seconds();
    redraw_t rd = {0};
    if (p->resample) {
        if ((st = redraw_init(&rd, &w->set, &p->set, w->g->in_c, err))) {
            redraw_free(&rd);
            return st;
        }
        train.x = &rd.x, c.resample = redraw, c.resample_ctx = &rd;
    }
    emit_ctx_t ec = {t, err, AR_OK};
    ar_dp_t dp = {.part = t->part, .parts = t->parts, .micro = (int)p->micro_batch,
                  .reduce = t->parts > 1 ? dp_exchange : NULL, .ctx = (void *)t};
    if (p->micro_batch > 0 && c.method != AR_METHOD_BN_ADAPT) c.dp = &dp;
    else if (t->parts > 1)
        return ar_err_set(err, AR_E_PROTO, "candidate %lld: shared by %d workers without "
                          "micro-batches", (long long)p->cand, t->parts);
    ar_search_result_t r;
    st = ar_search_run(w->g, &c, &train, val, on_epoch, &ec, &r, err);
    redraw_free(&rd);
    if (st) return ar_err_prefix(err, "candidate block '%s' (%s)", c.block, ar_method_name(c.method));
    if (t->parts > 1) { /* the training's cost, all parts; part 0 goes on alone */
        double pcpu = ar_cpu_seconds() - cpu0;
        int64_t pf = r.passes_fwd, pb = r.passes_bwd;
        st = dp_costs(t, &pcpu, &pf, &pb, err);
        if (st || t->part > 0) {
            ar_search_result_free(&r);
            return st;
        }
        cpu0 -= pcpu - (ar_cpu_seconds() - cpu0); /* cpu below: the parts' training + ours after */
        r.passes_fwd = pf, r.passes_bwd = pb;
    }
    /* interpolation to the clean bound (docs/repair.md): methods that keep
     * the architecture, and archrepair's cell beside the original branch;
     * the validation numbers are then the kept model's */
    ar_interp_result_t ir = {.a = 1};
    if (p->interpolate && ar_interp_supported(w->g, r.model)) {
        st = ar_interp_to_bound(w->g, r.model, val, (int)p->set.eval_batch,
                                w->set.val_clean0 - p->max_clean_drop, &ir, err);
        if (!st) {
            r.val_set_acc[0] = ir.val_clean, r.val_set_acc[1] = ir.val_corrupt;
            r.val_acc = 0.5 * (ir.val_clean + ir.val_corrupt); /* the two sets are equal-sized */
        }
    }
    double cpu = ar_cpu_seconds() - cpu0; /* the candidate's training and selection, not the set */
    if (!st && !p->probe) st = ar_model_save(r.model, out, err);
    if (!st) st = ar_fields_put_float(res, "val_acc", r.val_acc, err);
    if (!st) st = ar_fields_put_float(res, "val_clean", r.val_set_acc[0], err);
    if (!st) st = ar_fields_put_float(res, "val_corrupt", r.val_set_acc[1], err);
    if (!st) st = ar_fields_put_float(res, "val_clean0", w->set.val_clean0, err);
    if (!st) st = ar_fields_put_float(res, "val_corrupt0", w->set.val_corrupt0, err);
    if (!st) st = ar_fields_put_float(res, "first_loss", r.first_loss, err);
    if (!st) st = ar_fields_put_float(res, "last_loss", r.last_loss, err);
    if (!st) st = ar_fields_put_str(res, "genotype", r.genotype, err);
    if (!st) st = ar_fields_put_str(res, "path", p->probe ? "" : out, err);
    if (!st) st = ar_fields_put_int(res, "nfailing", w->set.nfailing, err);
    if (!st) st = ar_fields_put_int(res, "nrepair", w->set.x.shape[0], err);
    if (!st) st = ar_fields_put_float(res, "pool_acc", w->set.pool_acc, err);
    if (!st) st = ar_fields_put_float(res, "interp", ir.a, err);
    if (!st) st = ar_fields_put_int(res, "cost_fwd", r.passes_fwd + ir.passes_fwd, err);
    if (!st) st = ar_fields_put_int(res, "cost_bwd", r.passes_bwd, err);
    if (!st) st = ar_fields_put_float(res, "cost_cpu_s", cpu, err);
    if (!st) st = ar_fields_put_int(res, "kept_epoch", r.kept_epoch, err);
    if (!st) st = ar_fields_put_int(res, "workers", t->parts, err);
    ar_search_result_free(&r);
    return st;
}

const ar_task_type_t ar_task_repair = {.name = "repair_candidate",
                                       .params = ar_repair_candidate_params_schema,
                                       .init = task_init, .run = task_run, .destroy = task_destroy};
