/* op_pool.c - the maxpool2d, avgpool2d and global_avgpool entries of the op
 * table. maxpool2d keeps the argmax of every output as private state, in
 * both modes, so backward works after an eval forward too. */
#include <stdio.h>

#include "nn/pool.h"
#include "op_table.h"

static int pool_infer(ar_node_t *nd, const ar_tensor_t *const *in, int nin, ar_param_spec_t *spec,
                      int *nspec, ar_err_t *err)
{
    (void)nin, (void)spec;
    const ar_pool_cfg_t *c = &nd->cfg.pool;
    *nspec = 0;
    if (in[0]->ndim != 3) return ar_err_set(err, AR_E_FORMAT, "input is not [C, H, W]");
    if (c->kh <= 0 || c->kw <= 0 || c->sh <= 0 || c->sw <= 0 || c->ph < 0 || c->pw < 0 ||
        c->kh > AR_GRAPH_MAXDIM || c->kw > AR_GRAPH_MAXDIM || c->sh > AR_GRAPH_MAXDIM ||
        c->sw > AR_GRAPH_MAXDIM || 2 * c->ph > c->kh || 2 * c->pw > c->kw)
        return ar_err_set(err, AR_E_FORMAT,
                          "bad configuration (kernel %dx%d, stride %dx%d, padding %dx%d; "
                          "padding must be at most half the kernel)",
                          c->kh, c->kw, c->sh, c->sw, c->ph, c->pw);
    int ho = ar_pool_out_h(c, (int)in[0]->shape[1]), wo = ar_pool_out_w(c, (int)in[0]->shape[2]);
    if (ho <= 0 || wo <= 0)
        return ar_err_set(err, AR_E_FORMAT, "input %lldx%lld too small for the kernel",
                          (long long)in[0]->shape[1], (long long)in[0]->shape[2]);
    nd->out = ar_tensor_shape(3, (int64_t[]){in[0]->shape[0], ho, wo});
    return AR_OK;
}

static size_t maxpool_state(const ar_node_t *nd, const ar_tensor_t *in0, int n)
{
    (void)in0;
    return (size_t)n * (size_t)ar_tensor_numel(&nd->out) * sizeof(int32_t);
}

static void maxpool_forward(const ar_op_run_t *r)
{
    ar_maxpool2d_forward(&r->node->cfg.pool, r->x[0], r->y, r->state);
}

static void maxpool_backward(const ar_op_run_t *r)
{
    if (r->dx[0]) ar_maxpool2d_backward(&r->node->cfg.pool, r->state, r->dy, r->dx[0]);
}

static void avgpool_forward(const ar_op_run_t *r)
{
    ar_avgpool2d_forward(&r->node->cfg.pool, r->x[0], r->y);
}

static void avgpool_backward(const ar_op_run_t *r)
{
    if (r->dx[0]) ar_avgpool2d_backward(&r->node->cfg.pool, r->dy, r->dx[0]);
}

static int pool_read_common(ar_h5_t *h, const char *grp, ar_pool_cfg_t *c, ar_err_t *err)
{
    int k[2], s[2], p[2], st;
    if ((st = ar_op_attr_ints(h, grp, "kernel", k, 2, err)) ||
        (st = ar_op_attr_ints(h, grp, "stride", s, 2, err)) ||
        (st = ar_op_attr_ints(h, grp, "padding", p, 2, err)))
        return st;
    c->kh = k[0], c->kw = k[1], c->sh = s[0], c->sw = s[1], c->ph = p[0], c->pw = p[1];
    return AR_OK;
}

static int maxpool_read(ar_h5_t *h, const char *grp, ar_node_t *nd, ar_err_t *err)
{
    nd->cfg.pool.count_include_pad = 0;
    return pool_read_common(h, grp, &nd->cfg.pool, err);
}

static int avgpool_read(ar_h5_t *h, const char *grp, ar_node_t *nd, ar_err_t *err)
{
    int st = pool_read_common(h, grp, &nd->cfg.pool, err);
    if (st) return st;
    return ar_op_attr_ints(h, grp, "count_include_pad", &nd->cfg.pool.count_include_pad, 1, err);
}

static int pool_write_common(ar_h5_t *h, const char *grp, const ar_pool_cfg_t *c, ar_err_t *err)
{
    int st;
    if ((st = ar_op_write_ints(h, grp, "kernel", (int[]){c->kh, c->kw}, 2, err)) ||
        (st = ar_op_write_ints(h, grp, "stride", (int[]){c->sh, c->sw}, 2, err)) ||
        (st = ar_op_write_ints(h, grp, "padding", (int[]){c->ph, c->pw}, 2, err)))
        return st;
    return AR_OK;
}

static int maxpool_write(ar_h5_t *h, const char *grp, const ar_node_t *nd, ar_err_t *err)
{
    return pool_write_common(h, grp, &nd->cfg.pool, err);
}

static int avgpool_write(ar_h5_t *h, const char *grp, const ar_node_t *nd, ar_err_t *err)
{
    int st = pool_write_common(h, grp, &nd->cfg.pool, err);
    if (st) return st;
    int cip = nd->cfg.pool.count_include_pad ? 1 : 0;
    return ar_op_write_ints(h, grp, "count_include_pad", &cip, 1, err);
}

const ar_op_def_t ar_op_maxpool2d_def = {
    .name = "maxpool2d", .min_inputs = 1, .max_inputs = 1,
    .infer = pool_infer, .state_bytes = maxpool_state,
    .forward = maxpool_forward, .backward = maxpool_backward,
    .bwd_skips = AR_BWD_NO_X | AR_BWD_NO_Y,
    .read_attrs = maxpool_read, .write_attrs = maxpool_write,
};

const ar_op_def_t ar_op_avgpool2d_def = {
    .name = "avgpool2d", .min_inputs = 1, .max_inputs = 1,
    .infer = pool_infer,
    .forward = avgpool_forward, .backward = avgpool_backward,
    .bwd_skips = AR_BWD_NO_X | AR_BWD_NO_Y,
    .read_attrs = avgpool_read, .write_attrs = avgpool_write,
};

/* ---- global_avgpool: [C, H, W] -> [C] -------------------------------------- */

static int gap_infer(ar_node_t *nd, const ar_tensor_t *const *in, int nin, ar_param_spec_t *spec,
                     int *nspec, ar_err_t *err)
{
    (void)nin, (void)spec;
    *nspec = 0;
    if (in[0]->ndim != 3) return ar_err_set(err, AR_E_FORMAT, "input is not [C, H, W]");
    nd->out = ar_tensor_shape(1, (int64_t[]){in[0]->shape[0]});
    return AR_OK;
}

static void gap_forward(const ar_op_run_t *r) { ar_global_avgpool_forward(r->x[0], r->y); }

static void gap_backward(const ar_op_run_t *r)
{
    if (r->dx[0]) ar_global_avgpool_backward(r->dy, r->dx[0]);
}

const ar_op_def_t ar_op_global_avgpool_def = {
    .name = "global_avgpool", .min_inputs = 1, .max_inputs = 1,
    .infer = gap_infer, .forward = gap_forward, .backward = gap_backward,
    .bwd_skips = AR_BWD_NO_X | AR_BWD_NO_Y,
};
