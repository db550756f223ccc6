/* genotype.h - discretising a searched cell, and the genotype as text.
 *
 * Discretisation (DARTS): for intermediate node j, each incoming edge i is
 * scored by its strongest non-none weight max_{o != none} softmax(alpha)_o;
 * the node keeps its two best edges (its only one for node 0), ties going to
 * the lower source; on each kept edge the op is the argmax of alpha among
 * the non-none candidates (ties to the earlier candidate in the cell's list).
 *
 * Text: one line per node, "n<j> = <op>(<src>) + <op>(<src>)" with src "in"
 * for the cell input and "n<m>" for node m, then "out = proj(concat(n0..
 * n<k-1>))", e.g.
 *     n0 = sep_conv_3x3(in)
 *     n1 = skip_connect(in) + dil_conv_3x3(n0)
 */
#ifndef AR_REPAIR_GENOTYPE_H
#define AR_REPAIR_GENOTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "nn/graph.h"
#include "repair/cell.h"

/* Reads the alphas of block `block`'s relaxed cell in g (built with cfg) and
 * fills *out. AR_E_ARG when a mix node is missing or has another arity, or
 * when an edge offers no op but none. */
int ar_genotype_derive(const ar_graph_t *g, const char *block, const ar_cell_cfg_t *cfg,
                       ar_genotype_t *out, ar_err_t *err);

/* A genotype drawn at random (the control of the search): node j keeps
 * min(2, j + 1) distinct sources among the cell input and nodes < j, each
 * with an op drawn uniformly among cfg's candidates but none; keyed by
 * seed. AR_E_ARG when cfg offers no op but none. */
int ar_genotype_random(const ar_cell_cfg_t *cfg, uint64_t seed, ar_genotype_t *out, ar_err_t *err);

/* Writes the text form into buf (always NUL-terminated); returns the length
 * it needed (like snprintf). */
size_t ar_genotype_text(const ar_genotype_t *gt, char *buf, size_t cap);

#endif
