/* localize.h - vulnerable block localization by adversarial-aware spectrum
 * analysis (the second step of a repair; the formulas and every choice in
 * docs/localization.md).
 *
 * Stages, shared by the in-process call below and the distributed `localize`
 * job (jobs/localize/), which runs the same functions on the same
 * batches and therefore gets bit-identical results for any number of ranks:
 *   1. scan   - predict every image of the source sets (ar_lz_engine_scan);
 *   2. select - ar_lz_select: failing = up to `count` misclassified
 *               examples, passing = as many correctly classified ones, both
 *               seeded samples of the whole pool (independent of ranks),
 *               sorted by (set, index);
 *   3. mean   - (threshold "passing_mean" only) per-neuron mean activation
 *               over the passing examples;
 *   4. count  - spectrum counts and gradient magnitudes over failing and
 *               passing examples and the adversarial versions of passing
 *               ones (ar_lz_engine_run), batch rows summed in batch order;
 *   5. score  - ar_lz_score: suspiciousness per neuron, then per block and
 *               per layer, and the rankings.
 * Batches: the selected lists are cut into runs of one set, and each run
 * into batches of `batch` examples (ar_lz_batches).
 */
#ifndef AR_LOCALIZE_LOCALIZE_H
#define AR_LOCALIZE_LOCALIZE_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "core/log.h"
#include "data/dataset.h"
#include "io/h5.h"
#include "localize/adversarial.h"
#include "localize/lz_engine.h"
#include "localize/neuron_map.h"
#include "localize/sbfl.h"
#include "nn/graph.h"

typedef enum { AR_THRESH_FIXED, AR_THRESH_PASSING_MEAN, AR_THRESH_COUNT } ar_thresh_mode_t;
typedef enum { AR_GNORM_LAYER_MEAN, AR_GNORM_GLOBAL, AR_GNORM_LAYER, AR_GNORM_NONE, AR_GNORM_COUNT } ar_gnorm_t;
/* What multiplies a neuron's mean |dL/dW| before normalisation: nothing
 * (raw), or the root mean square of its own weights (weight), which makes
 * the product invariant to rescaling a conv that feeds a batchnorm. */
typedef enum { AR_GSCALE_WEIGHT, AR_GSCALE_RAW, AR_GSCALE_COUNT } ar_gscale_t;

/* "fixed", "passing_mean" / "layer_mean", "global", "layer", "none"; parse: -1 if unknown. */
const char *ar_thresh_name(ar_thresh_mode_t m);
int ar_thresh_parse(const char *s);
const char *ar_gnorm_name(ar_gnorm_t g);
int ar_gnorm_parse(const char *s);
/* "weight", "raw"; parse: -1 if unknown. */
const char *ar_gscale_name(ar_gscale_t g);
int ar_gscale_parse(const char *s);

typedef struct ar_localize_opts {
    int64_t count;              /* failing examples wanted (>= 1; default 1000) */
    uint64_t seed;              /* selection and PGD starts */
    int batch;                  /* images per forward / backward (>= 1) */
    ar_adv_cfg_t adv;           /* adversarial versions of passing examples */
    ar_sbfl_t formula;
    ar_thresh_mode_t threshold_mode;
    double threshold;           /* the fixed threshold */
    ar_gscale_t gscale;         /* gradient scaling (before normalisation) */
    ar_gnorm_t gnorm;           /* gradient normalisation */
    ar_agg_t aggregate;         /* neuron scores -> block / layer score */
    int top_k;                  /* for AR_AGG_TOPK (>= 1) */
    const float *mean, *std;    /* normalisation (C each); NULL = the graph's */
} ar_localize_opts_t;

/* The defaults documented in docs/localization.md (count 1000, batch 256,
 * FGSM eps 8, PGD step 2 x 10 steps, ochiai, passing_mean, gradient scale
 * weight, normalisation layer_mean, aggregate max, top_k 10). */
ar_localize_opts_t ar_localize_opts_default(void);
/* Checks ranges; AR_E_ARG naming the option. */
int ar_localize_opts_check(const ar_localize_opts_t *o, ar_err_t *err);

/* One example: row `index` of source set `set`. */
typedef struct ar_lz_example {
    int64_t set;
    int64_t index;
} ar_lz_example_t;

/* Selection from the scan: correct[s][i] for sets s of counts[s] images.
 * *fail / *pass are malloc'd (caller frees), sorted by (set, index). Fails
 * (AR_E_ARG) when no example is misclassified or none is correct. */
int ar_lz_select(int nsets, const int64_t *counts, const uint8_t *const *correct, int64_t want,
                 uint64_t seed, ar_lz_example_t **fail, int64_t *nfail, ar_lz_example_t **pass,
                 int64_t *npass, ar_err_t *err);

/* Batch boundaries of a sorted list: batch b is ex[start[b] .. start[b+1]),
 * one set each, at most `batch` long. *start is malloc'd (nb + 1 entries). */
int ar_lz_batches(const ar_lz_example_t *ex, int64_t n, int batch, int64_t **start, int64_t *nb,
                  ar_err_t *err);

/* Everything localization found. Owner: ar_localize_result_destroy. */
typedef struct ar_localize_result {
    ar_localize_opts_t opts;    /* as run (mean/std set to NULL) */
    int64_t nneurons;
    ar_lz_counts_t counts;      /* act_fail, act_pass, n_fail, n_pass, n_adv */
    double *grad;               /* [N] gradient magnitude (sum of batch rows / n_fail) */
    double *grad_weight;        /* [N] grad x the neuron's weight rms (gscale weight) or grad */
    double *threshold;          /* [N] activation threshold used */
    double *spectrum;           /* [N] the formula's value */
    double *susp;               /* [N] spectrum x normalised gradient */
    int nunits;
    char **unit_names;          /* [nunits] layer (node) names */
    char **unit_blocks;         /* [nunits] their block ("" if none) */
    int64_t *unit_offset;       /* [nunits] first neuron; unit u has offset[u+1]-offset[u] */
    double *layer_scores;       /* [nunits] */
    int *layer_rank;            /* [nunits] unit indices, most suspicious first */
    int nblocks;
    char **block_names;         /* [nblocks] in graph order */
    double *block_scores;       /* [nblocks] */
    int *block_rank;            /* [nblocks] block indices, most suspicious first */
} ar_localize_result_t;

void ar_localize_result_destroy(ar_localize_result_t **r);

/* Scores summed statistics: counts, grad_sum[N] (sum of every count batch's
 * row, in batch order), threshold[N]. *out receives a new result (copies
 * everything). Ties in the rankings keep graph order. */
int ar_lz_score(const ar_graph_t *g, const ar_neuron_map_t *m, const ar_localize_opts_t *o,
                const ar_lz_counts_t *counts, const double *grad_sum, const double *threshold,
                ar_localize_result_t **out, ar_err_t *err);

/* The whole analysis in this process: source sets sets[0..nsets) (borrowed),
 * graph g (borrowed; its frozen flags are left as they were). *out receives
 * the result; the most suspicious block is
 * (*out)->block_names[(*out)->block_rank[0]]. log may be NULL. */
int ar_localize_run(ar_graph_t *g, ar_dataset_t *const *sets, int nsets,
                    const ar_localize_opts_t *o, const ar_log_t *log, ar_localize_result_t **out,
                    ar_err_t *err);

/* Writes the /localization group (docs/results.md "Localize job result")
 * into an open file. */
int ar_localize_write_h5(ar_h5_t *h, const ar_localize_result_t *r, ar_err_t *err);

/* Prints the block and layer rankings (top `top` layers) to f. */
void ar_localize_print(const ar_localize_result_t *r, int top, FILE *f);

#endif
