/* op_table.c - the dispatch table of ops and the helpers the op files share. */
#include "op_table.h"

#include <assert.h>
#include <string.h>

static const ar_op_def_t *const op_defs[] = {
    [AR_OP_CONV2D] = &ar_op_conv2d_def,
    [AR_OP_BATCHNORM2D] = &ar_op_batchnorm2d_def,
    [AR_OP_RELU] = &ar_op_relu_def,
    [AR_OP_MAXPOOL2D] = &ar_op_maxpool2d_def,
    [AR_OP_AVGPOOL2D] = &ar_op_avgpool2d_def,
    [AR_OP_GLOBAL_AVGPOOL] = &ar_op_global_avgpool_def,
    [AR_OP_LINEAR] = &ar_op_linear_def,
    [AR_OP_ADD] = &ar_op_add_def,
    [AR_OP_CONCAT] = &ar_op_concat_def,
    [AR_OP_IDENTITY] = &ar_op_identity_def,
    [AR_OP_ZERO] = &ar_op_zero_def,
    [AR_OP_MIX] = &ar_op_mix_def,
    [AR_OP_SHIFT] = &ar_op_shift_def,
    [AR_OP_CLAMP] = &ar_op_clamp_def,
    [AR_OP_SILU] = &ar_op_silu_def,
    [AR_OP_HARDSWISH] = &ar_op_hardswish_def,
    [AR_OP_PAD] = &ar_op_pad_def,
};
static_assert(sizeof op_defs / sizeof op_defs[0] == AR_OP_COUNT,
              "op dispatch table out of step with ar_op_t");

/* The name table: the model file's op strings, in enum order. */
static const char *const op_names[] = {
    [AR_OP_CONV2D] = "conv2d",
    [AR_OP_BATCHNORM2D] = "batchnorm2d",
    [AR_OP_RELU] = "relu",
    [AR_OP_MAXPOOL2D] = "maxpool2d",
    [AR_OP_AVGPOOL2D] = "avgpool2d",
    [AR_OP_GLOBAL_AVGPOOL] = "global_avgpool",
    [AR_OP_LINEAR] = "linear",
    [AR_OP_ADD] = "add",
    [AR_OP_CONCAT] = "concat",
    [AR_OP_IDENTITY] = "identity",
    [AR_OP_ZERO] = "zero",
    [AR_OP_MIX] = "mix",
    [AR_OP_SHIFT] = "shift",
    [AR_OP_CLAMP] = "clamp",
    [AR_OP_SILU] = "silu",
    [AR_OP_HARDSWISH] = "hardswish",
    [AR_OP_PAD] = "pad",
};
static_assert(sizeof op_names / sizeof op_names[0] == AR_OP_COUNT,
              "op name table out of step with ar_op_t");

const ar_op_def_t *ar_op_def(ar_op_t op)
{
    assert((int)op >= 0 && op < AR_OP_COUNT);
    return op_defs[op];
}

const char *ar_op_name(ar_op_t op)
{
    if ((int)op < 0 || op >= AR_OP_COUNT) return "?";
    return op_names[op];
}

int ar_op_parse(const char *s)
{
    for (int i = 0; i < AR_OP_COUNT; i++)
        if (strcmp(s, op_names[i]) == 0) return i;
    return -1;
}

int ar_op_attr_ints(ar_h5_t *h, const char *grp, const char *name, int *v, int n, ar_err_t *err)
{
    if (!ar_h5_attr_exists(h, grp, name))
        return ar_err_set(err, AR_E_FORMAT, "attribute '%s' missing", name);
    int32_t tmp[8];
    assert(n <= 8);
    ar_err_t e2 = {0};
    int got = 0;
    if (ar_h5_attr_read(h, grp, name, AR_DT_I32, tmp, -8, &got, &e2) != AR_OK)
        return ar_err_set(err, AR_E_FORMAT, "attribute '%s': %s", name, ar_err_msg(&e2));
    if (got != n)
        return ar_err_set(err, AR_E_FORMAT, "attribute '%s' has %d values, expected %d", name, got,
                          n);
    for (int i = 0; i < n; i++) v[i] = tmp[i];
    return AR_OK;
}

int ar_op_attr_float(ar_h5_t *h, const char *grp, const char *name, float *v, ar_err_t *err)
{
    if (!ar_h5_attr_exists(h, grp, name))
        return ar_err_set(err, AR_E_FORMAT, "attribute '%s' missing", name);
    ar_err_t e2 = {0};
    if (ar_h5_attr_read(h, grp, name, AR_DT_F32, v, 1, NULL, &e2) != AR_OK)
        return ar_err_set(err, AR_E_FORMAT, "attribute '%s': %s", name, ar_err_msg(&e2));
    return AR_OK;
}

int ar_op_write_ints(ar_h5_t *h, const char *grp, const char *name, const int *v, int n,
                     ar_err_t *err)
{
    int32_t tmp[8];
    assert(n <= 8);
    for (int i = 0; i < n; i++) tmp[i] = v[i];
    return ar_h5_attr_write(h, grp, name, AR_DT_I32, n, tmp, n == 1, err);
}

int ar_op_write_float(ar_h5_t *h, const char *grp, const char *name, float v, ar_err_t *err)
{
    return ar_h5_attr_write(h, grp, name, AR_DT_F32, 1, &v, 1, err);
}

void ar_op_spec(ar_param_spec_t *s, const char *name, int trainable, float init, int ndim,
                int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
    int64_t d[4] = {d0, d1, d2, d3};
    s->name = name;
    s->shape = ar_tensor_shape(ndim, d);
    s->trainable = trainable;
    s->init = init;
}

ar_tensor_t ar_op_batched(const ar_tensor_t *s, int n)
{
    int64_t d[AR_TENSOR_MAXDIM];
    d[0] = n;
    for (int i = 0; i < s->ndim; i++) d[i + 1] = s->shape[i];
    return ar_tensor_shape(s->ndim + 1, d);
}
