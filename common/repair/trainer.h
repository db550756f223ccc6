/* trainer.h - training part of a network on images held in memory, with the
 * frozen prefix computed once.
 *
 * The graph's frozen flags decide everything: f = the first unfrozen node;
 * the *boundary* = nodes before f read by nodes from f on. At creation the
 * trainer runs the prefix once (eval mode) over every image of each of its
 * sets and keeps the boundary outputs; a step then copies the batch's rows
 * in (ar_plan_set_output) and runs only nodes f..last (ar_plan_forward_range)
 * and back (ar_plan_backward_range). When the network input itself is read
 * from f on (e.g. nothing frozen) the images are the cache.
 *
 * With opts.no_prefix_cache (a benchmark switch: docs/repair.md "Prefix
 * caching") nothing is cached: a step loads the batch's images and runs
 * nodes 0..last, the frozen prefix in eval mode, and back to f only; the
 * arithmetic per image is the same, so losses and weights match the cached
 * run (test_trainer_cache).
 *
 * Modes: in a training forward, unfrozen nodes run in train mode and frozen
 * ones in eval mode (a frozen BN uses and keeps its running statistics, as
 * module.eval() on a frozen part does in PyTorch); evaluation runs all in
 * eval mode. The graph is borrowed and must keep its structure and frozen
 * flags while the trainer lives; parameters may change (optimiser steps).
 */
#ifndef AR_REPAIR_TRAINER_H
#define AR_REPAIR_TRAINER_H

#include <stdint.h>

#include "core/error.h"
#include "nn/graph.h"
#include "nn/plan.h"

/* A labelled image set in memory: x [n, C, H, W] normalised, y [n]; soft
 * [n, classes] optional soft targets (a teacher's probabilities) that the
 * training loss mixes in with the trainer's `distill` weight. */
typedef struct ar_imgset {
    const ar_tensor_t *x;
    const int32_t *y;
    const float *soft;
} ar_imgset_t;

typedef struct ar_trainer ar_trainer_t;

typedef struct ar_trainer_opts {
    int batch;                /* images per step (>= 1) */
    int no_prefix_cache;      /* 1: run the frozen prefix every step (see above) */
    double distill;           /* 0..1: weight of a set's soft targets in the training
                                 loss (ar_softmax_xent_soft); 0 = labels only */
    int lazy_first;           /* 1: set 0's prefix is computed only for the rows asked for
                                 (ar_trainer_ensure_rows), not for every row at creation: a
                                 data-parallel member reads only its own rows */
} ar_trainer_opts_t;

/* Builds the plan (batch o->batch, gradients) and the caches of the nsets
 * sets. NULL with err set (no unfrozen node, no memory, plan errors). */
ar_trainer_t *ar_trainer_new_opts(ar_graph_t *g, const ar_trainer_opts_t *o,
                                  const ar_imgset_t *sets, int nsets, ar_err_t *err);
/* The same with the prefix cache and batch `batch`. */
ar_trainer_t *ar_trainer_new(ar_graph_t *g, int batch, const ar_imgset_t *sets, int nsets,
                             ar_err_t *err);
void ar_trainer_destroy(ar_trainer_t **t);

/* Forward (training modes), loss and backward on rows idx[0..n) of set s
 * (n <= batch). *loss gets the mean loss; parameter gradients are then in
 * the plan (ar_plan_params(ar_trainer_plan(t))). */
int ar_trainer_step(ar_trainer_t *t, int s, const int64_t *idx, int n, double *loss,
                    ar_err_t *err);

/* Data-parallel steps (repair.micro_batch; docs/distributed.md "Candidates
 * trained data-parallel"). A step's n rows are cut into fixed micro-batches
 * of `micro` images (slot i = rows i*micro..); member `part` of `parts`
 * computes the slots of its node [lo, hi) of the fold tree (core/fold.h
 * ar_fold_part): per slot forward (BatchNorm on the micro-batch alone),
 * loss, backward; a slot's row holds the gradient x images and the loss x
 * images, added along the tree (its node's sum is what it sends), and every
 * train-mode BatchNorm's batch mean and unbiased variance (gathered). Then
 * every member sets the gradient of the mean loss over the n images and
 * applies the running-statistics updates slot by slot: all members hold the
 * same bits, whatever `parts` is; the result depends on `micro`, not on
 * how many workers ran the step. */
typedef struct ar_dp_rows {
    int64_t nslots;           /* slots of this exchange, all members together */
    int64_t lo, hi;           /* this member's node of the fold tree: slots [lo, hi) */
    int64_t sum_len, cat_len; /* floats summed, floats gathered per slot */
    const float *sum;         /* [sum_len]: its slots' rows added along the tree (lo < hi) */
    const float *cat;         /* [hi - lo][cat_len] */
} ar_dp_rows_t;

/* The exchange: given this member's node, fills sum [sum_len] (node
 * [0, nslots): every member's node combined along the tree) and cat
 * [nslots][cat_len] (every slot's cat part), from all members. */
typedef int (*ar_dp_reduce_fn)(void *ctx, const ar_dp_rows_t *in, float *sum, float *cat,
                               ar_err_t *err);

typedef struct ar_dp {
    int part, parts;          /* this member (0..parts-1) and the members */
    int micro;                /* images per micro-batch, >= 1 */
    ar_dp_reduce_fn reduce;   /* NULL: parts must be 1, every slot is local */
    void *ctx;
} ar_dp_t;

/* The exchange of a single member holding every slot (lo = 0, hi =
 * nslots): what a NULL reduce does. */
int ar_dp_reduce_local(void *ctx, const ar_dp_rows_t *in, float *sum, float *cat, ar_err_t *err);

/* One data-parallel step (above) on rows idx[0..n) of set s (n <= batch):
 * *loss the mean over the n images; gradients set in the plan and BN
 * running statistics updated, as after ar_trainer_step. */
int ar_trainer_step_dp(ar_trainer_t *t, int s, const int64_t *idx, int n, const ar_dp_t *dp,
                       double *loss, ar_err_t *err);

/* Recomputes the cached prefix of rows rows[0..n) of set s only (their
 * images changed; rows NULL: rows 0..n-1); counted as n forward passes. */
int ar_trainer_refresh_rows(ar_trainer_t *t, int s, const int64_t *rows, int64_t n,
                            ar_err_t *err);
/* A lazy set (opts.lazy_first): computes the prefix of those of rows[0..n)
 * not computed yet. Steps may read only rows computed so far. */
int ar_trainer_ensure_rows(ar_trainer_t *t, int s, const int64_t *rows, int64_t n, ar_err_t *err);

/* Set s's images changed in place (same shape; e.g. corruptions drawn
 * afresh for a new epoch): recomputes its cached prefix (counted as
 * forward passes). */
int ar_trainer_refresh(ar_trainer_t *t, int s, ar_err_t *err);

/* Eval-mode accuracy of set s (ar_evaluate from the cached boundary, in
 * batches of the trainer's size): *correct of *count images, *loss the mean
 * cross-entropy. */
int ar_trainer_eval(ar_trainer_t *t, int s, int64_t *correct, int64_t *count, double *loss,
                    ar_err_t *err);

/* Cost so far: images that went through a forward (training steps,
 * evaluations, and the frozen prefix once per cached image) and through a
 * backward, whatever part of the network each ran. */
void ar_trainer_passes(const ar_trainer_t *t, int64_t *fwd, int64_t *bwd);
/* Images in set s. */
int64_t ar_trainer_set_size(const ar_trainer_t *t, int s);
ar_plan_t *ar_trainer_plan(ar_trainer_t *t);
/* The first node run per step (f above). */
int ar_trainer_first(const ar_trainer_t *t);
/* Bytes held by the boundary caches of all sets (0 without the cache; the
 * images themselves are borrowed, not counted). */
int64_t ar_trainer_cache_bytes(const ar_trainer_t *t);

#endif
