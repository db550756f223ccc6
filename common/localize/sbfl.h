/* sbfl.h - spectrum-based suspiciousness formulas and score aggregation.
 *
 * For one neuron over the example sets (docs/localization.md):
 *   af / nf = failing examples on which it was activated / not activated,
 *   ap / np = passing examples on which it was activated / not activated,
 *   F = af + nf, P = ap + np.
 *   tarantula = (af/F) / (af/F + ap/P)       0 when af = 0; ap/P read as 0 when P = 0
 *   ochiai    = af / sqrt(F * (af + ap))     0 when the denominator is 0 (then af = 0)
 *   dstar     = af^2 / (ap + nf)             0 when af = 0; 2 af^2 when ap + nf = 0
 * DStar's zero denominator (activated by every failing example and no passing
 * one: the strongest evidence) is scored as if the denominator were 1/2, so
 * it stays finite and ranks above every neuron with the same af and any
 * non-zero denominator. All three are >= 0 and finite for any counts.
 */
#ifndef AR_LOCALIZE_SBFL_H
#define AR_LOCALIZE_SBFL_H

#include <stdint.h>

typedef enum { AR_SBFL_TARANTULA, AR_SBFL_OCHIAI, AR_SBFL_DSTAR, AR_SBFL_COUNT } ar_sbfl_t;

/* Aggregate of a block's (or layer's) neuron scores. */
typedef enum { AR_AGG_MEAN, AR_AGG_MAX, AR_AGG_TOPK, AR_AGG_COUNT } ar_agg_t;

/* "tarantula", "ochiai", "dstar" / "mean", "max", "topk"; parse: -1 if unknown. */
const char *ar_sbfl_name(ar_sbfl_t f);
int ar_sbfl_parse(const char *s);
const char *ar_agg_name(ar_agg_t a);
int ar_agg_parse(const char *s);

/* The formula's value for counts af, nf, ap, np (each >= 0). */
double ar_sbfl_score(ar_sbfl_t f, int64_t af, int64_t nf, int64_t ap, int64_t np);

/* Aggregates v[0..n): mean, max, or the mean of the k largest (k clipped to
 * 1..n). n = 0 gives 0. v is not modified (topk sorts a copy in scratch,
 * which must hold n doubles). */
double ar_agg_apply(ar_agg_t a, const double *v, int64_t n, int k, double *scratch);

#endif
