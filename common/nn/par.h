/* par.h - run one function on a few threads, the caller being thread 0.
 * The kernels split work statically by thread id, so results never depend
 * on timing; each call creates and joins its threads (no pool, no global
 * state). If a thread cannot be created, its share runs on the caller. */
#ifndef AR_NN_PAR_H
#define AR_NN_PAR_H

#define AR_PAR_MAX 64  /* threads per call at most */

typedef void (*ar_par_fn)(void *ctx, int tid, int nthreads);

/* Calls fn(ctx, t, n) for t in [0, n) with n = clamp(nthreads, 1,
 * AR_PAR_MAX), concurrently; returns when all are done. */
void ar_par_run(int nthreads, ar_par_fn fn, void *ctx);

#endif
