/* test_bn.c - batch normalisation: train forward, running-stat update
 * (momentum, unbiased variance), backward against finite differences of a
 * double-precision reference, eval, the ReLU fused in (train and eval), in-place
 * use, folding into the preceding convolution, and the same bits for any
 * thread count. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/tensor.h"
#include "nn/basic_ops.h"
#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn_testutil.h"

typedef struct {
    int n, C, hw;
    double eps;
    double *x, *g, *b; /* g, b NULL: no affine */
    const double *r;
    double *y, *mean, *var; /* var: biased */
} bn_ref_t;

static void ref_train(bn_ref_t *R)
{
    const double M = (double)R->n * R->hw;
    for (int k = 0; k < R->C; k++) {
        double s = 0.0, ss = 0.0;
        for (int i = 0; i < R->n; i++)
            for (int p = 0; p < R->hw; p++)
                s += R->x[((size_t)i * R->C + k) * R->hw + p];
        const double m = s / M;
        for (int i = 0; i < R->n; i++)
            for (int p = 0; p < R->hw; p++) {
                double d = R->x[((size_t)i * R->C + k) * R->hw + p] - m;
                ss += d * d;
            }
        R->mean[k] = m;
        R->var[k] = ss / M;
        const double inv = 1.0 / sqrt(R->var[k] + R->eps);
        for (int i = 0; i < R->n; i++)
            for (int p = 0; p < R->hw; p++) {
                size_t q = ((size_t)i * R->C + k) * R->hw + p;
                R->y[q] = (R->x[q] - m) * inv * (R->g ? R->g[k] : 1.0) + (R->b ? R->b[k] : 0.0);
            }
    }
}

static double ref_loss(void *ctx)
{
    bn_ref_t *R = ctx;
    ref_train(R);
    double s = 0.0;
    for (size_t i = 0; i < (size_t)R->n * R->C * R->hw; i++)
        s += R->r[i] * R->y[i];
    return s;
}

static void check_train(const char *name, int n, int C, int h, int w, int affine, float momentum,
                        float offset, uint64_t seed)
{
    ar_bn_cfg_t c = {C, 1e-5f, momentum, 1, 0};
    ar_tensor_t x = ar_tensor_4d(n, C, h, w), y = x, dy = x, dx = x;
    ar_tensor_alloc(&x), ar_tensor_alloc(&y), ar_tensor_alloc(&dy), ar_tensor_alloc(&dx);
    const size_t nx = ar_tensor_numel(&x);
    float g[16], b[16], rm[16], rv[16], rm0[16], rv0[16], sm[16], si[16];
    float dg[16], db[16], dg0[16], db0[16];
    float *dx0 = malloc(nx * sizeof *dx0);
    tu_fill(x.data, nx, seed, offset - 2.0f, offset + 2.0f);
    tu_fill(g, C, seed + 1, 0.5f, 1.5f);
    tu_fill(b, C, seed + 2, -1, 1);
    tu_fill(rm0, C, seed + 3, -1, 1);
    tu_fill(rv0, C, seed + 4, 0.5f, 2.0f);
    tu_fill(dy.data, nx, seed + 5, -1, 1);
    tu_fill(dx0, nx, seed + 6, -1, 1);
    tu_fill(dg0, C, seed + 7, -1, 1);
    tu_fill(db0, C, seed + 8, -1, 1);
    memcpy(rm, rm0, sizeof rm), memcpy(rv, rv0, sizeof rv);

    ar_bn_forward_train(&c, &x, affine ? g : NULL, affine ? b : NULL, rm, rv, &y, sm, si);
    const int hw = h * w;
    bn_ref_t R = {n, C, hw, 1e-5, tu_to_double(x.data, nx), affine ? tu_to_double(g, C) : NULL,
                  affine ? tu_to_double(b, C) : NULL, tu_to_double(dy.data, nx),
                  malloc(nx * sizeof(double)), malloc(C * sizeof(double)),
                  malloc(C * sizeof(double))};
    ref_train(&R);
    double e = tu_nerr(y.data, R.y, nx);
    CHECK(e < 1e-5, "%s: forward nerr %.3g", name, e);
    const double M = (double)n * hw;
    for (int k = 0; k < C; k++) {
        CHECK_NEAR(sm[k], R.mean[k], 1e-5);
        CHECK_NEAR(si[k], 1.0 / sqrt(R.var[k] + 1e-5), 1e-4);
        CHECK_NEAR(rm[k], (1.0 - momentum) * rm0[k] + momentum * R.mean[k], 1e-5);
        CHECK_NEAR(rv[k], (1.0 - momentum) * rv0[k] + momentum * R.var[k] * M / (M - 1.0), 1e-5);
    }

    /* in place gives the same output */
    ar_tensor_t z = x;
    ar_tensor_alloc(&z);
    memcpy(z.data, x.data, nx * sizeof(float));
    ar_bn_forward_train(&c, &z, affine ? g : NULL, affine ? b : NULL, NULL, NULL, &z, NULL, NULL);
    CHECK(memcmp(z.data, y.data, nx * sizeof(float)) == 0, "%s: in-place differs", name);
    ar_tensor_free(&z);

    memcpy(dx.data, dx0, nx * sizeof(float));
    memcpy(dg, dg0, sizeof dg), memcpy(db, db0, sizeof db);
    ar_bn_backward(&c, &x, affine ? g : NULL, sm, si, NULL, &dy, &dx, affine ? dg : NULL,
                   affine ? db : NULL);
    double *fx = malloc(nx * sizeof *fx), fg[16], fb[16];
    tu_fd_grad(ref_loss, &R, R.x, nx, 1e-5 * (1.0 + fabs(offset)), fx);
    e = tu_nerr_added(dx.data, dx0, fx, nx);
    CHECK(e < 1e-3 && (offset != 0.0f || e < 1e-4), "%s: dx nerr %.3g", name, e);
    if (affine) {
        tu_fd_grad(ref_loss, &R, R.g, C, 1e-5, fg);
        tu_fd_grad(ref_loss, &R, R.b, C, 1e-5, fb);
        e = tu_nerr_added(dg, dg0, fg, C);
        CHECK(e < 1e-4, "%s: dgamma nerr %.3g", name, e);
        e = tu_nerr_added(db, db0, fb, C);
        CHECK(e < 1e-4, "%s: dbeta nerr %.3g", name, e);
        /* dx only */
        memcpy(dx.data, dx0, nx * sizeof(float));
        ar_bn_backward(&c, &x, g, sm, si, NULL, &dy, &dx, NULL, NULL);
        e = tu_nerr_added(dx.data, dx0, fx, nx);
        CHECK(e < 1e-3, "%s: dx-only nerr %.3g", name, e);
        /* parameters only */
        memcpy(dg, dg0, sizeof dg);
        ar_bn_backward(&c, &x, g, sm, si, NULL, &dy, NULL, dg, NULL);
        e = tu_nerr_added(dg, dg0, fg, C);
        CHECK(e < 1e-4, "%s: dgamma-only nerr %.3g", name, e);
    }
    free(fx), free(dx0);
    free(R.x), free(R.g), free(R.b), free((void *)R.r), free(R.y), free(R.mean), free(R.var);
    ar_tensor_free(&x), ar_tensor_free(&y), ar_tensor_free(&dy), ar_tensor_free(&dx);
}

static void check_eval(int affine, uint64_t seed)
{
    const int n = 3, C = 4, h = 5, w = 6;
    ar_bn_cfg_t c = {C, 1e-3f, 0.1f, 1, 0};
    ar_tensor_t x = ar_tensor_4d(n, C, h, w), y = x, yr = x;
    ar_tensor_alloc(&x), ar_tensor_alloc(&y), ar_tensor_alloc(&yr);
    const size_t nx = ar_tensor_numel(&x);
    float g[4], b[4], rm[4], rv[4];
    tu_fill(x.data, nx, seed, -2, 2);
    tu_fill(g, C, seed + 1, -1.5f, 1.5f);
    tu_fill(b, C, seed + 2, -1, 1);
    tu_fill(rm, C, seed + 3, -1, 1);
    tu_fill(rv, C, seed + 4, 0.2f, 2.0f);
    const float *gp = affine ? g : NULL, *bp = affine ? b : NULL;
    ar_bn_cfg_t cr = c;
    cr.relu = 1;
    ar_bn_forward_eval(&c, &x, gp, bp, rm, rv, &y);
    ar_bn_forward_eval(&cr, &x, gp, bp, rm, rv, &yr);
    double *ref = malloc(nx * sizeof *ref), *refr = malloc(nx * sizeof *refr);
    for (size_t i = 0; i < nx; i++) {
        int k = (int)((i / (h * w)) % C);
        ref[i] = (x.data[i] - (double)rm[k]) / sqrt((double)rv[k] + 1e-3) * (affine ? g[k] : 1.0) +
                 (affine ? b[k] : 0.0);
        refr[i] = ref[i] > 0.0 ? ref[i] : 0.0;
    }
    double e = tu_nerr(y.data, ref, nx), er = tu_nerr(yr.data, refr, nx);
    CHECK(e < 1e-6 && er < 1e-6, "eval affine=%d: nerr %.3g, relu %.3g", affine, e, er);
    /* in place */
    ar_bn_forward_eval(&cr, &x, gp, bp, rm, rv, &x);
    CHECK(memcmp(x.data, yr.data, nx * sizeof(float)) == 0, "eval relu in place differs");
    free(ref), free(refr);
    ar_tensor_free(&x), ar_tensor_free(&y), ar_tensor_free(&yr);
}

/* conv (+bias) then eval BN equals the folded conv. */
static void check_fold(int conv_bias, uint64_t seed)
{
    ar_conv_cfg_t cc = {3, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0};
    ar_bn_cfg_t bc = {4, 1e-5f, 0.1f, 1, 0};
    const int n = 2, h = 6, w = 6, wsz = 3 * 3 * 3;
    ar_tensor_t x = ar_tensor_4d(n, 3, h, w), y = ar_tensor_4d(n, 4, h, w), yf = y;
    ar_tensor_alloc(&x), ar_tensor_alloc(&y), ar_tensor_alloc(&yf);
    float wt[4 * 27], bias[4] = {0}, g[4], b[4], rm[4], rv[4];
    tu_fill(x.data, ar_tensor_numel(&x), seed, -1, 1);
    tu_fill(wt, 4 * 27, seed + 1, -1, 1);
    if (conv_bias)
        tu_fill(bias, 4, seed + 2, -1, 1);
    tu_fill(g, 4, seed + 3, 0.5f, 1.5f);
    tu_fill(b, 4, seed + 4, -1, 1);
    tu_fill(rm, 4, seed + 5, -1, 1);
    tu_fill(rv, 4, seed + 6, 0.5f, 2.0f);
    float *scratch = malloc(ar_conv2d_scratch_floats(&cc, n, h, w) * sizeof(float) + 4);
    ar_conv2d_forward(&cc, &x, wt, conv_bias ? bias : NULL, &y, scratch);
    ar_bn_forward_eval(&bc, &y, g, b, rm, rv, &y);
    ar_bn_fold_into_conv(&bc, g, b, rm, rv, wt, wsz, bias);
    ar_conv2d_forward(&cc, &x, wt, bias, &yf, scratch);
    double *ref = tu_to_double(y.data, ar_tensor_numel(&y));
    double e = tu_nerr(yf.data, ref, ar_tensor_numel(&y));
    CHECK(e < 1e-6, "fold (conv bias %d): nerr %.3g", conv_bias, e);
    free(ref), free(scratch);
    ar_tensor_free(&x), ar_tensor_free(&y), ar_tensor_free(&yf);
}

/* Train forward, backward and eval give the same bits with 1 and 3 threads
 * (16 images of 32x32: 2 channels per thread run, so 3 threads split). */
static void check_threads(uint64_t seed)
{
    const int n = 16, C = 7, h = 32, w = 32;
    const size_t nx = (size_t)n * C * h * w;
    float *ref[8] = {NULL}, *got[8] = {NULL};
    float g[7], b[7];
    tu_fill(g, C, seed + 1, 0.5f, 1.5f);
    tu_fill(b, C, seed + 2, -1, 1);
    for (int run = 0; run < 2; run++) {
        ar_bn_cfg_t c = {C, 1e-5f, 0.1f, run == 0 ? 1 : 3, 0};
        ar_tensor_t x = ar_tensor_4d(n, C, h, w), y = x, dy = x, dx = x, ye = x;
        ar_tensor_alloc(&x), ar_tensor_alloc(&y), ar_tensor_alloc(&dy), ar_tensor_alloc(&dx);
        ar_tensor_alloc(&ye);
        tu_fill(x.data, nx, seed, -2, 3), tu_fill(dy.data, nx, seed + 3, -1, 1);
        memset(dx.data, 0, nx * sizeof(float));
        float **d = run == 0 ? ref : got;
        for (int i = 2; i < 8; i++)
            d[i] = calloc(C, sizeof(float)); /* mean, invstd, dgamma, rmean, rvar, dbeta */
        for (int k = 0; k < C; k++)
            d[5][k] = 0.5f, d[6][k] = 2.0f; /* running mean, var */
        ar_bn_forward_train(&c, &x, g, b, d[5], d[6], &y, d[2], d[3]);
        ar_bn_backward(&c, &x, g, d[2], d[3], NULL, &dy, &dx, d[4], d[7]);
        ar_bn_cfg_t cr = c;
        cr.relu = 1;
        ar_bn_forward_eval(&cr, &x, g, b, d[5], d[6], &ye);
        d[0] = malloc(3 * nx * sizeof(float));
        memcpy(d[0], y.data, nx * sizeof(float));
        memcpy(d[0] + nx, dx.data, nx * sizeof(float));
        memcpy(d[0] + 2 * nx, ye.data, nx * sizeof(float));
        ar_tensor_free(&x), ar_tensor_free(&y), ar_tensor_free(&dy), ar_tensor_free(&dx);
        ar_tensor_free(&ye);
    }
    CHECK(memcmp(ref[0], got[0], 3 * nx * sizeof(float)) == 0,
          "threads: y, dx or eval y depend on the thread count");
    int same = 1;
    for (int i = 2; i < 8; i++)
        same &= memcmp(ref[i], got[i], C * sizeof(float)) == 0;
    CHECK(same, "threads: statistics, running statistics, dgamma or dbeta depend on the thread count");
    for (int i = 0; i < 8; i++)
        free(ref[i]), free(got[i]);
}

/* BN with the ReLU fused in (cfg.relu) gives the same bits as BN, then
 * ar_relu_forward, and backward from the ReLU output's gradient through
 * ar_relu_backward, then BN: train forward and backward (any thread count),
 * eval forward. */
static void check_fused_relu(int affine, int threads, uint64_t seed)
{
    const int n = 3, C = 5, h = 7, w = 9;
    ar_bn_cfg_t c = {C, 1e-5f, 0.1f, threads, 0}, cr = c;
    cr.relu = 1;
    ar_tensor_t x = ar_tensor_4d(n, C, h, w), y = x, yr = x, yf = x, dyr = x, dbn = x, dx = x,
                dxf = x;
    ar_tensor_t *all[] = {&x, &y, &yr, &yf, &dyr, &dbn, &dx, &dxf};
    for (int i = 0; i < 8; i++) ar_tensor_alloc(all[i]);
    const size_t nx = ar_tensor_numel(&x);
    float g[5], b[5], sm[5], si[5], smf[5], sif[5], rm[5] = {0}, rv[5] = {1, 1, 1, 1, 1};
    float rmf[5] = {0}, rvf[5] = {1, 1, 1, 1, 1}, dg[5] = {0}, db[5] = {0}, dgf[5] = {0},
          dbf[5] = {0};
    tu_fill(x.data, nx, seed, -2, 2);
    tu_fill(dyr.data, nx, seed + 1, -1, 1);
    tu_fill(g, C, seed + 2, -1.5f, 1.5f);
    tu_fill(b, C, seed + 3, -1, 1);
    const float *gp = affine ? g : NULL, *bp = affine ? b : NULL;
    /* unfused */
    ar_bn_forward_train(&c, &x, gp, bp, rm, rv, &y, sm, si);
    ar_relu_forward(&y, &yr);
    memset(dbn.data, 0, nx * sizeof(float));
    ar_relu_backward(&yr, &dyr, &dbn);
    memset(dx.data, 0, nx * sizeof(float));
    ar_bn_backward(&c, &x, gp, sm, si, NULL, &dbn, &dx, affine ? dg : NULL, affine ? db : NULL);
    /* fused */
    ar_bn_forward_train(&cr, &x, gp, bp, rmf, rvf, &yf, smf, sif);
    memset(dxf.data, 0, nx * sizeof(float));
    ar_bn_backward(&cr, &x, gp, smf, sif, &yf, &dyr, &dxf, affine ? dgf : NULL,
                   affine ? dbf : NULL);
    CHECK(memcmp(yf.data, yr.data, nx * sizeof(float)) == 0 &&
              memcmp(rmf, rm, sizeof rm) == 0 && memcmp(rvf, rv, sizeof rv) == 0,
          "fused relu affine=%d threads=%d: train forward differs", affine, threads);
    CHECK(memcmp(dxf.data, dx.data, nx * sizeof(float)) == 0 && memcmp(dgf, dg, sizeof dg) == 0 &&
              memcmp(dbf, db, sizeof db) == 0,
          "fused relu affine=%d threads=%d: backward differs", affine, threads);
    ar_bn_forward_eval(&c, &x, gp, bp, rm, rv, &y);
    ar_relu_forward(&y, &yr);
    ar_bn_forward_eval(&cr, &x, gp, bp, rm, rv, &yf);
    CHECK(memcmp(yf.data, yr.data, nx * sizeof(float)) == 0,
          "fused relu affine=%d threads=%d: eval forward differs", affine, threads);
    for (int i = 0; i < 8; i++) ar_tensor_free(all[i]);
}

int main(void)
{
    check_train("affine 4x3x5x5", 4, 3, 5, 5, 1, 0.1f, 0.0f, 1);
    check_train("affine 2x3x6x6 momentum 0.3", 2, 3, 6, 6, 1, 0.3f, 0.0f, 2);
    check_train("batch 1", 1, 2, 3, 7, 1, 0.1f, 0.0f, 3);
    check_train("1x1 planes", 3, 2, 1, 1, 1, 0.1f, 0.0f, 4);
    check_train("no affine", 2, 3, 4, 5, 0, 0.1f, 0.0f, 5);
    check_train("offset 50", 2, 2, 8, 8, 1, 0.1f, 50.0f, 6);
    check_eval(1, 10);
    check_eval(0, 11);
    check_fold(1, 20);
    check_fold(0, 21);
    check_threads(30);
    check_fused_relu(1, 1, 40);
    check_fused_relu(0, 1, 41);
    check_fused_relu(1, 3, 42);
    TEST_MAIN_END();
}
