/* bench_repair_search.c - the archrepair search of one candidate with and
 * without the trainer's prefix cache (trainer.h). Not a test: run by hand.
 *
 *   bench_repair_search [--model M.h5] [--width W] [--count N] [--val V]
 *                       [--epochs E] [--nodes K] [--batch B] [--reps R]
 *                       [--blocks layer1.0,layer2.1,layer3.2] [--method M] [--threads T]
 *                       [--partial P]
 *
 * Model: zoo resnet20 (width W, default 0.5 as the demo's) for 1 x 28 x 28
 * Fashion-MNIST, seeded init, or --model (its own normalisation). Images:
 * the first N (default 300) test images are the repair set, the next V
 * (default 100) the validation set (the work per image does not depend on
 * the weights being trained). Per block, the candidate runs as a worker task
 * does (ar_search_run, archrepair, K = 2 cell nodes, every candidate op, E =
 * 2 search epochs, 1 fine-tune epoch, batch 64), R times (default 1) with
 * the cache and R without, interleaved; the minimum of each (wall and CPU
 * separately) is kept. --method block-weights / layer: that baseline instead
 * (one phase of E + 1 epochs training the block's own weights / one layer;
 * "search" is then the whole run; cache MB not measured for layer: 0).
 * Timed, wall clock and process CPU clock (the machine may be shared; CPU
 * time measures the work):
 *   search   from the call to the last search epoch's report: building the
 *            relaxed cell, the trainer (cache fill), the weight and alpha
 *            steps, the per-epoch validation
 *   total    the whole candidate (search, discretise, fine-tune)
 * and the cache's memory (the boundary outputs x images of the repair and
 * validation sets, float32). Checks the two runs agree (genotype, final
 * validation accuracy). Prints a table and one BENCH {...} JSON line per
 * block. OPENBLAS_NUM_THREADS sets the BLAS threads (default 1 here);
 * --threads T the kernels' (every plan's, as [run] threads does in a job;
 * default 1): compare the wall columns of T = 1 and 2 on an idle machine.
 * --partial P: the partial-channel search (repair.partial_channels, PC-DARTS;
 * default 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fsutil.h"
#include "core/par.h"
#include "data/dataset.h"
#include "nn/model_io.h"
#include "nn/zoo.h"
#include "repair/cell.h"
#include "repair/search.h"

extern void openblas_set_num_threads(int num_threads);

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct lap {
    double wall, cpu;
} lap_t;

typedef struct watch {
    lap_t start, search;      /* search: the end of the last search epoch */
    int search_epochs;
} watch_t;

static int on_epoch(void *user, const ar_epoch_report_t *r)
{
    watch_t *w = user;
    if (strcmp(r->phase, "search") == 0 && r->epoch == w->search_epochs - 1)
        w->search = (lap_t){ar_now() - w->start.wall, cpu_now() - w->start.cpu};
    return 0;
}

static int die(const ar_err_t *err)
{
    fprintf(stderr, "bench_repair_search: %s\n", ar_err_msg(err));
    return 1;
}

/* Bytes the cached trainer holds for the sets: of block's relaxed cell
 * (archrepair) or of the block itself (block-weights); 0 for layer. */
static int64_t cache_bytes(const ar_graph_t *g, const ar_search_cfg_t *c, const ar_imgset_t *sets,
                           ar_err_t *err)
{
    if (c->method == AR_METHOD_LAYER) return 0;
    ar_graph_t *w = c->method == AR_METHOD_ARCHREPAIR ? ar_cell_build(g, c->block, &c->cell, NULL, err)
                                                      : ar_graph_clone(g, err);
    if (w && c->method != AR_METHOD_ARCHREPAIR) {
        ar_graph_freeze_all(w, 1);
        ar_graph_freeze_block(w, c->block, 0);
    }
    ar_trainer_opts_t o = {.batch = c->batch};
    ar_trainer_t *t = w ? ar_trainer_new_opts(w, &o, sets, 2, err) : NULL;
    int64_t n = t ? ar_trainer_cache_bytes(t) : -1;
    ar_trainer_destroy(&t);
    ar_graph_destroy(&w);
    return n;
}

int main(int argc, char **argv)
{
    double width = 0.5;
    int batch = 64, epochs = 2, nodes = 2, reps = 1, threads = 1, partial = 1;
    int64_t count = 300, nval = 100;
    const char *model = NULL, *blocks = "layer1.0,layer2.1,layer3.2";
    int method = AR_METHOD_ARCHREPAIR;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--width")) width = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--count")) count = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--val")) nval = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--epochs")) epochs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--nodes")) nodes = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--blocks")) blocks = argv[i + 1];
        else if (!strcmp(argv[i], "--model")) model = argv[i + 1];
        else if (!strcmp(argv[i], "--method")) method = ar_method_parse(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--partial")) partial = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: bench_repair_search [--model M.h5] [--width W] [--count N] "
                            "[--val V] [--epochs E] [--nodes K] [--batch B] [--reps R] "
                            "[--blocks a,b,c] [--method archrepair|block-weights|layer] [--threads T] "
                            "[--partial P]\n");
            return 2;
        }
    }
    if (argc % 2 == 0 || count < 2 || nval < 1 || reps < 1 || method < 0 || threads < 1 || partial < 1 ||
        method == AR_METHOD_FINETUNE) {
        fprintf(stderr, "bench_repair_search: bad arguments (see the file's header)\n");
        return 2;
    }
    if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
    ar_par_set_default_threads(threads);
    ar_err_t err = {0};
    ar_zoo_opts_t zo = {.in_c = 1, .in_h = 28, .in_w = 28, .num_classes = 10, .width = width, .seed = 1};
    ar_graph_t *g = model ? ar_model_load(model, &err) : ar_zoo_build("resnet20", &zo, &err);
    if (!g) return die(&err);
    if (!model) {
        float mean = 0.2860f, std = 0.3530f;
        ar_graph_set_norm(g, &mean, &std);
    }
    ar_data_source_t src = {.path = "/usr/share/datasets/fashion-mnist", .split = "test"};
    ar_dataset_t *ds = ar_dataset_open(&src, &err);
    if (!ds) return die(&err);
    ar_tensor_t xt = ar_tensor_4d(count, g->in_c, g->in_h, g->in_w);
    ar_tensor_t xv = ar_tensor_4d(nval, g->in_c, g->in_h, g->in_w);
    int32_t *yt = malloc((size_t)count * sizeof *yt), *yv = malloc((size_t)nval * sizeof *yv);
    if (!yt || !yv || ar_tensor_alloc(&xt) || ar_tensor_alloc(&xv)) {
        ar_err_set(&err, AR_E_NOMEM, "out of memory");
        return die(&err);
    }
    if (ar_dataset_read_batch(ds, 0, count, g->mean, g->std, &xt, yt, NULL, &err) ||
        ar_dataset_read_batch(ds, count, nval, g->mean, g->std, &xv, yv, NULL, &err))
        return die(&err);
    ar_imgset_t sets[2] = {{&xt, yt, NULL}, {&xv, yv, NULL}};

    printf("%s, %s on %dx%dx%d, %lld repair + %lld validation images, %d cell nodes, %d search + 1 "
           "fine-tune epochs, batch %d, partial channels 1/%d, min of %d\n",
           ar_method_name((ar_method_t)method), model ? model : "resnet20", g->in_c, g->in_h,
           g->in_w, (long long)count, (long long)nval, nodes, epochs, batch, partial, reps);
    printf("%-9s %9s | %-24s | %-24s | %-24s | %8s\n", "", "", "search wall s", "search cpu s",
           "candidate wall s", "");
    printf("%-9s %9s | %7s %7s %8s | %7s %7s %8s | %7s %7s %8s | %8s\n", "block", "first", "cache",
           "none", "none/c", "cache", "none", "none/c", "cache", "none", "none/c", "cache MB");
    char list[1024];
    snprintf(list, sizeof list, "%s", blocks);
    for (char *save = NULL, *b = strtok_r(list, ",", &save); b; b = strtok_r(NULL, ",", &save)) {
        ar_search_cfg_t c = ar_search_cfg_default();
        snprintf(c.block, sizeof c.block, "%s", b);
        c.cell.nodes = nodes, c.cell.partial = partial;
        c.method = (ar_method_t)method;
        c.search_epochs = epochs, c.finetune_epochs = 1, c.batch = batch, c.seed = 1;
        lap_t best[2][2];     /* [cache off][search, total] */
        char geno[2][1024];
        double acc[2];
        for (int r = 0; r < reps; r++)
            for (int k = 0; k < 2; k++) {
                c.no_prefix_cache = k;
                watch_t w = {{ar_now(), cpu_now()}, {0, 0}, epochs};
                ar_search_result_t res;
                if (ar_search_run(g, &c, &sets[0], &sets[1], on_epoch, &w, &res, &err))
                    return die(&err);
                lap_t tot = {ar_now() - w.start.wall, cpu_now() - w.start.cpu};
                if (c.method != AR_METHOD_ARCHREPAIR) w.search = tot; /* one phase */
                lap_t got[2] = {w.search, tot};
                for (int q = 0; q < 2; q++) {
                    if (r == 0 || got[q].wall < best[k][q].wall) best[k][q].wall = got[q].wall;
                    if (r == 0 || got[q].cpu < best[k][q].cpu) best[k][q].cpu = got[q].cpu;
                }
                snprintf(geno[k], sizeof geno[k], "%s", res.genotype);
                acc[k] = res.val_acc;
                ar_search_result_free(&res);
            }
        if (strcmp(geno[0], geno[1]) != 0 || acc[0] != acc[1]) {
            fprintf(stderr, "bench_repair_search: %s: the runs disagree (%g vs %g)\n", b, acc[0],
                    acc[1]);
            return 1;
        }
        int64_t bytes = cache_bytes(g, &c, sets, &err);
        if (bytes < 0) return die(&err);
        int first = -1;
        for (int i = 0; i < g->nnodes && first < 0; i++)
            if (strcmp(g->nodes[i].block, b) == 0) first = i;
        const lap_t *sc = &best[0][0], *sn = &best[1][0], *tc = &best[0][1], *tn = &best[1][1];
        printf("%-9s %4d/%-4d | %7.2f %7.2f %8.2f | %7.2f %7.2f %8.2f | %7.2f %7.2f %8.2f | %8.2f\n",
               b, first, g->nnodes, sc->wall, sn->wall, sn->wall / sc->wall, sc->cpu, sn->cpu,
               sn->cpu / sc->cpu, tc->wall, tn->wall, tn->wall / tc->wall, (double)bytes / 1e6);
        printf("BENCH {\"bench\": \"repair_search\", \"method\": \"%s\", \"block\": \"%s\", \"first_node\": %d, "
               "\"graph_nodes\": %d, \"cell_nodes\": %d, \"count\": %lld, \"val\": %lld, \"epochs\": %d, "
               "\"search_wall_cache\": %.4f, \"search_wall_nocache\": %.4f, "
               "\"search_cpu_cache\": %.4f, \"search_cpu_nocache\": %.4f, "
               "\"total_wall_cache\": %.4f, \"total_wall_nocache\": %.4f, \"cache_bytes\": %lld}\n",
               ar_method_name(c.method), b, first, g->nnodes, nodes, (long long)count, (long long)nval, epochs, best[0][0].wall,
               best[1][0].wall, best[0][0].cpu, best[1][0].cpu, best[0][1].wall, best[1][1].wall,
               (long long)bytes);
        fflush(stdout);
    }
    free(yt), free(yv);
    ar_tensor_free(&xt);
    ar_tensor_free(&xv);
    ar_dataset_destroy(&ds);
    ar_graph_destroy(&g);
    return 0;
}
