/* conv.c - 2-D convolution entry points: checks, path choice, scratch
 * sizing, bias gradient.
 *
 * Paths (chosen from the config only, so forward, backward and
 * ar_conv2d_scratch_floats always agree):
 *   depthwise  groups == cin == cout  -> depthwise.c
 *   implicit   every other conv       -> conv_direct.c (forward, weight and
 *              input gradients)
 */
#include "nn/conv.h"

#include <assert.h>

#include "nn/basic_ops.h"
#include "nn/conv_direct.h"
#include "nn/depthwise.h"

static int conv_out(int n, int k, int s, int p, int d)
{
    int num = n + 2 * p - d * (k - 1) - 1;
    if (n <= 0 || k <= 0 || s <= 0 || d <= 0 || p < 0 || num < 0)
        return 0;
    return num / s + 1;
}

int ar_conv2d_out_h(const ar_conv_cfg_t *c, int h) { return conv_out(h, c->kh, c->sh, c->ph, c->dh); }
int ar_conv2d_out_w(const ar_conv_cfg_t *c, int w) { return conv_out(w, c->kw, c->sw, c->pw, c->dw); }

static int conv_is_depthwise(const ar_conv_cfg_t *c)
{
    return c->groups == c->cin && c->cin == c->cout;
}

size_t ar_conv2d_scratch_floats(const ar_conv_cfg_t *c, int n, int h, int w)
{
    if (conv_is_depthwise(c))
        return ar_depthwise_scratch(c, n, h, w);
    return ar_conv_direct_scratch(c, n, h, w);
}

static void conv_check(const ar_conv_cfg_t *c, const ar_tensor_t *x, const ar_tensor_t *y)
{
    (void)c, (void)x, (void)y;
    assert(c->groups > 0 && c->cin % c->groups == 0 && c->cout % c->groups == 0);
    assert(x->ndim == 4 && x->shape[1] == c->cin);
    assert(y->ndim == 4 && y->shape[0] == x->shape[0] && y->shape[1] == c->cout);
    assert(y->shape[2] == ar_conv2d_out_h(c, (int)x->shape[2]) && y->shape[2] > 0);
    assert(y->shape[3] == ar_conv2d_out_w(c, (int)x->shape[3]) && y->shape[3] > 0);
}

/* Adds the sum of each output channel's gradient planes into db. */
static void conv_bias_grad(const ar_tensor_t *dy, float *db)
{
    const int n = (int)dy->shape[0], co = (int)dy->shape[1];
    const size_t howo = (size_t)dy->shape[2] * dy->shape[3];
    for (int o = 0; o < co; o++) {
        double total = 0.0;
        for (int b = 0; b < n; b++) {
            const float *g = dy->data + ((size_t)b * co + o) * howo;
            float acc[16] = {0};
            size_t p = 0;
            for (; p + 16 <= howo; p += 16)
                for (int q = 0; q < 16; q++)
                    acc[q] += g[p + q];
            float s = 0.0f;
            for (; p < howo; p++)
                s += g[p];
            for (int q = 0; q < 16; q++)
                s += acc[q];
            total += s;
        }
        db[o] += (float)total;
    }
}

void ar_conv2d_forward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                       const float *bias, ar_tensor_t *y, float *scratch)
{
    conv_check(c, x, y);
    assert(scratch || ar_conv2d_scratch_floats(c, (int)x->shape[0], (int)x->shape[2],
                                               (int)x->shape[3]) == 0);
    if (conv_is_depthwise(c)) {
        ar_depthwise_forward(c, x, weight, bias, y, scratch);
        if (c->relu) /* no fused store in the depthwise paths: one more pass */
            ar_relu_forward(y, y);
    } else {
        ar_conv_direct_forward(c, x, weight, bias, y, scratch); /* c->relu in its unpack */
    }
}

void ar_conv2d_backward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                        const ar_tensor_t *dy, ar_tensor_t *dx, float *dweight, float *dbias,
                        float *scratch)
{
    conv_check(c, x, dy);
    assert(!dx || ar_tensor_same_shape(dx, x));
    assert(scratch || ar_conv2d_scratch_floats(c, (int)x->shape[0], (int)x->shape[2],
                                               (int)x->shape[3]) == 0);
    if (conv_is_depthwise(c)) {
        ar_depthwise_backward(c, x, weight, dy, dx, dweight, dbias, scratch);
        return;
    }
    if (dx || dweight)
        ar_conv_direct_backward(c, x, weight, dy, dx, dweight, scratch);
    if (dbias)
        conv_bias_grad(dy, dbias);
}
