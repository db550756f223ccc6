/* cell.c - building relaxed and discrete cells into a copy of a graph (cell.h). */
#include "cell.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "repair/block.h"

ar_cell_cfg_t ar_cell_cfg_default(void)
{
    ar_cell_cfg_t c = {.nodes = 4, .keep_shortcut = 1, .seed_original = 1, .partial = 1};
    for (int i = 0; i < AR_CAND_COUNT; i++) c.ops[c.nops++] = i;
    return c;
}

/* Builder state: the old and new graph, the old -> new index map. */
typedef struct rw {
    const ar_graph_t *g;
    ar_graph_t *ng;
    int *map;                 /* g->nnodes + 1 entries; map[i + 1] for old node i */
    ar_err_t *err;
} rw_t;

static int remap(const rw_t *w, int old) { return w->map[old + 1]; }

static int copy_node(rw_t *w, int i)
{
    const ar_node_t *nd = &w->g->nodes[i];
    int in[64] = {0}, *ins = in;
    if (nd->ninputs > 64 && !(ins = malloc((size_t)nd->ninputs * sizeof *ins)))
        return ar_err_set(w->err, AR_E_NOMEM, "out of memory");
    for (int j = 0; j < nd->ninputs; j++) ins[j] = remap(w, nd->inputs[j]);
    int k = ar_graph_add(w->ng, nd->op, nd->name, nd->block, ins, nd->ninputs, &nd->cfg, w->err);
    if (ins != in) free(ins);
    if (k < 0 || ar_graph_set_module(w->ng, k, nd->module, w->err)) return w->err->status;
    for (int p = 0; p < nd->nparams; p++)
        if (ar_graph_set_param(w->ng, k, nd->params[p].name, &nd->params[p].value, w->err))
            return w->err->status;
    w->map[i + 1] = k;
    return AR_OK;
}

static int add_node(rw_t *w, ar_op_t op, const char *name, const char *block, const int *in,
                    int nin, const ar_node_cfg_t *cfg)
{
    if (w->err->status) return -1;
    return ar_graph_add(w->ng, op, name, block, in, nin, cfg, w->err);
}

static int check_cfg(const ar_cell_cfg_t *c, const ar_genotype_t *geno, ar_err_t *err)
{
    if (c->nodes < 1 || c->nodes > AR_CELL_MAXNODES)
        return ar_err_set(err, AR_E_ARG, "cell: %d nodes (1..%d)", c->nodes, AR_CELL_MAXNODES);
    if (c->nops < 1 || c->nops > AR_CAND_COUNT)
        return ar_err_set(err, AR_E_ARG, "cell: %d candidate ops", c->nops);
    for (int i = 0; i < c->nops; i++) {
        if (c->ops[i] < 0 || c->ops[i] >= AR_CAND_COUNT)
            return ar_err_set(err, AR_E_ARG, "cell: unknown candidate op %d", c->ops[i]);
        for (int j = 0; j < i; j++)
            if (c->ops[i] == c->ops[j])
                return ar_err_set(err, AR_E_ARG, "cell: op %s listed twice", ar_cand_name(c->ops[i]));
    }
    if (c->channels < 0) return ar_err_set(err, AR_E_ARG, "cell: channels %d", c->channels);
    if (c->partial < 0 || c->partial > AR_CELL_MAXPARTIAL)
        return ar_err_set(err, AR_E_ARG, "cell: partial_channels %d (0..%d)", c->partial,
                          AR_CELL_MAXPARTIAL);
    if (!geno) return AR_OK;
    if (geno->nodes != c->nodes)
        return ar_err_set(err, AR_E_ARG, "genotype has %d nodes, cell %d", geno->nodes, c->nodes);
    for (int j = 0; j < geno->nodes; j++) {
        if (geno->nedges[j] < 1 || geno->nedges[j] > 2)
            return ar_err_set(err, AR_E_ARG, "genotype node %d: %d edges", j, geno->nedges[j]);
        for (int e = 0; e < geno->nedges[j]; e++)
            if (geno->src[j][e] < 0 || geno->src[j][e] > j || geno->op[j][e] <= AR_CAND_NONE ||
                geno->op[j][e] >= AR_CAND_COUNT ||
                (e == 1 && geno->src[j][1] == geno->src[j][0]))
                return ar_err_set(err, AR_E_ARG, "genotype node %d edge %d: bad source or op", j, e);
    }
    return AR_OK;
}

/* PC-DARTS: of edge i -> j's source src (C channels), the first Cp for the
 * mixture ("<B>.cell.n<j>.e<i>.part", returned) and, in *rest, the others
 * passing it by ("...rest", max-pooled on a stride-2 edge: "...rest.pool"). */
static int split_channels(rw_t *w, const char *B, int j, int i, int src, int C, int Cp, int s,
                          int *rest)
{
    char nm[256];
    ar_node_cfg_t pd = {.pad = {.c1 = -(C - Cp)}};
    snprintf(nm, sizeof nm, "%s.cell.n%d.e%d.part", B, j, i);
    int part = add_node(w, AR_OP_PAD, nm, B, &src, 1, &pd);
    pd = (ar_node_cfg_t){.pad = {.c0 = -Cp}};
    snprintf(nm, sizeof nm, "%s.cell.n%d.e%d.rest", B, j, i);
    *rest = add_node(w, AR_OP_PAD, nm, B, &src, 1, &pd);
    if (s == 2) {
        ar_node_cfg_t pl = {.pool = {.kh = 3, .kw = 3, .sh = 2, .sw = 2, .ph = 1, .pw = 1}};
        snprintf(nm, sizeof nm, "%s.cell.n%d.e%d.rest.pool", B, j, i);
        *rest = add_node(w, AR_OP_MAXPOOL2D, nm, B, rest, 1, &pl);
    }
    return part;
}

/* Emits the cell on old-graph input `in_old`; returns the node giving its
 * output (cout channels at the block's output size), or -1. */
static int emit_cell(rw_t *w, const ar_block_info_t *b, const ar_cell_cfg_t *c,
                     const ar_genotype_t *geno)
{
    const char *B = b->name;
    int C = c->channels ? c->channels : b->cout;
    char nm[256], pfx[256];
    ar_node_cfg_t cv = {.conv = {.c = {.cout = C, .kh = 1, .kw = 1, .sh = 1, .sw = 1, .dh = 1,
                                       .dw = 1, .groups = 1}}};
    ar_node_cfg_t bn = {.bn = {.c = {.eps = 1e-5f, .momentum = 0.1f}, .affine = 0}};
    int K = geno ? 1 : c->partial;
    if (K == 0) /* auto: the largest divisor of AR_CELL_AUTO_PARTIAL that divides C */
        for (K = AR_CELL_AUTO_PARTIAL; C % K; K /= 2) {}
    const int Cp = C / K;
    if (C % K) {
        ar_err_set(w->err, AR_E_ARG, "cell of '%s': its %d channels are not divisible by "
                   "partial_channels %d", B, C, K);
        return -1;
    }
    int x = remap(w, b->input);
    snprintf(nm, sizeof nm, "%s.cell.pre.relu", B);
    x = add_node(w, AR_OP_RELU, nm, B, &x, 1, NULL);
    snprintf(nm, sizeof nm, "%s.cell.pre.conv", B);
    x = add_node(w, AR_OP_CONV2D, nm, B, &x, 1, &cv);
    snprintf(nm, sizeof nm, "%s.cell.pre.bn", B);
    int state[AR_CELL_MAXNODES + 1];
    state[0] = add_node(w, AR_OP_BATCHNORM2D, nm, B, &x, 1, &bn);
    for (int j = 0; j < c->nodes; j++) {
        int edges[AR_CELL_MAXNODES + 1], ne = 0;
        int nsrc = geno ? geno->nedges[j] : j + 1;
        for (int e = 0; e < nsrc; e++) {
            int i = geno ? geno->src[j][e] : e;
            int s = i == 0 ? b->stride : 1;
            if (geno) {
                snprintf(pfx, sizeof pfx, "%s.cell.n%d.e%d.%s", B, j, i, ar_cand_name(geno->op[j][e]));
                edges[ne++] = ar_cand_emit(w->ng, geno->op[j][e], state[i], C, s, pfx, B, w->err);
                continue;
            }
            int outs[AR_CAND_COUNT], rest = -1;
            int part = K > 1 ? split_channels(w, B, j, i, state[i], C, Cp, s, &rest) : state[i];
            for (int o = 0; o < c->nops; o++) {
                snprintf(pfx, sizeof pfx, "%s.cell.n%d.e%d.%s", B, j, i, ar_cand_name(c->ops[o]));
                outs[o] = ar_cand_emit(w->ng, c->ops[o], part, Cp, s, pfx, B, w->err);
            }
            snprintf(nm, sizeof nm, "%s.cell.n%d.e%d.mix", B, j, i);
            int mix = add_node(w, AR_OP_MIX, nm, B, outs, c->nops, NULL);
            if (K > 1) {
                snprintf(nm, sizeof nm, "%s.cell.n%d.e%d.cat", B, j, i);
                mix = add_node(w, AR_OP_CONCAT, nm, B, (int[]){mix, rest}, 2, NULL);
            }
            edges[ne++] = mix;
        }
        snprintf(nm, sizeof nm, "%s.cell.n%d.sum", B, j);
        state[j + 1] = add_node(w, AR_OP_ADD, nm, B, edges, ne, NULL);
    }
    snprintf(nm, sizeof nm, "%s.cell.cat", B);
    x = add_node(w, AR_OP_CONCAT, nm, B, state + 1, c->nodes, NULL);
    cv.conv.c.cout = b->cout;
    snprintf(nm, sizeof nm, "%s.cell.proj", B);
    x = add_node(w, AR_OP_CONV2D, nm, B, &x, 1, &cv);
    bn.bn.affine = 1;
    snprintf(nm, sizeof nm, "%s.cell.bn", B);
    return add_node(w, AR_OP_BATCHNORM2D, nm, B, &x, 1, &bn);
}

/* Initialises the parameters of new nodes [from, to] (see cell.h). */
static void init_new(ar_graph_t *g, int from, int to, const ar_cell_cfg_t *c, const char *B)
{
    char out_bn[256];
    snprintf(out_bn, sizeof out_bn, "%s.cell.bn", B);
    for (int i = from; i <= to; i++) {
        ar_node_t *nd = &g->nodes[i];
        for (int k = 0; k < nd->nparams; k++) {
            ar_param_t *p = &nd->params[k];
            uint64_t ids[2] = {ar_rng_hash_str(nd->name), ar_rng_hash_str(p->name)};
            ar_rng_t r;
            ar_rng_init(&r, ar_rng_key(c->seed, ids, 2));
            int64_t n = ar_tensor_numel(&p->value);
            float *v = p->value.data;
            if (nd->op == AR_OP_CONV2D && strcmp(p->name, "weight") == 0) {
                double fan = (double)(n / p->value.shape[0]), bound = 1.0 / sqrt(fan);
                for (int64_t e = 0; e < n; e++) v[e] = (float)ar_rng_range(&r, -bound, bound);
            } else if (nd->op == AR_OP_MIX) {
                for (int64_t e = 0; e < n; e++) v[e] = (float)(1e-3 * ar_rng_normal(&r));
            } else if (c->seed_original && strcmp(nd->name, out_bn) == 0 &&
                       strcmp(p->name, "weight") == 0) {
                memset(v, 0, (size_t)n * sizeof(float));
            }
        }
    }
}

ar_graph_t *ar_cell_build(const ar_graph_t *g, const char *block, const ar_cell_cfg_t *cfg,
                          const ar_genotype_t *geno, ar_err_t *err)
{
    ar_block_info_t b;
    if (check_cfg(cfg, geno, err) || ar_block_analyse(g, block, cfg->keep_shortcut, &b, err))
        return NULL;
    rw_t w = {g, NULL, calloc((size_t)g->nnodes + 1, sizeof(int)), err};
    if (!w.map) {
        ar_err_set(err, AR_E_NOMEM, "out of memory");
        goto fail;
    }
    w.map[0] = -1;
    if (!(w.ng = ar_graph_new(g->arch, g->in_c, g->in_h, g->in_w, g->num_classes, err))) goto fail;
    ar_graph_set_norm(w.ng, g->mean, g->std);
    for (int i = 0; i < b.first; i++)
        if (copy_node(&w, i)) goto fail;
    for (int i = b.first; i <= b.last; i++)
        if (b.role[i - b.first] == AR_ROLE_SHORTCUT && copy_node(&w, i)) goto fail;
    if (cfg->seed_original)
        for (int i = b.first; i <= b.last; i++)
            if (b.role[i - b.first] == AR_ROLE_MAIN && copy_node(&w, i)) goto fail;
    int cell_from = w.ng->nnodes;
    int out = emit_cell(&w, &b, cfg, geno);
    if (out < 0) goto fail;
    if (cfg->seed_original) {
        char nm[256];
        snprintf(nm, sizeof nm, "%s.cell.add", b.name);
        out = add_node(&w, AR_OP_ADD, nm, b.name, (int[]){remap(&w, b.main_out), out}, 2, NULL);
        if (out < 0) goto fail;
    }
    int cell_to = w.ng->nnodes - 1;
    w.map[b.main_out + 1] = out;
    if (b.merge >= 0 && copy_node(&w, b.merge)) goto fail;
    if (b.tail >= 0 && copy_node(&w, b.tail)) goto fail;
    for (int i = b.last + 1; i < g->nnodes; i++)
        if (copy_node(&w, i)) goto fail;
    if (ar_graph_finalize(w.ng, 0, err)) {
        ar_err_prefix(err, "block '%s': cell", block);
        goto fail;
    }
    init_new(w.ng, cell_from, cell_to, cfg, b.name);
    for (int i = 0; i < w.ng->nnodes; i++)
        w.ng->nodes[i].frozen = strcmp(w.ng->nodes[i].block, block) != 0;
    free(w.map);
    ar_block_info_free(&b);
    return w.ng;
fail:
    if (!err->status) ar_err_set(err, AR_E_INTERNAL, "cell build failed");
    ar_graph_destroy(&w.ng);
    free(w.map);
    ar_block_info_free(&b);
    return NULL;
}

int ar_cell_inherit(ar_graph_t *dst, const ar_graph_t *src)
{
    int n = 0;
    for (int i = 0; i < dst->nnodes; i++) {
        ar_node_t *d = &dst->nodes[i];
        int k = ar_graph_find(src, d->name);
        if (k < 0) continue;
        const ar_node_t *s = &src->nodes[k];
        for (int p = 0; p < d->nparams; p++)
            for (int q = 0; q < s->nparams; q++)
                if (strcmp(d->params[p].name, s->params[q].name) == 0 &&
                    ar_tensor_same_shape(&d->params[p].value, &s->params[q].value)) {
                    memcpy(d->params[p].value.data, s->params[q].value.data,
                           (size_t)ar_tensor_numel(&d->params[p].value) * sizeof(float));
                    n++;
                }
    }
    return n;
}

double ar_cell_alpha_entropy(const ar_graph_t *g)
{
    double sum = 0;
    int m = 0;
    for (int i = 0; i < g->nnodes; i++) {
        const ar_node_t *nd = &g->nodes[i];
        if (nd->op != AR_OP_MIX || nd->nparams < 1) continue;
        const float *a = nd->params[0].value.data;
        int k = nd->ninputs;
        double mx = a[0], z = 0, h = 0;
        for (int j = 1; j < k; j++) mx = fmax(mx, a[j]);
        for (int j = 0; j < k; j++) z += exp(a[j] - mx);
        for (int j = 0; j < k; j++) {
            double p = exp(a[j] - mx) / z;
            if (p > 0) h -= p * log(p);
        }
        sum += h;
        m++;
    }
    return m ? sum / m : 0.0;
}
