/* trainer.c - cached-prefix training steps and evaluation (trainer.h). */
#include "trainer.h"

#include <stdlib.h>
#include <string.h>

#include "nn/evaluate.h"

#define MAXB 16  /* boundary nodes kept */

typedef struct tset {
    ar_imgset_t s;
    int64_t n;
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
};

void ar_trainer_destroy(ar_trainer_t **tp)
{
    if (!tp || !*tp) return;
    ar_trainer_t *t = *tp;
    for (int s = 0; s < t->nsets && t->sets; s++)
        for (int b = 0; b < t->nb; b++)
            if (t->bnode[b] >= 0) ar_tensor_free(&t->sets[s].cache[b]);
    for (int b = 0; b < t->nb; b++) ar_tensor_free(&t->gather[b]);
    free(t->sets);
    free(t->lab);
    free(t->soft);
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

/* Fills set s's caches: prefix forward in eval mode, batch by batch. */
static int fill_cache(ar_trainer_t *t, tset_t *ts, ar_err_t *err)
{
    const ar_graph_t *g = t->g;
    int64_t img = (int64_t)g->in_c * g->in_h * g->in_w;
    int last = -1;
    for (int b = 0; b < t->nb; b++)
        if (t->bnode[b] > last) last = t->bnode[b];
    if (last < 0) return AR_OK;
    for (int64_t at = 0; at < ts->n; at += t->batch) {
        int n = (int)(ts->n - at < t->batch ? ts->n - at : t->batch);
        ar_tensor_t x = ar_tensor_4d(n, g->in_c, g->in_h, g->in_w);
        x.data = ts->s.x->data + at * img;
        int st = ar_plan_set_input(t->p, &x, err);
        if (!st) st = ar_plan_forward_range(t->p, 0, last, AR_MODE_EVAL, err);
        if (st) return st;
        for (int b = 0; b < t->nb; b++) {
            if (t->bnode[b] < 0) continue;
            int64_t m = per_image(t, b);
            memcpy(ts->cache[b].data + at * m, ar_plan_output(t->p, t->bnode[b])->data,
                   (size_t)(n * m) * sizeof(float));
        }
    }
    return AR_OK;
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
        if (alloc_cache(t, &t->sets[s], err) || fill_cache(t, &t->sets[s], err)) goto fail;
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
    int cached = 0;
    for (int b = 0; b < t->nb; b++) cached |= t->bnode[b] >= 0;
    if (!cached) return AR_OK; /* the images are the cache */
    t->passes_fwd += t->sets[s].n;
    return fill_cache(t, &t->sets[s], err);
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
