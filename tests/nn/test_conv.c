/* test_conv.c - ar_conv2d forward and backward against a naive double-
 * precision reference and its central finite differences, over every path
 * (depthwise plane and shifted-vector kernels, implicit GEMM with one or
 * several phase planes, im2col input gradient) and odd geometries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/tensor.h"
#include "nn/basic_ops.h"
#include "nn/conv.h"
#include "nn_testutil.h"

typedef struct {
    ar_conv_cfg_t c;
    int n, h, w, ho, wo;
    double *x, *wt, *b; /* b NULL: no bias */
    const double *r;    /* upstream gradient [n, cout, ho, wo] */
    double *y;
} conv_ref_t;

static size_t wt_size(const ar_conv_cfg_t *c)
{
    return (size_t)c->cout * (c->cin / c->groups) * c->kh * c->kw;
}

/* Calls fn(xi, wi, yi) for every contributing (input, weight, output). */
#define CONV_FOREACH(R, BODY)                                                               \
    do {                                                                                    \
        const ar_conv_cfg_t *c_ = &(R)->c;                                                  \
        const int cig_ = c_->cin / c_->groups, cog_ = c_->cout / c_->groups;                \
        for (int b_ = 0; b_ < (R)->n; b_++)                                                 \
            for (int o_ = 0; o_ < c_->cout; o_++)                                           \
                for (int oh_ = 0; oh_ < (R)->ho; oh_++)                                     \
                    for (int ow_ = 0; ow_ < (R)->wo; ow_++) {                               \
                        size_t yi = (((size_t)b_ * c_->cout + o_) * (R)->ho + oh_) * (R)->wo + ow_; \
                        (void)yi;                                                           \
                        for (int ci_ = 0; ci_ < cig_; ci_++)                                \
                            for (int i_ = 0; i_ < c_->kh; i_++)                             \
                                for (int j_ = 0; j_ < c_->kw; j_++) {                       \
                                    int ih_ = oh_ * c_->sh - c_->ph + i_ * c_->dh;          \
                                    int iw_ = ow_ * c_->sw - c_->pw + j_ * c_->dw;          \
                                    if (ih_ < 0 || ih_ >= (R)->h || iw_ < 0 || iw_ >= (R)->w) \
                                        continue;                                           \
                                    int cin_ = (o_ / cog_) * cig_ + ci_;                    \
                                    size_t xi = (((size_t)b_ * c_->cin + cin_) * (R)->h + ih_) * (R)->w + iw_; \
                                    size_t wi = (((size_t)o_ * cig_ + ci_) * c_->kh + i_) * c_->kw + j_; \
                                    BODY;                                                   \
                                }                                                           \
                    }                                                                       \
    } while (0)

static void ref_forward(conv_ref_t *R)
{
    const size_t ny = (size_t)R->n * R->c.cout * R->ho * R->wo;
    const size_t plane = (size_t)R->ho * R->wo;
    for (size_t i = 0; i < ny; i++)
        R->y[i] = R->b ? R->b[(i / plane) % R->c.cout] : 0.0;
    CONV_FOREACH(R, R->y[yi] += R->x[xi] * R->wt[wi]);
}

/* Analytic naive backward: dx, dw, db (zeroed here). */
static void ref_backward(conv_ref_t *R, double *dx, double *dw, double *db)
{
    const size_t ny = (size_t)R->n * R->c.cout * R->ho * R->wo;
    const size_t plane = (size_t)R->ho * R->wo;
    memset(dx, 0, sizeof(double) * R->n * R->c.cin * R->h * R->w);
    memset(dw, 0, sizeof(double) * wt_size(&R->c));
    memset(db, 0, sizeof(double) * R->c.cout);
    for (size_t i = 0; i < ny; i++)
        db[(i / plane) % R->c.cout] += R->r[i];
    CONV_FOREACH(R, {
        dx[xi] += R->r[yi] * R->wt[wi];
        dw[wi] += R->r[yi] * R->x[xi];
    });
}

static double ref_loss(void *ctx)
{
    conv_ref_t *R = ctx;
    ref_forward(R);
    const size_t ny = (size_t)R->n * R->c.cout * R->ho * R->wo;
    double s = 0.0;
    for (size_t i = 0; i < ny; i++)
        s += R->r[i] * R->y[i];
    return s;
}

/* One geometry: forward, backward (accumulating into pre-filled buffers),
 * then backward with some gradients NULL. fd: also finite differences. */
static void check_case(const char *name, ar_conv_cfg_t c, int n, int h, int w, int with_bias,
                       int fd, uint64_t seed)
{
    const int ho = ar_conv2d_out_h(&c, h), wo = ar_conv2d_out_w(&c, w);
    CHECK(ho > 0 && wo > 0, "%s: output size %dx%d", name, ho, wo);
    if (ho <= 0 || wo <= 0)
        return;
    ar_tensor_t x = ar_tensor_4d(n, c.cin, h, w), y = ar_tensor_4d(n, c.cout, ho, wo);
    ar_tensor_t dy = y, dx = x;
    ar_tensor_alloc(&x), ar_tensor_alloc(&y), ar_tensor_alloc(&dy), ar_tensor_alloc(&dx);
    const size_t nx = ar_tensor_numel(&x), ny = ar_tensor_numel(&y), nw = wt_size(&c);
    float *wt = malloc(nw * sizeof *wt), *b = malloc(c.cout * sizeof *b);
    float *dw = malloc(nw * sizeof *dw), *db = malloc(c.cout * sizeof *db);
    float *dx0 = malloc(nx * sizeof *dx0), *dw0 = malloc(nw * sizeof *dw0);
    float *db0 = malloc(c.cout * sizeof *db0);
    tu_fill(x.data, nx, seed, -1, 1);
    tu_fill(wt, nw, seed + 1, -1, 1);
    tu_fill(b, c.cout, seed + 2, -1, 1);
    tu_fill(dy.data, ny, seed + 3, -1, 1);
    tu_fill(dx0, nx, seed + 4, -1, 1);
    tu_fill(dw0, nw, seed + 5, -1, 1);
    tu_fill(db0, c.cout, seed + 6, -1, 1);
    for (size_t i = 0; i < ny; i++)
        y.data[i] = NAN; /* forward must overwrite every output */

    const size_t ns = ar_conv2d_scratch_floats(&c, n, h, w);
    float *scratch = ns ? malloc(ns * sizeof *scratch) : NULL;
    for (size_t i = 0; i < ns; i++)
        scratch[i] = NAN; /* the kernel must not read scratch it did not write */

    conv_ref_t R = {c, n, h, w, ho, wo, tu_to_double(x.data, nx), tu_to_double(wt, nw),
                    with_bias ? tu_to_double(b, c.cout) : NULL, tu_to_double(dy.data, ny),
                    malloc(ny * sizeof(double))};
    ar_conv2d_forward(&c, &x, wt, with_bias ? b : NULL, &y, scratch);
    ref_forward(&R);
    double e = tu_nerr(y.data, R.y, ny);
    CHECK(e < 1e-5, "%s: forward nerr %.3g", name, e);

    memcpy(dx.data, dx0, nx * sizeof(float));
    memcpy(dw, dw0, nw * sizeof(float));
    memcpy(db, db0, c.cout * sizeof(float));
    ar_conv2d_backward(&c, &x, wt, &dy, &dx, dw, with_bias ? db : NULL, scratch);

    double *gx = malloc(nx * sizeof *gx), *gw = malloc(nw * sizeof *gw);
    double *gb = malloc(c.cout * sizeof *gb);
    ref_backward(&R, gx, gw, gb);
    if (fd) {
        double *fx = malloc(nx * sizeof *fx), *fw = malloc(nw * sizeof *fw);
        double *fb = malloc(c.cout * sizeof *fb);
        tu_fd_grad(ref_loss, &R, R.x, nx, 1e-3, fx);
        tu_fd_grad(ref_loss, &R, R.wt, nw, 1e-3, fw);
        /* the naive analytic backward is itself pinned by the differences */
        double ea = 0.0, ez = 0.0;
        for (size_t i = 0; i < nx; i++)
            ea = fmax(ea, fabs(fx[i] - gx[i]));
        for (size_t i = 0; i < nw; i++)
            ez = fmax(ez, fabs(fw[i] - gw[i]));
        CHECK(ea < 1e-8 && ez < 1e-8, "%s: naive backward vs fd %.3g %.3g", name, ea, ez);
        memcpy(gx, fx, nx * sizeof *gx);
        memcpy(gw, fw, nw * sizeof *gw);
        if (with_bias) {
            tu_fd_grad(ref_loss, &R, R.b, c.cout, 1e-3, fb);
            memcpy(gb, fb, c.cout * sizeof *gb);
        }
        free(fx), free(fw), free(fb);
    }
    e = tu_nerr_added(dx.data, dx0, gx, nx);
    CHECK(e < 1e-4, "%s: dx nerr %.3g", name, e);
    e = tu_nerr_added(dw, dw0, gw, nw);
    CHECK(e < 1e-4, "%s: dw nerr %.3g", name, e);
    if (with_bias) {
        e = tu_nerr_added(db, db0, gb, c.cout);
        CHECK(e < 1e-4, "%s: db nerr %.3g", name, e);
    }

    /* only dw, then only dx: skipped gradients leave nothing behind */
    memcpy(dw, dw0, nw * sizeof(float));
    ar_conv2d_backward(&c, &x, wt, &dy, NULL, dw, NULL, scratch);
    e = tu_nerr_added(dw, dw0, gw, nw);
    CHECK(e < 1e-4, "%s: dw-only nerr %.3g", name, e);
    memcpy(dx.data, dx0, nx * sizeof(float));
    ar_conv2d_backward(&c, &x, wt, &dy, &dx, NULL, NULL, scratch);
    e = tu_nerr_added(dx.data, dx0, gx, nx);
    CHECK(e < 1e-4, "%s: dx-only nerr %.3g", name, e);

    free(gx), free(gw), free(gb);
    free(R.x), free(R.wt), free(R.b), free((void *)R.r), free(R.y);
    free(scratch), free(wt), free(b), free(dw), free(db), free(dx0), free(dw0), free(db0);
    ar_tensor_free(&x), ar_tensor_free(&y), ar_tensor_free(&dy), ar_tensor_free(&dx);
}

static ar_conv_cfg_t cfg(int cin, int cout, int kh, int kw, int s, int p, int d, int groups)
{
    ar_conv_cfg_t c = {cin, cout, kh, kw, s, s, p, p, d, d, groups, 1, 0};
    return c;
}

static void test_out_size(void)
{
    ar_conv_cfg_t c = cfg(1, 1, 3, 3, 2, 1, 1, 1);
    CHECK(ar_conv2d_out_h(&c, 7) == 4, "7, k3 s2 p1");
    CHECK(ar_conv2d_out_h(&c, 32) == 16, "32, k3 s2 p1");
    c = cfg(1, 1, 3, 3, 1, 0, 2, 1);
    CHECK(ar_conv2d_out_h(&c, 5) == 1, "5, k3 d2");
    CHECK(ar_conv2d_out_h(&c, 4) <= 0, "4, k3 d2 is invalid");
    c = cfg(1, 1, 5, 5, 1, 4, 2, 1);
    CHECK(ar_conv2d_out_w(&c, 8) == 8, "8, k5 p4 d2 keeps size");
}

/* Outputs and gradients are bitwise the same for any thread count. */
static void check_threads(const char *name, ar_conv_cfg_t c, int n, int h, int w, uint64_t seed)
{
    const int ho = ar_conv2d_out_h(&c, h), wo = ar_conv2d_out_w(&c, w);
    const size_t nx = (size_t)n * c.cin * h * w, ny = (size_t)n * c.cout * ho * wo;
    const size_t nw = wt_size(&c);
    float *ref[4] = {NULL}, *got[4] = {NULL};
    for (int run = 0; run < 2; run++) {
        c.threads = run == 0 ? 1 : 3;
        ar_tensor_t x = ar_tensor_4d(n, c.cin, h, w), y = ar_tensor_4d(n, c.cout, ho, wo);
        ar_tensor_t dy = y, dx = x;
        ar_tensor_alloc(&x), ar_tensor_alloc(&y), ar_tensor_alloc(&dy), ar_tensor_alloc(&dx);
        float *wt = malloc(nw * sizeof *wt), *dw = calloc(nw, sizeof *dw);
        float *db = calloc(c.cout, sizeof *db), *b = malloc(c.cout * sizeof *b);
        tu_fill(x.data, nx, seed, -1, 1), tu_fill(wt, nw, seed + 1, -1, 1);
        tu_fill(b, c.cout, seed + 2, -1, 1), tu_fill(dy.data, ny, seed + 3, -1, 1);
        const size_t ns = ar_conv2d_scratch_floats(&c, n, h, w);
        float *scratch = ns ? malloc(ns * sizeof *scratch) : NULL;
        ar_conv2d_forward(&c, &x, wt, b, &y, scratch);
        ar_conv2d_backward(&c, &x, wt, &dy, &dx, dw, db, scratch);
        float **dst = run == 0 ? ref : got;
        dst[0] = malloc(ny * sizeof(float)), memcpy(dst[0], y.data, ny * sizeof(float));
        dst[1] = malloc(nx * sizeof(float)), memcpy(dst[1], dx.data, nx * sizeof(float));
        dst[2] = dw, dst[3] = db;
        free(wt), free(b), free(scratch);
        ar_tensor_free(&x), ar_tensor_free(&y), ar_tensor_free(&dy), ar_tensor_free(&dx);
    }
    CHECK(memcmp(ref[0], got[0], ny * sizeof(float)) == 0, "%s: y depends on threads", name);
    CHECK(memcmp(ref[1], got[1], nx * sizeof(float)) == 0, "%s: dx depends on threads", name);
    CHECK(memcmp(ref[2], got[2], nw * sizeof(float)) == 0, "%s: dw depends on threads", name);
    CHECK(memcmp(ref[3], got[3], c.cout * sizeof(float)) == 0, "%s: db depends on threads", name);
    for (int i = 0; i < 4; i++)
        free(ref[i]), free(got[i]);
}

/* A scratch sized for batch n serves every smaller batch (conv.h), at any
 * thread count: ResNet shapes at batch 1..128, where the chunk size and the
 * number of weight-gradient partials per round vary with the batch. */
static void test_scratch_monotone(void)
{
    const ar_conv_cfg_t cs[] = {cfg(16, 16, 3, 3, 1, 1, 1, 1), cfg(64, 64, 3, 3, 1, 1, 1, 1),
                                cfg(32, 64, 3, 3, 2, 1, 1, 1), cfg(256, 256, 3, 3, 1, 1, 1, 1)};
    const int hw[] = {32, 16, 8, 4};
    int bad = 0;
    for (int t = 1; t <= 3; t++)
        for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++)
            for (size_t q = 0; q < sizeof hw / sizeof hw[0]; q++) {
                ar_conv_cfg_t c = cs[k];
                c.threads = t;
                size_t most = 0;
                for (int n = 1; n <= 128; n++) {
                    const size_t s = ar_conv2d_scratch_floats(&c, n, hw[q], hw[q]);
                    bad += s < most;
                    most = s > most ? s : most;
                }
            }
    CHECK(bad == 0, "scratch of a batch smaller than an earlier one is bigger (%d cases)", bad);
}

/* cfg.relu = 1 gives ar_relu_forward of the plain forward, bit for bit
 * (the fused store of a folded conv + BN + ReLU; plan.c), with and
 * without bias. */
static void check_relu(const char *name, ar_conv_cfg_t c, int n, int h, int w, uint64_t seed)
{
    const int ho = ar_conv2d_out_h(&c, h), wo = ar_conv2d_out_w(&c, w);
    const size_t nx = (size_t)n * c.cin * h * w, ny = (size_t)n * c.cout * ho * wo;
    const size_t nw = wt_size(&c);
    ar_tensor_t x = ar_tensor_4d(n, c.cin, h, w), y = ar_tensor_4d(n, c.cout, ho, wo), yr = y;
    ar_tensor_alloc(&x), ar_tensor_alloc(&y), ar_tensor_alloc(&yr);
    float *wt = malloc(nw * sizeof *wt), *b = malloc(c.cout * sizeof *b);
    tu_fill(x.data, nx, seed, -1, 1), tu_fill(wt, nw, seed + 1, -1, 1);
    tu_fill(b, c.cout, seed + 2, -1, 1);
    const size_t ns = ar_conv2d_scratch_floats(&c, n, h, w);
    float *scratch = ns ? malloc(ns * sizeof *scratch) : NULL;
    for (int bias = 0; bias < 2; bias++) {
        ar_conv_cfg_t cr = c;
        cr.relu = 1;
        ar_conv2d_forward(&c, &x, wt, bias ? b : NULL, &y, scratch);
        ar_relu_forward(&y, &y);
        ar_conv2d_forward(&cr, &x, wt, bias ? b : NULL, &yr, scratch);
        int neg = 0, pos = 0;
        for (size_t i = 0; i < ny; i++) neg += y.data[i] == 0.0f, pos += y.data[i] > 0.0f;
        CHECK(memcmp(y.data, yr.data, ny * sizeof(float)) == 0 && neg > 0 && pos > 0,
              "%s (bias %d): fused relu differs from conv then relu", name, bias);
    }
    free(wt), free(b), free(scratch);
    ar_tensor_free(&x), ar_tensor_free(&y), ar_tensor_free(&yr);
}

int main(void)
{
    test_scratch_monotone();
    test_out_size();
    /* gemm path, chunk of several images */
    check_case("3x3 s1 p1 bias", cfg(3, 4, 3, 3, 1, 1, 1, 1), 2, 7, 7, 1, 1, 11);
    check_case("3x3 s1 p0 batch1", cfg(2, 3, 3, 3, 1, 0, 1, 1), 1, 6, 5, 1, 1, 12);
    {
        ar_conv_cfg_t c = {4, 6, 3, 2, 2, 2, 0, 1, 1, 1, 1, 0, 0}; /* non-square, stride 2 odd */
        check_case("3x2 s2 p(0,1) nobias", c, 1, 9, 8, 0, 1, 13);
    }
    {
        ar_conv_cfg_t c = {3, 4, 2, 3, 2, 1, 1, 0, 1, 2, 1, 0, 0}; /* mixed stride/dilation */
        check_case("2x3 s(2,1) d(1,2)", c, 2, 7, 9, 1, 1, 14);
    }
    check_case("3x3 d2 p2 groups2", cfg(4, 6, 3, 3, 1, 2, 2, 2), 2, 9, 9, 1, 1, 15);
    check_case("3x3 s2 p1 groups2", cfg(4, 4, 3, 3, 2, 1, 1, 2), 2, 7, 7, 0, 1, 16);
    check_case("5x5 s2 p2", cfg(2, 3, 5, 5, 2, 2, 1, 1), 2, 9, 9, 1, 1, 17);
    /* wide strided planes: the vector column split (odd and even padding) */
    check_case("3x3 s2 p1 wide", cfg(3, 4, 3, 3, 2, 1, 1, 1), 2, 5, 37, 1, 1, 19);
    check_case("3x3 s2 p0 wide", cfg(3, 4, 3, 3, 2, 0, 1, 1), 1, 5, 36, 0, 1, 20);
    check_case("5x5 s2 p2 wide", cfg(2, 3, 5, 5, 2, 2, 1, 1), 1, 6, 48, 1, 1, 28);
    check_case("3x3 s2 p1 w16", cfg(3, 4, 3, 3, 2, 1, 1, 1), 2, 5, 16, 1, 1, 29);
    check_case("3x3 s2 p0 w11", cfg(3, 4, 3, 3, 2, 0, 1, 1), 2, 5, 11, 1, 1, 30);
    check_case("depthwise x2 multiplier", cfg(2, 4, 3, 3, 1, 1, 1, 2), 2, 6, 6, 1, 1, 18);
    /* depthwise kernel */
    check_case("depthwise 3x3 s2 p1", cfg(4, 4, 3, 3, 2, 1, 1, 4), 2, 9, 7, 1, 1, 21);
    check_case("depthwise 5x5 d2 p4", cfg(3, 3, 5, 5, 1, 4, 2, 3), 2, 8, 8, 0, 1, 22);
    check_case("depthwise 3x3 d2 p2 s2", cfg(3, 3, 3, 3, 2, 2, 2, 3), 1, 9, 9, 1, 1, 23);
    check_case("depthwise 3x3 p0 (valid)", cfg(3, 3, 3, 3, 1, 0, 1, 3), 2, 7, 6, 1, 1, 25);
    check_case("depthwise 3x3 p1 odd", cfg(2, 2, 3, 3, 1, 1, 1, 2), 2, 5, 7, 1, 1, 26);
    check_case("depthwise 5x5 p2 big plane", cfg(3, 3, 5, 5, 1, 2, 1, 3), 2, 19, 17, 1, 0, 27);
    {
        ar_conv_cfg_t c = {2, 2, 1, 3, 1, 2, 0, 1, 1, 1, 2, 0, 0};
        check_case("depthwise 1x3 s(1,2)", c, 2, 5, 8, 1, 1, 24);
    }
    /* 1x1: direct path (plane >= 256) and gemm path (small plane, stride) */
    check_case("1x1 direct", cfg(3, 5, 1, 1, 1, 0, 1, 1), 2, 16, 16, 1, 1, 31);
    check_case("1x1 direct groups2", cfg(6, 4, 1, 1, 1, 0, 1, 2), 1, 16, 17, 0, 1, 32);
    check_case("1x1 small plane", cfg(6, 4, 1, 1, 1, 0, 1, 1), 2, 5, 5, 1, 1, 33);
    check_case("1x1 s2", cfg(4, 8, 1, 1, 2, 0, 1, 1), 2, 9, 9, 0, 1, 34);
    /* 16 input channels per group: channel-last weight-gradient kernel */
    check_case("cl16 16-4 3x3", cfg(16, 4, 3, 3, 1, 1, 1, 1), 1, 5, 6, 1, 1, 38);
    check_case("cl16 16-16 3x3 chunks", cfg(16, 16, 3, 3, 1, 1, 1, 1), 40, 8, 8, 1, 0, 39);
    /* weight-gradient partials of 32x32x3x3 exceed one round: 2 rounds */
    check_case("32-32 rounds", cfg(32, 32, 3, 3, 1, 1, 1, 1), 30, 8, 8, 1, 0, 47);
    check_case("cl16 groups2 d2 5x5", cfg(32, 10, 5, 5, 1, 4, 2, 2), 3, 9, 8, 0, 0, 40);
    check_case("cl16 1x1 16-5", cfg(16, 5, 1, 1, 1, 0, 1, 1), 2, 7, 7, 1, 0, 46);
    check_case("cl16 s2 16-20", cfg(16, 20, 3, 3, 2, 1, 1, 1), 1, 7, 7, 1, 1, 48);
    check_case("cl16 s2 groups2 32-40", cfg(32, 40, 3, 3, 2, 1, 1, 2), 3, 9, 8, 0, 0, 49);
    {
        ar_conv_cfg_t c = {16, 32, 3, 3, 3, 2, 1, 1, 2, 1, 1, 0, 0}; /* mixed stride/dilation */
        check_case("cl16 s(3,2) d(2,1)", c, 2, 11, 10, 1, 0, 50);
    }
    /* wide layers (resnet18 shapes, small planes): stride-1 convs whose
     * plain layout drops >= 1/6 of the positions (4-wide planes) run on the
     * column-expanded layout (forward and stride-1 dx); chunks with a
     * remainder, strides, groups, dilation with over-padding */
    check_case("xw 64-64 3x3 5x4", cfg(64, 64, 3, 3, 1, 1, 1, 1), 2, 5, 4, 1, 0, 70);
    check_case("wide 64-72 s2", cfg(64, 72, 3, 3, 2, 1, 1, 1), 2, 7, 8, 0, 0, 71);
    check_case("wide groups2 1x1 s2", cfg(128, 128, 1, 1, 2, 0, 1, 2), 2, 6, 6, 1, 0, 72);
    check_case("xw chunks 64x4x4", cfg(64, 64, 3, 3, 1, 1, 1, 1), 90, 4, 4, 0, 0, 73);
    check_case("xw over-padded d2", cfg(64, 64, 3, 3, 1, 3, 2, 1), 1, 5, 3, 1, 0, 74);
    check_case("xw 5x3 d2 p(2,2)", cfg(4, 5, 5, 3, 1, 2, 2, 1), 2, 8, 8, 1, 1, 75);
    check_case("xw groups2 8x8 p0", cfg(8, 6, 3, 3, 1, 0, 1, 2), 3, 8, 7, 0, 1, 76);
    /* padding beyond (k-1)*dilation: dx phase by phase */
    check_case("1x1 p1 over-padded", cfg(3, 4, 1, 1, 1, 1, 1, 1), 2, 5, 6, 1, 1, 35);
    check_case("3x3 p3 over-padded", cfg(2, 3, 3, 3, 1, 3, 1, 1), 1, 5, 5, 1, 1, 36);
    check_case("3x3 s3 d2 p2", cfg(3, 4, 3, 3, 3, 2, 2, 1), 2, 11, 10, 1, 1, 37);
    /* many chunks with a remainder (2048 columns / 64 = 32 images per chunk),
     * and one image per chunk (plane > 2048 columns); analytic reference */
    check_case("chunks 32+3", cfg(8, 8, 3, 3, 1, 1, 1, 1), 35, 8, 8, 1, 0, 41);
    check_case("chunks 32+3 groups", cfg(8, 8, 3, 3, 1, 1, 1, 2), 35, 8, 8, 0, 0, 42);
    check_case("one image per chunk", cfg(2, 3, 3, 3, 1, 1, 1, 1), 3, 48, 50, 1, 0, 43);
    check_case("depthwise big", cfg(8, 8, 3, 3, 1, 1, 1, 8), 5, 20, 20, 1, 0, 44);
    check_case("1x1 direct big", cfg(16, 24, 1, 1, 1, 0, 1, 1), 4, 16, 16, 1, 0, 45);
    /* threaded runs: correct (vs the naive reference) and thread-independent */
    {
        ar_conv_cfg_t c = cfg(8, 8, 3, 3, 1, 1, 1, 1);
        c.threads = 2;
        check_case("threads 2 chunks", c, 35, 8, 8, 1, 0, 51);
        c = cfg(6, 4, 3, 3, 1, 2, 2, 2);
        c.threads = 3;
        check_case("threads 3 groups dilated", c, 9, 16, 16, 1, 0, 52);
        c = cfg(4, 4, 3, 3, 2, 1, 1, 4);
        c.threads = 2;
        check_case("threads 2 depthwise", c, 3, 9, 9, 1, 0, 53);
    }
    check_threads("implicit", cfg(8, 8, 3, 3, 1, 1, 1, 1), 35, 8, 8, 61);
    check_threads("implicit 32x32", cfg(3, 8, 3, 3, 1, 1, 1, 1), 5, 32, 32, 62);
    check_threads("depthwise", cfg(6, 6, 3, 3, 1, 1, 1, 6), 4, 9, 9, 63);
    check_threads("strided", cfg(4, 6, 3, 3, 2, 1, 1, 1), 35, 9, 9, 64);
    check_threads("rounds", cfg(32, 32, 3, 3, 1, 1, 1, 1), 60, 8, 8, 65);
    /* 9 chunks of 7 images, partials for 7 per round: rounds of 7 with 1
     * thread, of 6 (a multiple of the threads) with 3 */
    check_threads("rounds 16x16", cfg(64, 64, 3, 3, 1, 1, 1, 1), 60, 16, 16, 68);
    check_threads("xw 4x4", cfg(64, 64, 3, 3, 1, 1, 1, 1), 90, 4, 4, 66);
    check_threads("wide strided", cfg(64, 64, 3, 3, 2, 1, 1, 1), 20, 8, 8, 67);
    check_relu("relu 3x3", cfg(8, 8, 3, 3, 1, 1, 1, 1), 5, 8, 8, 80);
    check_relu("relu strided", cfg(4, 6, 3, 3, 2, 1, 1, 1), 3, 9, 9, 81);
    check_relu("relu 1x1", cfg(3, 5, 1, 1, 1, 0, 1, 1), 2, 16, 16, 82);
    check_relu("relu xw 4x4", cfg(64, 64, 3, 3, 1, 1, 1, 1), 6, 4, 4, 83);
    check_relu("relu depthwise", cfg(6, 6, 3, 3, 1, 1, 1, 6), 4, 9, 9, 84);
    check_relu("relu depthwise big", cfg(8, 8, 3, 3, 1, 1, 1, 8), 3, 20, 20, 85);
    TEST_MAIN_END();
}
