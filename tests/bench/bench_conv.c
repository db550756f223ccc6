/* bench_conv.c - speed of the conv kernels on ResNet-20's layer shapes (and
 * the DARTS cell's depthwise / 1x1 convs), against raw cblas_sgemm of the
 * same M, N, K. Not a test: run by hand, compare with bench_conv_torch.py.
 *
 *   bench_conv [--threads T] [--batch N] [--reps R] [--cpu-time] [--only SUBSTR]
 *
 * --cpu-time times with the process CPU clock instead of the wall clock:
 * on a loaded machine it still measures the work done (with T threads it is
 * the sum over threads); bench_conv_torch.py has the same flag.
 *
 * Prints a table and one "BENCH {...}" JSON line per layer (milliseconds per
 * call, best of R) that bench_conv_torch.py --compare reads. FLOPs counted
 * as 2*N*Cout*Ho*Wo*(Cin/groups)*kh*kw per forward, twice that for the
 * backward (input + weight gradients).
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fsutil.h"
#include "core/tensor.h"
#include "nn/conv.h"

typedef struct {
    const char *name;
    int cin, cout, hw, k, stride, groups;
} layer_t;

static const layer_t LAYERS[] = {
    {"conv1 3-16 32x32", 3, 16, 32, 3, 1, 1},
    {"l1 16-16 32x32", 16, 16, 32, 3, 1, 1},
    {"l2 16-32 s2 32>16", 16, 32, 32, 3, 2, 1},
    {"l2 32-32 16x16", 32, 32, 16, 3, 1, 1},
    {"l3 32-64 s2 16>8", 32, 64, 16, 3, 2, 1},
    {"l3 64-64 8x8", 64, 64, 8, 3, 1, 1},
    {"dw3x3 64 8x8", 64, 64, 8, 3, 1, 64},
    {"pw1x1 64-64 8x8", 64, 64, 8, 1, 1, 1},
    {"pw1x1 16-16 32x32", 16, 16, 32, 1, 1, 1},
    {"r18 64-64 32x32", 64, 64, 32, 3, 1, 1},
    {"r18 64-128 s2 32>16", 64, 128, 32, 3, 2, 1},
    {"r18 128-128 16x16", 128, 128, 16, 3, 1, 1},
    {"r18 128-256 s2 16>8", 128, 256, 16, 3, 2, 1},
    {"r18 256-256 8x8", 256, 256, 8, 3, 1, 1},
    {"r18 256-512 s2 8>4", 256, 512, 8, 3, 2, 1},
    {"r18 512-512 4x4", 512, 512, 4, 3, 1, 1},
};

static int use_cpu_clock;

static double bench_now(void)
{
    if (!use_cpu_clock)
        return ar_now();
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fill(float *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (float)((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
    }
}

int main(int argc, char **argv)
{
    int threads = 1, batch = 128, reps = 5;
    const char *only = NULL;
    for (int i = 1; i < argc; i += 2) {
        if (!strcmp(argv[i], "--cpu-time")) {
            use_cpu_clock = 1;
            i--;
        } else if (i + 1 >= argc) {
            fprintf(stderr, "usage: bench_conv [--threads T] [--batch N] [--reps R] [--cpu-time] [--only SUBSTR]\n");
            return 2;
        } else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch"))
            batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps"))
            reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--only"))
            only = argv[i + 1];
        else {
            fprintf(stderr, "usage: bench_conv [--threads T] [--batch N] [--reps R] [--cpu-time] [--only SUBSTR]\n");
            return 2;
        }
    }
    openblas_set_num_threads(threads);
    printf("# threads %d, batch %d, best of %d, %s clock\n", threads, batch, reps,
           use_cpu_clock ? "process CPU" : "wall");
    printf("%-20s %9s %8s %9s %8s %8s %6s\n", "layer", "fwd ms", "fwd GF", "bwd ms", "bwd GF",
           "gemm GF", "fwd/gemm");
    for (size_t li = 0; li < sizeof LAYERS / sizeof LAYERS[0]; li++) {
        const layer_t *L = &LAYERS[li];
        if (only && !strstr(L->name, only))
            continue;
        const int pad = L->k / 2;
        ar_conv_cfg_t c = {L->cin, L->cout, L->k, L->k, L->stride, L->stride, pad, pad, 1, 1,
                           L->groups, threads, 0};
        const int ho = ar_conv2d_out_h(&c, L->hw), wo = ar_conv2d_out_w(&c, L->hw);
        ar_tensor_t x = ar_tensor_4d(batch, L->cin, L->hw, L->hw), dx = x;
        ar_tensor_t y = ar_tensor_4d(batch, L->cout, ho, wo), dy = y;
        const size_t nw = (size_t)L->cout * (L->cin / L->groups) * L->k * L->k;
        const size_t ns = ar_conv2d_scratch_floats(&c, batch, L->hw, L->hw);
        float *w = ar_aligned_alloc(nw * 4), *dw = ar_aligned_alloc(nw * 4);
        float *b = ar_aligned_alloc((size_t)L->cout * 4), *db = ar_aligned_alloc((size_t)L->cout * 4);
        float *scratch = ns ? ar_aligned_alloc(ns * 4) : NULL;
        if (ar_tensor_alloc(&x) || ar_tensor_alloc(&dx) || ar_tensor_alloc(&y) ||
            ar_tensor_alloc(&dy) || !w || !dw || !b || !db || (ns && !scratch)) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        fill(x.data, ar_tensor_numel(&x), 1), fill(w, nw, 2), fill(b, L->cout, 3);
        fill(dy.data, ar_tensor_numel(&dy), 4);
        const double flops = 2.0 * batch * L->cout * ho * wo * (double)(L->cin / L->groups) * L->k * L->k;
        double tf = 1e30, tb = 1e30, tg = 1e30;
        for (int r = 0; r <= reps; r++) { /* r == 0 warms up */
            double t0 = bench_now();
            ar_conv2d_forward(&c, &x, w, b, &y, scratch);
            double t1 = bench_now();
            ar_conv2d_backward(&c, &x, w, &dy, &dx, dw, db, scratch);
            double t2 = bench_now();
            if (r > 0)
                tf = t1 - t0 < tf ? t1 - t0 : tf, tb = t2 - t1 < tb ? t2 - t1 : tb;
        }
        /* raw SGEMM of the same size: M = Cout/g, N = batch*Ho*Wo, K = (Cin/g)*k*k, per group */
        const int M = L->cout / L->groups, N = batch * ho * wo, K = (L->cin / L->groups) * L->k * L->k;
        float *A = ar_aligned_alloc((size_t)M * K * 4), *B = ar_aligned_alloc((size_t)K * N * 4);
        float *C = ar_aligned_alloc((size_t)M * N * 4);
        if (!A || !B || !C) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        fill(A, (size_t)M * K, 5), fill(B, (size_t)K * N, 6);
        for (int r = 0; r <= reps; r++) {
            double t0 = bench_now();
            for (int g = 0; g < L->groups; g++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N,
                            0.0f, C, N);
            double t1 = bench_now();
            if (r > 0)
                tg = t1 - t0 < tg ? t1 - t0 : tg;
        }
        printf("%-20s %9.3f %8.1f %9.3f %8.1f %8.1f %6.2f\n", L->name, tf * 1e3, flops / tf * 1e-9,
               tb * 1e3, 2 * flops / tb * 1e-9, flops / tg * 1e-9, tg / tf);
        printf("BENCH {\"layer\": \"%s\", \"threads\": %d, \"batch\": %d, \"cin\": %d, \"cout\": %d, "
               "\"hw\": %d, \"k\": %d, \"stride\": %d, \"groups\": %d, \"fwd_ms\": %.4f, "
               "\"bwd_ms\": %.4f, \"gemm_ms\": %.4f}\n",
               L->name, threads, batch, L->cin, L->cout, L->hw, L->k, L->stride, L->groups,
               tf * 1e3, tb * 1e3, tg * 1e3);
        fflush(stdout);
        ar_aligned_free(A), ar_aligned_free(B), ar_aligned_free(C);
        ar_aligned_free(w), ar_aligned_free(dw), ar_aligned_free(b), ar_aligned_free(db);
        ar_aligned_free(scratch);
        ar_tensor_free(&x), ar_tensor_free(&dx), ar_tensor_free(&y), ar_tensor_free(&dy);
    }
    return 0;
}
