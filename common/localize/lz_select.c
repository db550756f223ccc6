/* lz_select.c - seeded choice of failing and passing examples, and their
 * batches. Contract: localize.h. */
#include <stdlib.h>

#include "core/rng.h"
#include "localize/localize.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The first `take` of a keyed shuffle of pool[0..n) (global example ids,
 * ascending), sorted back, as (set, index) pairs. */
static int sample(int64_t *pool, int64_t n, int64_t take, uint64_t key, int nsets,
                  const int64_t *counts, ar_lz_example_t **out, ar_err_t *err)
{
    ar_rng_t r;
    ar_rng_init(&r, key);
    ar_rng_shuffle(&r, pool, n);
    qsort(pool, (size_t)take, sizeof *pool, cmp_i64);
    *out = malloc((size_t)(take ? take : 1) * sizeof **out);
    if (!*out) return ar_err_set(err, AR_E_NOMEM, "localize: out of memory selecting examples");
    int64_t base = 0;
    int s = 0;
    for (int64_t i = 0; i < take; i++) {
        while (s < nsets - 1 && pool[i] >= base + counts[s]) base += counts[s++];
        (*out)[i].set = s;
        (*out)[i].index = pool[i] - base;
    }
    return AR_OK;
}

int ar_lz_select(int nsets, const int64_t *counts, const uint8_t *const *correct, int64_t want,
                 uint64_t seed, ar_lz_example_t **fail, int64_t *nfail, ar_lz_example_t **pass,
                 int64_t *npass, ar_err_t *err)
{
    *fail = *pass = NULL;
    *nfail = *npass = 0;
    int64_t total = 0, nbad = 0;
    for (int s = 0; s < nsets; s++) {
        total += counts[s];
        for (int64_t i = 0; i < counts[s]; i++) nbad += !correct[s][i];
    }
    if (nbad == 0) return ar_err_set(err, AR_E_ARG, "localize: no misclassified example among %lld", (long long)total);
    if (nbad == total) return ar_err_set(err, AR_E_ARG, "localize: no correctly classified example among %lld", (long long)total);
    int64_t *bad = malloc((size_t)nbad * sizeof *bad), *good = malloc((size_t)(total - nbad) * sizeof *good);
    if (!bad || !good) {
        free(bad);
        free(good);
        return ar_err_set(err, AR_E_NOMEM, "localize: out of memory selecting examples");
    }
    int64_t nb = 0, ng = 0, id = 0;
    for (int s = 0; s < nsets; s++)
        for (int64_t i = 0; i < counts[s]; i++, id++) {
            if (correct[s][i]) good[ng++] = id;
            else bad[nb++] = id;
        }
    int64_t f = nbad < want ? nbad : want;
    int64_t p = ng < f ? ng : f;
    uint64_t kf = ar_rng_key(seed, (uint64_t[]){ar_rng_hash_str("localize/failing")}, 1);
    uint64_t kp = ar_rng_key(seed, (uint64_t[]){ar_rng_hash_str("localize/passing")}, 1);
    int st = sample(bad, nb, f, kf, nsets, counts, fail, err);
    if (!st) st = sample(good, ng, p, kp, nsets, counts, pass, err);
    free(bad);
    free(good);
    if (st) {
        free(*fail);
        free(*pass);
        *fail = *pass = NULL;
        return st;
    }
    *nfail = f;
    *npass = p;
    return AR_OK;
}

int ar_lz_batches(const ar_lz_example_t *ex, int64_t n, int batch, int64_t **start, int64_t *nb,
                  ar_err_t *err)
{
    *start = malloc((size_t)(n + 1) * sizeof **start);
    if (!*start) return ar_err_set(err, AR_E_NOMEM, "localize: out of memory");
    int64_t k = 0;
    for (int64_t i = 0; i < n;) {
        (*start)[k++] = i;
        int64_t j = i + 1;
        while (j < n && j - i < batch && ex[j].set == ex[i].set) j++;
        i = j;
    }
    (*start)[k] = n;
    *nb = k;
    return AR_OK;
}
