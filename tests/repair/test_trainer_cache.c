/* test_trainer_cache.c - the trainer without its prefix cache
 * (ar_trainer_opts_t.no_prefix_cache, the benchmark switch) computes the same
 * thing as with it: an archrepair search of a block near the start, in the
 * middle and (downsampling) of a small ResNet, run both ways, gives the same
 * losses, validation accuracy, genotype and repaired weights, bit for bit
 * (the per-image arithmetic is the same: the prefix runs in eval mode either
 * way). Also: the cache holds the boundary outputs of every image (bytes =
 * boundary size x images x 4), and nothing without it. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "patch_set.h"
#include "core/rng.h"
#include "repair/cell.h"
#include "repair/search.h"

/* Largest |a - b| over every parameter of two graphs of the same structure;
 * -1 when they differ in structure. */
static double max_param_diff(const ar_graph_t *a, const ar_graph_t *b)
{
    if (a->nnodes != b->nnodes) return -1;
    double m = 0;
    for (int i = 0; i < a->nnodes; i++) {
        if (a->nodes[i].nparams != b->nodes[i].nparams) return -1;
        for (int k = 0; k < a->nodes[i].nparams; k++) {
            const ar_tensor_t *p = &a->nodes[i].params[k].value, *q = &b->nodes[i].params[k].value;
            if (!ar_tensor_same_shape(p, q)) return -1;
            for (int64_t j = 0; j < ar_tensor_numel(p); j++) {
                double d = fabs((double)p->data[j] - (double)q->data[j]);
                if (d > m || d != d) m = d != d ? INFINITY : d;
            }
        }
    }
    return m;
}

int main(void)
{
    ar_err_t e = {0};
    patch_fixture_t f;
    int ok = patch_fixture_init(&f, 72, 24, &e) == 0;
    CHECK(ok, "zoo: %s", e.msg);
    if (!ok) TEST_MAIN_END();
    ar_graph_t *g = f.g;
    const ar_imgset_t train = f.train, val = f.val;

    const char *blocks[] = {"layer1.0", "layer2.1", "layer3.0"};
    for (int b = 0; b < 3; b++) {
        ar_search_cfg_t c = ar_search_cfg_default();
        snprintf(c.block, sizeof c.block, "%s", blocks[b]);
        c.cell.nodes = 2;
        c.search_epochs = 2, c.finetune_epochs = 1, c.batch = 16, c.seed = 7;
        c.alpha_lr = 0.05;
        ar_search_result_t r[2];
        for (int k = 0; k < 2; k++) {
            c.no_prefix_cache = k;
            CHECK_OK(ar_search_run(g, &c, &train, &val, NULL, NULL, &r[k], &e), &e);
        }
        if (!r[0].model || !r[1].model) continue;
        double d = max_param_diff(r[0].model, r[1].model);
        printf("%s: loss %.9g / %.9g -> %.9g / %.9g, val %.4f / %.4f, max |dw| %g\n", blocks[b],
               r[0].first_loss, r[1].first_loss, r[0].last_loss, r[1].last_loss, r[0].val_acc,
               r[1].val_acc, d);
        CHECK(r[0].first_loss == r[1].first_loss && r[0].last_loss == r[1].last_loss,
              "%s: losses %.9g %.9g vs %.9g %.9g", blocks[b], r[0].first_loss, r[0].last_loss,
              r[1].first_loss, r[1].last_loss);
        CHECK(r[0].val_acc == r[1].val_acc, "%s: val %g vs %g", blocks[b], r[0].val_acc,
              r[1].val_acc);
        CHECK(strcmp(r[0].genotype, r[1].genotype) == 0, "%s: genotypes\n%s\nvs\n%s", blocks[b],
              r[0].genotype, r[1].genotype);
        CHECK(d == 0, "%s: parameters differ by up to %g", blocks[b], d);
        ar_search_result_free(&r[0]);
        ar_search_result_free(&r[1]);
    }

    /* cache size: layer2.1's relaxed cell reads one boundary node (layer2.0's
     * output, [C, 4, 4]); its bytes are numel x images x 4 over the sets */
    ar_cell_cfg_t cc = ar_cell_cfg_default();
    cc.nodes = 2;
    ar_graph_t *w = ar_cell_build(g, "layer2.1", &cc, NULL, &e);
    CHECK(w != NULL, "cell: %s", e.msg);
    if (w) {
        ar_imgset_t sets[2] = {train, val};
        ar_trainer_opts_t o = {.batch = 16};
        ar_trainer_t *t = ar_trainer_new_opts(w, &o, sets, 2, &e);
        o.no_prefix_cache = 1;
        ar_trainer_t *u = ar_trainer_new_opts(w, &o, sets, 2, &e);
        CHECK(t && u, "trainer: %s", e.msg);
        if (t && u) {
            int f = ar_trainer_first(t), k = -1;
            for (int j = 0; j < f; j++)
                if (strcmp(w->nodes[j].block, "layer2.0") == 0) k = j;
            CHECK(k >= 0 && ar_trainer_first(u) == f, "first %d / %d", f, ar_trainer_first(u));
            int64_t want = k < 0 ? -1 : ar_tensor_numel(&w->nodes[k].out) * (72 + 24) * 4;
            CHECK(ar_trainer_cache_bytes(t) == want, "cache %lld bytes, want %lld",
                  (long long)ar_trainer_cache_bytes(t), (long long)want);
            CHECK(ar_trainer_cache_bytes(u) == 0, "no cache: %lld bytes",
                  (long long)ar_trainer_cache_bytes(u));
            int64_t idx[16];
            for (int i = 0; i < 16; i++) idx[i] = 71 - 4 * i;
            double l0 = 0, l1 = 0;
            CHECK_OK(ar_trainer_step(t, 0, idx, 16, &l0, &e), &e);
            CHECK_OK(ar_trainer_step(u, 0, idx, 16, &l1, &e), &e);
            CHECK(l0 == l1 && l0 > 0, "one step: loss %.9g vs %.9g", l0, l1);
        }
        ar_trainer_destroy(&t);
        ar_trainer_destroy(&u);
    }
    ar_graph_destroy(&w);
    patch_fixture_free(&f);
    TEST_MAIN_END();
}
