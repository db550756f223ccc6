/* test_basic_ops.c - relu, clamp (ReLU6), silu, hardswish, linear, add,
 * concat and softmax cross-entropy against naive double-precision
 * references and finite differences,
 * including aliasing (in-place relu, add into one of its inputs) and
 * numerical stability of the cross-entropy for large logits. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/tensor.h"
#include "nn/basic_ops.h"
#include "nn_testutil.h"

static void test_relu(void)
{
    ar_tensor_t x = ar_tensor_4d(2, 3, 5, 7), y = x, dy = x, dx = x;
    ar_tensor_alloc(&x), ar_tensor_alloc(&y), ar_tensor_alloc(&dy), ar_tensor_alloc(&dx);
    const size_t n = ar_tensor_numel(&x);
    tu_fill(x.data, n, 1, -1, 1);
    x.data[3] = 0.0f;
    tu_fill(dy.data, n, 2, -1, 1);
    tu_fill(dx.data, n, 3, -1, 1);
    float *dx0 = malloc(n * sizeof *dx0);
    memcpy(dx0, dx.data, n * sizeof(float));
    ar_relu_forward(&x, &y);
    ar_relu_backward(&y, &dy, &dx);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        float want = x.data[i] > 0 ? x.data[i] : 0.0f;
        float g = x.data[i] > 0 ? dy.data[i] : 0.0f;
        bad += y.data[i] != want || dx.data[i] != dx0[i] + g;
    }
    CHECK(bad == 0, "relu: %d wrong elements", bad);
    ar_relu_forward(&x, &x); /* in place */
    CHECK(memcmp(x.data, y.data, n * sizeof(float)) == 0, "relu in place differs");
    free(dx0);
    ar_tensor_free(&x), ar_tensor_free(&y), ar_tensor_free(&dy), ar_tensor_free(&dx);
}

/* ---- clamp, silu, hardswish: elementwise, against double references --------- */

enum { ACT_CLAMP, ACT_SILU, ACT_HARDSWISH };

typedef struct {
    int kind;
    double lo, hi;     /* clamp bounds */
    size_t n;
    double *x;
    const double *r;   /* upstream gradient */
} act_ref_t;

static double act_ref1(const act_ref_t *R, double v)
{
    switch (R->kind) {
    case ACT_CLAMP: return v < R->lo ? R->lo : v > R->hi ? R->hi : v;
    case ACT_SILU: return v / (1.0 + exp(-v));
    default: return v * fmin(fmax(v + 3.0, 0.0), 6.0) / 6.0;
    }
}

static double act_loss(void *ctx)
{
    act_ref_t *R = ctx;
    double s = 0.0;
    for (size_t i = 0; i < R->n; i++) s += R->r[i] * act_ref1(R, R->x[i]);
    return s;
}

static void act_forward(int kind, const ar_tensor_t *x, ar_tensor_t *y, float lo, float hi)
{
    if (kind == ACT_CLAMP) ar_clamp_forward(x, y, lo, hi);
    else if (kind == ACT_SILU) ar_silu_forward(x, y);
    else ar_hardswish_forward(x, y);
}

static void act_backward(int kind, const ar_tensor_t *x, const ar_tensor_t *y,
                         const ar_tensor_t *dy, ar_tensor_t *dx, float lo, float hi)
{
    if (kind == ACT_CLAMP) ar_clamp_backward(y, dy, dx, lo, hi); /* reads the output */
    else if (kind == ACT_SILU) ar_silu_backward(x, dy, dx);
    else ar_hardswish_backward(x, dy, dx);
}

/* Forward against the double reference (nerr 1e-6), backward (added into a
 * pre-filled dx) against central differences on inputs in [-8, 8] kept
 * 0.02 away from the kinks; then the values at the kinks themselves, which
 * follow PyTorch (hardtanh: no gradient at the bounds; hardswish: x / 3 +
 * 1/2 at -3 and 3). */
static void test_act(int kind, float lo, float hi, uint64_t seed)
{
    static const char *names[] = {"clamp", "silu", "hardswish"};
    const char *nm = names[kind];
    ar_tensor_t x = ar_tensor_4d(2, 3, 5, 7), y = x, dy = x, dx = x;
    ar_tensor_alloc(&x), ar_tensor_alloc(&y), ar_tensor_alloc(&dy), ar_tensor_alloc(&dx);
    const size_t n = ar_tensor_numel(&x);
    tu_fill(x.data, n, seed, -8, 8);
    const double kinks[4] = {lo, hi, -3.0, 3.0};
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++)
            if (fabs(x.data[i] - kinks[k]) < 0.02) x.data[i] = (float)(kinks[k] + 0.05);
    tu_fill(dy.data, n, seed + 1, -1, 1);
    tu_fill(dx.data, n, seed + 2, -1, 1);
    float *dx0 = malloc(n * sizeof *dx0);
    memcpy(dx0, dx.data, n * sizeof(float));
    act_forward(kind, &x, &y, lo, hi);
    act_backward(kind, &x, &y, &dy, &dx, lo, hi);
    act_ref_t R = {kind, lo, hi, n, tu_to_double(x.data, n), tu_to_double(dy.data, n)};
    double *ry = malloc(n * sizeof *ry), *fd = malloc(n * sizeof *fd);
    for (size_t i = 0; i < n; i++) ry[i] = act_ref1(&R, R.x[i]);
    double e = tu_nerr(y.data, ry, n);
    CHECK(e < 1e-6, "%s: forward nerr %.3g", nm, e);
    tu_fd_grad(act_loss, &R, R.x, n, 1e-3, fd);
    e = tu_nerr_added(dx.data, dx0, fd, n);
    CHECK(e < 1e-5, "%s: dx nerr %.3g", nm, e);
    /* in place forward */
    ar_tensor_t y2 = x;
    ar_tensor_alloc(&y2);
    memcpy(y2.data, x.data, n * sizeof(float));
    act_forward(kind, &y2, &y2, lo, hi);
    CHECK(memcmp(y2.data, y.data, n * sizeof(float)) == 0, "%s in place differs", nm);
    /* the kinks, one element each, upstream gradient 1 */
    const float at[4] = {lo, hi, -3.0f, 3.0f};
    for (int k = 0; k < 4; k++) {
        ar_tensor_t a = ar_tensor_shape(1, (int64_t[]){1}), b = a, g = a, d = a;
        float av = at[k], bv = 0, gv = 1, dv = 0;
        a.data = &av, b.data = &bv, g.data = &gv, d.data = &dv;
        act_forward(kind, &a, &b, lo, hi);
        act_backward(kind, &a, &b, &g, &d, lo, hi);
        double want = kind == ACT_CLAMP ? (av > lo && av < hi ? 1.0 : 0.0)
                    : kind == ACT_HARDSWISH ? (av < -3 ? 0.0 : av <= 3 ? av / 3.0 + 0.5 : 1.0)
                    : dv; /* silu is smooth: covered above */
        CHECK(fabs(dv - want) < 1e-6, "%s: gradient at %g is %g, PyTorch gives %g", nm, av, dv,
              want);
    }
    free(dx0), free(ry), free(fd), free(R.x), free((void *)R.r);
    ar_tensor_free(&y2);
    ar_tensor_free(&x), ar_tensor_free(&y), ar_tensor_free(&dy), ar_tensor_free(&dx);
}

typedef struct {
    int n, in, out;
    double *x, *w, *b;
    const double *r;
} lin_ref_t;

static double lin_loss(void *ctx)
{
    lin_ref_t *R = ctx;
    double s = 0.0;
    for (int i = 0; i < R->n; i++)
        for (int o = 0; o < R->out; o++) {
            double v = R->b ? R->b[o] : 0.0;
            for (int k = 0; k < R->in; k++)
                v += R->x[i * R->in + k] * R->w[o * R->in + k];
            s += R->r[i * R->out + o] * v;
        }
    return s;
}

static void test_linear(int n, int in, int out, int with_bias, uint64_t seed)
{
    ar_tensor_t x = ar_tensor_2d(n, in), y = ar_tensor_2d(n, out), dy = y, dx = x;
    ar_tensor_alloc(&x), ar_tensor_alloc(&y), ar_tensor_alloc(&dy), ar_tensor_alloc(&dx);
    float *w = malloc(sizeof(float) * out * in), *b = malloc(sizeof(float) * out);
    float *dw = calloc((size_t)out * in, sizeof(float)), *db = calloc(out, sizeof(float));
    float *dw0 = malloc(sizeof(float) * out * in), *db0 = malloc(sizeof(float) * out);
    float *dx0 = malloc(sizeof(float) * n * in);
    tu_fill(x.data, (size_t)n * in, seed, -1, 1);
    tu_fill(w, (size_t)out * in, seed + 1, -1, 1);
    tu_fill(b, out, seed + 2, -1, 1);
    tu_fill(dy.data, (size_t)n * out, seed + 3, -1, 1);
    tu_fill(dw0, (size_t)out * in, seed + 4, -1, 1);
    tu_fill(db0, out, seed + 5, -1, 1);
    tu_fill(dx0, (size_t)n * in, seed + 6, -1, 1);
    memcpy(dw, dw0, sizeof(float) * out * in), memcpy(db, db0, sizeof(float) * out);
    memcpy(dx.data, dx0, sizeof(float) * n * in);
    for (int i = 0; i < n * out; i++)
        y.data[i] = NAN;
    ar_linear_forward(&x, w, with_bias ? b : NULL, &y);
    ar_linear_backward(&x, w, &dy, &dx, dw, with_bias ? db : NULL);

    lin_ref_t R = {n, in, out, tu_to_double(x.data, (size_t)n * in),
                   tu_to_double(w, (size_t)out * in), with_bias ? tu_to_double(b, out) : NULL,
                   tu_to_double(dy.data, (size_t)n * out)};
    double *ry = malloc(sizeof(double) * n * out);
    for (int i = 0; i < n; i++)
        for (int o = 0; o < out; o++) {
            double v = with_bias ? b[o] : 0.0;
            for (int k = 0; k < in; k++)
                v += (double)x.data[i * in + k] * w[o * in + k];
            ry[i * out + o] = v;
        }
    double e = tu_nerr(y.data, ry, (size_t)n * out);
    CHECK(e < 1e-5, "linear %dx%d->%d: forward nerr %.3g", n, in, out, e);
    double *fx = malloc(sizeof(double) * n * in), *fw = malloc(sizeof(double) * out * in);
    double *fb = malloc(sizeof(double) * out);
    tu_fd_grad(lin_loss, &R, R.x, (size_t)n * in, 1e-3, fx);
    tu_fd_grad(lin_loss, &R, R.w, (size_t)out * in, 1e-3, fw);
    e = tu_nerr_added(dx.data, dx0, fx, (size_t)n * in);
    CHECK(e < 1e-4, "linear: dx nerr %.3g", e);
    e = tu_nerr_added(dw, dw0, fw, (size_t)out * in);
    CHECK(e < 1e-4, "linear: dw nerr %.3g", e);
    if (with_bias) {
        tu_fd_grad(lin_loss, &R, R.b, out, 1e-3, fb);
        e = tu_nerr_added(db, db0, fb, out);
        CHECK(e < 1e-4, "linear: db nerr %.3g", e);
    }
    /* NULL gradients are skipped */
    memcpy(dw, dw0, sizeof(float) * out * in);
    ar_linear_backward(&x, w, &dy, NULL, dw, NULL);
    e = tu_nerr_added(dw, dw0, fw, (size_t)out * in);
    CHECK(e < 1e-4, "linear: dw-only nerr %.3g", e);
    free(fx), free(fw), free(fb), free(ry), free(R.x), free(R.w), free(R.b), free((void *)R.r);
    free(w), free(b), free(dw), free(db), free(dw0), free(db0), free(dx0);
    ar_tensor_free(&x), ar_tensor_free(&y), ar_tensor_free(&dy), ar_tensor_free(&dx);
}

static void test_add(void)
{
    /* 3 inputs of 2*3*17*19 = 1938 elements (several 512-element blocks) */
    ar_tensor_t a = ar_tensor_4d(2, 3, 17, 19), b = a, c = a, y = a;
    ar_tensor_alloc(&a), ar_tensor_alloc(&b), ar_tensor_alloc(&c), ar_tensor_alloc(&y);
    const size_t n = ar_tensor_numel(&a);
    tu_fill(a.data, n, 1, -1, 1), tu_fill(b.data, n, 2, -1, 1), tu_fill(c.data, n, 3, -1, 1);
    const ar_tensor_t *xs[3] = {&a, &b, &c};
    ar_add_forward(xs, 3, &y);
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += y.data[i] != (a.data[i] + b.data[i]) + c.data[i];
    CHECK(bad == 0, "add: %d wrong", bad);
    /* with the ReLU fused in, over two spans (one not a multiple of 16):
     * relu(add) bit for bit */
    ar_tensor_t r = a, yr = a;
    ar_tensor_alloc(&r), ar_tensor_alloc(&yr);
    ar_relu_forward(&y, &r);
    ar_add_forward_span(xs, 3, &yr, 0, 701, 1);
    ar_add_forward_span(xs, 3, &yr, 701, (int64_t)n, 1);
    CHECK(memcmp(yr.data, r.data, n * sizeof(float)) == 0, "add with fused relu differs");
    ar_tensor_free(&r), ar_tensor_free(&yr);
    /* output aliasing the second input */
    ar_add_forward(xs, 3, &b);
    CHECK(memcmp(b.data, y.data, n * sizeof(float)) == 0, "add into an input differs");
    ar_tensor_free(&a), ar_tensor_free(&b), ar_tensor_free(&c), ar_tensor_free(&y);
}

static void test_concat(void)
{
    ar_tensor_t a = ar_tensor_4d(2, 3, 4, 5), b = ar_tensor_4d(2, 1, 4, 5), y = ar_tensor_4d(2, 4, 4, 5);
    ar_tensor_t da = a, db = b;
    ar_tensor_alloc(&a), ar_tensor_alloc(&b), ar_tensor_alloc(&y);
    ar_tensor_alloc(&da), ar_tensor_alloc(&db);
    tu_fill(a.data, 120, 1, -1, 1), tu_fill(b.data, 40, 2, -1, 1);
    tu_fill(da.data, 120, 3, -1, 1), tu_fill(db.data, 40, 4, -1, 1);
    float da0[120], db0[40];
    memcpy(da0, da.data, sizeof da0), memcpy(db0, db.data, sizeof db0);
    const ar_tensor_t *xs[2] = {&a, &b};
    ar_concat_forward(xs, 2, &y);
    int bad = 0;
    for (int n = 0; n < 2; n++)
        for (int ch = 0; ch < 4; ch++)
            for (int p = 0; p < 20; p++) {
                float want = ch < 3 ? a.data[(n * 3 + ch) * 20 + p] : b.data[n * 20 + p];
                bad += y.data[(n * 4 + ch) * 20 + p] != want;
            }
    CHECK(bad == 0, "concat forward: %d wrong", bad);
    ar_tensor_t *dxs[2] = {&da, &db};
    ar_concat_backward(&y, dxs, 2); /* dy = y: dx gains back the inputs */
    bad = 0;
    for (int i = 0; i < 120; i++)
        bad += da.data[i] != da0[i] + a.data[i];
    for (int i = 0; i < 40; i++)
        bad += db.data[i] != db0[i] + b.data[i];
    CHECK(bad == 0, "concat backward: %d wrong", bad);
    ar_tensor_free(&a), ar_tensor_free(&b), ar_tensor_free(&y);
    ar_tensor_free(&da), ar_tensor_free(&db);
}

typedef struct {
    int n, k;
    double *z;
    const int32_t *lab;
} xent_ref_t;

/* log(sum exp(z)) of row z[0..k), the naive way with the max shift. */
static double lse_ref(const double *z, int k)
{
    double m = -INFINITY, s = 0.0;
    for (int j = 0; j < k; j++)
        m = fmax(m, z[j]);
    for (int j = 0; j < k; j++)
        s += exp(z[j] - m);
    return m + log(s);
}

static double xent_ref(void *ctx)
{
    xent_ref_t *R = ctx;
    double loss = 0.0;
    for (int i = 0; i < R->n; i++)
        loss += lse_ref(R->z + i * R->k, R->k) - R->z[i * R->k + R->lab[i]];
    return loss / R->n;
}

static void test_xent(float scale, uint64_t seed)
{
    const int n = 5, K = 7;
    ar_tensor_t z = ar_tensor_2d(n, K), dz = z;
    ar_tensor_alloc(&z), ar_tensor_alloc(&dz);
    tu_fill(z.data, n * K, seed, -scale, scale);
    int32_t lab[5] = {0, 6, 3, 3, 1};
    int64_t want_correct = 0;
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int k = 1; k < K; k++)
            best = z.data[i * K + k] > z.data[i * K + best] ? k : best;
        if (i == 2)
            lab[i] = best; /* at least one right */
        want_correct += best == lab[i];
    }
    int64_t correct = -1;
    double loss = ar_softmax_xent(&z, lab, &dz, &correct);
    xent_ref_t R = {n, K, tu_to_double(z.data, n * K), lab};
    double ref = xent_ref(&R);
    CHECK(isfinite(loss), "xent scale %g: loss %g not finite", scale, loss);
    CHECK_NEAR(loss, ref, 1e-9);
    CHECK(correct == want_correct, "correct %lld want %lld", (long long)correct,
          (long long)want_correct);
    double g[35];
    tu_fd_grad(xent_ref, &R, R.z, n * K, 1e-5, g);
    double e = tu_nerr(dz.data, g, n * K);
    CHECK(e < 1e-5, "xent scale %g: dlogits nerr %.3g", scale, e);
    CHECK(ar_softmax_xent(&z, lab, NULL, NULL) == loss, "loss without gradient differs");
    free(R.z);
    ar_tensor_free(&z), ar_tensor_free(&dz);
}

/* Soft targets: t = (1 - w) onehot + w q, loss = mean -sum t log softmax. */
typedef struct {
    int n, k;
    double *z;
    const int32_t *lab;
    const float *q;
    double w;
} xent_soft_ref_t;

static double xent_soft_ref(void *ctx)
{
    xent_soft_ref_t *R = ctx;
    double loss = 0.0;
    for (int i = 0; i < R->n; i++) {
        double lse = lse_ref(R->z + i * R->k, R->k);
        for (int k = 0; k < R->k; k++) {
            double t = R->w * R->q[i * R->k + k] + (k == R->lab[i] ? 1 - R->w : 0);
            loss -= t * (R->z[i * R->k + k] - lse);
        }
    }
    return loss / R->n;
}

static void test_xent_soft(double w, uint64_t seed)
{
    const int n = 4, K = 6;
    ar_tensor_t z = ar_tensor_2d(n, K), dz = z, dh = z;
    ar_tensor_alloc(&z), ar_tensor_alloc(&dz), ar_tensor_alloc(&dh);
    tu_fill(z.data, n * K, seed, -3, 3);
    float q[24];
    tu_fill(q, n * K, seed + 1, 0.1f, 1.0f);
    for (int i = 0; i < n; i++) { /* rows of a probability vector */
        float s = 0;
        for (int k = 0; k < K; k++) s += q[i * K + k];
        for (int k = 0; k < K; k++) q[i * K + k] /= s;
    }
    int32_t lab[4] = {0, 5, 2, 2};
    int64_t c1 = -1, c2 = -2;
    double loss = ar_softmax_xent_soft(&z, lab, q, w, &dz, &c1);
    xent_soft_ref_t R = {n, K, tu_to_double(z.data, n * K), lab, q, w};
    CHECK_NEAR(loss, xent_soft_ref(&R), 1e-9);
    double g[24];
    tu_fd_grad(xent_soft_ref, &R, R.z, n * K, 1e-5, g);
    double e = tu_nerr(dz.data, g, n * K);
    CHECK(e < 1e-5, "soft xent w %g: dlogits nerr %.3g", w, e);
    double hard = ar_softmax_xent(&z, lab, &dh, &c2);
    CHECK(c1 == c2, "soft xent: correct %lld, hard %lld", (long long)c1, (long long)c2);
    if (w == 0) { /* exactly the hard loss */
        CHECK(loss == hard && memcmp(dz.data, dh.data, sizeof q) == 0, "soft xent w 0 differs");
        CHECK(ar_softmax_xent_soft(&z, lab, NULL, 0.5, NULL, NULL) == hard, "soft NULL differs");
    }
    free(R.z);
    ar_tensor_free(&z), ar_tensor_free(&dz), ar_tensor_free(&dh);
}

int main(void)
{
    test_relu();
    test_act(ACT_CLAMP, 0.0f, 6.0f, 50);    /* ReLU6 */
    test_act(ACT_CLAMP, -1.0f, 1.0f, 51);   /* Hardtanh */
    test_act(ACT_SILU, 0.0f, 0.0f, 52);
    test_act(ACT_HARDSWISH, 0.0f, 0.0f, 53);
    test_linear(4, 10, 3, 1, 10);
    test_linear(1, 7, 5, 0, 20);
    test_linear(33, 64, 10, 1, 30);
    test_add();
    test_concat();
    test_xent(3.0f, 40);
    test_xent(1000.0f, 41); /* exp would overflow without the max shift */
    test_xent_soft(0.0, 42);
    test_xent_soft(0.3, 43);
    test_xent_soft(1.0, 44);
    TEST_MAIN_END();
}
