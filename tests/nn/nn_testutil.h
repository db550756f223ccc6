/* nn_testutil.h - helpers shared by the kernel tests in tests/nn: a seeded
 * random fill, float<->double copies, normalised error, and a central
 * finite-difference driver over a double-precision scalar function.
 *
 * Gradient checks follow one pattern: the kernel's backward, fed an upstream
 * gradient r, must equal d/dp sum(r * f(p)) where f is the test's naive
 * double-precision reference, differentiated numerically.
 */
#ifndef AR_TEST_NN_TESTUTIL_H
#define AR_TEST_NN_TESTUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* splitmix64-based uniform floats in [lo, hi): deterministic per seed. */
static inline double tu_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static inline void tu_fill(float *p, size_t n, uint64_t seed, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(lo + (hi - lo) * tu_next(&seed));
}

static inline double *tu_to_double(const float *p, size_t n)
{
    double *d = malloc(n * sizeof *d + 8);
    for (size_t i = 0; i < n; i++)
        d[i] = p ? p[i] : 0.0;
    return d;
}

/* ||a - b|| / max(||b||, tiny), a float, b double. */
static inline double tu_nerr(const float *a, const double *b, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += b[i] * b[i];
    }
    return sqrt(num) / (den > 1e-300 ? sqrt(den) : 1e-150);
}

/* Same, with the float side given as (after - before): for backward
 * kernels that ADD into a pre-filled buffer. */
static inline double tu_nerr_added(const float *after, const float *before, const double *b,
                                   size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = (double)after[i] - (double)before[i];
        num += (a - b[i]) * (a - b[i]);
        den += b[i] * b[i];
    }
    return sqrt(num) / (den > 1e-300 ? sqrt(den) : 1e-150);
}

/* A scalar function of the test's state; the driver perturbs p[i]. */
typedef double (*tu_scalar_fn)(void *ctx);

/* Central differences of fn w.r.t. every p[i] (step h), into g[0..n). */
static inline void tu_fd_grad(tu_scalar_fn fn, void *ctx, double *p, size_t n, double h, double *g)
{
    for (size_t i = 0; i < n; i++) {
        const double keep = p[i];
        p[i] = keep + h;
        const double fp = fn(ctx);
        p[i] = keep - h;
        const double fm = fn(ctx);
        p[i] = keep;
        g[i] = (fp - fm) / (2.0 * h);
    }
}

#endif
