/* bench_graph.c - whole-network speed of the engine: images/s of a training
 * step (train forward + loss + backward + SGD) and of inference (eval, BN
 * folded, lean plan), per zoo model, measured in process CPU time so a
 * loaded machine does not distort it. Baseline: bench_graph_torch.py.
 *
 *   OPENBLAS_NUM_THREADS=1 build/tests/bench/bench_graph [--reps N] [--models a,b]
 *       [--threads T] [--batch B] [--input C,H,W] [--eval-only]
 *   /usr/bin/python3 tests/bench/bench_graph_torch.py --compare ours.txt (same options)
 *
 * --threads sets the plan's conv threads and OpenBLAS's; the process CPU
 * time then sums the threads (work, not speed-up). --batch overrides every
 * model's batch; --input the image shape (default 3,32,32).
 *
 * Prints one "BENCH {json}" line per (model, phase).
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "nn/optim.h"
#include "nn/plan.h"
#include "nn/zoo.h"

/* name, batch, width (must match bench_graph_torch.py) */
static const struct {
    const char *name;
    int batch;
    double width;
} MODELS[] = {{"resnet20", 128, 1.0}, {"resnet18", 32, 1.0}, {"resnet50", 16, 1.0},
              {"densenet121", 16, 1.0}};

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    int reps = 3, threads = 1, batch = 0, eval_only = 0, ic = 3, ih = 32, iw = 32;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--models") == 0 && i + 1 < argc) only = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) batch = atoi(argv[++i]);
        else if (strcmp(argv[i], "--input") == 0 && i + 1 < argc &&
                 sscanf(argv[i + 1], "%d,%d,%d", &ic, &ih, &iw) == 3) i++;
        else if (strcmp(argv[i], "--eval-only") == 0) eval_only = 1;
        else {
            fprintf(stderr, "usage: bench_graph [--reps N] [--models a,b] [--threads T] "
                            "[--batch B] [--input C,H,W] [--eval-only]\n");
            return 2;
        }
    }
    openblas_set_num_threads(threads);
    for (size_t m = 0; m < sizeof MODELS / sizeof MODELS[0]; m++) {
        if (only && !strstr(only, MODELS[m].name)) continue;
        ar_err_t e = {0};
        ar_zoo_opts_t zo = {.in_c = ic, .in_h = ih, .in_w = iw, .width = MODELS[m].width, .seed = 1};
        ar_graph_t *g = ar_zoo_build(MODELS[m].name, &zo, &e);
        int B = batch > 0 ? batch : MODELS[m].batch;
        ar_tensor_t x = ar_tensor_4d(B, ic, ih, iw);
        int32_t *lab = malloc((size_t)B * sizeof *lab);
        if (!g || ar_tensor_alloc(&x) != 0 || !lab) {
            fprintf(stderr, "%s: %s\n", MODELS[m].name, ar_err_msg(&e));
            return 1;
        }
        ar_rng_t r;
        ar_rng_init(&r, 7);
        for (int64_t i = 0; i < ar_tensor_numel(&x); i++) x.data[i] = (float)ar_rng_normal(&r);
        for (int i = 0; i < B; i++) lab[i] = i % 10;
        ar_plan_opts_t tp = {.batch = B, .grads = 1, .lean = 1, .threads = threads},
                       ep = {.batch = B, .fold_bn = 1, .lean = 1, .threads = threads};
        ar_plan_t *pt = ar_plan_new(g, &tp, &e), *pe = ar_plan_new(g, &ep, &e);
        int nref = 0;
        const ar_param_ref_t *refs = ar_plan_params(pt, &nref);
        ar_optim_cfg_t oc = {.kind = AR_OPTIM_SGD, .momentum = 0.9, .weight_decay = 5e-4};
        ar_optim_t *opt = ar_optim_new(&oc, refs, nref, &e);
        double best_t = 1e30, best_e = 1e30;
        for (int k = 0; k < reps + 1; k++) { /* first is warm-up */
            double t0 = cpu_now();
            if (!eval_only) {
                ar_plan_forward(pt, &x, AR_MODE_TRAIN, &e);
                ar_plan_loss(pt, lab, NULL);
                ar_plan_backward(pt, &e);
                ar_optim_step(opt, 0.01);
            }
            double t1 = cpu_now();
            ar_plan_forward(pe, &x, AR_MODE_EVAL, &e);
            double t2 = cpu_now();
            if (k && t1 - t0 < best_t) best_t = t1 - t0;
            if (k && t2 - t1 < best_e) best_e = t2 - t1;
        }
        if (!eval_only)
            printf("BENCH {\"model\": \"%s\", \"phase\": \"train\", \"batch\": %d, \"img_s\": %.1f}\n",
                   MODELS[m].name, B, B / best_t);
        printf("BENCH {\"model\": \"%s\", \"phase\": \"eval\", \"batch\": %d, \"img_s\": %.1f}\n",
               MODELS[m].name, B, B / best_e);
        fflush(stdout);
        ar_optim_destroy(&opt);
        ar_plan_destroy(&pt);
        ar_plan_destroy(&pe);
        ar_tensor_free(&x);
        free(lab);
        ar_graph_destroy(&g);
    }
    return 0;
}
