/* test_search.c - a tiny end-to-end search and the three baselines on a
 * synthetic 3-class problem (8x8 images, a small ResNet): each lowers the
 * training loss, archrepair yields a plain-op model with a genotype, the
 * frozen part of the network stays bit-identical, the epoch callback sees
 * alpha entropy fall below the uniform value, and a rerun is bit-identical;
 * keep_best ends on the best epoch within the bound, resample's hook runs
 * before every later epoch, distillation trains towards soft targets. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "patch_set.h"
#include "core/rng.h"
#include "repair/interpolate.h"
#include "repair/search.h"

typedef struct seen {
    int epochs;
    double first_entropy, last_entropy;
} seen_t;

static int on_epoch(void *user, const ar_epoch_report_t *r)
{
    seen_t *s = user;
    if (strcmp(r->phase, "search") == 0) {
        if (s->epochs == 0) s->first_entropy = r->alpha_entropy;
        s->last_entropy = r->alpha_entropy;
    }
    s->epochs++;
    return 0;
}

static int same_params(const ar_graph_t *a, const ar_graph_t *b, const char *node)
{
    int i = ar_graph_find(a, node), j = ar_graph_find(b, node);
    if (i < 0 || j < 0) return 0;
    const ar_tensor_t *p = &a->nodes[i].params[0].value, *q = &b->nodes[j].params[0].value;
    return ar_tensor_same_shape(p, q) &&
           memcmp(p->data, q->data, (size_t)ar_tensor_numel(p) * sizeof(float)) == 0;
}

static int same_model(const ar_graph_t *a, const ar_graph_t *b)
{
    int same = a && b && a->nnodes == b->nnodes;
    for (int i = 0; same && i < a->nnodes; i++)
        for (int k = 0; k < a->nodes[i].nparams; k++)
            same &= memcmp(a->nodes[i].params[k].value.data, b->nodes[i].params[k].value.data,
                           (size_t)ar_tensor_numel(&a->nodes[i].params[k].value) * 4) == 0;
    return same;
}

/* Per-epoch validation accuracies of a run. */
typedef struct vals {
    int n;
    double acc[16];
} vals_t;

static int on_val(void *user, const ar_epoch_report_t *r)
{
    vals_t *v = user;
    if (v->n < 16) v->acc[v->n++] = r->val_acc;
    return 0;
}

/* A resample hook: rewrites the training images (noise keyed by epoch). */
typedef struct redraw {
    ar_tensor_t *x;
    const ar_tensor_t *orig;
    int calls, last_epoch, ordered;
} redraw_t;

static int redraw(void *ctx, int epoch, const int64_t *rows, int64_t nrows, ar_err_t *err)
{
    (void)err;
    redraw_t *r = ctx;
    r->ordered &= epoch == r->last_epoch + 1;
    r->last_epoch = epoch, r->calls++;
    int64_t n = rows ? nrows : r->x->shape[0], img = ar_tensor_numel(r->x) / r->x->shape[0];
    for (int64_t k = 0; k < n; k++) { /* noise keyed by (epoch, row) */
        int64_t i = rows ? rows[k] : k;
        ar_rng_t g;
        ar_rng_init(&g, (1000 + (uint64_t)epoch) * 100003u + (uint64_t)i);
        for (int64_t j = i * img; j < (i + 1) * img; j++)
            r->x->data[j] = r->orig->data[j] + (float)(0.3 * ar_rng_normal(&g));
    }
    return 0;
}

/* keep_best, resample and distill on block-weights. */
static void test_options(ar_graph_t *g, const ar_imgset_t *train, const ar_imgset_t *val)
{
    ar_err_t e = {0};
    ar_search_cfg_t c = ar_search_cfg_default();
    c.method = AR_METHOD_BLOCK_WEIGHTS;
    snprintf(c.block, sizeof c.block, "layer3.0");
    c.search_epochs = 5, c.finetune_epochs = 0, c.batch = 16, c.seed = 7, c.lr = 0.2;
    ar_imgset_t vv[2] = {*val, *val};
    c.nval = 2;
    vals_t v = {0};
    ar_search_result_t plain, best, none;
    CHECK_OK(ar_search_run(g, &c, train, vv, on_val, &v, &plain, &e), &e);
    /* keep_best with every epoch within the bound: the first epoch of highest accuracy */
    c.keep_best = 1, c.clean0 = 0, c.max_clean_drop = 0;
    CHECK_OK(ar_search_run(g, &c, train, vv, NULL, NULL, &best, &e), &e);
    int arg = 0;
    for (int i = 1; i < v.n; i++)
        if (v.acc[i] > v.acc[arg]) arg = i;
    CHECK(v.n == 5 && best.kept_epoch == arg && best.val_acc == v.acc[arg] && plain.kept_epoch == -1,
          "keep_best keeps epoch %d (want %d, val %g vs %g)", best.kept_epoch, arg, best.val_acc,
          v.acc[arg]);
    double acc = 0;
    CHECK_OK(ar_imgset_accuracy(best.model, val, 32, &acc, &e), &e);
    CHECK(fabs(acc - v.acc[arg]) < 1e-12, "the kept model is that epoch's (%g vs %g)", acc,
          v.acc[arg]);
    CHECK(arg != 4 || same_model(best.model, plain.model), "last epoch kept = the plain result");
    /* no epoch within the bound: the last state */
    c.clean0 = 2;
    CHECK_OK(ar_search_run(g, &c, train, vv, NULL, NULL, &none, &e), &e);
    CHECK(none.kept_epoch == -1 && same_model(none.model, plain.model), "none qualifies: the last");
    ar_search_result_free(&best), ar_search_result_free(&none);
    c.keep_best = 0;
    /* resample: called before epochs 1..4 in order; the images it writes train */
    ar_tensor_t x = *train->x;
    x.data = NULL;
    ar_tensor_alloc(&x);
    memcpy(x.data, train->x->data, (size_t)ar_tensor_numel(&x) * 4);
    ar_imgset_t tr = {&x, train->y, NULL};
    redraw_t rd = {&x, train->x, 0, 0, 1};
    c.resample = redraw, c.resample_ctx = &rd;
    ar_search_result_t rs, rs2;
    CHECK_OK(ar_search_run(g, &c, &tr, vv, NULL, NULL, &rs, &e), &e);
    CHECK(rd.calls == 4 && rd.ordered && rs.epochs == 5, "resample: %d calls, ordered %d", rd.calls,
          rd.ordered);
    CHECK(!same_model(rs.model, plain.model), "resampled images train another model");
    memcpy(x.data, train->x->data, (size_t)ar_tensor_numel(&x) * 4);
    rd = (redraw_t){&x, train->x, 0, 0, 1};
    CHECK_OK(ar_search_run(g, &c, &tr, vv, NULL, NULL, &rs2, &e), &e);
    CHECK(same_model(rs.model, rs2.model), "resample: a rerun is bit-identical");
    ar_search_result_free(&rs), ar_search_result_free(&rs2);
    ar_tensor_free(&x);
    c.resample = NULL;
    /* finetune-all: one more epoch of the whole network after the block's own */
    c.finetune_all_epochs = 1;
    ar_search_result_t fa;
    vals_t va = {0};
    CHECK_OK(ar_search_run(g, &c, train, vv, on_val, &va, &fa, &e), &e);
    CHECK(fa.epochs == 6 && va.n == 6 && !same_params(g, fa.model, "conv1") &&
              !same_model(fa.model, plain.model),
          "finetune-all: %d epochs, the stem trained too", fa.epochs);
    ar_search_result_free(&fa);
    c.finetune_all_epochs = 0;
    /* distill: no soft targets = labels only, bit for bit; soft targets change the training */
    ar_search_result_t d0, d1;
    c.distill = 0.5;
    CHECK_OK(ar_search_run(g, &c, train, vv, NULL, NULL, &d0, &e), &e);
    CHECK(same_model(d0.model, plain.model), "distill without soft targets = labels only");
    int64_t n = train->x->shape[0];
    float *soft = malloc((size_t)n * 3 * sizeof *soft);
    for (int64_t i = 0; i < n * 3; i++) soft[i] = 1.0f / 3.0f;
    ar_imgset_t ts = {train->x, train->y, soft};
    CHECK_OK(ar_search_run(g, &c, &ts, vv, NULL, NULL, &d1, &e), &e);
    CHECK(!same_model(d1.model, plain.model) && d1.last_loss < d1.first_loss,
          "distill towards soft targets trains another model (loss %g -> %g)", d1.first_loss,
          d1.last_loss);
    free(soft);
    ar_search_result_free(&d0), ar_search_result_free(&d1), ar_search_result_free(&plain);
}

int main(void)
{
    ar_err_t e = {0};
    patch_fixture_t f;
    int ok = patch_fixture_init(&f, 96, 32, &e) == 0;
    CHECK(ok, "zoo: %s", e.msg);
    if (!ok) TEST_MAIN_END();
    ar_graph_t *g = f.g;
    const ar_imgset_t train = f.train, val = f.val;

    ar_search_cfg_t c = ar_search_cfg_default();
    snprintf(c.block, sizeof c.block, "layer3.0");
    c.cell.nodes = 2;
    c.search_epochs = 4, c.finetune_epochs = 2, c.batch = 16, c.seed = 42;
    c.alpha_lr = 0.05; /* visible alpha movement in a few steps */
    for (int m = 0; m < AR_METHOD_COUNT; m++) {
        c.method = (ar_method_t)m;
        seen_t s = {0};
        ar_search_result_t r;
        int st = ar_search_run(g, &c, &train, &val, on_epoch, &s, &r, &e);
        CHECK(st == 0, "%s: %s", ar_method_name(c.method), e.msg);
        if (st) continue;
        printf("%-14s loss %.4f -> %.4f  val %.3f  %s\n", ar_method_name(c.method), r.first_loss,
               r.last_loss, r.val_acc, r.genotype);
        if (m == AR_METHOD_BN_ADAPT) { /* no training: one report, every weight kept */
            CHECK(s.epochs == 1, "bn-adapt: 1 report, got %d", s.epochs);
            CHECK(same_params(g, r.model, "layer1.0.conv1") && same_params(g, r.model, "fc"),
                  "bn-adapt keeps the weights");
            ar_search_result_free(&r);
            continue;
        }
        CHECK(r.last_loss < r.first_loss, "%s lowers the training loss (%g -> %g)",
              ar_method_name(c.method), r.first_loss, r.last_loss);
        CHECK(s.epochs == 6, "%s: 6 epoch reports, got %d", ar_method_name(c.method), s.epochs);
        int mix = 0;
        for (int i = 0; i < r.model->nnodes; i++) mix += r.model->nodes[i].op == AR_OP_MIX;
        CHECK(mix == 0 && r.model->finalized, "plain model");
        if (m != AR_METHOD_FINETUNE)
            CHECK(same_params(g, r.model, "conv1") && same_params(g, r.model, "layer1.0.conv1") &&
                      same_params(g, r.model, "fc"),
                  "%s leaves the frozen part unchanged", ar_method_name(c.method));
        if (m == AR_METHOD_ARCHREPAIR) {
            CHECK(strstr(r.genotype, "n1 = ") && strstr(r.genotype, "out = "), "genotype %s",
                  r.genotype);
            double uniform = log(9.0);
            CHECK(fabs(s.first_entropy - uniform) < 0.05 && s.last_entropy < s.first_entropy,
                  "alpha entropy %g -> %g (uniform %g)", s.first_entropy, s.last_entropy, uniform);
            /* determinism: a rerun gives the same weights bit for bit */
            ar_search_result_t r2;
            CHECK_OK(ar_search_run(g, &c, &train, &val, NULL, NULL, &r2, &e), &e);
            int same = r2.model && r2.model->nnodes == r.model->nnodes;
            for (int i = 0; same && i < r.model->nnodes; i++)
                for (int k = 0; k < r.model->nodes[i].nparams; k++)
                    same &= memcmp(r.model->nodes[i].params[k].value.data,
                                   r2.model->nodes[i].params[k].value.data,
                                   (size_t)ar_tensor_numel(&r.model->nodes[i].params[k].value) *
                                       4) == 0;
            CHECK(same && strcmp(r.genotype, r2.genotype) == 0, "rerun is bit-identical");
            ar_search_result_free(&r2);
        }
        if (m == AR_METHOD_FINETUNE)
            CHECK(!same_params(g, r.model, "conv1"), "finetune changes the stem");
        if (m == AR_METHOD_RANDOM_CELL) { /* a random genotype, keyed by the seed */
            ar_search_cfg_t c2 = c;
            c2.seed = 43;
            ar_search_result_t r2;
            CHECK_OK(ar_search_run(g, &c2, &train, &val, NULL, NULL, &r2, &e), &e);
            CHECK(strstr(r.genotype, "n1 = ") && strcmp(r.genotype, r2.genotype) != 0,
                  "random-cell: a genotype per seed (%s vs %s)", r.genotype, r2.genotype);
            ar_search_result_free(&r2);
        }
        ar_search_result_free(&r);
    }
    test_options(g, &train, &val);
    c.method = AR_METHOD_BLOCK_WEIGHTS;
    snprintf(c.block, sizeof c.block, "nope");
    ar_search_result_t r;
    CHECK(ar_search_run(g, &c, &train, &val, NULL, NULL, &r, &e) == AR_E_ARG &&
              strstr(e.msg, "nope"),
          "unknown block: %s", e.msg);
    patch_fixture_free(&f);
    TEST_MAIN_END();
}
