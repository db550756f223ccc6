/* cmd_eval.c - `archrepair eval MODEL DATA`: accuracy of a model on a
 * dataset, a set of a corruption collection, or a dataset corrupted on the
 * fly. Prints one line: accuracy, count, mean loss, speed. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "core/par.h"
#include "corrupt/corrupt_set.h"
#include "nn_cli.h"

static const char *NAME = "eval";

static void usage(void)
{
    printf("Usage: archrepair eval MODEL DATA [options]\n\n"
           "Accuracy of MODEL (a model file) on DATA (any dataset archrepair reads).\n\n"
           "Options:\n"
           "  --split S             train or test, for directories holding both (default test);\n"
           "                        train or val for Tiny-ImageNet (default val)\n"
           "  --corruption NAME     a corruption: the set of a collection (HDF5 or .npy\n"
           "                        directory) or, for a plain dataset, corrupted on the fly\n"
           "  --severity S          1..5 (with --corruption; default 3)\n"
           "  --seed N              seed of on-the-fly corruption (default 1)\n"
           "  --batch N             images per forward pass (default 256)\n"
           "  --limit N             only the first N images\n"
           "  --threads N           threads of the conv kernels, image decoding and on-the-fly\n"
           "                        corruption (default: the cores available; same results)\n");
}

int ar_cmd_eval(int argc, char **argv)
{
    if (ar_cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    const char *pos[2] = {NULL, NULL}, *split = NULL, *corruption = NULL;
    int npos = 0, severity = 3, batch = 256, threads = ar_cli_default_threads();
    long long limit = 0, seed = 1;
    const ar_opt_t opts[] = {
        AR_STR("split", &split),
        AR_STR("corruption", &corruption),
        AR_INT("severity", &severity, 1, 5),
        AR_LLONG("seed", &seed, 0, LLONG_MAX),
        AR_INT("batch", &batch, 1, INT_MAX),
        AR_LLONG("limit", &limit, 0, LLONG_MAX),
        AR_INT("threads", &threads, 1, AR_PAR_MAX),
        AR_OPT_END};
    int rc = ar_cli_opts(NAME, opts, argc, argv, pos, 2, &npos);
    if (rc) return rc;
    if (npos != 2) return ar_cli_usage_error(NAME, "needs MODEL and DATA");
    ar_par_set_default_threads(threads); /* decoding image files, corrupting on the fly */
    ar_err_t err = {0};
    ar_zoo_opts_t zo = {0};
    ar_graph_t *g = NULL;
    ar_dataset_t *ds = NULL;
    ar_cset_src_t set = {.path = pos[1], .split = split, .corruption = corruption,
                         .severity = severity, .kind = AR_CSET_AUTO, .seed = (uint64_t)seed};
    if (!(g = ar_cli_model(pos[0], &zo, &err)) || !(ds = ar_cset_open(&set, &err))) {
        rc = ar_cli_fail(NAME, &err);
        goto done;
    }
    ar_cli_eval_t ev;
    if (ar_cli_evaluate(g, ds, batch, limit, threads, 1, &ev, &err)) {
        rc = ar_cli_fail(NAME, &err);
        goto done;
    }
    printf("%s: accuracy %.4f (%lld/%lld), loss %.4f, %.1f s, %.0f images/s\n",
           ar_dataset_info(ds)->name, ev.count ? (double)ev.correct / ev.count : 0.0,
           (long long)ev.correct, (long long)ev.count, ev.loss, ev.seconds,
           ev.count / (ev.seconds + 1e-9));
done:
    ar_dataset_destroy(&ds);
    ar_graph_destroy(&g);
    return rc;
}
