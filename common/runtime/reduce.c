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
    r->nslots = -1, r->S = -1;
    return AR_OK;
}

typedef struct body {
    int64_t nslots, lo, hi;
    const ar_wtensor_t *sum, *cat;
} body_t;

/* The body's fields, checked for their types and count. */
static int fields_of(const ar_fields_t *b, const char *who, body_t *o, ar_err_t *err)
{
    int s;
    if ((s = ar_fields_get_int(b, "nslots", &o->nslots, err)) ||
        (s = ar_fields_get_int(b, "lo", &o->lo, err)) || (s = ar_fields_get_int(b, "hi", &o->hi, err)) ||
        (s = ar_fields_get_tensor(b, "sum", AR_WDT_F32, 1, &o->sum, err)) ||
        (s = ar_fields_get_tensor(b, "cat", AR_WDT_F32, 2, &o->cat, err)))
        return ar_err_prefix(err, "%s", who);
    if (b->n != 5)
        return ar_err_set(err, AR_E_PROTO, "%s: %d fields, expected nslots, lo, hi, sum, cat", who, b->n);
    if (o->nslots < 1 || o->nslots > (int64_t)1 << 30)
        return ar_err_set(err, AR_E_PROTO, "%s: %lld slots", who, (long long)o->nslots);
    return AR_OK;
}

/* The body's fields, checked for shape (part p of parts). */
static int fields(const ar_fields_t *b, int p, int parts, const char *who, body_t *o, ar_err_t *err)
{
    int s = fields_of(b, who, o, err);
    if (s) return s;
    int64_t lo, hi;
    ar_fold_part(o->nslots, p, parts, &lo, &hi);
    if (o->lo != lo || o->hi != hi || o->cat->shape[0] != hi - lo)
        return ar_err_set(err, AR_E_PROTO, "%s: part %d of %d sent slots %lld..%lld (%lld cat rows) "
                          "of %lld, its share is %lld..%lld", who, p, parts, (long long)o->lo,
                          (long long)o->hi - 1, (long long)o->cat->shape[0], (long long)o->nslots,
                          (long long)lo, (long long)hi - 1);
    return AR_OK;
}

int ar_reduction_add(ar_reduction_t *r, int part, ar_fields_t *body, const char *who,
                     ar_err_t *err)
{
    if (part < 0 || part >= r->parts || r->bodies[part].n)
        return ar_err_set(err, AR_E_PROTO, "%s: part %d of %d, or sent twice", who, part, r->parts);
    body_t b;
    int s = fields(body, part, r->parts, who, &b, err);
    if (s) return s;
    /* an empty node (more parts than slots) may send an empty sum */
    int64_t S = b.hi > b.lo || b.sum->shape[0] ? b.sum->shape[0] : -1;
    if (r->nslots >= 0 && (b.nslots != r->nslots || (S >= 0 && r->S >= 0 && S != r->S) ||
                           b.cat->shape[1] != r->Q))
        return ar_err_set(err, AR_E_PROTO, "%s: %lld slots of %lld + %lld values, the other parts "
                          "sent %lld of %lld + %lld", who, (long long)b.nslots,
                          (long long)b.sum->shape[0], (long long)b.cat->shape[1],
                          (long long)r->nslots, (long long)r->S, (long long)r->Q);
    if (r->nslots < 0 || r->S < 0) r->S = S;
    r->nslots = b.nslots, r->Q = b.cat->shape[1];
    r->bodies[part] = *body;
    memset(body, 0, sizeof *body);
    r->arrived++;
    return AR_OK;
}

int ar_reduction_complete(const ar_reduction_t *r) { return r->parts > 0 && r->arrived == r->parts; }

/* The parts' nodes as the tree's known values. */
typedef struct known {
    body_t *b;
    int n;
} known_t;

static const float *known(void *ctx, int64_t lo, int64_t hi)
{
    const known_t *k = ctx;
    for (int i = 0; i < k->n; i++)
        if (k->b[i].lo == lo && k->b[i].hi == hi && lo < hi) return k->b[i].sum->data;
    return NULL;
}

/* Combines n parts' bodies (part i = bodies[i] of n) into out. */
static int combine(ar_fields_t *const *bodies, int n, ar_fields_t *out, ar_err_t *err)
{
    body_t *b = calloc((size_t)n, sizeof *b);
    if (!b) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    int s = AR_OK;
    for (int i = 0; i < n && !s; i++) s = fields(bodies[i], i, n, "exchange", &b[i], err);
    int64_t S = 0, Q = s ? 0 : b[0].cat->shape[1], M = s ? 0 : b[0].nslots;
    for (int i = 0; i < n && !s; i++) /* from a part with slots (part 0 always has some) */
        if (b[i].hi > b[i].lo) {
            S = b[i].sum->shape[0];
            break;
        }
    for (int i = 0; i < n && !s; i++)
        if (b[i].hi > b[i].lo && b[i].sum->shape[0] != S)
            s = ar_err_set(err, AR_E_PROTO, "exchange: parts of %lld and %lld values",
                           (long long)S, (long long)b[i].sum->shape[0]);
    float *sum = s ? NULL : malloc((size_t)(S ? S : 1) * sizeof *sum),
          *cat = s ? NULL : malloc((size_t)(M * Q > 0 ? M * Q : 1) * sizeof *cat);
    if (!s && (!sum || !cat)) s = ar_err_set(err, AR_E_NOMEM, "out of memory");
    known_t k = {b, n};
    if (!s && ar_fold_tree(sum, S, 0, M, known, &k))
        s = ar_err_set(err, AR_E_PROTO, "exchange: the parts do not cover the %lld slots", (long long)M);
    for (int i = 0; i < n && !s; i++)
        if ((b[i].hi - b[i].lo) * Q > 0)
            memcpy(cat + b[i].lo * Q, b[i].cat->data, (size_t)((b[i].hi - b[i].lo) * Q) * sizeof *cat);
    if (!s) s = ar_fields_put_tensor(out, "sum", AR_WDT_F32, 1, (int64_t[]){S}, sum, err);
    if (!s) s = ar_fields_put_tensor(out, "cat", AR_WDT_F32, 2, (int64_t[]){M, Q}, cat, err);
    free(sum), free(cat), free(b);
    return s;
}

int ar_reduction_result(const ar_reduction_t *r, ar_fields_t *out, ar_err_t *err)
{
    ar_fields_t **b = malloc((size_t)r->parts * sizeof *b);
    if (!b) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    for (int p = 0; p < r->parts; p++) b[p] = &r->bodies[p];
    int s = combine(b, r->parts, out, err);
    free(b);
    return s;
}

int ar_reduce_local(ar_fields_t *body, ar_fields_t *out, ar_err_t *err)
{
    return combine(&body, 1, out, err);
}

/* ---- the reduction tree ------------------------------------------------- */

void ar_tree_role(int64_t nslots, int part, int parts, ar_tree_role_t *role)
{
    memset(role, 0, sizeof *role);
    ar_fold_part(nslots, part, parts, &role->lo, &role->hi);
    role->up.part = -1;
    role->up.lo = role->up.hi = 0;
    int64_t a = 0, b = nslots;
    int pa = 0, k = parts;
    while (k > 1) { /* ar_fold_part's walk, continued past the slots (empty nodes) */
        int kl = (k + 1) / 2;
        int64_t m = b - a > 1 ? a + (b - a + 1) / 2 : b;
        if (part < pa + kl) {
            if (part == pa && role->nchildren < AR_TREE_MAX_CHILDREN)
                role->children[role->nchildren++] = (ar_tree_link_t){pa + kl, m, b};
            b = m, k = kl;
        } else {
            if (part == pa + kl) role->up = (ar_tree_link_t){pa, m, b};
            a = m, pa += kl, k -= kl;
        }
    }
}

static ar_field_t *field(ar_fields_t *b, const char *name)
{
    return (ar_field_t *)ar_fields_find(b, name);
}

int ar_tree_merge(ar_fields_t *acc, ar_fields_t *child, int64_t nslots, int64_t mid, int64_t hi,
                  const char *who, ar_err_t *err)
{
    body_t a, c;
    int s = fields_of(acc, "exchange (own node)", &a, err);
    if (!s) s = fields_of(child, who, &c, err);
    if (s) return s;
    if (c.nslots != nslots || c.lo != mid || c.hi != hi || c.cat->shape[0] != hi - mid)
        return ar_err_set(err, AR_E_PROTO, "%s: sent slots %lld..%lld (%lld cat rows) of %lld, "
                          "expected %lld..%lld of %lld", who, (long long)c.lo, (long long)c.hi - 1,
                          (long long)c.cat->shape[0], (long long)c.nslots, (long long)mid,
                          (long long)hi - 1, (long long)nslots);
    if (a.nslots != nslots || a.hi != mid)
        return ar_err_set(err, AR_E_INTERNAL, "exchange: own node %lld..%lld cannot take %lld..%lld",
                          (long long)a.lo, (long long)a.hi - 1, (long long)mid, (long long)hi - 1);
    if (hi == mid) { /* an empty node: nothing to add */
        ar_fields_clear(child);
        return AR_OK;
    }
    if (c.sum->shape[0] != a.sum->shape[0] || c.cat->shape[1] != a.cat->shape[1])
        return ar_err_set(err, AR_E_PROTO, "%s: %lld + %lld values per slot, this part has "
                          "%lld + %lld", who, (long long)c.sum->shape[0], (long long)c.cat->shape[1],
                          (long long)a.sum->shape[0], (long long)a.cat->shape[1]);
    ar_field_t *as = field(acc, "sum"), *ac = field(acc, "cat"), *ah = field(acc, "hi");
    const float *cs = c.sum->data;
    float *d = as->t.data;
    for (int64_t i = 0; i < as->t.shape[0]; i++) d[i] += cs[i]; /* node [lo,mid) + [mid,hi) */
    size_t add = c.cat->nbytes, have = ac->t.nbytes;
    if (add) {
        void *p = realloc(ac->t.data, have + add);
        if (!p) return ar_err_set(err, AR_E_NOMEM, "out of memory combining an exchange");
        memcpy((char *)p + have, c.cat->data, add);
        ac->t.data = p, ac->t.nbytes = have + add;
    }
    ac->t.shape[0] += c.cat->shape[0]; /* rows of Q values, Q maybe 0 */
    ah->i = hi;
    ar_fields_clear(child);
    return AR_OK;
}
