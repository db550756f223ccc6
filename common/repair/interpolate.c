/* interpolate.c - weight interpolation to the clean bound (interpolate.h). */
#include "interpolate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/evaluate.h"
#include "nn/plan.h"

int ar_graph_lerp(const ar_graph_t *g0, const ar_graph_t *g1, double a, ar_graph_t *out,
                  ar_err_t *err)
{
    if (!ar_graph_same_params(g0, g1) || !ar_graph_same_params(g0, out))
        return ar_err_set(err, AR_E_ARG, "interpolation needs two models of the same architecture");
    for (int i = 0; i < g0->nnodes; i++)
        for (int k = 0; k < g0->nodes[i].nparams; k++) {
            const ar_tensor_t *t0 = &g0->nodes[i].params[k].value, *t1 = &g1->nodes[i].params[k].value;
            float *o = out->nodes[i].params[k].value.data;
            for (int64_t j = 0, n = ar_tensor_numel(t0); j < n; j++)
                o[j] = (float)((1.0 - a) * (double)t0->data[j] + a * (double)t1->data[j]);
        }
    return AR_OK;
}

/* The name of g's seeded-cell output BN ("<B>.cell.bn" of a block with a
 * "<B>.cell.add" node) into bn; 0 when g has none. */
static int seeded_cell_bn(const ar_graph_t *g, char *bn, size_t cap)
{
    static const char add[] = ".cell.add";
    for (int i = 0; i < g->nnodes; i++) {
        size_t n = strlen(g->nodes[i].name), k = sizeof add - 1;
        if (g->nodes[i].op != AR_OP_ADD || n <= k || strcmp(g->nodes[i].name + n - k, add) != 0)
            continue;
        snprintf(bn, cap, "%.*s.cell.bn", (int)(n - k), g->nodes[i].name);
        return ar_graph_find(g, bn) >= 0;
    }
    return 0;
}

/* Node j of g0 with node i of g1's name and parameter sizes, or -1. */
static int same_node(const ar_graph_t *g0, const ar_graph_t *g1, int i)
{
    int j = ar_graph_find(g0, g1->nodes[i].name);
    if (j < 0 || g0->nodes[j].op != g1->nodes[i].op || g0->nodes[j].nparams != g1->nodes[i].nparams)
        return -1;
    for (int k = 0; k < g1->nodes[i].nparams; k++)
        if (ar_tensor_numel(&g0->nodes[j].params[k].value) !=
            ar_tensor_numel(&g1->nodes[i].params[k].value))
            return -1;
    return j;
}

int ar_interp_supported(const ar_graph_t *g0, const ar_graph_t *g1)
{
    char bn[300];
    return ar_graph_same_params(g0, g1) || seeded_cell_bn(g1, bn, sizeof bn);
}

int ar_interp_weights(const ar_graph_t *g0, const ar_graph_t *g1, double a, ar_graph_t *out,
                      ar_err_t *err)
{
    if (ar_graph_same_params(g0, g1)) return ar_graph_lerp(g0, g1, a, out, err);
    char bn[300];
    if (!seeded_cell_bn(g1, bn, sizeof bn) || !ar_graph_same_params(g1, out))
        return ar_err_set(err, AR_E_ARG,
                          "interpolation needs the same architecture or a cell beside the "
                          "original block (repair.seed_original)");
    for (int i = 0; i < g1->nnodes; i++) {
        const ar_node_t *n1 = &g1->nodes[i];
        int j = same_node(g0, g1, i), scale = strcmp(n1->name, bn) == 0;
        for (int k = 0; k < n1->nparams; k++) {
            const float *t1 = n1->params[k].value.data;
            float *o = out->nodes[i].params[k].value.data;
            int64_t n = ar_tensor_numel(&n1->params[k].value);
            if (j >= 0) {
                const float *t0 = g0->nodes[j].params[k].value.data;
                for (int64_t e = 0; e < n; e++)
                    o[e] = (float)((1.0 - a) * (double)t0[e] + a * (double)t1[e]);
            } else if (scale && (strcmp(n1->params[k].name, "weight") == 0 ||
                                 strcmp(n1->params[k].name, "bias") == 0)) {
                for (int64_t e = 0; e < n; e++) o[e] = (float)(a * (double)t1[e]);
            } else if (o != t1) {
                memcpy(o, t1, (size_t)n * sizeof(float));
            }
        }
    }
    return AR_OK;
}

/* Eval-mode accuracy of the plan's graph on an image set. */
static int plan_accuracy(ar_plan_t *p, const ar_imgset_t *set, double *acc, ar_err_t *err)
{
    int64_t n = set->x->shape[0];
    ar_eval_images_t src = {.x = set->x, .y = set->y};
    ar_eval_opts_t o = {.start = 0, .count = n, .read = ar_eval_images_read, .read_ctx = &src};
    ar_eval_result_t r;
    int s = ar_evaluate(p, &o, &r, err);
    if (!s) *acc = (double)r.correct / (double)n;
    return s;
}

/* An eval plan for g (parameters are read at each forward, so one plan
 * serves every interpolated set of weights). */
static ar_plan_t *eval_plan(ar_graph_t *g, int64_t n, int batch, ar_err_t *err)
{
    if (n < 1) return ar_err_set(err, AR_E_ARG, "no validation images"), NULL;
    ar_plan_opts_t po = {.batch = (int)(n < batch ? n : batch), .lean = 1};
    return ar_plan_new(g, &po, err);
}

int ar_imgset_accuracy(ar_graph_t *g, const ar_imgset_t *set, int batch, double *acc, ar_err_t *err)
{
    ar_plan_t *p = eval_plan(g, set->x->shape[0], batch, err);
    if (!p) return err->status;
    int s = plan_accuracy(p, set, acc, err);
    ar_plan_destroy(&p);
    return s;
}

int ar_interp_to_bound(const ar_graph_t *g0, ar_graph_t *tuned, const ar_imgset_t *val, int batch,
                       double floor, ar_interp_result_t *r, ar_err_t *err)
{
    *r = (ar_interp_result_t){0};
    int64_t n = val[0].x->shape[0] > val[1].x->shape[0] ? val[0].x->shape[0] : val[1].x->shape[0];
    ar_graph_t *g1 = ar_graph_clone(tuned, err); /* the repaired weights, kept apart */
    ar_plan_t *p = g1 ? eval_plan(tuned, n, batch, err) : NULL;
    int s = p ? AR_OK : err->status;
    for (int k = 8; k >= 1 && !s; k--) {
        r->a = k / 8.0;
        r->tried++;
        r->passes_fwd += val[0].x->shape[0] + val[1].x->shape[0];
        s = ar_interp_weights(g0, g1, r->a, tuned, err);
        if (!s) s = plan_accuracy(p, &val[0], &r->val_clean, err);
        if (!s) s = plan_accuracy(p, &val[1], &r->val_corrupt, err);
        if (!s && r->val_clean >= floor) break;
    }
    ar_plan_destroy(&p);
    ar_graph_destroy(&g1);
    return s;
}
