/* info_model.c - `archrepair info` for model and result files: the root
 * attributes of the model layout (docs/formats.md) and a summary of /graph. The
 * engine's model reader does the full validation; this reads attributes only,
 * so it can describe a file the engine would reject and say why. */
#include "info_model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "info_result.h"
#include "io/h5.h"
#include "nn/graph.h"
#include "nn/model_io.h"

#define MAX_OPS 32

static int print_graph(ar_h5_t *h, FILE *out, ar_err_t *err)
{
    if (!ar_h5_is_group(h, "/graph")) return ar_err_set(err, AR_E_FORMAT, "%s: /graph missing", ar_h5_path(h));
    char **nodes;
    int n;
    int st = ar_h5_list(h, "/graph", &nodes, &n, err);
    if (st) return st;
    char *ops[MAX_OPS];
    int counts[MAX_OPS], nops = 0;
    int nblocks = 0;
    char last_block[256] = "";
    for (int i = 0; i < n && !st; i++) {
        char obj[300], *op = NULL, *block = NULL;
        snprintf(obj, sizeof obj, "/graph/%s", nodes[i]);
        st = ar_h5_attr_read_str(h, obj, "op", &op, err);
        if (st) break;
        int k = 0;
        while (k < nops && strcmp(ops[k], op) != 0) k++;
        if (k == nops && nops < MAX_OPS) {
            ops[nops] = op;
            counts[nops++] = 0;
            op = NULL;
        }
        if (k < nops) counts[k]++;
        free(op);
        if (ar_h5_attr_exists(h, obj, "block") && ar_h5_attr_read_str(h, obj, "block", &block, NULL) == AR_OK) {
            if (block[0] && strcmp(block, last_block) != 0) {
                nblocks++;
                snprintf(last_block, sizeof last_block, "%s", block);
            }
            free(block);
        }
    }
    if (!st) {
        fprintf(out, "nodes:        %d in /graph (%d blocks)\n", n, nblocks);
        for (int k = 0; k < nops; k++) fprintf(out, "  %-16s %d\n", ops[k], counts[k]);
    }
    for (int k = 0; k < nops; k++) free(ops[k]);
    ar_h5_free_strings(nodes, n);
    return st;
}

/* The engine's view: every node with its output shape and parameters, the
 * blocks with their parameter counts, totals and MACs per image. Fails with
 * the reader's message (naming the node) when the engine rejects the file. */
static int print_engine(ar_h5_t *h, FILE *out, ar_err_t *err)
{
    ar_graph_t *g = ar_model_read_h5(h, err);
    if (!g) return err->status;
    fprintf(out, "parameters:   %lld trainable, %lld with BN statistics\n",
            (long long)ar_graph_param_count(g, 1), (long long)ar_graph_param_count(g, 0));
    fprintf(out, "MACs/image:   %lld (%.2f M)\n", (long long)ar_graph_macs(g), ar_graph_macs(g) / 1e6);
    const char **blocks = NULL;
    int nb = 0;
    if (ar_graph_blocks(g, &blocks, &nb, err) == AR_OK && nb > 0) {
        fprintf(out, "blocks:       %d\n", nb);
        for (int b = 0; b < nb; b++) {
            int64_t np = 0;
            int nn = 0;
            for (int i = 0; i < g->nnodes; i++) {
                if (strcmp(g->nodes[i].block, blocks[b]) != 0) continue;
                nn++;
                for (int k = 0; k < g->nodes[i].nparams; k++)
                    if (g->nodes[i].params[k].trainable) np += ar_tensor_numel(&g->nodes[i].params[k].value);
            }
            fprintf(out, "  %-20s %3d nodes %10lld parameters\n", blocks[b], nn, (long long)np);
        }
    }
    free(blocks);
    fprintf(out, "graph:\n  %4s  %-15s %-28s %-12s %-16s %-14s %s\n", "#", "op", "name", "block",
            "inputs", "output", "parameters");
    for (int i = 0; i < g->nnodes; i++) {
        const ar_node_t *nd = &g->nodes[i];
        char ins[64] = "", shp[48], prm[128] = "";
        size_t n = 0;
        for (int j = 0; j < nd->ninputs && n < sizeof ins - 12; j++)
            n += (size_t)snprintf(ins + n, sizeof ins - n, "%s%d", j ? "," : "", nd->inputs[j]);
        n = 0;
        for (int k = 0; k < nd->nparams && n < sizeof prm - 40; k++) {
            char s[48];
            n += (size_t)snprintf(prm + n, sizeof prm - n, "%s%s%s", k ? " " : "", nd->params[k].name,
                                  ar_tensor_shape_str(&nd->params[k].value, s, sizeof s));
        }
        fprintf(out, "  %4d  %-15s %-28s %-12s %-16s %-14s %s\n", i, ar_op_name(nd->op), nd->name,
                nd->block, ins, ar_tensor_shape_str(&nd->out, shp, sizeof shp), prm);
    }
    ar_graph_destroy(&g);
    return AR_OK;
}

static void print_floats(ar_h5_t *h, const char *name, FILE *out)
{
    float v[16];
    int n = 0;
    if (!ar_h5_attr_exists(h, "/", name) || ar_h5_attr_read(h, "/", name, AR_DT_F32, v, -16, &n, NULL) != AR_OK) return;
    fprintf(out, "%-13s [", name);
    for (int i = 0; i < n; i++) fprintf(out, "%s%.4g", i ? ", " : "", v[i]);
    fprintf(out, "]\n");
}

int ar_info_model(const char *path, FILE *out, ar_err_t *err)
{
    ar_h5_t *h = ar_h5_open(path, err);
    if (!h) return err->status;
    char *arch = NULL;
    int32_t ver = 0, shape[3] = {0}, classes = 0;
    int st = ar_h5_attr_read_str(h, "/", "arch", &arch, err);
    if (!st) st = ar_h5_attr_read(h, "/", "format_version", AR_DT_I32, &ver, 1, NULL, err);
    if (!st) st = ar_h5_attr_read(h, "/", "input_shape", AR_DT_I32, shape, 3, NULL, err);
    if (!st) st = ar_h5_attr_read(h, "/", "num_classes", AR_DT_I32, &classes, 1, NULL, err);
    if (!st) {
        int repaired = ar_h5_exists(h, "/repair"), evaluated = ar_h5_exists(h, "/evaluation");
        fprintf(out, "path:         %s\n", path);
        fprintf(out, "format:       archrepair-model v%d%s\n", (int)ver,
                repaired ? " (repair result)" : evaluated ? " (with evaluation)" : "");
        fprintf(out, "arch:         %s\n", arch);
        fprintf(out, "input:        %d x %d x %d (C x H x W)\n", (int)shape[0], (int)shape[1], (int)shape[2]);
        fprintf(out, "classes:      %d\n", (int)classes);
        print_floats(h, "mean", out);
        print_floats(h, "std", out);
        st = print_graph(h, out, err);
        if (!st) st = print_engine(h, out, err);
        if (!st && repaired) ar_info_repair(path, out);
    }
    free(arch);
    ar_h5_destroy(&h);
    return st;
}
