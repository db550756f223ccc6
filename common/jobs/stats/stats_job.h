/* stats_job.h - the "stats" job: exact integer statistics of every image set
 * (count, pixel sum, sum of squares, label histogram and an order-sensitive
 * FNV-1a checksum of pixels and labels), computed shard by shard on the
 * workers and folded in task order on the coordinator.
 *
 * It exercises the whole runtime (planning, credit, streaming, in-order
 * aggregation, atomic output) with answers a test can compute exactly with
 * numpy, and checks a dataset (or an on-the-fly corruption) reads the same
 * on every rank. Output: an HDF5 file with /stats: set_names (string [M]),
 * count, pixel_sum, pixel_sq, checksum (int64 [M]; checksum is the uint64
 * bit pattern), hist (int64 [M, K]); and <output>.json (stats_report.h).
 *
 * Checksums: image = FNV-1a-64 over its H*W*C bytes then its int32 label
 * (little-endian); shard = FNV-1a-64 over its image checksums (uint64 LE);
 * set = FNV-1a-64 over its shard checksums in shard order.
 */
#ifndef AR_JOBS_STATS_JOB_H
#define AR_JOBS_STATS_JOB_H

#include "runtime/registry.h"

/* Coordinator half (stats_coord.c); the task type is in stats_params.h. */
extern const ar_job_kind_t ar_job_stats;

#endif
