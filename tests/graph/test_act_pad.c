/* test_act_pad.c - the clamp (ReLU6, Hardtanh), silu, hardswish and pad ops
 * inside a graph (the ops PyTorch models bring: docs/pytorch.md): each
 * node's output against a naive reference computed from its input node's
 * output, input and parameter gradients against central finite differences
 * in eval and train mode, a lean plan and two threads give the same bits,
 * the model-file round trip (attributes and the `module` source path, also
 * through ar_graph_clone), and each bad attribute rejected at load with the
 * node and the attribute named. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "graph_testutil.h"
#include "io/h5.h"
#include "nn/model_io.h"
#include "nn/plan.h"

/* input 3x8x8, 4 classes:
 *  0 conv1 3->4 3x3 p1      1 bn1         2 relu6 = clamp(0, 6)    3 silu
 *  4 sub = avgpool k1 s2 (x[:, :, ::2, ::2])   5 padc = pad channels 2+2 (option A)
 *  6 conv2 4->8 3x3 s2 p1   7 hswish      8 add(7, 5)              9 htanh = clamp(-1, 1)
 * 10 pads = crop channels 2 (front), pad 1 (back); pad rows 1, crop 2;
 *           crop columns 1, pad 2                11 gap              12 fc 7->4 */
static ar_graph_t *net(ar_err_t *e)
{
    ar_graph_t *g = ar_graph_new("actpad", 3, 8, 8, 4, e);
    if (!g) return NULL;
    ar_node_cfg_t c = gt_conv(4, 3, 1, 1, 1, 1);
    ar_graph_add(g, AR_OP_CONV2D, "conv1", "", (int[]){-1}, 1, &c, e);
    c = (ar_node_cfg_t){.bn = {.c = {.eps = 1e-5f, .momentum = 0.1f}, .affine = 1}};
    ar_graph_add(g, AR_OP_BATCHNORM2D, "bn1", "", (int[]){0}, 1, &c, e);
    c = (ar_node_cfg_t){.clamp = {.lo = 0.0f, .hi = 6.0f}};
    ar_graph_add(g, AR_OP_CLAMP, "relu6", "", (int[]){1}, 1, &c, e);
    ar_graph_add(g, AR_OP_SILU, "silu", "", (int[]){2}, 1, NULL, e);
    c = (ar_node_cfg_t){.pool = {.kh = 1, .kw = 1, .sh = 2, .sw = 2}};
    ar_graph_add(g, AR_OP_AVGPOOL2D, "b.sub", "b", (int[]){3}, 1, &c, e);
    c = (ar_node_cfg_t){.pad = {.c0 = 2, .c1 = 2}};
    ar_graph_add(g, AR_OP_PAD, "b.padc", "b", (int[]){4}, 1, &c, e);
    c = gt_conv(8, 3, 2, 1, 1, 0);
    ar_graph_add(g, AR_OP_CONV2D, "b.conv2", "b", (int[]){3}, 1, &c, e);
    ar_graph_add(g, AR_OP_HARDSWISH, "b.hswish", "b", (int[]){6}, 1, NULL, e);
    ar_graph_add(g, AR_OP_ADD, "b.add", "b", (int[]){7, 5}, 2, NULL, e);
    c = (ar_node_cfg_t){.clamp = {.lo = -1.0f, .hi = 1.0f}};
    ar_graph_add(g, AR_OP_CLAMP, "b.htanh", "b", (int[]){8}, 1, &c, e);
    c = (ar_node_cfg_t){.pad = {.c0 = -2, .c1 = 1, .h0 = 1, .h1 = -2, .w0 = -1, .w1 = 2}};
    ar_graph_add(g, AR_OP_PAD, "pads", "", (int[]){9}, 1, &c, e);
    ar_graph_add(g, AR_OP_GLOBAL_AVGPOOL, "gap", "", (int[]){10}, 1, NULL, e);
    c = (ar_node_cfg_t){.linear = {.out_features = 4, .bias = 1}};
    ar_graph_add(g, AR_OP_LINEAR, "fc", "", (int[]){11}, 1, &c, e);
    if (e->status || ar_graph_finalize(g, 0, e)) {
        ar_graph_destroy(&g);
        return NULL;
    }
    /* weights large enough that every activation sees both sides of its kinks */
    for (int i = 0; i < g->nnodes; i++)
        for (int k = 0; k < g->nodes[i].nparams; k++) {
            ar_tensor_t *t = &g->nodes[i].params[k].value;
            const char *pn = g->nodes[i].params[k].name;
            int pos = !strcmp(pn, "running_var") || (g->nodes[i].op == AR_OP_BATCHNORM2D && !strcmp(pn, "weight"));
            gt_fill(t->data, ar_tensor_numel(t), 31 + 7 * (uint64_t)i + (uint64_t)k,
                    pos ? 0.5 : -1.0, pos ? 1.5 : 1.0);
        }
    ar_graph_set_module(g, 0, "features.0", e);
    ar_graph_set_module(g, 1, "features.1", e);
    ar_graph_set_module(g, 12, "classifier", e);
    return g;
}

static float at(const ar_tensor_t *t, int64_t n, int64_t c, int64_t h, int64_t w)
{
    return t->data[((n * t->shape[1] + c) * t->shape[2] + h) * t->shape[3] + w];
}

static double hswish(double v) { return v * fmin(fmax(v + 3.0, 0.0), 6.0) / 6.0; }

/* Every new op's output against its reference, from its input's output. */
static void test_forward(void)
{
    ar_err_t e = {0};
    ar_graph_t *g = net(&e);
    CHECK(g != NULL, "build: %s", e.msg);
    if (!g) return;
    const int N = 3;
    ar_plan_opts_t o = {.batch = N};
    ar_plan_t *p = ar_plan_new(g, &o, &e);
    ar_tensor_t x;
    int32_t lab[3];
    gt_batch(&x, lab, N, 3, 8, 8, 4, 5);
    for (int64_t i = 0; i < ar_tensor_numel(&x); i++) x.data[i] *= 3.0f;
    CHECK_OK(ar_plan_forward(p, &x, AR_MODE_EVAL, &e), &e);
    double err[13] = {0};
    int below = 0, above = 0;
    for (int i = 2; i <= 10; i++) {
        const ar_node_t *nd = &g->nodes[i];
        const ar_tensor_t *y = ar_plan_output(p, i), *a = ar_plan_output(p, nd->inputs[0]);
        int64_t C = y->shape[1], H = y->shape[2], W = y->shape[3];
        for (int64_t n = 0; n < N; n++)
            for (int64_t c = 0; c < C; c++)
                for (int64_t h = 0; h < H; h++)
                    for (int64_t w = 0; w < W; w++) {
                        double ref = 0, v = 0;
                        if (nd->op != AR_OP_PAD && nd->op != AR_OP_AVGPOOL2D) v = at(a, n, c, h, w);
                        switch (nd->op) {
                        case AR_OP_CLAMP:
                            ref = fmin(fmax(v, nd->cfg.clamp.lo), nd->cfg.clamp.hi);
                            below += nd->cfg.clamp.lo == 0 && v < 0;
                            above += nd->cfg.clamp.hi == 6 && v > 6;
                            break;
                        case AR_OP_SILU: ref = v / (1 + exp(-v)); break;
                        case AR_OP_HARDSWISH: ref = hswish(v); break;
                        case AR_OP_AVGPOOL2D: ref = at(a, n, c, 2 * h, 2 * w); break;
                        case AR_OP_ADD: ref = v + at(ar_plan_output(p, nd->inputs[1]), n, c, h, w); break;
                        case AR_OP_PAD: {
                            int64_t cc = c - nd->cfg.pad.c0, hh = h - nd->cfg.pad.h0,
                                    ww = w - nd->cfg.pad.w0;
                            int in = cc >= 0 && cc < a->shape[1] && hh >= 0 && hh < a->shape[2] &&
                                     ww >= 0 && ww < a->shape[3];
                            ref = in ? at(a, n, cc, hh, ww) : 0.0;
                            break;
                        }
                        default: ref = at(y, n, c, h, w);
                        }
                        err[i] = fmax(err[i], fabs(ref - at(y, n, c, h, w)));
                    }
    }
    for (int i = 2; i <= 10; i++)
        CHECK(err[i] < 1e-6, "node %d '%s' (%s) vs reference: max error %g", i, g->nodes[i].name,
              ar_op_name(g->nodes[i].op), err[i]);
    CHECK(below > 0 && above > 0, "relu6 saw both bounds (%d below 0, %d above 6)", below, above);
    const ar_tensor_t *y5 = ar_plan_output(p, 5), *y10 = ar_plan_output(p, 10);
    CHECK(y5->shape[1] == 8 && y5->shape[2] == 4 && y10->shape[1] == 7 && y10->shape[2] == 3 &&
              y10->shape[3] == 5,
          "pad shapes [8, 4, 4] and [7, 3, 5]");
    ar_tensor_free(&x);
    ar_plan_destroy(&p);
    ar_graph_destroy(&g);
}

/* Analytic gradients of the input and of conv1's weight (upstream of every
 * new op) against central differences of the loss. */
static void test_backward(ar_mode_t mode)
{
    ar_err_t e = {0};
    ar_graph_t *g = net(&e);
    if (!g) return;
    const int N = 2;
    ar_plan_opts_t o = {.batch = N, .grads = 1, .input_grad = 1};
    ar_plan_t *p = ar_plan_new(g, &o, &e);
    ar_tensor_t x;
    int32_t lab[2];
    gt_batch(&x, lab, N, 3, 8, 8, 4, 9);
    for (int64_t i = 0; i < ar_tensor_numel(&x); i++) x.data[i] *= 3.0f;
    CHECK_OK(ar_plan_forward(p, &x, mode, &e), &e);
    ar_plan_loss(p, lab, NULL);
    CHECK_OK(ar_plan_backward(p, &e), &e);
    int64_t nx = ar_tensor_numel(&x), nw = ar_tensor_numel(&g->nodes[0].params[0].value);
    float *gx = malloc((size_t)nx * sizeof(float)), *gw = malloc((size_t)nw * sizeof(float));
    memcpy(gx, ar_plan_grad(p, -1)->data, (size_t)nx * sizeof(float));
    memcpy(gw, ar_plan_param_grad(p, 0, "weight"), (size_t)nw * sizeof(float));
    struct { float *v; const float *gr; int64_t n; const char *what; } t[2] = {
        {x.data, gx, nx, "input"}, {g->nodes[0].params[0].value.data, gw, nw, "conv1.weight"}};
    for (int k = 0; k < 2; k++) {
        double num = 0, den = 0;
        for (int64_t i = 0; i < t[k].n; i++) {
            float v0 = t[k].v[i];
            const double h = 1e-3;
            double l[2];
            for (int s = 0; s < 2; s++) {
                t[k].v[i] = v0 + (float)(s ? -h : h);
                ar_plan_forward(p, &x, mode, &e);
                l[s] = ar_plan_loss(p, lab, NULL);
            }
            t[k].v[i] = v0;
            double fd = (l[0] - l[1]) / (2 * h);
            num += (fd - t[k].gr[i]) * (fd - t[k].gr[i]);
            den += fd * fd;
        }
        double nerr = sqrt(num / (den > 1e-30 ? den : 1e-30));
        CHECK(nerr < 1e-2 && den > 1e-12, "%s mode: %s gradient vs finite differences: nerr %g",
              mode == AR_MODE_TRAIN ? "train" : "eval", t[k].what, nerr);
    }
    free(gx), free(gw);
    ar_tensor_free(&x);
    ar_plan_destroy(&p);
    ar_graph_destroy(&g);
}

/* logits and parameter gradients of one train step with the given options */
static void run_step(ar_graph_t *g, const ar_plan_opts_t *o, float *logits, float *grads)
{
    ar_err_t e = {0};
    ar_graph_t *c = ar_graph_clone(g, &e); /* the same running statistics every time */
    ar_plan_t *p = ar_plan_new(c, o, &e);
    ar_tensor_t x;
    int32_t lab[4];
    gt_batch(&x, lab, 4, 3, 8, 8, 4, 21);
    for (int64_t i = 0; i < ar_tensor_numel(&x); i++) x.data[i] *= 3.0f;
    CHECK_OK(ar_plan_forward(p, &x, AR_MODE_TRAIN, &e), &e);
    memcpy(logits, ar_plan_logits(p)->data, 16 * sizeof(float));
    ar_plan_loss(p, lab, NULL);
    CHECK_OK(ar_plan_backward(p, &e), &e);
    int n = 0, off = 0;
    const ar_param_ref_t *refs = ar_plan_params(p, &n);
    for (int r = 0; r < n; r++) {
        memcpy(grads + off, refs[r].grad, (size_t)refs[r].numel * sizeof(float));
        off += (int)refs[r].numel;
    }
    ar_tensor_free(&x);
    ar_plan_destroy(&p);
    ar_graph_destroy(&c);
}

static void test_lean_threads(void)
{
    ar_err_t e = {0};
    ar_graph_t *g = net(&e);
    if (!g) return;
    int64_t np = ar_graph_param_count(g, 1);
    float l0[16], l1[16], l2[16];
    float *g0 = malloc((size_t)np * 4), *g1 = malloc((size_t)np * 4), *g2 = malloc((size_t)np * 4);
    run_step(g, &(ar_plan_opts_t){.batch = 4, .grads = 1, .threads = 1}, l0, g0);
    run_step(g, &(ar_plan_opts_t){.batch = 4, .grads = 1, .threads = 1, .lean = 1}, l1, g1);
    run_step(g, &(ar_plan_opts_t){.batch = 4, .grads = 1, .threads = 2}, l2, g2);
    CHECK(memcmp(l0, l1, sizeof l0) == 0 && memcmp(g0, g1, (size_t)np * 4) == 0,
          "lean plan: same logits and gradients");
    CHECK(memcmp(l0, l2, sizeof l0) == 0 && memcmp(g0, g2, (size_t)np * 4) == 0,
          "two threads: same logits and gradients");
    free(g0), free(g1), free(g2);
    ar_graph_destroy(&g);
}

static void test_roundtrip(void)
{
    ar_err_t e = {0};
    ar_graph_t *g = net(&e);
    if (!g) return;
    const char *path = test_tmp("actpad.h5");
    ar_graph_t *c = ar_graph_clone(g, &e);
    CHECK(c && !strcmp(c->nodes[0].module, "features.0") && !strcmp(c->nodes[3].module, ""),
          "clone keeps module paths");
    CHECK_OK(ar_model_save(c, path, &e), &e);
    ar_graph_t *h = ar_model_load(path, &e);
    CHECK(h != NULL, "load: %s", e.msg);
    if (h) {
        for (int i = 0; i < g->nnodes; i++)
            CHECK(h->nodes[i].op == g->nodes[i].op &&
                      !memcmp(&h->nodes[i].cfg, &g->nodes[i].cfg, sizeof g->nodes[i].cfg) &&
                      !strcmp(h->nodes[i].module, g->nodes[i].module),
                  "node %d '%s': op, attributes and module survive", i, g->nodes[i].name);
        float la[8], lb[8];
        ar_tensor_t x;
        int32_t lab[2];
        gt_batch(&x, lab, 2, 3, 8, 8, 4, 3);
        for (int k = 0; k < 2; k++) {
            ar_plan_opts_t o = {.batch = 2};
            ar_plan_t *p = ar_plan_new(k ? h : g, &o, &e);
            ar_plan_forward(p, &x, AR_MODE_EVAL, &e);
            memcpy(k ? lb : la, ar_plan_logits(p)->data, sizeof la);
            ar_plan_destroy(&p);
        }
        CHECK(memcmp(la, lb, sizeof la) == 0, "same logits after the round trip");
        ar_tensor_free(&x);
    }
    ar_graph_destroy(&h);
    ar_graph_destroy(&c);
    ar_graph_destroy(&g);
    remove(path);
}

enum { B_CLAMP_ORDER, B_CLAMP_NAN, B_CLAMP_MISSING, B_PAD_NEG, B_PAD_COUNT, B_PAD_VECTOR,
       B_MODULE_INT, B_N };

/* conv 2->3 1x1, clamp, pad, gap (3 + pads classes), broken as v says */
static int write_bad(const char *path, int v, ar_err_t *e)
{
    ar_h5_t *h = ar_h5_create(path, e);
    if (!h) return -1;
    int32_t shp[3] = {2, 4, 4}, one = 1, ncls = v == B_PAD_VECTOR ? 3 : 5, ver = 1;
    float mean[2] = {0, 0}, sd[2] = {1, 1};
    ar_h5_attr_write_str(h, "/", "format", "archrepair-model", e);
    ar_h5_attr_write(h, "/", "format_version", AR_DT_I32, 1, &ver, 1, e);
    ar_h5_attr_write_str(h, "/", "arch", "bad", e);
    ar_h5_attr_write(h, "/", "input_shape", AR_DT_I32, 3, shp, 0, e);
    ar_h5_attr_write(h, "/", "num_classes", AR_DT_I32, 1, &ncls, 1, e);
    ar_h5_attr_write(h, "/", "mean", AR_DT_F32, 2, mean, 0, e);
    ar_h5_attr_write(h, "/", "std", AR_DT_F32, 2, sd, 0, e);
    const char *g0 = "/graph/0000", *g1 = "/graph/0001", *g2 = "/graph/0002", *g3 = "/graph/0003";
    int32_t k2[2] = {1, 1}, z2[2] = {0, 0}, three = 3, in[4] = {-1, 0, 1, 2};
    ar_h5_group(h, g0, e);
    ar_h5_attr_write_str(h, g0, "op", "conv2d", e);
    ar_h5_attr_write_str(h, g0, "name", "conv", e);
    ar_h5_attr_write_str(h, g0, "block", "", e);
    if (v == B_MODULE_INT) ar_h5_attr_write(h, g0, "module", AR_DT_I32, 1, &one, 1, e);
    else ar_h5_attr_write_str(h, g0, "module", "features.0", e);
    ar_h5_attr_write(h, g0, "inputs", AR_DT_I32, 1, &in[0], 0, e);
    ar_h5_attr_write(h, g0, "out_channels", AR_DT_I32, 1, &three, 1, e);
    ar_h5_attr_write(h, g0, "kernel", AR_DT_I32, 2, k2, 0, e);
    ar_h5_attr_write(h, g0, "stride", AR_DT_I32, 2, k2, 0, e);
    ar_h5_attr_write(h, g0, "padding", AR_DT_I32, 2, z2, 0, e);
    ar_h5_attr_write(h, g0, "dilation", AR_DT_I32, 2, k2, 0, e);
    ar_h5_attr_write(h, g0, "groups", AR_DT_I32, 1, &one, 1, e);
    float w[6] = {1, 2, 3, 4, 5, 6};
    int64_t wd[4] = {3, 2, 1, 1};
    ar_h5_write(h, "/graph/0000/weight", AR_DT_F32, 4, wd, w, 0, e);
    ar_h5_group(h, g1, e);
    ar_h5_attr_write_str(h, g1, "op", "clamp", e);
    ar_h5_attr_write_str(h, g1, "name", "act", e);
    ar_h5_attr_write_str(h, g1, "block", "", e);
    ar_h5_attr_write(h, g1, "inputs", AR_DT_I32, 1, &in[1], 0, e);
    float lo = v == B_CLAMP_ORDER ? 7.0f : v == B_CLAMP_NAN ? NAN : 0.0f, hi = 6.0f;
    ar_h5_attr_write(h, g1, "min", AR_DT_F32, 1, &lo, 1, e);
    if (v != B_CLAMP_MISSING) ar_h5_attr_write(h, g1, "max", AR_DT_F32, 1, &hi, 1, e);
    int32_t pads[6] = {1, 1, 0, 0, 0, 0};
    if (v == B_PAD_NEG) pads[3] = -4; /* crops all 4 rows */
    ar_h5_group(h, g2, e);
    ar_h5_attr_write_str(h, g2, "op", v == B_PAD_VECTOR ? "global_avgpool" : "pad", e);
    ar_h5_attr_write_str(h, g2, "name", v == B_PAD_VECTOR ? "gap" : "pad", e);
    ar_h5_attr_write_str(h, g2, "block", "", e);
    ar_h5_attr_write(h, g2, "inputs", AR_DT_I32, 1, &in[2], 0, e);
    ar_h5_group(h, g3, e);
    ar_h5_attr_write_str(h, g3, "op", v == B_PAD_VECTOR ? "pad" : "global_avgpool", e);
    ar_h5_attr_write_str(h, g3, "name", v == B_PAD_VECTOR ? "pad" : "gap", e);
    ar_h5_attr_write_str(h, g3, "block", "", e);
    ar_h5_attr_write(h, g3, "inputs", AR_DT_I32, 1, &in[3], 0, e);
    const char *gp = v == B_PAD_VECTOR ? g3 : g2;
    ar_h5_attr_write(h, gp, "pads", AR_DT_I32, v == B_PAD_COUNT ? 4 : 6, pads, 0, e);
    return ar_h5_commit(&h, e);
}

static void test_bad_files(void)
{
    static const struct {
        int v;
        const char *want1, *want2;
    } cases[] = {
        {B_CLAMP_ORDER, "node 0001 'act': bad bounds min 7, max 6", NULL},
        {B_CLAMP_NAN, "node 0001 'act': bad bounds min nan", NULL},
        {B_CLAMP_MISSING, "node 0001 'act': attribute 'max' missing", NULL},
        {B_PAD_NEG, "node 0002 'pad': bad pads [1, 1, 0, -4, 0, 0]", "output 5x0x4 is empty"},
        {B_PAD_COUNT, "node 0002 'pad': attribute 'pads' has 4 values, expected 6", NULL},
        {B_PAD_VECTOR, "node 0003 'pad': input is not [C, H, W]", NULL},
        {B_MODULE_INT, "node 0000 'conv': attribute 'module' is not a string", NULL},
    };
    ar_err_t e = {0};
    const char *path = test_tmp("actpad_bad.h5");
    /* the unbroken file loads, module included */
    CHECK_OK(write_bad(path, B_N, &e), &e);
    ar_graph_t *g = ar_model_load(path, &e);
    CHECK(g && !strcmp(g->nodes[0].module, "features.0") && g->nodes[1].cfg.clamp.hi == 6.0f &&
              g->nodes[2].cfg.pad.c0 == 1 && g->nodes[2].out.shape[0] == 5,
          "good file: %s", e.msg);
    ar_graph_destroy(&g);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ar_err_t e2 = {0};
        CHECK_OK(write_bad(path, cases[k].v, &e2), &e2);
        g = ar_model_load(path, &e2);
        CHECK(g == NULL && strstr(e2.msg, cases[k].want1) &&
                  (!cases[k].want2 || strstr(e2.msg, cases[k].want2)),
              "case %d: got '%s', want '%s'", cases[k].v, e2.msg, cases[k].want1);
        ar_graph_destroy(&g);
    }
    remove(path);
}

int main(void)
{
    CHECK(ar_op_parse("clamp") == AR_OP_CLAMP && ar_op_parse("silu") == AR_OP_SILU &&
              ar_op_parse("hardswish") == AR_OP_HARDSWISH && ar_op_parse("pad") == AR_OP_PAD,
          "names");
    test_forward();
    test_backward(AR_MODE_EVAL);
    test_backward(AR_MODE_TRAIN);
    test_lean_threads();
    test_roundtrip();
    test_bad_files();
    TEST_MAIN_END();
}
