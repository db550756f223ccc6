/* space.c - the candidate ops of a cell edge as graph nodes (space.h). */
#include "space.h"

#include <stdio.h>
#include <string.h>

static const char *const cand_names[] = {
    [AR_CAND_NONE] = "none",
    [AR_CAND_MAX_POOL_3X3] = "max_pool_3x3",
    [AR_CAND_AVG_POOL_3X3] = "avg_pool_3x3",
    [AR_CAND_SKIP_CONNECT] = "skip_connect",
    [AR_CAND_SEP_CONV_3X3] = "sep_conv_3x3",
    [AR_CAND_SEP_CONV_5X5] = "sep_conv_5x5",
    [AR_CAND_DIL_CONV_3X3] = "dil_conv_3x3",
    [AR_CAND_DIL_CONV_5X5] = "dil_conv_5x5",
    [AR_CAND_CONV_3X3] = "conv_3x3",
};
_Static_assert(sizeof cand_names / sizeof cand_names[0] == AR_CAND_COUNT,
               "candidate names out of step with ar_cand_t");

const char *ar_cand_name(ar_cand_t c)
{
    if ((int)c < 0 || c >= AR_CAND_COUNT) return "?";
    return cand_names[c];
}

int ar_cand_parse(const char *s)
{
    for (int i = 0; i < AR_CAND_COUNT; i++)
        if (strcmp(s, cand_names[i]) == 0) return i;
    return -1;
}

/* An emitter: graph, names, block, error. */
typedef struct em {
    ar_graph_t *g;
    const char *prefix, *block;
    ar_err_t *err;
} em_t;

static int node(em_t *e, ar_op_t op, const char *sub, const int *in, int nin,
                const ar_node_cfg_t *cfg)
{
    if (e->err->status) return -1;
    char name[256];
    snprintf(name, sizeof name, "%s.%s", e->prefix, sub);
    return ar_graph_add(e->g, op, name, e->block, in, nin, cfg, e->err);
}

static int one(em_t *e, ar_op_t op, const char *sub, int in, const ar_node_cfg_t *cfg)
{
    return node(e, op, sub, &in, 1, cfg);
}

static int conv(em_t *e, const char *sub, int in, int cout, int k, int s, int pad, int dil,
                int groups)
{
    ar_node_cfg_t c = {.conv = {.c = {.cout = cout, .kh = k, .kw = k, .sh = s, .sw = s,
                                      .ph = pad, .pw = pad, .dh = dil, .dw = dil,
                                      .groups = groups}}};
    return one(e, AR_OP_CONV2D, sub, in, &c);
}

static int bn(em_t *e, const char *sub, int in)
{
    ar_node_cfg_t c = {.bn = {.c = {.eps = 1e-5f, .momentum = 0.1f}, .affine = 0}};
    return one(e, AR_OP_BATCHNORM2D, sub, in, &c);
}

static int pool(em_t *e, ar_op_t op, int in, int s)
{
    ar_node_cfg_t c = {.pool = {.kh = 3, .kw = 3, .sh = s, .sw = s, .ph = 1, .pw = 1,
                                .count_include_pad = 0}};
    return bn(e, "bn", one(e, op, "pool", in, &c));
}

/* relu, depthwise k/s dilation d, pointwise, BN; names with a suffix */
static int dw_pw(em_t *e, int in, int C, int k, int s, int d, const char *suf)
{
    char a[32], b[32], c[32], f[32];
    snprintf(a, sizeof a, "relu%s", suf);
    snprintf(b, sizeof b, "dw%s", suf);
    snprintf(c, sizeof c, "pw%s", suf);
    snprintf(f, sizeof f, "bn%s", suf);
    int x = one(e, AR_OP_RELU, a, in, NULL);
    x = conv(e, b, x, C, k, s, d * (k - 1) / 2, d, C);
    x = conv(e, c, x, C, 1, 1, 0, 1, 1);
    return bn(e, f, x);
}

static int factorized_reduce(em_t *e, int in, int C)
{
    int x = one(e, AR_OP_RELU, "relu", in, NULL);
    int a = conv(e, "conv1", x, C / 2, 1, 2, 0, 1, 1);
    ar_node_cfg_t sc = {.shift = {.dy = 1, .dx = 1}};
    int sh = one(e, AR_OP_SHIFT, "shift", x, &sc);
    int b = conv(e, "conv2", sh, C - C / 2, 1, 2, 0, 1, 1);
    int cat = node(e, AR_OP_CONCAT, "cat", (int[]){a, b}, 2, NULL);
    return bn(e, "bn", cat);
}

int ar_cand_emit(ar_graph_t *g, ar_cand_t c, int in, int C, int s, const char *prefix,
                 const char *block, ar_err_t *err)
{
    em_t e = {g, prefix, block, err};
    if (err->status) return -1;
    if (s != 1 && s != 2) {
        ar_err_set(err, AR_E_ARG, "%s: stride %d (1 or 2)", prefix, s);
        return -1;
    }
    switch (c) {
    case AR_CAND_NONE: {
        ar_node_cfg_t z = {.zero = {.sh = s, .sw = s}};
        return one(&e, AR_OP_ZERO, "zero", in, &z);
    }
    case AR_CAND_MAX_POOL_3X3: return pool(&e, AR_OP_MAXPOOL2D, in, s);
    case AR_CAND_AVG_POOL_3X3: return pool(&e, AR_OP_AVGPOOL2D, in, s);
    case AR_CAND_SKIP_CONNECT:
        if (s == 1) return one(&e, AR_OP_IDENTITY, "id", in, NULL);
        if (C < 2) {
            ar_err_set(err, AR_E_ARG, "%s: a stride-2 skip needs at least 2 channels", prefix);
            return -1;
        }
        return factorized_reduce(&e, in, C);
    case AR_CAND_SEP_CONV_3X3:
    case AR_CAND_SEP_CONV_5X5: {
        int k = c == AR_CAND_SEP_CONV_3X3 ? 3 : 5;
        return dw_pw(&e, dw_pw(&e, in, C, k, s, 1, "1"), C, k, 1, 1, "2");
    }
    case AR_CAND_DIL_CONV_3X3: return dw_pw(&e, in, C, 3, s, 2, "");
    case AR_CAND_DIL_CONV_5X5: return dw_pw(&e, in, C, 5, s, 2, "");
    case AR_CAND_CONV_3X3: {
        int x = one(&e, AR_OP_RELU, "relu", in, NULL);
        return bn(&e, "bn", conv(&e, "conv", x, C, 3, s, 1, 1, 1));
    }
    default: break;
    }
    ar_err_set(err, AR_E_ARG, "%s: unknown candidate op %d", prefix, (int)c);
    return -1;
}
