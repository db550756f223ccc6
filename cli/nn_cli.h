/* nn_cli.h - what the train / eval / predict commands share: opening a
 * model (file or zoo name), evaluating a graph on a dataset (the loop of
 * nn/evaluate.h; the eval command opens its set with corrupt/corrupt_set.h),
 * and a progress line that is a live bar on a terminal and plain lines
 * otherwise. */
#ifndef AR_CLI_NN_CLI_H
#define AR_CLI_NN_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "data/dataset.h"
#include "nn/graph.h"
#include "nn/zoo.h"

/* spec: an existing model file, else a zoo name built with zo. NULL with err. */
ar_graph_t *ar_cli_model(const char *spec, const ar_zoo_opts_t *zo, ar_err_t *err);

typedef struct ar_cli_eval {
    int64_t count, correct;
    double loss;          /* mean cross-entropy */
    double seconds;
} ar_cli_eval_t;

/* Accuracy of g (eval mode, BN folded) on the first `limit` images of ds
 * (limit <= 0: all), batches of `batch`, conv kernels on `threads`, normalised
 * with the model's mean/std (ar_evaluate). Checks the image shape against the
 * model's input. show: progress on stderr when non-zero. */
/* --threads's default: the cores available (ar_num_cores), at most AR_PAR_MAX.
 * Results are the same bits for any count. */
int ar_cli_default_threads(void);

int ar_cli_evaluate(ar_graph_t *g, ar_dataset_t *ds, int batch, int64_t limit, int threads,
                    int show, ar_cli_eval_t *out, ar_err_t *err);

/* Progress: on a terminal a \r-updated bar, otherwise nothing until
 * ar_progress_end, which prints the final line in both cases. */
typedef struct ar_progress {
    int tty;
    double t0, last;
    char label[160];
} ar_progress_t;

void ar_progress_begin(ar_progress_t *p, const char *label);
/* done of total, followed by a free-form status text. */
void ar_progress_update(ar_progress_t *p, int64_t done, int64_t total, const char *status);
void ar_progress_end(ar_progress_t *p, const char *final_line);

#endif
