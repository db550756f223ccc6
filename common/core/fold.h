/* fold.h - the one ordered sum of float rows behind data-parallel training.
 *
 * A data-parallel step sums one row per micro-batch (gradient x images,
 * loss x images) in micro-batch order: acc = row 0, then acc += row 1, ...
 * Whoever does it - the trainer when one worker holds every row, the
 * coordinator when the rows come from several workers - calls these two
 * functions, so the sum's bits depend on the rows and their order only,
 * never on how many workers computed them (each element is added in the
 * same order; no reassociation).
 */
#ifndef AR_CORE_FOLD_H
#define AR_CORE_FOLD_H

#include <stdint.h>

/* acc[0..len) = row[0..len) (the first row of a fold). */
void ar_fold_first(float *acc, const float *row, int64_t len);
/* acc[i] += row[i] for i in 0..len (every later row, in order). */
void ar_fold_add(float *acc, const float *row, int64_t len);

#endif
