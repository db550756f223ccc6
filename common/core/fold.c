/* fold.c - ordered row sums (fold.h). One compiled copy, so every caller
 * adds with the same instructions. */
#include "fold.h"

#include <string.h>

void ar_fold_first(float *acc, const float *row, int64_t len)
{
    memcpy(acc, row, (size_t)len * sizeof *acc);
}

void ar_fold_add(float *restrict acc, const float *restrict row, int64_t len)
{
    for (int64_t i = 0; i < len; i++) acc[i] += row[i];
}
