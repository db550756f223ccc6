/* test_golden.c - our engine against PyTorch (the files in tests/golden, written by
 * tools/make_golden.py with torch 1.13): the model files (written by h5py)
 * load, zoo models build the same graph as the PyTorch definitions (torchops.h5:
 * the ops PyTorch models bring, exported from TorchOps), eval
 * logits (with and without BN folding), and one train-mode SGD step (loss,
 * every parameter gradient, updated weights and BN running statistics) agree
 * within 1e-4 relative error (normalised per tensor; a tensor PyTorch gives
 * as zero up to rounding must be zero up to rounding here too). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "io/h5.h"
#include "nn/model_io.h"
#include "nn/optim.h"
#include "nn/plan.h"
#include "nn/zoo.h"

#define TOL 1e-4

static double nerr(const float *a, const float *b, int64_t n)
{
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return sqrt(num) / (den > 1e-60 ? sqrt(den) : 1e-30);
}

/* Reads dataset path of n floats into a malloc'd buffer (NULL on error). */
static float *read_f32(ar_h5_t *h, const char *path, int64_t n)
{
    ar_err_t e = {0};
    float *b = malloc((size_t)n * sizeof(float));
    if (ar_h5_read(h, path, AR_DT_F32, b, n, &e) != 0) {
        CHECK(0, "%s", ar_err_msg(&e));
        free(b);
        return NULL;
    }
    return b;
}

static void check_tensor(ar_h5_t *h, const char *path, const float *got, int64_t n,
                         const char *what, double *worst)
{
    float *want = read_f32(h, path, n);
    if (!want) return;
    double wmax = 0, gmax = 0;
    for (int64_t i = 0; i < n; i++) wmax = fmax(wmax, fabs(want[i])), gmax = fmax(gmax, fabs(got[i]));
    if (wmax < 1e-6) {
        /* mathematically zero (a conv bias feeding train-mode BN): PyTorch's
         * value is rounding noise, ours must be noise too */
        CHECK(gmax < 1e-5, "%s %s: PyTorch has zero, we have max %g", what, path, gmax);
        free(want);
        return;
    }
    double err = nerr(got, want, n);
    if (err > *worst) *worst = err;
    CHECK(err <= TOL, "%s %s: normalised error %g", what, path, err);
    free(want);
}

static void same_structure(const ar_graph_t *a, const ar_graph_t *b)
{
    CHECK(a->nnodes == b->nnodes, "%s: %d nodes vs PyTorch's %d", a->arch, a->nnodes, b->nnodes);
    for (int i = 0; i < a->nnodes && i < b->nnodes; i++) {
        const ar_node_t *x = &a->nodes[i], *y = &b->nodes[i];
        int ok = x->op == y->op && strcmp(x->name, y->name) == 0 &&
                 strcmp(x->block, y->block) == 0 && x->ninputs == y->ninputs &&
                 x->nparams == y->nparams && ar_tensor_same_shape(&x->out, &y->out);
        for (int j = 0; ok && j < x->ninputs; j++) ok = x->inputs[j] == y->inputs[j];
        for (int k = 0; ok && k < x->nparams; k++)
            ok = ar_tensor_same_shape(&x->params[k].value, &y->params[k].value);
        CHECK(ok, "%s node %d: zoo '%s' (%s) vs PyTorch '%s' (%s)", a->arch, i, x->name,
              ar_op_name(x->op), y->name, ar_op_name(y->op));
        if (!ok) break;
    }
}

static void run_case(const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/golden/%s", test_source_dir(), file);
    ar_err_t e = {0};
    ar_graph_t *g = ar_model_load(path, &e);
    CHECK(g != NULL, "%s", ar_err_msg(&e));
    ar_h5_t *h = ar_h5_open(path, &e);
    if (!g || !h) {
        ar_graph_destroy(&g);
        ar_h5_destroy(&h);
        return;
    }
    char *zoo = NULL;
    double width = 1, lr = 0, mom = 0, wd = 0, loss_want = 0;
    int32_t growth = 0;
    ar_h5_attr_read_str(h, "/golden", "zoo", &zoo, &e);
    ar_h5_attr_read(h, "/golden", "width", AR_DT_F64, &width, 1, NULL, &e);
    ar_h5_attr_read(h, "/golden", "growth", AR_DT_I32, &growth, 1, NULL, &e);
    ar_h5_attr_read(h, "/golden", "lr", AR_DT_F64, &lr, 1, NULL, &e);
    ar_h5_attr_read(h, "/golden", "momentum", AR_DT_F64, &mom, 1, NULL, &e);
    ar_h5_attr_read(h, "/golden", "weight_decay", AR_DT_F64, &wd, 1, NULL, &e);
    CHECK_OK(ar_h5_attr_read(h, "/golden", "loss", AR_DT_F64, &loss_want, 1, NULL, &e), &e);
    if (zoo && *zoo) {
        ar_zoo_opts_t zo = {.width = width, .growth = growth};
        ar_graph_t *z = ar_zoo_build(zoo, &zo, &e);
        CHECK(z != NULL, "%s", ar_err_msg(&e));
        if (z) same_structure(z, g);
        ar_graph_destroy(&z);
    }
    int nd = 0, isint = 0;
    int64_t dims[8];
    size_t es;
    ar_h5_shape(h, "/golden/x", &nd, dims, &isint, &es, &e);
    int n = (int)dims[0];
    ar_tensor_t x = ar_tensor_shape(4, dims);
    x.data = read_f32(h, "/golden/x", ar_tensor_numel(&x));
    int32_t labels[16];
    ar_h5_read(h, "/golden/labels", AR_DT_I32, labels, n, &e);
    int64_t nl = (int64_t)n * g->num_classes;
    double worst_eval = 0, worst_grad = 0, worst_after = 0;

    /* eval: plain, and folded in a lean plan */
    for (int fold = 0; fold < 2 && x.data; fold++) {
        ar_plan_opts_t o = {.batch = n, .fold_bn = fold, .lean = fold};
        ar_plan_t *p = ar_plan_new(g, &o, &e);
        CHECK_OK(ar_plan_forward(p, &x, AR_MODE_EVAL, &e), &e);
        check_tensor(h, "/golden/eval_logits", ar_plan_logits(p)->data, nl,
                     fold ? "folded eval" : "eval", &worst_eval);
        ar_plan_destroy(&p);
    }
    /* one SGD step in train mode */
    ar_plan_opts_t o = {.batch = n, .grads = 1};
    ar_plan_t *p = ar_plan_new(g, &o, &e);
    CHECK_OK(ar_plan_forward(p, &x, AR_MODE_TRAIN, &e), &e);
    double worst_tl = 0;
    check_tensor(h, "/golden/train_logits", ar_plan_logits(p)->data, nl, "train", &worst_tl);
    double loss = ar_plan_loss(p, labels, NULL);
    CHECK(fabs(loss - loss_want) <= TOL * fabs(loss_want), "%s: loss %.8f vs PyTorch %.8f", file,
          loss, loss_want);
    CHECK_OK(ar_plan_backward(p, &e), &e);
    int nref = 0;
    const ar_param_ref_t *refs = ar_plan_params(p, &nref);
    for (int r = 0; r < nref; r++) {
        char dp[512];
        snprintf(dp, sizeof dp, "/golden/grad/%s/%s", refs[r].node_name, refs[r].name);
        check_tensor(h, dp, refs[r].grad, refs[r].numel, "gradient", &worst_grad);
    }
    ar_optim_cfg_t oc = {.kind = AR_OPTIM_SGD, .momentum = mom, .weight_decay = wd};
    ar_optim_t *opt = ar_optim_new(&oc, refs, nref, &e);
    ar_optim_step(opt, lr);
    for (int i = 0; i < g->nnodes; i++)
        for (int k = 0; k < g->nodes[i].nparams; k++) {
            char dp[512];
            const ar_param_t *pp = &g->nodes[i].params[k];
            snprintf(dp, sizeof dp, "/golden/after/%s/%s", g->nodes[i].name, pp->name);
            check_tensor(h, dp, pp->value.data, ar_tensor_numel(&pp->value), "after step",
                         &worst_after);
        }
    printf("%-16s %3d nodes: eval %.2e, train logits %.2e, loss %.2e, gradients %.2e, "
           "after step %.2e (worst normalised errors)\n",
           file, g->nnodes, worst_eval, worst_tl, fabs(loss - loss_want) / loss_want, worst_grad,
           worst_after);
    ar_optim_destroy(&opt);
    ar_plan_destroy(&p);
    free(x.data);
    free(zoo);
    ar_h5_destroy(&h);
    ar_graph_destroy(&g);
}

int main(void)
{
    run_case("allops.h5");
    run_case("resnet20.h5");
    run_case("resnet18.h5");
    run_case("densenet121.h5");
    run_case("torchops.h5");   /* clamp, silu, hardswish, pad, the strided subsample */
    TEST_MAIN_END();
}
