/* fold.h - the one sum of float rows behind data-parallel training.
 *
 * A data-parallel step sums one row per micro-batch (gradient x images,
 * loss x images). The rows are added along a fixed binary tree over the
 * slots 0..n-1: node [lo, hi) = node [lo, mid) + node [mid, hi) with
 * mid = lo + (hi - lo + 1) / 2, a leaf is its slot's row. The workers
 * sharing a step each own one node of that tree (ar_fold_part) and add
 * their slots' rows along it; whoever combines their results continues up
 * the same tree, so every element is added in the same order whatever the
 * number of workers - the sum's bits depend on the rows only.
 */
#ifndef AR_CORE_FOLD_H
#define AR_CORE_FOLD_H

#include <stdint.h>

/* The node of the tree over slots [0, n) that part `part` of `parts`
 * computes: [*lo, *hi), empty (*lo == *hi) when there are more parts than
 * slots. The parts' nodes tile [0, n); each is a node of the tree. */
void ar_fold_part(int64_t n, int part, int parts, int64_t *lo, int64_t *hi);

/* Where a node's value is already known: the row of len floats holding
 * node [lo, hi)'s sum, or NULL to descend (a leaf, hi == lo + 1, must be
 * known). */
typedef const float *(*ar_fold_known_fn)(void *ctx, int64_t lo, int64_t hi);

/* out[0..len) = node [lo, hi)'s sum along the tree. AR_E-free: returns 0,
 * or -1 when out of memory or a leaf is unknown. */
int ar_fold_tree(float *out, int64_t len, int64_t lo, int64_t hi, ar_fold_known_fn known,
                 void *ctx);

#endif
