/* op_pad.c - the pad entry of the op table: zero padding of the channels,
 * rows and columns of a [C, H, W] input (PyTorch's F.pad(x, (w0, w1, h0, h1,
 * c0, c1)) with mode "constant" and value 0).
 *
 * y[n, c0 + c, h0 + h, w0 + w] = x[n, c, h, w] where that index is inside
 * y, every other output element 0; attribute pads[6] = (c0, c1, h0, h1, w0,
 * w1), each -65536..65536: a negative pad crops, as in F.pad (the output
 * keeps at least one element per dimension). The channel padding is the
 * parameter-free shortcut of the CIFAR ResNets' "option A" (F.pad(x[:, :,
 * ::2, ::2], (0, 0, 0, 0, p, p)); the strided subsample is an avgpool2d with
 * a 1x1 kernel); a channel crop is x[:, a:b] (the partial-channel cells of
 * repair/cell.h). Backward: dx += the matching window of dy.
 */
#include <string.h>

#include "op_table.h"

static int pad_infer(ar_node_t *nd, const ar_tensor_t *const *in, int nin, ar_param_spec_t *spec,
                     int *nspec, ar_err_t *err)
{
    (void)nin, (void)spec;
    *nspec = 0;
    const int p[6] = {nd->cfg.pad.c0, nd->cfg.pad.c1, nd->cfg.pad.h0,
                      nd->cfg.pad.h1, nd->cfg.pad.w0, nd->cfg.pad.w1};
    if (in[0]->ndim != 3) return ar_err_set(err, AR_E_FORMAT, "input is not [C, H, W]");
    for (int k = 0; k < 6; k++)
        if (p[k] < -AR_GRAPH_MAXDIM || p[k] > AR_GRAPH_MAXDIM)
            return ar_err_set(err, AR_E_FORMAT, "bad pads [%d, %d, %d, %d, %d, %d] (each -%d..%d)",
                              p[0], p[1], p[2], p[3], p[4], p[5], AR_GRAPH_MAXDIM, AR_GRAPH_MAXDIM);
    int64_t c = in[0]->shape[0] + p[0] + p[1], h = in[0]->shape[1] + p[2] + p[3],
            w = in[0]->shape[2] + p[4] + p[5];
    if (c < 1 || h < 1 || w < 1)
        return ar_err_set(err, AR_E_FORMAT,
                          "bad pads [%d, %d, %d, %d, %d, %d]: the output %lldx%lldx%lld is empty",
                          p[0], p[1], p[2], p[3], p[4], p[5], (long long)c, (long long)h,
                          (long long)w);
    if (c > AR_GRAPH_MAXDIM || h > AR_GRAPH_MAXDIM || w > AR_GRAPH_MAXDIM)
        return ar_err_set(err, AR_E_FORMAT, "padded size %lldx%lldx%lld too large", (long long)c,
                          (long long)h, (long long)w);
    nd->out = ar_tensor_shape(3, (int64_t[]){c, h, w});
    return AR_OK;
}

/* The input indices [*lo, *hi) of a dimension of n that land inside the
 * output's m at offset off. */
static void overlap(int64_t n, int64_t m, int64_t off, int64_t *lo, int64_t *hi)
{
    *lo = off < 0 ? -off : 0;
    *hi = m - off < n ? m - off : n;
    if (*hi < *lo) *hi = *lo;
}

/* Walks every input row that lands in the output: adjoint = 0 writes y
 * (zeros around x's rows), adjoint = 1 adds y's matching rows into x
 * (backward: x = dx, y = dy). */
static void pad_apply(const ar_node_t *nd, float *x, float *y, const ar_tensor_t *xs,
                      const ar_tensor_t *ys, int adjoint)
{
    const int64_t N = xs->shape[0], C = xs->shape[1], H = xs->shape[2], W = xs->shape[3];
    const int64_t Co = ys->shape[1], Ho = ys->shape[2], Wo = ys->shape[3];
    const int c0 = nd->cfg.pad.c0, h0 = nd->cfg.pad.h0, w0 = nd->cfg.pad.w0;
    int64_t cs, ce, hs, he, ws, we;
    overlap(C, Co, c0, &cs, &ce);
    overlap(H, Ho, h0, &hs, &he);
    overlap(W, Wo, w0, &ws, &we);
    if (!adjoint) memset(y, 0, (size_t)(N * Co * Ho * Wo) * sizeof(float));
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = cs; c < ce; c++)
            for (int64_t h = hs; h < he; h++) {
                float *xr = x + ((n * C + c) * H + h) * W + ws;
                float *yr = y + ((n * Co + c0 + c) * Ho + h0 + h) * Wo + w0 + ws;
                if (adjoint)
                    for (int64_t w = 0; w < we - ws; w++) xr[w] += yr[w];
                else if (we > ws)
                    memcpy(yr, xr, (size_t)(we - ws) * sizeof(float));
            }
}

static void pad_forward(const ar_op_run_t *r)
{
    pad_apply(r->node, r->x[0]->data, r->y->data, r->x[0], r->y, 0);
}

static void pad_backward(const ar_op_run_t *r)
{
    if (r->dx[0]) pad_apply(r->node, r->dx[0]->data, r->dy->data, r->dx[0], r->dy, 1);
}

static int pad_read(ar_h5_t *h, const char *grp, ar_node_t *nd, ar_err_t *err)
{
    int p[6];
    int st = ar_op_attr_ints(h, grp, "pads", p, 6, err);
    if (st) return st;
    nd->cfg.pad.c0 = p[0], nd->cfg.pad.c1 = p[1], nd->cfg.pad.h0 = p[2], nd->cfg.pad.h1 = p[3];
    nd->cfg.pad.w0 = p[4], nd->cfg.pad.w1 = p[5];
    return AR_OK;
}

static int pad_write(ar_h5_t *h, const char *grp, const ar_node_t *nd, ar_err_t *err)
{
    const int p[6] = {nd->cfg.pad.c0, nd->cfg.pad.c1, nd->cfg.pad.h0,
                      nd->cfg.pad.h1, nd->cfg.pad.w0, nd->cfg.pad.w1};
    return ar_op_write_ints(h, grp, "pads", p, 6, err);
}

const ar_op_def_t ar_op_pad_def = {
    .name = "pad", .min_inputs = 1, .max_inputs = 1,
    .infer = pad_infer, .forward = pad_forward, .backward = pad_backward,
    .bwd_skips = AR_BWD_NO_X | AR_BWD_NO_Y,
    .read_attrs = pad_read, .write_attrs = pad_write,
};
