/* bench_graph.c - whole-network speed of the engine: images/s of a training
 * step (train forward + loss + backward + SGD) and of inference (eval, BN
 * folded, lean plan), per zoo model, measured in process CPU time so a
 * loaded machine does not distort it. Baseline: bench_graph_torch.py.
 *
 *   OPENBLAS_NUM_THREADS=1 build/tests/bench/bench_graph [--reps N] [--models a,b]
 *       [--threads T] [--batch B] [--input C,H,W] [--eval-only | --train-only] [--wall]
 *   /usr/bin/python3 tests/bench/bench_graph_torch.py --compare ours.txt (same options)
 *
 * --threads sets the plan's conv threads and OpenBLAS's; the process CPU
 * time then sums the threads (work, not speed-up): use --wall (wall clock)
 * for the speed-up of several threads, on an idle machine. --batch overrides
 * every model's batch; --input the image shape (default 3,32,32).
 *
 * Prints one "BENCH {json}" line per (model, phase), with the process's peak
 * resident memory so far (rss_peak_mb, getrusage) and its resident memory
 * before the model was built (rss_start_mb): run one model and one phase per
 * process (tests/bench/graph_vs_torch.sh does) for a per-row peak.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

static int use_wall;

static double now(void)
{
    struct timespec t;
    clock_gettime(use_wall ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double rss_peak_mb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024.0; /* Linux: KiB */
}

/* current resident set (VmRSS) in MiB, 0 when /proc is unavailable */
static double rss_now_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %lf", &kb) == 1) break;
    if (f) fclose(f);
    return kb / 1024.0;
}

int main(int argc, char **argv)
{
    int reps = 3, threads = 1, batch = 0, eval_only = 0, train_only = 0, ic = 3, ih = 32, iw = 32;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--models") == 0 && i + 1 < argc) only = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) batch = atoi(argv[++i]);
        else if (strcmp(argv[i], "--input") == 0 && i + 1 < argc &&
                 sscanf(argv[i + 1], "%d,%d,%d", &ic, &ih, &iw) == 3) i++;
        else if (strcmp(argv[i], "--eval-only") == 0) eval_only = 1;
        else if (strcmp(argv[i], "--train-only") == 0) train_only = 1;
        else if (strcmp(argv[i], "--wall") == 0) use_wall = 1;
        else {
            fprintf(stderr, "usage: bench_graph [--reps N] [--models a,b] [--threads T] "
                            "[--batch B] [--input C,H,W] [--eval-only | --train-only] [--wall]\n");
            return 2;
        }
    }
    if (eval_only && train_only) {
        fprintf(stderr, "bench_graph: --eval-only and --train-only exclude each other\n");
        return 2;
    }
    openblas_set_num_threads(threads);
    const double rss_start = rss_now_mb();
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
        ar_plan_t *pt = eval_only ? NULL : ar_plan_new(g, &tp, &e);
        ar_plan_t *pe = train_only ? NULL : ar_plan_new(g, &ep, &e);
        if ((!eval_only && !pt) || (!train_only && !pe)) {
            fprintf(stderr, "%s: %s\n", MODELS[m].name, ar_err_msg(&e));
            return 1;
        }
        int nref = 0;
        ar_optim_t *opt = NULL;
        if (pt) {
            const ar_param_ref_t *refs = ar_plan_params(pt, &nref);
            ar_optim_cfg_t oc = {.kind = AR_OPTIM_SGD, .momentum = 0.9, .weight_decay = 5e-4};
            opt = ar_optim_new(&oc, refs, nref, &e);
        }
        double best_t = 1e30, best_e = 1e30;
        for (int k = 0; k < reps + 1; k++) { /* first is warm-up */
            double t0 = now();
            if (pt) {
                ar_plan_forward(pt, &x, AR_MODE_TRAIN, &e);
                ar_plan_loss(pt, lab, NULL);
                ar_plan_backward(pt, &e);
                ar_optim_step(opt, 0.01);
            }
            double t1 = now();
            if (pe) ar_plan_forward(pe, &x, AR_MODE_EVAL, &e);
            double t2 = now();
            if (k && t1 - t0 < best_t) best_t = t1 - t0;
            if (k && t2 - t1 < best_e) best_e = t2 - t1;
        }
        const char *fmt = "BENCH {\"model\": \"%s\", \"phase\": \"%s\", \"batch\": %d, "
                          "\"img_s\": %.1f, \"rss_peak_mb\": %.1f, \"rss_start_mb\": %.1f}\n";
        if (pt) printf(fmt, MODELS[m].name, "train", B, B / best_t, rss_peak_mb(), rss_start);
        if (pe) printf(fmt, MODELS[m].name, "eval", B, B / best_e, rss_peak_mb(), rss_start);
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
