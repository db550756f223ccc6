/* test_graph.c - graph building and planning errors, forward/backward of a
 * net using every op: finite-difference gradients (input and parameters, in
 * eval and train mode), frozen nodes, sub-range forward from a cached
 * intermediate, BN folding, smaller batches, clone. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "graph_testutil.h"
#include "nn/graph.h"
#include "nn/plan.h"
#include "nn/span_pack.h"

static void test_op_names(void)
{
    for (int op = 0; op < AR_OP_COUNT; op++) {
        CHECK(ar_op_parse(ar_op_name((ar_op_t)op)) == op, "op %d round-trips its name", op);
    }
    CHECK(ar_op_parse("conv3d") == -1, "unknown op");
    CHECK(strcmp(ar_op_name(AR_OP_GLOBAL_AVGPOOL), "global_avgpool") == 0, "name");
}

static void test_build_errors(void)
{
    ar_err_t e = {0};
    ar_graph_t *g = ar_graph_new("bad", 3, 8, 8, 5, &e);
    ar_node_cfg_t c = gt_conv(4, 3, 1, 1, 1, 0);
    CHECK(ar_graph_add(g, AR_OP_CONV2D, "c", "", (int[]){0}, 1, &c, &e) < 0 &&
              strstr(e.msg, "node 0000 'c'") && strstr(e.msg, "not an earlier node"),
          "forward input: %s", e.msg);
    CHECK(ar_graph_add(g, AR_OP_CONV2D, "c", "", (int[]){-1}, 1, &c, &e) == 0, "ok");
    CHECK(ar_graph_add(g, AR_OP_RELU, "c", "", (int[]){0}, 1, NULL, &e) < 0 &&
              strstr(e.msg, "already used"),
          "duplicate: %s", e.msg);
    CHECK(ar_graph_add(g, AR_OP_RELU, "r", "", (int[]){0, 0}, 2, NULL, &e) < 0 &&
              strstr(e.msg, "inputs"),
          "arity: %s", e.msg);
    /* add of [4,8,8] and [3,8,8] */
    ar_graph_add(g, AR_OP_ADD, "sum", "", (int[]){0, -1}, 2, NULL, &e);
    CHECK(ar_graph_finalize(g, 0, &e) != 0 && strstr(e.msg, "node 0001 'sum'") &&
              strstr(e.msg, "[3, 8, 8]"),
          "shape mismatch: %s", e.msg);
    ar_graph_destroy(&g);

    /* kernel larger than the padded input */
    g = ar_graph_new("bad2", 1, 4, 4, 2, &e);
    c = gt_conv(2, 7, 1, 0, 1, 0);
    ar_graph_add(g, AR_OP_CONV2D, "big", "", (int[]){-1}, 1, &c, &e);
    CHECK(ar_graph_finalize(g, 0, &e) != 0 && strstr(e.msg, "'big'") && strstr(e.msg, "small"),
          "too small: %s", e.msg);
    ar_graph_destroy(&g);

    /* last node must give [num_classes] */
    g = ar_graph_new("bad3", 1, 4, 4, 3, &e);
    ar_graph_add(g, AR_OP_GLOBAL_AVGPOOL, "gap", "", (int[]){-1}, 1, NULL, &e);
    CHECK(ar_graph_finalize(g, 0, &e) != 0 && strstr(e.msg, "'gap'") && strstr(e.msg, "[3]"),
          "logits: %s", e.msg);
    /* groups */
    ar_graph_destroy(&g);
    g = ar_graph_new("bad4", 3, 4, 4, 2, &e);
    c = gt_conv(4, 1, 1, 0, 2, 0);
    ar_graph_add(g, AR_OP_CONV2D, "grp", "", (int[]){-1}, 1, &c, &e);
    CHECK(ar_graph_finalize(g, 0, &e) != 0 && strstr(e.msg, "groups"), "groups: %s", e.msg);
    ar_graph_destroy(&g);
    /* a supplied parameter of the wrong shape */
    g = ar_graph_new("bad5", 3, 4, 4, 2, &e);
    c = (ar_node_cfg_t){.linear = {.out_features = 2, .bias = 0}};
    ar_graph_add(g, AR_OP_LINEAR, "fc", "", (int[]){-1}, 1, &c, &e);
    ar_tensor_t w = ar_tensor_2d(2, 47);
    ar_tensor_alloc(&w);
    CHECK_OK(ar_graph_set_param(g, 0, "weight", &w, &e), &e);
    CHECK(ar_graph_finalize(g, 0, &e) != 0 && strstr(e.msg, "node 0000 'fc': dataset 'weight' has shape [2, 47], expected [2, 48]"),
          "param shape: %s", e.msg);
    ar_tensor_free(&w);
    ar_plan_opts_t o = {.batch = 2};
    CHECK(ar_plan_new(g, &o, &e) == NULL && strstr(e.msg, "not finalized"), "plan: %s", e.msg);
    ar_graph_destroy(&g);
}

static double loss_of(ar_plan_t *p, const ar_tensor_t *x, const int32_t *lab, ar_mode_t mode)
{
    ar_err_t e = {0};
    ar_plan_forward(p, x, mode, &e);
    return ar_plan_loss(p, lab, NULL);
}

/* Input and parameter gradients vs central differences. */
static void test_gradients(ar_mode_t mode)
{
    ar_err_t e = {0};
    ar_graph_t *g = gt_allops(&e);
    CHECK(g != NULL, "%s", ar_err_msg(&e));
    if (!g) return;
    ar_plan_opts_t o = {.batch = 3, .grads = 1, .input_grad = 1};
    ar_plan_t *p = ar_plan_new(g, &o, &e);
    CHECK(p != NULL, "%s", ar_err_msg(&e));
    ar_tensor_t x;
    int32_t lab[3];
    gt_batch(&x, lab, 3, 3, 8, 8, 5, 11);
    CHECK_OK(ar_plan_forward(p, &x, mode, &e), &e);
    ar_plan_loss(p, lab, NULL);
    CHECK_OK(ar_plan_backward(p, &e), &e);
    int64_t nx = ar_tensor_numel(&x);
    float *gx = calloc((size_t)nx, sizeof(float)), *fd = calloc((size_t)nx, sizeof(float));
    memcpy(gx, ar_plan_grad(p, -1)->data, (size_t)nx * sizeof(float));
    const float h = 1e-2f;
    /* coordinates where the loss has a kink within +-h (ReLU, max-pool) are
     * skipped: there one-sided differences disagree */
    double l0 = loss_of(p, &x, lab, mode);
    int64_t m = 0, kinks = 0;
    for (int64_t i = 0; i < nx; i++) {
        float v = x.data[i];
        x.data[i] = v + h;
        double lp = loss_of(p, &x, lab, mode);
        x.data[i] = v - h;
        double lm = loss_of(p, &x, lab, mode);
        x.data[i] = v;
        double fwd = (lp - l0) / h, bwd = (l0 - lm) / h;
        if (fabs(fwd - bwd) > 0.05 * fmax(fabs(fwd), fabs(bwd)) + 2e-5) {
            kinks++;
            continue;
        }
        gx[m] = gx[i];
        fd[m++] = (float)((lp - lm) / (2 * h));
    }
    double err = gt_nerr(gx, fd, m);
    CHECK(err < 2e-2 && kinks < nx / 10,
          "input gradient vs finite differences (mode %d): nerr %g over %lld coordinates, "
          "%lld kinks skipped", mode, err, (long long)m, (long long)kinks);
    /* parameter gradients: every trainable parameter, a few coordinates each */
    loss_of(p, &x, lab, mode);
    CHECK_OK(ar_plan_backward(p, &e), &e);
    int nref = 0;
    const ar_param_ref_t *refs = ar_plan_params(p, &nref);
    CHECK(nref == 9, "trainable tensors %d", nref);
    float an[64], num[64];
    m = 0;
    for (int r = 0; r < nref; r++) {
        for (int k = 0; k < 5 && k < refs[r].numel && m < 64; k++) {
            int64_t idx = (k * 7919) % refs[r].numel;
            an[m] = refs[r].grad[idx];
            float v = refs[r].value[idx];
            refs[r].value[idx] = v + h;
            double lp = loss_of(p, &x, lab, mode);
            refs[r].value[idx] = v - h;
            double lm = loss_of(p, &x, lab, mode);
            refs[r].value[idx] = v;
            num[m++] = (float)((lp - lm) / (2 * h));
        }
    }
    err = gt_nerr(an, num, m);
    CHECK(err < 2e-2, "parameter gradients vs finite differences (mode %d): nerr %g", mode, err);
    free(gx);
    free(fd);
    ar_tensor_free(&x);
    ar_plan_destroy(&p);
    ar_graph_destroy(&g);
}

static void test_frozen(void)
{
    ar_err_t e = {0};
    ar_graph_t *g = gt_allops(&e);
    ar_graph_t *g2 = ar_graph_clone(g, &e);
    CHECK(g2 != NULL, "clone: %s", ar_err_msg(&e));
    ar_tensor_t x;
    int32_t lab[2];
    gt_batch(&x, lab, 2, 3, 8, 8, 5, 5);
    /* reference: nothing frozen */
    ar_plan_opts_t o = {.batch = 2, .grads = 1};
    ar_plan_t *pa = ar_plan_new(g, &o, &e);
    CHECK_OK(ar_plan_forward(pa, &x, AR_MODE_TRAIN, &e), &e);
    ar_plan_loss(pa, lab, NULL);
    CHECK_OK(ar_plan_backward(pa, &e), &e);
    /* frozen: everything up to and including block "b" */
    for (int i = 0; i <= 8; i++) ar_graph_set_frozen(g2, i, 1);
    CHECK(ar_graph_freeze_block(g2, "b", 1) == 5, "block b has 5 nodes");
    ar_plan_t *pb = ar_plan_new(g2, &o, &e);
    CHECK(ar_plan_bytes(pb) < ar_plan_bytes(pa), "frozen plan is smaller (%zu vs %zu)",
          ar_plan_bytes(pb), ar_plan_bytes(pa));
    CHECK_OK(ar_plan_forward(pb, &x, AR_MODE_TRAIN, &e), &e);
    ar_plan_loss(pb, lab, NULL);
    CHECK_OK(ar_plan_backward(pb, &e), &e);
    int n = 0;
    const ar_param_ref_t *refs = ar_plan_params(pb, &n);
    CHECK(n == 4, "unfrozen tensors: conv3 w,b and fc w,b (%d)", n);
    for (int r = 0; r < n; r++) CHECK(refs[r].node >= 11, "ref %s", refs[r].node_name);
    CHECK(ar_plan_param_grad(pb, 0, "weight") == NULL, "conv1 frozen: no gradient");
    CHECK(ar_plan_param_grad(pb, 1, "weight") == NULL, "bn1 frozen: no gradient");
    CHECK(ar_plan_grad(pb, 3) == NULL && ar_plan_grad(pb, 10) == NULL,
          "no activation gradient below the first unfrozen node");
    for (int i = 11; i < g->nnodes; i++) {
        const char *pn[2] = {"weight", "bias"};
        for (int k = 0; k < 2; k++) {
            float *a = ar_plan_param_grad(pa, i, pn[k]), *b = ar_plan_param_grad(pb, i, pn[k]);
            if (!a) continue;
            int64_t cnt = ar_tensor_numel(&ar_graph_param(g, i, pn[k])->value);
            CHECK(gt_nerr(b, a, cnt) < 1e-6, "node %d %s gradient equals the unfrozen one", i,
                  pn[k]);
        }
    }
    ar_tensor_free(&x);
    ar_plan_destroy(&pa);
    ar_plan_destroy(&pb);
    ar_graph_destroy(&g);
    ar_graph_destroy(&g2);
}

static void test_subrange(void)
{
    ar_err_t e = {0};
    ar_graph_t *g = gt_allops(&e);
    ar_tensor_t x;
    int32_t lab[4];
    gt_batch(&x, lab, 4, 3, 8, 8, 5, 9);
    for (int i = 0; i <= 3; i++) ar_graph_set_frozen(g, i, 1);
    ar_plan_opts_t o = {.batch = 4, .grads = 1};
    ar_plan_t *p = ar_plan_new(g, &o, &e);
    CHECK_OK(ar_plan_forward(p, &x, AR_MODE_EVAL, &e), &e);
    int last = g->nnodes - 1;
    int64_t nl = ar_tensor_numel(ar_plan_logits(p));
    float full[64];
    memcpy(full, ar_plan_logits(p)->data, (size_t)nl * sizeof(float));
    ar_plan_loss(p, lab, NULL);
    CHECK_OK(ar_plan_backward(p, &e), &e);
    float gfull[64];
    memcpy(gfull, ar_plan_param_grad(p, 14, "weight"), 30 * sizeof(float));
    /* cache node 3 (pool1), then run 4..last from it on a fresh batch state */
    ar_tensor_t cache = *ar_plan_output(p, 3);
    int64_t nc = ar_tensor_numel(&cache);
    cache.data = malloc((size_t)nc * sizeof(float));
    memcpy(cache.data, ar_plan_output(p, 3)->data, (size_t)nc * sizeof(float));
    ar_plan_t *q = ar_plan_new(g, &o, &e);
    CHECK_OK(ar_plan_set_batch(q, 4, &e), &e);
    CHECK(ar_plan_forward_range(q, 4, last, AR_MODE_EVAL, &e) != 0 && strstr(e.msg, "pool1"),
          "missing cached input is an error naming it: %s", e.msg);
    CHECK_OK(ar_plan_set_output(q, 3, &cache, &e), &e);
    CHECK_OK(ar_plan_forward_range(q, 4, last, AR_MODE_EVAL, &e), &e);
    CHECK(ar_plan_logits(q) && memcmp(ar_plan_logits(q)->data, full, (size_t)nl * 4) == 0,
          "sub-range logits equal the full forward's");
    ar_plan_loss(q, lab, NULL);
    CHECK_OK(ar_plan_backward_range(q, 4, &e), &e);
    CHECK(memcmp(ar_plan_param_grad(q, 14, "weight"), gfull, 30 * sizeof(float)) == 0,
          "sub-range backward equals the full one");
    ar_tensor_t wrong = ar_tensor_4d(4, 3, 4, 4);
    wrong.data = cache.data;
    CHECK(ar_plan_set_output(q, 3, &wrong, &e) != 0 && strstr(e.msg, "[4, 4, 4, 4]"),
          "cached shape checked: %s", e.msg);
    free(cache.data);
    ar_tensor_free(&x);
    ar_plan_destroy(&p);
    ar_plan_destroy(&q);
    ar_graph_destroy(&g);
}

static void test_fold_and_batch(void)
{
    ar_err_t e = {0};
    ar_zoo_opts_t zo = {.width = 0.25, .seed = 3};
    ar_graph_t *g = ar_zoo_build("resnet20", &zo, &e);
    CHECK(g != NULL, "%s", ar_err_msg(&e));
    if (!g) return;
    /* non-trivial BN statistics */
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i].op == AR_OP_BATCHNORM2D)
            for (int k = 0; k < 4; k++) {
                ar_tensor_t *t = &g->nodes[i].params[k].value;
                int pos = k == 0 || k == 3;
                gt_fill(t->data, ar_tensor_numel(t), 50 + i * 4 + k, pos ? 0.5 : -0.2, pos ? 1.5 : 0.2);
            }
    ar_tensor_t x;
    int32_t lab[5];
    gt_batch(&x, lab, 5, 3, 32, 32, 10, 4);
    ar_plan_opts_t o1 = {.batch = 5}, o2 = {.batch = 8, .fold_bn = 1};
    ar_plan_t *p1 = ar_plan_new(g, &o1, &e), *p2 = ar_plan_new(g, &o2, &e);
    CHECK_OK(ar_plan_forward(p1, &x, AR_MODE_EVAL, &e), &e);
    CHECK_OK(ar_plan_forward(p2, &x, AR_MODE_EVAL, &e), &e);
    CHECK(ar_plan_batch(p2) == 5, "smaller batch than planned");
    double err = gt_nerr(ar_plan_logits(p2)->data, ar_plan_logits(p1)->data, 50);
    CHECK(err < 1e-5, "folded BN equals unfolded: nerr %g", err);
    CHECK(ar_plan_output(p2, 0) == NULL && ar_plan_output(p1, 0) != NULL,
          "folded conv output not computed");
    /* one image alone gives the same logits as within the batch (eval) */
    ar_tensor_t x1 = ar_tensor_4d(1, 3, 32, 32);
    x1.data = x.data + 2 * 3 * 32 * 32;
    CHECK_OK(ar_plan_forward(p2, &x1, AR_MODE_EVAL, &e), &e);
    err = gt_nerr(ar_plan_logits(p2)->data, ar_plan_logits(p1)->data + 20, 10);
    CHECK(err < 1e-5, "batch of one: nerr %g", err);
    ar_tensor_t big = ar_tensor_4d(9, 3, 32, 32);
    big.data = x.data;
    CHECK(ar_plan_forward(p2, &big, AR_MODE_EVAL, &e) != 0 && strstr(e.msg, "1..8"),
          "batch over plan: %s", e.msg);
    ar_tensor_t bad = ar_tensor_4d(1, 1, 32, 32);
    bad.data = x.data;
    CHECK(ar_plan_forward(p2, &bad, AR_MODE_EVAL, &e) != 0 && strstr(e.msg, "[N, 3, 32, 32]"),
          "input shape: %s", e.msg);
    ar_tensor_free(&x);
    ar_plan_destroy(&p1);
    ar_plan_destroy(&p2);
    ar_graph_destroy(&g);
}

/* Train mode updates BN running statistics as PyTorch does. */
static void test_bn_running(void)
{
    ar_err_t e = {0};
    ar_graph_t *g = gt_allops(&e);
    ar_tensor_t x;
    int32_t lab[3];
    gt_batch(&x, lab, 3, 3, 8, 8, 5, 2);
    ar_plan_opts_t o = {.batch = 3};
    ar_plan_t *p = ar_plan_new(g, &o, &e);
    float rm0 = ar_graph_param(g, 1, "running_mean")->value.data[0];
    CHECK_OK(ar_plan_forward(p, &x, AR_MODE_TRAIN, &e), &e);
    /* batch mean of conv1's channel 0 */
    const ar_tensor_t *c1 = ar_plan_output(p, 0);
    double s = 0;
    for (int n = 0; n < 3; n++)
        for (int k = 0; k < 64; k++) s += c1->data[(n * 4 + 0) * 64 + k];
    double want = 0.9 * rm0 + 0.1 * (s / 192);
    CHECK_NEAR(ar_graph_param(g, 1, "running_mean")->value.data[0], want, 1e-5);
    ar_tensor_free(&x);
    ar_plan_destroy(&p);
    ar_graph_destroy(&g);
}

/* Lean plans give exactly the numbers of plain ones, in less memory. */
static void lean_vs_plain(ar_graph_t *g, int n, uint64_t seed)
{
    ar_err_t e = {0};
    ar_tensor_t x;
    int32_t lab[8];
    gt_batch(&x, lab, n, g->in_c, g->in_h, g->in_w, g->num_classes, seed);
    int last = g->nnodes - 1;
    int64_t nl = (int64_t)n * g->num_classes;
    /* training: gradients share memory */
    ar_plan_opts_t o = {.batch = n, .grads = 1, .input_grad = 1}, ol = o;
    ol.lean = 1;
    ar_plan_t *a = ar_plan_new(g, &o, &e), *b = ar_plan_new(g, &ol, &e);
    CHECK(a && b, "%s", ar_err_msg(&e));
    if (!a || !b) return;
    CHECK(ar_plan_bytes(b) < ar_plan_bytes(a), "%s lean training plan %zu < %zu bytes", g->arch,
          ar_plan_bytes(b), ar_plan_bytes(a));
    for (int step = 0; step < 3; step++) { /* repeated: stale shared buffers must not leak in */
        ar_mode_t mode = step == 1 ? AR_MODE_TRAIN : AR_MODE_EVAL;
        CHECK_OK(ar_plan_forward(a, &x, mode, &e), &e);
        CHECK_OK(ar_plan_forward(b, &x, mode, &e), &e);
        CHECK(ar_plan_loss(a, lab, NULL) == ar_plan_loss(b, lab, NULL), "loss");
        CHECK_OK(ar_plan_backward(a, &e), &e);
        CHECK_OK(ar_plan_backward(b, &e), &e);
        int na = 0, nb = 0;
        const ar_param_ref_t *ra = ar_plan_params(a, &na), *rb = ar_plan_params(b, &nb);
        int same = na == nb;
        for (int r = 0; same && r < na; r++)
            same = memcmp(ra[r].grad, rb[r].grad, (size_t)ra[r].numel * sizeof(float)) == 0;
        CHECK(same, "%s: lean parameter gradients equal plain ones (step %d)", g->arch, step);
        CHECK(memcmp(ar_plan_grad(a, -1)->data, ar_plan_grad(b, -1)->data,
                     (size_t)ar_tensor_numel(&x) * sizeof(float)) == 0,
              "%s: lean input gradient", g->arch);
    }
    CHECK(ar_plan_grad(b, 3) == NULL && ar_plan_grad(b, last) != NULL && ar_plan_grad(a, 3) != NULL,
          "lean plans expose only the last gradient");
    /* a backward that stops at a ReLU whose BN the lean plan fuses into it
     * (the ReLU then runs its own backward) */
    int relu = -1;
    for (int i = 1; i < last && relu < 0; i++)
        if (g->nodes[i].op == AR_OP_RELU && g->nodes[i].inputs[0] >= 0 &&
            g->nodes[g->nodes[i].inputs[0]].op == AR_OP_BATCHNORM2D)
            relu = i;
    CHECK(relu > 0, "%s has a BN -> ReLU pair", g->arch);
    if (relu > 0) {
        CHECK_OK(ar_plan_forward(a, &x, AR_MODE_TRAIN, &e), &e);
        CHECK_OK(ar_plan_forward(b, &x, AR_MODE_TRAIN, &e), &e);
        ar_plan_loss(a, lab, NULL), ar_plan_loss(b, lab, NULL);
        CHECK_OK(ar_plan_backward_range(a, relu, &e), &e);
        CHECK_OK(ar_plan_backward_range(b, relu, &e), &e);
        int na = 0, nb = 0, same = 1;
        const ar_param_ref_t *ra = ar_plan_params(a, &na), *rb = ar_plan_params(b, &nb);
        for (int r = 0; r < na && r < nb; r++)
            if (ra[r].node >= relu)
                same &= memcmp(ra[r].grad, rb[r].grad, (size_t)ra[r].numel * sizeof(float)) == 0;
        CHECK(same && na == nb, "%s: lean backward from the fused ReLU %d equals plain", g->arch,
              relu);
    }
    /* outputs no backward reads (BN before ReLU, add) were reused; those a
     * backward reads (ReLU outputs, conv and BN inputs) are all there */
    int gone = 0, kept = 1;
    for (int i = 0; i < last; i++) {
        const ar_node_t *nd = &g->nodes[i];
        gone += ar_plan_output(b, i) == NULL;
        if (nd->op == AR_OP_CONV2D || nd->op == AR_OP_BATCHNORM2D)
            for (int j = 0; j < nd->ninputs; j++)
                kept &= nd->inputs[j] < 0 || ar_plan_output(b, nd->inputs[j]) != NULL;
        if (nd->op == AR_OP_RELU) kept &= ar_plan_output(b, i) != NULL;
    }
    CHECK(gone > 0 && kept, "%s: lean training reuses %d outputs no backward reads, keeps the rest",
          g->arch, gone);
    ar_plan_destroy(&a);
    ar_plan_destroy(&b);
    /* inference: outputs share memory */
    for (int fold = 0; fold < 2; fold++) {
        ar_plan_opts_t q = {.batch = n, .fold_bn = fold}, ql = q;
        ql.lean = 1;
        a = ar_plan_new(g, &q, &e);
        b = ar_plan_new(g, &ql, &e);
        CHECK(ar_plan_bytes(b) < ar_plan_bytes(a), "lean eval plan %zu < %zu bytes", ar_plan_bytes(b),
              ar_plan_bytes(a));
        CHECK_OK(ar_plan_forward(a, &x, AR_MODE_EVAL, &e), &e);
        CHECK_OK(ar_plan_forward(b, &x, AR_MODE_EVAL, &e), &e);
        CHECK(memcmp(ar_plan_logits(a)->data, ar_plan_logits(b)->data, (size_t)nl * 4) == 0,
              "%s: lean logits equal (fold %d)", g->arch, fold);
        int gone = 0;
        for (int i = 0; i < last; i++) gone += ar_plan_output(b, i) == NULL;
        CHECK(gone > 0, "reused outputs report NULL");
        /* a cached intermediate in a lean plan: the last node k <= 3 that
         * cuts the graph (nothing after it reads an earlier node) */
        int cut = 0;
        for (int k = 0; k <= 3; k++) {
            int ok = 1;
            for (int i = k + 1; i <= last; i++)
                for (int j = 0; j < g->nodes[i].ninputs; j++) ok &= g->nodes[i].inputs[j] >= k;
            if (ok) cut = k;
        }
        ar_tensor_t c = *ar_plan_output(a, cut);
        CHECK_OK(ar_plan_set_batch(b, n, &e), &e);
        CHECK_OK(ar_plan_set_output(b, cut, &c, &e), &e);
        CHECK_OK(ar_plan_forward_range(b, cut + 1, last, AR_MODE_EVAL, &e), &e);
        CHECK(memcmp(ar_plan_logits(a)->data, ar_plan_logits(b)->data, (size_t)nl * 4) == 0,
              "lean sub-range logits");
        ar_plan_destroy(&a);
        ar_plan_destroy(&b);
    }
    ar_tensor_free(&x);
}

static void test_lean(void)
{
    ar_err_t e = {0};
    ar_graph_t *g = gt_allops(&e);
    lean_vs_plain(g, 3, 21);
    ar_graph_destroy(&g);
    ar_zoo_opts_t zo = {.growth = 2, .in_h = 16, .in_w = 16, .seed = 5};
    g = ar_zoo_build("densenet121", &zo, &e);
    lean_vs_plain(g, 2, 22);
    ar_graph_destroy(&g);
    zo = (ar_zoo_opts_t){.width = 0.25, .seed = 5};
    g = ar_zoo_build("resnet20", &zo, &e);
    lean_vs_plain(g, 4, 23);
    ar_graph_destroy(&g);
}

/* Kernel threads change nothing but speed: same bits for 1 and 3 threads,
 * train step and eval forward. Batch 16 at width 0.25 makes the elementwise
 * ops and BN split (64K floats per 32x32 activation); batch 4 does not. */
static void check_threads(int batch, uint64_t seed)
{
    ar_err_t e = {0};
    ar_zoo_opts_t zo = {.width = 0.25, .seed = 8};
    ar_graph_t *g = ar_zoo_build("resnet20", &zo, &e);
    ar_tensor_t x;
    int32_t lab[16];
    gt_batch(&x, lab, batch, 3, 32, 32, 10, seed);
    ar_plan_opts_t o1 = {.batch = batch, .grads = 1, .input_grad = 1}, o3 = o1;
    o3.threads = 3;
    ar_plan_t *a = ar_plan_new(g, &o1, &e), *b = ar_plan_new(g, &o3, &e);
    CHECK_OK(ar_plan_forward(a, &x, AR_MODE_TRAIN, &e), &e);
    ar_plan_loss(a, lab, NULL);
    CHECK_OK(ar_plan_backward(a, &e), &e);
    CHECK_OK(ar_plan_forward(b, &x, AR_MODE_TRAIN, &e), &e);
    ar_plan_loss(b, lab, NULL);
    CHECK_OK(ar_plan_backward(b, &e), &e);
    const size_t nl = (size_t)batch * 10 * sizeof(float);
    CHECK(memcmp(ar_plan_logits(a)->data, ar_plan_logits(b)->data, nl) == 0,
          "batch %d: logits identical with 3 threads", batch);
    int na = 0, nb = 0, same = 1;
    const ar_param_ref_t *ra = ar_plan_params(a, &na), *rb = ar_plan_params(b, &nb);
    for (int r = 0; r < na && r < nb; r++)
        same &= memcmp(ra[r].grad, rb[r].grad, (size_t)ra[r].numel * sizeof(float)) == 0;
    CHECK(same && na == nb, "batch %d: parameter gradients identical with 3 threads", batch);
    CHECK(memcmp(ar_plan_grad(a, -1)->data, ar_plan_grad(b, -1)->data,
                 (size_t)ar_tensor_numel(&x) * sizeof(float)) == 0,
          "batch %d: input gradient identical with 3 threads", batch);
    CHECK_OK(ar_plan_forward(a, &x, AR_MODE_EVAL, &e), &e);
    CHECK_OK(ar_plan_forward(b, &x, AR_MODE_EVAL, &e), &e);
    CHECK(memcmp(ar_plan_logits(a)->data, ar_plan_logits(b)->data, nl) == 0,
          "batch %d: eval logits identical with 3 threads", batch);
    ar_plan_destroy(&a);
    ar_plan_destroy(&b);
    ar_tensor_free(&x);
    ar_graph_destroy(&g);
}

static void test_threads(void)
{
    check_threads(4, 31);
    check_threads(16, 32);
}

/* Random lifetimes: spans alive together never overlap, and the pool is no
 * larger than the sum of sizes. */
static void test_span_pack(void)
{
    ar_rng_t r;
    ar_rng_init(&r, 99);
    ar_span_t s[200];
    size_t sum = 0;
    for (int i = 0; i < 200; i++) {
        s[i].start = (int)ar_rng_below(&r, 100);
        s[i].end = s[i].start + (int)ar_rng_below(&r, 20);
        s[i].size = i % 17 == 0 ? 0 : 64 * (1 + ar_rng_below(&r, 50));
        sum += s[i].size;
    }
    size_t total = ar_span_pack(s, 200);
    int bad = 0;
    for (int i = 0; i < 200; i++)
        for (int j = 0; j < i; j++)
            if (s[i].size && s[j].size && s[i].start <= s[j].end && s[j].start <= s[i].end &&
                s[i].off < s[j].off + s[j].size && s[j].off < s[i].off + s[i].size)
                bad++;
    CHECK(bad == 0, "%d live spans overlap", bad);
    CHECK(total > 0 && total <= sum && total < sum / 2, "pool %zu of %zu bytes", total, sum);
}

int main(void)
{
    test_op_names();
    test_build_errors();
    test_gradients(AR_MODE_EVAL);
    test_gradients(AR_MODE_TRAIN);
    test_frozen();
    test_subrange();
    test_fold_and_batch();
    test_bn_running();
    test_lean();
    test_threads();
    test_span_pack();
    TEST_MAIN_END();
}
