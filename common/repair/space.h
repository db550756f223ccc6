/* space.h - the search space of the relaxed block: the candidate ops of a
 * cell edge, as compositions of the graph's ordinary ops (DARTS, Liu et al.
 * 2019), so plans, backward and freezing need nothing new.
 *
 * Every candidate maps C channels at H x W to C channels at ceil(H/s) x
 * ceil(W/s) for stride s (1 or 2):
 *   none          zero (stride s)
 *   max_pool_3x3  maxpool 3x3/s pad 1, BN (no affine)
 *   avg_pool_3x3  avgpool 3x3/s pad 1 (count_include_pad 0), BN (no affine)
 *   skip_connect  identity (s = 1); FactorizedReduce (s = 2): relu, then
 *                 conv1x1/2 (C -> C/2) and shift(1, 1) + conv1x1/2 (C -> C - C/2),
 *                 concat, BN (no affine)
 *   sep_conv_KxK  (relu, depthwise KxK/s, pointwise 1x1, BN (no affine)) then
 *                 the same again with stride 1 (K = 3, 5)
 *   dil_conv_KxK  relu, depthwise KxK/s dilation 2, pointwise 1x1, BN (no affine)
 *   conv_3x3      relu, conv 3x3/s, BN (no affine)
 */
#ifndef AR_REPAIR_SPACE_H
#define AR_REPAIR_SPACE_H

#include "core/error.h"
#include "nn/graph.h"

typedef enum {
    AR_CAND_NONE,
    AR_CAND_MAX_POOL_3X3,
    AR_CAND_AVG_POOL_3X3,
    AR_CAND_SKIP_CONNECT,
    AR_CAND_SEP_CONV_3X3,
    AR_CAND_SEP_CONV_5X5,
    AR_CAND_DIL_CONV_3X3,
    AR_CAND_DIL_CONV_5X5,
    AR_CAND_CONV_3X3,
    AR_CAND_COUNT
} ar_cand_t;

/* "none", "max_pool_3x3", ...; "?" out of range. */
const char *ar_cand_name(ar_cand_t c);
/* The candidate named s, or -1. */
int ar_cand_parse(const char *s);

/* Appends candidate c on input node `in` (C channels) to g with node names
 * "<prefix>.<sub>" in block `block`. Returns the index of the node giving
 * the candidate's output, or -1 with err set. */
int ar_cand_emit(ar_graph_t *g, ar_cand_t c, int in, int channels, int stride,
                 const char *prefix, const char *block, ar_err_t *err);

#endif
