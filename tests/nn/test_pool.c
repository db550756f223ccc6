/* test_pool.c - max / average / global-average pooling against naive
 * double-precision references and finite differences: padding, stride,
 * odd sizes, non-square windows, floor-mode output sizes, both
 * count_include_pad modes, and PyTorch's tie rule (first maximum wins). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/tensor.h"
#include "nn/pool.h"
#include "nn_testutil.h"

typedef struct {
    ar_pool_cfg_t c;
    int is_max;
    int planes, h, w, ho, wo;
    double *x;
    const double *r;
    double *y;
} pool_ref_t;

static void ref_forward(pool_ref_t *R)
{
    const ar_pool_cfg_t *c = &R->c;
    for (int pl = 0; pl < R->planes; pl++)
        for (int oh = 0; oh < R->ho; oh++)
            for (int ow = 0; ow < R->wo; ow++) {
                double m = -INFINITY, s = 0.0;
                int inside = 0;
                for (int i = 0; i < c->kh; i++)
                    for (int j = 0; j < c->kw; j++) {
                        int ih = oh * c->sh - c->ph + i, iw = ow * c->sw - c->pw + j;
                        if (ih < 0 || ih >= R->h || iw < 0 || iw >= R->w)
                            continue;
                        double v = R->x[((size_t)pl * R->h + ih) * R->w + iw];
                        m = v > m ? v : m;
                        s += v;
                        inside++;
                    }
                double out = R->is_max ? m : s / (c->count_include_pad ? c->kh * c->kw : inside);
                R->y[((size_t)pl * R->ho + oh) * R->wo + ow] = out;
            }
}

static double ref_loss(void *ctx)
{
    pool_ref_t *R = ctx;
    ref_forward(R);
    double s = 0.0;
    for (size_t i = 0; i < (size_t)R->planes * R->ho * R->wo; i++)
        s += R->r[i] * R->y[i];
    return s;
}

static void check_case(const char *name, ar_pool_cfg_t c, int is_max, int n, int C, int h, int w,
                       uint64_t seed)
{
    const int ho = ar_pool_out_h(&c, h), wo = ar_pool_out_w(&c, w);
    CHECK(ho > 0 && wo > 0, "%s: output size", name);
    if (ho <= 0 || wo <= 0)
        return;
    ar_tensor_t x = ar_tensor_4d(n, C, h, w), y = ar_tensor_4d(n, C, ho, wo), dy = y, dx = x;
    ar_tensor_alloc(&x), ar_tensor_alloc(&y), ar_tensor_alloc(&dy), ar_tensor_alloc(&dx);
    const size_t nx = ar_tensor_numel(&x), ny = ar_tensor_numel(&y);
    int32_t *am = malloc(ny * sizeof *am);
    float *dx0 = malloc(nx * sizeof *dx0);
    tu_fill(x.data, nx, seed, -1, 1);
    tu_fill(dy.data, ny, seed + 1, -1, 1);
    tu_fill(dx0, nx, seed + 2, -1, 1);
    memcpy(dx.data, dx0, nx * sizeof(float));
    pool_ref_t R = {c, is_max, n * C, h, w, ho, wo, tu_to_double(x.data, nx),
                    tu_to_double(dy.data, ny), malloc(ny * sizeof(double))};
    if (is_max) {
        ar_maxpool2d_forward(&c, &x, &y, am);
        ar_maxpool2d_backward(&c, am, &dy, &dx);
    } else {
        ar_avgpool2d_forward(&c, &x, &y);
        ar_avgpool2d_backward(&c, &dy, &dx);
    }
    ref_forward(&R);
    double e = tu_nerr(y.data, R.y, ny);
    CHECK(e < 1e-6, "%s: forward nerr %.3g", name, e);
    double *fx = malloc(nx * sizeof *fx);
    tu_fd_grad(ref_loss, &R, R.x, nx, 1e-7, fx);
    e = tu_nerr_added(dx.data, dx0, fx, nx);
    CHECK(e < 1e-4, "%s: dx nerr %.3g", name, e);
    if (is_max) {
        /* inference call without argmax gives the same values */
        ar_tensor_t y2 = y;
        ar_tensor_alloc(&y2);
        ar_maxpool2d_forward(&c, &x, &y2, NULL);
        CHECK(memcmp(y2.data, y.data, ny * sizeof(float)) == 0, "%s: NULL argmax differs", name);
        ar_tensor_free(&y2);
    }
    free(fx), free(am), free(dx0), free(R.x), free((void *)R.r), free(R.y);
    ar_tensor_free(&x), ar_tensor_free(&y), ar_tensor_free(&dy), ar_tensor_free(&dx);
}

static ar_pool_cfg_t pcfg(int kh, int kw, int sh, int sw, int ph, int pw, int cip)
{
    ar_pool_cfg_t c = {kh, kw, sh, sw, ph, pw, cip};
    return c;
}

static void test_sizes(void)
{
    ar_pool_cfg_t c = pcfg(3, 3, 2, 2, 1, 1, 1);
    CHECK(ar_pool_out_h(&c, 7) == 4, "7 k3 s2 p1 -> 4");
    CHECK(ar_pool_out_h(&c, 8) == 4, "8 k3 s2 p1 -> 4 (floor)");
    c = pcfg(2, 2, 2, 2, 0, 0, 1);
    CHECK(ar_pool_out_w(&c, 7) == 3, "7 k2 s2 -> 3 (floor)");
    c = pcfg(2, 2, 2, 2, 2, 2, 1);
    CHECK(ar_pool_out_h(&c, 7) <= 0, "padding over half the window is invalid");
    c = pcfg(5, 5, 1, 1, 0, 0, 1);
    CHECK(ar_pool_out_h(&c, 4) <= 0, "window larger than input is invalid");
}

/* Ties: the first maximum in window order wins, as PyTorch. Gradient goes
 * to that one element only. */
static void test_ties(void)
{
    ar_pool_cfg_t c = pcfg(2, 2, 2, 2, 0, 0, 0);
    ar_tensor_t x = ar_tensor_4d(1, 1, 2, 4), y = ar_tensor_4d(1, 1, 1, 2), dy = y, dx = x;
    ar_tensor_alloc(&x), ar_tensor_alloc(&y), ar_tensor_alloc(&dy), ar_tensor_alloc(&dx);
    const float v[8] = {1, 3, 5, 0, /**/ 3, 3, 5, 5};
    memcpy(x.data, v, sizeof v);
    int32_t am[2];
    ar_maxpool2d_forward(&c, &x, &y, am);
    CHECK(y.data[0] == 3 && y.data[1] == 5, "tie values %g %g", y.data[0], y.data[1]);
    CHECK(am[0] == 1 && am[1] == 2, "tie argmax %d %d (want 1 2)", am[0], am[1]);
    dy.data[0] = 1, dy.data[1] = 2;
    ar_maxpool2d_backward(&c, am, &dy, &dx);
    const float want[8] = {0, 1, 2, 0, 0, 0, 0, 0};
    CHECK(memcmp(dx.data, want, sizeof want) == 0, "tie gradient goes to the first maximum");
    /* all-equal window with padding: the first in-bounds element wins */
    ar_pool_cfg_t cp = pcfg(3, 3, 2, 2, 1, 1, 0);
    ar_tensor_t x2 = ar_tensor_4d(1, 1, 3, 3), y2 = ar_tensor_4d(1, 1, 2, 2);
    ar_tensor_alloc(&x2), ar_tensor_alloc(&y2);
    for (int i = 0; i < 9; i++)
        x2.data[i] = -7.0f;
    int32_t am2[4];
    ar_maxpool2d_forward(&cp, &x2, &y2, am2);
    CHECK(am2[0] == 0 && am2[1] == 1 && am2[2] == 3 && am2[3] == 4, "padded ties %d %d %d %d",
          am2[0], am2[1], am2[2], am2[3]);
    CHECK(y2.data[0] == -7.0f, "padding is -inf, not 0: got %g", y2.data[0]);
    ar_tensor_free(&x), ar_tensor_free(&y), ar_tensor_free(&dy), ar_tensor_free(&dx);
    ar_tensor_free(&x2), ar_tensor_free(&y2);
}

static void test_global(void)
{
    const int n = 2, C = 3, h = 5, w = 7;
    ar_tensor_t x = ar_tensor_4d(n, C, h, w), y = ar_tensor_2d(n, C), dy = y, dx = x;
    ar_tensor_alloc(&x), ar_tensor_alloc(&y), ar_tensor_alloc(&dy), ar_tensor_alloc(&dx);
    tu_fill(x.data, ar_tensor_numel(&x), 5, -1, 1);
    tu_fill(dy.data, n * C, 6, -1, 1);
    ar_global_avgpool_forward(&x, &y);
    ar_global_avgpool_backward(&dy, &dx);
    double maxe = 0.0, maxg = 0.0;
    for (int pl = 0; pl < n * C; pl++) {
        double s = 0.0;
        for (int p = 0; p < h * w; p++) {
            s += x.data[pl * h * w + p];
            maxg = fmax(maxg, fabs(dx.data[pl * h * w + p] - dy.data[pl] / (h * w)));
        }
        maxe = fmax(maxe, fabs(y.data[pl] - s / (h * w)));
    }
    CHECK(maxe < 1e-6 && maxg < 1e-7, "global avgpool: forward %.3g backward %.3g", maxe, maxg);
    /* 32 x 32 planes exercise the vector lanes */
    ar_tensor_t xb = ar_tensor_4d(1, 2, 32, 32), yb = ar_tensor_2d(1, 2);
    ar_tensor_alloc(&xb), ar_tensor_alloc(&yb);
    tu_fill(xb.data, 2048, 7, 0, 1);
    ar_global_avgpool_forward(&xb, &yb);
    for (int pl = 0; pl < 2; pl++) {
        double s = 0.0;
        for (int p = 0; p < 1024; p++)
            s += xb.data[pl * 1024 + p];
        CHECK_NEAR(yb.data[pl], s / 1024, 1e-6);
    }
    ar_tensor_free(&x), ar_tensor_free(&y), ar_tensor_free(&dy), ar_tensor_free(&dx);
    ar_tensor_free(&xb), ar_tensor_free(&yb);
}

int main(void)
{
    test_sizes();
    test_ties();
    test_global();
    check_case("max 3x3 s2 p1 odd", pcfg(3, 3, 2, 2, 1, 1, 0), 1, 2, 3, 7, 9, 1);
    check_case("max 2x2 s2 p0 floor", pcfg(2, 2, 2, 2, 0, 0, 0), 1, 1, 2, 7, 7, 2);
    check_case("max 3x3 s1 p1", pcfg(3, 3, 1, 1, 1, 1, 0), 1, 2, 2, 6, 5, 3);
    check_case("max 3x2 s(2,1) p(1,0)", pcfg(3, 2, 2, 1, 1, 0, 0), 1, 1, 3, 8, 6, 4);
    check_case("avg 3x3 s1 p1 incl", pcfg(3, 3, 1, 1, 1, 1, 1), 0, 2, 2, 6, 5, 5);
    check_case("avg 3x3 s1 p1 excl", pcfg(3, 3, 1, 1, 1, 1, 0), 0, 2, 2, 6, 5, 6);
    check_case("avg 3x3 s2 p1 incl odd", pcfg(3, 3, 2, 2, 1, 1, 1), 0, 1, 3, 9, 7, 7);
    check_case("avg 3x3 s2 p1 excl odd", pcfg(3, 3, 2, 2, 1, 1, 0), 0, 1, 3, 9, 7, 8);
    check_case("avg 2x2 s2 p0", pcfg(2, 2, 2, 2, 0, 0, 1), 0, 2, 2, 7, 8, 9);
    check_case("avg 5x3 s(1,2) p(2,1) excl", pcfg(5, 3, 1, 2, 2, 1, 0), 0, 1, 2, 7, 7, 10);
    TEST_MAIN_END();
}
