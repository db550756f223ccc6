/* test_search.c - a tiny end-to-end search and the three baselines on a
 * synthetic 3-class problem (8x8 images, a small ResNet): each lowers the
 * training loss, archrepair yields a plain-op model with a genotype, the
 * frozen part of the network stays bit-identical, the epoch callback sees
 * alpha entropy fall below the uniform value, and a rerun is bit-identical. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "patch_set.h"
#include "core/rng.h"
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
        ar_search_result_free(&r);
    }
    c.method = AR_METHOD_BLOCK_WEIGHTS;
    snprintf(c.block, sizeof c.block, "nope");
    ar_search_result_t r;
    CHECK(ar_search_run(g, &c, &train, &val, NULL, NULL, &r, &e) == AR_E_ARG &&
              strstr(e.msg, "nope"),
          "unknown block: %s", e.msg);
    patch_fixture_free(&f);
    TEST_MAIN_END();
}
