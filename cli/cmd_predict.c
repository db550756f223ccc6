/* cmd_predict.c - `archrepair predict MODEL IN.h5 OUT.h5`: logits of every
 * image of IN's /images (uint8 [N, H, W, C]) into OUT's /logits (float32
 * [N, classes]), read and computed chunk by chunk; OUT appears only when
 * complete. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "nn_cli.h"
#include "core/par.h"
#include "data/dataset.h"
#include "io/h5.h"
#include "nn/model_io.h"
#include "nn/plan.h"

static const char *NAME = "predict";

static void usage(void)
{
    printf("Usage: archrepair predict MODEL IN.h5 OUT.h5 [--batch N] [--threads N]\n\n"
           "Writes the logits of MODEL for every image of IN.h5 /images (uint8\n"
           "[N, H, W, C], normalised with the model's mean/std) to OUT.h5 /logits\n"
           "(float32 [N, classes]). --batch: images per forward pass (default 256);\n"
           "--threads: threads of the conv kernels (default: the cores available; same results).\n");
}

static int predict(ar_graph_t *g, ar_h5_t *in, ar_h5_t *out, int batch, int threads,
                   ar_err_t *err)
{
    int nd = 0, is_int = 0;
    int64_t d[AR_H5_MAXDIM];
    size_t es = 0;
    int st = ar_h5_shape(in, "/images", &nd, d, &is_int, &es, err);
    if (st) return st;
    if (nd != 4 || d[1] != g->in_h || d[2] != g->in_w || d[3] != g->in_c || is_int != 1)
        return ar_err_set(err, AR_E_FORMAT,
                          "%s: /images must be integer [N, %d, %d, %d] for this model",
                          ar_h5_path(in), g->in_h, g->in_w, g->in_c);
    int64_t n = d[0], img = d[1] * d[2] * d[3];
    int64_t ld[2] = {n, g->num_classes};
    if ((st = ar_h5_create_dataset(out, "/logits", AR_DT_F32, 2, ld, 0, err))) return st;
    if (n == 0) return AR_OK;
    if (batch > n) batch = (int)n;
    ar_plan_opts_t po = {.batch = batch, .fold_bn = 1, .lean = 1, .threads = threads};
    ar_plan_t *p = ar_plan_new(g, &po, err);
    if (!p) return err->status;
    uint8_t *px = malloc((size_t)(batch * img));
    ar_tensor_t x = ar_tensor_4d(batch, g->in_c, g->in_h, g->in_w);
    if (!px || ar_tensor_alloc(&x) != 0) st = ar_err_set(err, AR_E_NOMEM, "out of memory");
    for (int64_t s = 0; s < n && !st; s += batch) {
        int b = (int)(n - s < batch ? n - s : batch);
        int64_t start[4] = {s, 0, 0, 0}, count[4] = {b, d[1], d[2], d[3]};
        if ((st = ar_h5_read_slab(in, "/images", AR_DT_U8, start, count, px, err))) break;
        ar_normalize_nhwc(px, b, g->in_h, g->in_w, g->in_c, g->mean, g->std, x.data);
        x.shape[0] = b;
        if ((st = ar_plan_forward(p, &x, AR_MODE_EVAL, err))) break;
        int64_t ls[2] = {s, 0}, lc[2] = {b, g->num_classes};
        st = ar_h5_write_slab(out, "/logits", AR_DT_F32, ls, lc, ar_plan_logits(p)->data, err);
    }
    free(px);
    ar_tensor_free(&x);
    ar_plan_destroy(&p);
    return st;
}

int ar_cmd_predict(int argc, char **argv)
{
    if (ar_cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0, batch = 256, threads = ar_cli_default_threads();
    const ar_opt_t opts[] = {AR_INT("batch", &batch, 1, INT_MAX),
                             AR_INT("threads", &threads, 1, AR_PAR_MAX),
                             AR_OPT_END};
    int rc = ar_cli_opts(NAME, opts, argc, argv, pos, 3, &npos);
    if (rc) return rc;
    if (npos != 3) return ar_cli_usage_error(NAME, "needs MODEL IN.h5 OUT.h5");
    ar_err_t err = {0};
    ar_graph_t *g = ar_model_load(pos[0], &err);
    ar_h5_t *in = g ? ar_h5_open(pos[1], &err) : NULL;
    ar_h5_t *out = in ? ar_h5_create(pos[2], &err) : NULL;
    int st = out ? predict(g, in, out, batch, threads, &err) : err.status;
    if (!st) st = ar_h5_commit(&out, &err);
    ar_h5_destroy(&out);
    ar_h5_destroy(&in);
    ar_graph_destroy(&g);
    return st ? ar_cli_fail(NAME, &err) : 0;
}
