/* sbfl.c - suspiciousness formulas and aggregation. Contract: sbfl.h. */
#include "sbfl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const sbfl_names[] = {"tarantula", "ochiai", "dstar"};
_Static_assert(sizeof sbfl_names / sizeof sbfl_names[0] == AR_SBFL_COUNT, "formula names out of step");
static const char *const agg_names[] = {"mean", "max", "topk"};
_Static_assert(sizeof agg_names / sizeof agg_names[0] == AR_AGG_COUNT, "aggregate names out of step");

const char *ar_sbfl_name(ar_sbfl_t f) { return (unsigned)f < AR_SBFL_COUNT ? sbfl_names[f] : "?"; }
const char *ar_agg_name(ar_agg_t a) { return (unsigned)a < AR_AGG_COUNT ? agg_names[a] : "?"; }

int ar_sbfl_parse(const char *s)
{
    for (int i = 0; i < AR_SBFL_COUNT; i++)
        if (!strcmp(s, sbfl_names[i])) return i;
    return -1;
}

int ar_agg_parse(const char *s)
{
    for (int i = 0; i < AR_AGG_COUNT; i++)
        if (!strcmp(s, agg_names[i])) return i;
    return -1;
}

double ar_sbfl_score(ar_sbfl_t f, int64_t af, int64_t nf, int64_t ap, int64_t np)
{
    double a_f = (double)af, n_f = (double)nf, a_p = (double)ap, n_p = (double)np;
    if (af == 0) return 0.0; /* no failing example activates it: no evidence, every formula 0 */
    switch (f) {
    case AR_SBFL_TARANTULA: {
        double fr = a_f / (a_f + n_f);
        double pr = a_p + n_p > 0 ? a_p / (a_p + n_p) : 0.0;
        return fr / (fr + pr);
    }
    case AR_SBFL_OCHIAI: return a_f / sqrt((a_f + n_f) * (a_f + a_p));
    case AR_SBFL_DSTAR: {
        double d = a_p + n_f;
        return d > 0 ? a_f * a_f / d : 2.0 * a_f * a_f;
    }
    default: return 0.0;
    }
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

double ar_agg_apply(ar_agg_t a, const double *v, int64_t n, int k, double *scratch)
{
    if (n <= 0) return 0.0;
    double r = 0.0;
    switch (a) {
    case AR_AGG_MAX:
        r = v[0];
        for (int64_t i = 1; i < n; i++)
            if (v[i] > r) r = v[i];
        return r;
    case AR_AGG_TOPK: {
        int64_t kk = k < 1 ? 1 : (k > n ? n : k);
        memcpy(scratch, v, (size_t)n * sizeof *v);
        qsort(scratch, (size_t)n, sizeof *scratch, cmp_desc);
        for (int64_t i = 0; i < kk; i++) r += scratch[i];
        return r / (double)kk;
    }
    case AR_AGG_MEAN:
    default:
        for (int64_t i = 0; i < n; i++) r += v[i];
        return r / (double)n;
    }
}
