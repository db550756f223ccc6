/* test_bn_adapt.c - BatchNorm statistics re-estimated on images
 * (nn/bn_adapt.h) against a naive computation: for every BN of a small
 * resnet20, its input is taken from an eval-mode plan of the ORIGINAL model
 * over the same batches (a BN's input depends only on earlier nodes, whose
 * statistics are re-estimated in order), and the expected running mean and
 * variance are the average over batches of the batch means and unbiased
 * variances; the weights do not change; the result does not depend on the
 * thread count; the momenta are restored. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/rng.h"
#include "nn/bn_adapt.h"
#include "nn/plan.h"
#include "nn/zoo.h"

static ar_graph_t *model(void)
{
    ar_zoo_opts_t o = {.in_c = 1, .in_h = 12, .in_w = 12, .num_classes = 4, .width = 0.25, .seed = 5};
    ar_err_t err = {0};
    ar_graph_t *g = ar_zoo_build("resnet20", &o, &err);
    CHECK(g != NULL, "%s", err.msg);
    return g;
}

/* The param called name of node i. */
static const float *param(const ar_graph_t *g, int i, const char *name)
{
    for (int k = 0; k < g->nodes[i].nparams; k++)
        if (!strcmp(g->nodes[i].params[k].name, name)) return g->nodes[i].params[k].value.data;
    return NULL;
}

int main(void)
{
    const int n = 10, batch = 4; /* batches of 4, 4, 2 */
    ar_tensor_t x = ar_tensor_4d(n, 1, 12, 12);
    CHECK(ar_tensor_alloc(&x) == 0, "alloc");
    ar_rng_t r;
    ar_rng_init(&r, 9);
    for (int64_t i = 0; i < ar_tensor_numel(&x); i++) x.data[i] = (float)(2 * ar_rng_uniform(&r) + 0.5);
    ar_err_t err = {0};
    ar_graph_t *g = model(), *h = model(), *ref = model();
    CHECK(ar_bn_adapt(g, &x, batch, 1, &err) == AR_OK, "%s", err.msg);
    CHECK(ar_bn_adapt(h, &x, batch, 3, &err) == AR_OK, "%s", err.msg);

    /* naive: a train-mode forward of the original model per batch (a BN
     * normalises with the batch's statistics, as during the adaptation);
     * each BN's input gives that batch's mean and unbiased variance */
    ar_plan_opts_t po = {.batch = batch};
    ar_plan_t *p = ar_plan_new(ref, &po, &err);
    int nn = ref->nnodes, nbn = 0, nb = 0;
    double *mean = calloc((size_t)nn * 64, sizeof *mean), *var = calloc((size_t)nn * 64, sizeof *var);
    for (int at = 0; p && at < n; at += batch, nb++) {
        int b = n - at < batch ? n - at : batch;
        ar_tensor_t xb = ar_tensor_4d(b, 1, 12, 12);
        xb.data = x.data + (size_t)at * 144;
        CHECK(ar_plan_forward(p, &xb, AR_MODE_TRAIN, &err) == AR_OK, "%s", err.msg);
        for (int i = 0; i < nn; i++) {
            if (ref->nodes[i].op != AR_OP_BATCHNORM2D) continue;
            int in = ref->nodes[i].inputs[0], c = (int)ref->nodes[in].out.shape[0];
            int64_t hw = ref->nodes[in].out.shape[1] * ref->nodes[in].out.shape[2];
            const ar_tensor_t *o = ar_plan_output(p, in);
            CHECK(o && c <= 64, "node %d input", i);
            for (int ch = 0; o && ch < c; ch++) {
                double s = 0, sq = 0, m = (double)b * (double)hw;
                for (int k = 0; k < b; k++)
                    for (int64_t j = 0; j < hw; j++) {
                        double v = o->data[((size_t)k * c + ch) * hw + j];
                        s += v, sq += v * v;
                    }
                double mu = s / m;
                mean[i * 64 + ch] += mu;
                var[i * 64 + ch] += (sq - m * mu * mu) / (m - 1);
            }
        }
    }
    for (int i = 0; i < nn; i++) {
        if (ref->nodes[i].op != AR_OP_BATCHNORM2D) continue;
        nbn++;
        int c = (int)ref->nodes[i].out.shape[0];
        const float *gm = param(g, i, "running_mean"), *gv = param(g, i, "running_var");
        for (int ch = 0; ch < c; ch++) {
            CHECK_NEAR(gm[ch], mean[i * 64 + ch] / nb, 1e-5);
            CHECK_NEAR(gv[ch], var[i * 64 + ch] / nb, 1e-4);
        }
        CHECK(!memcmp(gm, param(h, i, "running_mean"), (size_t)c * sizeof *gm) &&
                  !memcmp(gv, param(h, i, "running_var"), (size_t)c * sizeof *gv),
              "node %d: 1 and 3 threads differ", i);
        CHECK(g->nodes[i].cfg.bn.c.momentum == ref->nodes[i].cfg.bn.c.momentum, "momentum restored");
        CHECK(!memcmp(param(g, i, "weight"), param(ref, i, "weight"), (size_t)c * sizeof(float)),
              "BN weight unchanged");
    }
    CHECK(nb == 3 && nbn >= 19, "%d batches, %d BNs", nb, nbn);
    ar_plan_destroy(&p);
    free(mean), free(var);
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i].op == AR_OP_CONV2D)
            CHECK(!memcmp(param(g, i, "weight"), param(ref, i, "weight"),
                          (size_t)ar_tensor_numel(&g->nodes[i].params[0].value) * sizeof(float)),
                  "conv weights unchanged");
    ar_graph_destroy(&g), ar_graph_destroy(&h), ar_graph_destroy(&ref);
    ar_tensor_free(&x);
    TEST_MAIN_END();
}
