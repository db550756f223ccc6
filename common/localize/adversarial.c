/* adversarial.c - FGSM / PGD on a plan's input gradient. Contract:
 * adversarial.h. */
#include "adversarial.h"

#include <string.h>

#include "core/rng.h"

static const char *const adv_names[] = {"none", "fgsm", "pgd"};
_Static_assert(sizeof adv_names / sizeof adv_names[0] == AR_ADV_COUNT, "adversarial names out of step");

const char *ar_adv_name(ar_adv_method_t m) { return (unsigned)m < AR_ADV_COUNT ? adv_names[m] : "?"; }

int ar_adv_parse(const char *s)
{
    for (int i = 0; i < AR_ADV_COUNT; i++)
        if (!strcmp(s, adv_names[i])) return i;
    return -1;
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* One signed-gradient step of size `step` (per channel) from xadv, projected
 * on the eps ball around x and the pixel range. */
static void step_project(const ar_tensor_t *x, ar_tensor_t *xadv, const float *g, const float *step,
                         const float *eps, const float *lo, const float *hi)
{
    int64_t n = x->shape[0], c = x->shape[1], hw = x->shape[2] * x->shape[3];
    for (int64_t i = 0; i < n; i++)
        for (int64_t ch = 0; ch < c; ch++) {
            int64_t o = (i * c + ch) * hw;
            for (int64_t k = 0; k < hw; k++) {
                float d = g ? (g[o + k] > 0 ? step[ch] : (g[o + k] < 0 ? -step[ch] : 0.0f)) : 0.0f;
                float v = xadv->data[o + k] + d;
                v = clampf(v, x->data[o + k] - eps[ch], x->data[o + k] + eps[ch]);
                xadv->data[o + k] = clampf(v, lo[ch], hi[ch]);
            }
        }
}

static int input_grad(ar_plan_t *p, const ar_tensor_t *xin, const int32_t *labels, const float **g,
                      ar_err_t *err)
{
    int s = ar_plan_forward(p, xin, AR_MODE_EVAL, err);
    if (s) return s;
    ar_plan_loss(p, labels, NULL);
    if ((s = ar_plan_backward(p, err))) return s;
    ar_tensor_t *gt = ar_plan_grad(p, -1);
    if (!gt) return ar_err_set(err, AR_E_ARG, "adversarial: plan built without input_grad");
    *g = gt->data;
    return AR_OK;
}

int ar_adv_attack(ar_plan_t *p, const ar_adv_cfg_t *cfg, const float *mean, const float *std,
                  const ar_tensor_t *x, const int32_t *labels, const uint64_t *keys,
                  ar_tensor_t *xadv, ar_err_t *err)
{
    int64_t c = x->shape[1];
    if (c > 4) return ar_err_set(err, AR_E_ARG, "adversarial: %lld channels (at most 4)", (long long)c);
    float eps[4], step[4], lo[4], hi[4];
    for (int64_t ch = 0; ch < c; ch++) {
        eps[ch] = (float)(cfg->eps / 255.0 / std[ch]);
        step[ch] = (float)(cfg->step / 255.0 / std[ch]);
        lo[ch] = (float)((0.0 - mean[ch]) / std[ch]);
        hi[ch] = (float)((1.0 - mean[ch]) / std[ch]);
    }
    memcpy(xadv->data, x->data, (size_t)ar_tensor_numel(x) * sizeof(float));
    if (cfg->method == AR_ADV_NONE) return AR_OK;
    const float *g = NULL;
    int s;
    if (cfg->method == AR_ADV_FGSM) {
        if ((s = input_grad(p, x, labels, &g, err))) return s;
        step_project(x, xadv, g, eps, eps, lo, hi);
        return AR_OK;
    }
    /* PGD: keyed uniform start, then projected signed steps */
    int64_t n = x->shape[0], per = ar_tensor_numel(x) / n, hw = x->shape[2] * x->shape[3];
    for (int64_t i = 0; i < n; i++) {
        ar_rng_t r;
        ar_rng_init(&r, keys[i]);
        for (int64_t k = 0; k < per; k++) {
            int64_t ch = k / hw;
            xadv->data[i * per + k] += (float)ar_rng_range(&r, -eps[ch], eps[ch]);
        }
    }
    step_project(x, xadv, NULL, step, eps, lo, hi);
    for (int t = 0; t < cfg->steps; t++) {
        if ((s = input_grad(p, xadv, labels, &g, err))) return s;
        step_project(x, xadv, g, step, eps, lo, hi);
    }
    return AR_OK;
}
