/* make_cell_model.c - writes a model whose repaired block holds every op a
 * discretised cell can contain, for the PyTorch check of result files
 * (run_torch_result.sh): MODEL (make_fixture's model.h5) with block
 * layer2.0 (stride 2) replaced by the discrete cell
 *     n0 = sep_conv_3x3(in)
 *     n1 = skip_connect(in) + dil_conv_3x3(n0)       stride-2 skip: FactorizedReduce (shift, concat)
 *     n2 = max_pool_3x3(in) + sep_conv_5x5(n1)
 *     n3 = avg_pool_3x3(in) + dil_conv_5x5(n2)
 *     n4 = conv_3x3(in) + skip_connect(n3)           stride-1 skip: identity
 *     n5 = max_pool_3x3(n4) + avg_pool_3x3(n0)
 * (edges from `in` have stride 2, the others 1), without the original branch
 * beside it (the cell alone carries the signal), and every BN's running
 * statistics drawn away from 0 / 1 (seeded) so eval-mode BN is exercised.
 * Usage: make_cell_model MODEL OUT */
#include <stdio.h>
#include <string.h>

#include "core/rng.h"
#include "nn/model_io.h"
#include "repair/cell.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make_cell_model MODEL OUT\n");
        return 2;
    }
    ar_err_t e = {0};
    ar_graph_t *g = ar_model_load(argv[1], &e), *d = NULL;
    ar_cell_cfg_t c = ar_cell_cfg_default();
    c.nodes = 6, c.seed_original = 0, c.seed = 5;
    enum { IN = 0 };
    static const struct {
        int n, src[2], op[2];
    } spec[6] = {
        {1, {IN, 0}, {AR_CAND_SEP_CONV_3X3, 0}},
        {2, {IN, 1}, {AR_CAND_SKIP_CONNECT, AR_CAND_DIL_CONV_3X3}},
        {2, {IN, 2}, {AR_CAND_MAX_POOL_3X3, AR_CAND_SEP_CONV_5X5}},
        {2, {IN, 3}, {AR_CAND_AVG_POOL_3X3, AR_CAND_DIL_CONV_5X5}},
        {2, {IN, 4}, {AR_CAND_CONV_3X3, AR_CAND_SKIP_CONNECT}},
        {2, {5, 1}, {AR_CAND_MAX_POOL_3X3, AR_CAND_AVG_POOL_3X3}},
    };
    ar_genotype_t gt = {.nodes = 6};
    for (int j = 0; j < 6; j++) {
        gt.nedges[j] = spec[j].n;
        for (int k = 0; k < spec[j].n; k++) gt.src[j][k] = spec[j].src[k], gt.op[j][k] = spec[j].op[k];
    }
    if (g) d = ar_cell_build(g, "layer2.0", &c, &gt, &e);
    if (d) {
        ar_rng_t r;
        ar_rng_init(&r, 11);
        for (int i = 0; i < d->nnodes; i++) {
            ar_param_t *m = ar_graph_param(d, i, "running_mean"), *v = ar_graph_param(d, i, "running_var");
            for (int64_t j = 0; m && j < ar_tensor_numel(&m->value); j++)
                m->value.data[j] = (float)(0.2 * ar_rng_normal(&r));
            for (int64_t j = 0; v && j < ar_tensor_numel(&v->value); j++)
                v->value.data[j] = (float)(0.5 + ar_rng_uniform(&r));
        }
    }
    int st = d ? ar_model_save(d, argv[2], &e) : e.status;
    if (st) fprintf(stderr, "make_cell_model: %s\n", ar_err_msg(&e));
    ar_graph_destroy(&d);
    ar_graph_destroy(&g);
    return st ? 1 : 0;
}
