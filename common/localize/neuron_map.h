/* neuron_map.h - which neurons the spectrum analysis watches, and where.
 *
 * A *unit* is a conv2d or linear node: its output channels are neurons, and
 * the weights that produce neuron c are the unit's output-channel slice
 * weight[c, ...] (bias excluded). A neuron's activation is read from the
 * unit's *status node*: the batchnorm2d that consumes the conv when that BN is
 * the conv's only consumer (post-BN, pre-ReLU), else the unit's own output.
 * Why post-BN, pre-ReLU (docs/localization.md): BN centres each channel, so
 * "activated" (spatial mean above a threshold) splits examples in two
 * informative groups, whereas a post-ReLU mean is >= 0 for every example; and
 * in a residual block the second BN's output is still the block's own (the
 * ReLU after the shortcut addition mixes in the block's input).
 *
 * Neurons are numbered flat, unit by unit in node order; units in a block
 * (node.block != "") define the block ranking, every unit the layer ranking.
 * Owner: ar_neuron_map_new's result is freed with ar_neuron_map_destroy.
 */
#ifndef AR_LOCALIZE_NEURON_MAP_H
#define AR_LOCALIZE_NEURON_MAP_H

#include <stdint.h>

#include "core/error.h"
#include "nn/graph.h"

typedef struct ar_unit {
    int node;            /* conv2d / linear node whose weight produces the neurons */
    int status_node;     /* node whose output gives the activation (see above) */
    int channels;        /* neurons of the unit (output channels / features) */
    int64_t offset;      /* index of its first neuron in the flat numbering */
    int64_t fan;         /* weights per neuron: numel(weight) / channels */
    int block;           /* index in blocks[], -1 when the node is in no block */
} ar_unit_t;

typedef struct ar_neuron_map {
    int nunits;
    ar_unit_t *units;    /* owned, nunits, in node order */
    int64_t nneurons;    /* sum of channels */
    int nblocks;
    const char **blocks; /* owned array of pointers into the graph's names, first-appearance order */
} ar_neuron_map_t;

/* Builds the map of a finalized graph. NULL with err set (no unit at all,
 * no memory). The graph must outlive the map (block names are borrowed). */
ar_neuron_map_t *ar_neuron_map_new(const ar_graph_t *g, ar_err_t *err);
void ar_neuron_map_destroy(ar_neuron_map_t **m);

#endif
