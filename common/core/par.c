/* par.c - a lazily started pool of workers, or create/run/join when the
 * pool is in use (see par.h). */
#include "par.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

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

/* Threads created for this call and joined before it returns. */
static void par_run_spawn(int n, ar_par_fn fn, void *ctx)
{
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

/* The pool: workers 1..nworkers wait for a new generation, run their share
 * when their id is below the call's thread count, and report. `busy` is
 * held by the one call using the pool; a call that finds it taken (another
 * application thread, or a call from inside a worker) spawns threads.
 *
 * Waiting spins (then yields: spin_until) for up to AR_PAR_SPIN_NS before
 * sleeping on a condition variable, on both sides: a training step makes
 * hundreds of calls a few hundred microseconds apart, and a futex wake-up
 * costs tens of microseconds each way (the caller idled ~8% of a 2-thread
 * resnet20 step, `perf stat`: 1.83 CPUs used of 2). Bounded, so idle
 * workers sleep (as libgomp's workers do after GOMP_SPINCOUNT). Generation
 * and pending count are atomics; the job's fields are read under `m`,
 * written with the generation under `m`, so a worker never mixes two calls'
 * fields. */
#define AR_PAR_SPIN_NS 200000

static struct {
    pthread_mutex_t busy, m;
    pthread_cond_t go, done;
    int nworkers;
    atomic_uint gen;
    atomic_int pending;
    ar_par_fn fn;
    void *ctx;
    int n;
    unsigned start_gen[AR_PAR_MAX]; /* the generation each worker was started at */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_COND_INITIALIZER, 0, 0, 0, NULL, NULL, 0, {0}};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Waits until cond(arg) holds or AR_PAR_SPIN_NS pass; returns cond(arg).
 * Pure spinning for the first AR_PAR_PAUSE_NS, then a sched_yield between
 * checks: on a machine with more runnable threads than cores (two 2-thread
 * trainings on 2 cores) pure spinning kept the core from the thread being
 * waited for, 10-15% slower than sleeping at once; yielding hands it over. */
#define AR_PAR_PAUSE_NS 5000

static int spin_until(int (*cond)(unsigned), unsigned arg)
{
    if (cond(arg))
        return 1;
    const int64_t t0 = now_ns();
    for (;;) {
        for (int i = 0; i < 64; i++) {
            cpu_relax();
            if (cond(arg))
                return 1;
        }
        const int64_t t = now_ns() - t0;
        if (t > AR_PAR_SPIN_NS)
            return 0;
        if (t > AR_PAR_PAUSE_NS)
            sched_yield();
    }
}

static int gen_moved(unsigned seen)
{
    return atomic_load_explicit(&pool.gen, memory_order_acquire) != seen;
}

static int all_done(unsigned unused)
{
    (void)unused;
    return atomic_load_explicit(&pool.pending, memory_order_acquire) == 0;
}

static void *pool_worker(void *p)
{
    const int tid = (int)(intptr_t)p;
    pthread_mutex_lock(&pool.m);
    unsigned seen = pool.start_gen[tid];
    pthread_mutex_unlock(&pool.m);
    for (;;) {
        spin_until(gen_moved, seen);
        pthread_mutex_lock(&pool.m);
        while (atomic_load_explicit(&pool.gen, memory_order_relaxed) == seen)
            pthread_cond_wait(&pool.go, &pool.m);
        seen = atomic_load_explicit(&pool.gen, memory_order_relaxed);
        const int n = pool.n;
        ar_par_fn fn = pool.fn;
        void *ctx = pool.ctx;
        pthread_mutex_unlock(&pool.m);
        if (tid >= n)
            continue;
        fn(ctx, tid, n);
        if (atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_acq_rel) == 1) {
            /* under m: the caller checks pending under m before it sleeps */
            pthread_mutex_lock(&pool.m);
            pthread_cond_signal(&pool.done);
            pthread_mutex_unlock(&pool.m);
        }
    }
    return NULL;
}

/* Starts workers up to n - 1 (busy held); returns how many there are. */
static int pool_grow(int n)
{
    while (pool.nworkers < n - 1) {
        pthread_t th;
        pthread_attr_t at;
        if (pthread_attr_init(&at) != 0)
            break;
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        /* the worker waits for a generation after the one current now
         * (the next call's), whenever it gets to run */
        pthread_mutex_lock(&pool.m);
        pool.start_gen[pool.nworkers + 1] = atomic_load(&pool.gen);
        int ok = pthread_create(&th, &at, pool_worker,
                                (void *)(intptr_t)(pool.nworkers + 1)) == 0;
        if (ok)
            pool.nworkers++;
        pthread_mutex_unlock(&pool.m);
        pthread_attr_destroy(&at);
        if (!ok)
            break;
    }
    return pool.nworkers;
}

void ar_par_run(int nthreads, ar_par_fn fn, void *ctx)
{
    const int n = nthreads < 1 ? 1 : nthreads > AR_PAR_MAX ? AR_PAR_MAX : nthreads;
    if (n == 1) {
        fn(ctx, 0, 1);
        return;
    }
    if (pthread_mutex_trylock(&pool.busy) != 0) {
        par_run_spawn(n, fn, ctx);
        return;
    }
    if (pool_grow(n) < n - 1) {
        pthread_mutex_unlock(&pool.busy);
        par_run_spawn(n, fn, ctx);
        return;
    }
    pthread_mutex_lock(&pool.m);
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    atomic_store_explicit(&pool.pending, n - 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&pool.gen, 1, memory_order_release);
    pthread_cond_broadcast(&pool.go);
    pthread_mutex_unlock(&pool.m);
    fn(ctx, 0, n);
    if (!spin_until(all_done, 0)) {
        pthread_mutex_lock(&pool.m);
        while (atomic_load_explicit(&pool.pending, memory_order_acquire) > 0)
            pthread_cond_wait(&pool.done, &pool.m);
        pthread_mutex_unlock(&pool.m);
    }
    pthread_mutex_unlock(&pool.busy);
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

static int default_threads = 1;

void ar_par_set_default_threads(int threads)
{
    default_threads = threads < 1 ? 1 : threads > AR_PAR_MAX ? AR_PAR_MAX : threads;
}

int ar_par_default_threads(void) { return default_threads; }
