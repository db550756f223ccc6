/* graph.h - a CNN as a DAG of nodes with its parameters (the model file
 * layout: docs/formats.md "Model files").
 *
 * A graph is the network definition: nodes in topological order, each with
 * an op (AR_OP_*), a dotted name ("layer1.0.conv1"), a block ("layer1.0" or
 * ""), inputs given as indices of earlier nodes (-1 = the network input), the
 * op's configuration and its parameters (float32, PyTorch layouts). It does
 * not compute: ar_plan_new (plan.h) builds the executable for a batch size.
 *
 * Build: ar_graph_new, ar_graph_add per node (optionally ar_graph_set_param
 * to supply a parameter, as the model reader does), then ar_graph_finalize,
 * which infers and checks every shape and allocates missing parameters with
 * PyTorch defaults (weights zero - the zoo initialises them - BN weight 1,
 * bias 0, running_mean 0, running_var 1). The struct is public for reading
 * (names, blocks, shapes, parameter values); change it only through the
 * functions here. Parameter values may be written in place (optimisers).
 * Owner: the caller owns the graph and frees it with ar_graph_destroy.
 */
#ifndef AR_NN_GRAPH_H
#define AR_NN_GRAPH_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"
#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn/pool.h"

/* Op kinds; names (ar_op_name) are the model file's `op` strings. */
typedef enum {
    AR_OP_CONV2D,
    AR_OP_BATCHNORM2D,
    AR_OP_RELU,
    AR_OP_MAXPOOL2D,
    AR_OP_AVGPOOL2D,
    AR_OP_GLOBAL_AVGPOOL,
    AR_OP_LINEAR,
    AR_OP_ADD,
    AR_OP_CONCAT,
    AR_OP_IDENTITY,
    AR_OP_ZERO,
    AR_OP_MIX,         /* softmax(alpha)-weighted sum of inputs (op_mix.c) */
    AR_OP_SHIFT,       /* pixel shift with zero fill (op_mix.c) */
    AR_OP_CLAMP,       /* min(max(x, lo), hi): ReLU6, Hardtanh (op_basic.c) */
    AR_OP_SILU,        /* x * sigmoid(x) (op_basic.c) */
    AR_OP_HARDSWISH,   /* x * min(max(x + 3, 0), 6) / 6 (op_basic.c) */
    AR_OP_PAD,         /* zero padding of channels, rows and columns (op_pad.c) */
    AR_OP_COUNT
} ar_op_t;

/* "conv2d", ...; "?" for values out of range. */
const char *ar_op_name(ar_op_t op);
/* The op named s, or -1 when unknown. */
int ar_op_parse(const char *s);

/* Per-op configuration; which member is valid depends on the node's op. */
typedef union ar_node_cfg {
    struct {
        ar_conv_cfg_t c;   /* c.cin is filled by ar_graph_finalize */
        int bias;          /* 1: has a bias parameter */
    } conv;
    struct {
        ar_bn_cfg_t c;     /* c.channels is filled by ar_graph_finalize */
        int affine;        /* 1: weight and bias parameters */
    } bn;
    ar_pool_cfg_t pool;    /* maxpool2d, avgpool2d */
    struct {
        int out_features;
        int bias;
    } linear;
    struct {
        int sh, sw;        /* zero: output is the input subsampled by stride, all zero */
    } zero;
    struct {
        int dy, dx;        /* shift: y[h, w] = x[h + dy, w + dx], zero outside */
    } shift;
    struct {
        float lo, hi;      /* clamp: y = min(max(x, lo), hi); lo <= hi, either may be
                              infinite, neither NaN */
    } clamp;
    struct {
        int c0, c1;        /* pad: zero channels before, after */
        int h0, h1;        /* zero rows above, below */
        int w0, w1;        /* zero columns left, right; all >= 0 */
    } pad;
} ar_node_cfg_t;

#define AR_NODE_MAXPARAM 4

/* One parameter (or buffer) of a node. */
typedef struct ar_param {
    const char *name;   /* static: "weight", "bias", "running_mean", "running_var", "alpha" */
    ar_tensor_t value;  /* owned by the graph; PyTorch layout */
    int trainable;      /* 1 weight/bias, 0 running statistics */
} ar_param_t;

typedef struct ar_node {
    ar_op_t op;
    char *name;                 /* owned, unique in the graph */
    char *block;                /* owned, "" when the node is in no block */
    char *module;               /* owned, "" when unknown: the dotted path of the PyTorch
                                   module the node was exported from, whose state_dict
                                   keys are module + "." + each parameter's name (model
                                   file attribute `module`, ar_graph_set_module) */
    int ninputs;
    int *inputs;                /* owned; each -1 or < this node's index */
    ar_node_cfg_t cfg;
    int nparams;
    ar_param_t params[AR_NODE_MAXPARAM];
    int frozen;                 /* 1: no gradient computed or stored for params */
    ar_tensor_t out;            /* per-image output shape ([C,H,W] or [F]); data NULL;
                                   valid after ar_graph_finalize */
} ar_node_t;

typedef struct ar_graph {
    char *arch;                 /* owned: zoo name or free text */
    int in_c, in_h, in_w;       /* input image shape */
    int num_classes;
    float *mean, *std;          /* owned, in_c each: x = (pixel/255 - mean)/std */
    int nnodes;
    ar_node_t *nodes;           /* owned, nnodes */
    int cap;                    /* allocated nodes */
    int finalized;              /* 1 after a successful ar_graph_finalize */
} ar_graph_t;

/* Largest channel count, image side, class count or kernel side accepted
 * (bad files must not drive size arithmetic into overflow). */
#define AR_GRAPH_MAXDIM 65536

/* An empty graph for images c x h x w and num_classes outputs; mean 0,
 * std 1. NULL with err set on failure. */
ar_graph_t *ar_graph_new(const char *arch, int c, int h, int w, int num_classes, ar_err_t *err);
void ar_graph_destroy(ar_graph_t **g);
/* A deep copy (parameters and frozen flags included). NULL on failure. */
ar_graph_t *ar_graph_clone(const ar_graph_t *g, ar_err_t *err);

/* Appends a node; cfg may be NULL for ops without configuration. Returns the
 * new node's index, or -1 with err set (an input not earlier than the node,
 * duplicate name, wrong input count). Un-finalizes the graph. */
int ar_graph_add(ar_graph_t *g, ar_op_t op, const char *name, const char *block,
                 const int *inputs, int ninputs, const ar_node_cfg_t *cfg, ar_err_t *err);
/* Records node i's source module path (copied; "" clears it). Kept by
 * ar_graph_clone and written to model files. */
int ar_graph_set_module(ar_graph_t *g, int i, const char *module, ar_err_t *err);
/* Supplies parameter `name` of node i (copied, with its own shape, which
 * ar_graph_finalize checks). */
int ar_graph_set_param(ar_graph_t *g, int i, const char *name, const ar_tensor_t *value,
                       ar_err_t *err);

/* Flags for ar_graph_finalize. */
enum { AR_GRAPH_REQUIRE_PARAMS = 1 };

/* Infers each node's output shape from the input shape, checks inputs,
 * configurations and supplied parameter shapes, and allocates parameters not
 * supplied (unless AR_GRAPH_REQUIRE_PARAMS: then a missing one is an error).
 * The last node must give [num_classes]. Errors name the node:
 * "node 0007 'layer1.0.conv2': dataset 'weight' has shape [16, 16, 3, 3],
 * expected [16, 8, 3, 3]". */
int ar_graph_finalize(ar_graph_t *g, int flags, ar_err_t *err);

/* Index of the node called name, or -1. */
int ar_graph_find(const ar_graph_t *g, const char *name);
/* Parameter `name` of node i, or NULL. */
ar_param_t *ar_graph_param(ar_graph_t *g, int i, const char *name);

/* Freezing (plans snapshot it when built). */
/* 1 when a and b have the same nodes, ops and parameter sizes (so that
 * parameters can be copied or mixed between them). */
int ar_graph_same_params(const ar_graph_t *a, const ar_graph_t *b);
/* Copies every parameter and buffer value of src into dst (same layout:
 * AR_E_ARG otherwise); dst's storage is kept, so plans of dst stay valid. */
int ar_graph_copy_params(const ar_graph_t *src, ar_graph_t *dst, ar_err_t *err);
void ar_graph_set_frozen(ar_graph_t *g, int i, int frozen);
void ar_graph_freeze_all(ar_graph_t *g, int frozen);
/* Sets frozen on every node of block; returns how many nodes matched. */
int ar_graph_freeze_block(ar_graph_t *g, const char *block, int frozen);

/* Number of parameter floats (trainable_only: weights and biases only). */
int64_t ar_graph_param_count(const ar_graph_t *g, int trainable_only);
/* Multiply-accumulates of one image's forward pass (conv and linear). */
int64_t ar_graph_macs(const ar_graph_t *g);
/* Distinct non-empty block names in order of first appearance; *names is a
 * malloc'd array of pointers into the graph (free the array only). */
int ar_graph_blocks(const ar_graph_t *g, const char ***names, int *n, ar_err_t *err);

/* Sets the input normalisation (c floats each). */
void ar_graph_set_norm(ar_graph_t *g, const float *mean, const float *std);

#endif
