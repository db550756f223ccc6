/* test_kernels_torch.c - the nn kernels against values computed by PyTorch 1.13
 * (golden_torch.h, written by gen_golden.py): conv2d (groups, stride,
 * dilation, depthwise, 1x1 stride 2) forward and gradients, batchnorm train
 * and eval with the running-stat update, max pool with ties, avg pool both
 * count_include_pad modes, linear, and softmax cross-entropy. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/tensor.h"
#include "golden_torch.h"
#include "nn/basic_ops.h"
#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn/pool.h"

/* max |a-b| / max(1, max |b|) */
static double maxerr(const float *a, const float *b, size_t n)
{
    double e = 0.0, m = 1.0;
    for (size_t i = 0; i < n; i++) {
        e = fmax(e, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return e / m;
}

static ar_tensor_t view(const float *p, int n, int c, int h, int w)
{
    ar_tensor_t t = ar_tensor_4d(n, c, h, w);
    t.data = (float *)p; /* read-only use */
    return t;
}

static ar_tensor_t zeros(int n, int c, int h, int w)
{
    ar_tensor_t t = ar_tensor_4d(n, c, h, w);
    ar_tensor_alloc(&t);
    return t;
}

#define NUMEL(a) (sizeof(a) / sizeof((a)[0]))

static void conv_case(const char *name, const int *s, const float *x, const float *w,
                      const float *b, const float *y, const float *dy, const float *dx,
                      const float *dw, const float *db, int threads)
{
    ar_conv_cfg_t c = {s[1], s[4],  s[5],  s[6],  s[7],  s[8], s[9],
                       s[10], s[11], s[12], s[13], threads, 0};
    const int n = s[0], h = s[2], wd = s[3];
    const int ho = ar_conv2d_out_h(&c, h), wo = ar_conv2d_out_w(&c, wd);
    ar_tensor_t xt = view(x, n, c.cin, h, wd), dyt = view(dy, n, c.cout, ho, wo);
    ar_tensor_t yt = zeros(n, c.cout, ho, wo), dxt = zeros(n, c.cin, h, wd);
    const size_t nw = (size_t)c.cout * (c.cin / c.groups) * c.kh * c.kw;
    float *gw = calloc(nw, sizeof *gw), *gb = calloc(c.cout, sizeof *gb);
    size_t ns = ar_conv2d_scratch_floats(&c, n, h, wd);
    float *scratch = ns ? malloc(ns * sizeof(float)) : NULL;
    ar_conv2d_forward(&c, &xt, w, b, &yt, scratch);
    ar_conv2d_backward(&c, &xt, w, &dyt, &dxt, gw, b ? gb : NULL, scratch);
    double e;
    CHECK((e = maxerr(yt.data, y, ar_tensor_numel(&yt))) < 1e-5, "%s y err %.3g", name, e);
    CHECK((e = maxerr(dxt.data, dx, ar_tensor_numel(&dxt))) < 1e-5, "%s dx err %.3g", name, e);
    CHECK((e = maxerr(gw, dw, nw)) < 1e-5, "%s dw err %.3g", name, e);
    if (b)
        CHECK((e = maxerr(gb, db, c.cout)) < 1e-5, "%s db err %.3g", name, e);
    free(gw), free(gb), free(scratch);
    ar_tensor_free(&yt), ar_tensor_free(&dxt);
}

static void test_conv(void)
{
    static const int a[] = {CONV_A_SHAPE}, b[] = {CONV_B_SHAPE}, c[] = {CONV_C_SHAPE};
    static const int d[] = {CONV_D_SHAPE};
    for (int t = 1; t <= 2; t++) {
        conv_case("groups2 s(2,1) d(1,2)", a, conv_a_x, conv_a_w, conv_a_b, conv_a_y, conv_a_dy,
                  conv_a_dx, conv_a_dw, conv_a_db, t);
        conv_case("depthwise d2 p2", b, conv_b_x, conv_b_w, NULL, conv_b_y, conv_b_dy, conv_b_dx,
                  conv_b_dw, NULL, t);
        conv_case("3x3 p1", c, conv_c_x, conv_c_w, conv_c_b, conv_c_y, conv_c_dy, conv_c_dx,
                  conv_c_dw, conv_c_db, t);
        conv_case("1x1 s2", d, conv_d_x, conv_d_w, NULL, conv_d_y, conv_d_dy, conv_d_dx,
                  conv_d_dw, NULL, t);
    }
}

static void test_bn(void)
{
    ar_bn_cfg_t c = {2, 1e-5f, 0.1f, 1, 0};
    ar_tensor_t x = view(bn_x, 3, 2, 3, 3), dy = view(bn_dy, 3, 2, 3, 3);
    ar_tensor_t y = zeros(3, 2, 3, 3), dx = zeros(3, 2, 3, 3), ye = zeros(3, 2, 3, 3);
    float rm[2], rv[2], sm[2], si[2], dg[2] = {0}, db[2] = {0};
    memcpy(rm, bn_rm0, sizeof rm), memcpy(rv, bn_rv0, sizeof rv);
    ar_bn_forward_train(&c, &x, bn_gamma, bn_beta, rm, rv, &y, sm, si);
    ar_bn_backward(&c, &x, bn_gamma, sm, si, NULL, &dy, &dx, dg, db);
    ar_bn_forward_eval(&c, &x, bn_gamma, bn_beta, rm, rv, &ye);
    double e;
    CHECK((e = maxerr(y.data, bn_y, 54)) < 1e-5, "bn y err %.3g", e);
    CHECK((e = maxerr(rm, bn_rm1, 2)) < 1e-6, "bn running_mean err %.3g", e);
    CHECK((e = maxerr(rv, bn_rv1, 2)) < 1e-6, "bn running_var (unbiased) err %.3g", e);
    CHECK((e = maxerr(dx.data, bn_dx, 54)) < 1e-5, "bn dx err %.3g", e);
    CHECK((e = maxerr(dg, bn_dgamma, 2)) < 1e-5, "bn dgamma err %.3g", e);
    CHECK((e = maxerr(db, bn_dbeta, 2)) < 1e-5, "bn dbeta err %.3g", e);
    CHECK((e = maxerr(ye.data, bn_yeval, 54)) < 1e-5, "bn eval y err %.3g", e);
    ar_tensor_free(&y), ar_tensor_free(&dx), ar_tensor_free(&ye);
}

static void test_pool(void)
{
    ar_pool_cfg_t mp = {3, 3, 2, 2, 1, 1, 0};
    ar_tensor_t x = view(mp_x, 1, 2, 7, 7), dy = view(mp_dy, 1, 2, 4, 4);
    ar_tensor_t y = zeros(1, 2, 4, 4), dx = zeros(1, 2, 7, 7);
    int32_t am[32];
    ar_maxpool2d_forward(&mp, &x, &y, am);
    ar_maxpool2d_backward(&mp, am, &dy, &dx);
    double e;
    CHECK((e = maxerr(y.data, mp_y, 32)) == 0.0, "maxpool y err %.3g", e);
    CHECK((e = maxerr(dx.data, mp_dx, 98)) < 1e-6, "maxpool ties: dx err %.3g", e);
    ar_tensor_free(&y), ar_tensor_free(&dx);
    for (int inc = 1; inc >= 0; inc--) {
        ar_pool_cfg_t ap = {3, 3, 2, 2, 1, 1, inc};
        const float *px = inc ? ap1_x : ap0_x, *py = inc ? ap1_y : ap0_y;
        const float *pdy = inc ? ap1_dy : ap0_dy, *pdx = inc ? ap1_dx : ap0_dx;
        ar_tensor_t xa = view(px, 2, 2, 7, 6), dya = view(pdy, 2, 2, 4, 3);
        ar_tensor_t ya = zeros(2, 2, 4, 3), dxa = zeros(2, 2, 7, 6);
        ar_avgpool2d_forward(&ap, &xa, &ya);
        ar_avgpool2d_backward(&ap, &dya, &dxa);
        CHECK((e = maxerr(ya.data, py, 48)) < 1e-6, "avgpool incl=%d y err %.3g", inc, e);
        CHECK((e = maxerr(dxa.data, pdx, 168)) < 1e-6, "avgpool incl=%d dx err %.3g", inc, e);
        ar_tensor_free(&ya), ar_tensor_free(&dxa);
    }
}

static void test_linear_xent(void)
{
    ar_tensor_t x = ar_tensor_2d(3, 4), dy = ar_tensor_2d(3, 5);
    x.data = (float *)lin_x, dy.data = (float *)lin_dy;
    ar_tensor_t y = ar_tensor_2d(3, 5), dx = ar_tensor_2d(3, 4);
    ar_tensor_alloc(&y), ar_tensor_alloc(&dx);
    float dw[20] = {0}, db[5] = {0};
    ar_linear_forward(&x, lin_w, lin_b, &y);
    ar_linear_backward(&x, lin_w, &dy, &dx, dw, db);
    double e;
    CHECK((e = maxerr(y.data, lin_y, 15)) < 1e-6, "linear y err %.3g", e);
    CHECK((e = maxerr(dx.data, lin_dx, 12)) < 1e-6, "linear dx err %.3g", e);
    CHECK((e = maxerr(dw, lin_dw, 20)) < 1e-6, "linear dw err %.3g", e);
    CHECK((e = maxerr(db, lin_db, 5)) < 1e-6, "linear db err %.3g", e);
    ar_tensor_t z = ar_tensor_2d(4, 5), dz = ar_tensor_2d(4, 5);
    z.data = (float *)xe_z;
    ar_tensor_alloc(&dz);
    double loss = ar_softmax_xent(&z, xe_labels, &dz, NULL);
    CHECK_NEAR(loss, xe_loss, 1e-6);
    CHECK((e = maxerr(dz.data, xe_dz, 20)) < 1e-6, "xent dlogits err %.3g", e);
    ar_tensor_free(&y), ar_tensor_free(&dx), ar_tensor_free(&dz);
}

int main(void)
{
    test_conv();
    test_bn();
    test_pool();
    test_linear_xent();
    TEST_MAIN_END();
}
