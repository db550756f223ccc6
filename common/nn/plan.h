/* plan.h - a graph made executable for a batch size: forward, loss, backward.
 *
 * ar_plan_new sizes everything once (build, then compute): the input copy,
 * every node's output, the gradients backward needs, per-node op state (BN
 * batch statistics, max-pool argmax), shared conv scratch and folded conv
 * weights come from one arena; forward, loss and backward never allocate.
 *
 * Typical training step:
 *     ar_plan_forward(p, &x, AR_MODE_TRAIN, &err);
 *     loss = ar_plan_loss(p, labels, &correct);   // seeds d(loss)/d(logits)
 *     ar_plan_backward(p, &err);                  // parameter gradients
 *     ar_optim_step(opt, lr);                      // optim.h, on ar_plan_params
 *
 * Gradients: a node's output gets a gradient buffer only when some gradient
 * target depends on it (an unfrozen node's parameters, or the input when
 * opts.input_grad); frozen nodes get no parameter gradient at all, and
 * backward stops where nothing upstream needs one. Freezing is read from the
 * graph when the plan is built.
 *
 * Caching a frozen prefix: run the prefix once, keep ar_plan_output(p, k),
 * then per batch: ar_plan_set_batch, ar_plan_set_output(p, k, cached),
 * ar_plan_forward_range(p, k + 1, last), loss, ar_plan_backward_range(p,
 * k + 1). Results equal a full forward.
 *
 * Eval with fold_bn: a conv whose only consumer is a batchnorm2d runs with
 * the BN folded into its weights (exact to rounding) and writes straight
 * into the BN node's output; the conv node's own output is then not
 * computed (ar_plan_output returns NULL for it) and backward is refused.
 * Plan with fold_bn = 0 for eval-mode backward (adversarial examples,
 * spectrum analysis) or per-node outputs of every node.
 *
 * Lean plans (opts.lean) save memory for whole-network training and
 * inference: without grads, a node's output lives only until its last
 * consumer ran (ar_plan_output returns NULL once its memory was reused; the
 * logits always stay); with grads, the same holds for the outputs no
 * backward reads (a BN's feeding a ReLU, an add's: op_table.h bwd_skips),
 * the others are kept, and the gradients of node outputs share memory, so
 * ar_plan_grad gives only the last node's and the input's. Parameter
 * gradients are never shared. Lean plans also run a ReLU that is a BN's only
 * consumer inside the BN (forward max(0, bn(x)), backward masked by the
 * ReLU's output: one pass over memory less each way, the same bits); that
 * BN's own output is then never computed.
 *
 * The graph is borrowed: it must outlive the plan and keep its structure;
 * parameter values may change between calls (read at each call).
 * Errors: AR_E_* with a message naming the node. Owner: the caller destroys
 * the plan with ar_plan_destroy.
 */
#ifndef AR_NN_PLAN_H
#define AR_NN_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"
#include "nn/graph.h"

typedef enum { AR_MODE_EVAL, AR_MODE_TRAIN } ar_mode_t;

typedef struct ar_plan_opts {
    int batch;        /* most images per forward, > 0 */
    int grads;        /* 1: allocate gradients (backward possible) */
    int input_grad;   /* 1: also d(loss)/d(input image) (implies grads) */
    int fold_bn;      /* 1: eval forwards fold BN into the preceding conv */
    int lean;         /* 1: buffers with disjoint lifetimes share memory (see above) */
    int threads;      /* threads the kernels may use: 1 = the caller's only, 0 = the
                         process default (ar_par_default_threads, core/par.h);
                         the results are the same bits for any count */
} ar_plan_opts_t;

/* One trainable parameter of an unfrozen node with its gradient. */
typedef struct ar_param_ref {
    int node;                 /* node index */
    const char *node_name;    /* the graph's string */
    const char *name;         /* "weight", "bias" */
    float *value;             /* the graph's data */
    float *grad;              /* the plan's gradient; NULL when planned without grads */
    int64_t numel;
} ar_param_ref_t;

typedef struct ar_plan ar_plan_t;

/* Builds the plan; the graph must be finalized. NULL with err set. */
ar_plan_t *ar_plan_new(ar_graph_t *g, const ar_plan_opts_t *opts, ar_err_t *err);
void ar_plan_destroy(ar_plan_t **p);

/* Bytes of the plan's arena. */
size_t ar_plan_bytes(const ar_plan_t *p);
/* The planned batch and the current one. */
int ar_plan_max_batch(const ar_plan_t *p);
int ar_plan_batch(const ar_plan_t *p);
const ar_graph_t *ar_plan_graph(const ar_plan_t *p);

/* Full forward of x [n, C, H, W] (n <= planned batch; copied in). Train
 * mode uses batch statistics and updates BN running statistics. */
int ar_plan_forward(ar_plan_t *p, const ar_tensor_t *x, ar_mode_t mode, ar_err_t *err);

/* Sets the current batch size (1..planned) and forgets every output. */
int ar_plan_set_batch(ar_plan_t *p, int n, ar_err_t *err);
/* Copies x into the input (sets the batch from x, forgets every output). */
int ar_plan_set_input(ar_plan_t *p, const ar_tensor_t *x, ar_err_t *err);
/* Copies src (shape [batch, node's per-image shape]) in as node i's output
 * (a cached intermediate). */
int ar_plan_set_output(ar_plan_t *p, int i, const ar_tensor_t *src, ar_err_t *err);
/* Runs nodes first..last (inclusive); every input from before `first` must
 * be present (computed earlier or set). */
int ar_plan_forward_range(ar_plan_t *p, int first, int last, ar_mode_t mode, ar_err_t *err);

/* Node i's output [batch, ...] for the current batch, or NULL when it was not
 * computed; i = -1 is the input. Writable (e.g. to perturb activations). */
ar_tensor_t *ar_plan_output(ar_plan_t *p, int i);
/* The logits [batch, classes] (the last node's output), or NULL. */
ar_tensor_t *ar_plan_logits(ar_plan_t *p);

/* Mean softmax cross-entropy of the logits against labels [batch]; writes
 * d(loss)/d(logits) into the last node's gradient when planned with grads.
 * correct (may be NULL) receives the count of argmax == label. */
double ar_plan_loss(ar_plan_t *p, const int32_t *labels, int64_t *correct);
/* The same against soft targets (ar_softmax_xent_soft): soft [batch,
 * classes] mixed in with weight w (w = 0 or soft NULL: ar_plan_loss). */
double ar_plan_loss_soft(ar_plan_t *p, const int32_t *labels, const float *soft, double w,
                         int64_t *correct);

/* Back-propagates the gradient of the last node's output (from ar_plan_loss,
 * or written by the caller into ar_plan_grad(p, last)) to every parameter
 * of unfrozen nodes and, if planned, to the input. Overwrites (does not
 * accumulate) all other gradients. Needs the forward's outputs. */
int ar_plan_backward(ar_plan_t *p, ar_err_t *err);
/* The same, stopping after node `first` (nodes before it get their output
 * gradients but run no backward). */
int ar_plan_backward_range(ar_plan_t *p, int first, ar_err_t *err);

/* Gradient of node i's output (i = -1: the input), or NULL when the plan
 * keeps none for it. Writable: seed custom losses into the last node's. */
ar_tensor_t *ar_plan_grad(ar_plan_t *p, int i);
/* Gradient of parameter `name` of node i, or NULL (frozen, buffer, no grads). */
float *ar_plan_param_grad(ar_plan_t *p, int i, const char *name);
/* Trainable parameters of unfrozen nodes, in node order; the array belongs
 * to the plan. */
const ar_param_ref_t *ar_plan_params(const ar_plan_t *p, int *n);

#endif
