/* bench_localize.c - time of vulnerable block localization against the time
 * of one training epoch over the same examples. Not a test: run by hand.
 *
 *   bench_localize [--width W] [--batch N] [--count C] [--adv none|fgsm|pgd]
 *                  [--steps K] [--model M.h5]
 *
 * Model: zoo resnet20 (width W, default 1) for 1 x 28 x 28 Fashion-MNIST
 * images, seeded PyTorch-default init, or --model. Examples: the first C
 * (default 1,000) test images play the failing set and the next C the
 * passing set (an untrained model has no meaningful failing set; the work
 * per example is the same: the roles are assigned, not predicted). Timed
 * phases, each with the wall clock and the process CPU clock (the machine
 * may be shared; CPU time measures the work):
 *   scan     forward of all 2C images (choosing failing / passing)
 *   mean     forward of the passing batches (passing-mean thresholds)
 *   count    failing batches: forward + backward; passing batches: forward,
 *            the adversarial attack (FGSM: one forward + backward; PGD: K),
 *            forward + backward of the flipped ones
 *   score    suspiciousness, block / layer scores
 * against one training epoch over the same 2C images (train-mode forward,
 * loss, backward, SGD step per batch). Prints a table and one BENCH {...}
 * JSON line. OPENBLAS_NUM_THREADS sets the BLAS threads (default 1 here).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fsutil.h"
#include "data/dataset.h"
#include "localize/localize.h"
#include "nn/model_io.h"
#include "nn/optim.h"
#include "nn/plan.h"
#include "nn/zoo.h"

extern void openblas_set_num_threads(int num_threads);

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct {
    double wall, cpu;
} lap_t;

static lap_t lap_start(void) { return (lap_t){ar_now(), cpu_now()}; }
static lap_t lap_end(lap_t a) { return (lap_t){ar_now() - a.wall, cpu_now() - a.cpu}; }

static int die(const ar_err_t *err)
{
    fprintf(stderr, "bench_localize: %s\n", ar_err_msg(err));
    return 1;
}

int main(int argc, char **argv)
{
    double width = 1.0;
    int batch = 128, steps = 10;
    int64_t count = 1000;
    const char *adv = "fgsm", *model = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--width")) width = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--count")) count = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--adv")) adv = argv[i + 1];
        else if (!strcmp(argv[i], "--steps")) steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--model")) model = argv[i + 1];
        else {
            fprintf(stderr, "usage: bench_localize [--width W] [--batch N] [--count C] [--adv none|fgsm|pgd] "
                            "[--steps K] [--model M.h5]\n");
            return 2;
        }
    }
    if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
    ar_err_t err = {0};
    ar_zoo_opts_t zo = {.in_c = 1, .in_h = 28, .in_w = 28, .num_classes = 10, .width = width, .seed = 1};
    ar_graph_t *g = model ? ar_model_load(model, &err) : ar_zoo_build("resnet20", &zo, &err);
    if (!g) return die(&err);
    float mean = 0.2860f, std = 0.3530f;
    ar_graph_set_norm(g, &mean, &std);
    ar_data_source_t src = {.path = "/usr/share/datasets/fashion-mnist", .split = "test"};
    ar_dataset_t *ds = ar_dataset_open(&src, &err);
    if (!ds) return die(&err);
    ar_localize_opts_t o = ar_localize_opts_default();
    o.batch = batch;
    o.adv.method = ar_adv_parse(adv);
    o.adv.steps = steps;
    if ((int)o.adv.method < 0 || ar_localize_opts_check(&o, &err)) return die(&err);

    ar_lz_engine_t *e = ar_lz_engine_new(g, batch, NULL, NULL, &o.adv, o.seed, &err);
    if (!e) return die(&err);
    const ar_neuron_map_t *m = ar_lz_engine_map(e);
    int64_t nn = m->nneurons, nb = ar_lz_engine_nbatches(e, count);
    int64_t *fail = malloc((size_t)count * sizeof *fail), *pass = malloc((size_t)count * sizeof *pass);
    uint8_t *ok = malloc((size_t)(2 * count));
    double *rows = malloc((size_t)(nb * nn) * sizeof *rows), *sum = calloc((size_t)nn, sizeof *sum);
    double *thr = calloc((size_t)nn, sizeof *thr);
    for (int64_t i = 0; i < count; i++) fail[i] = i, pass[i] = count + i;
    ar_lz_counts_t cnt;
    if (ar_lz_counts_init(&cnt, nn, &err)) return die(&err);

    lap_t t = lap_start();
    if (ar_lz_engine_scan(e, ds, 0, 2 * count, ok, &err)) return die(&err);
    lap_t scan = lap_end(t);
    t = lap_start();
    if (ar_lz_engine_run(e, AR_LZ_MEAN, ds, 0, pass, count, NULL, &cnt, rows, &err)) return die(&err);
    for (int64_t b = 0; b < nb; b++)
        for (int64_t i = 0; i < nn; i++) sum[i] += rows[b * nn + i];
    for (int64_t i = 0; i < nn; i++) thr[i] = sum[i] / (double)count, sum[i] = 0;
    lap_t meanl = lap_end(t);
    t = lap_start();
    if (ar_lz_engine_run(e, AR_LZ_FAILING, ds, 0, fail, count, thr, &cnt, rows, &err)) return die(&err);
    for (int64_t b = 0; b < nb; b++)
        for (int64_t i = 0; i < nn; i++) sum[i] += rows[b * nn + i];
    if (ar_lz_engine_run(e, AR_LZ_PASSING, ds, 0, pass, count, thr, &cnt, rows, &err)) return die(&err);
    for (int64_t b = 0; b < nb; b++)
        for (int64_t i = 0; i < nn; i++) sum[i] += rows[b * nn + i];
    lap_t countl = lap_end(t);
    t = lap_start();
    ar_localize_result_t *r = NULL;
    if (ar_lz_score(g, m, &o, &cnt, sum, thr, &r, &err)) return die(&err);
    lap_t score = lap_end(t);
    ar_lz_engine_destroy(&e);

    /* one training epoch over the same 2C images */
    ar_plan_opts_t po = {.batch = batch, .grads = 1};
    ar_plan_t *p = ar_plan_new(g, &po, &err);
    if (!p) return die(&err);
    int np;
    const ar_param_ref_t *refs = ar_plan_params(p, &np);
    ar_optim_cfg_t oc = {.kind = AR_OPTIM_SGD, .momentum = 0.9, .weight_decay = 5e-4};
    ar_optim_t *opt = ar_optim_new(&oc, refs, np, &err);
    ar_tensor_t x = ar_tensor_4d(batch, 1, 28, 28);
    int32_t *lab = malloc((size_t)batch * sizeof *lab);
    if (!opt || ar_tensor_alloc(&x) || !lab) return die(&err);
    t = lap_start();
    for (int64_t a = 0; a < 2 * count; a += batch) {
        int64_t n = 2 * count - a < batch ? 2 * count - a : batch;
        x.shape[0] = n;
        if (ar_dataset_read_batch(ds, a, n, &mean, &std, &x, lab, NULL, &err) ||
            ar_plan_forward(p, &x, AR_MODE_TRAIN, &err))
            return die(&err);
        ar_plan_loss(p, lab, NULL);
        if (ar_plan_backward(p, &err)) return die(&err);
        ar_optim_step(opt, 0.01);
    }
    lap_t epoch = lap_end(t);

    double lw = scan.wall + meanl.wall + countl.wall + score.wall, lc = scan.cpu + meanl.cpu + countl.cpu + score.cpu;
    printf("resnet20 x%g on 1x28x28, %lld failing + %lld passing, batch %d, adversarial %s%s, %lld neurons\n",
           width, (long long)count, (long long)count, batch, adv, o.adv.method == AR_ADV_PGD ? " (K steps)" : "",
           (long long)nn);
    printf("%-10s %10s %10s\n", "phase", "wall s", "cpu s");
    printf("%-10s %10.3f %10.3f\n", "scan", scan.wall, scan.cpu);
    printf("%-10s %10.3f %10.3f\n", "mean", meanl.wall, meanl.cpu);
    printf("%-10s %10.3f %10.3f\n", "count", countl.wall, countl.cpu);
    printf("%-10s %10.3f %10.3f\n", "score", score.wall, score.cpu);
    printf("%-10s %10.3f %10.3f\n", "localize", lw, lc);
    printf("%-10s %10.3f %10.3f\n", "epoch", epoch.wall, epoch.cpu);
    printf("localize / epoch: %.2f (wall), %.2f (cpu); %lld adversarial flipped\n", lw / epoch.wall, lc / epoch.cpu,
           (long long)cnt.n_adv);
    printf("BENCH {\"bench\": \"localize\", \"width\": %g, \"count\": %lld, \"batch\": %d, \"adv\": \"%s\", "
           "\"localize_wall\": %.4f, \"localize_cpu\": %.4f, \"epoch_wall\": %.4f, \"epoch_cpu\": %.4f}\n",
           width, (long long)count, batch, adv, lw, lc, epoch.wall, epoch.cpu);
    ar_localize_result_destroy(&r);
    ar_optim_destroy(&opt);
    ar_plan_destroy(&p);
    ar_tensor_free(&x);
    free(lab), free(fail), free(pass), free(ok), free(rows), free(sum), free(thr);
    ar_lz_counts_free(&cnt);
    ar_dataset_destroy(&ds);
    ar_graph_destroy(&g);
    return 0;
}
