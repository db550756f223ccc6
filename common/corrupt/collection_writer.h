/* collection_writer.h - writes a corruption collection: every image of a
 * dataset corrupted with each chosen corruption at each chosen severity, in
 * one of the two layouts data/collection.h reads (docs/datasets.md,
 * docs/corruptions.md "The command"):
 *
 *   OUT ending in .h5 or .hdf5: an HDF5 collection, /labels int32 [N] and
 *     /<corruption>/images uint8 [S, N, H, W, C] (severities 1..S in order),
 *     root attributes format = "archrepair-corruptions", source,
 *     frost_source, parameters (the parameter table: "cifar-10-c" or
 *     "tiny-imagenet-c", corrupt.h), seed, severities, image_shape,
 *     corruptions, and classes when the set names them;
 *   any other OUT: a CIFAR-10-C style directory, <corruption>.npy uint8
 *     [5N, H, W, C] severity-major + labels.npy [5N] (uint8; int64 above 256
 *     classes); needs severities 1-5.
 *
 * Output is streamed block by block (never the whole set in memory; the
 * clean set is read once when under 1 GiB) and every file is written under a
 * temporary name and renamed into place only when complete.
 *
 * Threads: each block is split between the writer's threads, taken from the
 * process's pool (core/par.h), each with its own corruption context. Image i
 * is always corrupted with the stream of (seed, corruption, severity, i), so
 * the bytes do not depend on the thread count.
 */
#ifndef AR_CORRUPT_COLLECTION_WRITER_H
#define AR_CORRUPT_COLLECTION_WRITER_H

#include <stdint.h>

#include "core/error.h"
#include "corrupt/corrupt.h"
#include "data/dataset.h"

/* Called after every block: images done of total, the corruption and
 * severity being written. */
typedef void (*ar_collection_progress_fn)(void *user, int corruption, int severity, int64_t done,
                                          int64_t total);

typedef struct ar_collection_writer_opts {
    const int *corruptions;    /* ncorruptions distinct indices (ar_corruption_t) */
    int ncorruptions;
    const int *severities;     /* nseverities distinct values in 1..5 */
    int nseverities;
    uint64_t seed;
    int64_t count;             /* the first count images of the set; <= 0: all */
    int threads;               /* 1..AR_PAR_MAX (core/par.h) */
    ar_corrupt_opts_t corrupt; /* frost textures */
    const char *source;        /* the "source" attribute (the input's path); NULL: "" */
    ar_collection_progress_fn progress; /* NULL: none */
    void *progress_user;
} ar_collection_writer_opts_t;

typedef struct ar_collection_writer ar_collection_writer_t;

/* A writer of ds (borrowed: it must outlive the writer) with a corruption
 * context per thread; o is copied. NULL with err set on failure (bad
 * options, an unreadable frost_dir, no memory). */
ar_collection_writer_t *ar_collection_writer_new(ar_dataset_t *ds,
                                                 const ar_collection_writer_opts_t *o,
                                                 ar_err_t *err);

/* The contexts' frost texture source (ar_corrupt_ctx_frost_source). */
const char *ar_collection_writer_frost_source(const ar_collection_writer_t *w);

/* The first thread's corruption context, e.g. for a preview sheet of the
 * same bytes; not to be used while ar_collection_writer_write runs. */
ar_corrupt_ctx_t *ar_collection_writer_ctx(ar_collection_writer_t *w);

/* Writes the collection to out (the layout chosen by its name, above). The
 * severities must be 1..S in order for HDF5 and 1-5 for a directory
 * (AR_E_ARG, nothing written). On failure the file being written is
 * removed: an HDF5 collection never appears; a directory keeps the files
 * completed before it (labels.npy, earlier corruptions). */
int ar_collection_writer_write(ar_collection_writer_t *w, const char *out, ar_err_t *err);

/* Frees the writer and its contexts; nulls *w; safe on NULL. */
void ar_collection_writer_destroy(ar_collection_writer_t **w);

#endif
