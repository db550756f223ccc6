/* plan.c - the executable form of a graph (plan.h): memory layout in one
 * arena, forward (with BN folding in eval), loss and backward. */
#include "plan.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/par.h"
#include "nn/basic_ops.h"
#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "op_table.h"
#include "span_pack.h"

struct ar_plan {
    ar_graph_t *g;              /* borrowed */
    ar_plan_opts_t o;
    ar_arena_t arena;
    int n;                      /* current batch */
    int nn;                     /* nodes */
    int maxin;                  /* most inputs of one node */
    ar_tensor_t in, din;        /* input copy and its gradient (din.data NULL if none) */
    ar_tensor_t *out, *dout;    /* per node; dout[i].data NULL when no gradient kept */
    unsigned char *valid;       /* out[i] computed for the current batch */
    unsigned char *need;        /* out[i] depends on a gradient target */
    unsigned char *frozen;      /* snapshot of the graph's flags */
    void **state;               /* per node private op state or NULL */
    float *scratch;             /* shared conv scratch */
    float **pgrad;              /* nn * AR_NODE_MAXPARAM parameter gradients or NULL */
    int *fold_bn;               /* conv i: index of the BN folded into it, else -1 */
    int *fuse_relu;             /* lean: node i (fuses_relu op): its only consumer, a ReLU
                                 * run inside it, else -1 */
    float **fold_w, **fold_b;   /* per folded conv: folded weight and bias */
    const ar_tensor_t **xs;     /* maxin input pointers for one call */
    ar_tensor_t **dxs;          /* maxin input-gradient pointers for one call */
    ar_param_ref_t *refs;
    int nrefs;
    ar_mode_t last_mode;
    int *cmax;                  /* last consumer of each node's output, -1 if none */
    size_t *act_off, *grad_off; /* lean: offsets in the shared pools */
    char *act_pool, *grad_pool; /* lean: the pools (in the arena) */
    size_t act_bytes, grad_bytes;
    unsigned *zstamp;           /* backward pass in which dout[i] was last zeroed */
    unsigned pass;
};

/* ---- lean pools: buffers with disjoint lifetimes share memory ---------------- */

/* Whether a backward reads node i's output values: its own (relu) or a
 * consumer's that runs a backward (conv, batchnorm, linear). */
static int read_by_backward(const ar_plan_t *p, int i)
{
    const ar_graph_t *g = p->g;
    if (p->need[i] && !(ar_op_def(g->nodes[i].op)->bwd_skips & AR_BWD_NO_Y))
        return 1;
    for (int c = i + 1; c <= p->cmax[i]; c++) {
        const ar_node_t *nd = &g->nodes[c];
        if (!p->need[c] || (ar_op_def(nd->op)->bwd_skips & AR_BWD_NO_X))
            continue;
        for (int j = 0; j < nd->ninputs; j++)
            if (nd->inputs[j] == i)
                return 1;
    }
    return 0;
}

/* Lays out the lean pools: outputs and, with grads, output gradients. An
 * output lives until its last consumer ran; with grads, one that a backward
 * reads lives to the end (the other ones, a BN's feeding a ReLU, an add's,
 * share memory: PyTorch frees them too). Returns 0 or -1 (no memory). */
static int plan_pools(ar_plan_t *p)
{
    const ar_graph_t *g = p->g;
    int n = p->nn, last = n - 1;
    ar_span_t *s = calloc((size_t)n, sizeof *s);
    if (!s) return -1;
    for (int i = 0; i < n; i++) {
        s[i].size = ar_align_up((size_t)p->o.batch * (size_t)ar_tensor_numel(&g->nodes[i].out) *
                                sizeof(float));
        s[i].start = i;
        s[i].end = i == last ? n : (p->cmax[i] > i ? p->cmax[i] : i);
        if (p->o.grads && read_by_backward(p, i)) s[i].end = n;
    }
    /* a folded conv writes its BN's output (or that BN's fused ReLU's) while
     * reading its own input, a BN its fused ReLU's: those outputs live from
     * their earliest writer on */
    for (int i = n - 1; i >= 0; i--) {
        if (p->fuse_relu[i] >= 0) s[p->fuse_relu[i]].start = i;
        if (p->fold_bn[i] >= 0) s[p->fold_bn[i]].start = i;
        if (p->fold_bn[i] >= 0 && p->fuse_relu[p->fold_bn[i]] >= 0)
            s[p->fuse_relu[p->fold_bn[i]]].start = i;
    }
    if (!(p->act_bytes = ar_span_pack(s, n))) goto nomem;
    for (int i = 0; i < n; i++) p->act_off[i] = s[i].off;
    if (p->o.grads) {
        for (int i = 0; i < n; i++) {
            s[i].start = i; /* backward of node i reads it last, its last consumer writes it first */
            s[i].end = i == last ? n : (p->cmax[i] > i ? p->cmax[i] : i);
            if (!p->need[i]) s[i].size = 0;
        }
        /* a fused ReLU's output gradient is read by its BN's backward */
        for (int i = 0; i < n; i++)
            if (p->fuse_relu[i] >= 0) s[p->fuse_relu[i]].start = i;
        if (!(p->grad_bytes = ar_span_pack(s, n))) goto nomem;
        for (int i = 0; i < n; i++) p->grad_off[i] = s[i].off;
    }
    free(s);
    return 0;
nomem:
    free(s);
    return -1;
}

/* ---- layout ------------------------------------------------------------------ */

/* Sizing pass (a == NULL: adds to *total, returns a dummy non-NULL pointer
 * that is never written) or allocating pass. */
static void *take(ar_arena_t *a, size_t bytes, size_t *total)
{
    static const char dummy[AR_ALIGN] __attribute__((aligned(AR_ALIGN)));
    if (!a) {
        *total += ar_align_up(bytes ? bytes : 1);
        return (void *)dummy;
    }
    return ar_arena_alloc(a, bytes ? bytes : 1);
}

static const ar_tensor_t *in_shape_of(const ar_plan_t *p, const ar_tensor_t *img, int k)
{
    return k < 0 ? img : &p->g->nodes[k].out;
}

/* Lays out (or sizes) every buffer. Returns 0, or -1 when the arena ran out. */
static int layout(ar_plan_t *p, ar_arena_t *a, size_t *total)
{
    const ar_graph_t *g = p->g;
    const int B = p->o.batch;
    ar_tensor_t img = ar_tensor_shape(3, (int64_t[]){g->in_c, g->in_h, g->in_w});
    size_t scratch = 0;
    p->in = ar_op_batched(&img, B);
    if (!(p->in.data = take(a, (size_t)ar_tensor_numel(&p->in) * sizeof(float), total))) return -1;
    p->act_pool = p->grad_pool = NULL;
    if (p->o.lean && p->act_bytes && !(p->act_pool = take(a, p->act_bytes, total))) return -1;
    if (p->o.lean && p->grad_bytes && !(p->grad_pool = take(a, p->grad_bytes, total))) return -1;
    p->din = p->in;
    p->din.data = NULL;
    if (p->o.input_grad &&
        !(p->din.data = take(a, (size_t)ar_tensor_numel(&p->in) * sizeof(float), total)))
        return -1;
    for (int i = 0; i < p->nn; i++) {
        const ar_node_t *nd = &g->nodes[i];
        const ar_op_def_t *def = ar_op_def(nd->op);
        const ar_tensor_t *in0 = in_shape_of(p, &img, nd->inputs[0]);
        size_t bytes = (size_t)B * (size_t)ar_tensor_numel(&nd->out) * sizeof(float);
        p->out[i] = ar_op_batched(&nd->out, B);
        p->dout[i] = p->out[i];
        p->dout[i].data = NULL;
        if (p->act_pool)
            p->out[i].data = (float *)(p->act_pool + p->act_off[i]);
        else if (!(p->out[i].data = take(a, bytes, total)))
            return -1;
        if (p->o.grads && p->need[i]) {
            if (p->grad_pool)
                p->dout[i].data = (float *)(p->grad_pool + p->grad_off[i]);
            else if (!(p->dout[i].data = take(a, bytes, total)))
                return -1;
        }
        p->state[i] = NULL;
        if (def->state_bytes && !(p->state[i] = take(a, def->state_bytes(nd, in0, B), total)))
            return -1;
        if (def->scratch_floats) {
            size_t s = def->scratch_floats(nd, in0, B, p->o.threads);
            if (s > scratch) scratch = s;
        }
        for (int k = 0; k < AR_NODE_MAXPARAM; k++) p->pgrad[i * AR_NODE_MAXPARAM + k] = NULL;
        if (p->o.grads && !p->frozen[i])
            for (int k = 0; k < nd->nparams; k++)
                if (nd->params[k].trainable &&
                    !(p->pgrad[i * AR_NODE_MAXPARAM + k] = take(
                          a, (size_t)ar_tensor_numel(&nd->params[k].value) * sizeof(float),
                          total)))
                    return -1;
        p->fold_w[i] = p->fold_b[i] = NULL;
        if (p->fold_bn[i] >= 0) {
            const ar_conv_cfg_t *c = &nd->cfg.conv.c;
            if (!(p->fold_w[i] = take(a, (size_t)ar_tensor_numel(&nd->params[0].value) *
                                             sizeof(float), total)) ||
                !(p->fold_b[i] = take(a, (size_t)c->cout * sizeof(float), total)))
                return -1;
        }
    }
    if (!(p->scratch = take(a, scratch * sizeof(float), total))) return -1;
    return 0;
}

/* need[i]: node i's output depends on an unfrozen trainable parameter or on
 * the input when input_grad; fold_bn[i]: conv i feeds only a BN; fuse_relu[i]
 * (lean plans): node i's op fuses a ReLU and its only consumer is one. */
static void analyse(ar_plan_t *p)
{
    const ar_graph_t *g = p->g;
    int *consumers = calloc((size_t)p->nn, sizeof(int));
    for (int i = 0; i < p->nn; i++) p->cmax[i] = -1;
    for (int i = 0; i < p->nn; i++) {
        const ar_node_t *nd = &g->nodes[i];
        int need = 0;
        if (!p->frozen[i])
            for (int k = 0; k < nd->nparams; k++) need |= nd->params[k].trainable;
        for (int j = 0; j < nd->ninputs; j++) {
            int in = nd->inputs[j];
            need |= in < 0 ? p->o.input_grad : p->need[in];
            if (in >= 0 && consumers) consumers[in]++;
            if (in >= 0 && i > p->cmax[in]) p->cmax[in] = i;
        }
        p->need[i] = (unsigned char)need;
        p->fold_bn[i] = p->fuse_relu[i] = -1;
    }
    for (int i = 0; p->o.fold_bn && consumers && i < p->nn; i++) {
        const ar_node_t *nd = &g->nodes[i];
        if (nd->op == AR_OP_BATCHNORM2D && nd->inputs[0] >= 0 &&
            g->nodes[nd->inputs[0]].op == AR_OP_CONV2D && consumers[nd->inputs[0]] == 1)
            p->fold_bn[nd->inputs[0]] = i;
    }
    for (int i = 0; p->o.lean && consumers && i < p->nn; i++)
        if (ar_op_def(g->nodes[i].op)->fuses_relu && consumers[i] == 1 && p->cmax[i] > i &&
            g->nodes[p->cmax[i]].op == AR_OP_RELU)
            p->fuse_relu[i] = p->cmax[i];
    free(consumers);
}

static int build_refs(ar_plan_t *p)
{
    const ar_graph_t *g = p->g;
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        n = 0;
        for (int i = 0; i < p->nn; i++) {
            if (p->frozen[i]) continue;
            ar_node_t *nd = &g->nodes[i];
            for (int k = 0; k < nd->nparams; k++) {
                if (!nd->params[k].trainable) continue;
                if (pass)
                    p->refs[n] = (ar_param_ref_t){i, nd->name, nd->params[k].name,
                                                  nd->params[k].value.data,
                                                  p->pgrad[i * AR_NODE_MAXPARAM + k],
                                                  ar_tensor_numel(&nd->params[k].value)};
                n++;
            }
        }
        if (!pass && !(p->refs = calloc((size_t)(n ? n : 1), sizeof *p->refs))) return -1;
    }
    p->nrefs = n;
    return 0;
}

ar_plan_t *ar_plan_new(ar_graph_t *g, const ar_plan_opts_t *opts, ar_err_t *err)
{
    assert(g && opts);
    if (!g->finalized) {
        ar_err_set(err, AR_E_ARG, "plan: graph '%s' is not finalized", g->arch);
        return NULL;
    }
    if (opts->batch <= 0) {
        ar_err_set(err, AR_E_ARG, "plan: batch size %d", opts->batch);
        return NULL;
    }
    ar_plan_t *p = calloc(1, sizeof *p);
    if (!p) goto nomem;
    p->g = g;
    p->o = *opts;
    if (p->o.threads <= 0) p->o.threads = ar_par_default_threads();
    if (p->o.input_grad) p->o.grads = 1;
    p->nn = g->nnodes;
    for (int i = 0; i < p->nn; i++)
        if (g->nodes[i].ninputs > p->maxin) p->maxin = g->nodes[i].ninputs;
    size_t nn = (size_t)p->nn;
    p->out = calloc(nn, sizeof *p->out);
    p->dout = calloc(nn, sizeof *p->dout);
    p->valid = calloc(nn, 1);
    p->need = calloc(nn, 1);
    p->frozen = calloc(nn, 1);
    p->state = calloc(nn, sizeof *p->state);
    p->pgrad = calloc(nn * AR_NODE_MAXPARAM, sizeof *p->pgrad);
    p->fold_bn = calloc(nn, sizeof *p->fold_bn);
    p->fuse_relu = calloc(nn, sizeof *p->fuse_relu);
    p->fold_w = calloc(nn, sizeof *p->fold_w);
    p->fold_b = calloc(nn, sizeof *p->fold_b);
    p->xs = calloc((size_t)p->maxin + 1, sizeof *p->xs);
    p->dxs = calloc((size_t)p->maxin + 1, sizeof *p->dxs);
    p->cmax = calloc(nn, sizeof *p->cmax);
    p->act_off = calloc(nn, sizeof *p->act_off);
    p->grad_off = calloc(nn, sizeof *p->grad_off);
    p->zstamp = calloc(nn, sizeof *p->zstamp);
    if (!p->out || !p->dout || !p->valid || !p->need || !p->frozen || !p->state || !p->pgrad ||
        !p->fold_bn || !p->fuse_relu || !p->fold_w || !p->fold_b || !p->xs || !p->dxs ||
        !p->cmax || !p->act_off || !p->grad_off || !p->zstamp)
        goto nomem;
    for (int i = 0; i < p->nn; i++) p->frozen[i] = (unsigned char)g->nodes[i].frozen;
    analyse(p);
    if (p->o.lean && plan_pools(p) != 0) goto nomem;
    size_t total = 0;
    layout(p, NULL, &total);
    if (ar_arena_init(&p->arena, total) != 0) {
        ar_err_set(err, AR_E_NOMEM, "plan: cannot allocate %zu MiB for '%s' at batch %d",
                   total >> 20, g->arch, opts->batch);
        ar_plan_destroy(&p);
        return NULL;
    }
    if (layout(p, &p->arena, &total) != 0 || build_refs(p) != 0) goto nomem;
    p->n = opts->batch;
    return p;
nomem:
    ar_plan_destroy(&p);
    ar_err_set(err, AR_E_NOMEM, "plan: out of memory");
    return NULL;
}

void ar_plan_destroy(ar_plan_t **pp)
{
    if (!pp || !*pp) return;
    ar_plan_t *p = *pp;
    ar_arena_free(&p->arena);
    free(p->out);
    free(p->dout);
    free(p->valid);
    free(p->need);
    free(p->frozen);
    free(p->state);
    free(p->pgrad);
    free(p->fold_bn);
    free(p->fuse_relu);
    free(p->fold_w);
    free(p->fold_b);
    free(p->xs);
    free(p->dxs);
    free(p->refs);
    free(p->cmax);
    free(p->act_off);
    free(p->grad_off);
    free(p->zstamp);
    free(p);
    *pp = NULL;
}

size_t ar_plan_bytes(const ar_plan_t *p) { return p->arena.cap; }
int ar_plan_max_batch(const ar_plan_t *p) { return p->o.batch; }
int ar_plan_batch(const ar_plan_t *p) { return p->n; }
const ar_graph_t *ar_plan_graph(const ar_plan_t *p) { return p->g; }

/* ---- forward ----------------------------------------------------------------- */

static void clobber(ar_plan_t *p, int i);

int ar_plan_set_batch(ar_plan_t *p, int n, ar_err_t *err)
{
    if (n <= 0 || n > p->o.batch)
        return ar_err_set(err, AR_E_ARG, "plan '%s': batch %d outside 1..%d", p->g->arch, n,
                          p->o.batch);
    p->n = n;
    p->in.shape[0] = p->din.shape[0] = n;
    for (int i = 0; i < p->nn; i++) p->out[i].shape[0] = p->dout[i].shape[0] = n;
    memset(p->valid, 0, (size_t)p->nn);
    return AR_OK;
}

int ar_plan_set_input(ar_plan_t *p, const ar_tensor_t *x, ar_err_t *err)
{
    const ar_graph_t *g = p->g;
    if (x->ndim != 4 || x->shape[1] != g->in_c || x->shape[2] != g->in_h ||
        x->shape[3] != g->in_w) {
        char a[64];
        return ar_err_set(err, AR_E_ARG, "plan '%s': input %s, expected [N, %d, %d, %d]",
                          g->arch, ar_tensor_shape_str(x, a, sizeof a), g->in_c, g->in_h,
                          g->in_w);
    }
    int st = ar_plan_set_batch(p, (int)x->shape[0], err);
    if (st) return st;
    memcpy(p->in.data, x->data, (size_t)ar_tensor_numel(x) * sizeof(float));
    return AR_OK;
}

int ar_plan_set_output(ar_plan_t *p, int i, const ar_tensor_t *src, ar_err_t *err)
{
    assert(i >= 0 && i < p->nn);
    if (!ar_tensor_same_shape(src, &p->out[i])) {
        char a[64], b[64];
        return ar_err_set(err, AR_E_ARG, "node %04d '%s': cached output %s, expected %s", i,
                          p->g->nodes[i].name, ar_tensor_shape_str(src, a, sizeof a),
                          ar_tensor_shape_str(&p->out[i], b, sizeof b));
    }
    memcpy(p->out[i].data, src->data, (size_t)ar_tensor_numel(src) * sizeof(float));
    p->valid[i] = 1;
    clobber(p, i);
    return AR_OK;
}

static const ar_tensor_t *input_of(const ar_plan_t *p, int k)
{
    return k < 0 ? &p->in : &p->out[k];
}

/* Lean eval plans: node i's output was just written; outputs sharing its
 * memory are gone. */
static void clobber(ar_plan_t *p, int i)
{
    if (!p->act_pool) return;
    size_t a0 = p->act_off[i], a1 = a0 + (size_t)ar_tensor_numel(&p->g->nodes[i].out) *
                                           (size_t)p->o.batch * sizeof(float);
    for (int k = 0; k < p->nn; k++) {
        if (k == i || !p->valid[k]) continue;
        size_t b0 = p->act_off[k], b1 = b0 + (size_t)ar_tensor_numel(&p->g->nodes[k].out) *
                                               (size_t)p->o.batch * sizeof(float);
        if (a0 < b1 && b0 < a1) p->valid[k] = 0;
    }
}

/* Conv i with BN j folded in, written into j's output, or with j's fused
 * ReLU k >= 0 into k's (relu in the conv's store). */
static void forward_folded(ar_plan_t *p, int i, int j, int k)
{
    const ar_node_t *cv = &p->g->nodes[i], *bn = &p->g->nodes[j];
    ar_conv_cfg_t cc = cv->cfg.conv.c;
    cc.threads = p->o.threads;
    cc.relu = k >= 0;
    const ar_conv_cfg_t *c = &cc;
    size_t wn = (size_t)ar_tensor_numel(&cv->params[0].value);
    memcpy(p->fold_w[i], cv->params[0].value.data, wn * sizeof(float));
    if (cv->cfg.conv.bias)
        memcpy(p->fold_b[i], cv->params[1].value.data, (size_t)c->cout * sizeof(float));
    else
        memset(p->fold_b[i], 0, (size_t)c->cout * sizeof(float));
    int a = bn->cfg.bn.affine ? 2 : 0;
    ar_bn_fold_into_conv(&bn->cfg.bn.c, a ? bn->params[0].value.data : NULL,
                         a ? bn->params[1].value.data : NULL, bn->params[a].value.data,
                         bn->params[a + 1].value.data, p->fold_w[i], (int)(wn / (size_t)c->cout),
                         p->fold_b[i]);
    const int o = k >= 0 ? k : j;
    ar_conv2d_forward(c, input_of(p, cv->inputs[0]), p->fold_w[i], p->fold_b[i], &p->out[o],
                      p->scratch);
    p->valid[i] = 0;
    p->valid[j] = k < 0;
    p->valid[o] = 1;
    clobber(p, o);
}

/* Whether BN node i is computed by its folded conv in a forward of
 * [first, ...] in this mode. */
static int folded_here(const ar_plan_t *p, int i, int first, ar_mode_t mode)
{
    const ar_node_t *nd = &p->g->nodes[i];
    return mode == AR_MODE_EVAL && i > first && nd->op == AR_OP_BATCHNORM2D &&
           nd->inputs[0] >= first && p->fold_bn[nd->inputs[0]] == i;
}

/* The ReLU that node i runs fused (or, a BN folded into its conv, that the
 * conv runs) in a forward ending at `last`, or -1. */
static int fused_here(const ar_plan_t *p, int i, int last)
{
    const int j = p->fuse_relu[i];
    return j >= 0 && j <= last ? j : -1;
}

int ar_plan_forward_range(ar_plan_t *p, int first, int last, ar_mode_t mode, ar_err_t *err)
{
    assert(first >= 0 && last < p->nn);
    const ar_graph_t *g = p->g;
    p->last_mode = mode;
    for (int i = first; i <= last; i++) {
        const ar_node_t *nd = &g->nodes[i];
        if (folded_here(p, i, first, mode))
            continue; /* computed by its folded conv */
        if (nd->op == AR_OP_RELU && nd->inputs[0] >= first &&
            fused_here(p, nd->inputs[0], last) == i)
            continue; /* computed by its BN, or by the conv that BN is folded into */
        for (int j = 0; j < nd->ninputs; j++) {
            int k = nd->inputs[j];
            if (k >= 0 && !p->valid[k])
                return ar_err_set(err, AR_E_ARG,
                                  "node %04d '%s': input node %04d '%s' was not computed", i,
                                  nd->name, k, g->nodes[k].name);
            p->xs[j] = input_of(p, k);
        }
        if (mode == AR_MODE_EVAL && p->fold_bn[i] >= 0 && p->fold_bn[i] <= last) {
            forward_folded(p, i, p->fold_bn[i], fused_here(p, p->fold_bn[i], last));
            continue;
        }
        const int fr = fused_here(p, i, last), o = fr >= 0 ? fr : i;
        ar_op_run_t r = {.node = nd, .x = p->xs, .y = &p->out[o], .state = p->state[i],
                         .scratch = p->scratch, .train = mode == AR_MODE_TRAIN,
                         .threads = p->o.threads, .relu = fr >= 0};
        ar_op_def(nd->op)->forward(&r);
        p->valid[i] = fr < 0;
        p->valid[o] = 1;
        clobber(p, o);
    }
    return AR_OK;
}

int ar_plan_forward(ar_plan_t *p, const ar_tensor_t *x, ar_mode_t mode, ar_err_t *err)
{
    int st = ar_plan_set_input(p, x, err);
    if (st) return st;
    return ar_plan_forward_range(p, 0, p->nn - 1, mode, err);
}

ar_tensor_t *ar_plan_output(ar_plan_t *p, int i)
{
    assert(i >= -1 && i < p->nn);
    if (i < 0) return &p->in;
    return p->valid[i] ? &p->out[i] : NULL;
}

ar_tensor_t *ar_plan_logits(ar_plan_t *p) { return ar_plan_output(p, p->nn - 1); }

/* ---- loss and backward ----------------------------------------------------- */

/* Floats per thread below which zeroing a gradient is not split further. */
#define AR_PLAN_ZERO_GRAIN 65536

static void zero_range(void *ctx, int64_t lo, int64_t hi)
{
    memset((float *)ctx + lo, 0, (size_t)(hi - lo) * sizeof(float));
}

/* Zeroes t's floats over the plan's threads. */
static void zero_tensor(const ar_plan_t *p, ar_tensor_t *t)
{
    ar_par_for(p->o.threads, ar_tensor_numel(t), AR_PLAN_ZERO_GRAIN, zero_range, t->data);
}

double ar_plan_loss(ar_plan_t *p, const int32_t *labels, int64_t *correct)
{
    int last = p->nn - 1;
    assert(p->valid[last]);
    return ar_softmax_xent(&p->out[last], labels, p->dout[last].data ? &p->dout[last] : NULL,
                           correct);
}

double ar_plan_loss_soft(ar_plan_t *p, const int32_t *labels, const float *soft, double w,
                         int64_t *correct)
{
    int last = p->nn - 1;
    assert(p->valid[last]);
    return ar_softmax_xent_soft(&p->out[last], labels, soft, w,
                                p->dout[last].data ? &p->dout[last] : NULL, correct);
}

int ar_plan_backward_range(ar_plan_t *p, int first, ar_err_t *err)
{
    assert(first >= 0 && first < p->nn);
    const ar_graph_t *g = p->g;
    int last = p->nn - 1;
    if (!p->o.grads)
        return ar_err_set(err, AR_E_ARG, "plan '%s': planned without gradients", g->arch);
    if (!p->valid[last])
        return ar_err_set(err, AR_E_ARG, "plan '%s': backward before forward", g->arch);
    /* overwrite semantics: every gradient but the seeded one starts at zero;
     * a shared (lean) buffer is zeroed just before its first writer runs */
    p->pass++;
    for (int i = 0; i < last && !p->grad_pool; i++)
        if (p->dout[i].data) {
            zero_tensor(p, &p->dout[i]);
            p->zstamp[i] = p->pass;
        }
    if (p->din.data) zero_tensor(p, &p->din);
    for (int i = first; i < p->nn; i++)
        for (int k = 0; k < g->nodes[i].nparams; k++)
            if (p->pgrad[i * AR_NODE_MAXPARAM + k])
                memset(p->pgrad[i * AR_NODE_MAXPARAM + k], 0,
                       (size_t)ar_tensor_numel(&g->nodes[i].params[k].value) * sizeof(float));
    for (int i = last; i >= first; i--) {
        const ar_node_t *nd = &g->nodes[i];
        if (!p->need[i]) continue;
        if (nd->op == AR_OP_RELU && nd->inputs[0] >= first && p->fuse_relu[nd->inputs[0]] == i)
            continue; /* its BN's backward applies its mask */
        const int fr = p->fuse_relu[i]; /* backward of BN + ReLU from the ReLU's gradient */
        if (fr >= 0 && !p->valid[fr])
            return ar_err_set(err, AR_E_ARG,
                              "node %04d '%s': backward needs the output of node %04d '%s', "
                              "which the forward did not compute",
                              i, nd->name, fr, g->nodes[fr].name);
        const int skips = ar_op_def(nd->op)->bwd_skips;
        if (!p->valid[i] && !(skips & AR_BWD_NO_Y))
            return ar_err_set(err, AR_E_ARG,
                              "node %04d '%s': backward needs its output, which the forward did "
                              "not compute (folded BN? plan with fold_bn = 0)",
                              i, nd->name);
        for (int j = 0; j < nd->ninputs; j++) {
            int k = nd->inputs[j];
            if (k >= 0 && !p->valid[k] && !(skips & AR_BWD_NO_X))
                return ar_err_set(err, AR_E_ARG,
                                  "node %04d '%s': backward needs input node %04d '%s', which the "
                                  "forward did not compute (folded BN? plan with fold_bn = 0)",
                                  i, nd->name, k, g->nodes[k].name);
            p->xs[j] = input_of(p, k);
            p->dxs[j] = k < 0 ? (p->din.data ? &p->din : NULL)
                              : (p->dout[k].data ? &p->dout[k] : NULL);
            if (k >= 0 && p->dxs[j] && p->zstamp[k] != p->pass) {
                zero_tensor(p, &p->dout[k]);
                p->zstamp[k] = p->pass;
            }
        }
        const int o = fr >= 0 ? fr : i;
        ar_op_run_t r = {.node = nd, .x = p->xs, .y = &p->out[o], .dx = p->dxs,
                         .dy = &p->dout[o], .dparam = &p->pgrad[i * AR_NODE_MAXPARAM],
                         .state = p->state[i], .scratch = p->scratch,
                         .train = p->last_mode == AR_MODE_TRAIN, .threads = p->o.threads,
                         .relu = fr >= 0};
        ar_op_def(nd->op)->backward(&r);
    }
    return AR_OK;
}

int ar_plan_backward(ar_plan_t *p, ar_err_t *err) { return ar_plan_backward_range(p, 0, err); }

ar_tensor_t *ar_plan_grad(ar_plan_t *p, int i)
{
    assert(i >= -1 && i < p->nn);
    if (i < 0) return p->din.data ? &p->din : NULL;
    if (p->grad_pool && i != p->nn - 1) return NULL;
    return p->dout[i].data ? &p->dout[i] : NULL;
}

float *ar_plan_param_grad(ar_plan_t *p, int i, const char *name)
{
    assert(i >= 0 && i < p->nn);
    const ar_node_t *nd = &p->g->nodes[i];
    for (int k = 0; k < nd->nparams; k++)
        if (strcmp(nd->params[k].name, name) == 0) return p->pgrad[i * AR_NODE_MAXPARAM + k];
    return NULL;
}

const ar_param_ref_t *ar_plan_params(const ar_plan_t *p, int *n)
{
    *n = p->nrefs;
    return p->refs;
}
