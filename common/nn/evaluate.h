/* evaluate.h - the evaluation loop: a model's predictions on the rows
 * [start, start+count) of a labelled image source, batch by batch through a
 * plan in eval mode.
 *
 * Per batch of up to ar_plan_max_batch(p) consecutive rows (the last one
 * shorter): read the rows (callback), check every label is a class of the
 * model, forward in eval mode, then per image the prediction = ar_argmax of
 * its logits (the first index on ties, as torch.argmax), compared with the
 * label; with opts.loss the batch's mean cross-entropy (ar_plan_loss) times
 * its size is added up and divided by the count at the end. Everything is
 * accumulated batch after batch in row order, so the numbers depend only on
 * the plan's batch size and the range, never on who calls.
 *
 * Sources: a dataset (data/dataset.h: ar_dataset_rows_t with
 * ar_dataset_rows_read; nn does not depend on data, so that reader lives
 * there with this callback's signature), images held in memory
 * (ar_eval_images_t below), or the caller's own callback - e.g. one that
 * puts cached intermediate outputs into the plan itself (x = NULL) so that
 * the forward starts at a later node (repair/trainer.c).
 */
#ifndef AR_NN_EVALUATE_H
#define AR_NN_EVALUATE_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"
#include "nn/plan.h"

/* Reads rows [start, start+n) of the source (n <= the plan's batch): *labels
 * gets their n labels and *x their normalised images [n, C, H, W], or NULL
 * when the callback has put the batch into the plan itself (ar_plan_set_input
 * / ar_plan_set_output); then the forward runs nodes opts.first..last. Both
 * stay valid until the next call. */
typedef int (*ar_eval_read_fn)(void *ctx, int64_t start, int n, const ar_tensor_t **x,
                               const int32_t **labels, ar_err_t *err);

typedef struct ar_eval_result {
    int64_t count;      /* images evaluated */
    int64_t correct;    /* of them, prediction == label */
    double loss;        /* with opts.loss: mean cross-entropy; 0 until the loop ends */
} ar_eval_result_t;

/* Called after every batch with the totals so far; a non-zero return (with
 * err set) stops the loop with that status (cancel, progress display). */
typedef int (*ar_eval_hook_fn)(void *ctx, const ar_eval_result_t *so_far, ar_err_t *err);

typedef struct ar_eval_opts {
    int64_t start, count;     /* the rows evaluated: [start, start+count) */
    ar_eval_read_fn read;     /* the source (required) */
    void *read_ctx;
    int first;                /* the first node run when read gives x = NULL */
    int loss;                 /* 1: also the mean cross-entropy (result.loss) */
    const char *name;         /* NULL, or the label error's prefix ("name: image ...") */
    int32_t *pred;            /* NULL, or [count]: the prediction of row start+i at i */
    uint8_t *correct;         /* NULL, or [count]: 1 where prediction == label */
    int64_t *confusion;       /* NULL, or [K*K] (K = the model's classes) added to:
                                 row = label, column = prediction */
    float *probs;             /* NULL, or [count, K]: the softmax of row start+i's logits
                                 at row i (e.g. a teacher's soft targets) */
    ar_eval_hook_fn after_batch; /* NULL, or called after every batch */
    void *hook_ctx;
} ar_eval_opts_t;

/* Evaluates the plan's graph on the rows of o (see above); *r gets the
 * totals of the batches done, also on failure. A label outside
 * 0..K-1 is AR_E_FORMAT "image <row> has label <y>, the model has <K>
 * classes". The plan may be of any kind (lean, fold_bn, with gradients). */
int ar_evaluate(ar_plan_t *p, const ar_eval_opts_t *o, ar_eval_result_t *r, ar_err_t *err);

/* Normalised images held in memory as a source: x [N, C, H, W], y [N];
 * ar_eval_images_read hands out views of their rows (no copy). */
typedef struct ar_eval_images {
    const ar_tensor_t *x;
    const int32_t *y;
    ar_tensor_t view;         /* internal: the batch handed out */
} ar_eval_images_t;

int ar_eval_images_read(void *images, int64_t start, int n, const ar_tensor_t **x,
                        const int32_t **labels, ar_err_t *err);

#endif
