/* bench_read.c - dataset read + normalise throughput on one core.
 *
 *   build/tests/bench/bench_read [PATH [SPLIT]]   (default /usr/share/datasets/fashion-mnist train;
 *                                                 any dataset ar_dataset_open reads)
 *   /usr/bin/python3 tests/bench/bench_read_torch.py [DIR]   (the PyTorch baseline)
 *
 * Measures, for the Fashion-MNIST train split (60,000 28x28 images):
 *   open      gunzip + parse + label check (once per process);
 *   sequential ar_dataset_read_batch over all images in batches of 256
 *             (uint8 NHWC -> normalised float NCHW), the evaluation path;
 *   shuffled  ar_dataset_read_indices with a shuffled order, the training path;
 *   augment   shuffled + ar_augment_apply (crop pad 3 + flip).
 * Reports images/s for each (best of 3 passes). Target: >= 200,000 images/s
 * for the sequential path.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/fsutil.h"
#include "core/rng.h"
#include "data/augment.h"
#include "data/dataset.h"

#define BATCH 256

static int die(const ar_err_t *e)
{
    fprintf(stderr, "bench_read: %s\n", ar_err_msg(e));
    return 1;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    ar_err_t e = {0};
    ar_data_source_t src = {.path = dir, .split = argc > 2 ? argv[2] : "train"};
    double t0 = ar_now();
    ar_dataset_t *ds = ar_dataset_open(&src, &e);
    if (!ds) return die(&e);
    double t_open = ar_now() - t0;
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    int64_t n = in->count;
    const float mean[4] = {0.2860f, 0.2860f, 0.2860f, 0.2860f}, std[4] = {0.3530f, 0.3530f, 0.3530f, 0.3530f};
    ar_tensor_t x = ar_tensor_4d(BATCH, in->channels, in->height, in->width);
    if (ar_tensor_alloc(&x) != 0) return 1;
    uint8_t *scratch = malloc((size_t)BATCH * in->height * in->width * in->channels);
    int32_t labels[BATCH];
    int64_t *order = malloc((size_t)n * sizeof *order);
    for (int64_t i = 0; i < n; i++) order[i] = i;
    ar_rng_t r;
    ar_rng_init(&r, 1);
    ar_rng_shuffle(&r, order, n);
    ar_augment_t aug = ar_augment_default(in->height, 1);
    double best[3] = {1e30, 1e30, 1e30};
    double checksum = 0;
    for (int pass = 0; pass < 3; pass++)
        for (int mode = 0; mode < 3; mode++) {
            double t = ar_now();
            for (int64_t s = 0; s < n; s += BATCH) {
                int64_t k = n - s < BATCH ? n - s : BATCH;
                x.shape[0] = k;
                int st = mode == 0 ? ar_dataset_read_batch(ds, s, k, mean, std, &x, labels, scratch, &e)
                                   : ar_dataset_read_indices(ds, order + s, k, mean, std, &x, labels, scratch, &e);
                if (!st && mode == 2) st = ar_augment_apply(&aug, &x, order + s, pass, &e);
                if (st) return die(&e);
                checksum += x.data[0];
            }
            double dt = ar_now() - t;
            if (dt < best[mode]) best[mode] = dt;
        }
    printf("bench_read: %s (%s), %lld images %dx%dx%d, batch %d, one core\n", dir, in->format, (long long)n,
           in->height, in->width, in->channels, BATCH);
    printf("  open (gunzip + parse + labels): %8.3f s\n", t_open);
    const char *names[3] = {"sequential read+normalise", "shuffled read+normalise", "shuffled + crop/flip augment"};
    for (int m = 0; m < 3; m++)
        printf("  %-30s %12.0f images/s  (%.3f s per pass)\n", names[m], (double)n / best[m], best[m]);
    printf("  target >= 200000 images/s sequential: %s   (checksum %g)\n",
           (double)n / best[0] >= 200000 ? "met" : "NOT met", checksum);
    free(order);
    free(scratch);
    ar_tensor_free(&x);
    ar_dataset_destroy(&ds);
    return 0;
}
