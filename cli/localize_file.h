/* localize_file.h - the /localization group of a localize job's result
 * file (docs/results.md "Localize job result"), read whole with the
 * per-block statistics derived from its layers and neurons, for
 * `archrepair info` and `archrepair report`. */
#ifndef AR_CLI_LOCALIZE_FILE_H
#define AR_CLI_LOCALIZE_FILE_H

#include <stdint.h>

#include "core/error.h"

/* One block's neurons, from /localization/neurons and layer_offsets. */
typedef struct ar_localize_block_stats {
    int rank;               /* 1 = most suspicious (position in block_ranking) */
    int layers;             /* scored layers of the block */
    int64_t neurons;
    int top_layer;          /* its highest-scoring layer (index into layer_*), -1 if none */
    double susp_mean, susp_max; /* neuron suspiciousness */
    double spectrum_mean, grad_mean;
    double act_fail, act_pass;  /* mean fraction of failing / passing examples activating a neuron */
} ar_localize_block_stats_t;

typedef struct ar_localize_file {
    char *chosen;  /* @chosen, the most suspicious block */
    char *formula, *aggregate, *threshold_mode, *gradient_norm, *adversarial; /* options; "" when absent */
    char *model, *version, *job;
    int ranks;
    double wall;
    int64_t n_fail, n_pass, n_adv; /* n_fail includes the n_adv adversarial examples */
    int nblocks;
    char **block_names, **block_ranking;
    double *block_scores;
    ar_localize_block_stats_t *blocks; /* [nblocks], graph order */
    int nlayers;
    char **layer_names, **layer_blocks;
    double *layer_scores;
    int64_t *layer_offsets;  /* [nlayers + 1] */
    int *layer_rank;         /* [nlayers] 1 = most suspicious layer */
    int64_t nneurons;
    int64_t *act_fail, *act_pass;
    double *grad, *threshold, *spectrum, *susp;
} ar_localize_file_t;

/* Reads the localize result at path: AR_E_FORMAT "<path>: not a localize
 * result (no /localization group)" for another HDF5 file, and naming the
 * dataset when one is missing, of another length, or the layer offsets do
 * not cover the neurons. Free with ar_localize_file_free (also after a
 * failure). */
int ar_localize_file_read(const char *path, ar_localize_file_t *r, ar_err_t *err);
void ar_localize_file_free(ar_localize_file_t *r);

/* The index of a block name, -1 if it is none of the file's blocks. */
int ar_localize_file_block(const ar_localize_file_t *r, const char *name);

#endif
