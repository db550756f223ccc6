/* make_model.c - writes a small randomly initialised model for the
 * evaluate-job integration test (and, with ARCH, a zoo model for the
 * scaling benchmark tests/bench/dist_scaling.sh):
 *   make_model OUT.h5 C H W CLASSES SEED [ARCH WIDTH]
 * The network is conv1x1(C->16) -> relu -> global_avgpool -> linear(16 ->
 * CLASSES), initialised like PyTorch (ar_zoo_init_params), input
 * normalisation mean 0.5, std 0.2 (C <= 4), small enough that
 * the test can recompute its predictions with numpy. */
#include <stdio.h>
#include <stdlib.h>

#include "nn/graph.h"
#include "nn/model_io.h"
#include "nn/zoo.h"

static int zoo(char **argv)
{
    ar_zoo_opts_t o = {.in_c = atoi(argv[2]), .in_h = atoi(argv[3]), .in_w = atoi(argv[4]),
                       .num_classes = atoi(argv[5]), .seed = strtoull(argv[6], NULL, 10),
                       .width = atof(argv[8])};
    ar_err_t err = {0};
    ar_graph_t *g = ar_zoo_build(argv[7], &o, &err);
    int ok = g && ar_model_save(g, argv[1], &err) == AR_OK;
    if (!ok) fprintf(stderr, "make_model: %s\n", ar_err_msg(&err));
    ar_graph_destroy(&g);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc != 7 && argc != 9) {
        fprintf(stderr, "usage: make_model OUT.h5 C H W CLASSES SEED [ARCH WIDTH]\n");
        return 2;
    }
    if (argc == 9) return zoo(argv);
    int c = atoi(argv[2]), h = atoi(argv[3]), w = atoi(argv[4]), k = atoi(argv[5]);
    ar_err_t err = {0};
    ar_graph_t *g = ar_graph_new("gap-probe", c, h, w, k, &err);
    ar_node_cfg_t conv = {.conv = {.c = {.cout = 16, .kh = 1, .kw = 1, .sh = 1, .sw = 1, .dh = 1,
                                         .dw = 1, .groups = 1},
                                   .bias = 1}};
    ar_node_cfg_t lin = {.linear = {.out_features = k, .bias = 1}};
    int in = -1, n0, n1, n2;
    int ok = g && (n0 = ar_graph_add(g, AR_OP_CONV2D, "conv1", "", &in, 1, &conv, &err)) >= 0 &&
             (n1 = ar_graph_add(g, AR_OP_RELU, "relu1", "", &n0, 1, NULL, &err)) >= 0 &&
             (n2 = ar_graph_add(g, AR_OP_GLOBAL_AVGPOOL, "pool", "", &n1, 1, NULL, &err)) >= 0 &&
             ar_graph_add(g, AR_OP_LINEAR, "fc", "", &n2, 1, &lin, &err) >= 0 &&
             ar_graph_finalize(g, 0, &err) == AR_OK;
    if (ok) {
        ar_zoo_init_params(g, strtoull(argv[6], NULL, 10));
        /* inputs spread over about [-2.5, 2.5], so the logits depend on them */
        float mean[4] = {0.5f, 0.5f, 0.5f, 0.5f}, std[4] = {0.2f, 0.2f, 0.2f, 0.2f};
        ar_graph_set_norm(g, mean, std);
        ok = ar_model_save(g, argv[1], &err) == AR_OK;
    }
    if (!ok) fprintf(stderr, "make_model: %s\n", ar_err_msg(&err));
    ar_graph_destroy(&g);
    return ok ? 0 : 1;
}
