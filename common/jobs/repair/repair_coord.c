/* repair_coord.c - the repair job kind, the coordinator half: candidates,
 * rounds, successive halving, selection (repair_job.h). */
#include "repair_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/job_config.h"
#include "core/fsutil.h"
#include "core/rng.h"
#include "core/str.h"
#include "corrupt/corrupt.h"
#include "io/h5.h"
#include "jobs/evaluate/evaluate_job.h"
#include "jobs/localize/localize_job.h"
#include "jobs/repair/repair_coord.h"
#include "jobs/repair/repair_plan.h"
#include "jobs/sets.h"
#include "nn/model_io.h"
#include "repair/search.h"
#include "repair/select.h"
#include "runtime/checkpoint.h"

/* Removes every candidate model file this job may have written (they are
 * named by candidate and rung): after success, and after a failure unless
 * a checkpoint (<output>.ckpt) was kept, whose results name them and which
 * --resume continues from (runtime/checkpoint.h). */
static void remove_candidate_files(const ar_repair_job_t *r, int unless_checkpoint)
{
    char path[1100];
    if (unless_checkpoint && !ar_ckpt_path(r->output, path, sizeof path) && ar_file_size(path) >= 0)
        return;
    for (int i = 0; i < r->nc; i++)
        for (int k = 0; k < r->rungs; k++) {
            snprintf(path, sizeof path, "%s.cand%03d.r%d.h5", r->output, i, k);
            remove(path);
        }
}

static void job_destroy(void *state)
{
    ar_repair_job_t *r = state;
    if (!r) return;
    remove_candidate_files(r, 1);
    free(r->sets);
    for (int p = 0; p < 2; p++) free(r->cnt[p]), free(r->ok[p]);
    for (int i = 0; i < r->nblocks; i++) free(r->blocks[i]);
    free(r->blocks);
    free(r->scores);
    free(r->order);
    free(r->hist);
    free(r->probes);
    free(r->c);
    free(r);
}

static int cfg_err(const ar_job_config_t *cfg, const char *key, ar_err_t *err, const char *what)
{
    return ar_err_set(err, AR_E_CONFIG, "%s:%d: key '%s' %s", ar_job_name(cfg),
                      ar_job_key_line(cfg, key), key, what);
}

/* The candidates of one method: targets x variants (repair_job.h), appended. */
static int method_candidates(ar_repair_job_t *r, const ar_job_ctx_t *job, int method, ar_err_t *err)
{
    const ar_job_config_t *cfg = job->cfg;
    /* layer without an explicit layer retrains the most suspicious one when
     * localization named it */
    int one_layer = method == AR_METHOD_LAYER && !cfg->repair.layer[0] && r->top_layer[0];
    int ntarget, nv;
    int st = ar_repair_method_shape(cfg, r->nblocks, method, one_layer, &ntarget, &nv, err);
    if (st) return st;
    int nn = ar_method_cell(method) ? cfg->repair.nodes.n : 1;
    int ns = method == AR_METHOD_BN_ADAPT ? 1 : cfg->repair.seeds.n;
    int nl = method == AR_METHOD_BN_ADAPT ? 1 : cfg->repair.lrs.n;
    ar_repair_cand_t *c = realloc(r->c, (size_t)(r->nc + ntarget * nv) * sizeof *c);
    if (!c) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    r->c = c;
    for (int b = 0; b < ntarget; b++) {
        const char *blk = ar_method_blockless(method)  ? ""
                          : one_layer            ? r->top_layer_block
                          : cfg->repair.blocks.n ? cfg->repair.blocks.v[b]
                                                 : r->blocks[r->order[b]];
        int known = ar_method_blockless(method) || one_layer;
        for (int i = 0; i < r->nblocks && !known; i++) known = strcmp(r->blocks[i], blk) == 0;
        if (!known) return cfg_err(cfg, "repair.blocks", err, "names a block the model does not have");
        for (int a = 0; a < nn; a++)
            for (int si = 0; si < ns; si++)
                for (int l = 0; l < nl; l++) {
                    c = &r->c[r->nc++];
                    memset(c, 0, sizeof *c);
                    c->method = method;
                    snprintf(c->block, sizeof c->block, "%s", blk);
                    c->nodes = (int)cfg->repair.nodes.v[ar_method_cell(method) ? a : 0];
                    c->vseed = cfg->repair.seeds.v[si];
                    c->lr = cfg->repair.lrs.v[l];
                    if (ar_method_cell(method))
                        snprintf(c->variant, sizeof c->variant, "nodes=%d,seed=%lld,lr=%g", c->nodes,
                                 (long long)c->vseed, c->lr);
                    else if (method == AR_METHOD_BN_ADAPT)
                        snprintf(c->variant, sizeof c->variant, "-");
                    else
                        snprintf(c->variant, sizeof c->variant, "seed=%lld,lr=%g",
                                 (long long)c->vseed, c->lr);
                    /* the same identity (and so the same seed, the same repair-set
                     * split and batch order) for every method: methods are
                     * compared on common random numbers */
                    uint64_t lrbits;
                    memcpy(&lrbits, &c->lr, sizeof lrbits);
                    uint64_t ids[4] = {ar_rng_hash_str(blk), (uint64_t)c->nodes, (uint64_t)c->vseed,
                                       lrbits};
                    c->seed = ar_rng_key((uint64_t)cfg->job.seed, ids, 4) >> 11; /* fits int64 */
                    c->alive = 1, c->rung = -1, c->val_acc = -1;
                }
    }
    return AR_OK;
}

/* The population: each method's candidates, in the order of the methods. */
static int make_candidates(ar_repair_job_t *r, const ar_job_ctx_t *job, ar_err_t *err)
{
    for (int m = 0; m < r->nmethods; m++) {
        int s = method_candidates(r, job, r->methods[m], err);
        if (s) return s;
    }
    return AR_OK;
}

static int job_create(const ar_job_ctx_t *job, void **state, ar_err_t *err)
{
    const ar_job_config_t *cfg = job->cfg;
    ar_repair_job_t *r = calloc(1, sizeof *r);
    if (!r) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    r->t0 = ar_now();
    r->best = -1;
    r->rungs = (int)cfg->repair.rungs;
    snprintf(r->output, sizeof r->output, "%s", cfg->job.output);
    ar_repair_iso_now(r->started, sizeof r->started);
    if (cfg->repair.methods.n) {
        for (int i = 0; i < cfg->repair.methods.n && i < AR_METHOD_COUNT; i++)
            r->methods[r->nmethods++] = ar_method_parse(cfg->repair.methods.v[i]);
    } else {
        r->methods[r->nmethods++] = ar_method_parse(cfg->repair.method);
    }
    ar_graph_t *g = ar_model_load(cfg->model.path, err);
    int s = g ? AR_OK : err->status;
    if (!s && g->in_c > 4) s = ar_err_set(err, AR_E_CONFIG, "%s: more than 4 channels", cfg->model.path);
    if (!s) {
        r->k = g->num_classes, r->channels = g->in_c;
        if (cfg->data.mean.n && cfg->data.mean.n != g->in_c)
            s = cfg_err(cfg, "data.mean", err, "has another channel count than the model");
        for (int c = 0; !s && c < g->in_c; c++) {
            r->mean[c] = cfg->data.mean.n ? (float)cfg->data.mean.v[c] : g->mean[c];
            r->std[c] = cfg->data.std.n ? (float)cfg->data.std.v[c] : g->std[c];
        }
    }
    /* augmentation corruptions as names (categories and "all" expanded, each once) */
    for (int i = 0; !s && i < cfg->repair.corruptions.n; i++) {
        int ids[AR_CORRUPT_COUNT], m = ar_corrupt_expand(cfg->repair.corruptions.v[i], ids);
        if (m < 0) s = cfg_err(cfg, "repair.corruptions", err, "names an unknown corruption");
        for (int k = 0; k < m; k++) {
            if (r->in_pool[ids[k]]) continue;
            r->in_pool[ids[k]] = 1;
            ar_str_list_add(r->corr_list, sizeof r->corr_list, ar_corrupt_name(ids[k]));
        }
    }
    if (!s && cfg->repair.augment > 0 && (!r->corr_list[0] || !cfg->repair.severities.n))
        s = cfg_err(cfg, "repair.augment", err, "> 0 needs corruptions and severities");
    if (!s) s = ar_repair_rank_init(r, job, g, &r->localize, err);
    r->base = r->localize;
    if (!s) s = ar_sets_from_job(cfg, &r->sets, &r->nsets, err);
    if (!s) s = ar_sets_fit_model(r->sets, r->nsets, g, cfg->model.path, err);
    ar_graph_destroy(&g);
    for (int i = 0; !s && i < cfg->repair.blocks.n; i++) {
        int known = 0;
        for (int b = 0; b < r->nblocks && !known; b++) known = !strcmp(r->blocks[b], cfg->repair.blocks.v[i]);
        if (!known) s = cfg_err(cfg, "repair.blocks", err, "names a block the model does not have");
    }
    if (!s && !cfg->repair.ops.n) s = cfg_err(cfg, "repair.ops", err, "must list at least one op");
    for (int i = 0; !s && i < cfg->repair.ops.n; i++) ar_str_list_add(r->ops, sizeof r->ops, cfg->repair.ops.v[i]);
    if (!s && r->localize && !strcmp(cfg->repair.ranking, "probe") &&
        !(r->probes = calloc((size_t)r->nblocks, sizeof *r->probes)))
        s = ar_err_set(err, AR_E_NOMEM, "out of memory");
    if (!s && r->localize && !r->probes) s = ar_localize_opts_from_job(cfg, &r->lz, err);
    if (!s && (!cfg->repair.nodes.n || !cfg->repair.seeds.n || !cfg->repair.lrs.n))
        s = cfg_err(cfg, "repair.nodes", err, "nodes, seeds and lrs must each list at least one value");
    if (!s && !r->localize) s = make_candidates(r, job, err);
    for (int p = 0; !s && p < 2; p++) {
        r->cnt[p] = calloc((size_t)r->nsets + 1, sizeof(int64_t));
        r->ok[p] = calloc((size_t)r->nsets + 1, sizeof(int64_t));
        if (!r->cnt[p] || !r->ok[p]) s = ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    if (s) {
        job_destroy(r);
        return s;
    }
    *state = r;
    return AR_OK;
}

static int plan_eval(ar_repair_job_t *r, const ar_job_ctx_t *job, int phase, const char *model,
                     ar_taskplan_t *plan, ar_err_t *err)
{
    return ar_evaluate_plan(r->sets, r->nsets, job, model, r->mean, r->std, r->channels, phase,
                            plan, err);
}

/* Epochs of rung `rung` of R: full budget at the last rung, halved below. */
#define rung_epochs ar_repair_rung_epochs

/* The repair set every repair task carries (repair_params.h); the strings
 * and arrays point into r and the job's config. */
static ar_repair_set_params_t set_params(const ar_repair_job_t *r, const ar_job_ctx_t *job)
{
    const ar_job_config_t *cfg = job->cfg;
    return (ar_repair_set_params_t){
        .train_path = cfg->repair.train_path[0] ? cfg->repair.train_path : cfg->data.path,
        .train_split = cfg->repair.train_split, .skip = cfg->repair.skip, .pool = cfg->repair.pool,
        .val = cfg->repair.val, .failing = cfg->repair.failing, .sample = cfg->repair.sample,
        .augment = cfg->repair.augment, .corruptions = r->corr_list, .set_seed = cfg->job.seed,
        .eval_batch = cfg->data.batch_size,
        .severities = {cfg->repair.severities.v, cfg->repair.severities.n},
        .mean = {r->mean, r->channels}, .std = {r->std, r->channels}};
}

/* One repair_localize task: localization on the repair pool. */
static int plan_localize(const ar_repair_job_t *r, const ar_job_ctx_t *job, ar_taskplan_t *plan,
                         ar_err_t *err)
{
    ar_repair_localize_params_t p = {
        .set = set_params(r, job), .model = job->cfg->model.path,
        .count = job->cfg->repair.failing > 0 ? job->cfg->repair.failing : 1,
        .localize = ar_localize_opts_params(&r->lz)};
    return ar_taskplan_add_typed(plan, &ar_task_repair_localize, &p, err);
}

/* A repair_candidate task's parameters as the job's keys give them; the
 * caller sets the identity, the target and the epochs. */
static ar_repair_candidate_params_t task_params(const ar_repair_job_t *r, const ar_job_ctx_t *job)
{
    const ar_job_config_t *cfg = job->cfg;
    return (ar_repair_candidate_params_t){
        .set = set_params(r, job), .model = cfg->model.path, .ops = r->ops, .layer = "",
        .batch = cfg->repair.batch, .finetune_lr = cfg->repair.finetune_lr,
        .alpha_lr = cfg->repair.alpha_lr, .channels = cfg->repair.channels,
        .partial_channels = cfg->repair.partial_channels,
        .keep_shortcut = cfg->repair.keep_shortcut, .seed_original = cfg->repair.seed_original,
        .interpolate = cfg->repair.interpolate, .max_clean_drop = cfg->repair.max_clean_drop,
        .distill = cfg->repair.distill, .keep_best = cfg->repair.keep_best,
        .resample = cfg->repair.resample, .micro_batch = cfg->repair.micro_batch, .nodes = 1};
}

static int add_task(const ar_job_ctx_t *job, const ar_repair_candidate_params_t *p, int method,
                    ar_taskplan_t *plan, ar_err_t *err)
{
    int parts = ar_repair_max_parts(job->cfg->repair.batch, job->cfg->repair.micro_batch, method);
    return ar_taskplan_add_shared(plan, &ar_task_repair, p, parts, err);
}

static int plan_candidate(ar_repair_job_t *r, const ar_job_ctx_t *job, int ci, int rung,
                          ar_taskplan_t *plan, ar_err_t *err)
{
    const ar_job_config_t *cfg = job->cfg;
    const ar_repair_cand_t *c = &r->c[ci];
    int R = (int)cfg->repair.rungs;
    char out[1100];
    snprintf(out, sizeof out, "%s.cand%03d.r%d.h5", cfg->job.output, ci, rung);
    ar_repair_candidate_params_t p = task_params(r, job);
    p.out = out, p.method = ar_method_name((ar_method_t)c->method), p.block = c->block;
    p.layer = cfg->repair.layer[0] ? cfg->repair.layer : r->top_layer;
    p.cand = ci, p.rung = rung, p.nodes = c->nodes, p.seed = (int64_t)c->seed, p.lr = c->lr;
    p.search_epochs = rung_epochs(cfg->repair.search_epochs, rung, R, 1);
    p.finetune_epochs = rung_epochs(cfg->repair.finetune_epochs, rung, R, 0);
    p.budget = cfg->repair.budget ? rung_epochs(cfg->repair.budget, rung, R, 1) : 0;
    p.finetune_all_epochs = rung_epochs(ar_repair_all_epochs(cfg, c->method), rung, R, 0);
    return add_task(job, &p, c->method, plan, err);
}

/* repair.ranking = "probe": one block-weights task per block (cand = the
 * block's index), repair.probe_epochs epochs at the first learning rate of
 * repair.lrs, seeded by job seed and block; no model file. */
static int plan_probes(const ar_repair_job_t *r, const ar_job_ctx_t *job, ar_taskplan_t *plan,
                       ar_err_t *err)
{
    const ar_job_config_t *cfg = job->cfg;
    int s = AR_OK;
    for (int b = 0; b < r->nblocks && !s; b++) {
        uint64_t ids[2] = {ar_rng_hash_str("probe"), ar_rng_hash_str(r->blocks[b])};
        ar_repair_candidate_params_t p = task_params(r, job);
        p.out = "-", p.method = ar_method_name(AR_METHOD_BLOCK_WEIGHTS), p.block = r->blocks[b];
        p.cand = b, p.rung = 0, p.probe = 1, p.lr = cfg->repair.lrs.v[0];
        p.seed = (int64_t)(ar_rng_key((uint64_t)cfg->job.seed, ids, 2) >> 11);
        p.search_epochs = cfg->repair.probe_epochs, p.finetune_epochs = 0;
        s = add_task(job, &p, AR_METHOD_BLOCK_WEIGHTS, plan, err);
    }
    return s;
}

static ar_repair_metrics_t metrics(const ar_repair_job_t *r, int i)
{
    return (ar_repair_metrics_t){r->c[i].val_clean, r->c[i].val_corrupt};
}

/* Keeps the better half of the alive candidates (ceil) by the selection
 * ranking (repair/select.h: within the clean-drop bound first, then
 * corrupted validation accuracy), ties to the lower index. */
static void halve(ar_repair_job_t *r, const ar_job_ctx_t *job, int rung)
{
    double c0 = r->val_clean0, md = job->cfg->repair.max_clean_drop;
    int n = 0;
    for (int i = 0; i < r->nc; i++) n += r->c[i].alive;
    int keep = (n + 1) / 2;
    for (int kept = 0; kept < keep; kept++) {
        int b = -1;
        for (int i = 0; i < r->nc; i++) {
            if (r->c[i].alive != 1) continue;
            ar_repair_metrics_t mi = metrics(r, i), mb = b < 0 ? mi : metrics(r, b);
            if (b < 0 || ar_repair_ranks_before(&mi, &mb, c0, md)) b = i;
        }
        r->c[b].alive = 2; /* marked kept */
    }
    for (int i = 0; i < r->nc; i++) {
        if (r->c[i].alive == 1) {
            ar_info(job->log, "repair: rung %d drops candidate %d (%s %s, val clean %.4f corrupted %.4f)",
                    rung, i, r->c[i].block, r->c[i].variant, r->c[i].val_clean, r->c[i].val_corrupt);
            r->c[i].alive = 0;
        } else if (r->c[i].alive == 2) {
            r->c[i].alive = 1;
        }
    }
}

static int job_plan(void *state, const ar_job_ctx_t *job, int round, ar_taskplan_t *plan,
                    ar_err_t *err)
{
    ar_repair_job_t *r = state;
    int R = (int)job->cfg->repair.rungs, k = round - r->base, s = AR_OK;
    if (round == 0) {
        s = plan_eval(r, job, 0, job->cfg->model.path, plan, err);
        if (!s && r->localize) return r->probes ? plan_probes(r, job, plan, err) : plan_localize(r, job, plan, err);
    }
    if (k < 0 || s) return s;
    if (k < R) {
        if (k > 0) halve(r, job, k - 1);
        for (int i = 0; i < r->nc && !s; i++)
            if (r->c[i].alive) s = plan_candidate(r, job, i, k, plan, err);
        return s;
    }
    if (k == R) {
        double md = job->cfg->repair.max_clean_drop;
        ar_repair_metrics_t *m = calloc((size_t)r->nc, sizeof *m);
        int *alive = calloc((size_t)r->nc, sizeof *alive), any = 0;
        if (!m || !alive) {
            free(m), free(alive);
            return ar_err_set(err, AR_E_NOMEM, "out of memory");
        }
        for (int i = 0; i < r->nc; i++) m[i] = metrics(r, i), alive[i] = r->c[i].alive, any |= alive[i];
        r->best = ar_repair_pick(m, alive, r->nc, r->val_clean0, md);
        free(m), free(alive);
        if (!any) return ar_err_set(err, AR_E_INTERNAL, "repair: no candidate left");
        if (r->best < 0) {
            r->kept_original = 1;
            ar_warn(job->log,
                    "repair: NO CANDIDATE QUALIFIES: every one loses more than repair.max_clean_drop "
                    "= %g of clean validation accuracy (original %.4f); the result is the ORIGINAL "
                    "model, unrepaired", md, r->val_clean0);
            return plan_eval(r, job, 1, job->cfg->model.path, plan, err);
        }
        ar_info(job->log,
                "repair: chose candidate %d: block %s, %s, val clean %.4f (original %.4f, bound "
                "%g) corrupted %.4f (original %.4f)",
                r->best, r->c[r->best].block, r->c[r->best].variant, r->c[r->best].val_clean,
                r->val_clean0, md, r->c[r->best].val_corrupt, r->val_corrupt0);
        return plan_eval(r, job, 1, r->c[r->best].path, plan, err);
    }
    return AR_OK;
}

static int agg_eval(ar_repair_job_t *r, const ar_fields_t *params, const ar_fields_t *res, ar_err_t *err)
{
    ar_evaluate_params_t p;
    int64_t count, correct;
    if (ar_params_decode(ar_evaluate_params_schema(), params, &p, err) ||
        ar_fields_get_int(res, "count", &count, err) || ar_fields_get_int(res, "correct", &correct, err))
        return err->status;
    int64_t set = p.shard.set, phase = p.phase;
    if (set >= r->nsets || phase < 0 || count != p.shard.count || correct < 0 || correct > count)
        return ar_err_set(err, AR_E_PROTO, "evaluate result does not match its task (set %lld)",
                          (long long)set);
    r->cnt[phase][set] += count;
    r->ok[phase][set] += correct;
    return AR_OK;
}

/* A block's probe result; the last one ranks the blocks and makes the
 * population. Epoch reports of probes are not kept. */
static int agg_probe(ar_repair_job_t *r, const ar_job_ctx_t *job, const ar_repair_candidate_params_t *p,
                     const ar_fields_t *res, int final, ar_err_t *err)
{
    if (!r->probes || r->nc || p->cand >= r->nblocks || strcmp(p->block, r->blocks[p->cand]) != 0)
        return ar_err_set(err, AR_E_PROTO, "probe of block %lld unexpected", (long long)p->cand);
    if (!final) return AR_OK;
    ar_repair_probe_t *b = &r->probes[p->cand];
    if (b->done) return ar_err_set(err, AR_E_PROTO, "block %s probed twice", r->blocks[p->cand]);
    if (ar_fields_get_float(res, "val_clean", &b->val_clean, err) ||
        ar_fields_get_float(res, "val_corrupt", &b->val_corrupt, err) ||
        ar_fields_get_float(res, "val_clean0", &r->val_clean0, err) ||
        ar_fields_get_float(res, "val_corrupt0", &r->val_corrupt0, err) ||
        ar_fields_get_int(res, "cost_fwd", &b->cost_fwd, err) ||
        ar_fields_get_int(res, "cost_bwd", &b->cost_bwd, err) ||
        ar_fields_get_float(res, "cost_cpu_s", &b->cost_cpu_s, err))
        return err->status;
    b->done = 1;
    ar_info(job->log, "repair: probe of block %s: val clean %.4f corrupted %.4f (original %.4f / %.4f)",
            p->block, b->val_clean, b->val_corrupt, r->val_clean0, r->val_corrupt0);
    if (++r->nprobed < r->nblocks) return AR_OK;
    int s = ar_repair_rank_probes(r, job, err);
    return s ? s : make_candidates(r, job, err);
}

static int agg_cand(ar_repair_job_t *r, const ar_job_ctx_t *job, const ar_fields_t *params,
                    const ar_fields_t *res, int final, ar_err_t *err)
{
    ar_repair_candidate_params_t p;
    if (ar_params_decode(ar_repair_candidate_params_schema(), params, &p, err)) return err->status;
    if (p.probe) return agg_probe(r, job, &p, res, final, err);
    int64_t ci = p.cand, rung = p.rung;
    if (ci >= r->nc) return ar_err_set(err, AR_E_PROTO, "candidate %lld unknown", (long long)ci);
    ar_repair_cand_t *c = &r->c[ci];
    if (!final) {
        const char *phase;
        int64_t epoch;
        double loss, acc, ent;
        if (ar_fields_get_str(res, "phase", &phase, err) || ar_fields_get_int(res, "epoch", &epoch, err) ||
            ar_fields_get_float(res, "train_loss", &loss, err) ||
            ar_fields_get_float(res, "val_acc", &acc, err) ||
            ar_fields_get_float(res, "alpha_entropy", &ent, err))
            return err->status;
        c->epochs_seen++;
        if (r->nhist == r->cap_hist) {
            int cap = r->cap_hist ? 2 * r->cap_hist : 64;
            ar_repair_epoch_t *h = realloc(r->hist, (size_t)cap * sizeof *h);
            if (!h) return ar_err_set(err, AR_E_NOMEM, "out of memory");
            r->hist = h, r->cap_hist = cap;
        }
        ar_repair_epoch_t *row = &r->hist[r->nhist++];
        *row = (ar_repair_epoch_t){.cand = (int)ci, .rung = (int)rung, .epoch = (int)epoch,
                             .train_loss = loss, .val_acc = acc, .alpha_entropy = ent};
        snprintf(row->phase, sizeof row->phase, "%s", phase);
        ar_info(job->log, "repair: cand %lld rung %lld %s epoch %lld: loss %.4f val %.4f entropy %.3f",
                (long long)ci, (long long)rung, phase, (long long)epoch, loss, acc, ent);
        return AR_OK;
    }
    const char *geno, *path;
    int64_t nf, nr, fwd, bwd, workers;
    double cpu;
    if (ar_fields_get_float(res, "val_acc", &c->val_acc, err) ||
        ar_fields_get_float(res, "val_clean", &c->val_clean, err) ||
        ar_fields_get_float(res, "val_corrupt", &c->val_corrupt, err) ||
        ar_fields_get_float(res, "val_clean0", &r->val_clean0, err) ||
        ar_fields_get_float(res, "val_corrupt0", &r->val_corrupt0, err) ||
        ar_fields_get_float(res, "first_loss", &c->first_loss, err) ||
        ar_fields_get_float(res, "last_loss", &c->last_loss, err) ||
        ar_fields_get_str(res, "genotype", &geno, err) || ar_fields_get_str(res, "path", &path, err) ||
        ar_fields_get_int(res, "nfailing", &nf, err) || ar_fields_get_int(res, "nrepair", &nr, err) ||
        ar_fields_get_float(res, "pool_acc", &r->pool_acc, err) ||
        ar_fields_get_float(res, "interp", &c->interp, err) ||
        ar_fields_get_int(res, "cost_fwd", &fwd, err) || ar_fields_get_int(res, "cost_bwd", &bwd, err) ||
        ar_fields_get_float(res, "cost_cpu_s", &cpu, err) ||
        ar_fields_get_int(res, "kept_epoch", &c->kept_epoch, err) ||
        ar_fields_get_int(res, "workers", &workers, err))
        return err->status;
    if (workers > c->workers) c->workers = workers;
    c->cost_fwd += fwd, c->cost_bwd += bwd, c->cost_cpu_s += cpu;
    if (c->path[0] && strcmp(c->path, path) != 0) remove(c->path); /* earlier rung's file */
    snprintf(c->genotype, sizeof c->genotype, "%s", geno);
    snprintf(c->path, sizeof c->path, "%s", path);
    c->rung = (int)rung;
    r->nfailing = nf, r->nrepair = nr;
    ar_info(job->log,
            "repair: cand %lld (%s %s) rung %lld: val %.4f (clean %.4f, corrupted %.4f; original "
            "%.4f / %.4f), loss %.4f -> %.4f",
            (long long)ci, c->block, c->variant, (long long)rung, c->val_acc, c->val_clean,
            c->val_corrupt, r->val_clean0, r->val_corrupt0, c->first_loss, c->last_loss);
    return AR_OK;
}

static int job_aggregate(void *state, const ar_job_ctx_t *job, uint64_t id, const char *type,
                         const ar_fields_t *params, const ar_fields_t *res, int final, ar_err_t *err)
{
    (void)id;
    ar_repair_job_t *r = state;
    if (!strcmp(type, "evaluate")) return agg_eval(r, params, res, err);
    if (!strcmp(type, "repair_candidate")) return agg_cand(r, job, params, res, final, err);
    if (!strcmp(type, "repair_localize") && r->localize && !r->nc) {
        int s = ar_repair_rank_apply(r, job, res, err);
        return s ? s : make_candidates(r, job, err);
    }
    return ar_err_set(err, AR_E_PROTO, "repair job: unexpected task type '%s'", type);
}

static int job_finish(void *state, const ar_job_ctx_t *job, ar_err_t *err)
{
    ar_repair_job_t *r = state;
    int s = AR_OK;
    for (int i = 0; !s && i < r->nsets; i++)
        for (int p = 0; p < 2 && !s; p++)
            if (r->cnt[p][i] != r->sets[i].count)
                s = ar_err_set(err, AR_E_INTERNAL, "set %s: %lld images counted, expected %lld",
                               r->sets[i].label, (long long)r->cnt[p][i], (long long)r->sets[i].count);
    ar_graph_t *g = NULL;
    const char *path = r->kept_original ? job->cfg->model.path : r->best >= 0 ? r->c[r->best].path : NULL;
    if (!s && !path) s = ar_err_set(err, AR_E_INTERNAL, "repair: no candidate chosen");
    if (!s && !(g = ar_model_load(path, err))) s = err->status;
    if (!s) s = ar_repair_write_result(r, job, g, err);
    ar_graph_destroy(&g);
    if (!s) remove_candidate_files(r, 0);
    return s;
}

const ar_job_kind_t ar_job_repair = {.name = "repair", .create = job_create, .plan = job_plan,
                                     .aggregate = job_aggregate, .finish = job_finish,
                                     .destroy = job_destroy};
