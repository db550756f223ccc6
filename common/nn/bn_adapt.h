/* bn_adapt.h - test-time adaptation of batch normalisation: every
 * BatchNorm's running statistics re-estimated on a set of images (typically
 * corrupted ones), with no labels and no gradient.
 *
 * The estimate is the cumulative average over the batches of the batch
 * means and the unbiased batch variances, as PyTorch computes with
 * momentum=None after reset_running_stats(): batch k (from 1) enters with
 * momentum 1/k. Every other parameter is left as it is. Results do not
 * depend on the thread count.
 */
#ifndef AR_NN_BN_ADAPT_H
#define AR_NN_BN_ADAPT_H

#include "core/error.h"
#include "core/tensor.h"
#include "nn/graph.h"

/* Re-estimates g's BatchNorm running statistics on x [n, C, H, W]
 * (normalised, n >= 1) in batches of `batch` (the last may be smaller).
 * The BN momenta are restored afterwards. AR_E_ARG when g has no BatchNorm. */
int ar_bn_adapt(ar_graph_t *g, const ar_tensor_t *x, int batch, int threads, ar_err_t *err);
/* (threads as ar_plan_opts_t's: 0 = the process default) */

#endif
