/* zoo.c - CIFAR ResNets and DenseNet-121 built as graphs (zoo.h). */
#include "zoo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/rng.h"

/* A builder: the graph, the error, the current block and name prefix. Once
 * a call fails, every later call does nothing and returns -2. */
typedef struct zb {
    ar_graph_t *g;
    ar_err_t *err;
    int failed;
    char block[64];   /* "" outside blocks */
    char prefix[64];  /* prepended to names: "layer1.0." */
} zb_t;

static int add(zb_t *b, ar_op_t op, const char *name, const int *in, int nin,
               const ar_node_cfg_t *cfg)
{
    if (b->failed) return -2;
    char full[160];
    snprintf(full, sizeof full, "%s%s", b->prefix, name);
    int i = ar_graph_add(b->g, op, full, b->block, in, nin, cfg, b->err);
    if (i < 0) b->failed = 1;
    return i;
}

static int conv(zb_t *b, const char *name, int in, int cout, int k, int s, int p)
{
    ar_node_cfg_t c = {.conv = {.c = {.cout = cout, .kh = k, .kw = k, .sh = s, .sw = s, .ph = p,
                                      .pw = p, .dh = 1, .dw = 1, .groups = 1},
                                .bias = 0}};
    return add(b, AR_OP_CONV2D, name, &in, 1, &c);
}

static int bn(zb_t *b, const char *name, int in)
{
    ar_node_cfg_t c = {.bn = {.c = {.eps = 1e-5f, .momentum = 0.1f}, .affine = 1}};
    return add(b, AR_OP_BATCHNORM2D, name, &in, 1, &c);
}

static int relu(zb_t *b, const char *name, int in) { return add(b, AR_OP_RELU, name, &in, 1, NULL); }

static int add2(zb_t *b, const char *name, int x, int y, ar_op_t op)
{
    int in[2] = {x, y};
    return add(b, op, name, in, 2, NULL);
}

static void enter(zb_t *b, const char *block)
{
    snprintf(b->block, sizeof b->block, "%s", block);
    snprintf(b->prefix, sizeof b->prefix, "%s%s", block, *block ? "." : "");
}

static int ch(int c, double width)
{
    int v = (int)lround(c * width);
    return v < 1 ? 1 : v;
}

/* BasicBlock (expansion 1) or Bottleneck (expansion 4). */
static int res_block(zb_t *b, int x, int in_planes, int planes, int stride, int bottleneck)
{
    int out_planes = bottleneck ? 4 * planes : planes, y;
    if (!bottleneck) {
        y = relu(b, "relu1", bn(b, "bn1", conv(b, "conv1", x, planes, 3, stride, 1)));
        y = bn(b, "bn2", conv(b, "conv2", y, planes, 3, 1, 1));
    } else {
        y = relu(b, "relu1", bn(b, "bn1", conv(b, "conv1", x, planes, 1, 1, 0)));
        y = relu(b, "relu2", bn(b, "bn2", conv(b, "conv2", y, planes, 3, stride, 1)));
        y = bn(b, "bn3", conv(b, "conv3", y, out_planes, 1, 1, 0));
    }
    int sc = x;
    if (stride != 1 || in_planes != out_planes)
        sc = bn(b, "downsample.1", conv(b, "downsample.0", x, out_planes, 1, stride, 0));
    return relu(b, bottleneck ? "relu3" : "relu2", add2(b, "add", y, sc, AR_OP_ADD));
}

static int head(zb_t *b, int x, int classes)
{
    enter(b, "");
    int p = add(b, AR_OP_GLOBAL_AVGPOOL, "avgpool", &x, 1, NULL);
    ar_node_cfg_t c = {.linear = {.out_features = classes, .bias = 1}};
    return add(b, AR_OP_LINEAR, "fc", &p, 1, &c);
}

/* stages: number of stages; widths / blocks / strides per stage. */
static void resnet(zb_t *b, int stem, const int *widths, const int *blocks, const int *strides,
                   int stages, int bottleneck, double width, int classes)
{
    int x = relu(b, "relu", bn(b, "bn1", conv(b, "conv1", -1, ch(stem, width), 3, 1, 1)));
    int in_planes = ch(stem, width);
    for (int s = 0; s < stages; s++) {
        int planes = ch(widths[s], width);
        for (int k = 0; k < blocks[s]; k++) {
            char name[32];
            snprintf(name, sizeof name, "layer%d.%d", s + 1, k);
            enter(b, name);
            x = res_block(b, x, in_planes, planes, k == 0 ? strides[s] : 1, bottleneck);
            in_planes = bottleneck ? 4 * planes : planes;
        }
    }
    head(b, x, classes);
}

static void densenet121(zb_t *b, int growth, int classes)
{
    static const int nblocks[4] = {6, 12, 24, 16};
    int planes = 2 * growth;
    int x = conv(b, "conv1", -1, planes, 3, 1, 1);
    for (int s = 0; s < 4; s++) {
        for (int k = 0; k < nblocks[s]; k++) {
            char name[32];
            snprintf(name, sizeof name, "dense%d.%d", s + 1, k);
            enter(b, name);
            int y = relu(b, "relu1", bn(b, "bn1", x));
            y = relu(b, "relu2", bn(b, "bn2", conv(b, "conv1", y, 4 * growth, 1, 1, 0)));
            y = conv(b, "conv2", y, growth, 3, 1, 1);
            x = add2(b, "cat", y, x, AR_OP_CONCAT);
            planes += growth;
        }
        if (s == 3) break;
        char name[32];
        snprintf(name, sizeof name, "trans%d", s + 1);
        enter(b, "");
        snprintf(b->prefix, sizeof b->prefix, "%s.", name);
        planes = planes / 2;
        int y = relu(b, "relu", bn(b, "bn", x));
        y = conv(b, "conv", y, planes, 1, 1, 0);
        ar_node_cfg_t pc = {.pool = {.kh = 2, .kw = 2, .sh = 2, .sw = 2, .count_include_pad = 1}};
        x = add(b, AR_OP_AVGPOOL2D, "pool", &y, 1, &pc);
    }
    enter(b, "");
    x = relu(b, "relu", bn(b, "bn", x));
    head(b, x, classes);
}

static const char *const zoo_names[] = {"resnet20", "resnet32", "resnet56", "resnet18",
                                        "resnet34", "resnet50", "resnet101", "densenet121"};

const char *const *ar_zoo_names(int *n)
{
    *n = (int)(sizeof zoo_names / sizeof zoo_names[0]);
    return zoo_names;
}

void ar_zoo_init_params(ar_graph_t *g, uint64_t seed)
{
    for (int i = 0; i < g->nnodes; i++) {
        ar_node_t *nd = &g->nodes[i];
        if (nd->op != AR_OP_CONV2D && nd->op != AR_OP_LINEAR) continue;
        /* fan_in of the weight: every dim but the first */
        const ar_tensor_t *w = &nd->params[0].value;
        double bound = 1.0 / sqrt((double)(ar_tensor_numel(w) / w->shape[0]));
        for (int k = 0; k < nd->nparams; k++) {
            uint64_t ids[2] = {ar_rng_hash_str(nd->name), ar_rng_hash_str(nd->params[k].name)};
            ar_rng_t r;
            ar_rng_init(&r, ar_rng_key(seed, ids, 2));
            ar_tensor_t *t = &nd->params[k].value;
            int64_t n = ar_tensor_numel(t);
            for (int64_t e = 0; e < n; e++) t->data[e] = (float)ar_rng_range(&r, -bound, bound);
        }
    }
}

ar_graph_t *ar_zoo_build(const char *name, const ar_zoo_opts_t *o, ar_err_t *err)
{
    ar_zoo_opts_t d = *o;
    if (!d.in_c) d.in_c = 3;
    if (!d.in_h) d.in_h = 32;
    if (!d.in_w) d.in_w = 32;
    if (!d.num_classes) d.num_classes = 10;
    if (!(d.width > 0)) d.width = 1.0;
    if (!d.growth) d.growth = ch(32, d.width);
    ar_graph_t *g = ar_graph_new(name, d.in_c, d.in_h, d.in_w, d.num_classes, err);
    if (!g) return NULL;
    zb_t b = {.g = g, .err = err};
    static const int w3[3] = {16, 32, 64}, s3[3] = {1, 2, 2};
    static const int w4[4] = {64, 128, 256, 512}, s4[4] = {1, 2, 2, 2};
    static const int b18[4] = {2, 2, 2, 2}, b34[4] = {3, 4, 6, 3}, b101[4] = {3, 4, 23, 3};
    int depth = 0;
    if (sscanf(name, "resnet%d", &depth) == 1 && (depth == 20 || depth == 32 || depth == 56)) {
        int n = (depth - 2) / 6, blocks[3] = {n, n, n};
        resnet(&b, 16, w3, blocks, s3, 3, 0, d.width, d.num_classes);
    } else if (strcmp(name, "resnet18") == 0) {
        resnet(&b, 64, w4, b18, s4, 4, 0, d.width, d.num_classes);
    } else if (strcmp(name, "resnet34") == 0) {
        resnet(&b, 64, w4, b34, s4, 4, 0, d.width, d.num_classes);
    } else if (strcmp(name, "resnet50") == 0) {
        resnet(&b, 64, w4, b34, s4, 4, 1, d.width, d.num_classes);
    } else if (strcmp(name, "resnet101") == 0) {
        resnet(&b, 64, w4, b101, s4, 4, 1, d.width, d.num_classes);
    } else if (strcmp(name, "densenet121") == 0) {
        densenet121(&b, d.growth, d.num_classes);
    } else {
        ar_err_set(err, AR_E_ARG,
                   "unknown model '%s' (known: resnet20, resnet32, resnet56, resnet18, resnet34, "
                   "resnet50, resnet101, densenet121)",
                   name);
        ar_graph_destroy(&g);
        return NULL;
    }
    if (b.failed || ar_graph_finalize(g, 0, err) != AR_OK) {
        ar_err_prefix(err, "zoo %s", name);
        ar_graph_destroy(&g);
        return NULL;
    }
    ar_zoo_init_params(g, d.seed);
    return g;
}
