/* test_lz_engine.c - the engine's per-batch numbers against references
 * computed one example at a time on a toy network: status counts (spatial
 * mean of the status node's output above the threshold), the gradient row
 * (mean over a neuron's weights of |sum over the batch of dl_i/dw|), the
 * MEAN role's activation sums, and the PASSING role with FGSM (only
 * examples whose prediction flips count as failing and seed the backward). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/rng.h"
#include "localize/lz_engine.h"
#include "nn/plan.h"
#include "nn/zoo.h"

#define N 7
#define HW 6

typedef struct mem_ds {
    uint8_t px[N * HW * HW];
    int32_t lab[N];
} mem_ds_t;

static int mem_read(void *self, int64_t start, int64_t count, uint8_t *px, int32_t *lab, ar_err_t *err)
{
    (void)err;
    mem_ds_t *m = self;
    if (px) memcpy(px, m->px + start * HW * HW, (size_t)(count * HW * HW));
    if (lab) memcpy(lab, m->lab + start, (size_t)count * sizeof *lab);
    return AR_OK;
}

static void mem_destroy(void *self) { free(self); }

/* conv(3) -> bn -> relu [block a] -> conv(4) [block b] -> gap -> fc(3) */
static ar_graph_t *toy(ar_err_t *err)
{
    ar_graph_t *g = ar_graph_new("toy", 1, HW, HW, 3, err);
    ar_node_cfg_t c = {0};
    c.conv.c = (ar_conv_cfg_t){.cout = 3, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 1};
    int n0 = ar_graph_add(g, AR_OP_CONV2D, "a.conv", "a", (int[]){-1}, 1, &c, err);
    ar_node_cfg_t bn = {.bn = {.c = {.eps = 1e-5f, .momentum = 0.1f}, .affine = 1}};
    int n1 = ar_graph_add(g, AR_OP_BATCHNORM2D, "a.bn", "a", (int[]){n0}, 1, &bn, err);
    int n2 = ar_graph_add(g, AR_OP_RELU, "a.relu", "a", (int[]){n1}, 1, NULL, err);
    c.conv.c.cout = 4;
    int n3 = ar_graph_add(g, AR_OP_CONV2D, "b.conv", "b", (int[]){n2}, 1, &c, err);
    int n4 = ar_graph_add(g, AR_OP_GLOBAL_AVGPOOL, "pool", "", (int[]){n3}, 1, NULL, err);
    ar_graph_add(g, AR_OP_LINEAR, "fc", "", (int[]){n4}, 1, &(ar_node_cfg_t){.linear = {.out_features = 3, .bias = 1}}, err);
    if (ar_graph_finalize(g, 0, err)) ar_graph_destroy(&g);
    else ar_zoo_init_params(g, 9);
    return g;
}

int main(void)
{
    ar_err_t err = {0};
    ar_graph_t *g = toy(&err);
    CHECK(g, "%s", err.msg);
    if (!g) TEST_MAIN_END();
    float mean = 0.4f, std = 0.3f;
    ar_graph_set_norm(g, &mean, &std);
    /* non-trivial BN statistics */
    ar_param_t *rm = ar_graph_param(g, 1, "running_mean"), *rv = ar_graph_param(g, 1, "running_var");
    for (int c = 0; c < 3; c++) rm->value.data[c] = 0.1f * (float)c - 0.05f, rv->value.data[c] = 0.5f + 0.2f * (float)c;
    mem_ds_t *m = calloc(1, sizeof *m);
    ar_rng_t r;
    ar_rng_init(&r, 4);
    for (int i = 0; i < N * HW * HW; i++) m->px[i] = (uint8_t)ar_rng_below(&r, 256);
    for (int i = 0; i < N; i++) m->lab[i] = (int32_t)ar_rng_below(&r, 3);
    ar_dataset_info_t in = {.count = N, .height = HW, .width = HW, .channels = 1, .num_classes = 3};
    strcpy(in.format, "memory");
    strcpy(in.name, "toy");
    static const ar_dataset_vt_t vt = {.read = mem_read, .destroy = mem_destroy};
    mem_ds_t *keep = m;
    ar_dataset_t *ds = ar_dataset_new_custom(&in, &vt, m, &err);
    CHECK(ds, "%s", err.msg);

    ar_adv_cfg_t adv = {.method = AR_ADV_FGSM, .eps = 40, .step = 1, .steps = 1};
    ar_lz_engine_t *e = ar_lz_engine_new(g, 4, NULL, NULL, &adv, 1, &err);
    CHECK(e, "%s", err.msg);
    if (!e || !ds) TEST_MAIN_END();
    const ar_neuron_map_t *map = ar_lz_engine_map(e);
    int64_t nn = map->nneurons;
    CHECK(nn == 3 + 4 + 3, "neurons %lld", (long long)nn);

    /* references, one example at a time: activation per (example, neuron),
     * weight gradient per example, prediction */
    ar_plan_opts_t po = {.batch = 1, .grads = 1};
    ar_plan_t *p = ar_plan_new(g, &po, &err);
    double act[N][10], *gsum = calloc((size_t)(3 * 9 + 4 * 27 + 3 * 4), sizeof *gsum);
    ar_tensor_t x = ar_tensor_4d(1, 1, HW, HW);
    ar_tensor_alloc(&x);
    for (int i = 0; p && i < N; i++) {
        ar_normalize_nhwc(keep->px + i * HW * HW, 1, HW, HW, 1, &mean, &std, x.data);
        ar_plan_forward(p, &x, AR_MODE_EVAL, &err);
        ar_plan_loss(p, &keep->lab[i], NULL);
        ar_plan_backward(p, &err);
        for (int u = 0; u < map->nunits; u++) {
            const ar_unit_t *un = &map->units[u];
            const ar_tensor_t *o = ar_plan_output(p, un->status_node);
            int64_t hw = ar_tensor_numel(o) / un->channels;
            for (int c = 0; c < un->channels; c++) {
                double a = 0;
                for (int64_t k = 0; k < hw; k++) a += o->data[c * hw + k];
                act[i][un->offset + c] = a / (double)hw;
            }
            /* batch 0 = examples 0..3: accumulate their weight gradients */
            if (i < 4) {
                const float *gw = ar_plan_param_grad(p, un->node, "weight");
                int64_t base = u == 0 ? 0 : (u == 1 ? 27 : 27 + 108);
                for (int64_t k = 0; k < un->channels * un->fan; k++) gsum[base + k] += gw[k];
            }
        }
    }
    CHECK(map->units[0].status_node == 1 && map->units[1].status_node == 3, "status nodes");

    double thr[10], rows[2 * 10];
    for (int i = 0; i < 10; i++) thr[i] = 0.02 * (i % 3) - 0.01;
    int64_t idx[N];
    for (int i = 0; i < N; i++) idx[i] = i;
    ar_lz_counts_t cnt;
    ar_lz_counts_init(&cnt, nn, &err);
    CHECK(!ar_lz_engine_run(e, AR_LZ_FAILING, ds, 0, idx, N, thr, &cnt, rows, &err), "%s", err.msg);
    CHECK(cnt.n_fail == N && cnt.n_pass == 0, "failing counted %lld", (long long)cnt.n_fail);
    int bad = 0;
    for (int n = 0; n < 10; n++) {
        int64_t want = 0;
        for (int i = 0; i < N; i++) want += act[i][n] > thr[n];
        bad += want != cnt.act_fail[n];
    }
    CHECK(bad == 0, "%d neurons with wrong status counts", bad);
    /* row 0 (examples 0..3) against the summed per-example gradients */
    double worst = 0;
    for (int u = 0; u < map->nunits; u++) {
        const ar_unit_t *un = &map->units[u];
        int64_t base = u == 0 ? 0 : (u == 1 ? 27 : 27 + 108);
        for (int c = 0; c < un->channels; c++) {
            double ref = 0;
            for (int64_t k = 0; k < un->fan; k++) ref += fabs(gsum[base + c * un->fan + k]);
            ref /= (double)un->fan;
            double d = fabs(ref - rows[un->offset + c]) / fmax(1e-6, ref);
            worst = d > worst ? d : worst;
        }
    }
    CHECK(worst < 1e-4, "gradient row vs per-example sums: relative error %g", worst);

    /* MEAN: sums of activations */
    CHECK(!ar_lz_engine_run(e, AR_LZ_MEAN, ds, 0, idx, N, NULL, &cnt, rows, &err), "%s", err.msg);
    worst = 0;
    for (int n = 0; n < 10; n++) {
        double a = 0, b = 0;
        for (int i = 0; i < 4; i++) a += act[i][n];
        for (int i = 4; i < N; i++) b += act[i][n];
        worst = fmax(worst, fmax(fabs(a - rows[n]), fabs(b - rows[10 + n])));
    }
    CHECK(worst < 1e-5, "activation sums off by %g", worst);

    /* PASSING with FGSM: passing counts, flipped examples as failing */
    ar_lz_counts_t c2;
    ar_lz_counts_init(&c2, nn, &err);
    CHECK(!ar_lz_engine_run(e, AR_LZ_PASSING, ds, 0, idx, N, thr, &c2, rows, &err), "%s", err.msg);
    CHECK(c2.n_pass == N && c2.n_fail == c2.n_adv && c2.n_adv >= 1 && c2.n_adv <= N,
          "passing %lld, adversarial %lld", (long long)c2.n_pass, (long long)c2.n_adv);
    bad = 0;
    for (int n = 0; n < 10; n++) bad += c2.act_pass[n] != cnt.act_fail[n];
    CHECK(bad == 0, "passing status counts differ from the failing ones on the same images");
    ar_lz_counts_free(&cnt);
    ar_lz_counts_free(&c2);
    free(gsum);
    ar_tensor_free(&x);
    ar_plan_destroy(&p);
    ar_lz_engine_destroy(&e);
    ar_dataset_destroy(&ds);
    ar_graph_destroy(&g);
    TEST_MAIN_END();
}
