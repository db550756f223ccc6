/* test_interpolate.c - weight interpolation to the clean bound
 * (repair/interpolate.h): a = 0 gives the original's parameters and a = 1
 * the repaired ones bit for bit, a = 1/2 their mean; another architecture
 * is refused; ar_interp_to_bound keeps the largest a of 1, 7/8 .. 1/8 whose
 * clean accuracy meets the floor, checked against evaluating every a; a
 * searched cell beside the original branch interpolates its contribution. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "core/rng.h"
#include "nn/zoo.h"
#include "nn/plan.h"
#include "repair/cell.h"
#include "repair/interpolate.h"

static ar_graph_t *model(const char *name, uint64_t seed)
{
    ar_zoo_opts_t o = {.in_c = 1, .in_h = 12, .in_w = 12, .num_classes = 4, .width = 0.25, .seed = seed};
    ar_err_t err = {0};
    ar_graph_t *g = ar_zoo_build(name, &o, &err);
    CHECK(g != NULL, "%s", err.msg);
    return g;
}

static int params_equal(const ar_graph_t *a, const ar_graph_t *b)
{
    for (int i = 0; i < a->nnodes; i++)
        for (int k = 0; k < a->nodes[i].nparams; k++)
            if (memcmp(a->nodes[i].params[k].value.data, b->nodes[i].params[k].value.data,
                       (size_t)ar_tensor_numel(&a->nodes[i].params[k].value) * sizeof(float)))
                return 0;
    return 1;
}

/* Max |logit difference| of two models on x. */
static double logit_diff(ar_graph_t *a, ar_graph_t *b, const ar_tensor_t *x)
{
    ar_err_t err = {0};
    ar_plan_opts_t po = {.batch = (int)x->shape[0]};
    ar_plan_t *pa = ar_plan_new(a, &po, &err), *pb = ar_plan_new(b, &po, &err);
    double d = 1e30;
    if (pa && pb && !ar_plan_forward(pa, x, AR_MODE_EVAL, &err) &&
        !ar_plan_forward(pb, x, AR_MODE_EVAL, &err)) {
        const ar_tensor_t *la = ar_plan_logits(pa), *lb = ar_plan_logits(pb);
        d = 0;
        for (int64_t i = 0; i < ar_tensor_numel(la); i++)
            d = fmax(d, fabs((double)la->data[i] - (double)lb->data[i]));
    }
    ar_plan_destroy(&pa), ar_plan_destroy(&pb);
    return d;
}

/* A searched cell beside the original branch: a = 0 is the original
 * network, a = 1 the trained cell graph, a = 1/2 scales the cell's output
 * BN affine by 1/2 and mixes the rest; without the original branch refused. */
static void test_cell(ar_graph_t *g0, const ar_tensor_t *x)
{
    ar_err_t err = {0};
    ar_cell_cfg_t cc = ar_cell_cfg_default();
    cc.nodes = 2;
    ar_graph_t *t = ar_cell_build(g0, "layer2.0", &cc, NULL, &err);
    CHECK(t != NULL, "cell: %s", err.msg);
    if (!t) return;
    ar_rng_t r; /* "training": every parameter moved, the cell's BN weight off 0 */
    ar_rng_init(&r, 9);
    for (int i = 0; i < t->nnodes; i++)
        for (int k = 0; k < t->nodes[i].nparams; k++) {
            ar_param_t *p = &t->nodes[i].params[k];
            if (strcmp(p->name, "running_var") == 0) continue;
            for (int64_t j = 0; j < ar_tensor_numel(&p->value); j++)
                p->value.data[j] += (float)(0.1 * ar_rng_normal(&r));
        }
    ar_graph_t *w = ar_graph_clone(t, &err);
    CHECK(ar_interp_supported(g0, t) && w, "a seeded cell interpolates");
    CHECK(logit_diff(t, g0, x) > 1e-2, "the trained cell changes the network");
    CHECK(ar_interp_weights(g0, t, 0.0, w, &err) == AR_OK && logit_diff(w, g0, x) < 1e-5,
          "a = 0 is the original (%g): %s", logit_diff(w, g0, x), err.msg);
    CHECK(ar_interp_weights(g0, t, 1.0, w, &err) == AR_OK && params_equal(w, t), "a = 1 is the cell");
    CHECK(ar_interp_weights(g0, t, 0.5, w, &err) == AR_OK, "a = 1/2: %s", err.msg);
    int bn = ar_graph_find(t, "layer2.0.cell.bn"), conv = ar_graph_find(t, "layer2.0.conv1"),
        proj = ar_graph_find(t, "layer2.0.cell.proj"), conv0 = ar_graph_find(g0, "layer2.0.conv1");
    CHECK(bn >= 0 && conv >= 0 && proj >= 0 && conv0 >= 0, "node names");
    if (bn >= 0 && conv >= 0 && proj >= 0 && conv0 >= 0) {
        CHECK(w->nodes[bn].params[0].value.data[0] == (float)(0.5 * t->nodes[bn].params[0].value.data[0]),
              "cell BN weight scaled");
        CHECK(w->nodes[proj].params[0].value.data[3] == t->nodes[proj].params[0].value.data[3],
              "other cell parameters as trained");
        CHECK(w->nodes[conv].params[0].value.data[2] ==
                  (float)(0.5 * g0->nodes[conv0].params[0].value.data[2] +
                          0.5 * t->nodes[conv].params[0].value.data[2]),
              "original branch mixed");
    }
    cc.seed_original = 0;
    ar_graph_t *u = ar_cell_build(g0, "layer2.0", &cc, NULL, &err), *wu = u ? ar_graph_clone(u, &err) : NULL;
    CHECK(u && wu && !ar_interp_supported(g0, u) &&
              ar_interp_weights(g0, u, 0.5, wu, &err) == AR_E_ARG,
          "a cell replacing the block is refused");
    ar_graph_destroy(&u), ar_graph_destroy(&wu), ar_graph_destroy(&w), ar_graph_destroy(&t);
}

int main(void)
{
    ar_err_t err = {0};
    ar_graph_t *g0 = model("resnet20", 1), *g1 = model("resnet20", 2), *w = model("resnet20", 3);
    CHECK(ar_graph_lerp(g0, g1, 0.0, w, &err) == AR_OK && params_equal(w, g0), "a = 0: %s", err.msg);
    CHECK(ar_graph_lerp(g0, g1, 1.0, w, &err) == AR_OK && params_equal(w, g1), "a = 1: %s", err.msg);
    CHECK(ar_graph_lerp(g0, g1, 0.5, w, &err) == AR_OK, "a = 1/2: %s", err.msg);
    const ar_tensor_t *t0 = &g0->nodes[1].params[0].value, *t1 = &g1->nodes[1].params[0].value,
                      *tw = &w->nodes[1].params[0].value;
    for (int64_t j = 0; j < ar_tensor_numel(t0); j++)
        CHECK(tw->data[j] == (float)(0.5 * t0->data[j] + 0.5 * t1->data[j]), "mean at %lld", (long long)j);
    ar_graph_t *other = model("resnet32", 1);
    CHECK(ar_graph_lerp(g0, other, 0.5, w, &err) == AR_E_ARG, "another architecture accepted");
    ar_graph_destroy(&other);

    /* validation images labelled by the original's predictions: it is 100%
     * accurate there, the other model is not; floors between */
    const int n = 64;
    ar_tensor_t x = ar_tensor_4d(n, 1, 12, 12);
    CHECK(ar_tensor_alloc(&x) == 0, "alloc");
    ar_rng_t r;
    ar_rng_init(&r, 4);
    for (int64_t i = 0; i < ar_tensor_numel(&x); i++) x.data[i] = (float)(4 * ar_rng_uniform(&r) - 2);
    int32_t y[64] = {0};
    ar_imgset_t probe = {&x, y, NULL};
    double acc0 = 0;
    /* find the original's predictions by trying each label per image */
    for (int i = 0; i < n; i++) {
        ar_tensor_t xi = ar_tensor_4d(1, 1, 12, 12);
        xi.data = x.data + (size_t)i * 144;
        for (int c = 0; c < 4; c++) {
            int32_t yc = c;
            ar_imgset_t one = {&xi, &yc, NULL};
            double a = 0;
            CHECK(ar_imgset_accuracy(g0, &one, 1, &a, &err) == AR_OK, "%s", err.msg);
            if (a == 1) y[i] = c;
        }
    }
    CHECK(ar_imgset_accuracy(g0, &probe, 16, &acc0, &err) == AR_OK && acc0 == 1.0, "original %g", acc0);
    ar_imgset_t val[2] = {probe, probe};
    for (double floor = 0.25; floor <= 1.0; floor += 0.25) {
        ar_graph_t *t = ar_graph_clone(g1, &err);
        ar_interp_result_t ir;
        CHECK(ar_interp_to_bound(g0, t, val, 16, floor, &ir, &err) == AR_OK, "%s", err.msg);
        double want = 0.125; /* the largest a meeting the floor, by brute force */
        for (int k = 8; k >= 1; k--) {
            double acc = 0;
            ar_graph_lerp(g0, g1, k / 8.0, w, &err);
            ar_imgset_accuracy(w, &probe, 16, &acc, &err);
            if (acc >= floor) {
                want = k / 8.0;
                break;
            }
        }
        CHECK(ir.a == want, "floor %g: a %g, want %g", floor, ir.a, want);
        CHECK(ar_graph_lerp(g0, g1, ir.a, w, &err) == AR_OK && params_equal(w, t), "kept weights");
        ar_graph_destroy(&t);
    }
    test_cell(g0, &x);
    ar_tensor_free(&x);
    ar_graph_destroy(&g0), ar_graph_destroy(&g1), ar_graph_destroy(&w);
    TEST_MAIN_END();
}
