/* trainer.c - cached-prefix training steps and evaluation (trainer.h). */
#include "trainer.h"

#include <stdlib.h>
#include <string.h>

#include "core/fold.h"
#include "nn/evaluate.h"

#define MAXB 16  /* boundary nodes kept */

typedef struct tset {
    ar_imgset_t s;
    int64_t n;
    unsigned char *valid;       /* lazy set: [n], 1 = row's prefix computed; NULL: all are */
    ar_tensor_t cache[MAXB];    /* [n, per-image] per boundary node (images: borrowed x) */
} tset_t;

struct ar_trainer {
    ar_graph_t *g;
    ar_plan_t *p;
    int batch, first, nb;
    int start;                  /* first node a forward runs: first, or 0 without the cache */
    int bnode[MAXB];            /* boundary node indices; -1 = the network input */
    ar_tensor_t gather[MAXB];   /* [batch, per-image] staging */
    int32_t *lab;               /* batch labels */
    float *soft;                /* batch soft targets [batch, classes] */
    double distill;
    tset_t *sets;
    int nsets;
    int64_t passes_fwd, passes_bwd; /* images through a forward / a backward */
    /* data-parallel steps (ar_trainer_step_dp): scratch kept between steps */
    float *dp_buf;              /* rows, then sum, then cat, then saved running stats */
    int64_t dp_cap;             /* floats in dp_buf */
    int *bn;                    /* the train-mode (unfrozen) BatchNorm nodes, nbn of them */
    float *bn_mom;              /* their momentum */
    int nbn;
    int64_t bn_floats;          /* 2 x their channels: batch mean and variance of each */
};

void ar_trainer_destroy(ar_trainer_t **tp)
{
    if (!tp || !*tp) return;
    ar_trainer_t *t = *tp;
    for (int s = 0; s < t->nsets && t->sets; s++) {
        for (int b = 0; b < t->nb; b++)
            if (t->bnode[b] >= 0) ar_tensor_free(&t->sets[s].cache[b]);
        free(t->sets[s].valid);
    }
    for (int b = 0; b < t->nb; b++) ar_tensor_free(&t->gather[b]);
    free(t->sets);
    free(t->lab);
    free(t->soft);
    free(t->dp_buf);
    free(t->bn);
    free(t->bn_mom);
    ar_plan_destroy(&t->p);
    free(t);
    *tp = NULL;
}

static int64_t per_image(const ar_trainer_t *t, int b)
{
    int k = t->bnode[b];
    const ar_graph_t *g = t->g;
    return k < 0 ? (int64_t)g->in_c * g->in_h * g->in_w : ar_tensor_numel(&g->nodes[k].out);
}

static ar_tensor_t rows_shape(const ar_trainer_t *t, int b, int64_t n)
{
    int k = t->bnode[b];
    const ar_graph_t *g = t->g;
    if (k < 0) return ar_tensor_4d(n, g->in_c, g->in_h, g->in_w);
    const ar_tensor_t *o = &g->nodes[k].out;
    int64_t d[AR_TENSOR_MAXDIM] = {n};
    for (int i = 0; i < o->ndim; i++) d[i + 1] = o->shape[i];
    return ar_tensor_shape(o->ndim + 1, d);
}

/* Allocates set s's caches. */
static int alloc_cache(ar_trainer_t *t, tset_t *ts, ar_err_t *err)
{
    for (int b = 0; b < t->nb; b++) {
        if (t->bnode[b] < 0) continue;
        ts->cache[b] = rows_shape(t, b, ts->n);
        if (ar_tensor_alloc(&ts->cache[b]) != 0)
            return ar_err_set(err, AR_E_NOMEM, "trainer: cache of %lld images: out of memory",
                              (long long)ts->n);
    }
    return AR_OK;
}

/* The last boundary node (-1: the images themselves are the cache). */
static int prefix_last(const ar_trainer_t *t)
{
    int last = -1;
    for (int b = 0; b < t->nb; b++)
        if (t->bnode[b] > last) last = t->bnode[b];
    return last;
}

/* Computes set ts's cached prefix (eval mode, batch by batch) of rows
 * rows[0..n) - with rows NULL the rows 0..n-1, read in place - skipping
 * rows already computed when missing_only; marks them computed in a lazy
 * set. *done gets the rows computed. */
static int prefix_rows(ar_trainer_t *t, tset_t *ts, const int64_t *rows, int64_t n,
                       int missing_only, int64_t *done, ar_err_t *err)
{
    const ar_graph_t *g = t->g;
    const int64_t img = (int64_t)g->in_c * g->in_h * g->in_w;
    const int last = prefix_last(t);
    *done = 0;
    if (last < 0) return AR_OK;
    float *stage = rows ? malloc((size_t)t->batch * (size_t)img * sizeof *stage) : NULL;
    int64_t *ids = rows ? malloc((size_t)t->batch * sizeof *ids) : NULL;
    if (rows && (!stage || !ids)) {
        free(stage), free(ids);
        return ar_err_set(err, AR_E_NOMEM, "trainer: out of memory");
    }
    int st = AR_OK;
    for (int64_t at = 0; at < n && !st;) {
        int m = 0;
        ar_tensor_t x = ar_tensor_4d(0, g->in_c, g->in_h, g->in_w);
        if (!rows) { /* contiguous rows: the images in place */
            m = (int)(n - at < t->batch ? n - at : t->batch);
            x.data = ts->s.x->data + at * img;
            at += m;
        } else { /* the next batch of rows to compute, gathered */
            for (; at < n && m < t->batch; at++) {
                if (missing_only && ts->valid && ts->valid[rows[at]]) continue;
                ids[m] = rows[at];
                memcpy(stage + m * img, ts->s.x->data + rows[at] * img, (size_t)img * sizeof *stage);
                m++;
            }
            x.data = stage;
        }
        if (!m) break;
        x.shape[0] = m;
        st = ar_plan_set_input(t->p, &x, err);
        if (!st) st = ar_plan_forward_range(t->p, 0, last, AR_MODE_EVAL, err);
        for (int b = 0; b < t->nb && !st; b++) {
            if (t->bnode[b] < 0) continue;
            const int64_t pm = per_image(t, b);
            const float *o = ar_plan_output(t->p, t->bnode[b])->data;
            if (!rows) memcpy(ts->cache[b].data + (at - m) * pm, o, (size_t)(m * pm) * sizeof(float));
            for (int i = 0; rows && i < m; i++)
                memcpy(ts->cache[b].data + ids[i] * pm, o + i * pm, (size_t)pm * sizeof(float));
        }
        for (int i = 0; !st && rows && ts->valid && i < m; i++) ts->valid[ids[i]] = 1;
        *done += st ? 0 : m;
    }
    free(stage), free(ids);
    return st;
}

/* Fills set ts's caches, every row. */
static int fill_cache(ar_trainer_t *t, tset_t *ts, ar_err_t *err)
{
    int64_t done;
    return prefix_rows(t, ts, NULL, ts->n, 0, &done, err);
}

ar_trainer_t *ar_trainer_new(ar_graph_t *g, int batch, const ar_imgset_t *sets, int nsets,
                             ar_err_t *err)
{
    ar_trainer_opts_t o = {.batch = batch};
    return ar_trainer_new_opts(g, &o, sets, nsets, err);
}

/* The boundary of first: every node before it read from it on (-1 = the
 * input), ascending. */
static int find_boundary(ar_trainer_t *t, ar_err_t *err)
{
    const ar_graph_t *g = t->g;
    unsigned char *seen = calloc((size_t)g->nnodes + 1, 1);
    if (!seen) return ar_err_set(err, AR_E_NOMEM, "trainer: out of memory");
    for (int i = t->first; i < g->nnodes; i++)
        for (int j = 0; j < g->nodes[i].ninputs; j++) {
            int k = g->nodes[i].inputs[j];
            if (k >= t->first || seen[k + 1]) continue;
            if (t->nb == MAXB) {
                free(seen);
                return ar_err_set(err, AR_E_UNSUPPORTED, "trainer: more than %d boundary nodes",
                                  MAXB);
            }
            seen[k + 1] = 1;
            int at = t->nb++; /* keep ascending: the input (-1) loads first */
            while (at > 0 && t->bnode[at - 1] > k) t->bnode[at] = t->bnode[at - 1], at--;
            t->bnode[at] = k;
        }
    free(seen);
    return AR_OK;
}

ar_trainer_t *ar_trainer_new_opts(ar_graph_t *g, const ar_trainer_opts_t *o,
                                  const ar_imgset_t *sets, int nsets, ar_err_t *err)
{
    int batch = o->batch;
    ar_trainer_t *t = calloc(1, sizeof *t);
    if (!t) goto nomem;
    t->g = g, t->batch = batch, t->first = -1, t->distill = o->distill;
    for (int i = 0; i < g->nnodes && t->first < 0; i++)
        if (!g->nodes[i].frozen) t->first = i;
    if (t->first < 0) {
        ar_err_set(err, AR_E_ARG, "trainer: '%s' has no unfrozen node", g->arch);
        goto fail;
    }
    if (o->no_prefix_cache) {
        t->nb = 1, t->bnode[0] = -1, t->start = 0; /* the images only */
    } else {
        if (find_boundary(t, err)) goto fail;
        t->start = t->first;
    }
    ar_plan_opts_t po = {.batch = batch, .grads = 1};
    if (!(t->p = ar_plan_new(g, &po, err))) goto fail;
    if (!(t->bn = malloc((size_t)g->nnodes * sizeof *t->bn)) ||
        !(t->bn_mom = malloc((size_t)g->nnodes * sizeof *t->bn_mom)))
        goto nomem;
    for (int i = 0; i < g->nnodes; i++) /* the BatchNorms a training forward runs in train mode */
        if (g->nodes[i].op == AR_OP_BATCHNORM2D && !g->nodes[i].frozen) {
            t->bn[t->nbn++] = i;
            t->bn_floats += 2 * (int64_t)g->nodes[i].cfg.bn.c.channels;
        }
    if (!(t->lab = malloc((size_t)batch * sizeof *t->lab))) goto nomem;
    if (!(t->soft = malloc((size_t)batch * (size_t)g->num_classes * sizeof *t->soft))) goto nomem;
    for (int b = 0; b < t->nb; b++) {
        t->gather[b] = rows_shape(t, b, batch);
        if (ar_tensor_alloc(&t->gather[b]) != 0) goto nomem;
    }
    if (!(t->sets = calloc((size_t)nsets, sizeof *t->sets))) goto nomem;
    t->nsets = nsets;
    for (int s = 0; s < nsets; s++) {
        t->sets[s].s = sets[s];
        t->sets[s].n = sets[s].x->shape[0];
        if (alloc_cache(t, &t->sets[s], err)) goto fail;
        if (s == 0 && o->lazy_first && !o->no_prefix_cache) { /* rows on demand */
            if (!(t->sets[s].valid = calloc((size_t)t->sets[s].n + 1, 1))) goto nomem;
            continue;
        }
        if (fill_cache(t, &t->sets[s], err)) goto fail;
        if (!o->no_prefix_cache) t->passes_fwd += t->sets[s].n; /* the prefix, once */
    }
    return t;
nomem:
    ar_err_set(err, AR_E_NOMEM, "trainer: out of memory");
fail:
    ar_trainer_destroy(&t);
    return NULL;
}

/* Loads rows idx of set s into the plan (boundary outputs or the input). */
static int load_rows(ar_trainer_t *t, int s, const int64_t *idx, int n, ar_err_t *err)
{
    tset_t *ts = &t->sets[s];
    int st = ar_plan_set_batch(t->p, n, err);
    for (int b = 0; b < t->nb && !st; b++) {
        int64_t m = per_image(t, b);
        const float *src = t->bnode[b] < 0 ? ts->s.x->data : ts->cache[b].data;
        ar_tensor_t rows = rows_shape(t, b, n);
        rows.data = t->gather[b].data;
        for (int i = 0; i < n; i++)
            memcpy(rows.data + i * m, src + idx[i] * m, (size_t)m * sizeof(float));
        st = t->bnode[b] < 0 ? ar_plan_set_input(t->p, &rows, err)
                             : ar_plan_set_output(t->p, t->bnode[b], &rows, err);
    }
    for (int i = 0; i < n; i++) t->lab[i] = ts->s.y[idx[i]];
    const int64_t K = t->g->num_classes;
    for (int i = 0; i < n && ts->s.soft; i++)
        memcpy(t->soft + i * K, ts->s.soft + idx[i] * K, (size_t)K * sizeof *t->soft);
    return st;
}

int ar_trainer_refresh(ar_trainer_t *t, int s, ar_err_t *err)
{
    return ar_trainer_refresh_rows(t, s, NULL, t->sets[s].n, err);
}

int ar_trainer_refresh_rows(ar_trainer_t *t, int s, const int64_t *rows, int64_t n,
                            ar_err_t *err)
{
    int64_t done = 0;
    int st = prefix_rows(t, &t->sets[s], rows, n, 0, &done, err);
    t->passes_fwd += done;
    return st;
}

int ar_trainer_ensure_rows(ar_trainer_t *t, int s, const int64_t *rows, int64_t n, ar_err_t *err)
{
    if (!t->sets[s].valid) return AR_OK; /* every row computed at creation */
    int64_t done = 0;
    int st = prefix_rows(t, &t->sets[s], rows, n, 1, &done, err);
    t->passes_fwd += done;
    return st;
}

/* Runs start..last in the training modes: each maximal run of nodes in one
 * mode (unfrozen train, frozen eval). */
static int forward_train(ar_trainer_t *t, ar_err_t *err)
{
    const ar_graph_t *g = t->g;
    int i = t->start;
    while (i < g->nnodes) {
        int mode = !g->nodes[i].frozen, j = i;
        while (j + 1 < g->nnodes && (!g->nodes[j + 1].frozen) == mode) j++;
        int st = ar_plan_forward_range(t->p, i, j, mode ? AR_MODE_TRAIN : AR_MODE_EVAL, err);
        if (st) return st;
        i = j + 1;
    }
    return AR_OK;
}

int ar_trainer_step(ar_trainer_t *t, int s, const int64_t *idx, int n, double *loss,
                    ar_err_t *err)
{
    int st = load_rows(t, s, idx, n, err);
    if (!st) st = forward_train(t, err);
    if (st) return st;
    *loss = ar_plan_loss_soft(t->p, t->lab, t->sets[s].s.soft ? t->soft : NULL, t->distill, NULL);
    t->passes_fwd += n, t->passes_bwd += n;
    return ar_plan_backward_range(t->p, t->first, err);
}

int ar_dp_reduce_local(void *ctx, const ar_dp_rows_t *in, float *sum, float *cat, ar_err_t *err)
{
    (void)ctx;
    if (in->lo != 0 || in->hi != in->nslots)
        return ar_err_set(err, AR_E_ARG, "data-parallel step: micro-batches %lld..%lld of %lld here "
                          "and no exchange", (long long)in->lo, (long long)in->hi - 1,
                          (long long)in->nslots);
    memcpy(sum, in->sum, (size_t)in->sum_len * sizeof *sum);
    if (in->nslots * in->cat_len > 0) memcpy(cat, in->cat, (size_t)(in->nslots * in->cat_len) * sizeof *cat);
    return AR_OK;
}

/* The rows of a member's slots as the fold tree's leaves. */
typedef struct leaves {
    const float *rows;
    int64_t lo, stride;
} leaves_t;

static const float *leaf(void *ctx, int64_t lo, int64_t hi)
{
    const leaves_t *l = ctx;
    return hi == lo + 1 ? l->rows + (lo - l->lo) * l->stride : NULL;
}

/* Train-mode BatchNorm b of the trainer: its node, channels and running
 * statistics. */
static ar_node_t *bn_node(ar_trainer_t *t, int b, int *C, float **rm, float **rv)
{
    ar_node_t *nd = &t->g->nodes[t->bn[b]];
    int k = nd->cfg.bn.affine ? 2 : 0;
    *C = nd->cfg.bn.c.channels;
    *rm = nd->params[k].value.data, *rv = nd->params[k + 1].value.data;
    return nd;
}

int ar_trainer_step_dp(ar_trainer_t *t, int s, const int64_t *idx, int n, const ar_dp_t *dp,
                       double *loss, ar_err_t *err)
{
    if (dp->micro < 1 || dp->parts < 1 || dp->part < 0 || dp->part >= dp->parts ||
        (!dp->reduce && dp->parts != 1) || n < 1)
        return ar_err_set(err, AR_E_ARG, "data-parallel step: member %d of %d, micro-batch %d, "
                          "%d images", dp->part, dp->parts, dp->micro, n);
    int np = 0;
    const ar_param_ref_t *refs = ar_plan_params(t->p, &np);
    int64_t P = 0;
    for (int i = 0; i < np; i++) P += refs[i].numel;
    const int64_t Q = t->bn_floats, M = (n + dp->micro - 1) / dp->micro, S = P + 1;
    int64_t lo, hi;
    ar_fold_part(M, dp->part, dp->parts, &lo, &hi);
    const int64_t mine = hi - lo;
    /* rows [mine][S] (leaves), cats [mine][Q], the node's sum [S], the answer
     * sum [S] and cat [M][Q], the running statistics at the start [Q] */
    int64_t need = mine * S + mine * Q + S + S + M * Q + Q;
    if (need > t->dp_cap) {
        float *b = realloc(t->dp_buf, (size_t)need * sizeof *b);
        if (!b) return ar_err_set(err, AR_E_NOMEM, "trainer: out of memory");
        t->dp_buf = b, t->dp_cap = need;
    }
    float *rows = t->dp_buf, *cats = rows + mine * S, *part_sum = cats + mine * Q,
          *sum = part_sum + S, *cat = sum + S, *r0 = cat + M * Q;
    /* the running statistics at the step's start; a micro-batch's forward
     * with momentum 1 leaves its batch statistics there, then they go back */
    for (int b = 0, q = 0; b < t->nbn; b++) {
        int C;
        float *rm, *rv;
        ar_node_t *nd = bn_node(t, b, &C, &rm, &rv);
        memcpy(r0 + q, rm, (size_t)C * sizeof *rm);
        memcpy(r0 + q + C, rv, (size_t)C * sizeof *rv);
        q += 2 * C;
        t->bn_mom[b] = nd->cfg.bn.c.momentum;
        nd->cfg.bn.c.momentum = 1.0f;
    }
    int st = AR_OK;
    for (int64_t k = 0; k < mine && !st; k++) {
        int64_t slot = lo + k, a = slot * dp->micro;
        int m = (int)(n - a < dp->micro ? n - a : dp->micro);
        st = load_rows(t, s, idx + a, m, err);
        if (!st) st = forward_train(t, err);
        if (st) break;
        double l = ar_plan_loss_soft(t->p, t->lab, t->sets[s].s.soft ? t->soft : NULL, t->distill, NULL);
        t->passes_fwd += m, t->passes_bwd += m;
        if ((st = ar_plan_backward_range(t->p, t->first, err))) break;
        float *row = rows + k * S, *cr = cats + k * Q;
        int64_t off = 0;
        for (int i = 0; i < np; i++)
            for (int64_t e = 0; e < refs[i].numel; e++) row[off++] = refs[i].grad[e] * (float)m;
        row[off] = (float)(l * m);
        for (int b = 0, q = 0; b < t->nbn; b++) {
            int C;
            float *rm, *rv;
            bn_node(t, b, &C, &rm, &rv);
            memcpy(cr + q, rm, (size_t)C * sizeof *rm);
            memcpy(cr + q + C, rv, (size_t)C * sizeof *rv);
            memcpy(rm, r0 + q, (size_t)C * sizeof *rm);
            memcpy(rv, r0 + q + C, (size_t)C * sizeof *rv);
            q += 2 * C;
        }
    }
    for (int b = 0; b < t->nbn; b++) t->g->nodes[t->bn[b]].cfg.bn.c.momentum = t->bn_mom[b];
    if (st) return st;
    leaves_t lv = {rows, lo, S};
    if (mine && ar_fold_tree(part_sum, S, lo, hi, leaf, &lv))
        return ar_err_set(err, AR_E_NOMEM, "trainer: out of memory");
    ar_dp_rows_t in = {.nslots = M, .lo = lo, .hi = hi, .sum_len = S, .cat_len = Q,
                       .sum = part_sum, .cat = cats};
    st = dp->reduce ? dp->reduce(dp->ctx, &in, sum, cat, err) : ar_dp_reduce_local(NULL, &in, sum, cat, err);
    if (st) return st;
    int64_t off = 0;
    for (int i = 0; i < np; i++)
        for (int64_t e = 0; e < refs[i].numel; e++) refs[i].grad[e] = sum[off++] / (float)n;
    *loss = (double)sum[P] / n;
    for (int64_t k = 0; k < M; k++) /* the running updates, micro-batch by micro-batch */
        for (int b = 0, q = 0; b < t->nbn; b++) {
            int C;
            float *rm, *rv;
            bn_node(t, b, &C, &rm, &rv);
            const double mo = t->bn_mom[b];
            const float *bs = cat + k * Q + q;
            for (int c = 0; c < C; c++) {
                rm[c] = (float)((1.0 - mo) * rm[c] + mo * bs[c]);
                rv[c] = (float)((1.0 - mo) * rv[c] + mo * bs[C + c]);
            }
            q += 2 * C;
        }
    return AR_OK;
}

/* The evaluation loop's source: rows start.. of one set, put into the plan
 * (load_rows), so that the forward starts at t->start. */
typedef struct eval_src {
    ar_trainer_t *t;
    int s;
    int64_t *idx;               /* batch */
} eval_src_t;

static int eval_read(void *ctx, int64_t start, int n, const ar_tensor_t **x,
                     const int32_t **labels, ar_err_t *err)
{
    eval_src_t *e = ctx;
    for (int i = 0; i < n; i++) e->idx[i] = start + i;
    *x = NULL;
    *labels = e->t->lab;
    return load_rows(e->t, e->s, e->idx, n, err);
}

int ar_trainer_eval(ar_trainer_t *t, int s, int64_t *correct, int64_t *count, double *loss,
                    ar_err_t *err)
{
    eval_src_t src = {.t = t, .s = s, .idx = malloc((size_t)t->batch * sizeof *src.idx)};
    if (!src.idx) return ar_err_set(err, AR_E_NOMEM, "trainer: out of memory");
    ar_eval_opts_t o = {.count = t->sets[s].n, .read = eval_read, .read_ctx = &src,
                        .first = t->start, .loss = 1};
    ar_eval_result_t r;
    int st = ar_evaluate(t->p, &o, &r, err);
    free(src.idx);
    *correct = r.correct, *count = t->sets[s].n, *loss = r.loss;
    t->passes_fwd += r.count;
    return st;
}

void ar_trainer_passes(const ar_trainer_t *t, int64_t *fwd, int64_t *bwd)
{
    *fwd = t->passes_fwd, *bwd = t->passes_bwd;
}

int64_t ar_trainer_set_size(const ar_trainer_t *t, int s) { return t->sets[s].n; }
ar_plan_t *ar_trainer_plan(ar_trainer_t *t) { return t->p; }
int ar_trainer_first(const ar_trainer_t *t) { return t->first; }

int64_t ar_trainer_cache_bytes(const ar_trainer_t *t)
{
    int64_t n = 0;
    for (int s = 0; s < t->nsets; s++)
        for (int b = 0; b < t->nb; b++)
            if (t->bnode[b] >= 0) n += ar_tensor_numel(&t->sets[s].cache[b]) * (int64_t)sizeof(float);
    return n;
}
