/* block.c - finding a block's input, main branch, shortcut and merge (block.h). */
#include "block.h"

#include <stdlib.h>
#include <string.h>

void ar_block_info_free(ar_block_info_t *b)
{
    if (!b) return;
    free(b->role);
    b->role = NULL;
}

/* Marks in mark[] (indexed i - first) every block node that `node` depends
 * on inside the block, itself included; returns how many were newly marked. */
static int mark_ancestors(const ar_graph_t *g, const ar_block_info_t *b, int node,
                          unsigned char *mark)
{
    if (node < b->first || node > b->last || mark[node - b->first]) return 0;
    mark[node - b->first] = 1;
    int n = 1;
    const ar_node_t *nd = &g->nodes[node];
    for (int j = 0; j < nd->ninputs; j++) n += mark_ancestors(g, b, nd->inputs[j], mark);
    return n;
}

static int chan(const ar_graph_t *g, int node)
{
    return node < 0 ? g->in_c : (int)g->nodes[node].out.shape[0];
}

static int height(const ar_graph_t *g, int node)
{
    return node < 0 ? g->in_h : (int)g->nodes[node].out.shape[1];
}

/* Elementwise activations that may follow a residual merge (the tail). */
static int is_activation(ar_op_t op)
{
    return op == AR_OP_RELU || op == AR_OP_CLAMP || op == AR_OP_SILU || op == AR_OP_HARDSWISH;
}

int ar_block_analyse(const ar_graph_t *g, const char *name, int keep_shortcut,
                     ar_block_info_t *b, ar_err_t *err)
{
    memset(b, 0, sizeof *b);
    b->first = b->last = b->input = b->merge = b->tail = -1;
    for (int i = 0; i < g->nnodes; i++)
        if (strcmp(g->nodes[i].block, name) == 0) {
            if (b->first < 0) b->first = i, b->name = g->nodes[i].block;
            else if (b->last != i - 1)
                return ar_err_set(err, AR_E_ARG, "block '%s': nodes are not consecutive", name);
            b->last = i;
        }
    if (b->first < 0) return ar_err_set(err, AR_E_ARG, "block '%s': no such block", name);
    int n = b->last - b->first + 1, have_in = 0;
    if (n > AR_BLOCK_MAXNODES) return ar_err_set(err, AR_E_ARG, "block '%s': too many nodes", name);
    for (int i = b->first; i <= b->last; i++)
        for (int j = 0; j < g->nodes[i].ninputs; j++) {
            int k = g->nodes[i].inputs[j];
            if (k >= b->first) continue;
            if (have_in && k != b->input)
                return ar_err_set(err, AR_E_ARG, "block '%s': reads several outside nodes (%d, %d)",
                                  name, b->input, k);
            b->input = k, have_in = 1;
        }
    if (!have_in) return ar_err_set(err, AR_E_ARG, "block '%s': reads no input", name);
    for (int i = b->last + 1; i < g->nnodes; i++)
        for (int j = 0; j < g->nodes[i].ninputs; j++) {
            int k = g->nodes[i].inputs[j];
            if (k >= b->first && k < b->last)
                return ar_err_set(err, AR_E_ARG,
                                  "block '%s': node '%s' reads '%s', not the block's last node",
                                  name, g->nodes[i].name, g->nodes[k].name);
        }
    b->role = calloc((size_t)n, 1);
    unsigned char *mark = calloc((size_t)n, 1);
    if (!b->role || !mark) {
        free(mark);
        ar_block_info_free(b);
        return ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    const ar_node_t *last = &g->nodes[b->last];
    int merge = -1;
    if (keep_shortcut) {
        if ((last->op == AR_OP_ADD || last->op == AR_OP_CONCAT) && last->ninputs == 2) {
            merge = b->last;
        } else if (is_activation(last->op) && last->inputs[0] >= b->first &&
                   g->nodes[last->inputs[0]].op == AR_OP_ADD &&
                   g->nodes[last->inputs[0]].ninputs == 2) {
            merge = last->inputs[0];
            b->tail = b->last;
        }
    }
    int st = AR_OK;
    if (merge < 0) {
        b->main_out = b->last;
    } else {
        const ar_node_t *m = &g->nodes[merge];
        int best = -1, bestn = -1;
        for (int j = 0; j < 2; j++) {
            memset(mark, 0, (size_t)n);
            int c = mark_ancestors(g, b, m->inputs[j], mark);
            if (c > bestn) bestn = c, best = m->inputs[j];
        }
        if (best < b->first) {
            st = ar_err_set(err, AR_E_ARG, "block '%s': no main branch before its merge", name);
        } else if (m->op == AR_OP_CONCAT && m->inputs[0] != b->input && m->inputs[1] != b->input) {
            merge = -1, b->tail = -1, b->main_out = b->last; /* not a dense layer: plain */
        } else {
            b->main_out = best;
            b->merge = merge;
            b->residual = m->op == AR_OP_ADD;
        }
    }
    if (!st) {
        memset(mark, 0, (size_t)n);
        mark_ancestors(g, b, b->main_out, mark);
        for (int i = 0; i < n; i++) b->role[i] = mark[i] ? AR_ROLE_MAIN : AR_ROLE_SHORTCUT;
        if (b->merge >= 0) {
            b->role[b->merge - b->first] = AR_ROLE_MERGE;
            if (b->tail >= 0) b->role[b->tail - b->first] = AR_ROLE_TAIL;
            /* shortcut nodes must not read main nodes, nor main read shortcut */
            for (int i = b->first; i <= b->last && !st; i++) {
                int r = b->role[i - b->first];
                if (r != AR_ROLE_MAIN && r != AR_ROLE_SHORTCUT) continue;
                for (int j = 0; j < g->nodes[i].ninputs; j++) {
                    int k = g->nodes[i].inputs[j];
                    if (k >= b->first && b->role[k - b->first] != r) {
                        st = ar_err_set(err, AR_E_ARG,
                                        "block '%s': main branch and shortcut are entangled at '%s'",
                                        name, g->nodes[i].name);
                        break;
                    }
                }
            }
        } else {
            for (int i = 0; i < n && !st; i++)
                if (b->role[i] != AR_ROLE_MAIN)
                    st = ar_err_set(err, AR_E_ARG, "block '%s': node '%s' does not lead to its output",
                                    name, g->nodes[b->first + i].name);
        }
    }
    free(mark);
    if (!st) {
        const ar_node_t *mo = &g->nodes[b->main_out];
        if (mo->out.ndim != 3) st = ar_err_set(err, AR_E_ARG, "block '%s': output is not [C, H, W]", name);
        else {
            b->cin = chan(g, b->input);
            b->cout = (int)mo->out.shape[0];
            int hi = height(g, b->input), ho = (int)mo->out.shape[1];
            b->stride = (hi + ho - 1) / ho;
            if ((hi + b->stride - 1) / b->stride != ho || b->stride > 2)
                st = ar_err_set(err, AR_E_ARG, "block '%s': %d -> %d rows is not stride 1 or 2", name,
                                hi, ho);
        }
    }
    if (st) ar_block_info_free(b);
    return st;
}
