/* graph.c - building, checking, copying and describing a graph (graph.h). */
#include "graph.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "op_table.h"

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

ar_graph_t *ar_graph_new(const char *arch, int c, int h, int w, int num_classes, ar_err_t *err)
{
    assert(arch);
    if (c <= 0 || h <= 0 || w <= 0 || num_classes <= 0 || c > AR_GRAPH_MAXDIM ||
        h > AR_GRAPH_MAXDIM || w > AR_GRAPH_MAXDIM || num_classes > AR_GRAPH_MAXDIM) {
        ar_err_set(err, AR_E_ARG, "bad input shape %dx%dx%d or class count %d", c, h, w,
                   num_classes);
        return NULL;
    }
    ar_graph_t *g = calloc(1, sizeof *g);
    if (!g) goto fail;
    g->arch = dupstr(arch);
    g->mean = calloc((size_t)c, sizeof(float));
    g->std = calloc((size_t)c, sizeof(float));
    if (!g->arch || !g->mean || !g->std) goto fail;
    for (int i = 0; i < c; i++) g->std[i] = 1.0f;
    g->in_c = c, g->in_h = h, g->in_w = w, g->num_classes = num_classes;
    return g;
fail:
    ar_graph_destroy(&g);
    ar_err_set(err, AR_E_NOMEM, "graph: out of memory");
    return NULL;
}

static void node_free(ar_node_t *nd)
{
    free(nd->name);
    free(nd->block);
    free(nd->module);
    free(nd->inputs);
    for (int k = 0; k < nd->nparams; k++) ar_tensor_free(&nd->params[k].value);
    memset(nd, 0, sizeof *nd);
}

void ar_graph_destroy(ar_graph_t **gp)
{
    if (!gp || !*gp) return;
    ar_graph_t *g = *gp;
    for (int i = 0; i < g->nnodes; i++) node_free(&g->nodes[i]);
    free(g->nodes);
    free(g->arch);
    free(g->mean);
    free(g->std);
    free(g);
    *gp = NULL;
}

void ar_graph_set_norm(ar_graph_t *g, const float *mean, const float *std)
{
    memcpy(g->mean, mean, (size_t)g->in_c * sizeof(float));
    memcpy(g->std, std, (size_t)g->in_c * sizeof(float));
}

int ar_graph_find(const ar_graph_t *g, const char *name)
{
    for (int i = 0; i < g->nnodes; i++)
        if (strcmp(g->nodes[i].name, name) == 0) return i;
    return -1;
}

int ar_graph_add(ar_graph_t *g, ar_op_t op, const char *name, const char *block,
                 const int *inputs, int ninputs, const ar_node_cfg_t *cfg, ar_err_t *err)
{
    assert(g && name && (int)op >= 0 && op < AR_OP_COUNT);
    int idx = g->nnodes;
    const ar_op_def_t *def = ar_op_def(op);
    if (ninputs < def->min_inputs || (def->max_inputs && ninputs > def->max_inputs)) {
        ar_err_set(err, AR_E_FORMAT, "node %04d '%s': %s takes %d..%d inputs, got %d", idx, name,
                   def->name, def->min_inputs, def->max_inputs, ninputs);
        return -1;
    }
    for (int j = 0; j < ninputs; j++)
        if (inputs[j] < -1 || inputs[j] >= idx) {
            ar_err_set(err, AR_E_FORMAT,
                       "node %04d '%s': input %d refers to node %d, not an earlier node", idx,
                       name, j, inputs[j]);
            return -1;
        }
    if (ar_graph_find(g, name) >= 0) {
        ar_err_set(err, AR_E_FORMAT, "node %04d '%s': name already used", idx, name);
        return -1;
    }
    if (g->nnodes == g->cap) {
        int cap = g->cap ? 2 * g->cap : 64;
        ar_node_t *n = realloc(g->nodes, (size_t)cap * sizeof *n);
        if (!n) goto nomem;
        g->nodes = n, g->cap = cap;
    }
    ar_node_t *nd = &g->nodes[idx];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    nd->name = dupstr(name);
    nd->block = dupstr(block ? block : "");
    nd->module = dupstr("");
    nd->inputs = malloc((size_t)(ninputs ? ninputs : 1) * sizeof(int));
    if (!nd->name || !nd->block || !nd->module || !nd->inputs) {
        node_free(nd);
        goto nomem;
    }
    memcpy(nd->inputs, inputs, (size_t)ninputs * sizeof(int));
    nd->ninputs = ninputs;
    if (cfg) nd->cfg = *cfg;
    g->nnodes++;
    g->finalized = 0;
    return idx;
nomem:
    ar_err_set(err, AR_E_NOMEM, "node %04d '%s': out of memory", idx, name);
    return -1;
}

int ar_graph_set_module(ar_graph_t *g, int i, const char *module, ar_err_t *err)
{
    assert(i >= 0 && i < g->nnodes && module);
    ar_node_t *nd = &g->nodes[i];
    char *m = dupstr(module);
    if (!m) return ar_err_set(err, AR_E_NOMEM, "node %04d '%s': out of memory", i, nd->name);
    free(nd->module);
    nd->module = m;
    return AR_OK;
}

ar_param_t *ar_graph_param(ar_graph_t *g, int i, const char *name)
{
    assert(i >= 0 && i < g->nnodes);
    ar_node_t *nd = &g->nodes[i];
    for (int k = 0; k < nd->nparams; k++)
        if (strcmp(nd->params[k].name, name) == 0) return &nd->params[k];
    return NULL;
}

/* The static name string for a parameter name, or NULL if no op uses it. */
static const char *param_name(const char *s)
{
    static const char *const known[] = {"weight", "bias", "running_mean", "running_var",
                                        "alpha"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(s, known[i]) == 0) return known[i];
    return NULL;
}

int ar_graph_set_param(ar_graph_t *g, int i, const char *name, const ar_tensor_t *value,
                       ar_err_t *err)
{
    assert(i >= 0 && i < g->nnodes);
    ar_node_t *nd = &g->nodes[i];
    const char *pn = param_name(name);
    if (!pn)
        return ar_err_set(err, AR_E_FORMAT, "node %04d '%s': unknown parameter '%s'", i, nd->name,
                          name);
    ar_param_t *p = ar_graph_param(g, i, pn);
    if (!p) {
        if (nd->nparams == AR_NODE_MAXPARAM)
            return ar_err_set(err, AR_E_FORMAT, "node %04d '%s': too many parameters", i,
                              nd->name);
        p = &nd->params[nd->nparams++];
        p->name = pn;
        p->value.data = NULL;
    }
    ar_tensor_free(&p->value);
    p->value = *value;
    p->value.data = NULL;
    if (ar_tensor_alloc(&p->value) != 0)
        return ar_err_set(err, AR_E_NOMEM, "node %04d '%s': out of memory", i, nd->name);
    memcpy(p->value.data, value->data, (size_t)ar_tensor_numel(value) * sizeof(float));
    g->finalized = 0;
    return AR_OK;
}

/* Brings node i's parameters in line with the op's spec: checks supplied
 * ones, allocates missing ones, and orders them as the spec does. On error
 * the node's parameters are left as they were. */
static int match_params(ar_node_t *nd, int i, const ar_param_spec_t *spec, int nspec, int flags,
                        ar_err_t *err)
{
    ar_param_t got[AR_NODE_MAXPARAM];
    int used[AR_NODE_MAXPARAM] = {0}, fresh[AR_NODE_MAXPARAM] = {0};
    char a[64], b[64];
    int st = AR_OK, s = 0;
    for (; s < nspec && st == AR_OK; s++) {
        int k = 0;
        while (k < nd->nparams && strcmp(nd->params[k].name, spec[s].name) != 0) k++;
        if (k < nd->nparams) {
            if (!ar_tensor_same_shape(&nd->params[k].value, &spec[s].shape)) {
                st = ar_err_set(err, AR_E_FORMAT,
                                "node %04d '%s': dataset '%s' has shape %s, expected %s", i,
                                nd->name, spec[s].name,
                                ar_tensor_shape_str(&nd->params[k].value, a, sizeof a),
                                ar_tensor_shape_str(&spec[s].shape, b, sizeof b));
                break;
            }
            got[s] = nd->params[k];
            used[k] = 1;
        } else if (flags & AR_GRAPH_REQUIRE_PARAMS) {
            st = ar_err_set(err, AR_E_FORMAT, "node %04d '%s': dataset '%s' missing", i, nd->name,
                            spec[s].name);
            break;
        } else {
            got[s].value = spec[s].shape;
            if (ar_tensor_alloc(&got[s].value) != 0) {
                st = ar_err_set(err, AR_E_NOMEM, "node %04d '%s': out of memory", i, nd->name);
                break;
            }
            fresh[s] = 1;
            int64_t n = ar_tensor_numel(&got[s].value);
            for (int64_t e = 0; e < n; e++) got[s].value.data[e] = spec[s].init;
        }
        got[s].name = spec[s].name;
        got[s].trainable = spec[s].trainable;
    }
    for (int k = 0; k < nd->nparams && st == AR_OK; k++)
        if (!used[k])
            st = ar_err_set(err, AR_E_FORMAT, "node %04d '%s': unexpected dataset '%s' for %s", i,
                            nd->name, nd->params[k].name, ar_op_name(nd->op));
    if (st) {
        for (int t = 0; t < s; t++)
            if (fresh[t]) ar_tensor_free(&got[t].value);
        return st;
    }
    memcpy(nd->params, got, (size_t)nspec * sizeof got[0]);
    nd->nparams = nspec;
    return AR_OK;
}

int ar_graph_finalize(ar_graph_t *g, int flags, ar_err_t *err)
{
    ar_tensor_t in_shape = ar_tensor_shape(3, (int64_t[]){g->in_c, g->in_h, g->in_w});
    g->finalized = 0;
    if (g->nnodes == 0) return ar_err_set(err, AR_E_FORMAT, "graph has no nodes");
    const ar_tensor_t *stack_in[16];
    const ar_tensor_t **ins = stack_in;
    int maxin = 0;
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i].ninputs > maxin) maxin = g->nodes[i].ninputs;
    if (maxin > 16 && !(ins = malloc((size_t)maxin * sizeof *ins)))
        return ar_err_set(err, AR_E_NOMEM, "graph: out of memory");
    int st = AR_OK;
    for (int i = 0; i < g->nnodes && st == AR_OK; i++) {
        ar_node_t *nd = &g->nodes[i];
        for (int j = 0; j < nd->ninputs; j++)
            ins[j] = nd->inputs[j] < 0 ? &in_shape : &g->nodes[nd->inputs[j]].out;
        ar_param_spec_t spec[AR_NODE_MAXPARAM];
        int nspec = 0;
        ar_err_t e2 = {0};
        if (ar_op_def(nd->op)->infer(nd, ins, nd->ninputs, spec, &nspec, &e2) != AR_OK) {
            st = ar_err_set(err, e2.status, "node %04d '%s': %s", i, nd->name, e2.msg);
            break;
        }
        st = match_params(nd, i, spec, nspec, flags, err);
    }
    if (ins != stack_in) free(ins);
    if (st) return st;
    const ar_tensor_t *last = &g->nodes[g->nnodes - 1].out;
    if (last->ndim != 1 || last->shape[0] != g->num_classes) {
        char a[64];
        return ar_err_set(err, AR_E_FORMAT,
                          "node %04d '%s': the last node gives %s per image, expected [%d] logits",
                          g->nnodes - 1, g->nodes[g->nnodes - 1].name,
                          ar_tensor_shape_str(last, a, sizeof a), g->num_classes);
    }
    g->finalized = 1;
    return AR_OK;
}

ar_graph_t *ar_graph_clone(const ar_graph_t *g, ar_err_t *err)
{
    ar_graph_t *c = ar_graph_new(g->arch, g->in_c, g->in_h, g->in_w, g->num_classes, err);
    if (!c) return NULL;
    ar_graph_set_norm(c, g->mean, g->std);
    for (int i = 0; i < g->nnodes; i++) {
        const ar_node_t *nd = &g->nodes[i];
        if (ar_graph_add(c, nd->op, nd->name, nd->block, nd->inputs, nd->ninputs, &nd->cfg, err) <
            0)
            goto fail;
        if (ar_graph_set_module(c, i, nd->module, err)) goto fail;
        ar_node_t *cn = &c->nodes[i];
        cn->frozen = nd->frozen;
        cn->out = nd->out;
        for (int k = 0; k < nd->nparams; k++) {
            if (ar_graph_set_param(c, i, nd->params[k].name, &nd->params[k].value, err)) goto fail;
            cn->params[k].trainable = nd->params[k].trainable;
        }
    }
    c->finalized = g->finalized;
    return c;
fail:
    ar_graph_destroy(&c);
    return NULL;
}

int ar_graph_same_params(const ar_graph_t *a, const ar_graph_t *b)
{
    if (a->nnodes != b->nnodes) return 0;
    for (int i = 0; i < a->nnodes; i++) {
        const ar_node_t *x = &a->nodes[i], *y = &b->nodes[i];
        if (x->op != y->op || x->nparams != y->nparams) return 0;
        for (int k = 0; k < x->nparams; k++)
            if (ar_tensor_numel(&x->params[k].value) != ar_tensor_numel(&y->params[k].value))
                return 0;
    }
    return 1;
}

int ar_graph_copy_params(const ar_graph_t *src, ar_graph_t *dst, ar_err_t *err)
{
    if (!ar_graph_same_params(src, dst))
        return ar_err_set(err, AR_E_ARG, "'%s' and '%s': parameters of different layouts",
                          src->arch, dst->arch);
    for (int i = 0; i < src->nnodes; i++)
        for (int k = 0; k < src->nodes[i].nparams; k++)
            memcpy(dst->nodes[i].params[k].value.data, src->nodes[i].params[k].value.data,
                   (size_t)ar_tensor_numel(&src->nodes[i].params[k].value) * sizeof(float));
    return AR_OK;
}

void ar_graph_set_frozen(ar_graph_t *g, int i, int frozen)
{
    assert(i >= 0 && i < g->nnodes);
    g->nodes[i].frozen = frozen ? 1 : 0;
}

void ar_graph_freeze_all(ar_graph_t *g, int frozen)
{
    for (int i = 0; i < g->nnodes; i++) g->nodes[i].frozen = frozen ? 1 : 0;
}

int ar_graph_freeze_block(ar_graph_t *g, const char *block, int frozen)
{
    int n = 0;
    for (int i = 0; i < g->nnodes; i++)
        if (strcmp(g->nodes[i].block, block) == 0) g->nodes[i].frozen = frozen ? 1 : 0, n++;
    return n;
}

int64_t ar_graph_param_count(const ar_graph_t *g, int trainable_only)
{
    int64_t n = 0;
    for (int i = 0; i < g->nnodes; i++)
        for (int k = 0; k < g->nodes[i].nparams; k++)
            if (!trainable_only || g->nodes[i].params[k].trainable)
                n += ar_tensor_numel(&g->nodes[i].params[k].value);
    return n;
}

int64_t ar_graph_macs(const ar_graph_t *g)
{
    assert(g->finalized);
    ar_tensor_t in_shape = ar_tensor_shape(3, (int64_t[]){g->in_c, g->in_h, g->in_w});
    int64_t m = 0;
    for (int i = 0; i < g->nnodes; i++) {
        const ar_node_t *nd = &g->nodes[i];
        const ar_op_def_t *def = ar_op_def(nd->op);
        if (!def->macs || nd->ninputs == 0) continue;
        int in0 = nd->inputs[0];
        m += def->macs(nd, in0 < 0 ? &in_shape : &g->nodes[in0].out);
    }
    return m;
}

int ar_graph_blocks(const ar_graph_t *g, const char ***names, int *n, ar_err_t *err)
{
    *names = NULL;
    *n = 0;
    const char **out = malloc((size_t)(g->nnodes ? g->nnodes : 1) * sizeof *out);
    if (!out) return ar_err_set(err, AR_E_NOMEM, "graph: out of memory");
    int k = 0;
    for (int i = 0; i < g->nnodes; i++) {
        const char *b = g->nodes[i].block;
        if (!*b) continue;
        int seen = 0;
        for (int j = 0; j < k && !seen; j++) seen = strcmp(out[j], b) == 0;
        if (!seen) out[k++] = b;
    }
    *names = out;
    *n = k;
    return AR_OK;
}
