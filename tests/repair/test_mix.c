/* test_mix.c - the mix and shift ops: forward against a naive reference,
 * backward (to every input and to alpha) against central finite differences
 * of a random linear loss, frozen alpha, and a model-file round trip. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "core/rng.h"
#include "nn/graph.h"
#include "nn/model_io.h"
#include "nn/plan.h"

static void fill(float *p, int64_t n, uint64_t seed, double lo, double hi)
{
    ar_rng_t r;
    ar_rng_init(&r, seed);
    for (int64_t i = 0; i < n; i++) p[i] = (float)ar_rng_range(&r, lo, hi);
}

/* input 2x5x5 -> three branches (identity, shift(1,-1), shift(-2,0) of the
 * input times a conv) mixed, then gap + linear to 3 classes. */
static ar_graph_t *mix_net(ar_err_t *e)
{
    ar_graph_t *g = ar_graph_new("mixnet", 2, 5, 5, 3, e);
    ar_node_cfg_t c = {.conv = {.c = {.cout = 2, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .ph = 1,
                                      .pw = 1, .dh = 1, .dw = 1, .groups = 1}}};
    ar_graph_add(g, AR_OP_CONV2D, "conv", "", (int[]){-1}, 1, &c, e);       /* 0 */
    c = (ar_node_cfg_t){.shift = {.dy = 1, .dx = -1}};
    ar_graph_add(g, AR_OP_SHIFT, "s1", "b", (int[]){0}, 1, &c, e);          /* 1 */
    c = (ar_node_cfg_t){.shift = {.dy = -2, .dx = 0}};
    ar_graph_add(g, AR_OP_SHIFT, "s2", "b", (int[]){-1}, 1, &c, e);         /* 2 */
    ar_graph_add(g, AR_OP_MIX, "mix", "b", (int[]){0, 1, 2}, 3, NULL, e);   /* 3 */
    ar_graph_add(g, AR_OP_GLOBAL_AVGPOOL, "gap", "", (int[]){3}, 1, NULL, e);
    c = (ar_node_cfg_t){.linear = {.out_features = 3, .bias = 1}};
    ar_graph_add(g, AR_OP_LINEAR, "fc", "", (int[]){4}, 1, &c, e);
    if (e->status || ar_graph_finalize(g, 0, e)) {
        ar_graph_destroy(&g);
        return NULL;
    }
    for (int i = 0; i < g->nnodes; i++)
        for (int k = 0; k < g->nodes[i].nparams; k++) {
            ar_tensor_t *t = &g->nodes[i].params[k].value;
            fill(t->data, ar_tensor_numel(t), 11 + 7 * (uint64_t)i + (uint64_t)k, -1, 1);
        }
    return g;
}

static void test_forward(void)
{
    ar_err_t e = {0};
    ar_graph_t *g = mix_net(&e);
    CHECK(g != NULL, "build: %s", e.msg);
    if (!g) return;
    CHECK(ar_graph_find(g, "mix") == 3 && g->nodes[3].nparams == 1 &&
              strcmp(g->nodes[3].params[0].name, "alpha") == 0 &&
              g->nodes[3].params[0].value.shape[0] == 3 && g->nodes[3].params[0].trainable,
          "alpha [3] trainable");
    ar_plan_opts_t o = {.batch = 2};
    ar_plan_t *p = ar_plan_new(g, &o, &e);
    ar_tensor_t x = ar_tensor_4d(2, 2, 5, 5);
    ar_tensor_alloc(&x);
    fill(x.data, ar_tensor_numel(&x), 5, -1, 1);
    CHECK_OK(ar_plan_forward(p, &x, AR_MODE_EVAL, &e), &e);
    const float *a = g->nodes[3].params[0].value.data;
    double m = fmax(a[0], fmax(a[1], a[2])), s = exp(a[0] - m) + exp(a[1] - m) + exp(a[2] - m);
    double w[3] = {exp(a[0] - m) / s, exp(a[1] - m) / s, exp(a[2] - m) / s};
    const ar_tensor_t *c = ar_plan_output(p, 0), *y = ar_plan_output(p, 3);
    double maxerr = 0;
    for (int n = 0; n < 2; n++)
        for (int ch = 0; ch < 2; ch++)
            for (int h = 0; h < 5; h++)
                for (int ww = 0; ww < 5; ww++) {
                    int64_t at = ((n * 2 + ch) * 5 + h) * 5 + ww;
                    double s1 = 0, s2 = 0;
                    if (h + 1 < 5 && ww - 1 >= 0) s1 = c->data[((n * 2 + ch) * 5 + h + 1) * 5 + ww - 1];
                    if (h - 2 >= 0) s2 = x.data[((n * 2 + ch) * 5 + h - 2) * 5 + ww];
                    double ref = w[0] * c->data[at] + w[1] * s1 + w[2] * s2;
                    maxerr = fmax(maxerr, fabs(ref - y->data[at]));
                }
    CHECK(maxerr < 1e-5, "mix/shift forward vs reference: max error %g", maxerr);
    ar_tensor_free(&x);
    ar_plan_destroy(&p);
    ar_graph_destroy(&g);
}

/* loss = softmax-xent of the logits; compares analytic gradients of the
 * input and of every parameter with central differences (double-checked
 * by normalised error). */
static void test_backward(int freeze_mix)
{
    ar_err_t e = {0};
    ar_graph_t *g = mix_net(&e);
    if (!g) return;
    if (freeze_mix) ar_graph_set_frozen(g, 3, 1);
    ar_plan_opts_t o = {.batch = 2, .input_grad = 1};
    ar_plan_t *p = ar_plan_new(g, &o, &e);
    ar_tensor_t x = ar_tensor_4d(2, 2, 5, 5);
    ar_tensor_alloc(&x);
    fill(x.data, ar_tensor_numel(&x), 9, -1, 1);
    int32_t lab[2] = {1, 2};
    CHECK_OK(ar_plan_forward(p, &x, AR_MODE_EVAL, &e), &e);
    ar_plan_loss(p, lab, NULL);
    CHECK_OK(ar_plan_backward(p, &e), &e);
    float *ga = ar_plan_param_grad(p, 3, "alpha");
    CHECK(freeze_mix ? ga == NULL : ga != NULL, "alpha gradient present iff unfrozen");
    /* targets: alpha (3), input (50) */
    struct { float *v; const float *gr; int n; const char *what; } t[2] = {
        {g->nodes[3].params[0].value.data, ga, 3, "alpha"},
        {x.data, ar_plan_grad(p, -1)->data, 50, "input"}};
    float *copy = malloc(53 * sizeof(float));
    memcpy(copy, ga ? ga : x.data, 3 * sizeof(float));
    memcpy(copy + 3, t[1].gr, 50 * sizeof(float));
    t[0].gr = ga ? copy : NULL;
    t[1].gr = copy + 3;
    for (int k = freeze_mix ? 1 : 0; k < 2; k++) {
        double num = 0, den = 0;
        for (int i = 0; i < t[k].n; i++) {
            float keep = t[k].v[i];
            const double h = 1e-2;
            t[k].v[i] = keep + (float)h;
            ar_plan_forward(p, &x, AR_MODE_EVAL, &e);
            double lp = ar_plan_loss(p, lab, NULL);
            t[k].v[i] = keep - (float)h;
            ar_plan_forward(p, &x, AR_MODE_EVAL, &e);
            double lm = ar_plan_loss(p, lab, NULL);
            t[k].v[i] = keep;
            double fd = (lp - lm) / (2 * h);
            num += (fd - t[k].gr[i]) * (fd - t[k].gr[i]);
            den += fd * fd;
        }
        double nerr = sqrt(num / (den > 1e-30 ? den : 1e-30));
        CHECK(nerr < 2e-3 && den > 1e-12, "%s gradient vs finite differences: nerr %g (|fd|^2 %g)",
              t[k].what, nerr, den);
    }
    free(copy);
    ar_tensor_free(&x);
    ar_plan_destroy(&p);
    ar_graph_destroy(&g);
}

static void test_model_file(void)
{
    ar_err_t e = {0};
    ar_graph_t *g = mix_net(&e);
    if (!g) return;
    const char *path = test_tmp("repair_mix.h5");
    CHECK_OK(ar_model_save(g, path, &e), &e);
    ar_graph_t *h = ar_model_load(path, &e);
    CHECK(h != NULL, "load: %s", e.msg);
    if (h) {
        CHECK(h->nodes[3].op == AR_OP_MIX && h->nodes[1].op == AR_OP_SHIFT &&
                  h->nodes[1].cfg.shift.dy == 1 && h->nodes[1].cfg.shift.dx == -1 &&
                  h->nodes[2].cfg.shift.dy == -2,
              "ops and offsets survive");
        CHECK(memcmp(h->nodes[3].params[0].value.data, g->nodes[3].params[0].value.data,
                     3 * sizeof(float)) == 0,
              "alpha survives");
    }
    ar_graph_destroy(&h);
    remove(path);
    ar_graph_destroy(&g);
}

int main(void)
{
    CHECK(ar_op_parse("mix") == AR_OP_MIX && ar_op_parse("shift") == AR_OP_SHIFT, "names");
    test_forward();
    test_backward(0);
    test_backward(1);
    test_model_file();
    TEST_MAIN_END();
}
