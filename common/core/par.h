/* par.h - run one function on a few threads, the caller being thread 0.
 * Callers split their work statically by thread id (or take ar_par_for's
 * fixed ranges), so results never depend on timing.
 * Threads come from one process-wide pool of workers, started on first use
 * and kept (a training step makes ~230 calls; creating and joining threads
 * per call cost ~17 us of the caller's CPU each, plus the wake-up); workers
 * and caller spin, then yield, up to 200 us before sleeping (par.c); a call
 * made while the pool is in use (another application thread, or from inside
 * a worker) creates and joins its own threads. If a thread cannot be
 * created, its share runs on the caller. */
#ifndef AR_CORE_PAR_H
#define AR_CORE_PAR_H

#include <stdint.h>

#define AR_PAR_MAX 64  /* threads per call at most */

typedef void (*ar_par_fn)(void *ctx, int tid, int nthreads);

/* Calls fn(ctx, t, n) for t in [0, n) with n = clamp(nthreads, 1,
 * AR_PAR_MAX), concurrently; returns when all are done. */
void ar_par_run(int nthreads, ar_par_fn fn, void *ctx);

typedef void (*ar_par_range_fn)(void *ctx, int64_t lo, int64_t hi);

/* Splits the items [0, n) into runs of `grain` items (the last may be
 * shorter), deals them out as contiguous ranges to at most nthreads threads
 * (never more threads than runs, so small jobs stay on the caller) and calls
 * fn(ctx, lo, hi) once per non-empty range, concurrently. The ranges depend
 * on the thread count: use it where an item's result does not depend on the
 * range it falls in (elementwise ops, per-channel statistics, a sum over
 * chunks done per element in a fixed order). */
void ar_par_for(int nthreads, int64_t n, int64_t grain, ar_par_range_fn fn, void *ctx);

/* The process's thread count for work that is not told one (initially 1):
 * a rank sets it once from its [run] threads, before any task runs, and
 * the plans made with threads = 0 (nn/plan.h) and the corrupted sets
 * generated on the fly use it. Not for concurrent use with its readers. */
void ar_par_set_default_threads(int threads);
int ar_par_default_threads(void);

#endif
