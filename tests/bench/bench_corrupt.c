/* bench_corrupt.c - corruption engine throughput.
 *
 *   bench_corrupt [--per N] [--images N] [--threads T] [--cli ARCHREPAIR] [--tmp DIR]
 *
 * 1. images/s per corruption on one core (thread CPU time) for 32x32x3 synthetic images
 *    (tests/corrupt/synth.h), N images per severity (default 400), all 5
 *    severities;
 * 2. the wall time to generate a full CIFAR-10-C-sized collection
 *    (--images 10000 x 19 corruptions x 5 severities) with T threads
 *    (default 2): in process (corruption only, the CLI's thread split), and,
 *    with --cli, end to end with `archrepair corrupt IN.h5 DIR --threads T`
 *    (reading, corrupting and writing the 19 .npy files) into --tmp (default
 *    /tmp), removed afterwards.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fsutil.h"
#include "corrupt/corrupt.h"
#include "io/h5.h"
#include "synth.h"

/* CPU seconds of the calling thread: per-corruption numbers are CPU time, so
 * other processes on a shared machine do not inflate them (the collection
 * timings below are wall time). */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    int id, nthreads, corruption, severity;
    int64_t n;
    const uint8_t *in;
    uint8_t *out;
    ar_corrupt_ctx_t *ctx;
} job_t;

static void *work(void *arg)
{
    job_t *j = arg;
    ar_err_t err = {0};
    for (int64_t i = j->id; i < j->n; i += j->nthreads)
        ar_corrupt_image(j->ctx, j->corruption, j->severity, 1, i, j->in + i * 3072,
                         j->out + i * 3072, 32, 32, 3, &err);
    return NULL;
}

int main(int argc, char **argv)
{
    int per = 400, threads = 2;
    int64_t nimg = 10000;
    const char *cli = NULL, *tmp = "/tmp";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--per")) per = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--images")) nimg = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--cli")) cli = argv[i + 1];
        else if (!strcmp(argv[i], "--tmp")) tmp = argv[i + 1];
    }
    if (threads < 1 || threads > 64 || per < 1 || nimg < 1) return 2;
    ar_err_t err = {0};
    int n = per > nimg ? per : (int)nimg;
    uint8_t *in = malloc((size_t)n * 3072), *out = malloc((size_t)n * 3072);
    if (!in || !out) return 1;
    for (int i = 0; i < n; i++) synth_image(3, i, 32, 32, 3, in + (long)i * 3072);

    /* 1. one core, per corruption */
    ar_corrupt_ctx_t *ctx = ar_corrupt_ctx_new(NULL, 32, 32, 3, &err);
    if (!ctx) return fprintf(stderr, "%s\n", err.msg), 1;
    printf("# one core (thread CPU time), 32x32x3, %d images x 5 severities each\n", per);
    printf("%-18s %10s %9s\n", "corruption", "images/s", "us/image");
    double total_us = 0;
    for (int k = 0; k < AR_CORRUPT_COUNT; k++) {
        ar_corrupt_images(ctx, k, 1, 1, 0, 1, in, out, &err); /* warm-up (lazy tables) */
        double t0 = thread_cpu();
        for (int s = 1; s <= 5; s++)
            ar_corrupt_images(ctx, k, s, 1, 0, per, in, out, &err);
        double dt = thread_cpu() - t0, us = dt / (5.0 * per) * 1e6;
        total_us += us;
        printf("%-18s %10.0f %9.1f\n", ar_corrupt_name(k), 5.0 * per / dt, us);
    }
    printf("%-18s %10.0f %9.1f   (all 19 corruptions, mean)\n", "mean", 1e6 / (total_us / 19),
           total_us / 19);
    printf("# projected one-core time for %lld images x 19 x 5: %.0f s\n", (long long)nimg,
           total_us * 1e-6 * 5.0 * (double)nimg);

    /* 2. the full collection in process with T threads */
    job_t jobs[64];
    pthread_t tid[64];
    ar_corrupt_ctx_t *ctxs[64] = {ctx};
    for (int t = 1; t < threads; t++) ctxs[t] = ar_corrupt_ctx_new(NULL, 32, 32, 3, &err);
    double t0 = ar_now();
    for (int k = 0; k < AR_CORRUPT_COUNT; k++)
        for (int s = 1; s <= 5; s++) {
            for (int t = 0; t < threads; t++) {
                jobs[t] = (job_t){t, threads, k, s, nimg, in, out, ctxs[t]};
                pthread_create(&tid[t], NULL, work, &jobs[t]);
            }
            for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
        }
    double dt = ar_now() - t0;
    printf("# full collection in process: %lld images x 19 x 5 with %d threads: %.1f s (%.0f images/s)\n",
           (long long)nimg, threads, dt, nimg * 95.0 / dt);
    for (int t = 0; t < threads; t++) ar_corrupt_ctx_destroy(&ctxs[t]);

    /* 3. end to end through the CLI */
    if (cli) {
        char inpath[1024], outdir[1024], cmd[4096];
        snprintf(inpath, sizeof inpath, "%s/bench_corrupt_in.h5", tmp);
        snprintf(outdir, sizeof outdir, "%s/bench_corrupt_out", tmp);
        int32_t *lab = malloc(sizeof(int32_t) * (size_t)nimg);
        for (int64_t i = 0; i < nimg; i++) lab[i] = (int32_t)(i % 10);
        ar_h5_t *h = ar_h5_create(inpath, &err);
        int64_t d[4] = {nimg, 32, 32, 3}, dl[1] = {nimg};
        if (!h || ar_h5_write(h, "/images", AR_DT_U8, 4, d, in, 0, &err) ||
            ar_h5_write(h, "/labels", AR_DT_I32, 1, dl, lab, 0, &err) || ar_h5_commit(&h, &err))
            return fprintf(stderr, "%s\n", err.msg), 1;
        free(lab);
        snprintf(cmd, sizeof cmd, "%s corrupt %s %s --threads %d --quiet", cli, inpath, outdir,
                 threads);
        t0 = ar_now();
        int rc = system(cmd);
        dt = ar_now() - t0;
        printf("# end to end: `archrepair corrupt` -> 19 .npy files (%.2f GB), %d threads: %.1f s (rc %d)\n",
               nimg * 95.0 * 3072 / 1e9, threads, dt, rc);
        snprintf(cmd, sizeof cmd, "rm -rf %s %s", outdir, inpath);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", outdir);
    }
    free(in), free(out);
    return 0;
}
