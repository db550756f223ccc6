/* bn_adapt.c - BatchNorm statistics re-estimated on images (bn_adapt.h). */
#include "bn_adapt.h"

#include <stdlib.h>
#include <string.h>

#include "nn/plan.h"

int ar_bn_adapt(ar_graph_t *g, const ar_tensor_t *x, int batch, int threads, ar_err_t *err)
{
    int nbn = 0;
    for (int i = 0; i < g->nnodes; i++) nbn += g->nodes[i].op == AR_OP_BATCHNORM2D;
    if (nbn == 0) return ar_err_set(err, AR_E_ARG, "bn-adapt: the model has no BatchNorm");
    int64_t n = x->shape[0], per = ar_tensor_numel(x) / (n > 0 ? n : 1);
    if (n < 1 || batch < 1) return ar_err_set(err, AR_E_ARG, "bn-adapt: no images");
    float *momentum = malloc((size_t)g->nnodes * sizeof *momentum);
    ar_plan_opts_t po = {.batch = batch, .threads = threads};
    ar_plan_t *p = momentum ? ar_plan_new(g, &po, err) : NULL;
    ar_tensor_t xb = ar_tensor_4d(batch, x->shape[1], x->shape[2], x->shape[3]);
    int s = !momentum ? ar_err_set(err, AR_E_NOMEM, "out of memory")
            : !p      ? err->status
            : ar_tensor_alloc(&xb) ? ar_err_set(err, AR_E_NOMEM, "out of memory for a batch of %d", batch)
                                   : AR_OK;
    for (int i = 0; momentum && i < g->nnodes; i++)
        if (g->nodes[i].op == AR_OP_BATCHNORM2D) momentum[i] = g->nodes[i].cfg.bn.c.momentum;
    for (int64_t at = 0, k = 1; !s && at < n; at += batch, k++) {
        int b = (int)(n - at < batch ? n - at : batch);
        for (int i = 0; i < g->nnodes; i++)
            if (g->nodes[i].op == AR_OP_BATCHNORM2D) g->nodes[i].cfg.bn.c.momentum = (float)(1.0 / (double)k);
        xb.shape[0] = b;
        memcpy(xb.data, x->data + at * per, (size_t)(b * per) * sizeof(float));
        s = ar_plan_forward(p, &xb, AR_MODE_TRAIN, err);
    }
    for (int i = 0; momentum && i < g->nnodes; i++)
        if (g->nodes[i].op == AR_OP_BATCHNORM2D) g->nodes[i].cfg.bn.c.momentum = momentum[i];
    ar_tensor_free(&xb);
    ar_plan_destroy(&p);
    free(momentum);
    return s;
}
