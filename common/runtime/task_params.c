/* task_params.c - the generic encoder / decoder behind every task's
 * parameter struct (task_params.h). */
#include "task_params.h"

#include <string.h>

static const char *kind_word(ar_param_kind_t k)
{
    switch (k) {
    case AR_PK_INT: return "an int";
    case AR_PK_FLOAT: return "a float";
    case AR_PK_STR: return "a string";
    case AR_PK_F32S: return "a 1-D f32 tensor";
    case AR_PK_F64S: return "a 1-D f64 tensor";
    case AR_PK_I64S: return "a 1-D i64 tensor";
    default: return "?";
    }
}

static const char *val_word(const ar_field_t *f)
{
    switch (f->kind) {
    case AR_VAL_INT: return "an int";
    case AR_VAL_FLOAT: return "a float";
    case AR_VAL_STR: return "a string";
    default: return "a tensor";
    }
}

static ar_wdtype_t array_dtype(ar_param_kind_t k)
{
    return k == AR_PK_F32S ? AR_WDT_F32 : k == AR_PK_F64S ? AR_WDT_F64 : AR_WDT_I64;
}

/* An array member's view, whatever its element type (the three view types
 * share one layout: pointer, then count). */
typedef struct array_view {
    const void *v;
    int64_t n;
} array_view_t;

static int range_err(const ar_params_schema_t *s, const ar_param_field_t *f, ar_status_t st,
                     const char *what, long long v, ar_err_t *err)
{
    return ar_err_set(err, st, "%s: field '%s' %s %lld outside %lld..%lld", s->name, f->name, what, v,
                      (long long)f->lo, (long long)f->hi);
}

/* Checks one leaf value of a struct against its row; st is the status to
 * report (AR_E_ARG when encoding, AR_E_PROTO when decoding). */
static int check(const ar_params_schema_t *s, const ar_param_field_t *f, const char *base,
                 ar_status_t st, ar_err_t *err)
{
    const void *m = base + f->offset;
    switch (f->kind) {
    case AR_PK_INT: {
        int64_t v;
        memcpy(&v, m, sizeof v);
        return v < f->lo || v > f->hi ? range_err(s, f, st, "=", (long long)v, err) : AR_OK;
    }
    case AR_PK_FLOAT: {
        double v;
        memcpy(&v, m, sizeof v);
        if (!(v >= f->flo && v <= f->fhi))
            return ar_err_set(err, st, "%s: field '%s' = %g outside %g..%g", s->name, f->name, v,
                              f->flo, f->fhi);
        return AR_OK;
    }
    case AR_PK_STR: {
        const char *v;
        memcpy(&v, m, sizeof v);
        if (!v) return ar_err_set(err, st, "%s: field '%s' not set", s->name, f->name);
        size_t len = strlen(v);
        return (int64_t)len < f->lo || (int64_t)len > f->hi
                   ? range_err(s, f, st, "has length", (long long)len, err)
                   : AR_OK;
    }
    default: {
        array_view_t a;
        memcpy(&a, m, sizeof a);
        if (a.n < f->lo || a.n > f->hi) return range_err(s, f, st, "has count", (long long)a.n, err);
        if (a.n > 0 && !a.v) return ar_err_set(err, st, "%s: field '%s' not set", s->name, f->name);
        return AR_OK;
    }
    }
}

static int encode(const ar_params_schema_t *s, const char *base, ar_fields_t *out, ar_err_t *err)
{
    for (int i = 0; i < s->nfields; i++) {
        const ar_param_field_t *f = &s->fields[i];
        const void *m = base + f->offset;
        int st = f->kind == AR_PK_SUB ? AR_OK : check(s, f, base, AR_E_ARG, err);
        if (st) return st;
        switch (f->kind) {
        case AR_PK_SUB: st = encode(f->sub(), m, out, err); break;
        case AR_PK_INT: st = ar_fields_put_int(out, f->name, *(const int64_t *)m, err); break;
        case AR_PK_FLOAT: st = ar_fields_put_float(out, f->name, *(const double *)m, err); break;
        case AR_PK_STR: st = ar_fields_put_str(out, f->name, *(const char *const *)m, err); break;
        default: {
            const array_view_t *a = m;
            st = ar_fields_put_tensor(out, f->name, array_dtype(f->kind), 1, &a->n, a->v, err);
        }
        }
        if (st) return st;
    }
    return AR_OK;
}

int ar_params_encode(const ar_params_schema_t *s, const void *p, ar_fields_t *out, ar_err_t *err)
{
    return encode(s, p, out, err);
}

/* Decodes s's fields into base; *used counts the wire fields taken. */
static int decode(const ar_params_schema_t *s, const ar_fields_t *in, char *base, int *used,
                  ar_err_t *err)
{
    for (int i = 0; i < s->nfields; i++) {
        const ar_param_field_t *f = &s->fields[i];
        void *m = base + f->offset;
        if (f->kind == AR_PK_SUB) {
            int st = decode(f->sub(), in, m, used, err);
            if (st) return st;
            continue;
        }
        const ar_field_t *w = ar_fields_find(in, f->name);
        if (!w) return ar_err_set(err, AR_E_PROTO, "%s: missing field '%s'", s->name, f->name);
        int ok;
        switch (f->kind) {
        case AR_PK_INT: ok = w->kind == AR_VAL_INT; if (ok) *(int64_t *)m = w->i; break;
        case AR_PK_FLOAT: ok = w->kind == AR_VAL_FLOAT; if (ok) *(double *)m = w->f; break;
        case AR_PK_STR: ok = w->kind == AR_VAL_STR; if (ok) *(const char **)m = w->s; break;
        default:
            ok = w->kind == AR_VAL_TENSOR && w->t.ndim == 1 && w->t.dtype == array_dtype(f->kind);
            if (ok) *(array_view_t *)m = (array_view_t){w->t.data, w->t.shape[0]};
        }
        if (!ok)
            return ar_err_set(err, AR_E_PROTO, "%s: field '%s' is %s, expected %s", s->name, f->name,
                              w->kind == AR_VAL_TENSOR && f->kind >= AR_PK_F32S ? "another tensor"
                                                                               : val_word(w),
                              kind_word(f->kind));
        int st = check(s, f, base, AR_E_PROTO, err);
        if (st) return st;
        (*used)++;
    }
    return AR_OK;
}

/* Whether name is a leaf field of s (through its SUB lists). */
static int has_field(const ar_params_schema_t *s, const char *name)
{
    for (int i = 0; i < s->nfields; i++) {
        const ar_param_field_t *f = &s->fields[i];
        if (f->kind == AR_PK_SUB ? has_field(f->sub(), name) : !strcmp(f->name, name)) return 1;
    }
    return 0;
}

int ar_params_decode(const ar_params_schema_t *s, const ar_fields_t *in, void *p, ar_err_t *err)
{
    memset(p, 0, s->size);
    int used = 0, st = decode(s, in, p, &used, err);
    if (st) return st;
    for (int i = 0; used != in->n && i < in->n; i++)
        if (!has_field(s, in->v[i].name))
            return ar_err_set(err, AR_E_PROTO, "%s: unknown field '%s'", s->name, in->v[i].name);
    if (used != in->n) /* names are unique in a body, so only a schema listing one twice */
        return ar_err_set(err, AR_E_INTERNAL, "%s: a field is listed twice", s->name);
    return AR_OK;
}
