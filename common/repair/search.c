/* search.c - archrepair and the baselines as training phases (search.h). */
#include "search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fold.h"
#include "core/rng.h"
#include "nn/optim.h"
#include "nn/bn_adapt.h"
#include "repair/genotype.h"
#include "repair/select.h"

static const char *const method_names[] = {"archrepair", "finetune",  "layer",
                                           "block-weights", "bn-adapt", "random-cell"};
_Static_assert(sizeof method_names / sizeof method_names[0] == AR_METHOD_COUNT, "method names");

const char *ar_method_name(ar_method_t m)
{
    return (int)m >= 0 && m < AR_METHOD_COUNT ? method_names[m] : "?";
}

int ar_method_cell(int m) { return m == AR_METHOD_ARCHREPAIR || m == AR_METHOD_RANDOM_CELL; }

int ar_method_all_epochs(int m) { return ar_method_cell(m) ? AR_CELL_ALL_EPOCHS : 0; }

int ar_method_blockless(int m) { return m == AR_METHOD_FINETUNE || m == AR_METHOD_BN_ADAPT; }

int ar_method_parse(const char *s)
{
    for (int i = 0; i < AR_METHOD_COUNT; i++)
        if (strcmp(s, method_names[i]) == 0) return i;
    return -1;
}

ar_search_cfg_t ar_search_cfg_default(void)
{
    ar_search_cfg_t c = {.method = AR_METHOD_ARCHREPAIR, .cell = ar_cell_cfg_default(),
                         .search_epochs = 10, .finetune_epochs = 5, .batch = 64, .lr = 0.025,
                         .lr_min = 0.001, .momentum = 0.9, .weight_decay = 3e-4,
                         .finetune_lr = 0.01, .alpha_lr = 3e-4, .alpha_wd = 0,
                         .alpha_beta1 = 0.5, .alpha_beta2 = 0.999, .nval = 1};
    return c;
}

void ar_search_result_free(ar_search_result_t *r)
{
    if (!r) return;
    ar_graph_destroy(&r->model);
}

/* One training phase over a trainer whose set 0 is the repair set and sets
 * 1..nval validation. */
typedef struct phase {
    const char *name;
    int epochs;
    const int64_t *a, *b;     /* weight-step rows; alpha-step rows (NULL: no alpha) */
    int64_t na, nb;
    double lr, lr_min;
    int last;                 /* the run's last training phase (keep_best applies) */
} phase_t;

static int optimisers(ar_trainer_t *t, const ar_search_cfg_t *c, int with_alpha, ar_optim_t **ow,
                      ar_optim_t **oa, ar_err_t *err)
{
    int n = 0;
    const ar_param_ref_t *refs = ar_plan_params(ar_trainer_plan(t), &n);
    ar_param_ref_t *w = malloc((size_t)(n ? n : 1) * sizeof *w),
                   *a = malloc((size_t)(n ? n : 1) * sizeof *a);
    int nw = 0, na = 0;
    if (!w || !a) {
        free(w), free(a);
        return ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(refs[i].name, "alpha") == 0) a[na++] = refs[i];
        else w[nw++] = refs[i];
    }
    ar_optim_cfg_t sgd = {.kind = AR_OPTIM_SGD, .momentum = c->momentum,
                          .weight_decay = c->weight_decay};
    ar_optim_cfg_t adam = {.kind = AR_OPTIM_ADAM, .weight_decay = c->alpha_wd,
                           .beta1 = c->alpha_beta1, .beta2 = c->alpha_beta2};
    *ow = ar_optim_new(&sgd, w, nw, err);
    *oa = (*ow && with_alpha) ? ar_optim_new(&adam, a, na, err) : NULL;
    free(w), free(a);
    if (!*ow || (with_alpha && !*oa)) {
        ar_optim_destroy(ow);
        return err->status;
    }
    return AR_OK;
}

static void shuffled(int64_t *dst, const int64_t *src, int64_t n, uint64_t seed, const char *phase,
                     int epoch, int which)
{
    memcpy(dst, src, (size_t)n * sizeof *dst);
    uint64_t ids[3] = {ar_rng_hash_str(phase), (uint64_t)epoch, (uint64_t)which};
    ar_rng_t r;
    ar_rng_init(&r, ar_rng_key(seed, ids, 3));
    ar_rng_shuffle(&r, dst, n);
}

/* Whether the validation sets are split between data-parallel members:
 * several members and every set at least one image each. */
static int val_split(const ar_search_cfg_t *c, const ar_imgset_t *val)
{
    if (!c->dp || c->dp->parts < 2) return 0;
    for (int v = 0; v < c->nval; v++)
        if (val[v].x->shape[0] < c->dp->parts) return 0;
    return 1;
}

/* Eval-mode accuracy over validation sets 1..nval: *acc over all of them,
 * out->val_set_acc per set, out->val_acc = *acc. Split sets: each member
 * counts its share, the counts are exchanged (exact: whole numbers). */
static int eval_val(ar_trainer_t *t, const ar_search_cfg_t *c, int split,
                    ar_search_result_t *out, double *acc, ar_err_t *err)
{
    int64_t ok[2] = {0}, cnt[2] = {0};
    for (int v = 0; v < c->nval; v++) {
        double vl = 0;
        int st = ar_trainer_eval(t, 1 + v, &ok[v], &cnt[v], &vl, err);
        if (st) return st;
    }
    if (split) { /* one slot per member: each the node [part, part + 1) */
        float row[4], sum[4];
        for (int v = 0; v < 2; v++) row[2 * v] = (float)ok[v], row[2 * v + 1] = (float)cnt[v];
        ar_dp_rows_t in = {.nslots = c->dp->parts, .sum_len = 4, .cat_len = 0, .sum = row};
        ar_fold_part(c->dp->parts, c->dp->part, c->dp->parts, &in.lo, &in.hi);
        int st = c->dp->reduce(c->dp->ctx, &in, sum, NULL, err);
        if (st) return ar_err_prefix(err, "exchanging validation counts");
        for (int v = 0; v < 2; v++) ok[v] = (int64_t)sum[2 * v], cnt[v] = (int64_t)sum[2 * v + 1];
    }
    int64_t oks = 0, cnts = 0;
    for (int v = 0; v < c->nval; v++) {
        out->val_set_acc[v] = cnt[v] ? (double)ok[v] / (double)cnt[v] : 0;
        oks += ok[v], cnts += cnt[v];
    }
    *acc = out->val_acc = cnts ? (double)oks / (double)cnts : 0;
    return AR_OK;
}

/* keep_best: the best qualifying epoch's weights so far (select.h's order). */
typedef struct best {
    ar_graph_t *snap;         /* NULL until an epoch qualifies */
    ar_repair_metrics_t m;
    double val_acc;
    int epoch;
} best_t;

static int keep_if_best(best_t *b, const ar_graph_t *g, const ar_search_cfg_t *c,
                        const ar_search_result_t *out, int epoch, ar_err_t *err)
{
    ar_repair_metrics_t m = {out->val_set_acc[0], out->val_set_acc[1]};
    if (!ar_repair_qualifies(&m, c->clean0, c->max_clean_drop) ||
        (b->snap && !ar_repair_ranks_before(&m, &b->m, c->clean0, c->max_clean_drop)))
        return AR_OK;
    if (!b->snap) {
        if (!(b->snap = ar_graph_clone(g, err))) return err->status;
    } else if (ar_graph_copy_params(g, b->snap, err)) {
        return err->status;
    }
    b->m = m, b->val_acc = out->val_acc, b->epoch = epoch;
    return AR_OK;
}

/* The rows this data-parallel member's steps read in one epoch (weight
 * steps over ia, alpha steps over ib), each once, into rows; *n their count.
 * mark: [set size] zeroed scratch, left zeroed. */
static int64_t member_rows(const ar_search_cfg_t *c, const phase_t *ph, const int64_t *ia,
                           const int64_t *ib, unsigned char *mark, int64_t *rows)
{
    const ar_dp_t *dp = c->dp;
    int64_t n = 0, steps = (ph->na + c->batch - 1) / c->batch;
    int64_t bsteps = ib ? (ph->nb + c->batch - 1) / c->batch : 0;
    for (int w = 0; w < 2; w++) {
        const int64_t *r = w ? ib : ia;
        int64_t len = w ? ph->nb : ph->na, nsteps = w ? (bsteps < steps ? bsteps : steps) : steps;
        for (int64_t s = 0; r && s < nsteps; s++) {
            int64_t a = s * c->batch, m = len - a < c->batch ? len - a : c->batch, lo, hi;
            ar_fold_part((m + dp->micro - 1) / dp->micro, dp->part, dp->parts, &lo, &hi);
            for (int64_t i = lo * dp->micro; i < m && i < hi * dp->micro; i++)
                if (!mark[r[a + i]]) mark[r[a + i]] = 1, rows[n++] = r[a + i];
        }
    }
    for (int64_t i = 0; i < n; i++) mark[rows[i]] = 0;
    return n;
}

static int train_step(ar_trainer_t *t, const ar_search_cfg_t *c, const int64_t *idx, int n,
                      double *loss, ar_err_t *err)
{
    return c->dp ? ar_trainer_step_dp(t, 0, idx, n, c->dp, loss, err)
                 : ar_trainer_step(t, 0, idx, n, loss, err);
}

/* Before an epoch: the repair images corrupted afresh when resampling
 * (epoch > 0; all of them, or a data-parallel member's rows) and their
 * prefix; a data-parallel member's rows not computed yet (its trainer
 * caches the repair rows lazily: it reads only its own). */
static int prepare_epoch(ar_trainer_t *t, const ar_search_cfg_t *c, const phase_t *ph, int epoch,
                         const int64_t *ia, const int64_t *ib, ar_err_t *err)
{
    int redraw = c->resample && epoch > 0;
    if (!c->dp) {
        if (!redraw) return AR_OK;
        int st = c->resample(c->resample_ctx, epoch, NULL, 0, err);
        return st ? st : ar_trainer_refresh(t, 0, err);
    }
    int64_t n = ar_trainer_set_size(t, 0);
    unsigned char *mark = calloc((size_t)n, 1);
    int64_t *rows = malloc((size_t)n * sizeof *rows);
    int st = (!mark || !rows) ? ar_err_set(err, AR_E_NOMEM, "out of memory") : AR_OK;
    if (!st) {
        int64_t k = member_rows(c, ph, ia, ib, mark, rows);
        if (redraw) st = c->resample(c->resample_ctx, epoch, rows, k, err);
        if (!st) st = redraw ? ar_trainer_refresh_rows(t, 0, rows, k, err)
                             : ar_trainer_ensure_rows(t, 0, rows, k, err);
    }
    free(mark), free(rows);
    return st;
}

static int run_phase(ar_trainer_t *t, ar_graph_t *g, const ar_search_cfg_t *c, int split,
                     const phase_t *ph, ar_epoch_fn fn, void *user, ar_search_result_t *out,
                     ar_err_t *err)
{
    ar_optim_t *ow = NULL, *oa = NULL;
    best_t best = {0};
    int keep = c->keep_best && ph->last;
    int st = optimisers(t, c, ph->b != NULL, &ow, &oa, err);
    if (st) return st;
    int64_t *ia = malloc((size_t)ph->na * sizeof *ia), *ib = NULL;
    if (ph->b) ib = malloc((size_t)(ph->nb ? ph->nb : 1) * sizeof *ib);
    if (!ia || (ph->b && !ib)) st = ar_err_set(err, AR_E_NOMEM, "out of memory");
    int64_t steps = (ph->na + c->batch - 1) / c->batch, bsteps = (ph->nb + c->batch - 1) / c->batch;
    ar_lr_sched_t lr = {.kind = AR_LR_COSINE, .base = ph->lr, .t_max = (double)(steps * ph->epochs),
                        .eta_min = ph->lr_min};
    for (int e = 0; e < ph->epochs && !st; e++) {
        shuffled(ia, ph->a, ph->na, c->seed, ph->name, e, 0);
        if (ib) shuffled(ib, ph->b, ph->nb, c->seed, ph->name, e, 1);
        if ((st = prepare_epoch(t, c, ph, out->epochs, ia, ib, err))) break;
        out->epochs++;
        double sum = 0;
        for (int64_t s = 0; s < steps && !st; s++) {
            int n = (int)(ph->na - s * c->batch < c->batch ? ph->na - s * c->batch : c->batch);
            double loss = 0;
            st = train_step(t, c, ia + s * c->batch, n, &loss, err);
            if (st) break;
            sum += loss;
            ar_optim_step(ow, ar_lr_at(&lr, (double)(e * steps + s)));
            if (!ib || !bsteps) continue;
            int64_t bs = s % bsteps;
            int m = (int)(ph->nb - bs * c->batch < c->batch ? ph->nb - bs * c->batch : c->batch);
            st = train_step(t, c, ib + bs * c->batch, m, &loss, err);
            if (!st) ar_optim_step(oa, c->alpha_lr);
        }
        if (st) break;
        double acc = 0;
        if ((st = eval_val(t, c, split, out, &acc, err))) break;
        ar_epoch_report_t r = {ph->name, e, sum / (double)steps, acc,
                               ib ? ar_cell_alpha_entropy(g) : 0};
        if (out->first_loss < 0) out->first_loss = r.train_loss;
        out->last_loss = r.train_loss;
        if (r.train_loss != r.train_loss)
            st = ar_err_set(err, AR_E_NUMERIC, "%s epoch %d: training loss is not finite", ph->name, e);
        else if (fn && fn(user, &r))
            st = ar_err_set(err, AR_E_TIMEOUT, "%s epoch %d: cancelled", ph->name, e);
        if (!st && keep) st = keep_if_best(&best, g, c, out, e, err);
    }
    if (!st && best.snap) { /* end on the best qualifying epoch */
        st = ar_graph_copy_params(best.snap, g, err);
        out->val_set_acc[0] = best.m.val_clean, out->val_set_acc[1] = best.m.val_corrupt;
        out->val_acc = best.val_acc, out->kept_epoch = best.epoch;
    }
    ar_graph_destroy(&best.snap);
    free(ia), free(ib);
    ar_optim_destroy(&ow);
    ar_optim_destroy(&oa);
    return st;
}

/* Trains g (frozen flags set) through one phase; owns nothing. */
static int train_graph(ar_graph_t *g, const ar_search_cfg_t *c, const ar_imgset_t *train,
                       const ar_imgset_t *val, const phase_t *ph, ar_epoch_fn fn, void *user,
                       ar_search_result_t *out, ar_err_t *err)
{
    ar_imgset_t sets[3] = {*train, val[0], c->nval > 1 ? val[1] : val[0]};
    sets[1].soft = sets[2].soft = NULL; /* soft targets train, they do not evaluate */
    int split = val_split(c, val);
    ar_tensor_t share[2];
    for (int v = 0; v < 2 && split; v++) { /* this member's contiguous share of each set */
        const ar_tensor_t *x = sets[1 + v].x;
        int64_t n = x->shape[0], a = n * c->dp->part / c->dp->parts,
                b = n * (c->dp->part + 1) / c->dp->parts, img = ar_tensor_numel(x) / n;
        share[v] = ar_tensor_4d(b - a, x->shape[1], x->shape[2], x->shape[3]);
        share[v].data = x->data + a * img;
        sets[1 + v].x = &share[v];
        sets[1 + v].y += a;
    }
    ar_trainer_opts_t to = {.batch = c->batch, .no_prefix_cache = c->no_prefix_cache,
                            .distill = c->distill, .lazy_first = c->dp != NULL};
    ar_trainer_t *t = ar_trainer_new_opts(g, &to, sets, 1 + c->nval, err);
    if (!t) return err->status;
    int st = run_phase(t, g, c, split, ph, fn, user, out, err);
    double acc;
    if (!st && ph->epochs == 0) st = eval_val(t, c, split, out, &acc, err);
    int64_t f, b;
    ar_trainer_passes(t, &f, &b);
    out->passes_fwd += f, out->passes_bwd += b;
    ar_trainer_destroy(&t);
    return st;
}

/* Whether a whole-network phase follows the method's own (finetune-all). */
static int all_after(const ar_search_cfg_t *c)
{
    return c->finetune_all_epochs > 0 && !ar_method_blockless(c->method);
}

/* Freezes g for a baseline; AR_E_ARG when the block / layer is unknown. */
static int freeze_for(ar_graph_t *g, const ar_search_cfg_t *c, ar_err_t *err)
{
    if (ar_method_blockless(c->method)) {
        ar_graph_freeze_all(g, 0); /* bn-adapt: only so the evaluation has a trainer */
        return AR_OK;
    }
    ar_graph_freeze_all(g, 1);
    if (c->method == AR_METHOD_BLOCK_WEIGHTS) {
        if (ar_graph_freeze_block(g, c->block, 0) == 0)
            return ar_err_set(err, AR_E_ARG, "block '%s': no such block", c->block);
        return AR_OK;
    }
    int k = c->layer[0] ? ar_graph_find(g, c->layer) : -1;
    for (int i = 0; i < g->nnodes && k < 0 && !c->layer[0]; i++)
        if (g->nodes[i].op == AR_OP_CONV2D && strcmp(g->nodes[i].block, c->block) == 0) k = i;
    if (k < 0 || g->nodes[k].nparams == 0)
        return ar_err_set(err, AR_E_ARG, "layer '%s' (block '%s'): no such layer with weights",
                          c->layer, c->block);
    ar_graph_set_frozen(g, k, 0);
    return AR_OK;
}

int ar_search_run(const ar_graph_t *g, const ar_search_cfg_t *c, const ar_imgset_t *train,
                  const ar_imgset_t *val, ar_epoch_fn fn, void *user, ar_search_result_t *out,
                  ar_err_t *err)
{
    memset(out, 0, sizeof *out);
    out->first_loss = -1, out->kept_epoch = -1;
    int64_t n = train->x->shape[0];
    if (n < 2 || c->batch < 1 || c->search_epochs < 1 || c->finetune_epochs < 0 || c->nval < 1 ||
        c->nval > 2)
        return ar_err_set(err, AR_E_ARG,
                          "search: %lld repair images, batch %d, epochs %d + %d, %d validation sets",
                          (long long)n, c->batch, c->search_epochs, c->finetune_epochs, c->nval);
    int64_t *all = malloc((size_t)n * sizeof *all);
    if (!all) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++) all[i] = i;
    int64_t *perm = malloc((size_t)n * sizeof *perm);
    if (!perm) {
        free(all);
        return ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    shuffled(perm, all, n, c->seed, "split", 0, 0);
    int64_t na = (n + 1) / 2;
    ar_graph_t *w = NULL, *d = NULL;
    int st = AR_OK;
    if (c->method == AR_METHOD_BN_ADAPT) {
        if (!(w = ar_graph_clone(g, err))) st = err->status;
        if (!st) st = freeze_for(w, c, err);
        if (!st) st = ar_bn_adapt(w, train->x, c->batch, 0, err);
        out->passes_fwd += n;
        phase_t ph = {"adapt", 0, all, NULL, n, 0, 0, 0, 1};
        if (!st) st = train_graph(w, c, train, val, &ph, NULL, NULL, out, err);
        ar_epoch_report_t r = {"adapt", 0, 0, out->val_acc, 0};
        if (!st && fn && fn(user, &r)) st = ar_err_set(err, AR_E_TIMEOUT, "adapt: cancelled");
        out->first_loss = out->last_loss = 0;
        if (!st) out->model = w, w = NULL;
        goto done;
    }
    if (!ar_method_cell(c->method)) {
        if (!(w = ar_graph_clone(g, err))) st = err->status;
        if (!st) st = freeze_for(w, c, err);
        phase_t ph = {"train", c->search_epochs + c->finetune_epochs, all, NULL, n, 0, c->lr,
                      c->lr_min, !all_after(c)};
        if (!st) st = train_graph(w, c, train, val, &ph, fn, user, out, err);
        if (!st) out->model = w, w = NULL;
        goto done;
    }
    /* a cell: archrepair searches its genotype on the relaxed cell (weight
     * steps on split A, alpha steps on B) and the discrete cell inherits the
     * weights; random-cell draws it and trains the discrete cell's weights
     * on split A as long; then both fine-tune on every image */
    ar_genotype_t gt;
    if (c->method == AR_METHOD_ARCHREPAIR) {
        if (!(w = ar_cell_build(g, c->block, &c->cell, NULL, err))) {
            st = err->status;
            goto done;
        }
        phase_t ph = {"search", c->search_epochs, perm, perm + na, na, n - na, c->lr, c->lr_min, 0};
        if ((st = train_graph(w, c, train, val, &ph, fn, user, out, err)) ||
            (st = ar_genotype_derive(w, c->block, &c->cell, &gt, err)))
            goto done;
    } else if ((st = ar_genotype_random(&c->cell, c->seed, &gt, err))) {
        goto done;
    }
    ar_genotype_text(&gt, out->genotype, sizeof out->genotype);
    if (!(d = ar_cell_build(g, c->block, &c->cell, &gt, err))) {
        st = err->status;
        goto done;
    }
    if (w) {
        ar_cell_inherit(d, w);
    } else {
        phase_t ph = {"search", c->search_epochs, perm, NULL, na, 0, c->lr, c->lr_min, 0};
        if ((st = train_graph(d, c, train, val, &ph, fn, user, out, err))) goto done;
    }
    phase_t ft = {"finetune", c->finetune_epochs, all, NULL, n, 0, c->finetune_lr, c->lr_min,
                  !all_after(c)};
    if ((st = train_graph(d, c, train, val, &ft, fn, user, out, err))) goto done;
    out->model = d, d = NULL;
done:
    if (!st && out->model && all_after(c)) { /* then the whole network, briefly */
        ar_graph_freeze_all(out->model, 0);
        phase_t fa = {"finetune-all", c->finetune_all_epochs, all, NULL, n, 0, c->finetune_lr,
                      c->lr_min, 1};
        st = train_graph(out->model, c, train, val, &fa, fn, user, out, err);
    }
    ar_graph_destroy(&w);
    ar_graph_destroy(&d);
    free(all);
    free(perm);
    if (st) ar_search_result_free(out);
    return st;
}
