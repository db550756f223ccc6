/* lane_sum.h - the sum of a float array in 16 independent lanes, so the
 * compiler vectorises it; the summation order is fixed (lanes, then the
 * tail, then the lanes in order), so results never depend on threads. */
#ifndef AR_NN_LANE_SUM_H
#define AR_NN_LANE_SUM_H

#include <stddef.h>

static inline float ar_lane_sum(const float *p, size_t len)
{
    float acc[16] = {0};
    size_t i = 0;
    for (; i + 16 <= len; i += 16)
        for (int q = 0; q < 16; q++)
            acc[q] += p[i + q];
    float s = 0.0f;
    for (; i < len; i++)
        s += p[i];
    for (int q = 0; q < 16; q++)
        s += acc[q];
    return s;
}

#endif
