/* batchnorm.h - 2-D batch normalisation kernels (PyTorch semantics).
 *
 * Train: batch mean and biased variance normalise; running stats update as
 * running = (1-momentum)*running + momentum*batch, with the UNBIASED batch
 * variance (n/(n-1)) for running_var (PyTorch refuses a single value per
 * channel in training; here it then uses the biased one). Eval: running
 * statistics.
 * affine = 0 means no gamma/beta (pass NULL). Backward (train mode) ADDS into
 * dx, dgamma, dbeta (any may be NULL). running_mean / running_var may be NULL
 * in train mode (no tracking); save_mean / save_invstd may be NULL when no
 * backward follows. y may equal x (in place) in the forward functions.
 *
 * relu = 1 fuses the ReLU that follows the BN (the lean plan's BN -> ReLU,
 * one pass less each way): forwards write max(0, bn(x)); the backward takes
 * dy as the gradient of the ReLU's output and y as that output, and uses dy
 * only where y > 0 (ar_relu_backward's mask). Same bits as BN then ReLU.
 */
#ifndef AR_NN_BATCHNORM_H
#define AR_NN_BATCHNORM_H

#include "core/tensor.h"

typedef struct ar_bn_cfg {
    int channels;
    float eps;          /* default 1e-5 */
    float momentum;     /* default 0.1 */
    int threads;        /* threads the kernels may use, split by channels (0 or 1: the
                         * caller's only); results do not depend on it */
    int relu;           /* 1: the following ReLU fused in (above); 0: plain BN */
} ar_bn_cfg_t;

/* save_mean / save_invstd [C] receive the batch mean and 1/sqrt(var+eps). */
void ar_bn_forward_train(const ar_bn_cfg_t *c, const ar_tensor_t *x, const float *gamma,
                         const float *beta, float *running_mean, float *running_var,
                         ar_tensor_t *y, float *save_mean, float *save_invstd);
void ar_bn_forward_eval(const ar_bn_cfg_t *c, const ar_tensor_t *x, const float *gamma,
                        const float *beta, const float *running_mean, const float *running_var,
                        ar_tensor_t *y);
/* y: the fused ReLU's output when c->relu (else NULL, unread). */
void ar_bn_backward(const ar_bn_cfg_t *c, const ar_tensor_t *x, const float *gamma,
                    const float *save_mean, const float *save_invstd, const ar_tensor_t *y,
                    const ar_tensor_t *dy, ar_tensor_t *dx, float *dgamma, float *dbeta);
/* Folds eval-mode BN into the preceding conv: w [Cout, ...] of wsize floats
 * per output channel, bias [Cout] (written; zeros assumed if conv had none). */
void ar_bn_fold_into_conv(const ar_bn_cfg_t *c, const float *gamma, const float *beta,
                          const float *running_mean, const float *running_var, float *w,
                          int wsize_per_out, float *bias);

#endif
