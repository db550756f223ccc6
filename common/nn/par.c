/* par.c - create, run, join (see par.h). */
#include "nn/par.h"

#include <pthread.h>

typedef struct {
    ar_par_fn fn;
    void *ctx;
    int tid, n;
} par_arg_t;

static void *par_main(void *p)
{
    par_arg_t *a = p;
    a->fn(a->ctx, a->tid, a->n);
    return NULL;
}

void ar_par_run(int nthreads, ar_par_fn fn, void *ctx)
{
    const int n = nthreads < 1 ? 1 : nthreads > AR_PAR_MAX ? AR_PAR_MAX : nthreads;
    if (n == 1) {
        fn(ctx, 0, 1);
        return;
    }
    pthread_t th[AR_PAR_MAX];
    par_arg_t args[AR_PAR_MAX];
    int started[AR_PAR_MAX] = {0};
    for (int t = 1; t < n; t++) {
        args[t] = (par_arg_t){fn, ctx, t, n};
        started[t] = pthread_create(&th[t], NULL, par_main, &args[t]) == 0;
    }
    fn(ctx, 0, n);
    for (int t = 1; t < n; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        else
            fn(ctx, t, n);
    }
}

typedef struct {
    ar_par_range_fn fn;
    void *ctx;
    int64_t n, grain, runs;
} par_for_t;

static void par_for_main(void *p, int tid, int T)
{
    const par_for_t *f = p;
    const int64_t r0 = f->runs * tid / T, r1 = f->runs * (tid + 1) / T;
    const int64_t lo = r0 * f->grain, hi = r1 * f->grain < f->n ? r1 * f->grain : f->n;
    if (lo < hi)
        f->fn(f->ctx, lo, hi);
}

void ar_par_for(int nthreads, int64_t n, int64_t grain, ar_par_range_fn fn, void *ctx)
{
    if (n <= 0)
        return;
    if (grain < 1)
        grain = 1;
    par_for_t f = {fn, ctx, n, grain, (n + grain - 1) / grain};
    const int T = nthreads < 1 ? 1 : (int64_t)nthreads > f.runs ? (int)f.runs : nthreads;
    if (T == 1) {
        fn(ctx, 0, n);
        return;
    }
    ar_par_run(T, par_for_main, &f);
}
