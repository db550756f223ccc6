/* zoo.h - the model zoo: CIFAR-style ResNets and DenseNet, PyTorch init.
 *
 * Names: resnet20, resnet32, resnet56 (He et al. CIFAR ResNets, widths 16/32/
 * 64, 1x1 conv + BN projection shortcuts where the shape changes), resnet18,
 * resnet34 (BasicBlock), resnet50, resnet101 (Bottleneck) in the CIFAR style
 * (3x3 stem, no max-pool, widths 64..512), densenet121 (CIFAR style, growth
 * 32, bottleneck layers, transitions with reduction 0.5). Node names follow
 * torchvision ("conv1", "layer1.0.conv1", "layer1.0.downsample.0", "fc");
 * `block` is the residual block ("layer2.1") or dense layer ("dense3.7").
 * Parameters use PyTorch's default initialisation: conv and linear weights
 * and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform, a =
 * sqrt(5)), BN weight 1, bias 0; each parameter's stream is keyed by (seed,
 * node name, parameter name), so it does not depend on build order.
 */
#ifndef AR_NN_ZOO_H
#define AR_NN_ZOO_H

#include <stdint.h>

#include "core/error.h"
#include "nn/graph.h"

typedef struct ar_zoo_opts {
    int in_c, in_h, in_w;   /* input image; 0 = 3, 32, 32 */
    int num_classes;        /* 0 = 10 */
    double width;           /* channel multiplier; 0 = 1 */
    int growth;             /* densenet growth rate; 0 = round(32 * width) */
    uint64_t seed;          /* parameter initialisation */
} ar_zoo_opts_t;

/* Builds, finalizes and initialises zoo model `name`. NULL with err set
 * (unknown name: the message lists the known ones). Caller owns the graph. */
ar_graph_t *ar_zoo_build(const char *name, const ar_zoo_opts_t *opts, ar_err_t *err);

/* The known names (static array of *n). */
const char *const *ar_zoo_names(int *n);

/* PyTorch default initialisation of every parameter of a finalized graph
 * (see above), keyed by seed and names. */
void ar_zoo_init_params(ar_graph_t *g, uint64_t seed);

#endif
