/* optim.h - optimisers (SGD, Adam) and learning-rate schedules, with
 * PyTorch's exact semantics (torch.optim.SGD / Adam, lr_scheduler).
 *
 * An optimiser is built over a list of parameter references (usually
 * ar_plan_params) and keeps its state (momentum / moment buffers, one per
 * parameter, allocated at creation; a step never allocates).
 *   SGD:  g' = g + wd*w; buf = g' at the first step, else momentum*buf +
 *         (1-dampening)*g'; step = nesterov ? g' + momentum*buf : buf (or g'
 *         when momentum = 0); w -= lr*step.
 *   Adam: g' = g + wd*w; m = b1*m + (1-b1)*g'; v = b2*v + (1-b2)*g'^2;
 *         w -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
 * References whose grad is NULL are skipped. Owner: ar_optim_destroy.
 */
#ifndef AR_NN_OPTIM_H
#define AR_NN_OPTIM_H

#include <stdint.h>

#include "core/error.h"
#include "nn/plan.h"

typedef enum { AR_OPTIM_SGD, AR_OPTIM_ADAM } ar_optim_kind_t;

typedef struct ar_optim_cfg {
    ar_optim_kind_t kind;
    double weight_decay;      /* L2 added to the gradient (both kinds) */
    /* SGD */
    double momentum;
    double dampening;
    int nesterov;             /* needs momentum > 0 and dampening 0 */
    /* Adam */
    double beta1, beta2;      /* 0 = 0.9, 0.999 */
    double eps;               /* 0 = 1e-8 */
} ar_optim_cfg_t;

typedef struct ar_optim ar_optim_t;

/* The references are copied (the pointers in them must stay valid). NULL
 * with err set on a bad configuration or no memory. */
ar_optim_t *ar_optim_new(const ar_optim_cfg_t *cfg, const ar_param_ref_t *refs, int n,
                         ar_err_t *err);
void ar_optim_destroy(ar_optim_t **o);
/* One update of every parameter with learning rate lr. */
void ar_optim_step(ar_optim_t *o, double lr);
/* Steps taken so far. */
int64_t ar_optim_steps(const ar_optim_t *o);

/* Learning-rate schedules, as a function of t (epochs or steps, the
 * caller's choice, counted from 0):
 *   constant: base;
 *   step:     base * gamma^floor(t / step_size)                  (StepLR)
 *   cosine:   eta_min + (base - eta_min)(1 + cos(pi t / t_max))/2  (CosineAnnealingLR)
 * with an optional linear warm-up over the first `warmup` units: the factor
 * goes from warmup_start to 1 linearly (LinearLR), multiplying the schedule
 * evaluated at t. */
typedef enum { AR_LR_CONSTANT, AR_LR_STEP, AR_LR_COSINE } ar_lr_kind_t;

typedef struct ar_lr_sched {
    ar_lr_kind_t kind;
    double base;
    double gamma;        /* step */
    double step_size;    /* step */
    double t_max;        /* cosine */
    double eta_min;      /* cosine */
    double warmup;       /* 0: none */
    double warmup_start; /* factor at t = 0, e.g. 0.1 */
} ar_lr_sched_t;

double ar_lr_at(const ar_lr_sched_t *s, double t);
/* Parses "constant", "step", "cosine"; -1 when unknown. */
int ar_lr_kind_parse(const char *s);

#endif
