/* info_model.c - `archrepair info` for model and result files: the root
 * attributes of DESIGN.md's model layout and a summary of /graph. The
 * engine's model reader does the full validation; this reads attributes only,
 * so it can describe a file the engine would reject and say why. */
#include "info_model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5.h"

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
        if (!st && repaired) {
            char *method = NULL;
            if (ar_h5_attr_exists(h, "/repair", "method") &&
                ar_h5_attr_read_str(h, "/repair", "method", &method, NULL) == AR_OK) {
                fprintf(out, "repair:       method %s\n", method);
                free(method);
            }
        }
    }
    free(arch);
    ar_h5_destroy(&h);
    return st;
}
