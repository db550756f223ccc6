/* repair_params.c - the repair task parameter lists' schemas and the repair
 * set's configuration from them (repair_params.h). */
#include "repair_params.h"

#include <stdio.h>
#include <string.h>

#include "repair/search.h"

AR_PARAMS_DEFINE(ar_repair_set_params, AR_REPAIR_SET_PARAMS)
AR_PARAMS_DEFINE(ar_repair_candidate_params, AR_REPAIR_CANDIDATE_PARAMS)
AR_PARAMS_DEFINE(ar_repair_localize_params, AR_REPAIR_LOCALIZE_PARAMS)

int ar_names_to_ids(const char *list, int (*parse)(const char *), int *ids, int max, int *n,
                    const char *what, ar_err_t *err)
{
    char buf[AR_PROTO_MAX_TEXT];
    snprintf(buf, sizeof buf, "%s", list);
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int id = parse(tok);
        if (id < 0 || *n == max) return ar_err_set(err, AR_E_PROTO, "unknown or too many %s '%s'", what, tok);
        ids[(*n)++] = id;
    }
    return AR_OK;
}

static int parse_corr(const char *s) { return ar_corrupt_find(s); }

int ar_repair_set_cfg_from_params(const ar_repair_set_params_t *p, int channels,
                                  ar_repair_set_cfg_t *c, ar_err_t *err)
{
    if (p->mean.n != channels || p->std.n != channels)
        return ar_err_set(err, AR_E_PROTO, "mean/std have %lld/%lld entries, the model %d channels",
                          (long long)p->mean.n, (long long)p->std.n, channels);
    *c = (ar_repair_set_cfg_t){.path = p->train_path, .split = p->train_split, .skip = p->skip,
                               .pool = p->pool, .val = p->val, .failing = p->failing,
                               .sample = p->sample, .augment = p->augment,
                               .seed = (uint64_t)p->set_seed, .mean = p->mean.v, .std = p->std.v,
                               .batch = (int)p->eval_batch};
    int st = ar_names_to_ids(p->corruptions, parse_corr, c->corruptions, AR_CORRUPT_COUNT,
                             &c->ncorruptions, "corruption", err);
    if (st) return st;
    for (int64_t i = 0; i < p->severities.n; i++) {
        int64_t v = p->severities.v[i];
        if (v < 1 || v > AR_CORRUPT_SEVERITIES)
            return ar_err_set(err, AR_E_PROTO, "severity %lld", (long long)v);
        c->severities[c->nseverities++] = (int)v;
    }
    return AR_OK;
}

int ar_repair_max_parts(int64_t batch, int64_t micro_batch, int method)
{
    if (micro_batch <= 0 || method == AR_METHOD_BN_ADAPT) return 1;
    int64_t k = (batch + micro_batch - 1) / micro_batch;
    return (int)(k < 1 ? 1 : k > AR_PROTO_MAX_PARTS ? AR_PROTO_MAX_PARTS : k);
}
