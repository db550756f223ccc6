/* test_cell.c - the cell builder on a small CIFAR ResNet: block anatomy,
 * shapes for stride 1 and 2 with and without the shortcut, the seeded cell
 * starting as the original network, discretisation on hand-set alphas,
 * the discrete model as a plain model file, and a DenseNet dense layer. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/rng.h"
#include "nn/model_io.h"
#include "nn/plan.h"
#include "nn/zoo.h"
#include "repair/block.h"
#include "repair/cell.h"
#include "repair/genotype.h"

static ar_graph_t *small_resnet(void)
{
    ar_err_t e = {0};
    ar_zoo_opts_t o = {.in_c = 1, .in_h = 8, .in_w = 8, .num_classes = 3, .width = 0.25,
                       .seed = 3};
    ar_graph_t *g = ar_zoo_build("resnet20", &o, &e);
    CHECK(g != NULL, "zoo: %s", e.msg);
    return g;
}

static void batch(ar_tensor_t *x, int n, uint64_t seed)
{
    *x = ar_tensor_4d(n, 1, 8, 8);
    ar_tensor_alloc(x);
    ar_rng_t r;
    ar_rng_init(&r, seed);
    for (int64_t i = 0; i < ar_tensor_numel(x); i++) x->data[i] = (float)ar_rng_range(&r, -1, 1);
}

static int count_op(const ar_graph_t *g, ar_op_t op)
{
    int n = 0;
    for (int i = 0; i < g->nnodes; i++) n += g->nodes[i].op == op;
    return n;
}

/* The largest difference between the logits of g and r on x (eval mode). */
static double max_logit_diff(const ar_graph_t *g, ar_graph_t *r, const ar_tensor_t *x)
{
    ar_err_t e = {0};
    ar_plan_opts_t po = {.batch = (int)x->shape[0]};
    ar_plan_t *p0 = ar_plan_new((ar_graph_t *)g, &po, &e), *p1 = ar_plan_new(r, &po, &e);
    CHECK_OK(ar_plan_forward(p0, x, AR_MODE_EVAL, &e), &e);
    CHECK_OK(ar_plan_forward(p1, x, AR_MODE_EVAL, &e), &e);
    const ar_tensor_t *l0 = ar_plan_logits(p0), *l1 = ar_plan_logits(p1);
    double d = 0;
    for (int64_t i = 0; i < ar_tensor_numel(l0); i++) d = fmax(d, fabs(l0->data[i] - l1->data[i]));
    ar_plan_destroy(&p0);
    ar_plan_destroy(&p1);
    return d;
}

static void test_anatomy(const ar_graph_t *g)
{
    ar_err_t e = {0};
    ar_block_info_t b;
    CHECK_OK(ar_block_analyse(g, "layer2.0", 1, &b, &e), &e);
    if (!e.status) {
        CHECK(b.stride == 2 && b.cin == 4 && b.cout == 8 && b.residual && b.tail == b.last,
              "layer2.0: stride %d, %d -> %d, residual %d", b.stride, b.cin, b.cout, b.residual);
        CHECK(strcmp(g->nodes[b.main_out].name, "layer2.0.bn2") == 0, "main out %s",
              g->nodes[b.main_out].name);
        int ds = ar_graph_find(g, "layer2.0.downsample.0");
        CHECK(ds >= 0 && b.role[ds - b.first] == AR_ROLE_SHORTCUT, "downsample is the shortcut");
        ar_block_info_free(&b);
    }
    CHECK_OK(ar_block_analyse(g, "layer1.1", 0, &b, &e), &e);
    if (!e.status) {
        CHECK(b.stride == 1 && b.merge == -1 && b.main_out == b.last, "no shortcut: whole block");
        ar_block_info_free(&b);
    }
    CHECK(ar_block_analyse(g, "layer9.9", 1, &b, &e) == AR_E_ARG && strstr(e.msg, "no such block"),
          "unknown block: %s", e.msg);
}

/* Builds a relaxed cell for block and checks shapes and (seeded) the logits. */
static void test_relaxed(const ar_graph_t *g, const char *block, int shortcut, int seed)
{
    ar_err_t e = {0};
    ar_cell_cfg_t c = ar_cell_cfg_default();
    c.keep_shortcut = shortcut, c.seed_original = seed, c.seed = 5;
    ar_graph_t *r = ar_cell_build(g, block, &c, NULL, &e);
    CHECK(r != NULL, "%s shortcut %d seed %d: %s", block, shortcut, seed, e.msg);
    if (!r) return;
    char nm[128];
    snprintf(nm, sizeof nm, "%s.cell.bn", block);
    int cb = ar_graph_find(r, nm);
    ar_block_info_t b;
    ar_block_analyse(g, block, shortcut, &b, &e);
    CHECK(cb >= 0 && ar_tensor_same_shape(&r->nodes[cb].out, &g->nodes[b.main_out].out),
          "cell output has the main branch's shape");
    CHECK(count_op(r, AR_OP_MIX) == 1 + 2 + 3 + 4, "1+2+3+4 mixed edges for 4 nodes, got %d",
          count_op(r, AR_OP_MIX));
    int frozen_ok = 1;
    for (int i = 0; i < r->nnodes; i++)
        frozen_ok &= r->nodes[i].frozen == (strcmp(r->nodes[i].block, block) != 0);
    CHECK(frozen_ok, "only the block is trainable");
    ar_tensor_t x;
    batch(&x, 3, 77);
    double d = max_logit_diff(g, r, &x);
    if (seed)
        CHECK(d == 0, "seeded cell starts as the original network (max diff %g)", d);
    else
        CHECK(d > 1e-4, "an unseeded cell changes the logits (max diff %g)", d);
    ar_tensor_free(&x);
    ar_block_info_free(&b);
    ar_graph_destroy(&r);
}

static void set_alpha(ar_graph_t *r, const char *block, int j, int i, const ar_cell_cfg_t *c,
                      ar_cand_t op, float v)
{
    char nm[128];
    snprintf(nm, sizeof nm, "%s.cell.n%d.e%d.mix", block, j, i);
    int k = ar_graph_find(r, nm);
    for (int o = 0; k >= 0 && o < c->nops; o++)
        if (c->ops[o] == (int)op) r->nodes[k].params[0].value.data[o] = v;
}

static void test_discrete(const ar_graph_t *g)
{
    ar_err_t e = {0};
    ar_cell_cfg_t c = ar_cell_cfg_default();
    c.nodes = 3, c.seed = 9;
    ar_graph_t *r = ar_cell_build(g, "layer2.0", &c, NULL, &e);
    CHECK(r != NULL, "relaxed: %s", e.msg);
    if (!r) return;
    /* none is strongest everywhere, but must never be chosen */
    for (int j = 0; j < 3; j++)
        for (int i = 0; i <= j; i++) set_alpha(r, "layer2.0", j, i, &c, AR_CAND_NONE, 5.f);
    set_alpha(r, "layer2.0", 0, 0, &c, AR_CAND_SEP_CONV_5X5, 1.f);
    set_alpha(r, "layer2.0", 1, 0, &c, AR_CAND_SKIP_CONNECT, 2.f);  /* stride-2 skip */
    set_alpha(r, "layer2.0", 1, 1, &c, AR_CAND_DIL_CONV_3X3, 1.f);
    set_alpha(r, "layer2.0", 2, 0, &c, AR_CAND_MAX_POOL_3X3, 0.5f); /* weakest: dropped */
    set_alpha(r, "layer2.0", 2, 1, &c, AR_CAND_CONV_3X3, 3.f);
    set_alpha(r, "layer2.0", 2, 2, &c, AR_CAND_AVG_POOL_3X3, 2.f);
    ar_genotype_t gt;
    CHECK_OK(ar_genotype_derive(r, "layer2.0", &c, &gt, &e), &e);
    char text[1024];
    ar_genotype_text(&gt, text, sizeof text);
    const char *want = "n0 = sep_conv_5x5(in)\n"
                       "n1 = skip_connect(in) + dil_conv_3x3(n0)\n"
                       "n2 = conv_3x3(n0) + avg_pool_3x3(n1)\n"
                       "out = proj(concat(n0..n2))\n";
    CHECK(strcmp(text, want) == 0, "genotype:\n%s", text);

    ar_graph_t *d = ar_cell_build(g, "layer2.0", &c, &gt, &e);
    CHECK(d != NULL, "discrete: %s", e.msg);
    if (d) {
        CHECK(count_op(d, AR_OP_MIX) == 0 && count_op(d, AR_OP_SHIFT) == 1,
              "no mix nodes; one FactorizedReduce shift");
        int n = ar_cell_inherit(d, r);
        CHECK(n > 20, "inherits searched weights (%d parameters)", n);
        int k1 = ar_graph_find(d, "layer2.0.cell.n0.e0.sep_conv_5x5.dw1"),
            k2 = ar_graph_find(r, "layer2.0.cell.n0.e0.sep_conv_5x5.dw1");
        CHECK(k1 >= 0 && k2 >= 0 &&
                  memcmp(d->nodes[k1].params[0].value.data, r->nodes[k2].params[0].value.data,
                         (size_t)ar_tensor_numel(&d->nodes[k1].params[0].value) * 4) == 0,
              "same weights by name");
        const char *path = test_tmp("repair_discrete.h5");
        CHECK_OK(ar_model_save(d, path, &e), &e);
        ar_graph_t *l = ar_model_load(path, &e);
        CHECK(l != NULL && l->nnodes == d->nnodes, "loads as a plain model: %s", e.msg);
        if (l) {
            ar_tensor_t x;
            batch(&x, 2, 5);
            ar_plan_opts_t po = {.batch = 2, .fold_bn = 1};
            ar_plan_t *p0 = ar_plan_new(d, &po, &e), *p1 = ar_plan_new(l, &po, &e);
            ar_plan_forward(p0, &x, AR_MODE_EVAL, &e);
            ar_plan_forward(p1, &x, AR_MODE_EVAL, &e);
            CHECK(memcmp(ar_plan_logits(p0)->data, ar_plan_logits(p1)->data, 6 * 4) == 0,
                  "same logits after the round trip");
            ar_plan_destroy(&p0);
            ar_plan_destroy(&p1);
            ar_tensor_free(&x);
        }
        ar_graph_destroy(&l);
        remove(path);
    }
    /* a genotype naming 'none' is refused */
    gt.op[0][0] = AR_CAND_NONE;
    CHECK(ar_cell_build(g, "layer2.0", &c, &gt, &e) == NULL && e.status == AR_E_ARG,
          "bad genotype: %s", e.msg);
    ar_graph_destroy(&d);
    ar_graph_destroy(&r);
}

/* A dense layer (DenseNet): the cell replaces the new features, the concat
 * with the layer's input is kept; the seeded cell starts as the original. */
static void test_dense(void)
{
    ar_err_t e = {0};
    ar_zoo_opts_t o = {.in_c = 1, .in_h = 8, .in_w = 8, .num_classes = 3, .width = 0.125,
                       .seed = 4};
    ar_graph_t *g = ar_zoo_build("densenet121", &o, &e);
    CHECK(g != NULL, "densenet: %s", e.msg);
    if (!g) return;
    ar_block_info_t b;
    CHECK_OK(ar_block_analyse(g, "dense2.3", 1, &b, &e), &e);
    if (!e.status) {
        CHECK(b.merge == b.last && g->nodes[b.merge].op == AR_OP_CONCAT && !b.residual &&
                  b.stride == 1 && b.cout == (int)g->nodes[b.main_out].out.shape[0],
              "dense layer: concat kept, %d -> %d channels", b.cin, b.cout);
        ar_block_info_free(&b);
    }
    ar_cell_cfg_t c = ar_cell_cfg_default();
    c.nodes = 2, c.seed = 1;
    ar_graph_t *r = ar_cell_build(g, "dense2.3", &c, NULL, &e);
    CHECK(r != NULL, "dense cell: %s", e.msg);
    if (r) {
        ar_tensor_t x;
        batch(&x, 2, 3);
        ar_plan_opts_t po = {.batch = 2};
        ar_plan_t *p0 = ar_plan_new(g, &po, &e), *p1 = ar_plan_new(r, &po, &e);
        ar_plan_forward(p0, &x, AR_MODE_EVAL, &e);
        ar_plan_forward(p1, &x, AR_MODE_EVAL, &e);
        CHECK(memcmp(ar_plan_logits(p0)->data, ar_plan_logits(p1)->data, 6 * 4) == 0,
              "seeded dense cell starts as the original");
        ar_plan_destroy(&p0);
        ar_plan_destroy(&p1);
        ar_tensor_free(&x);
    }
    ar_graph_destroy(&r);
    ar_graph_destroy(&g);
}

/* A partial-channel cell (PC-DARTS, K = 2 on 8 channels): the mixtures'
 * ops are half width, each edge crops, passes the rest by and concatenates;
 * seeded it starts as the original network; the alphas' gradients match
 * central differences (eval mode: running statistics) to a few percent; a K that does not
 * divide the channels is refused; the derived discrete cell is full width
 * and inherits what fits. */
static void test_partial(const ar_graph_t *g, const char *block, int stride)
{
    ar_err_t e = {0};
    ar_cell_cfg_t c = ar_cell_cfg_default();
    c.nodes = 2, c.partial = 2, c.seed = 4;
    ar_graph_t *r = ar_cell_build(g, block, &c, NULL, &e);
    CHECK(r != NULL, "%s partial: %s", block, e.msg);
    if (!r) return;
    char nm[160];
    snprintf(nm, sizeof nm, "%s.cell.n0.e0.sep_conv_3x3.pw1", block);
    int pw = ar_graph_find(r, nm);
    CHECK(pw >= 0 && r->nodes[pw].params[0].value.shape[0] == 4 &&
              r->nodes[pw].params[0].value.shape[1] == 4,
          "%s: the mixture's ops are 4 of 8 channels wide", block);
    CHECK(count_op(r, AR_OP_MIX) == 3 && count_op(r, AR_OP_PAD) == 2 * 3,
          "%s: 3 mixed edges, each a crop and a rest (%d pads)", block, count_op(r, AR_OP_PAD));
    snprintf(nm, sizeof nm, "%s.cell.n0.e0.rest.pool", block);
    CHECK((ar_graph_find(r, nm) >= 0) == (stride == 2), "%s: the rest is pooled iff stride 2", block);
    snprintf(nm, sizeof nm, "%s.cell.n1.e1.cat", block);
    int cat = ar_graph_find(r, nm);
    CHECK(cat >= 0 && r->nodes[cat].out.shape[0] == 8, "%s: an edge gives all 8 channels", block);
    /* seeded: the original network's logits */
    ar_tensor_t x;
    batch(&x, 3, 78);
    double d = max_logit_diff(g, r, &x);
    CHECK(d == 0, "%s: seeded partial cell starts as the original (max diff %g)", block, d);
    ar_graph_destroy(&r);
    /* unseeded: alpha gradients against central differences */
    c.seed_original = 0;
    r = ar_cell_build(g, block, &c, NULL, &e);
    CHECK(r != NULL, "%s partial unseeded: %s", block, e.msg);
    if (r) {
        /* a loud cell: its projection x20, so the alphas move the loss
         * well above float32 noise */
        snprintf(nm, sizeof nm, "%s.cell.proj", block);
        ar_tensor_t *pj = &r->nodes[ar_graph_find(r, nm)].params[0].value;
        for (int64_t i = 0; i < ar_tensor_numel(pj); i++) pj->data[i] *= 20.0f;
        ar_plan_opts_t pg = {.batch = 3, .grads = 1};
        ar_plan_t *p = ar_plan_new(r, &pg, &e);
        int32_t lab[3] = {0, 1, 2};
        CHECK_OK(ar_plan_forward(p, &x, AR_MODE_EVAL, &e), &e);
        ar_plan_loss(p, lab, NULL);
        CHECK_OK(ar_plan_backward(p, &e), &e);
        double num = 0, den = 0;
        int nalpha = 0;
        for (int k = 0; k < r->nnodes; k++) {
            if (r->nodes[k].op != AR_OP_MIX) continue;
            float *a = r->nodes[k].params[0].value.data, *ga = ar_plan_param_grad(p, k, "alpha");
            CHECK(ga != NULL, "%s: alpha gradient of %s", block, r->nodes[k].name);
            for (int o = 0; ga && o < r->nodes[k].ninputs; o++, nalpha++) {
                float keep = a[o], an = ga[o];
                const double h = 1e-2;
                a[o] = keep + (float)h;
                ar_plan_forward(p, &x, AR_MODE_EVAL, &e);
                double lp = ar_plan_loss(p, lab, NULL);
                a[o] = keep - (float)h;
                ar_plan_forward(p, &x, AR_MODE_EVAL, &e);
                double lm = ar_plan_loss(p, lab, NULL);
                a[o] = keep;
                double fd = (lp - lm) / (2 * h);
                num += (fd - an) * (fd - an);
                den += fd * fd;
            }
        }
        double nerr = sqrt(num / (den > 1e-30 ? den : 1e-30));
        /* a few percent: the ReLUs and the curvature of the whole network
         * downstream limit whole-cell differences (plain cells too); the
         * ops' own tests (pad crops, mix, concat) hold 1e-2 and tighter,
         * and a wrong gradient is off by tens of percent */
        CHECK(nalpha == 3 * 9 && nerr < 5e-2 && den > 1e-12,
              "%s: %d alpha gradients vs finite differences: nerr %g (|fd|^2 %g)", block, nalpha,
              nerr, den);
        /* the discrete cell: full width, inherits the rest */
        ar_genotype_t gt;
        CHECK_OK(ar_genotype_derive(r, block, &c, &gt, &e), &e);
        ar_graph_t *dc = ar_cell_build(g, block, &c, &gt, &e);
        CHECK(dc != NULL && count_op(dc, AR_OP_PAD) == 0, "%s: discrete cell, no crops: %s", block,
              e.msg);
        if (dc) {
            int n = ar_cell_inherit(dc, r);
            snprintf(nm, sizeof nm, "%s.cell.proj", block);
            int pj = ar_graph_find(dc, nm), pr = ar_graph_find(r, nm);
            CHECK(n > 0 && pj >= 0 && pr >= 0 &&
                      !memcmp(dc->nodes[pj].params[0].value.data, r->nodes[pr].params[0].value.data,
                              (size_t)ar_tensor_numel(&dc->nodes[pj].params[0].value) * sizeof(float)),
                  "%s: the discrete cell inherits the projection (%d tensors)", block, n);
        }
        ar_graph_destroy(&dc);
        ar_plan_destroy(&p);
        ar_graph_destroy(&r);
    }
    ar_tensor_free(&x);
    c.partial = 3;
    r = ar_cell_build(g, block, &c, NULL, &e);
    CHECK(r == NULL && strstr(e.msg, "8 channels are not divisible by partial_channels 3"),
          "%s: K = 3 on 8 channels: %s", block, e.msg);
    ar_graph_destroy(&r);
}

/* partial = 0 (the job's default): K = 4 where the cell's channels divide
 * by 4, else 2, else 1 (no crops) - the mixtures' ops C/K wide. */
static void test_partial_auto(const ar_graph_t *g, const char *block)
{
    const int chans[3] = {8, 6, 3}, width[3] = {2, 3, 3}, pads[3] = {2 * 3, 2 * 3, 0};
    for (int i = 0; i < 3; i++) {
        ar_err_t e = {0};
        ar_cell_cfg_t c = ar_cell_cfg_default();
        c.nodes = 2, c.partial = 0, c.channels = chans[i], c.seed = 4;
        ar_graph_t *r = ar_cell_build(g, block, &c, NULL, &e);
        CHECK(r != NULL, "%s auto partial, %d channels: %s", block, chans[i], e.msg);
        if (!r) continue;
        char nm[160];
        snprintf(nm, sizeof nm, "%s.cell.n0.e0.sep_conv_3x3.pw1", block);
        int pw = ar_graph_find(r, nm);
        CHECK(pw >= 0 && r->nodes[pw].params[0].value.shape[0] == width[i] &&
                  count_op(r, AR_OP_PAD) == pads[i],
              "%s: auto partial on %d channels: ops %lld wide (want %d), %d pads (want %d)", block,
              chans[i], pw >= 0 ? (long long)r->nodes[pw].params[0].value.shape[0] : -1LL, width[i],
              count_op(r, AR_OP_PAD), pads[i]);
        ar_graph_destroy(&r);
    }
}

int main(void)
{
    ar_graph_t *g = small_resnet();
    if (!g) TEST_MAIN_END();
    test_anatomy(g);
    for (int sc = 0; sc < 2; sc++)
        for (int seed = 0; seed < 2; seed++) {
            test_relaxed(g, "layer1.1", sc, seed);  /* stride 1, identity shortcut */
            test_relaxed(g, "layer2.0", sc, seed);  /* stride 2, downsample shortcut */
        }
    test_discrete(g);
    test_partial(g, "layer2.0", 2);
    test_partial(g, "layer2.1", 1);
    test_partial_auto(g, "layer2.1");
    ar_graph_destroy(&g);
    test_dense();
    TEST_MAIN_END();
}
