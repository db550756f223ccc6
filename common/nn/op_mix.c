/* op_mix.c - the mix and shift entries of the op table: the two ops the
 * relaxed block search (common/repair) adds to the graph.
 *
 * mix: y = sum_k softmax(alpha)_k * x_k over k >= 1 inputs of one shape, with
 * alpha [k] a trainable parameter of the node ("alpha", initialised to 0, so
 * the mixture starts uniform). Backward: dx_k += w_k dy; d alpha_j =
 * sum_k g_k w_k (delta_kj - w_j) with g_k = <dy, x_k> summed in double.
 *
 * shift: y[n, c, h, w] = x[n, c, h + dy, w + dx], zero where that falls
 * outside the input; attribute offset[2] = (dy, dx), each in -8..8. With a
 * 1x1 stride-2 conv it gives DARTS' FactorizedReduce second path (x[:, :,
 * 1:, 1:] seen at even positions) without cropping.
 */
#include <math.h>
#include <string.h>

#include "op_table.h"

/* ---- mix ---------------------------------------------------------------------- */

static int mix_infer(ar_node_t *nd, const ar_tensor_t *const *in, int nin, ar_param_spec_t *spec,
                     int *nspec, ar_err_t *err)
{
    for (int j = 1; j < nin; j++)
        if (!ar_tensor_same_shape(in[0], in[j])) {
            char a[64], b[64];
            return ar_err_set(err, AR_E_FORMAT, "input %d has shape %s, input 0 has %s", j,
                              ar_tensor_shape_str(in[j], a, sizeof a),
                              ar_tensor_shape_str(in[0], b, sizeof b));
        }
    nd->out = *in[0];
    ar_op_spec(&spec[0], "alpha", 1, 0.f, 1, nin, 1, 1, 1);
    *nspec = 1;
    return AR_OK;
}

/* softmax of the node's alpha into w (k floats); k <= state capacity */
static void mix_weights(const ar_node_t *nd, float *w)
{
    const float *a = nd->params[0].value.data;
    int k = nd->ninputs;
    float m = a[0];
    for (int j = 1; j < k; j++)
        if (a[j] > m) m = a[j];
    double s = 0;
    for (int j = 0; j < k; j++) s += exp((double)a[j] - m);
    for (int j = 0; j < k; j++) w[j] = (float)(exp((double)a[j] - m) / s);
}

static size_t mix_state(const ar_node_t *nd, const ar_tensor_t *in0, int n)
{
    (void)in0, (void)n;
    return 2 * (size_t)nd->ninputs * sizeof(double);
}

static void mix_forward(const ar_op_run_t *r)
{
    const ar_node_t *nd = r->node;
    int k = nd->ninputs;
    float wbuf[64], *w = wbuf;
    double *st = r->state;
    if (k > 64) w = (float *)(st + k); /* room for k floats in the second half */
    mix_weights(nd, w);
    int64_t n = ar_tensor_numel(r->y);
    float *y = r->y->data;
    const float *x0 = r->x[0]->data;
    for (int64_t i = 0; i < n; i++) y[i] = w[0] * x0[i];
    for (int j = 1; j < k; j++) {
        const float *x = r->x[j]->data;
        float wj = w[j];
        if (wj == 0.f) continue;
        for (int64_t i = 0; i < n; i++) y[i] += wj * x[i];
    }
}

static void mix_backward(const ar_op_run_t *r)
{
    const ar_node_t *nd = r->node;
    int k = nd->ninputs;
    double *g = r->state; /* k dot products */
    float wbuf[64], *w = wbuf;
    if (k > 64) w = (float *)(g + k);
    mix_weights(nd, w);
    int64_t n = ar_tensor_numel(r->dy);
    const float *dy = r->dy->data;
    for (int j = 0; j < k; j++) {
        const float *x = r->x[j]->data;
        float *dx = r->dx[j] ? r->dx[j]->data : NULL;
        double s = 0;
        if (r->dparam[0])
            for (int64_t i = 0; i < n; i++) s += (double)dy[i] * x[i];
        g[j] = s;
        if (dx)
            for (int64_t i = 0; i < n; i++) dx[i] += w[j] * dy[i];
    }
    if (!r->dparam[0]) return;
    double gw = 0;
    for (int j = 0; j < k; j++) gw += g[j] * w[j];
    for (int j = 0; j < k; j++) r->dparam[0][j] += (float)(w[j] * (g[j] - gw));
}

const ar_op_def_t ar_op_mix_def = {
    .name = "mix", .min_inputs = 1, .max_inputs = 0,
    .infer = mix_infer, .state_bytes = mix_state,
    .forward = mix_forward, .backward = mix_backward,
};

/* ---- shift -------------------------------------------------------------------- */

static int shift_infer(ar_node_t *nd, const ar_tensor_t *const *in, int nin,
                       ar_param_spec_t *spec, int *nspec, ar_err_t *err)
{
    (void)nin, (void)spec;
    *nspec = 0;
    if (in[0]->ndim != 3) return ar_err_set(err, AR_E_FORMAT, "input is not [C, H, W]");
    int dy = nd->cfg.shift.dy, dx = nd->cfg.shift.dx;
    if (dy < -8 || dy > 8 || dx < -8 || dx > 8)
        return ar_err_set(err, AR_E_FORMAT, "bad offset %d, %d (each -8..8)", dy, dx);
    nd->out = *in[0];
    return AR_OK;
}

/* For each output row h and column w: source h + dy, w + dx; add = 0
 * copies x into y (zeros outside), add = 1 adds y's values back into x
 * (the adjoint, for backward). */
static void shift_apply(const ar_node_t *nd, float *a, float *b, const ar_tensor_t *shape,
                        int adjoint)
{
    int64_t planes = shape->shape[0] * shape->shape[1];
    int64_t H = shape->shape[2], W = shape->shape[3];
    int dy = nd->cfg.shift.dy, dx = nd->cfg.shift.dx;
    int64_t w0 = dx < 0 ? -dx : 0, w1 = dx > 0 ? W - dx : W;
    for (int64_t p = 0; p < planes; p++)
        for (int64_t h = 0; h < H; h++) {
            int64_t sh = h + dy;
            float *out = b + (p * H + h) * W;
            if (sh < 0 || sh >= H) {
                if (!adjoint) memset(out, 0, (size_t)W * sizeof(float));
                continue;
            }
            float *src = a + (p * H + sh) * W;
            if (adjoint) {
                for (int64_t w = w0; w < w1; w++) src[w + dx] += out[w];
            } else {
                for (int64_t w = 0; w < W; w++) out[w] = (w >= w0 && w < w1) ? src[w + dx] : 0.f;
            }
        }
}

static void shift_forward(const ar_op_run_t *r)
{
    shift_apply(r->node, r->x[0]->data, r->y->data, r->y, 0);
}

static void shift_backward(const ar_op_run_t *r)
{
    if (r->dx[0]) shift_apply(r->node, r->dx[0]->data, r->dy->data, r->dy, 1);
}

static int shift_read(ar_h5_t *h, const char *grp, ar_node_t *nd, ar_err_t *err)
{
    int o[2];
    int st = ar_op_attr_ints(h, grp, "offset", o, 2, err);
    if (st) return st;
    nd->cfg.shift.dy = o[0], nd->cfg.shift.dx = o[1];
    return AR_OK;
}

static int shift_write(ar_h5_t *h, const char *grp, const ar_node_t *nd, ar_err_t *err)
{
    return ar_op_write_ints(h, grp, "offset", (int[]){nd->cfg.shift.dy, nd->cfg.shift.dx}, 2, err);
}

const ar_op_def_t ar_op_shift_def = {
    .name = "shift", .min_inputs = 1, .max_inputs = 1,
    .infer = shift_infer, .forward = shift_forward, .backward = shift_backward,
    .read_attrs = shift_read, .write_attrs = shift_write,
};
