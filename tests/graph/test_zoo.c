/* test_zoo.c - zoo models: parameter counts equal the PyTorch definitions'
 * (tools/torch_models.py; resnet18 CIFAR = 11,173,962 as in the literature),
 * MACs, block names, width multiplier, input size, init distribution and
 * determinism, and that every model runs forward. */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "nn/graph.h"
#include "nn/plan.h"
#include "nn/zoo.h"

static void test_counts(void)
{
    /* counted by tools/torch_models.py with PyTorch: sum(p.numel()) */
    static const struct {
        const char *name;
        int64_t params, macs;
    } want[] = {
        {"resnet20", 272474, 40813184},     {"resnet32", 466906, 0},
        {"resnet56", 855770, 0},            {"resnet18", 11173962, 555422720},
        {"resnet34", 21282122, 0},          {"resnet50", 23520842, 0},
        {"resnet101", 42512970, 0},         {"densenet121", 6956298, 888350720},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ar_err_t e = {0};
        ar_zoo_opts_t o = {.seed = 1};
        ar_graph_t *g = ar_zoo_build(want[i].name, &o, &e);
        CHECK(g != NULL, "%s: %s", want[i].name, ar_err_msg(&e));
        if (!g) continue;
        int64_t n = ar_graph_param_count(g, 1);
        CHECK(n == want[i].params, "%s: %lld trainable parameters, PyTorch has %lld",
              want[i].name, (long long)n, (long long)want[i].params);
        if (want[i].macs)
            CHECK(ar_graph_macs(g) == want[i].macs, "%s: %lld MACs, expected %lld", want[i].name,
                  (long long)ar_graph_macs(g), (long long)want[i].macs);
        ar_graph_destroy(&g);
    }
}

static void test_structure(void)
{
    ar_err_t e = {0};
    ar_zoo_opts_t o = {.width = 0.5, .in_c = 1, .in_h = 28, .in_w = 28, .num_classes = 7, .seed = 2};
    ar_graph_t *g = ar_zoo_build("resnet20", &o, &e);
    CHECK(g != NULL, "%s", ar_err_msg(&e));
    if (!g) return;
    CHECK(g->in_c == 1 && g->in_h == 28 && g->num_classes == 7, "input/classes");
    const char **blocks = NULL;
    int nb = 0;
    CHECK_OK(ar_graph_blocks(g, &blocks, &nb, &e), &e);
    CHECK(nb == 9 && strcmp(blocks[0], "layer1.0") == 0 && strcmp(blocks[8], "layer3.2") == 0,
          "9 residual blocks (%d)", nb);
    free(blocks);
    int c1 = ar_graph_find(g, "layer2.0.conv1");
    CHECK(c1 > 0 && g->nodes[c1].params[0].value.shape[0] == 16 &&
              g->nodes[c1].params[0].value.shape[1] == 8,
          "width 0.5: layer2 has 16 channels");
    CHECK(ar_graph_find(g, "layer2.0.downsample.0") > 0 &&
              ar_graph_find(g, "layer1.0.downsample.0") < 0,
          "projection shortcut only where the shape changes");
    CHECK(g->nodes[ar_graph_find(g, "layer3.2.add")].out.shape[1] == 7, "28 -> 14 -> 7");
    CHECK(strcmp(g->nodes[ar_graph_find(g, "fc")].block, "") == 0, "fc outside blocks");
    /* init: conv weights U(-1/sqrt(fan_in), 1/sqrt(fan_in)); BN 1 / 0 */
    const ar_tensor_t *w = &g->nodes[c1].params[0].value;
    double bound = 1.0 / sqrt(8 * 9), mx = 0, s2 = 0;
    int64_t n = ar_tensor_numel(w);
    for (int64_t k = 0; k < n; k++) mx = fmax(mx, fabs(w->data[k])), s2 += w->data[k] * w->data[k];
    CHECK(mx <= bound && mx > 0.95 * bound, "max |w| %g within bound %g", mx, bound);
    CHECK(fabs(sqrt(s2 / n) - bound / sqrt(3)) < 0.1 * bound, "uniform std");
    int b1 = ar_graph_find(g, "bn1");
    CHECK(g->nodes[b1].params[0].value.data[3] == 1.0f && g->nodes[b1].params[1].value.data[3] == 0,
          "BN init");
    /* same seed, same weights, independent of anything else */
    ar_graph_t *g2 = ar_zoo_build("resnet20", &o, &e);
    CHECK(memcmp(g2->nodes[c1].params[0].value.data, w->data, (size_t)n * 4) == 0, "seeded");
    o.seed = 3;
    ar_graph_t *g3 = ar_zoo_build("resnet20", &o, &e);
    CHECK(memcmp(g3->nodes[c1].params[0].value.data, w->data, (size_t)n * 4) != 0, "seed matters");
    ar_graph_destroy(&g2);
    ar_graph_destroy(&g3);
    /* it runs: batch of 2 */
    ar_plan_opts_t po = {.batch = 2, .grads = 1};
    ar_plan_t *p = ar_plan_new(g, &po, &e);
    ar_tensor_t x = ar_tensor_4d(2, 1, 28, 28);
    ar_tensor_alloc(&x);
    for (int k = 0; k < 2 * 784; k++) x.data[k] = (float)((k * 37) % 101) / 50.0f - 1.0f;
    CHECK_OK(ar_plan_forward(p, &x, AR_MODE_TRAIN, &e), &e);
    int32_t lab[2] = {1, 6};
    double loss = ar_plan_loss(p, lab, NULL);
    CHECK(loss > 0.5 && loss < 10, "initial loss %g near log(7)", loss);
    CHECK_OK(ar_plan_backward(p, &e), &e);
    ar_tensor_free(&x);
    ar_plan_destroy(&p);
    ar_graph_destroy(&g);
    CHECK(ar_zoo_build("vgg16", &o, &e) == NULL && strstr(e.msg, "unknown model 'vgg16'") &&
              strstr(e.msg, "resnet20"),
          "unknown: %s", e.msg);
}

static void test_densenet_small(void)
{
    ar_err_t e = {0};
    ar_zoo_opts_t o = {.growth = 4, .seed = 1, .in_h = 16, .in_w = 16};
    ar_graph_t *g = ar_zoo_build("densenet121", &o, &e);
    CHECK(g != NULL, "%s", ar_err_msg(&e));
    if (!g) return;
    const char **blocks = NULL;
    int nb = 0;
    ar_graph_blocks(g, &blocks, &nb, &e);
    CHECK(nb == 58 && strcmp(blocks[0], "dense1.0") == 0, "58 dense layers (%d)", nb);
    free(blocks);
    int last_cat = ar_graph_find(g, "dense4.15.cat");
    /* 8 -> +24 = 32 -> 16 -> +48 = 64 -> 32 -> +96 = 128 -> 64 -> +64 = 128 */
    CHECK(last_cat > 0 && g->nodes[last_cat].out.shape[0] == 128 &&
              g->nodes[last_cat].out.shape[1] == 2,
          "final features 128 x 2 x 2");
    ar_graph_destroy(&g);
}

int main(void)
{
    test_counts();
    test_structure();
    test_densenet_small();
    TEST_MAIN_END();
}
