/* graph_testutil.h - a tiny network using every op, random fills, and a
 * loss helper, shared by the graph tests. */
#ifndef AR_TEST_GRAPH_TESTUTIL_H
#define AR_TEST_GRAPH_TESTUTIL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/rng.h"
#include "nn/graph.h"
#include "nn/plan.h"
#include "nn/zoo.h"

static inline void gt_fill(float *p, int64_t n, uint64_t seed, double lo, double hi)
{
    ar_rng_t r;
    ar_rng_init(&r, seed);
    for (int64_t i = 0; i < n; i++) p[i] = (float)ar_rng_range(&r, lo, hi);
}

static inline ar_node_cfg_t gt_conv(int cout, int k, int s, int p, int groups, int bias)
{
    ar_node_cfg_t c = {.conv = {.c = {.cout = cout, .kh = k, .kw = k, .sh = s, .sw = s, .ph = p,
                                      .pw = p, .dh = 1, .dw = 1, .groups = groups},
                                .bias = bias}};
    return c;
}

/* Input 3x8x8, 5 classes; every op of ar_op_t appears. BN statistics and
 * all parameters are randomised (seeded) so eval mode is not trivial. */
static inline ar_graph_t *gt_allops(ar_err_t *e)
{
    ar_graph_t *g = ar_graph_new("allops", 3, 8, 8, 5, e);
    if (!g) return NULL;
    ar_node_cfg_t c;
    c = gt_conv(4, 3, 1, 1, 1, 1);
    ar_graph_add(g, AR_OP_CONV2D, "conv1", "", (int[]){-1}, 1, &c, e);            /* 0 */
    c = (ar_node_cfg_t){.bn = {.c = {.eps = 1e-5f, .momentum = 0.1f}, .affine = 1}};
    ar_graph_add(g, AR_OP_BATCHNORM2D, "bn1", "", (int[]){0}, 1, &c, e);          /* 1 */
    ar_graph_add(g, AR_OP_RELU, "relu1", "", (int[]){1}, 1, NULL, e);              /* 2 */
    c = (ar_node_cfg_t){.pool = {.kh = 2, .kw = 2, .sh = 2, .sw = 2}};
    ar_graph_add(g, AR_OP_MAXPOOL2D, "pool1", "", (int[]){2}, 1, &c, e);          /* 3 */
    c = gt_conv(4, 3, 1, 1, 1, 0);
    ar_graph_add(g, AR_OP_CONV2D, "b.conv2", "b", (int[]){3}, 1, &c, e);          /* 4 */
    c = (ar_node_cfg_t){.bn = {.c = {.eps = 1e-3f, .momentum = 0.2f}, .affine = 0}};
    ar_graph_add(g, AR_OP_BATCHNORM2D, "b.bn2", "b", (int[]){4}, 1, &c, e);       /* 5 */
    ar_graph_add(g, AR_OP_RELU, "b.relu2", "b", (int[]){5}, 1, NULL, e);          /* 6 */
    ar_graph_add(g, AR_OP_IDENTITY, "b.id", "b", (int[]){3}, 1, NULL, e);         /* 7 */
    ar_graph_add(g, AR_OP_ADD, "b.add", "b", (int[]){6, 7}, 2, NULL, e);          /* 8 */
    c = (ar_node_cfg_t){.zero = {.sh = 1, .sw = 1}};
    ar_graph_add(g, AR_OP_ZERO, "zero", "", (int[]){8}, 1, &c, e);                /* 9 */
    ar_graph_add(g, AR_OP_CONCAT, "cat", "", (int[]){8, 9, 3}, 3, NULL, e);       /* 10 */
    c = gt_conv(6, 1, 1, 0, 2, 1);
    ar_graph_add(g, AR_OP_CONV2D, "conv3", "", (int[]){10}, 1, &c, e);            /* 11 */
    c = (ar_node_cfg_t){.pool = {.kh = 3, .kw = 3, .sh = 1, .sw = 1, .ph = 1, .pw = 1}};
    ar_graph_add(g, AR_OP_AVGPOOL2D, "avg", "", (int[]){11}, 1, &c, e);           /* 12 */
    ar_graph_add(g, AR_OP_GLOBAL_AVGPOOL, "gap", "", (int[]){12}, 1, NULL, e);    /* 13 */
    c = (ar_node_cfg_t){.linear = {.out_features = 5, .bias = 1}};
    ar_graph_add(g, AR_OP_LINEAR, "fc", "", (int[]){13}, 1, &c, e);               /* 14 */
    if (e->status || ar_graph_finalize(g, 0, e)) {
        ar_graph_destroy(&g);
        return NULL;
    }
    ar_zoo_init_params(g, 7);
    for (int i = 0; i < g->nnodes; i++) {
        ar_node_t *nd = &g->nodes[i];
        if (nd->op != AR_OP_BATCHNORM2D) continue;
        for (int k = 0; k < nd->nparams; k++) {
            ar_tensor_t *t = &nd->params[k].value;
            int is_var = strcmp(nd->params[k].name, "running_var") == 0;
            int is_w = strcmp(nd->params[k].name, "weight") == 0;
            gt_fill(t->data, ar_tensor_numel(t), 100 + 10 * i + k, is_var || is_w ? 0.5 : -0.3,
                    is_var || is_w ? 1.5 : 0.3);
        }
    }
    return g;
}

/* A random input batch [n, 3, 8, 8] and labels. */
static inline void gt_batch(ar_tensor_t *x, int32_t *labels, int n, int c, int h, int w,
                            int classes, uint64_t seed)
{
    *x = ar_tensor_4d(n, c, h, w);
    ar_tensor_alloc(x);
    gt_fill(x->data, ar_tensor_numel(x), seed, -1, 1);
    for (int i = 0; i < n; i++) labels[i] = (int32_t)((seed + 3 * (uint64_t)i) % (uint64_t)classes);
}

/* ||a - b|| / max(||b||, 1e-30) */
static inline double gt_nerr(const float *a, const float *b, int64_t n)
{
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return sqrt(num) / (den > 1e-60 ? sqrt(den) : 1e-30);
}

#endif
