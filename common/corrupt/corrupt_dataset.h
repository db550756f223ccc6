/* corrupt_dataset.h - a dataset corrupted on the fly.
 *
 * Wraps a base dataset: reading rows [start, start+count) reads the same rows
 * of the base set and corrupts each with ar_corrupt_image(corruption,
 * severity, seed, image index = the row's index in the base set). Any shard
 * thus gives exactly the bytes of the same rows of the whole set, wherever it
 * is generated; this is how job configs declare corrupted sets and how
 * workers generate their shards. Not thread-safe (one per thread).
 */
#ifndef AR_CORRUPT_CORRUPT_DATASET_H
#define AR_CORRUPT_CORRUPT_DATASET_H

#include <stdint.h>

#include "corrupt/corrupt.h"
#include "data/dataset.h"

/* Takes ownership of *base (nulls the caller's pointer, also on failure, when
 * it is destroyed). severity 1..5; opts may be NULL (procedural frost). Info:
 * the base's shape, labels and classes; format "corrupted"; name
 * "<base name>/<corruption>/<severity>". NULL with err set on failure. */
ar_dataset_t *ar_corrupt_dataset_new(ar_dataset_t **base, int corruption, int severity,
                                     uint64_t seed, const ar_corrupt_opts_t *opts,
                                     ar_err_t *err);

#endif
