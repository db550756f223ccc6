/* test_par.c - ar_par_run and ar_par_for: every thread id runs exactly once
 * per call, for many calls with changing thread counts (the pool's
 * generations), for calls from inside a worker (nested: own threads) and
 * from several application threads at once; ar_par_for covers [0, n) with
 * disjoint ranges of whole grains. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "check.h"
#include "core/par.h"

typedef struct {
    atomic_int hits[AR_PAR_MAX];
    atomic_int nested;
    int nest;
} run_t;

static void count(void *ctx, int tid, int n)
{
    run_t *r = ctx;
    (void)n;
    atomic_fetch_add(&r->hits[tid], 1);
    if (r->nest) {
        run_t inner;
        memset(&inner, 0, sizeof inner);
        ar_par_run(3, count, &inner);
        int ok = 1;
        for (int t = 0; t < 3; t++) ok &= atomic_load(&inner.hits[t]) == 1;
        atomic_fetch_add(&r->nested, ok);
    }
}

/* n threads, calls times: each id below n ran once per call, none above */
static int run_many(int calls, int n, int nest)
{
    int ok = 1;
    for (int c = 0; c < calls; c++) {
        run_t r;
        memset(&r, 0, sizeof r);
        r.nest = nest;
        ar_par_run(n, count, &r);
        for (int t = 0; t < AR_PAR_MAX; t++) ok &= atomic_load(&r.hits[t]) == (t < n);
        if (nest) ok &= atomic_load(&r.nested) == n;
    }
    return ok;
}

static void *app_thread(void *p)
{
    *(int *)p = run_many(300, 2, 0) && run_many(100, 4, 0);
    return NULL;
}

typedef struct {
    atomic_int cover[1000];
    atomic_int bad;
    int64_t grain, n;
} for_t;

static void mark(void *ctx, int64_t lo, int64_t hi)
{
    for_t *f = ctx;
    if (lo % f->grain || (hi % f->grain && hi != f->n) || lo >= hi) atomic_fetch_add(&f->bad, 1);
    for (int64_t i = lo; i < hi; i++) atomic_fetch_add(&f->cover[i], 1);
}

int main(void)
{
    int ok = 1;
    for (int n = 1; n <= 6; n++) ok &= run_many(50, n, 0);
    ok &= run_many(200, 2, 0) && run_many(50, 5, 0) && run_many(200, 2, 0);
    CHECK(ok, "every thread id runs once per call, with the thread count changing");
    CHECK(run_many(20, 2, 1) && run_many(10, 4, 1), "calls from inside a worker");
    pthread_t th[3];
    int res[3] = {0};
    for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, app_thread, &res[i]);
    ok = run_many(300, 3, 0);
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL), ok &= res[i];
    CHECK(ok, "calls from four application threads at once");
    const int64_t ns[] = {1, 7, 999, 1000}, gs[] = {1, 3, 64, 2000};
    int cover = 1, bad = 0;
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            for (int t = 1; t <= 5; t++) {
                for_t f;
                memset(&f, 0, sizeof f);
                f.n = ns[a], f.grain = gs[b];
                ar_par_for(t, f.n, f.grain, mark, &f);
                for (int64_t i = 0; i < f.n; i++) cover &= atomic_load(&f.cover[i]) == 1;
                bad += atomic_load(&f.bad);
            }
    CHECK(cover && bad == 0, "ar_par_for covers [0, n) once, in whole grains (%d bad ranges)", bad);
    TEST_MAIN_END();
}
