/* optim.c - SGD, Adam and learning-rate schedules (optim.h). */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/dispatch.h"

struct ar_optim {
    ar_optim_cfg_t c;
    int n;
    ar_param_ref_t *refs;
    float **buf1, **buf2;   /* SGD momentum; Adam m and v */
    int64_t t;
};

void ar_optim_destroy(ar_optim_t **op)
{
    if (!op || !*op) return;
    ar_optim_t *o = *op;
    for (int i = 0; i < o->n; i++) {
        if (o->buf1) ar_aligned_free(o->buf1[i]);
        if (o->buf2) ar_aligned_free(o->buf2[i]);
    }
    free(o->buf1);
    free(o->buf2);
    free(o->refs);
    free(o);
    *op = NULL;
}

ar_optim_t *ar_optim_new(const ar_optim_cfg_t *cfg, const ar_param_ref_t *refs, int n,
                         ar_err_t *err)
{
    ar_optim_cfg_t c = *cfg;
    if (c.kind == AR_OPTIM_ADAM) {
        if (c.beta1 == 0) c.beta1 = 0.9;
        if (c.beta2 == 0) c.beta2 = 0.999;
        if (c.eps == 0) c.eps = 1e-8;
    }
    if (c.weight_decay < 0 || c.momentum < 0 || (c.nesterov && (c.momentum <= 0 || c.dampening != 0)) ||
        c.beta1 < 0 || c.beta1 >= 1 || c.beta2 < 0 || c.beta2 >= 1 || c.eps < 0) {
        ar_err_set(err, AR_E_CONFIG,
                   "optimiser: bad configuration (weight_decay %g, momentum %g, dampening %g, "
                   "nesterov %d, betas %g %g, eps %g)",
                   c.weight_decay, c.momentum, c.dampening, c.nesterov, c.beta1, c.beta2, c.eps);
        return NULL;
    }
    ar_optim_t *o = calloc(1, sizeof *o);
    if (!o) goto nomem;
    o->c = c;
    o->n = n;
    o->refs = calloc((size_t)(n ? n : 1), sizeof *o->refs);
    o->buf1 = calloc((size_t)(n ? n : 1), sizeof *o->buf1);
    o->buf2 = calloc((size_t)(n ? n : 1), sizeof *o->buf2);
    if (!o->refs || !o->buf1 || !o->buf2) goto nomem;
    memcpy(o->refs, refs, (size_t)n * sizeof *refs);
    int nbuf = c.kind == AR_OPTIM_ADAM ? 2 : (c.momentum > 0 ? 1 : 0);
    for (int i = 0; i < n; i++) {
        size_t bytes = (size_t)refs[i].numel * sizeof(float);
        if (nbuf >= 1 && !(o->buf1[i] = ar_aligned_alloc(bytes))) goto nomem;
        if (nbuf >= 2 && !(o->buf2[i] = ar_aligned_alloc(bytes))) goto nomem;
        if (o->buf1[i]) memset(o->buf1[i], 0, bytes);
        if (o->buf2[i]) memset(o->buf2[i], 0, bytes);
    }
    return o;
nomem:
    ar_optim_destroy(&o);
    ar_err_set(err, AR_E_NOMEM, "optimiser: out of memory");
    return NULL;
}

int64_t ar_optim_steps(const ar_optim_t *o) { return o->t; }

AR_KERNEL
static void sgd_one(const ar_optim_cfg_t *c, float *w, const float *g, float *buf, int64_t n,
                    double lr, int first)
{
    const float wd = (float)c->weight_decay, mom = (float)c->momentum,
                damp = (float)(1.0 - c->dampening), flr = (float)lr;
    for (int64_t e = 0; e < n; e++) {
        float d = g[e] + wd * w[e];
        if (buf) {
            buf[e] = first ? d : mom * buf[e] + damp * d;
            d = c->nesterov ? d + mom * buf[e] : buf[e];
        }
        w[e] -= flr * d;
    }
}

AR_KERNEL
static void adam_one(const ar_optim_cfg_t *c, float *w, const float *g, float *m, float *v,
                     int64_t n, double lr, int64_t t)
{
    const float b1 = (float)c->beta1, b2 = (float)c->beta2, wd = (float)c->weight_decay;
    const double bc1 = 1.0 - pow(c->beta1, (double)t), bc2 = 1.0 - pow(c->beta2, (double)t);
    const float step = (float)(lr / bc1), sq2 = (float)sqrt(bc2), eps = (float)c->eps;
    for (int64_t e = 0; e < n; e++) {
        float d = g[e] + wd * w[e];
        m[e] = b1 * m[e] + (1 - b1) * d;
        v[e] = b2 * v[e] + (1 - b2) * d * d;
        w[e] -= step * m[e] / (sqrtf(v[e]) / sq2 + eps);
    }
}

void ar_optim_step(ar_optim_t *o, double lr)
{
    o->t++;
    for (int i = 0; i < o->n; i++) {
        const ar_param_ref_t *r = &o->refs[i];
        if (!r->grad) continue;
        if (o->c.kind == AR_OPTIM_SGD)
            sgd_one(&o->c, r->value, r->grad, o->buf1[i], r->numel, lr, o->t == 1);
        else
            adam_one(&o->c, r->value, r->grad, o->buf1[i], o->buf2[i], r->numel, lr, o->t);
    }
}

double ar_lr_at(const ar_lr_sched_t *s, double t)
{
    double lr = s->base;
    switch (s->kind) {
    case AR_LR_CONSTANT: break;
    case AR_LR_STEP:
        lr = s->base * pow(s->gamma, floor(t / (s->step_size > 0 ? s->step_size : 1)));
        break;
    case AR_LR_COSINE:
        lr = s->eta_min + (s->base - s->eta_min) * (1 + cos(M_PI * t / (s->t_max > 0 ? s->t_max : 1))) / 2;
        break;
    }
    if (s->warmup > 0 && t < s->warmup)
        lr *= s->warmup_start + (1.0 - s->warmup_start) * t / s->warmup;
    return lr;
}

int ar_lr_kind_parse(const char *s)
{
    if (strcmp(s, "constant") == 0) return AR_LR_CONSTANT;
    if (strcmp(s, "step") == 0) return AR_LR_STEP;
    if (strcmp(s, "cosine") == 0) return AR_LR_COSINE;
    return -1;
}
