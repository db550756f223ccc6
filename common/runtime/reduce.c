/* reduce.c - collecting and combining a shared task's exchanges (reduce.h). */
#include "reduce.h"

#include <stdlib.h>
#include <string.h>

#include "core/fold.h"

void ar_reduction_free(ar_reduction_t *r)
{
    for (int i = 0; r->bodies && i < r->parts; i++) ar_fields_clear(&r->bodies[i]);
    free(r->bodies);
    memset(r, 0, sizeof *r);
}

int ar_reduction_begin(ar_reduction_t *r, int parts, ar_err_t *err)
{
    ar_reduction_free(r);
    if (!(r->bodies = calloc((size_t)parts, sizeof *r->bodies)))
        return ar_err_set(err, AR_E_NOMEM, "out of memory for an exchange of %d parts", parts);
    r->parts = parts;
    r->nslots = -1;
    return AR_OK;
}

/* The body's fields: nslots, slots [m], sum [m, S], cat [m, Q]. */
static int fields(const ar_fields_t *b, const char *who, int64_t *nslots, const ar_wtensor_t **sl,
                  const ar_wtensor_t **sum, const ar_wtensor_t **cat, ar_err_t *err)
{
    int s;
    if ((s = ar_fields_get_int(b, "nslots", nslots, err)) ||
        (s = ar_fields_get_tensor(b, "slots", AR_WDT_I64, 1, sl, err)) ||
        (s = ar_fields_get_tensor(b, "sum", AR_WDT_F32, 2, sum, err)) ||
        (s = ar_fields_get_tensor(b, "cat", AR_WDT_F32, 2, cat, err)))
        return ar_err_prefix(err, "%s", who);
    if (b->n != 4) return ar_err_set(err, AR_E_PROTO, "%s: %d fields, expected nslots, slots, sum, cat", who, b->n);
    int64_t m = (*sl)->shape[0];
    if (*nslots < 0 || *nslots > (int64_t)1 << 30 || (*sum)->shape[0] != m || (*cat)->shape[0] != m)
        return ar_err_set(err, AR_E_PROTO, "%s: %lld slots of %lld, sum rows %lld, cat rows %lld",
                          who, (long long)m, (long long)*nslots, (long long)(*sum)->shape[0],
                          (long long)(*cat)->shape[0]);
    return AR_OK;
}

int ar_reduction_add(ar_reduction_t *r, int part, ar_fields_t *body, const char *who,
                     ar_err_t *err)
{
    if (part < 0 || part >= r->parts || r->bodies[part].n)
        return ar_err_set(err, AR_E_PROTO, "%s: part %d of %d, or sent twice", who, part, r->parts);
    int64_t nslots;
    const ar_wtensor_t *sl, *sum, *cat;
    int s = fields(body, who, &nslots, &sl, &sum, &cat, err);
    if (s) return s;
    if (r->nslots >= 0 && (nslots != r->nslots || sum->shape[1] != r->S || cat->shape[1] != r->Q))
        return ar_err_set(err, AR_E_PROTO, "%s: %lld slots of %lld + %lld values, the other parts "
                          "sent %lld of %lld + %lld", who, (long long)nslots, (long long)sum->shape[1],
                          (long long)cat->shape[1], (long long)r->nslots, (long long)r->S,
                          (long long)r->Q);
    const int64_t *ids = sl->data;
    for (int64_t k = 0; k < sl->shape[0]; k++) {
        if (ids[k] < 0 || ids[k] >= nslots || (k && ids[k] <= ids[k - 1]))
            return ar_err_set(err, AR_E_PROTO, "%s: slot %lld out of order or outside 0..%lld", who,
                              (long long)ids[k], (long long)nslots - 1);
        for (int p = 0; p < r->parts; p++) {
            const ar_wtensor_t *o;
            ar_err_t e = {0};
            if (!r->bodies[p].n || ar_fields_get_tensor(&r->bodies[p], "slots", AR_WDT_I64, 1, &o, &e))
                continue;
            for (int64_t j = 0; j < o->shape[0]; j++)
                if (((const int64_t *)o->data)[j] == ids[k])
                    return ar_err_set(err, AR_E_PROTO, "%s: slot %lld was computed by part %d too",
                                      who, (long long)ids[k], p);
        }
    }
    r->nslots = nslots, r->S = sum->shape[1], r->Q = cat->shape[1];
    r->bodies[part] = *body;
    memset(body, 0, sizeof *body);
    r->arrived++;
    return AR_OK;
}

int ar_reduction_complete(const ar_reduction_t *r) { return r->parts > 0 && r->arrived == r->parts; }

/* Folds the bodies' rows in slot order into sum [S] and cat [nslots, Q]. */
static int fold(ar_fields_t *const *bodies, int n, int64_t nslots, int64_t S, int64_t Q,
                ar_fields_t *out, ar_err_t *err)
{
    const float **srow = calloc((size_t)(nslots ? nslots : 1), sizeof *srow),
                **crow = calloc((size_t)(nslots ? nslots : 1), sizeof *crow);
    float *sum = malloc((size_t)(S ? S : 1) * sizeof *sum),
          *cat = malloc((size_t)(nslots * Q > 0 ? nslots * Q : 1) * sizeof *cat);
    int s = (!srow || !crow || !sum || !cat) ? ar_err_set(err, AR_E_NOMEM, "out of memory") : AR_OK;
    for (int p = 0; p < n && !s; p++) {
        const ar_wtensor_t *sl, *su, *ca;
        if ((s = ar_fields_get_tensor(bodies[p], "slots", AR_WDT_I64, 1, &sl, err)) ||
            (s = ar_fields_get_tensor(bodies[p], "sum", AR_WDT_F32, 2, &su, err)) ||
            (s = ar_fields_get_tensor(bodies[p], "cat", AR_WDT_F32, 2, &ca, err)))
            break;
        for (int64_t k = 0; k < sl->shape[0]; k++) {
            int64_t id = ((const int64_t *)sl->data)[k];
            srow[id] = (const float *)su->data + k * S;
            crow[id] = (const float *)ca->data + k * Q;
        }
    }
    for (int64_t k = 0; k < nslots && !s; k++)
        if (!srow[k]) s = ar_err_set(err, AR_E_PROTO, "exchange: no part computed slot %lld", (long long)k);
    for (int64_t k = 0; k < nslots && !s; k++) {
        if (k == 0) ar_fold_first(sum, srow[k], S);
        else ar_fold_add(sum, srow[k], S);
        memcpy(cat + k * Q, crow[k], (size_t)Q * sizeof *cat);
    }
    if (!s && nslots == 0) memset(sum, 0, (size_t)S * sizeof *sum);
    if (!s) s = ar_fields_put_tensor(out, "sum", AR_WDT_F32, 1, (int64_t[]){S}, sum, err);
    if (!s) s = ar_fields_put_tensor(out, "cat", AR_WDT_F32, 2, (int64_t[]){nslots, Q}, cat, err);
    free(srow), free(crow), free(sum), free(cat);
    return s;
}

int ar_reduction_result(const ar_reduction_t *r, ar_fields_t *out, ar_err_t *err)
{
    ar_fields_t **b = malloc((size_t)r->parts * sizeof *b);
    if (!b) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    for (int p = 0; p < r->parts; p++) b[p] = &r->bodies[p];
    int s = fold(b, r->parts, r->nslots, r->S, r->Q, out, err);
    free(b);
    return s;
}

int ar_reduce_local(ar_fields_t *body, ar_fields_t *out, ar_err_t *err)
{
    int64_t nslots;
    const ar_wtensor_t *sl, *sum, *cat;
    int s = fields(body, "exchange", &nslots, &sl, &sum, &cat, err);
    if (s) return s;
    return fold(&body, 1, nslots, sum->shape[1], cat->shape[1], out, err);
}
