/* lz_engine.c - status counts and gradient magnitudes per batch. Contract:
 * lz_engine.h. */
#include "lz_engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "nn/basic_ops.h"
#include "nn/evaluate.h"
#include "nn/plan.h"

struct ar_lz_engine {
    ar_graph_t *g;
    ar_plan_t *plan;
    ar_neuron_map_t *map;
    int batch, c, h, w;
    float *mean, *std;        /* owned copies, c each */
    ar_adv_cfg_t adv;
    uint64_t seed;
    ar_tensor_t x, xadv;      /* [batch, C, H, W] */
    int32_t *labels;          /* batch */
    uint8_t *px;              /* batch * H*W*C scratch */
    uint8_t *mask;            /* batch: examples counted / seeding the backward */
    uint64_t *keys;           /* batch: PGD keys */
};

int ar_lz_counts_init(ar_lz_counts_t *c, int64_t n, ar_err_t *err)
{
    memset(c, 0, sizeof *c);
    c->nneurons = n;
    c->act_fail = calloc((size_t)(n ? n : 1), sizeof *c->act_fail);
    c->act_pass = calloc((size_t)(n ? n : 1), sizeof *c->act_pass);
    if (!c->act_fail || !c->act_pass) {
        ar_lz_counts_free(c);
        return ar_err_set(err, AR_E_NOMEM, "localize: out of memory for %lld neuron counts", (long long)n);
    }
    return AR_OK;
}

void ar_lz_counts_free(ar_lz_counts_t *c)
{
    if (!c) return;
    free(c->act_fail);
    free(c->act_pass);
    memset(c, 0, sizeof *c);
}

void ar_lz_counts_add(ar_lz_counts_t *c, const ar_lz_counts_t *d)
{
    c->n_fail += d->n_fail;
    c->n_pass += d->n_pass;
    c->n_adv += d->n_adv;
    for (int64_t i = 0; i < c->nneurons; i++) {
        c->act_fail[i] += d->act_fail[i];
        c->act_pass[i] += d->act_pass[i];
    }
}

void ar_lz_engine_destroy(ar_lz_engine_t **ep)
{
    if (!ep || !*ep) return;
    ar_lz_engine_t *e = *ep;
    ar_plan_destroy(&e->plan);
    ar_neuron_map_destroy(&e->map);
    free(e->mean);
    free(e->std);
    ar_tensor_free(&e->x);
    ar_tensor_free(&e->xadv);
    free(e->labels);
    free(e->px);
    free(e->mask);
    free(e->keys);
    free(e);
    *ep = NULL;
}

ar_lz_engine_t *ar_lz_engine_new(ar_graph_t *g, int batch, const float *mean, const float *std,
                                 const ar_adv_cfg_t *adv, uint64_t seed, ar_err_t *err)
{
    if (batch < 1) return ar_err_set(err, AR_E_ARG, "localize: batch size %d", batch), NULL;
    ar_lz_engine_t *e = calloc(1, sizeof *e);
    if (!e) return ar_err_set(err, AR_E_NOMEM, "localize: out of memory"), NULL;
    e->g = g;
    e->batch = batch;
    e->c = g->in_c, e->h = g->in_h, e->w = g->in_w;
    e->seed = seed;
    if (adv) e->adv = *adv;
    if (!(e->map = ar_neuron_map_new(g, err))) goto fail;
    /* plan every unit unfrozen; the caller's flags come back afterwards */
    int *frozen = calloc((size_t)g->nnodes, sizeof *frozen);
    if (!frozen) goto fail_nomem;
    for (int i = 0; i < g->nnodes; i++) frozen[i] = g->nodes[i].frozen;
    for (int u = 0; u < e->map->nunits; u++) ar_graph_set_frozen(g, e->map->units[u].node, 0);
    ar_plan_opts_t po = {.batch = batch, .grads = 1, .input_grad = 1, .fold_bn = 0};
    e->plan = ar_plan_new(g, &po, err);
    for (int i = 0; i < g->nnodes; i++) ar_graph_set_frozen(g, i, frozen[i]);
    free(frozen);
    if (!e->plan) goto fail;
    e->mean = malloc((size_t)e->c * sizeof *e->mean);
    e->std = malloc((size_t)e->c * sizeof *e->std);
    e->x = ar_tensor_4d(batch, e->c, e->h, e->w);
    e->xadv = e->x;
    e->labels = calloc((size_t)batch, sizeof *e->labels);
    e->px = malloc((size_t)batch * (size_t)(e->c * e->h * e->w));
    e->mask = calloc((size_t)batch, 1);
    e->keys = calloc((size_t)batch, sizeof *e->keys);
    if (!e->mean || !e->std || !e->labels || !e->px || !e->mask || !e->keys ||
        ar_tensor_alloc(&e->x) || ar_tensor_alloc(&e->xadv))
        goto fail_nomem;
    memcpy(e->mean, mean ? mean : g->mean, (size_t)e->c * sizeof *e->mean);
    memcpy(e->std, std ? std : g->std, (size_t)e->c * sizeof *e->std);
    return e;
fail_nomem:
    ar_err_set(err, AR_E_NOMEM, "localize: out of memory for batch %d", batch);
fail:
    ar_lz_engine_destroy(&e);
    return NULL;
}

const ar_neuron_map_t *ar_lz_engine_map(const ar_lz_engine_t *e) { return e->map; }
int ar_lz_engine_batch_size(const ar_lz_engine_t *e) { return e->batch; }
int64_t ar_lz_engine_nbatches(const ar_lz_engine_t *e, int64_t n) { return (n + e->batch - 1) / e->batch; }

static int check_shape(const ar_lz_engine_t *e, ar_dataset_t *ds, ar_err_t *err)
{
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    if (in->channels != e->c || in->height != e->h || in->width != e->w)
        return ar_err_set(err, AR_E_ARG, "%s: images %dx%dx%d, the model takes %dx%dx%d", in->name,
                          in->channels, in->height, in->width, e->c, e->h, e->w);
    return AR_OK;
}

int ar_lz_engine_scan(ar_lz_engine_t *e, ar_dataset_t *ds, int64_t start, int64_t count,
                      uint8_t *correct, ar_err_t *err)
{
    int s = check_shape(e, ds, err);
    if (s) return s;
    ar_dataset_rows_t rows = {.ds = ds, .mean = e->mean, .std = e->std, .x = e->x,
                              .labels = e->labels, .scratch = e->px};
    ar_eval_opts_t o = {.start = start, .count = count, .read = ar_dataset_rows_read,
                        .read_ctx = &rows, .correct = correct};
    ar_eval_result_t r;
    return ar_evaluate(e->plan, &o, &r, err);
}

/* Counts, for every unit, the examples with mask[i] whose spatially averaged
 * status activation exceeds the threshold (act += ...), or (sums != NULL)
 * adds the averages of every example to sums. */
static void status(ar_lz_engine_t *e, int64_t n, const uint8_t *mask, const double *thr,
                   int64_t *act, double *sums)
{
    const ar_neuron_map_t *m = e->map;
    for (int u = 0; u < m->nunits; u++) {
        const ar_unit_t *un = &m->units[u];
        const ar_tensor_t *o = ar_plan_output(e->plan, un->status_node);
        int64_t per = ar_tensor_numel(o) / o->shape[0];
        int64_t hw = per / un->channels;
        for (int64_t i = 0; i < n; i++) {
            if (mask && !mask[i]) continue;
            for (int c = 0; c < un->channels; c++) {
                const float *v = o->data + i * per + (int64_t)c * hw;
                double a = 0.0;
                for (int64_t k = 0; k < hw; k++) a += v[k];
                a /= (double)hw;
                if (sums) sums[un->offset + c] += a;
                else if (a > thr[un->offset + c]) act[un->offset + c]++;
            }
        }
    }
}

/* Seeds d(sum_i l_i)/d(logits) = softmax - onehot on rows with mask[i], 0
 * elsewhere, back-propagates, and writes the per-neuron gradient magnitude
 * into row. Skips the backward (row 0) when no row is masked. */
static int grad_row(ar_lz_engine_t *e, int64_t n, const uint8_t *mask, double *row, ar_err_t *err)
{
    const ar_neuron_map_t *m = e->map;
    memset(row, 0, (size_t)m->nneurons * sizeof *row);
    int any = 0;
    for (int64_t i = 0; i < n; i++) any |= mask[i];
    if (!any) return AR_OK;
    const ar_tensor_t *lg = ar_plan_logits(e->plan);
    ar_tensor_t *d = ar_plan_grad(e->plan, e->g->nnodes - 1);
    int64_t k = lg->shape[1];
    for (int64_t i = 0; i < n; i++) {
        const float *z = lg->data + i * k;
        float *dz = d->data + i * k;
        if (!mask[i]) {
            memset(dz, 0, (size_t)k * sizeof *dz);
            continue;
        }
        float mx = z[0];
        for (int64_t j = 1; j < k; j++) mx = z[j] > mx ? z[j] : mx;
        double sum = 0.0;
        for (int64_t j = 0; j < k; j++) sum += exp((double)(z[j] - mx));
        for (int64_t j = 0; j < k; j++)
            dz[j] = (float)(exp((double)(z[j] - mx)) / sum) - (j == e->labels[i] ? 1.0f : 0.0f);
    }
    int s = ar_plan_backward(e->plan, err);
    if (s) return s;
    for (int u = 0; u < m->nunits; u++) {
        const ar_unit_t *un = &m->units[u];
        const float *gw = ar_plan_param_grad(e->plan, un->node, "weight");
        if (!gw) return ar_err_set(err, AR_E_INTERNAL, "localize: node %d has no weight gradient", un->node);
        for (int c = 0; c < un->channels; c++) {
            double a = 0.0;
            for (int64_t j = 0; j < un->fan; j++) a += fabs((double)gw[(int64_t)c * un->fan + j]);
            row[un->offset + c] = a / (double)un->fan;
        }
    }
    return AR_OK;
}

static int run_batch(ar_lz_engine_t *e, ar_lz_role_t role, ar_dataset_t *ds, int64_t set,
                     const int64_t *idx, int64_t n, const double *thr, ar_lz_counts_t *cnt,
                     double *row, ar_err_t *err)
{
    ar_tensor_t x = ar_tensor_4d(n, e->c, e->h, e->w), xa = x;
    x.data = e->x.data;
    xa.data = e->xadv.data;
    int s = ar_dataset_read_indices(ds, idx, n, e->mean, e->std, &x, e->labels, e->px, err);
    if (!s) s = ar_plan_forward(e->plan, &x, AR_MODE_EVAL, err);
    if (s) return s;
    if (role == AR_LZ_MEAN) {
        memset(row, 0, (size_t)e->map->nneurons * sizeof *row);
        status(e, n, NULL, NULL, NULL, row);
        return AR_OK;
    }
    if (role == AR_LZ_FAILING) {
        status(e, n, NULL, thr, cnt->act_fail, NULL);
        cnt->n_fail += n;
        memset(e->mask, 1, (size_t)n);
        return grad_row(e, n, e->mask, row, err);
    }
    status(e, n, NULL, thr, cnt->act_pass, NULL);
    cnt->n_pass += n;
    if (e->adv.method == AR_ADV_NONE) {
        memset(row, 0, (size_t)e->map->nneurons * sizeof *row);
        return AR_OK;
    }
    for (int64_t i = 0; i < n; i++)
        e->keys[i] = ar_rng_key(e->seed, (uint64_t[]){ar_rng_hash_str("localize/pgd"), (uint64_t)set,
                                                      (uint64_t)idx[i]}, 3);
    s = ar_adv_attack(e->plan, &e->adv, e->mean, e->std, &x, e->labels, e->keys, &xa, err);
    if (!s) s = ar_plan_forward(e->plan, &xa, AR_MODE_EVAL, err);
    if (s) return s;
    const ar_tensor_t *lg = ar_plan_logits(e->plan);
    int64_t flipped = 0;
    for (int64_t i = 0; i < n; i++) {
        e->mask[i] = ar_argmax(lg->data + i * lg->shape[1], lg->shape[1]) != e->labels[i];
        flipped += e->mask[i];
    }
    status(e, n, e->mask, thr, cnt->act_fail, NULL);
    cnt->n_fail += flipped;
    cnt->n_adv += flipped;
    return grad_row(e, n, e->mask, row, err);
}

int ar_lz_engine_run(ar_lz_engine_t *e, ar_lz_role_t role, ar_dataset_t *ds, int64_t set,
                     const int64_t *idx, int64_t n, const double *threshold, ar_lz_counts_t *counts,
                     double *rows, ar_err_t *err)
{
    int s = check_shape(e, ds, err);
    int64_t nn = e->map->nneurons;
    for (int64_t at = 0, b = 0; !s && at < n; at += e->batch, b++) {
        int64_t k = n - at < e->batch ? n - at : e->batch;
        s = run_batch(e, role, ds, set, idx + at, k, threshold, counts, rows + b * nn, err);
    }
    return s;
}
