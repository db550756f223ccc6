/* op_table.h - the one dispatch table of ops, for graph.c, plan.c and
 * model_io.c; not for callers of the graph API. Each op's model-file
 * attributes and datasets: docs/formats.md "The op table".
 *
 * Each op supplies: shape inference with its parameter list, the sizes of its
 * per-node private state and shared scratch for a batch, forward, backward,
 * MACs, and the reading / writing of its model-file attributes. The entries
 * live in the op_*.c files; the table itself in op_table.c.
 */
#ifndef AR_NN_OP_TABLE_H
#define AR_NN_OP_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"
#include "io/h5.h"
#include "nn/graph.h"

/* ar_op_def_t.bwd_skips bits */
#define AR_BWD_NO_X 1  /* backward reads no input values */
#define AR_BWD_NO_Y 2  /* backward reads no output values */

/* A parameter an op expects, as declared by its infer function. */
typedef struct ar_param_spec {
    const char *name;     /* static */
    ar_tensor_t shape;    /* data NULL */
    int trainable;
    float init;           /* value when allocated by finalize */
} ar_param_spec_t;

/* Everything one forward or backward call of a node sees. Tensors carry the
 * batch dimension. In backward, dx[j] is NULL when input j needs no
 * gradient, dparam[k] is NULL for frozen parameters and buffers. */
typedef struct ar_op_run {
    const ar_node_t *node;
    const ar_tensor_t *const *x;  /* ninputs inputs */
    ar_tensor_t *y;               /* output */
    ar_tensor_t *const *dx;       /* backward: gradients to ADD into */
    const ar_tensor_t *dy;        /* backward: gradient of the output */
    float *const *dparam;         /* backward: parameter gradients to ADD into */
    void *state;                  /* private per-node state (state_bytes) */
    float *scratch;               /* shared scratch (scratch_floats) */
    int train;                    /* 1 train mode, 0 eval */
    int threads;                  /* threads the kernels may use (results do not depend on it) */
    int relu;                     /* the node's one consumer, a ReLU, is fused in (ops with
                                   * fuses_relu; plan.c): y is the ReLU's output, forward
                                   * writes max(0, .) into it, and backward's dy is the ReLU
                                   * output's gradient, to be used only where y > 0 */
} ar_op_run_t;

typedef struct ar_op_def {
    const char *name;
    int min_inputs, max_inputs;   /* max_inputs 0: unbounded */
    /* Checks the per-image input shapes and the node's configuration (filling
     * derived fields), sets node->out and the expected parameters. On error
     * the message names only the problem; the caller prefixes the node. */
    int (*infer)(ar_node_t *nd, const ar_tensor_t *const *in, int nin, ar_param_spec_t *spec,
                 int *nspec, ar_err_t *err);
    /* Private state bytes, and scratch floats for a batch of n computed with
     * `threads` threads (NULL: none). */
    size_t (*state_bytes)(const ar_node_t *nd, const ar_tensor_t *in0, int n);
    size_t (*scratch_floats)(const ar_node_t *nd, const ar_tensor_t *in0, int n, int threads);
    void (*forward)(const ar_op_run_t *r);
    void (*backward)(const ar_op_run_t *r);
    /* What backward never reads (AR_BWD_* bits; 0: it may read both): lean
     * training plans reuse the memory of an output that no backward reads
     * once its last consumer ran. Shapes are always read. */
    int bwd_skips;
    /* 1: forward and backward take ar_op_run_t.relu (lean plans fuse a ReLU
     * that is the node's only consumer into it: one pass over memory less
     * each way). */
    int fuses_relu;
    /* MACs per image (NULL: 0). */
    int64_t (*macs)(const ar_node_t *nd, const ar_tensor_t *in0);
    /* Model file attributes of group grp (NULL: none). read_attrs may look at
     * the group's datasets (e.g. whether a bias exists). */
    int (*read_attrs)(ar_h5_t *h, const char *grp, ar_node_t *nd, ar_err_t *err);
    int (*write_attrs)(ar_h5_t *h, const char *grp, const ar_node_t *nd, ar_err_t *err);
} ar_op_def_t;

/* The entry for op (op < AR_OP_COUNT). */
const ar_op_def_t *ar_op_def(ar_op_t op);

/* Entries, defined in the op_*.c files. */
extern const ar_op_def_t ar_op_conv2d_def, ar_op_batchnorm2d_def, ar_op_relu_def,
    ar_op_maxpool2d_def, ar_op_avgpool2d_def, ar_op_global_avgpool_def, ar_op_linear_def,
    ar_op_add_def, ar_op_concat_def, ar_op_identity_def, ar_op_zero_def, ar_op_mix_def,
    ar_op_shift_def, ar_op_clamp_def, ar_op_silu_def, ar_op_hardswish_def, ar_op_pad_def;

/* Helpers shared by the op files (op_table.c). */
/* Reads an int attribute of n values (h5py int64 or float64 accepted). */
int ar_op_attr_ints(ar_h5_t *h, const char *grp, const char *name, int *v, int n, ar_err_t *err);
int ar_op_attr_float(ar_h5_t *h, const char *grp, const char *name, float *v, ar_err_t *err);
int ar_op_write_ints(ar_h5_t *h, const char *grp, const char *name, const int *v, int n,
                     ar_err_t *err);
int ar_op_write_float(ar_h5_t *h, const char *grp, const char *name, float v, ar_err_t *err);
/* A spec entry with ndim dims. */
void ar_op_spec(ar_param_spec_t *s, const char *name, int trainable, float init, int ndim,
                int64_t d0, int64_t d1, int64_t d2, int64_t d3);
/* Shape of the batch: tensor t with dim 0 = n and the rest from per-image s. */
ar_tensor_t ar_op_batched(const ar_tensor_t *s, int n);

#endif
