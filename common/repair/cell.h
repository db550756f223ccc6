/* cell.h - replacing a block's main branch with a DARTS cell.
 *
 * The cell (single input, k intermediate nodes):
 *   pre      = relu, conv1x1 (Cin -> C), BN (no affine)       "<B>.cell.pre.*"
 *   node j   = sum over its incoming edges, from pre (stride s) and from
 *              nodes 0..j-1 (stride 1)                        "<B>.cell.n<j>.sum"
 *   edge i>j = relaxed: mix over the candidate ops           "<B>.cell.n<j>.e<i>.mix"
 *              discrete: the one op of the genotype
 *              (op nodes "<B>.cell.n<j>.e<i>.<op>.*"; i = 0 is pre, i = m+1 node m)
 *   output   = concat(nodes) -> conv1x1 (kC -> Cout) -> BN     "<B>.cell.cat/proj/bn"
 * With partial = K > 1 (PC-DARTS, Xu et al. 2020) a relaxed edge's mixture
 * sees only the first C/K channels of its source ("...e<i>.part", a pad
 * that crops) and the other channels pass it by ("...e<i>.rest", through a
 * 3x3 max pool on stride-2 edges), concatenated after it ("...e<i>.cat"):
 * the ops of the search cost about 1/K (convs 1/K^2) of theirs. There is no
 * channel shuffle (one cell, not a stack) and no edge normalisation. The
 * discrete cell has full-width ops, so it inherits only the pre, proj and
 * output BN weights from such a search.
 * and then, as block.h describes, the block's shortcut, merge and trailing
 * relu. With seed_original the block's own main branch is kept beside the
 * cell and summed with it ("<B>.cell.add"), the cell's output BN starting
 * with weight 0: the network then starts exactly as the original one and
 * the search learns a correction (docs/repair.md says why this is the
 * default). Relaxed and discrete cells name their op nodes alike, so the
 * discrete one inherits the searched weights by name (ar_cell_inherit).
 *
 * Every node of the new cell and of the rest of the block carries the block's
 * name; the built graph has every node outside the block frozen and the block
 * unfrozen. New parameters are initialised as the zoo does (conv weights
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in))), alpha as 1e-3 N(0, 1), each stream
 * keyed by (seed, node name, parameter name).
 */
#ifndef AR_REPAIR_CELL_H
#define AR_REPAIR_CELL_H

#include <stdint.h>

#include "core/error.h"
#include "nn/graph.h"
#include "repair/space.h"

#define AR_CELL_MAXNODES 8
#define AR_CELL_MAXPARTIAL 64
#define AR_CELL_AUTO_PARTIAL 4

typedef struct ar_cell_cfg {
    int nodes;                  /* intermediate nodes, 1..AR_CELL_MAXNODES */
    int ops[AR_CAND_COUNT];     /* candidate ops of every edge (ar_cand_t), distinct */
    int nops;                   /* 1..AR_CAND_COUNT */
    int channels;               /* C; 0 = the block's main-branch output channels */
    int keep_shortcut;          /* 1: keep the block's shortcut / merge (block.h) */
    int seed_original;          /* 1: keep the original main branch beside the cell */
    int partial;                /* K, 1..AR_CELL_MAXPARTIAL: relaxed edges mix C/K channels;
                                   1 = all (plain DARTS); 0 = AR_CELL_AUTO_PARTIAL, or the
                                   largest of its divisors that divides C */
    uint64_t seed;              /* parameter initialisation */
} ar_cell_cfg_t;

/* The default: 4 nodes, every candidate, C = block width, shortcut kept,
 * original branch kept, every channel through the mixtures. */
ar_cell_cfg_t ar_cell_cfg_default(void);

/* A discrete cell: per node, its 1 or 2 incoming edges (source 0 = pre,
 * m + 1 = node m < j) and their ops (never none). */
typedef struct ar_genotype {
    int nodes;
    int nedges[AR_CELL_MAXNODES];
    int src[AR_CELL_MAXNODES][2];
    int op[AR_CELL_MAXNODES][2];
} ar_genotype_t;

/* Builds g with block `block`'s main branch replaced by a relaxed cell
 * (geno NULL) or the discrete cell geno. g must be finalized; it is not
 * changed. Returns a new finalized graph (caller owns it) or NULL with err
 * set (block.h's errors, bad cfg or genotype). */
ar_graph_t *ar_cell_build(const ar_graph_t *g, const char *block, const ar_cell_cfg_t *cfg,
                          const ar_genotype_t *geno, ar_err_t *err);

/* Copies every parameter of dst whose node name and parameter name and shape
 * match one of src. Returns how many parameters were copied. */
int ar_cell_inherit(ar_graph_t *dst, const ar_graph_t *src);

/* Entropy (nats) of softmax(alpha) averaged over the mix nodes of g; 0 when
 * it has none. */
double ar_cell_alpha_entropy(const ar_graph_t *g);

#endif
