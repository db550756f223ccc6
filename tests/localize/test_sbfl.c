/* test_sbfl.c - spectrum formulas, aggregation, example selection, batching
 * and scoring, checked by hand on tiny tables; FGSM / PGD budgets and their
 * effect on the loss on a toy network. */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "localize/localize.h"
#include "localize/sbfl.h"
#include "core/rng.h"
#include "nn/graph.h"
#include "nn/plan.h"
#include "nn/zoo.h"

static void test_formulas(void)
{
    /* af=3 nf=1 ap=1 np=3: F=4, P=4 */
    CHECK_NEAR(ar_sbfl_score(AR_SBFL_TARANTULA, 3, 1, 1, 3), (0.75 / (0.75 + 0.25)), 1e-15);
    CHECK_NEAR(ar_sbfl_score(AR_SBFL_OCHIAI, 3, 1, 1, 3), 3.0 / sqrt(4.0 * 4.0), 1e-15);
    CHECK_NEAR(ar_sbfl_score(AR_SBFL_DSTAR, 3, 1, 1, 3), 9.0 / 2.0, 1e-15);
    /* af=2 nf=3 ap=4 np=1: F=5, P=5 */
    CHECK_NEAR(ar_sbfl_score(AR_SBFL_TARANTULA, 2, 3, 4, 1), 0.4 / (0.4 + 0.8), 1e-15);
    CHECK_NEAR(ar_sbfl_score(AR_SBFL_OCHIAI, 2, 3, 4, 1), 2.0 / sqrt(5.0 * 6.0), 1e-15);
    CHECK_NEAR(ar_sbfl_score(AR_SBFL_DSTAR, 2, 3, 4, 1), 4.0 / 7.0, 1e-15);
    /* zero denominators */
    for (int f = 0; f < AR_SBFL_COUNT; f++) {
        CHECK(ar_sbfl_score(f, 0, 0, 0, 0) == 0.0, "%s of empty counts", ar_sbfl_name(f));
        CHECK(ar_sbfl_score(f, 0, 5, 3, 2) == 0.0, "%s with af = 0", ar_sbfl_name(f));
    }
    CHECK(ar_sbfl_score(AR_SBFL_TARANTULA, 4, 0, 0, 0) == 1.0, "tarantula with P = 0");
    CHECK(ar_sbfl_score(AR_SBFL_TARANTULA, 4, 0, 0, 6) == 1.0, "tarantula with ap = 0");
    CHECK(ar_sbfl_score(AR_SBFL_OCHIAI, 4, 0, 0, 6) == 1.0, "ochiai perfect");
    CHECK(ar_sbfl_score(AR_SBFL_DSTAR, 4, 0, 0, 6) == 32.0, "dstar with ap + nf = 0 -> 2 af^2");
    CHECK(ar_sbfl_score(AR_SBFL_DSTAR, 4, 0, 1, 5) == 16.0, "dstar with ap + nf = 1");
    /* names round trip */
    for (int f = 0; f < AR_SBFL_COUNT; f++) CHECK(ar_sbfl_parse(ar_sbfl_name(f)) == f, "formula %d", f);
    for (int a = 0; a < AR_AGG_COUNT; a++) CHECK(ar_agg_parse(ar_agg_name(a)) == a, "aggregate %d", a);
    CHECK(ar_sbfl_parse("ochai") == -1, "typo rejected");
}

static void test_aggregate(void)
{
    double v[5] = {0.1, 0.9, 0.4, 0.7, 0.2}, s[5];
    CHECK_NEAR(ar_agg_apply(AR_AGG_MEAN, v, 5, 0, s), 2.3 / 5, 1e-15);
    CHECK(ar_agg_apply(AR_AGG_MAX, v, 5, 0, s) == 0.9, "max");
    CHECK_NEAR(ar_agg_apply(AR_AGG_TOPK, v, 5, 2, s), 0.8, 1e-15);
    CHECK_NEAR(ar_agg_apply(AR_AGG_TOPK, v, 5, 3, s), 2.0 / 3, 1e-15);
    CHECK_NEAR(ar_agg_apply(AR_AGG_TOPK, v, 5, 99, s), 2.3 / 5, 1e-15);
    CHECK(v[0] == 0.1 && v[1] == 0.9, "input untouched");
    CHECK(ar_agg_apply(AR_AGG_MEAN, v, 0, 1, s) == 0.0, "empty");
}

static void test_select(void)
{
    /* two sets: 0 has 6 images (wrong: 1, 4), 1 has 5 (wrong: 0, 2, 3) */
    uint8_t c0[6] = {1, 0, 1, 1, 0, 1}, c1[5] = {0, 1, 0, 0, 1};
    const uint8_t *corr[2] = {c0, c1};
    int64_t counts[2] = {6, 5};
    ar_err_t err = {0};
    ar_lz_example_t *f = NULL, *p = NULL, *f2 = NULL, *p2 = NULL;
    int64_t nf, np, nf2, np2;
    CHECK(!ar_lz_select(2, counts, corr, 3, 7, &f, &nf, &p, &np, &err), "%s", err.msg);
    CHECK(nf == 3 && np == 3, "sizes %lld %lld", (long long)nf, (long long)np);
    for (int64_t i = 0; f && i < nf; i++) {
        CHECK(!corr[f[i].set][f[i].index], "failing example %lld/%lld is correct", (long long)f[i].set,
              (long long)f[i].index);
        if (i) CHECK(f[i - 1].set < f[i].set || (f[i - 1].set == f[i].set && f[i - 1].index < f[i].index), "sorted");
    }
    for (int64_t i = 0; p && i < np; i++) CHECK(corr[p[i].set][p[i].index], "passing example is wrong");
    /* same seed, same choice; all failing when asking for more than there are */
    CHECK(!ar_lz_select(2, counts, corr, 3, 7, &f2, &nf2, &p2, &np2, &err), "%s", err.msg);
    for (int64_t i = 0; f && f2 && i < nf; i++) CHECK(f[i].set == f2[i].set && f[i].index == f2[i].index, "deterministic");
    free(f), free(p), free(f2), free(p2);
    CHECK(!ar_lz_select(2, counts, corr, 100, 7, &f, &nf, &p, &np, &err), "%s", err.msg);
    CHECK(nf == 5 && np == 5, "all 5 failing, 5 of 6 passing: %lld %lld", (long long)nf, (long long)np);
    /* a different seed picks a different passing sample at least once in a few tries */
    int differs = 0;
    for (uint64_t seed = 8; seed < 16 && !differs; seed++) {
        CHECK(!ar_lz_select(2, counts, corr, 2, seed, &f2, &nf2, &p2, &np2, &err), "%s", err.msg);
        ar_lz_example_t *f3, *p3;
        int64_t a, b;
        ar_lz_select(2, counts, corr, 2, 7, &f3, &a, &p3, &b, &err);
        for (int64_t i = 0; i < 2; i++) differs |= f2[i].set != f3[i].set || f2[i].index != f3[i].index;
        free(f2), free(p2), free(f3), free(p3);
    }
    CHECK(differs, "the seed changes the choice");
    free(f), free(p);
    uint8_t all[3] = {1, 1, 1};
    const uint8_t *ca[1] = {all};
    int64_t n3[1] = {3};
    CHECK(ar_lz_select(1, n3, ca, 3, 0, &f, &nf, &p, &np, &err) == AR_E_ARG, "no failing example is an error");
    CHECK(strstr(err.msg, "no misclassified"), "message: %s", err.msg);
}

static void test_batches(void)
{
    ar_lz_example_t ex[7] = {{0, 1}, {0, 2}, {0, 5}, {0, 9}, {0, 11}, {2, 0}, {2, 3}};
    int64_t *st, nb;
    ar_err_t err = {0};
    CHECK(!ar_lz_batches(ex, 7, 2, &st, &nb, &err), "%s", err.msg);
    int64_t want[] = {0, 2, 4, 5, 7};
    CHECK(nb == 4, "batches %lld", (long long)nb);
    for (int i = 0; i <= 4 && nb == 4; i++) CHECK(st[i] == want[i], "start %d = %lld", i, (long long)st[i]);
    free(st);
}

/* A two-block toy graph: conv(2) -> bn in block "a", conv(3) in block "b",
 * global pool, linear(2). */
static ar_graph_t *toy(ar_err_t *err)
{
    ar_graph_t *g = ar_graph_new("toy", 1, 4, 4, 2, err);
    ar_node_cfg_t c = {0};
    c.conv.c = (ar_conv_cfg_t){.cout = 2, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 1};
    int n0 = ar_graph_add(g, AR_OP_CONV2D, "a.conv", "a", (int[]){-1}, 1, &c, err);
    int n1 = ar_graph_add(g, AR_OP_BATCHNORM2D, "a.bn", "a", (int[]){n0}, 1, &(ar_node_cfg_t){.bn = {.c = {.eps = 1e-5f, .momentum = 0.1f}, .affine = 1}}, err);
    int n2 = ar_graph_add(g, AR_OP_RELU, "a.relu", "a", (int[]){n1}, 1, NULL, err);
    c.conv.c.cout = 3;
    int n3 = ar_graph_add(g, AR_OP_CONV2D, "b.conv", "b", (int[]){n2}, 1, &c, err);
    int n4 = ar_graph_add(g, AR_OP_GLOBAL_AVGPOOL, "pool", "", (int[]){n3}, 1, NULL, err);
    ar_graph_add(g, AR_OP_LINEAR, "fc", "", (int[]){n4}, 1, &(ar_node_cfg_t){.linear = {.out_features = 2, .bias = 1}}, err);
    if (ar_graph_finalize(g, 0, err)) ar_graph_destroy(&g);
    return g;
}

static void test_map_and_score(void)
{
    ar_err_t err = {0};
    ar_graph_t *g = toy(&err);
    CHECK(g, "toy graph: %s", err.msg);
    if (!g) return;
    for (int i = 0; i < g->nnodes; i++) {
        ar_param_t *w = ar_graph_param(g, i, "weight");
        if (w && g->nodes[i].op != AR_OP_BATCHNORM2D)
            for (int64_t k = 0; k < ar_tensor_numel(&w->value); k++) w->value.data[k] = 1.0f; /* rms 1 */
    }
    ar_neuron_map_t *m = ar_neuron_map_new(g, &err);
    CHECK(m && m->nunits == 3 && m->nneurons == 7 && m->nblocks == 2, "map: %s", err.msg);
    if (!m) return;
    CHECK(m->units[0].status_node == 1, "conv feeding only a BN: status at the BN, got %d", m->units[0].status_node);
    CHECK(m->units[1].status_node == 3 && m->units[1].fan == 18, "b.conv: own output, fan 2*3*3");
    CHECK(m->units[2].block == -1 && m->units[2].offset == 5, "fc in no block");
    /* counts: F = 4, P = 4 */
    ar_lz_counts_t c;
    CHECK(!ar_lz_counts_init(&c, 7, &err), "counts");
    c.n_fail = 4, c.n_pass = 4;
    int64_t af[7] = {4, 0, 2, 3, 1, 4, 2}, ap[7] = {0, 4, 2, 1, 1, 2, 2};
    double gs[7] = {8, 8, 4, 8, 4, 4, 4}, thr[7] = {0};
    for (int i = 0; i < 7; i++) c.act_fail[i] = af[i], c.act_pass[i] = ap[i];
    ar_localize_opts_t o = ar_localize_opts_default();
    o.formula = AR_SBFL_OCHIAI;
    o.gscale = AR_GSCALE_RAW;
    o.gnorm = AR_GNORM_GLOBAL;
    o.aggregate = AR_AGG_MEAN;
    ar_localize_result_t *r = NULL;
    CHECK(!ar_lz_score(g, m, &o, &c, gs, thr, &r, &err), "%s", err.msg);
    if (r) {
        /* grad = gs / F; global max 2; ochiai neuron 0 = 4/sqrt(4*4) = 1, x 1 */
        CHECK_NEAR(r->susp[0], 1.0, 1e-12);
        CHECK_NEAR(r->susp[1], 0.0, 1e-12);
        CHECK_NEAR(r->susp[2], 2.0 / sqrt(4.0 * 4.0) * 0.5, 1e-12);
        CHECK_NEAR(r->susp[3], 3.0 / sqrt(4.0 * 4.0) * 1.0, 1e-12);
        CHECK_NEAR(r->susp[4], 1.0 / sqrt(4.0 * 2.0) * 0.5, 1e-12);
        double a = (1.0 + 0.0) / 2, b = (0.25 + 0.75 + 1.0 / sqrt(8.0) * 0.5) / 3;
        CHECK_NEAR(r->block_scores[0], a, 1e-12);
        CHECK_NEAR(r->block_scores[1], b, 1e-12);
        CHECK(r->block_rank[0] == 0 && !strcmp(r->block_names[0], "a"), "block a first");
        CHECK(r->nunits == 3 && !strcmp(r->unit_names[2], "fc"), "layer names");
        ar_localize_result_destroy(&r);
    }
    /* layer_mean normalisation, max aggregate: grads a.conv {2, 2} (mean 2),
     * b.conv {1, 2, 1} (mean 4/3): neuron 3 = 0.75 * 2 / (4/3) = 1.125 */
    o.gnorm = AR_GNORM_LAYER_MEAN;
    o.aggregate = AR_AGG_MAX;
    CHECK(!ar_lz_score(g, m, &o, &c, gs, thr, &r, &err), "%s", err.msg);
    if (r) {
        CHECK_NEAR(r->susp[0], 1.0 * 2.0 / 2.0, 1e-12);
        CHECK_NEAR(r->susp[3], 1.125, 1e-12);
        CHECK_NEAR(r->block_scores[0], 1.0, 1e-12);
        CHECK_NEAR(r->block_scores[1], 1.125, 1e-12);
        CHECK(r->block_rank[0] == 1 && r->block_rank[1] == 0, "b (1.125) before a (1.0)");
        CHECK(r->layer_rank[0] == 1 && r->layer_rank[1] == 0 && r->layer_rank[2] == 2, "layers b.conv, a.conv, fc");
        CHECK_NEAR(r->layer_scores[2], 4.0 / sqrt(24.0), 1e-12);
        ar_localize_result_destroy(&r);
    }
    /* weight scaling: doubling b.conv's weights doubles its normalised share
     * under global normalisation */
    ar_param_t *w = ar_graph_param(g, 3, "weight");
    for (int64_t k = 0; k < ar_tensor_numel(&w->value); k++) w->value.data[k] = 2.0f;
    o.gscale = AR_GSCALE_WEIGHT;
    o.gnorm = AR_GNORM_GLOBAL;
    CHECK(!ar_lz_score(g, m, &o, &c, gs, thr, &r, &err), "%s", err.msg);
    if (r) {
        CHECK_NEAR(r->grad_weight[3], 4.0, 1e-12);
        CHECK_NEAR(r->susp[3], 0.75, 1e-12);
        CHECK_NEAR(r->susp[0], 0.5, 1e-12);
        ar_localize_result_destroy(&r);
    }
    ar_lz_counts_free(&c);
    ar_neuron_map_destroy(&m);
    ar_graph_destroy(&g);
}

/* FGSM and PGD stay in the eps ball and the pixel range, and raise the loss. */
static void test_adversarial(void)
{
    ar_err_t err = {0};
    ar_graph_t *g = toy(&err);
    if (!g) return;
    ar_zoo_init_params(g, 3);
    float mean = 0.3f, std = 0.25f;
    ar_graph_set_norm(g, &mean, &std);
    ar_plan_opts_t po = {.batch = 4, .input_grad = 1};
    ar_plan_t *p = ar_plan_new(g, &po, &err);
    CHECK(p, "plan: %s", err.msg);
    ar_tensor_t x = ar_tensor_4d(4, 1, 4, 4), xa = x;
    ar_tensor_alloc(&x), ar_tensor_alloc(&xa);
    ar_rng_t r;
    ar_rng_init(&r, 5);
    for (int64_t i = 0; i < 64; i++) x.data[i] = (float)((ar_rng_uniform(&r) - mean) / std);
    x.data[0] = (0.0f - mean) / std; /* a pixel at 0: may not go below */
    int32_t lab[4] = {0, 1, 1, 0};
    uint64_t keys[4] = {1, 2, 3, 4};
    for (int m = AR_ADV_FGSM; p && m <= AR_ADV_PGD; m++) {
        ar_adv_cfg_t c = {.method = m, .eps = 8, .step = 3, .steps = 4};
        ar_plan_forward(p, &x, AR_MODE_EVAL, &err);
        double before = ar_plan_loss(p, lab, NULL);
        CHECK(!ar_adv_attack(p, &c, &mean, &std, &x, lab, keys, &xa, &err), "%s: %s", ar_adv_name(m), err.msg);
        double eps = 8.0 / 255 / std, lo = (0 - mean) / std, hi = (1 - mean) / std, worst = 0;
        int out = 0;
        for (int64_t i = 0; i < 64; i++) {
            double d = fabs((double)xa.data[i] - x.data[i]);
            worst = d > worst ? d : worst;
            out += xa.data[i] < lo - 1e-6 || xa.data[i] > hi + 1e-6;
        }
        CHECK(worst <= eps * (1 + 1e-5) && worst > 0.5 * eps, "%s: max change %g, eps %g", ar_adv_name(m), worst, eps);
        CHECK(out == 0, "%s: %d values outside the pixel range", ar_adv_name(m), out);
        ar_plan_forward(p, &xa, AR_MODE_EVAL, &err);
        double after = ar_plan_loss(p, lab, NULL);
        CHECK(after > before, "%s: loss %g -> %g", ar_adv_name(m), before, after);
    }
    ar_tensor_free(&x), ar_tensor_free(&xa);
    ar_plan_destroy(&p);
    ar_graph_destroy(&g);
    for (int m = 0; m < AR_ADV_COUNT; m++) CHECK(ar_adv_parse(ar_adv_name(m)) == m, "adv name %d", m);
}

int main(void)
{
    test_adversarial();
    test_formulas();
    test_aggregate();
    test_select();
    test_batches();
    test_map_and_score();
    TEST_MAIN_END();
}
