/* rng.h - seeded, keyed random streams (xoshiro256** seeded by splitmix64).
 *
 * Determinism rule (so that a job's numbers do not depend on how many ranks
 * run it): a random stream depends only on the job seed and the identity of
 * what it is for (task, corruption, severity, image index), never on rank or
 * order. Build the key with ar_rng_key() and start a
 * stream with ar_rng_init(); the state is a plain value owned by the caller.
 */
#ifndef AR_CORE_RNG_H
#define AR_CORE_RNG_H

#include <stdint.h>

typedef struct ar_rng {
    uint64_t s[4];      /* xoshiro256** state; never all zero */
} ar_rng_t;

/* Mixes a seed and n identity words into one 64-bit key (order matters). */
uint64_t ar_rng_key(uint64_t seed, const uint64_t *ids, int n);
/* FNV-1a of a string, to use names (e.g. "gaussian_noise") in keys. */
uint64_t ar_rng_hash_str(const char *s);

/* Starts the stream for key. */
void ar_rng_init(ar_rng_t *r, uint64_t key);

uint64_t ar_rng_u64(ar_rng_t *r);
/* Uniform double in [0, 1) with 53 random bits. */
double ar_rng_uniform(ar_rng_t *r);
/* Uniform double in [lo, hi). */
double ar_rng_range(ar_rng_t *r, double lo, double hi);
/* Uniform integer in [0, n); n > 0; unbiased (rejection). */
uint64_t ar_rng_below(ar_rng_t *r, uint64_t n);
/* Standard normal N(0, 1) (Box-Muller; uses two uniforms per call). */
double ar_rng_normal(ar_rng_t *r);
/* Poisson(lambda), lambda >= 0 (Knuth below 30, PTRS transformed
 * rejection above, as numpy does). */
int64_t ar_rng_poisson(ar_rng_t *r, double lambda);
/* Fisher-Yates shuffle of idx[0..n). */
void ar_rng_shuffle(ar_rng_t *r, int64_t *idx, int64_t n);

#endif
