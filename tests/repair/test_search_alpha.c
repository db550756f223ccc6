/* test_search_alpha.c - the architecture weights of a seeded cell learn with
 * the search defaults (ar_search_cfg_default), and did not with DARTS'
 * coupled alpha weight decay 1e-3.
 *
 * With repair.seed_original the cell's output BN weight starts at 0 and the
 * alpha gradient is proportional to it, so it is small (1e-4..4e-4 on
 * Fashion-MNIST), and its consistent part is of the order of wd * alpha. Adam
 * normalises the sum g + wd * alpha, so the decay held every alpha near 0:
 * the entropy stayed near ln 9 (docs/repair.md,
 * "Measured: do the architecture weights learn?"). On the 3-class fixture of
 * test_search, 4 search epochs of 6 alpha steps, three split seeds: with the
 * defaults the mean entropy must fall clearly below ln 9, with alpha_wd 1e-3
 * it must not (the mechanism, and proof that the first check can fail). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "patch_set.h"
#include "core/rng.h"
#include "repair/search.h"

static int on_epoch(void *user, const ar_epoch_report_t *r)
{
    if (strcmp(r->phase, "search") == 0) *(double *)user = r->alpha_entropy;
    return 0;
}

/* Mean alpha entropy after the search with alpha weight decay wd (< 0: the
 * default), split seed `seed`; -1 on error. */
static double search_entropy(const ar_graph_t *g, const ar_imgset_t *train,
                             const ar_imgset_t *val, double wd, uint64_t seed)
{
    ar_search_cfg_t c = ar_search_cfg_default();
    snprintf(c.block, sizeof c.block, "layer3.0");
    c.cell.nodes = 2;
    c.search_epochs = 4, c.finetune_epochs = 0, c.batch = 16, c.seed = seed;
    c.alpha_lr = 0.03; /* the job default (repair.alpha_lr) */
    if (wd >= 0) c.alpha_wd = wd;
    CHECK(c.cell.seed_original, "the default cell is seeded");
    double h = -1;
    ar_search_result_t r;
    ar_err_t e = {0};
    int st = ar_search_run(g, &c, train, val, on_epoch, &h, &r, &e);
    CHECK(st == 0, "search (wd %g, seed %llu): %s", wd, (unsigned long long)seed, e.msg);
    if (st) return -1;
    ar_search_result_free(&r);
    return h;
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
    const double uniform = log(9.0);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        double h = search_entropy(g, &train, &val, -1, seed);
        double h_wd = search_entropy(g, &train, &val, 1e-3, seed);
        printf("seed %llu: entropy %.4f (defaults), %.4f (alpha_wd 1e-3); ln 9 = %.4f\n",
               (unsigned long long)seed, h, h_wd, uniform);
        CHECK(h >= 0 && h < uniform - 0.02, "seed %llu: defaults, entropy %.4f < ln 9 - 0.02",
              (unsigned long long)seed, h);
        CHECK(h_wd > uniform - 0.005, "seed %llu: alpha_wd 1e-3, entropy %.4f stays near ln 9",
              (unsigned long long)seed, h_wd);
    }
    patch_fixture_free(&f);
    TEST_MAIN_END();
}
