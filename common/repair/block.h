/* block.h - the anatomy of one block of a graph, as the cell builder needs it.
 *
 * A block is the run of consecutive nodes whose `block` attribute is its
 * name (zoo.h: a residual block "layer2.1" or a dense layer "dense3.7"). It
 * reads exactly one node outside itself (its input, -1 for the network
 * input) and only its last node is read from outside. Its *main branch* is
 * what a cell replaces; what surrounds it is kept:
 *   residual  last = act(add(main, shortcut)) or add(main, shortcut), act a
 *             relu, clamp, silu or hardswish: the shortcut branch (identity,
 *             downsample or pad nodes), the add and the trailing activation
 *             are kept;
 *   dense     last = concat(main, input) (either order): the concat is kept;
 *   plain     anything else: the whole block is the main branch.
 * Of the merge node's inputs the main branch is the one with the most block
 * nodes behind it; every other block node must belong to the shortcut.
 */
#ifndef AR_REPAIR_BLOCK_H
#define AR_REPAIR_BLOCK_H

#include "core/error.h"
#include "nn/graph.h"

#define AR_BLOCK_MAXNODES 4096

typedef struct ar_block_info {
    const char *name;     /* the graph's string */
    int first, last;      /* node range [first, last] */
    int input;            /* the one outside node read (-1: network input) */
    int main_out;         /* node giving the main branch's output */
    int merge;            /* add / concat node after the main branch, or -1 (plain) */
    int tail;             /* activation after the merge (== last), or -1 */
    int cin, cout;        /* input channels, main branch output channels */
    int stride;           /* input H / main_out H (1 or 2) */
    int residual;         /* 1: merge is an add (residual shortcut) */
    unsigned char *role;  /* owned, last-first+1 entries: AR_ROLE_* */
} ar_block_info_t;

enum { AR_ROLE_MAIN, AR_ROLE_SHORTCUT, AR_ROLE_MERGE, AR_ROLE_TAIL };

/* Analyses block `name` of finalized graph g. keep_shortcut = 0 treats the
 * whole block as the main branch (the cell then replaces everything, its
 * output being the block's output). Errors (AR_E_ARG) name the block: no
 * such block, not contiguous, several inputs, read from outside other than
 * by its last node, an odd stride or a structure not described above. On
 * success free with ar_block_info_free. */
int ar_block_analyse(const ar_graph_t *g, const char *name, int keep_shortcut,
                     ar_block_info_t *b, ar_err_t *err);
void ar_block_info_free(ar_block_info_t *b);

#endif
