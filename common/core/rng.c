/* rng.c - xoshiro256** (Blackman & Vigna) with splitmix64 seeding. */
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t ar_rng_key(uint64_t seed, const uint64_t *ids, int n)
{
    uint64_t x = seed;
    uint64_t h = splitmix64(&x);
    for (int i = 0; i < n; i++) {
        uint64_t y = h ^ (ids[i] + 0x632BE59BD9B4E019ull * (uint64_t)(i + 1));
        h = splitmix64(&y);
    }
    return h;
}

uint64_t ar_rng_hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

void ar_rng_init(ar_rng_t *r, uint64_t key)
{
    uint64_t x = key;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ar_rng_u64(ar_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ar_rng_uniform(ar_rng_t *r) { return (double)(ar_rng_u64(r) >> 11) * 0x1.0p-53; }

double ar_rng_range(ar_rng_t *r, double lo, double hi) { return lo + (hi - lo) * ar_rng_uniform(r); }

uint64_t ar_rng_below(ar_rng_t *r, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do v = ar_rng_u64(r);
    while (v >= limit);
    return v % n;
}

double ar_rng_normal(ar_rng_t *r)
{
    double u1 = 1.0 - ar_rng_uniform(r); /* (0, 1] */
    double u2 = ar_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static int64_t poisson_ptrs(ar_rng_t *r, double lam)
{
    /* Hormann (1993) transformed rejection, as in numpy's random_poisson_ptrs */
    double slam = sqrt(lam), loglam = log(lam);
    double b = 0.931 + 2.53 * slam;
    double a = -0.059 + 0.02483 * b;
    double invalpha = 1.1239 + 1.1328 / (b - 3.4);
    double vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        double U = ar_rng_uniform(r) - 0.5;
        double V = ar_rng_uniform(r);
        double us = 0.5 - fabs(U);
        int64_t k = (int64_t)floor((2 * a / us + b) * U + lam + 0.43);
        if (us >= 0.07 && V <= vr) return k;
        if (k < 0 || (us < 0.013 && V > us)) continue;
        if (log(V) + log(invalpha) - log(a / (us * us) + b) <= -lam + k * loglam - lgamma((double)k + 1))
            return k;
    }
}

int64_t ar_rng_poisson(ar_rng_t *r, double lambda)
{
    if (lambda <= 0) return 0;
    if (lambda >= 30) return poisson_ptrs(r, lambda);
    double L = exp(-lambda), p = 1.0;
    int64_t k = 0;
    do {
        k++;
        p *= ar_rng_uniform(r);
    } while (p > L);
    return k - 1;
}

void ar_rng_shuffle(ar_rng_t *r, int64_t *idx, int64_t n)
{
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)ar_rng_below(r, (uint64_t)i + 1);
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}
