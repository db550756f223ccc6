/* stats_params.h - the "stats" task type: its parameters (one shard of one
 * set; runtime/task_params.h), the checksum both halves compute (stats_job.h
 * defines it) and the type itself (stats_task.c, the worker half). */
#ifndef AR_JOBS_STATS_PARAMS_H
#define AR_JOBS_STATS_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "jobs/sets.h"
#include "runtime/registry.h"

#define AR_STATS_PARAMS(X) X(SUB, shard, ar_shard_params, 0)
AR_PARAMS_DECLARE(ar_stats_params, AR_STATS_PARAMS)

/* Worker half (stats_task.c). */
extern const ar_task_type_t ar_task_stats;

#define AR_FNV_BASIS 14695981039346656037ull
#define AR_FNV_PRIME 1099511628211ull

static inline uint64_t ar_fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * AR_FNV_PRIME;
    return h;
}

static inline uint64_t ar_fnv_u64(uint64_t h, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    return ar_fnv(h, b, 8);
}

#endif
