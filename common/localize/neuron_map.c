/* neuron_map.c - units, status nodes and flat neuron numbering. Contract:
 * neuron_map.h. */
#include "neuron_map.h"

#include <stdlib.h>
#include <string.h>

/* The BN consuming conv node i when it is i's only consumer, else i. */
static int status_node(const ar_graph_t *g, int i)
{
    if (g->nodes[i].op != AR_OP_CONV2D) return i;
    int consumer = -1, uses = 0;
    for (int j = i + 1; j < g->nnodes; j++)
        for (int k = 0; k < g->nodes[j].ninputs; k++)
            if (g->nodes[j].inputs[k] == i) {
                uses++;
                consumer = j;
            }
    if (uses == 1 && g->nodes[consumer].op == AR_OP_BATCHNORM2D) return consumer;
    return i;
}

ar_neuron_map_t *ar_neuron_map_new(const ar_graph_t *g, ar_err_t *err)
{
    if (!g->finalized) return ar_err_set(err, AR_E_ARG, "neuron map: graph not finalized"), NULL;
    ar_neuron_map_t *m = calloc(1, sizeof *m);
    if (!m) goto fail_nomem;
    m->units = calloc((size_t)g->nnodes, sizeof *m->units);
    m->blocks = calloc((size_t)g->nnodes, sizeof *m->blocks);
    if (!m->units || !m->blocks) goto fail_nomem;
    for (int i = 0; i < g->nnodes; i++) {
        const ar_node_t *nd = &g->nodes[i];
        if (nd->op != AR_OP_CONV2D && nd->op != AR_OP_LINEAR) continue;
        const ar_param_t *w = NULL;
        for (int k = 0; k < nd->nparams; k++)
            if (!strcmp(nd->params[k].name, "weight")) w = &nd->params[k];
        if (!w) {
            ar_neuron_map_destroy(&m);
            return ar_err_set(err, AR_E_FORMAT, "node %04d '%s': no weight", i, nd->name), NULL;
        }
        ar_unit_t *u = &m->units[m->nunits++];
        u->node = i;
        u->status_node = status_node(g, i);
        u->channels = (int)w->value.shape[0];
        u->offset = m->nneurons;
        u->fan = ar_tensor_numel(&w->value) / u->channels;
        u->block = -1;
        m->nneurons += u->channels;
        if (nd->block[0]) {
            for (int b = 0; b < m->nblocks; b++)
                if (!strcmp(m->blocks[b], nd->block)) u->block = b;
            if (u->block < 0) {
                u->block = m->nblocks;
                m->blocks[m->nblocks++] = nd->block;
            }
        }
    }
    if (!m->nunits) {
        ar_neuron_map_destroy(&m);
        return ar_err_set(err, AR_E_ARG, "neuron map: the model has no conv2d or linear node"), NULL;
    }
    return m;
fail_nomem:
    ar_neuron_map_destroy(&m);
    return ar_err_set(err, AR_E_NOMEM, "neuron map: out of memory"), NULL;
}

void ar_neuron_map_destroy(ar_neuron_map_t **mp)
{
    if (!mp || !*mp) return;
    free((*mp)->units);
    free((*mp)->blocks);
    free(*mp);
    *mp = NULL;
}
