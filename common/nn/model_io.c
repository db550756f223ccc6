/* model_io.c - model files <-> graphs (model_io.h). */
#include "model_io.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_table.h"

#define MAX_INPUTS 4096

static int read_root(ar_h5_t *h, char **arch, int32_t shp[3], int32_t *ncls, ar_err_t *err)
{
    char *fmt = NULL;
    int st = ar_h5_attr_read_str(h, "/", "format", &fmt, err);
    if (st) return st;
    int ok = strcmp(fmt, AR_MODEL_FORMAT) == 0;
    if (!ok) st = ar_err_set(err, AR_E_FORMAT, "format is '%s', expected '%s'", fmt, AR_MODEL_FORMAT);
    free(fmt);
    if (st) return st;
    int32_t ver = 0;
    if ((st = ar_h5_attr_read(h, "/", "format_version", AR_DT_I32, &ver, 1, NULL, err))) return st;
    if (ver != AR_MODEL_FORMAT_VERSION)
        return ar_err_set(err, AR_E_UNSUPPORTED, "format_version %d, this reader knows %d", ver,
                          AR_MODEL_FORMAT_VERSION);
    if ((st = ar_h5_attr_read(h, "/", "input_shape", AR_DT_I32, shp, 3, NULL, err)) ||
        (st = ar_h5_attr_read(h, "/", "num_classes", AR_DT_I32, ncls, 1, NULL, err)) ||
        (st = ar_h5_attr_read_str(h, "/", "arch", arch, err)))
        return st;
    return AR_OK;
}

/* Node index from a child name of /graph: all digits, else -1. */
static int node_index(const char *s)
{
    if (!*s) return -1;
    long v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9' || v > 1000000) return -1;
        v = v * 10 + (*c - '0');
    }
    return (int)v;
}

static int read_params(ar_h5_t *h, const char *grp, ar_graph_t *g, int i, ar_err_t *err)
{
    char **kids = NULL;
    int nk = 0, st = ar_h5_list(h, grp, &kids, &nk, err);
    if (st) return st;
    for (int k = 0; k < nk && st == AR_OK; k++) {
        if (strcmp(kids[k], "num_batches_tracked") == 0) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", grp, kids[k]);
        int ndim = 0, is_int = 0;
        int64_t dims[AR_H5_MAXDIM];
        size_t es = 0;
        if ((st = ar_h5_shape(h, path, &ndim, dims, &is_int, &es, err))) break;
        if (ndim < 1 || ndim > AR_TENSOR_MAXDIM || is_int < 0) {
            st = ar_err_set(err, AR_E_FORMAT, "dataset '%s' is not a numeric array of 1..4 dims",
                            kids[k]);
            break;
        }
        int64_t numel = 1;
        for (int d = 0; d < ndim && numel > 0; d++)
            numel = dims[d] >= 0 && dims[d] <= (1LL << 31) ? numel * dims[d] : -1;
        if (numel < 0 || numel > (1LL << 31)) {
            st = ar_err_set(err, AR_E_FORMAT, "dataset '%s' is too large", kids[k]);
            break;
        }
        if ((st = ar_h5_check_stored(h, path, err))) break; /* before it is allocated */
        ar_tensor_t t = ar_tensor_shape(ndim, dims);
        if (ar_tensor_alloc(&t) != 0) {
            st = ar_err_set(err, AR_E_NOMEM, "out of memory");
            break;
        }
        st = ar_h5_read(h, path, AR_DT_F32, t.data, ar_tensor_numel(&t), err);
        if (!st) {
            ar_err_t e2 = {0};
            st = ar_graph_set_param(g, i, kids[k], &t, &e2);
            /* set_param names the node; keep only the problem here */
            if (st) ar_err_set(err, st, "unexpected dataset '%s'", kids[k]);
        }
        ar_tensor_free(&t);
    }
    ar_h5_free_strings(kids, nk);
    return st;
}

/* Reads node group i. Errors name only the problem (the caller adds where),
 * except those from ar_graph_add, which name the node: *named = 1. */
static int read_node(ar_h5_t *h, ar_graph_t *g, int i, char **name, int *named, ar_err_t *err)
{
    char grp[64];
    snprintf(grp, sizeof grp, "/graph/%04d", i);
    char *op = NULL, *block = NULL;
    int32_t *inputs = NULL;
    int nin = 0, st;
    ar_err_t e2 = {0};
    ar_node_t tmp = {0};
    if ((st = ar_h5_attr_read_str(h, grp, "name", name, &e2))) {
        st = ar_err_set(err, AR_E_FORMAT, "attribute 'name' missing or unreadable");
        goto done;
    }
    const char *need[] = {"op", "block", "inputs"};
    for (int k = 0; k < 3; k++)
        if (!ar_h5_attr_exists(h, grp, need[k])) {
            st = ar_err_set(err, AR_E_FORMAT, "attribute '%s' missing", need[k]);
            goto done;
        }
    if ((st = ar_h5_attr_read_str(h, grp, "op", &op, err)) ||
        (st = ar_h5_attr_read_str(h, grp, "block", &block, err)))
        goto done;
    int opi = ar_op_parse(op);
    if (opi < 0) {
        st = ar_err_set(err, AR_E_FORMAT, "unknown op '%s'", op);
        goto done;
    }
    if (!(inputs = malloc(MAX_INPUTS * sizeof *inputs))) {
        st = ar_err_set(err, AR_E_NOMEM, "out of memory");
        goto done;
    }
    if ((st = ar_h5_attr_read(h, grp, "inputs", AR_DT_I32, inputs, -MAX_INPUTS, &nin, err)))
        goto done;
    tmp.op = (ar_op_t)opi;
    const ar_op_def_t *def = ar_op_def(tmp.op);
    if (def->read_attrs && (st = def->read_attrs(h, grp, &tmp, err))) goto done;
    int idx = ar_graph_add(g, tmp.op, *name, block, inputs, nin, &tmp.cfg, &e2);
    if (idx < 0) {
        /* ar_graph_add names the node itself: pass its message on unchanged */
        st = ar_err_set(err, e2.status, "%s", e2.msg);
        *named = 1;
        goto done;
    }
    if (ar_h5_attr_exists(h, grp, "module")) {
        char *module = NULL;
        if ((st = ar_h5_attr_read_str(h, grp, "module", &module, &e2))) {
            st = ar_err_set(err, AR_E_FORMAT, "attribute 'module' is not a string: %s",
                            ar_err_msg(&e2));
            goto done;
        }
        st = ar_graph_set_module(g, idx, module, err);
        free(module);
        if (st) goto done;
    }
    st = read_params(h, grp, g, idx, err);
done:
    free(op);
    free(block);
    free(inputs);
    return st;
}

ar_graph_t *ar_model_read_h5(ar_h5_t *h, ar_err_t *err)
{
    const char *path = ar_h5_path(h);
    char *arch = NULL, **kids = NULL;
    int32_t shp[3], ncls = 0;
    int nk = 0;
    ar_graph_t *g = NULL;
    if (read_root(h, &arch, shp, &ncls, err)) goto fail;
    if (!(g = ar_graph_new(arch, shp[0], shp[1], shp[2], ncls, err))) goto fail;
    if (ar_h5_attr_read(h, "/", "mean", AR_DT_F32, g->mean, shp[0], NULL, err) ||
        ar_h5_attr_read(h, "/", "std", AR_DT_F32, g->std, shp[0], NULL, err))
        goto fail;
    for (int c = 0; c < shp[0]; c++)
        if (!(g->std[c] > 0)) {
            ar_err_set(err, AR_E_FORMAT, "std[%d] = %g is not positive", c, g->std[c]);
            goto fail;
        }
    if (!ar_h5_is_group(h, "/graph")) {
        ar_err_set(err, AR_E_FORMAT, "group /graph missing");
        goto fail;
    }
    if (ar_h5_list(h, "/graph", &kids, &nk, err)) goto fail;
    for (int k = 0; k < nk; k++) {
        int idx = node_index(kids[k]);
        if (idx < 0 || idx >= nk || strlen(kids[k]) < 4) {
            ar_err_set(err, AR_E_FORMAT, "/graph/%s: not a node index (expected 0000..%04d)",
                       kids[k], nk - 1);
            goto fail;
        }
    }
    for (int i = 0; i < nk; i++) {
        char *name = NULL;
        char grp[64];
        snprintf(grp, sizeof grp, "/graph/%04d", i);
        if (!ar_h5_exists(h, grp)) {
            ar_err_set(err, AR_E_FORMAT, "node %04d missing (the graph has %d nodes)", i, nk);
            goto fail;
        }
        int named = 0, st = read_node(h, g, i, &name, &named, err);
        if (st && !named) ar_err_prefix(err, "node %04d '%s'", i, name ? name : "?");
        free(name);
        if (st) goto fail;
    }
    if (ar_graph_finalize(g, AR_GRAPH_REQUIRE_PARAMS, err)) goto fail;
    free(arch);
    ar_h5_free_strings(kids, nk);
    return g;
fail:
    ar_err_prefix(err, "%s", path);
    free(arch);
    ar_h5_free_strings(kids, nk);
    ar_graph_destroy(&g);
    return NULL;
}

ar_graph_t *ar_model_load(const char *path, ar_err_t *err)
{
    ar_h5_t *h = ar_h5_open(path, err);
    if (!h) return NULL;
    ar_graph_t *g = ar_model_read_h5(h, err);
    ar_h5_destroy(&h);
    return g;
}

static int write_node(ar_h5_t *h, const ar_graph_t *g, int i, ar_err_t *err)
{
    const ar_node_t *nd = &g->nodes[i];
    char grp[64], path[600];
    snprintf(grp, sizeof grp, "/graph/%04d", i);
    int st;
    if ((st = ar_h5_group(h, grp, err)) ||
        (st = ar_h5_attr_write_str(h, grp, "op", ar_op_name(nd->op), err)) ||
        (st = ar_h5_attr_write_str(h, grp, "name", nd->name, err)) ||
        (st = ar_h5_attr_write_str(h, grp, "block", nd->block, err)) ||
        (st = ar_h5_attr_write(h, grp, "inputs", AR_DT_I32, nd->ninputs, nd->inputs, 0, err)))
        return st;
    if (nd->module[0] && (st = ar_h5_attr_write_str(h, grp, "module", nd->module, err))) return st;
    const ar_op_def_t *def = ar_op_def(nd->op);
    if (def->write_attrs && (st = def->write_attrs(h, grp, nd, err))) return st;
    for (int k = 0; k < nd->nparams; k++) {
        const ar_tensor_t *v = &nd->params[k].value;
        snprintf(path, sizeof path, "%s/%s", grp, nd->params[k].name);
        if ((st = ar_h5_write(h, path, AR_DT_F32, v->ndim, v->shape, v->data, 0, err))) return st;
    }
    return AR_OK;
}

int ar_model_write_h5(ar_h5_t *h, const ar_graph_t *g, ar_err_t *err)
{
    assert(g->finalized);
    int32_t shp[3] = {g->in_c, g->in_h, g->in_w}, ver = AR_MODEL_FORMAT_VERSION,
            ncls = g->num_classes;
    int st;
    if ((st = ar_h5_attr_write_str(h, "/", "format", AR_MODEL_FORMAT, err)) ||
        (st = ar_h5_attr_write(h, "/", "format_version", AR_DT_I32, 1, &ver, 1, err)) ||
        (st = ar_h5_attr_write_str(h, "/", "arch", g->arch, err)) ||
        (st = ar_h5_attr_write(h, "/", "input_shape", AR_DT_I32, 3, shp, 0, err)) ||
        (st = ar_h5_attr_write(h, "/", "num_classes", AR_DT_I32, 1, &ncls, 1, err)) ||
        (st = ar_h5_attr_write(h, "/", "mean", AR_DT_F32, g->in_c, g->mean, 0, err)) ||
        (st = ar_h5_attr_write(h, "/", "std", AR_DT_F32, g->in_c, g->std, 0, err)) ||
        (st = ar_h5_group(h, "/graph", err)))
        return st;
    for (int i = 0; i < g->nnodes; i++)
        if ((st = write_node(h, g, i, err))) return st;
    return AR_OK;
}

int ar_model_save(const ar_graph_t *g, const char *path, ar_err_t *err)
{
    ar_h5_t *h = ar_h5_create(path, err);
    if (!h) return err ? err->status : AR_E_IO;
    int st = ar_model_write_h5(h, g, err);
    if (st) {
        ar_h5_destroy(&h);
        return st;
    }
    return ar_h5_commit(&h, err);
}
