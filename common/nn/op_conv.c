/* op_conv.c - the conv2d and batchnorm2d entries of the op table.
 *
 * batchnorm2d backward follows the mode of the forward it belongs to: after a
 * train forward it goes through the batch statistics (ar_bn_backward); after
 * an eval forward BN is a fixed affine map per channel and its backward is
 * computed here (needed for input gradients and spectrum analysis in eval).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/basic_ops.h"
#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "op_table.h"

/* ---- conv2d ---------------------------------------------------------------- */

static int conv_infer(ar_node_t *nd, const ar_tensor_t *const *in, int nin, ar_param_spec_t *spec,
                      int *nspec, ar_err_t *err)
{
    (void)nin;
    ar_conv_cfg_t *c = &nd->cfg.conv.c;
    if (in[0]->ndim != 3) return ar_err_set(err, AR_E_FORMAT, "input is not [C, H, W]");
    c->cin = (int)in[0]->shape[0];
    if (c->cout <= 0 || c->kh <= 0 || c->kw <= 0 || c->sh <= 0 || c->sw <= 0 || c->ph < 0 ||
        c->pw < 0 || c->dh <= 0 || c->dw <= 0 || c->groups <= 0 || c->cout > AR_GRAPH_MAXDIM ||
        c->kh > AR_GRAPH_MAXDIM || c->kw > AR_GRAPH_MAXDIM || c->sh > AR_GRAPH_MAXDIM ||
        c->sw > AR_GRAPH_MAXDIM || c->ph > AR_GRAPH_MAXDIM || c->pw > AR_GRAPH_MAXDIM ||
        c->dh > AR_GRAPH_MAXDIM || c->dw > AR_GRAPH_MAXDIM)
        return ar_err_set(err, AR_E_FORMAT,
                          "bad configuration (out_channels %d, kernel %dx%d, stride %dx%d, "
                          "padding %dx%d, dilation %dx%d, groups %d)",
                          c->cout, c->kh, c->kw, c->sh, c->sw, c->ph, c->pw, c->dh, c->dw,
                          c->groups);
    if (c->cin % c->groups || c->cout % c->groups)
        return ar_err_set(err, AR_E_FORMAT, "channels %d -> %d not divisible by groups %d", c->cin,
                          c->cout, c->groups);
    int ho = ar_conv2d_out_h(c, (int)in[0]->shape[1]);
    int wo = ar_conv2d_out_w(c, (int)in[0]->shape[2]);
    if (ho <= 0 || wo <= 0)
        return ar_err_set(err, AR_E_FORMAT, "input %lldx%lld too small for the kernel",
                          (long long)in[0]->shape[1], (long long)in[0]->shape[2]);
    nd->out = ar_tensor_shape(3, (int64_t[]){c->cout, ho, wo});
    ar_op_spec(&spec[0], "weight", 1, 0.f, 4, c->cout, c->cin / c->groups, c->kh, c->kw);
    *nspec = 1;
    if (nd->cfg.conv.bias) ar_op_spec(&spec[(*nspec)++], "bias", 1, 0.f, 1, c->cout, 1, 1, 1);
    return AR_OK;
}

/* The node's configuration with the plan's thread count. */
static ar_conv_cfg_t conv_cfg(const ar_node_t *nd, int threads)
{
    ar_conv_cfg_t c = nd->cfg.conv.c;
    c.threads = threads;
    return c;
}

static size_t conv_scratch(const ar_node_t *nd, const ar_tensor_t *in0, int n, int threads)
{
    ar_conv_cfg_t c = conv_cfg(nd, threads);
    return ar_conv2d_scratch_floats(&c, n, (int)in0->shape[1], (int)in0->shape[2]);
}

static void conv_forward(const ar_op_run_t *r)
{
    const ar_node_t *nd = r->node;
    ar_conv_cfg_t c = conv_cfg(nd, r->threads);
    ar_conv2d_forward(&c, r->x[0], nd->params[0].value.data,
                      nd->cfg.conv.bias ? nd->params[1].value.data : NULL, r->y, r->scratch);
}

static void conv_backward(const ar_op_run_t *r)
{
    const ar_node_t *nd = r->node;
    ar_conv_cfg_t c = conv_cfg(nd, r->threads);
    ar_conv2d_backward(&c, r->x[0], nd->params[0].value.data, r->dy, r->dx[0], r->dparam[0],
                       nd->cfg.conv.bias ? r->dparam[1] : NULL, r->scratch);
}

static int64_t conv_macs(const ar_node_t *nd, const ar_tensor_t *in0)
{
    (void)in0;
    const ar_conv_cfg_t *c = &nd->cfg.conv.c;
    return (int64_t)c->cout * (c->cin / c->groups) * c->kh * c->kw * nd->out.shape[1] *
           nd->out.shape[2];
}

static int conv_read(ar_h5_t *h, const char *grp, ar_node_t *nd, ar_err_t *err)
{
    ar_conv_cfg_t *c = &nd->cfg.conv.c;
    int k[2], s[2], p[2], d[2];
    int st;
    if ((st = ar_op_attr_ints(h, grp, "out_channels", &c->cout, 1, err)) ||
        (st = ar_op_attr_ints(h, grp, "kernel", k, 2, err)) ||
        (st = ar_op_attr_ints(h, grp, "stride", s, 2, err)) ||
        (st = ar_op_attr_ints(h, grp, "padding", p, 2, err)) ||
        (st = ar_op_attr_ints(h, grp, "dilation", d, 2, err)) ||
        (st = ar_op_attr_ints(h, grp, "groups", &c->groups, 1, err)))
        return st;
    c->kh = k[0], c->kw = k[1], c->sh = s[0], c->sw = s[1];
    c->ph = p[0], c->pw = p[1], c->dh = d[0], c->dw = d[1];
    char path[512];
    snprintf(path, sizeof path, "%s/bias", grp);
    nd->cfg.conv.bias = ar_h5_exists(h, path);
    return AR_OK;
}

static int conv_write(ar_h5_t *h, const char *grp, const ar_node_t *nd, ar_err_t *err)
{
    const ar_conv_cfg_t *c = &nd->cfg.conv.c;
    int st;
    if ((st = ar_op_write_ints(h, grp, "out_channels", &c->cout, 1, err)) ||
        (st = ar_op_write_ints(h, grp, "kernel", (int[]){c->kh, c->kw}, 2, err)) ||
        (st = ar_op_write_ints(h, grp, "stride", (int[]){c->sh, c->sw}, 2, err)) ||
        (st = ar_op_write_ints(h, grp, "padding", (int[]){c->ph, c->pw}, 2, err)) ||
        (st = ar_op_write_ints(h, grp, "dilation", (int[]){c->dh, c->dw}, 2, err)) ||
        (st = ar_op_write_ints(h, grp, "groups", &c->groups, 1, err)))
        return st;
    return AR_OK;
}

const ar_op_def_t ar_op_conv2d_def = {
    .name = "conv2d", .min_inputs = 1, .max_inputs = 1,
    .infer = conv_infer, .scratch_floats = conv_scratch,
    .forward = conv_forward, .backward = conv_backward,
    .bwd_skips = AR_BWD_NO_Y, .macs = conv_macs,
    .read_attrs = conv_read, .write_attrs = conv_write,
};

/* ---- batchnorm2d ----------------------------------------------------------- */

/* Private state: the mode of the last forward, then batch mean and invstd. */
typedef struct bn_state {
    int train;
    int pad[15];
    float stats[];      /* save_mean [C], save_invstd [C] */
} bn_state_t;

static int bn_infer(ar_node_t *nd, const ar_tensor_t *const *in, int nin, ar_param_spec_t *spec,
                    int *nspec, ar_err_t *err)
{
    (void)nin;
    ar_bn_cfg_t *c = &nd->cfg.bn.c;
    if (in[0]->ndim != 3) return ar_err_set(err, AR_E_FORMAT, "input is not [C, H, W]");
    if (!(c->eps > 0) || !(c->momentum >= 0 && c->momentum <= 1))
        return ar_err_set(err, AR_E_FORMAT, "bad eps %g or momentum %g", c->eps, c->momentum);
    c->channels = (int)in[0]->shape[0];
    nd->out = *in[0];
    *nspec = 0;
    if (nd->cfg.bn.affine) {
        ar_op_spec(&spec[(*nspec)++], "weight", 1, 1.f, 1, c->channels, 1, 1, 1);
        ar_op_spec(&spec[(*nspec)++], "bias", 1, 0.f, 1, c->channels, 1, 1, 1);
    }
    ar_op_spec(&spec[(*nspec)++], "running_mean", 0, 0.f, 1, c->channels, 1, 1, 1);
    ar_op_spec(&spec[(*nspec)++], "running_var", 0, 1.f, 1, c->channels, 1, 1, 1);
    return AR_OK;
}

static size_t bn_state_bytes(const ar_node_t *nd, const ar_tensor_t *in0, int n)
{
    (void)in0, (void)n;
    return sizeof(bn_state_t) + 2 * (size_t)nd->cfg.bn.c.channels * sizeof(float);
}

/* gamma, beta (NULL when not affine), running mean, running var */
static void bn_params(const ar_node_t *nd, float **g, float **b, float **rm, float **rv)
{
    int k = 0;
    *g = *b = NULL;
    if (nd->cfg.bn.affine) *g = nd->params[k++].value.data, *b = nd->params[k++].value.data;
    *rm = nd->params[k++].value.data;
    *rv = nd->params[k].value.data;
}

static void bn_forward(const ar_op_run_t *r)
{
    const ar_node_t *nd = r->node;
    ar_bn_cfg_t cfg = nd->cfg.bn.c;
    cfg.threads = r->threads;
    cfg.relu = r->relu;
    const ar_bn_cfg_t *c = &cfg;
    bn_state_t *s = r->state;
    float *g, *b, *rm, *rv;
    bn_params(nd, &g, &b, &rm, &rv);
    s->train = r->train;
    if (r->train)
        ar_bn_forward_train(c, r->x[0], g, b, rm, rv, r->y, s->stats, s->stats + c->channels);
    else
        ar_bn_forward_eval(c, r->x[0], g, b, rm, rv, r->y);
}

/* Eval-mode backward: y = (x - rm) * invstd * g + b with fixed statistics. */
static void bn_backward_eval(const ar_op_run_t *r, const float *g, const float *rm,
                             const float *rv)
{
    const ar_bn_cfg_t *c = &r->node->cfg.bn.c;
    const ar_tensor_t *x = r->x[0], *dy = r->dy, *yr = r->relu ? r->y : NULL;
    int64_t n = x->shape[0], C = x->shape[1], hw = x->shape[2] * x->shape[3];
    int k = r->node->cfg.bn.affine ? 2 : 0;
    float *dg = k ? r->dparam[0] : NULL, *db = k ? r->dparam[1] : NULL;
    ar_tensor_t *dx = r->dx[0];
    for (int64_t ch = 0; ch < C; ch++) {
        float inv = 1.0f / sqrtf(rv[ch] + c->eps);
        float scale = (g ? g[ch] : 1.0f) * inv;
        double sdy = 0, sdyx = 0;
        for (int64_t i = 0; i < n; i++) {
            const float *xp = x->data + (i * C + ch) * hw, *dp = dy->data + (i * C + ch) * hw;
            const float *yp = yr ? yr->data + (i * C + ch) * hw : NULL;
            float *dxp = dx ? dx->data + (i * C + ch) * hw : NULL;
            for (int64_t j = 0; j < hw; j++) {
                const float d = yp ? ar_relu_grad1(yp[j], dp[j]) : dp[j];
                sdy += d;
                sdyx += (double)d * (xp[j] - rm[ch]);
                if (dxp) dxp[j] += d * scale;
            }
        }
        if (dg) dg[ch] += (float)(sdyx * inv);
        if (db) db[ch] += (float)sdy;
    }
}

static void bn_backward(const ar_op_run_t *r)
{
    const ar_node_t *nd = r->node;
    const bn_state_t *s = r->state;
    float *g, *b, *rm, *rv;
    bn_params(nd, &g, &b, &rm, &rv);
    if (!s->train) {
        bn_backward_eval(r, g, rm, rv);
        return;
    }
    int k = nd->cfg.bn.affine;
    ar_bn_cfg_t cfg = nd->cfg.bn.c;
    cfg.threads = r->threads;
    cfg.relu = r->relu;
    ar_bn_backward(&cfg, r->x[0], g, s->stats, s->stats + nd->cfg.bn.c.channels, r->y, r->dy,
                   r->dx[0], k ? r->dparam[0] : NULL, k ? r->dparam[1] : NULL);
}

static int bn_read(ar_h5_t *h, const char *grp, ar_node_t *nd, ar_err_t *err)
{
    int st;
    if ((st = ar_op_attr_float(h, grp, "eps", &nd->cfg.bn.c.eps, err)) ||
        (st = ar_op_attr_float(h, grp, "momentum", &nd->cfg.bn.c.momentum, err)))
        return st;
    char path[512];
    snprintf(path, sizeof path, "%s/weight", grp);
    nd->cfg.bn.affine = ar_h5_exists(h, path);
    return AR_OK;
}

static int bn_write(ar_h5_t *h, const char *grp, const ar_node_t *nd, ar_err_t *err)
{
    int st;
    if ((st = ar_op_write_float(h, grp, "eps", nd->cfg.bn.c.eps, err)) ||
        (st = ar_op_write_float(h, grp, "momentum", nd->cfg.bn.c.momentum, err)))
        return st;
    return AR_OK;
}

const ar_op_def_t ar_op_batchnorm2d_def = {
    .name = "batchnorm2d", .min_inputs = 1, .max_inputs = 1,
    .infer = bn_infer, .state_bytes = bn_state_bytes,
    .forward = bn_forward, .backward = bn_backward,
    .bwd_skips = AR_BWD_NO_Y, .fuses_relu = 1,
    .read_attrs = bn_read, .write_attrs = bn_write,
};
