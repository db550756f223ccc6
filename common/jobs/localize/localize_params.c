/* localize_params.c - the localize task parameter lists' schemas and the
 * conversions to and from the localization options (localize_params.h). */
#include "localize_params.h"

AR_PARAMS_DEFINE(ar_lz_adv_params, AR_LZ_ADV_PARAMS)
AR_PARAMS_DEFINE(ar_localize_opts_params, AR_LOCALIZE_OPTS_PARAMS)
AR_PARAMS_DEFINE(ar_lz_engine_params, AR_LZ_ENGINE_PARAMS)
AR_PARAMS_DEFINE(ar_localize_scan_params, AR_LOCALIZE_SCAN_PARAMS)
AR_PARAMS_DEFINE(ar_localize_spectrum_params, AR_LOCALIZE_SPECTRUM_PARAMS)

static ar_lz_adv_params_t adv_params(const ar_adv_cfg_t *a)
{
    return (ar_lz_adv_params_t){.adv = a->method, .eps = a->eps, .step = a->step, .steps = a->steps};
}

ar_adv_cfg_t ar_lz_adv_cfg(const ar_lz_adv_params_t *p)
{
    return (ar_adv_cfg_t){.method = (ar_adv_method_t)p->adv, .eps = p->eps, .step = p->step,
                          .steps = (int)p->steps};
}

ar_localize_opts_params_t ar_localize_opts_params(const ar_localize_opts_t *o)
{
    return (ar_localize_opts_params_t){.adversarial = adv_params(&o->adv), .formula = o->formula,
                                       .threshold_mode = o->threshold_mode, .threshold = o->threshold,
                                       .gscale = o->gscale, .gnorm = o->gnorm,
                                       .aggregate = o->aggregate, .top_k = o->top_k};
}

void ar_localize_opts_apply(const ar_localize_opts_params_t *p, ar_localize_opts_t *o)
{
    o->adv = ar_lz_adv_cfg(&p->adversarial);
    o->formula = (ar_sbfl_t)p->formula;
    o->threshold_mode = (ar_thresh_mode_t)p->threshold_mode;
    o->threshold = p->threshold;
    o->gscale = (ar_gscale_t)p->gscale;
    o->gnorm = (ar_gnorm_t)p->gnorm;
    o->aggregate = (ar_agg_t)p->aggregate;
    o->top_k = (int)p->top_k;
}

ar_lz_engine_params_t ar_lz_engine_params(const char *model, const ar_localize_opts_t *o,
                                          const float *mean, const float *std, int channels)
{
    return (ar_lz_engine_params_t){.model = model, .batch = o->batch, .mean = {mean, channels},
                                   .std = {std, channels}, .lz_seed = (int64_t)o->seed,
                                   .adversarial = adv_params(&o->adv)};
}
