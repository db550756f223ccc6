/* test_model_io.c - model files: round trip, each bad-file error (unknown
 * op, missing attribute, wrong dataset shape, forward input, missing
 * dataset, bad format/version, node gap), atomic save, h5py-written file. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "core/fsutil.h"
#include "graph_testutil.h"
#include "io/h5.h"
#include "nn/model_io.h"
#include "nn/plan.h"

static void forward_logits(ar_graph_t *g, const ar_tensor_t *x, float *out, int64_t n)
{
    ar_err_t e = {0};
    ar_plan_opts_t o = {.batch = (int)x->shape[0]};
    ar_plan_t *p = ar_plan_new(g, &o, &e);
    CHECK(p && ar_plan_forward(p, x, AR_MODE_EVAL, &e) == 0, "%s", ar_err_msg(&e));
    if (p) memcpy(out, ar_plan_logits(p)->data, (size_t)n * sizeof(float));
    ar_plan_destroy(&p);
}

static void test_roundtrip(void)
{
    ar_err_t e = {0};
    ar_graph_t *g = gt_allops(&e);
    float mean[3] = {0.5f, 0.4f, 0.3f}, sd[3] = {0.2f, 0.25f, 0.3f};
    ar_graph_set_norm(g, mean, sd);
    const char *path = test_tmp("mio_roundtrip.h5");
    remove(path);
    CHECK_OK(ar_model_save(g, path, &e), &e);
    ar_graph_t *h = ar_model_load(path, &e);
    CHECK(h != NULL, "load: %s", ar_err_msg(&e));
    if (!h) return;
    CHECK(h->nnodes == g->nnodes && strcmp(h->arch, "allops") == 0 && h->num_classes == 5, "shape");
    CHECK(h->mean[1] == 0.4f && h->std[2] == 0.3f, "mean/std");
    for (int i = 0; i < g->nnodes; i++) {
        const ar_node_t *a = &g->nodes[i], *b = &h->nodes[i];
        CHECK(a->op == b->op && strcmp(a->name, b->name) == 0 && strcmp(a->block, b->block) == 0 &&
                  a->ninputs == b->ninputs && a->nparams == b->nparams,
              "node %d", i);
        CHECK(memcmp(&a->cfg, &b->cfg, sizeof a->cfg) == 0, "node %d config", i);
        for (int k = 0; k < a->nparams && k < b->nparams; k++)
            CHECK(ar_tensor_same_shape(&a->params[k].value, &b->params[k].value) &&
                      memcmp(a->params[k].value.data, b->params[k].value.data,
                             (size_t)ar_tensor_numel(&a->params[k].value) * 4) == 0 &&
                      a->params[k].trainable == b->params[k].trainable,
                  "node %d param %s", i, a->params[k].name);
    }
    ar_tensor_t x;
    int32_t lab[2];
    gt_batch(&x, lab, 2, 3, 8, 8, 5, 1);
    float la[10], lb[10];
    forward_logits(g, &x, la, 10);
    forward_logits(h, &x, lb, 10);
    CHECK(memcmp(la, lb, sizeof la) == 0, "same logits after the round trip");
    ar_tensor_free(&x);
    /* a failed save leaves the previous file intact */
    int64_t size = ar_file_size(path);
    CHECK(ar_model_save(g, "/nonexistent-dir/m.h5", &e) != 0, "unwritable path fails");
    CHECK(ar_file_size(path) == size, "old file untouched");
    ar_graph_destroy(&g);
    ar_graph_destroy(&h);
    remove(path);
}

enum {
    V_OK, V_UNKNOWN_OP, V_MISSING_ATTR, V_WRONG_SHAPE, V_FORWARD_INPUT, V_MISSING_DATASET,
    V_BAD_FORMAT, V_VERSION, V_GAP, V_EXTRA_DATASET, V_HUGE, V_HUGE_KERNEL, V_COUNT
};

/* A 2-node model (conv 2->3 1x1 + global_avgpool, 3 classes) written
 * directly with the HDF5 layer, broken as `v` says. */
static int write_model(const char *path, int v, ar_err_t *e)
{
    ar_h5_t *h = ar_h5_create(path, e);
    if (!h) return -1;
    int32_t shp[3] = {2, v == V_HUGE ? 1 << 30 : 4, 4}, one = 1, three = 3,
            ver = v == V_VERSION ? 2 : 1;
    float mean[2] = {0, 0}, sd[2] = {1, 1};
    ar_h5_attr_write_str(h, "/", "format", v == V_BAD_FORMAT ? "other" : "archrepair-model", e);
    ar_h5_attr_write(h, "/", "format_version", AR_DT_I32, 1, &ver, 1, e);
    ar_h5_attr_write_str(h, "/", "arch", "tiny", e);
    ar_h5_attr_write(h, "/", "input_shape", AR_DT_I32, 3, shp, 0, e);
    ar_h5_attr_write(h, "/", "num_classes", AR_DT_I32, 1, &three, 1, e);
    ar_h5_attr_write(h, "/", "mean", AR_DT_F32, 2, mean, 0, e);
    ar_h5_attr_write(h, "/", "std", AR_DT_F32, 2, sd, 0, e);
    const char *g0 = "/graph/0000", *g1 = v == V_GAP ? "/graph/0002" : "/graph/0001";
    ar_h5_group(h, g0, e);
    ar_h5_attr_write_str(h, g0, "op", v == V_UNKNOWN_OP ? "conv3d" : "conv2d", e);
    ar_h5_attr_write_str(h, g0, "name", "conv", e);
    ar_h5_attr_write_str(h, g0, "block", "b0", e);
    int32_t in0 = -1, in1 = v == V_FORWARD_INPUT ? 1 : 0, k2[2] = {1, 1}, z2[2] = {0, 0},
            kbig[2] = {1, 2000000000};
    ar_h5_attr_write(h, g0, "inputs", AR_DT_I32, 1, &in0, 0, e);
    ar_h5_attr_write(h, g0, "out_channels", AR_DT_I32, 1, &three, 1, e);
    if (v != V_MISSING_ATTR)
        ar_h5_attr_write(h, g0, "kernel", AR_DT_I32, 2, v == V_HUGE_KERNEL ? kbig : k2, 0, e);
    ar_h5_attr_write(h, g0, "stride", AR_DT_I32, 2, k2, 0, e);
    ar_h5_attr_write(h, g0, "padding", AR_DT_I32, 2, z2, 0, e);
    ar_h5_attr_write(h, g0, "dilation", AR_DT_I32, 2, k2, 0, e);
    ar_h5_attr_write(h, g0, "groups", AR_DT_I32, 1, &one, 1, e);
    float w[6] = {1, 2, 3, 4, 5, 6}, b[3] = {0.5f, 0, -0.5f};
    int64_t wd[4] = {3, v == V_WRONG_SHAPE ? 1 : 2, 1, 1}, bd = 3;
    if (v == V_WRONG_SHAPE) wd[0] = 6;
    if (v != V_MISSING_DATASET) ar_h5_write(h, "/graph/0000/weight", AR_DT_F32, 4, wd, w, 0, e);
    ar_h5_write(h, "/graph/0000/bias", AR_DT_F32, 1, &bd, b, 0, e);
    if (v == V_EXTRA_DATASET) ar_h5_write(h, "/graph/0000/running_mean", AR_DT_F32, 1, &bd, b, 0, e);
    ar_h5_group(h, g1, e);
    ar_h5_attr_write_str(h, g1, "op", "global_avgpool", e);
    ar_h5_attr_write_str(h, g1, "name", "gap", e);
    ar_h5_attr_write_str(h, g1, "block", "", e);
    ar_h5_attr_write(h, g1, "inputs", AR_DT_I32, 1, &in1, 0, e);
    return ar_h5_commit(&h, e);
}

static void test_bad_files(void)
{
    static const struct {
        int v;
        const char *want1, *want2;
    } cases[] = {
        {V_UNKNOWN_OP, "node 0000 'conv': unknown op 'conv3d'", NULL},
        {V_MISSING_ATTR, "node 0000 'conv': attribute 'kernel' missing", NULL},
        {V_WRONG_SHAPE, "node 0000 'conv': dataset 'weight' has shape [6, 1, 1, 1], expected [3, 2, 1, 1]", NULL},
        {V_FORWARD_INPUT, "node 0001 'gap'", "not an earlier node"},
        {V_MISSING_DATASET, "node 0000 'conv': dataset 'weight' missing", NULL},
        {V_BAD_FORMAT, "format is 'other'", NULL},
        {V_VERSION, "format_version 2", NULL},
        {V_GAP, "/graph/0002: not a node index", NULL},
        {V_EXTRA_DATASET, "node 0000 'conv': unexpected dataset 'running_mean'", NULL},
        {V_HUGE, "bad input shape 2x1073741824x4", NULL},
        {V_HUGE_KERNEL, "node 0000 'conv': bad configuration", "kernel 1x2000000000"},
    };
    ar_err_t e = {0};
    const char *path = test_tmp("mio_bad.h5");
    CHECK_OK(write_model(path, V_OK, &e), &e);
    ar_graph_t *g = ar_model_load(path, &e);
    CHECK(g != NULL, "the unbroken file loads: %s", ar_err_msg(&e));
    if (g) {
        CHECK(g->nodes[0].cfg.conv.bias == 1 && g->nodes[0].params[0].value.data[5] == 6.0f &&
                  strcmp(g->nodes[0].block, "b0") == 0,
              "read back");
        ar_graph_destroy(&g);
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        remove(path);
        CHECK_OK(write_model(path, cases[i].v, &e), &e);
        ar_err_clear(&e);
        g = ar_model_load(path, &e);
        CHECK(g == NULL && e.status != 0 && strstr(e.msg, path) && strstr(e.msg, cases[i].want1) &&
                  (!cases[i].want2 || strstr(e.msg, cases[i].want2)),
              "case %d: '%s'", cases[i].v, e.msg);
        ar_graph_destroy(&g);
    }
    remove(path);
}

/* A model written by h5py: int64 / float64 attributes, variable-length
 * strings, scalar vs array attributes, a num_batches_tracked dataset. */
static void test_h5py(void)
{
    if (access("/usr/bin/python3", X_OK) != 0) return;
    const char *path = test_tmp("mio_h5py.h5");
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import h5py, numpy as np\n"
             "f = h5py.File('%s', 'w')\n"
             "f.attrs['format'] = 'archrepair-model'\n"
             "f.attrs['format_version'] = np.int64(1)\n"
             "f.attrs['arch'] = 'from-h5py'\n"
             "f.attrs['input_shape'] = np.array([1, 3, 3], dtype=np.int64)\n"
             "f.attrs['num_classes'] = np.int64(2)\n"
             "f.attrs['mean'] = np.array([0.5])\n"
             "f.attrs['std'] = np.array([0.25])\n"
             "g = f.create_group('graph/0000')\n"
             "g.attrs.update(op='batchnorm2d', name='bn', block='', inputs=np.array([-1]), eps=1e-5, momentum=0.1)\n"
             "g['weight'] = np.array([2.0]); g['bias'] = np.array([1.0])\n"
             "g['running_mean'] = np.array([0.5], dtype=np.float32); g['running_var'] = np.array([4.0], dtype=np.float32)\n"
             "g['num_batches_tracked'] = np.int64(7)\n"
             "g = f.create_group('graph/0001')\n"
             "g.attrs.update(op='linear', name='fc', block='', inputs=np.array([0], dtype=np.int64))\n"
             "g['weight'] = np.arange(18, dtype=np.float32).reshape(2, 9) / 10; g['bias'] = np.array([0.0, 1.0], dtype=np.float32)\n"
             "f.close()\" 2>&1",
             path);
    int rc = system(cmd);
    CHECK(rc == 0, "h5py script ran");
    if (rc) return;
    ar_err_t e = {0};
    ar_graph_t *g = ar_model_load(path, &e);
    CHECK(g != NULL, "h5py model loads: %s", ar_err_msg(&e));
    if (!g) return;
    CHECK(g->in_h == 3 && g->num_classes == 2 && g->mean[0] == 0.5f && g->std[0] == 0.25f, "root");
    CHECK(g->nodes[0].cfg.bn.affine == 1 && fabsf(g->nodes[0].cfg.bn.c.eps - 1e-5f) < 1e-12f,
          "float64 eps");
    /* x = 1 everywhere: bn -> (1 - 0.5) / sqrt(4 + 1e-5) * 2 + 1 = 1.5; fc */
    ar_tensor_t x = ar_tensor_4d(1, 1, 3, 3);
    ar_tensor_alloc(&x);
    for (int i = 0; i < 9; i++) x.data[i] = 1.0f;
    float l[2];
    forward_logits(g, &x, l, 2);
    double y = 0.5 / sqrt(4 + 1e-5) * 2 + 1;
    CHECK_NEAR(l[0], y * 3.6, 1e-5); /* sum(0..8)/10 */
    CHECK_NEAR(l[1], y * 11.7 + 1, 1e-5); /* sum(9..17)/10 */
    ar_tensor_free(&x);
    ar_graph_destroy(&g);
    remove(path);
}

int main(void)
{
    test_roundtrip();
    test_bad_files();
    test_h5py();
    TEST_MAIN_END();
}
