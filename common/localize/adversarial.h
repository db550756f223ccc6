/* adversarial.h - FGSM and k-step PGD examples from a plan's input gradient.
 *
 * Budgets are in pixel units of 1/255 (eps = 8 means every pixel may move by
 * 8/255 of the full range), turned into the normalised input space per
 * channel (eps / 255 / std[c]); every step and the result stay inside the
 * L-inf ball around x and inside the valid pixel range [0, 1] (normalised:
 * [(0 - mean[c]) / std[c], (1 - mean[c]) / std[c]]). The loss is the mean
 * softmax cross-entropy against the true labels (ar_plan_loss); only its
 * gradient's sign is used, so the batch mean vs sum makes no difference.
 *   FGSM: x' = clip(x + eps * sign(dL/dx)).
 *   PGD:  x0 = clip(x + U(-eps, eps)) with the uniform noise of example i
 *         drawn from keys[i] (so it does not depend on batching or rank),
 *         then `steps` times x = project(x + step * sign(dL/dx)).
 * Adversarial images stay float (not re-quantised to 8 bits).
 */
#ifndef AR_LOCALIZE_ADVERSARIAL_H
#define AR_LOCALIZE_ADVERSARIAL_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"
#include "nn/plan.h"

typedef enum { AR_ADV_NONE, AR_ADV_FGSM, AR_ADV_PGD, AR_ADV_COUNT } ar_adv_method_t;

/* "none", "fgsm", "pgd"; parse: -1 when unknown. */
const char *ar_adv_name(ar_adv_method_t m);
int ar_adv_parse(const char *s);

typedef struct ar_adv_cfg {
    ar_adv_method_t method;
    double eps;      /* L-inf budget, pixel/255 units (> 0 unless method none) */
    double step;     /* PGD step, pixel/255 units */
    int steps;       /* PGD steps (>= 1) */
} ar_adv_cfg_t;

/* Writes the adversarial version of x [n, C, H, W] (n = x->shape[0] <= the
 * plan's batch) into xadv (same shape, allocated). The plan must have been
 * built with input_grad; its outputs and gradients are overwritten. mean/std
 * are the graph's normalisation (C each); keys[i] seeds example i's PGD
 * start (unused by FGSM). method none copies x. */
int ar_adv_attack(ar_plan_t *p, const ar_adv_cfg_t *cfg, const float *mean, const float *std,
                  const ar_tensor_t *x, const int32_t *labels, const uint64_t *keys,
                  ar_tensor_t *xadv, ar_err_t *err);

#endif
