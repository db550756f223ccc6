/* op_basic.c - the relu, clamp, silu, hardswish, linear, add, concat,
 * identity and zero entries of the op table. linear accepts a [C, H, W]
 * input as its flattening [C*H*W] (PyTorch's flatten(x, 1) before
 * nn.Linear). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/par.h"
#include "nn/basic_ops.h"
#include "nn/dispatch.h"
#include "op_table.h"

/* ---- elementwise ops over the plan's threads ---------------------------------- */

/* Elements per thread below which an elementwise op is not split further. */
#define AR_EW_GRAIN 32768

/* One elementwise op on the element range [lo, hi) of the node's tensors.
 * Every element is computed alone, so the split changes no result. */
typedef void (*ew_fn)(const ar_op_run_t *r, int64_t lo, int64_t hi);

typedef struct {
    const ar_op_run_t *r;
    ew_fn fn;
} ew_job_t;

static void ew_range(void *ctx, int64_t lo, int64_t hi)
{
    const ew_job_t *j = ctx;
    j->fn(j->r, lo, hi);
}

/* Runs fn over the n elements of the node's output (or its gradient). */
static void ew_run(const ar_op_run_t *r, int64_t n, ew_fn fn)
{
    ew_job_t j = {r, fn};
    ar_par_for(r->threads, n, AR_EW_GRAIN, ew_range, &j);
}

/* [lo, hi) of t as a 1-D tensor */
static ar_tensor_t ew_view(const ar_tensor_t *t, int64_t lo, int64_t hi)
{
    ar_tensor_t v = ar_tensor_shape(1, (int64_t[]){hi - lo});
    v.data = t->data + lo;
    return v;
}

/* ---- relu ------------------------------------------------------------------- */

static int same_infer(ar_node_t *nd, const ar_tensor_t *const *in, int nin, ar_param_spec_t *spec,
                      int *nspec, ar_err_t *err)
{
    (void)nin, (void)spec, (void)err;
    *nspec = 0;
    nd->out = *in[0];
    return AR_OK;
}

static void relu_forward_range(const ar_op_run_t *r, int64_t lo, int64_t hi)
{
    ar_tensor_t x = ew_view(r->x[0], lo, hi), y = ew_view(r->y, lo, hi);
    ar_relu_forward(&x, &y);
}

static void relu_forward(const ar_op_run_t *r)
{
    ew_run(r, ar_tensor_numel(r->y), relu_forward_range);
}

static void relu_backward_range(const ar_op_run_t *r, int64_t lo, int64_t hi)
{
    ar_tensor_t y = ew_view(r->y, lo, hi), dy = ew_view(r->dy, lo, hi),
                dx = ew_view(r->dx[0], lo, hi);
    ar_relu_backward(&y, &dy, &dx);
}

static void relu_backward(const ar_op_run_t *r)
{
    if (r->dx[0]) ew_run(r, ar_tensor_numel(r->dy), relu_backward_range);
}

const ar_op_def_t ar_op_relu_def = {
    .name = "relu", .min_inputs = 1, .max_inputs = 1,
    .infer = same_infer, .forward = relu_forward, .backward = relu_backward,
    .bwd_skips = AR_BWD_NO_X,
};

/* ---- clamp (ReLU6, Hardtanh), silu, hardswish ------------------------------------ */

static int clamp_infer(ar_node_t *nd, const ar_tensor_t *const *in, int nin,
                       ar_param_spec_t *spec, int *nspec, ar_err_t *err)
{
    float lo = nd->cfg.clamp.lo, hi = nd->cfg.clamp.hi;
    if (isnan(lo) || isnan(hi) || lo > hi)
        return ar_err_set(err, AR_E_FORMAT, "bad bounds min %g, max %g (need min <= max, no NaN)",
                          lo, hi);
    return same_infer(nd, in, nin, spec, nspec, err);
}

static void clamp_forward_range(const ar_op_run_t *r, int64_t lo, int64_t hi)
{
    ar_tensor_t x = ew_view(r->x[0], lo, hi), y = ew_view(r->y, lo, hi);
    ar_clamp_forward(&x, &y, r->node->cfg.clamp.lo, r->node->cfg.clamp.hi);
}

static void clamp_forward(const ar_op_run_t *r)
{
    ew_run(r, ar_tensor_numel(r->y), clamp_forward_range);
}

static void clamp_backward_range(const ar_op_run_t *r, int64_t lo, int64_t hi)
{
    ar_tensor_t y = ew_view(r->y, lo, hi), dy = ew_view(r->dy, lo, hi),
                dx = ew_view(r->dx[0], lo, hi);
    ar_clamp_backward(&y, &dy, &dx, r->node->cfg.clamp.lo, r->node->cfg.clamp.hi);
}

static void clamp_backward(const ar_op_run_t *r)
{
    if (r->dx[0]) ew_run(r, ar_tensor_numel(r->dy), clamp_backward_range);
}

static int clamp_read(ar_h5_t *h, const char *grp, ar_node_t *nd, ar_err_t *err)
{
    int st = ar_op_attr_float(h, grp, "min", &nd->cfg.clamp.lo, err);
    return st ? st : ar_op_attr_float(h, grp, "max", &nd->cfg.clamp.hi, err);
}

static int clamp_write(ar_h5_t *h, const char *grp, const ar_node_t *nd, ar_err_t *err)
{
    int st = ar_op_write_float(h, grp, "min", nd->cfg.clamp.lo, err);
    return st ? st : ar_op_write_float(h, grp, "max", nd->cfg.clamp.hi, err);
}

const ar_op_def_t ar_op_clamp_def = {
    .name = "clamp", .min_inputs = 1, .max_inputs = 1,
    .infer = clamp_infer, .forward = clamp_forward, .backward = clamp_backward,
    .bwd_skips = AR_BWD_NO_X,
    .read_attrs = clamp_read, .write_attrs = clamp_write,
};

static void silu_forward_range(const ar_op_run_t *r, int64_t lo, int64_t hi)
{
    ar_tensor_t x = ew_view(r->x[0], lo, hi), y = ew_view(r->y, lo, hi);
    ar_silu_forward(&x, &y);
}

static void silu_forward(const ar_op_run_t *r)
{
    ew_run(r, ar_tensor_numel(r->y), silu_forward_range);
}

static void silu_backward_range(const ar_op_run_t *r, int64_t lo, int64_t hi)
{
    ar_tensor_t x = ew_view(r->x[0], lo, hi), dy = ew_view(r->dy, lo, hi),
                dx = ew_view(r->dx[0], lo, hi);
    ar_silu_backward(&x, &dy, &dx);
}

static void silu_backward(const ar_op_run_t *r)
{
    if (r->dx[0]) ew_run(r, ar_tensor_numel(r->dy), silu_backward_range);
}

const ar_op_def_t ar_op_silu_def = {
    .name = "silu", .min_inputs = 1, .max_inputs = 1,
    .infer = same_infer, .forward = silu_forward, .backward = silu_backward,
    .bwd_skips = AR_BWD_NO_Y,
};

static void hardswish_forward_range(const ar_op_run_t *r, int64_t lo, int64_t hi)
{
    ar_tensor_t x = ew_view(r->x[0], lo, hi), y = ew_view(r->y, lo, hi);
    ar_hardswish_forward(&x, &y);
}

static void hardswish_forward(const ar_op_run_t *r)
{
    ew_run(r, ar_tensor_numel(r->y), hardswish_forward_range);
}

static void hardswish_backward_range(const ar_op_run_t *r, int64_t lo, int64_t hi)
{
    ar_tensor_t x = ew_view(r->x[0], lo, hi), dy = ew_view(r->dy, lo, hi),
                dx = ew_view(r->dx[0], lo, hi);
    ar_hardswish_backward(&x, &dy, &dx);
}

static void hardswish_backward(const ar_op_run_t *r)
{
    if (r->dx[0]) ew_run(r, ar_tensor_numel(r->dy), hardswish_backward_range);
}

const ar_op_def_t ar_op_hardswish_def = {
    .name = "hardswish", .min_inputs = 1, .max_inputs = 1,
    .infer = same_infer, .forward = hardswish_forward, .backward = hardswish_backward,
    .bwd_skips = AR_BWD_NO_Y,
};

/* ---- identity ---------------------------------------------------------------- */

AR_INLINE void add_into(float *dst, const float *src, int64_t n)
{
    for (int64_t i = 0; i < n; i++) dst[i] += src[i];
}

static void identity_forward(const ar_op_run_t *r)
{
    memcpy(r->y->data, r->x[0]->data, (size_t)ar_tensor_numel(r->y) * sizeof(float));
}

/* dx[j] += dy on [lo, hi) for every input j that takes a gradient */
AR_KERNEL
static void dy_into_range(const ar_op_run_t *r, int64_t lo, int64_t hi)
{
    for (int j = 0; j < r->node->ninputs; j++)
        if (r->dx[j]) add_into(r->dx[j]->data + lo, r->dy->data + lo, hi - lo);
}

static void identity_backward(const ar_op_run_t *r)
{
    ew_run(r, ar_tensor_numel(r->dy), dy_into_range);
}

const ar_op_def_t ar_op_identity_def = {
    .name = "identity", .min_inputs = 1, .max_inputs = 1,
    .infer = same_infer, .forward = identity_forward, .backward = identity_backward,
    .bwd_skips = AR_BWD_NO_X | AR_BWD_NO_Y,
};

/* ---- linear ------------------------------------------------------------------ */

static int linear_infer(ar_node_t *nd, const ar_tensor_t *const *in, int nin,
                        ar_param_spec_t *spec, int *nspec, ar_err_t *err)
{
    (void)nin;
    int64_t fin = ar_tensor_numel(in[0]);
    int o = nd->cfg.linear.out_features;
    if (o <= 0 || o > AR_GRAPH_MAXDIM * 16)
        return ar_err_set(err, AR_E_FORMAT, "bad out_features %d", o);
    nd->out = ar_tensor_shape(1, (int64_t[]){o});
    ar_op_spec(&spec[0], "weight", 1, 0.f, 2, o, fin, 1, 1);
    *nspec = 1;
    if (nd->cfg.linear.bias) ar_op_spec(&spec[(*nspec)++], "bias", 1, 0.f, 1, o, 1, 1, 1);
    return AR_OK;
}

/* x seen as [N, features] */
static ar_tensor_t flat(const ar_tensor_t *x)
{
    ar_tensor_t t = ar_tensor_2d(x->shape[0], ar_tensor_numel(x) / x->shape[0]);
    t.data = x->data;
    return t;
}

static void linear_forward(const ar_op_run_t *r)
{
    const ar_node_t *nd = r->node;
    ar_tensor_t x = flat(r->x[0]);
    ar_linear_forward(&x, nd->params[0].value.data,
                      nd->cfg.linear.bias ? nd->params[1].value.data : NULL, r->y);
}

static void linear_backward(const ar_op_run_t *r)
{
    const ar_node_t *nd = r->node;
    ar_tensor_t x = flat(r->x[0]), dx;
    if (r->dx[0]) dx = flat(r->dx[0]);
    ar_linear_backward(&x, nd->params[0].value.data, r->dy, r->dx[0] ? &dx : NULL, r->dparam[0],
                       nd->cfg.linear.bias ? r->dparam[1] : NULL);
}

static int64_t linear_macs(const ar_node_t *nd, const ar_tensor_t *in0)
{
    return (int64_t)nd->cfg.linear.out_features * ar_tensor_numel(in0);
}

static int linear_read(ar_h5_t *h, const char *grp, ar_node_t *nd, ar_err_t *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/weight", grp);
    if (!ar_h5_exists(h, path)) return ar_err_set(err, AR_E_FORMAT, "dataset 'weight' missing");
    int nd_ = 0, is_int = 0;
    int64_t dims[AR_H5_MAXDIM];
    size_t es = 0;
    int st = ar_h5_shape(h, path, &nd_, dims, &is_int, &es, err);
    if (st) return st;
    if (nd_ != 2) return ar_err_set(err, AR_E_FORMAT, "dataset 'weight' is not 2-D");
    nd->cfg.linear.out_features = (int)dims[0];
    snprintf(path, sizeof path, "%s/bias", grp);
    nd->cfg.linear.bias = ar_h5_exists(h, path);
    return AR_OK;
}

const ar_op_def_t ar_op_linear_def = {
    .name = "linear", .min_inputs = 1, .max_inputs = 1,
    .infer = linear_infer, .forward = linear_forward, .backward = linear_backward,
    .bwd_skips = AR_BWD_NO_Y,
    .macs = linear_macs, .read_attrs = linear_read,
};

/* ---- add --------------------------------------------------------------------- */

static int add_infer(ar_node_t *nd, const ar_tensor_t *const *in, int nin, ar_param_spec_t *spec,
                     int *nspec, ar_err_t *err)
{
    (void)spec;
    *nspec = 0;
    for (int j = 1; j < nin; j++)
        if (!ar_tensor_same_shape(in[0], in[j])) {
            char a[64], b[64];
            return ar_err_set(err, AR_E_FORMAT, "input %d has shape %s, input 0 has %s", j,
                              ar_tensor_shape_str(in[j], a, sizeof a),
                              ar_tensor_shape_str(in[0], b, sizeof b));
        }
    nd->out = *in[0];
    return AR_OK;
}

static void add_forward_range(const ar_op_run_t *r, int64_t lo, int64_t hi)
{
    ar_add_forward_span(r->x, r->node->ninputs, r->y, lo, hi, r->relu);
}

static void add_forward(const ar_op_run_t *r)
{
    ew_run(r, ar_tensor_numel(r->y), add_forward_range);
}

/* With a fused ReLU (r->relu: y and dy are the ReLU's): dx[j] += the ReLU's
 * input gradient (ar_relu_grad1), made once per block of 512 and added to
 * every input's gradient. */
AR_KERNEL
static void dy_relu_into_range(const ar_op_run_t *r, int64_t lo, int64_t hi)
{
    const float *yp = r->y->data, *gp = r->dy->data;
    float m[512];
    for (int64_t i0 = lo; i0 < hi; i0 += 512) {
        const int len = (int)(hi - i0 < 512 ? hi - i0 : 512);
        for (int i = 0; i < len; i++)
            m[i] = ar_relu_grad1(yp[i0 + i], gp[i0 + i]);
        for (int j = 0; j < r->node->ninputs; j++)
            if (r->dx[j]) add_into(r->dx[j]->data + i0, m, len);
    }
}

static void add_backward(const ar_op_run_t *r)
{
    ew_run(r, ar_tensor_numel(r->dy), r->relu ? dy_relu_into_range : dy_into_range);
}

const ar_op_def_t ar_op_add_def = {
    .name = "add", .min_inputs = 1, .max_inputs = 0,
    .infer = add_infer, .forward = add_forward, .backward = add_backward,
    .bwd_skips = AR_BWD_NO_X | AR_BWD_NO_Y, .fuses_relu = 1,
};

/* ---- concat (channels) -------------------------------------------------------- */

static int concat_infer(ar_node_t *nd, const ar_tensor_t *const *in, int nin,
                        ar_param_spec_t *spec, int *nspec, ar_err_t *err)
{
    (void)spec;
    *nspec = 0;
    int64_t c = 0;
    for (int j = 0; j < nin; j++) {
        if (in[j]->ndim != 3) return ar_err_set(err, AR_E_FORMAT, "input %d is not [C, H, W]", j);
        if (in[j]->shape[1] != in[0]->shape[1] || in[j]->shape[2] != in[0]->shape[2])
            return ar_err_set(err, AR_E_FORMAT, "input %d is %lldx%lld, input 0 is %lldx%lld", j,
                              (long long)in[j]->shape[1], (long long)in[j]->shape[2],
                              (long long)in[0]->shape[1], (long long)in[0]->shape[2]);
        c += in[j]->shape[0];
    }
    nd->out = ar_tensor_shape(3, (int64_t[]){c, in[0]->shape[1], in[0]->shape[2]});
    return AR_OK;
}

static void concat_forward(const ar_op_run_t *r)
{
    ar_concat_forward(r->x, r->node->ninputs, r->y);
}

static void concat_backward(const ar_op_run_t *r)
{
    int n = r->node->ninputs, all = 1;
    for (int j = 0; j < n; j++) all &= r->dx[j] != NULL;
    if (all) {
        ar_concat_backward(r->dy, r->dx, n);
        return;
    }
    /* some inputs need no gradient: add the slices of those that do */
    const ar_tensor_t *dy = r->dy;
    int64_t N = dy->shape[0], C = dy->shape[1], hw = dy->shape[2] * dy->shape[3], c0 = 0;
    for (int j = 0; j < n; j++) {
        int64_t cj = r->x[j]->shape[1];
        if (r->dx[j])
            for (int64_t i = 0; i < N; i++)
                add_into(r->dx[j]->data + i * cj * hw, dy->data + (i * C + c0) * hw, cj * hw);
        c0 += cj;
    }
}

const ar_op_def_t ar_op_concat_def = {
    .name = "concat", .min_inputs = 1, .max_inputs = 0,
    .infer = concat_infer, .forward = concat_forward, .backward = concat_backward,
    .bwd_skips = AR_BWD_NO_X | AR_BWD_NO_Y,
};

/* ---- zero: the search space's `none`, zeros of the strided input's shape ----- */

static int zero_infer(ar_node_t *nd, const ar_tensor_t *const *in, int nin, ar_param_spec_t *spec,
                      int *nspec, ar_err_t *err)
{
    (void)nin, (void)spec;
    *nspec = 0;
    int sh = nd->cfg.zero.sh, sw = nd->cfg.zero.sw;
    if (sh <= 0 || sw <= 0 || sh > AR_GRAPH_MAXDIM || sw > AR_GRAPH_MAXDIM)
        return ar_err_set(err, AR_E_FORMAT, "bad stride %dx%d", sh, sw);
    if (in[0]->ndim != 3) {
        if (sh != 1 || sw != 1)
            return ar_err_set(err, AR_E_FORMAT, "stride on an input that is not [C, H, W]");
        nd->out = *in[0];
        return AR_OK;
    }
    nd->out = ar_tensor_shape(3, (int64_t[]){in[0]->shape[0], (in[0]->shape[1] + sh - 1) / sh,
                                             (in[0]->shape[2] + sw - 1) / sw});
    return AR_OK;
}

static void zero_forward(const ar_op_run_t *r)
{
    memset(r->y->data, 0, (size_t)ar_tensor_numel(r->y) * sizeof(float));
}

static void zero_backward(const ar_op_run_t *r) { (void)r; /* the gradient is zero */ }

static int zero_read(ar_h5_t *h, const char *grp, ar_node_t *nd, ar_err_t *err)
{
    int s[2];
    int st = ar_op_attr_ints(h, grp, "stride", s, 2, err);
    if (st) return st;
    nd->cfg.zero.sh = s[0], nd->cfg.zero.sw = s[1];
    return AR_OK;
}

static int zero_write(ar_h5_t *h, const char *grp, const ar_node_t *nd, ar_err_t *err)
{
    return ar_op_write_ints(h, grp, "stride", (int[]){nd->cfg.zero.sh, nd->cfg.zero.sw}, 2, err);
}

const ar_op_def_t ar_op_zero_def = {
    .name = "zero", .min_inputs = 1, .max_inputs = 1,
    .infer = zero_infer, .forward = zero_forward, .backward = zero_backward,
    .bwd_skips = AR_BWD_NO_X | AR_BWD_NO_Y,
    .read_attrs = zero_read, .write_attrs = zero_write,
};
