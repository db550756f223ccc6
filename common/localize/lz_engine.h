/* lz_engine.h - the per-batch work of localization: one forward and one
 * backward pass per batch give every neuron's status and its weights'
 * gradient magnitude (docs/localization.md).
 *
 * An engine holds a plan (eval mode, BN not folded, parameter and input
 * gradients), the neuron map and per-batch scratch; it is built once per
 * model and batch size, on the coordinator's in-process path and on every
 * worker alike, so both compute identical numbers for identical batches.
 *
 * Example lists are processed in batches of `batch` consecutive entries
 * (the last one shorter); the caller fixes the list and hence the batches,
 * which is what makes results independent of how work is spread over ranks.
 *
 * Per batch:
 *   FAILING  forward -> status of every neuron on every example, counted in
 *            act_fail; backward of the summed cross-entropy of the batch
 *            (seed softmax - onehot per example) -> row[n] = mean over the
 *            weights w of neuron n's slice of |sum_i dl_i/dw|.
 *   PASSING  forward -> status counted in act_pass; then, when adversarial
 *            is on, the batch's adversarial versions: forward, those whose
 *            prediction differs from the label count as failing (status in
 *            act_fail, n_adv) and alone seed the backward -> row; else row 0.
 *   MEAN     forward -> row[n] = sum over the batch of neuron n's spatially
 *            averaged activation (for the passing-mean threshold).
 * Owner: ar_lz_engine_destroy.
 */
#ifndef AR_LOCALIZE_LZ_ENGINE_H
#define AR_LOCALIZE_LZ_ENGINE_H

#include <stdint.h>

#include "core/error.h"
#include "data/dataset.h"
#include "localize/adversarial.h"
#include "localize/neuron_map.h"
#include "nn/graph.h"

typedef enum { AR_LZ_FAILING, AR_LZ_PASSING, AR_LZ_MEAN, AR_LZ_ROLE_COUNT } ar_lz_role_t;

/* Integer spectrum counts, summed over batches (exact, order-free). */
typedef struct ar_lz_counts {
    int64_t nneurons;
    int64_t n_fail;      /* failing examples counted (adversarial included) */
    int64_t n_pass;      /* passing examples counted */
    int64_t n_adv;       /* of n_fail: adversarial examples that flipped */
    int64_t *act_fail;   /* [nneurons] failing examples on which the neuron was activated */
    int64_t *act_pass;   /* [nneurons] passing examples on which it was activated */
} ar_lz_counts_t;

/* Allocates zeroed counts for n neurons; AR_E_NOMEM on failure. */
int ar_lz_counts_init(ar_lz_counts_t *c, int64_t n, ar_err_t *err);
void ar_lz_counts_free(ar_lz_counts_t *c);
/* c += d (same nneurons). */
void ar_lz_counts_add(ar_lz_counts_t *c, const ar_lz_counts_t *d);

typedef struct ar_lz_engine ar_lz_engine_t;

/* Builds the engine for graph g (finalized; borrowed, must outlive the
 * engine) and batch size. mean/std (C each) normalise pixels; NULL = the
 * graph's. adv may be NULL (no adversarial examples). Unit nodes are
 * planned unfrozen whatever the graph's flags (restored before return).
 * seed keys the PGD starts. NULL with err set. */
ar_lz_engine_t *ar_lz_engine_new(ar_graph_t *g, int batch, const float *mean, const float *std,
                                 const ar_adv_cfg_t *adv, uint64_t seed, ar_err_t *err);
void ar_lz_engine_destroy(ar_lz_engine_t **e);

const ar_neuron_map_t *ar_lz_engine_map(const ar_lz_engine_t *e);
int ar_lz_engine_batch_size(const ar_lz_engine_t *e);

/* Predictions on rows [start, start+count) of ds, in batches of the engine's
 * size starting at start (ar_evaluate, nn/evaluate.h): correct[i] = 1 when
 * the argmax logit (first on ties) equals the label of row start+i. A label
 * outside the model's classes is an AR_E_FORMAT error. */
int ar_lz_engine_scan(ar_lz_engine_t *e, ar_dataset_t *ds, int64_t start, int64_t count,
                      uint8_t *correct, ar_err_t *err);

/* Runs role over examples idx[0..n) of ds (set id `set`, used only in PGD
 * keys), in batches; threshold[nneurons] decides "activated" (activation >
 * threshold; unused for MEAN). Adds to *counts and writes one row of
 * nneurons doubles per batch into rows (ceil(n / batch) rows). */
int ar_lz_engine_run(ar_lz_engine_t *e, ar_lz_role_t role, ar_dataset_t *ds, int64_t set,
                     const int64_t *idx, int64_t n, const double *threshold, ar_lz_counts_t *counts,
                     double *rows, ar_err_t *err);

/* Number of batches ar_lz_engine_run uses for n examples. */
int64_t ar_lz_engine_nbatches(const ar_lz_engine_t *e, int64_t n);

#endif
