/* msg.c - names of message types and dtypes, and the typed field set. */
#include "msg.h"

#include <stdlib.h>
#include <string.h>


static const char *const type_names[] = {
    "?",
#define AR_MSG_TEXT(name, text) text,
    AR_MSG_TYPE_MAP(AR_MSG_TEXT)
#undef AR_MSG_TEXT
};
_Static_assert(sizeof type_names / sizeof type_names[0] == AR_MSG_TYPE_COUNT,
               "type name table out of step with AR_MSG_TYPE_MAP");

static const char *const dtype_names[AR_WDT_COUNT] = {"u8", "i32", "i64", "f32", "f64"};
static const size_t dtype_sizes[AR_WDT_COUNT] = {1, 4, 8, 4, 8};
static const char *const kind_names[] = {"int", "float", "str", "tensor"};

const char *ar_msg_type_name(int type)
{
    return (type > AR_MSG_NONE && type < AR_MSG_TYPE_COUNT) ? type_names[type] : "?";
}

ar_msg_type_t ar_msg_type_parse(const char *name, size_t len)
{
    for (int t = 1; t < AR_MSG_TYPE_COUNT; t++)
        if (strlen(type_names[t]) == len && memcmp(type_names[t], name, len) == 0)
            return (ar_msg_type_t)t;
    return AR_MSG_NONE;
}

const char *ar_wdtype_name(int dtype)
{
    return (dtype >= 0 && dtype < AR_WDT_COUNT) ? dtype_names[dtype] : "?";
}

int ar_wdtype_parse(const char *name, size_t len)
{
    for (int d = 0; d < AR_WDT_COUNT; d++)
        if (strlen(dtype_names[d]) == len && memcmp(dtype_names[d], name, len) == 0) return d;
    return -1;
}

size_t ar_wdtype_size(int dtype)
{
    return (dtype >= 0 && dtype < AR_WDT_COUNT) ? dtype_sizes[dtype] : 0;
}

const char *ar_val_kind_name(int kind)
{
    return (kind >= 0 && kind <= AR_VAL_TENSOR) ? kind_names[kind] : "?";
}

void ar_field_release(ar_field_t *f)
{
    if (!f) return;
    free(f->s);
    f->s = NULL;
    free(f->t.data);
    f->t.data = NULL;
    f->t.nbytes = 0;
}

void ar_fields_clear(ar_fields_t *fs)
{
    if (!fs) return;
    for (int i = 0; i < fs->n; i++) ar_field_release(&fs->v[i]);
    free(fs->v);
    fs->v = NULL;
    fs->n = fs->cap = 0;
}

const ar_field_t *ar_fields_find(const ar_fields_t *fs, const char *name)
{
    for (int i = 0; i < fs->n; i++)
        if (strcmp(fs->v[i].name, name) == 0) return &fs->v[i];
    return NULL;
}

/* Checks a tensor's shape and byte count; returns AR_OK or AR_E_ARG. */
static int check_tensor(const char *name, const ar_wtensor_t *t, ar_err_t *err)
{
    if ((unsigned)t->dtype >= AR_WDT_COUNT)
        return ar_err_set(err, AR_E_ARG, "field '%s': bad dtype %d", name, (int)t->dtype);
    if (t->ndim < 0 || t->ndim > AR_PROTO_MAX_NDIM)
        return ar_err_set(err, AR_E_ARG, "field '%s': %d dimensions (max %d)", name, t->ndim,
                          AR_PROTO_MAX_NDIM);
    uint64_t n = ar_wdtype_size(t->dtype);
    for (int d = 0; d < t->ndim; d++) {
        if (t->shape[d] < 0)
            return ar_err_set(err, AR_E_ARG, "field '%s': negative dimension", name);
        uint64_t dim = (uint64_t)t->shape[d];
        if (dim && n > UINT64_MAX / dim)
            return ar_err_set(err, AR_E_ARG, "field '%s': shape overflows", name);
        n *= dim;
    }
    if (n != t->nbytes)
        return ar_err_set(err, AR_E_ARG,
                          "field '%s': shape needs %llu bytes of %s, payload has %zu", name,
                          (unsigned long long)n, ar_wdtype_name(t->dtype), t->nbytes);
    return AR_OK;
}

int ar_fields_take(ar_fields_t *fs, ar_field_t *f, ar_err_t *err)
{
    size_t len = strnlen(f->name, AR_PROTO_MAX_NAME);
    if (len == 0 || len >= AR_PROTO_MAX_NAME)
        return ar_err_set(err, AR_E_ARG, "field name empty or longer than %d bytes",
                          AR_PROTO_MAX_NAME - 1);
    if (ar_fields_find(fs, f->name))
        return ar_err_set(err, AR_E_ARG, "duplicate field '%s'", f->name);
    if (fs->n >= AR_PROTO_MAX_FIELDS)
        return ar_err_set(err, AR_E_ARG, "more than %d fields (adding '%s')", AR_PROTO_MAX_FIELDS,
                          f->name);
    if ((unsigned)f->kind > AR_VAL_TENSOR)
        return ar_err_set(err, AR_E_ARG, "field '%s': bad kind %d", f->name, (int)f->kind);
    if (f->kind == AR_VAL_STR && (!f->s || strlen(f->s) >= AR_PROTO_MAX_TEXT))
        return ar_err_set(err, AR_E_ARG, "field '%s': string missing or longer than %d bytes",
                          f->name, AR_PROTO_MAX_TEXT - 1);
    if (f->kind == AR_VAL_TENSOR) {
        int s = check_tensor(f->name, &f->t, err);
        if (s) return s;
    }
    if (fs->n == fs->cap) {
        int cap = fs->cap ? fs->cap * 2 : 8;
        ar_field_t *v = realloc(fs->v, (size_t)cap * sizeof *v);
        if (!v) return ar_err_set(err, AR_E_NOMEM, "out of memory adding field '%s'", f->name);
        fs->v = v;
        fs->cap = cap;
    }
    fs->v[fs->n++] = *f;
    memset(f, 0, sizeof *f);
    return AR_OK;
}

static int put_scalar(ar_fields_t *fs, const char *name, ar_field_t *f, ar_err_t *err)
{
    if (!name || strlen(name) >= AR_PROTO_MAX_NAME)
        return ar_err_set(err, AR_E_ARG, "field name missing or longer than %d bytes",
                          AR_PROTO_MAX_NAME - 1);
    strcpy(f->name, name);
    int s = ar_fields_take(fs, f, err);
    if (s) ar_field_release(f);
    return s;
}

int ar_fields_put_int(ar_fields_t *fs, const char *name, int64_t v, ar_err_t *err)
{
    ar_field_t f = {.kind = AR_VAL_INT, .i = v};
    return put_scalar(fs, name, &f, err);
}

int ar_fields_put_float(ar_fields_t *fs, const char *name, double v, ar_err_t *err)
{
    ar_field_t f = {.kind = AR_VAL_FLOAT, .f = v};
    return put_scalar(fs, name, &f, err);
}

int ar_fields_put_str(ar_fields_t *fs, const char *name, const char *v, ar_err_t *err)
{
    if (!v) return ar_err_set(err, AR_E_ARG, "field '%s': NULL string", name ? name : "?");
    ar_field_t f = {.kind = AR_VAL_STR, .s = strdup(v)};
    if (!f.s) return ar_err_set(err, AR_E_NOMEM, "out of memory adding field '%s'", name);
    return put_scalar(fs, name, &f, err);
}

int ar_fields_put_tensor(ar_fields_t *fs, const char *name, ar_wdtype_t dtype, int ndim,
                         const int64_t *shape, const void *data, ar_err_t *err)
{
    ar_field_t f = {.kind = AR_VAL_TENSOR};
    f.t.dtype = dtype;
    f.t.ndim = ndim;
    if (ndim < 0 || ndim > AR_PROTO_MAX_NDIM)
        return ar_err_set(err, AR_E_ARG, "field '%s': %d dimensions (max %d)", name ? name : "?",
                          ndim, AR_PROTO_MAX_NDIM);
    uint64_t n = ar_wdtype_size(dtype);
    for (int d = 0; d < ndim; d++) {
        f.t.shape[d] = shape[d];
        if (shape[d] < 0 || (shape[d] && n > UINT64_MAX / (uint64_t)shape[d]))
            return ar_err_set(err, AR_E_ARG, "field '%s': bad shape", name ? name : "?");
        n *= (uint64_t)shape[d];
    }
    if (n > SIZE_MAX) return ar_err_set(err, AR_E_ARG, "field '%s': too large", name);
    f.t.nbytes = (size_t)n;
    if (n) {
        f.t.data = malloc((size_t)n);
        if (!f.t.data) return ar_err_set(err, AR_E_NOMEM, "out of memory for tensor '%s'", name);
        memcpy(f.t.data, data, (size_t)n);
    }
    return put_scalar(fs, name, &f, err);
}

static int want(const ar_fields_t *fs, const char *name, ar_val_kind_t kind,
                const ar_field_t **out, ar_err_t *err)
{
    const ar_field_t *f = ar_fields_find(fs, name);
    if (!f) return ar_err_set(err, AR_E_PROTO, "field '%s' missing", name);
    if (f->kind != kind && !(kind == AR_VAL_FLOAT && f->kind == AR_VAL_INT))
        return ar_err_set(err, AR_E_PROTO, "field '%s' is %s, expected %s", name,
                          ar_val_kind_name(f->kind), ar_val_kind_name(kind));
    *out = f;
    return AR_OK;
}

int ar_fields_get_int(const ar_fields_t *fs, const char *name, int64_t *out, ar_err_t *err)
{
    const ar_field_t *f;
    int s = want(fs, name, AR_VAL_INT, &f, err);
    if (!s) *out = f->i;
    return s;
}

int ar_fields_get_float(const ar_fields_t *fs, const char *name, double *out, ar_err_t *err)
{
    const ar_field_t *f;
    int s = want(fs, name, AR_VAL_FLOAT, &f, err);
    if (!s) *out = f->kind == AR_VAL_INT ? (double)f->i : f->f;
    return s;
}

int ar_fields_get_str(const ar_fields_t *fs, const char *name, const char **out, ar_err_t *err)
{
    const ar_field_t *f;
    int s = want(fs, name, AR_VAL_STR, &f, err);
    if (!s) *out = f->s;
    return s;
}

int ar_fields_get_tensor(const ar_fields_t *fs, const char *name, ar_wdtype_t dtype, int ndim,
                         const ar_wtensor_t **out, ar_err_t *err)
{
    const ar_field_t *f;
    int s = want(fs, name, AR_VAL_TENSOR, &f, err);
    if (s) return s;
    if (f->t.dtype != dtype)
        return ar_err_set(err, AR_E_PROTO, "tensor '%s' is %s, expected %s", name,
                          ar_wdtype_name(f->t.dtype), ar_wdtype_name(dtype));
    if (ndim >= 0 && f->t.ndim != ndim)
        return ar_err_set(err, AR_E_PROTO, "tensor '%s' has %d dimensions, expected %d", name,
                          f->t.ndim, ndim);
    *out = &f->t;
    return AR_OK;
}

ar_msg_t ar_msg_make(ar_msg_type_t type, int32_t rank)
{
    ar_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.rank = rank;
    if (type == AR_MSG_ERROR) m.u.error.task = -1;
    if (type == AR_MSG_TASK) m.u.task.parts = 1;
    return m;
}

void ar_msg_clear(ar_msg_t *m)
{
    if (!m) return;
    ar_fields_clear(&m->body);
    if (m->type == AR_MSG_TASK) {
        free(m->u.task.members);
        m->u.task.members = NULL;
    }
}
