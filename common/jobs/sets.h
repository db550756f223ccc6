/* sets.h - the image sets a job runs over, and their shards as tasks.
 *
 * A job's sets are the clean set (data.path / data.split) followed by every
 * [[data.corrupted]] group expanded to corruption x severity, in the order the
 * job file lists them (names in file order; "all" = the collection's
 * corruptions sorted by name, or every benchmark corruption for generated
 * sets). Labels: "clean", "<corruption>/<severity>", with the group's name as
 * a prefix when it has one ("cifar10c/fog/3").
 *
 * A shard task carries everything a worker needs to read it straight from
 * disk (ar_shard_params_t below), so workers never need the job's set list.
 * Shared by every job kind (common/jobs/<kind>/ plan over sets).
 */
#ifndef AR_JOBS_SETS_H
#define AR_JOBS_SETS_H

#include <stdint.h>

#include "config/job_config.h"
#include "data/dataset.h"
#include "nn/graph.h"
#include "runtime/task_params.h"

typedef struct ar_set_ref {
    char label[192];          /* report name */
    char path[1024];          /* dataset / collection / generated source */
    char split[8];            /* "train" / "test" */
    char corruption[64];      /* "" for the clean set */
    int severity;             /* 0 for the clean set */
    int generated;            /* 1: corrupt path's images on the fly */
    int64_t count;            /* images used (data.limit applied) */
    int num_classes;          /* from the dataset */
    int height, width, channels; /* image shape, from the dataset */
} ar_set_ref_t;

/* Lists every set of the job and opens each distinct source once (to count
 * it and read its image shape; a generated set shares its clean source's
 * count and shape). *sets is malloc'd. */
int ar_sets_from_job(const ar_job_config_t *cfg, ar_set_ref_t **sets, int *n, ar_err_t *err);

/* Whether images of h x w x c (HxWxC) fit the model g (file model_path):
 * AR_E_CONFIG "<what>: images are ..., the model <path> takes ..." if not. */
int ar_shape_fits_model(const char *what, int h, int w, int c, const ar_graph_t *g,
                        const char *model_path, ar_err_t *err);
/* The same for every set ("set <label>: ..."), at job start. */
int ar_sets_fit_model(const ar_set_ref_t *sets, int n, const ar_graph_t *g, const char *model_path,
                      ar_err_t *err);

/* One shard of one set, as every shard task carries it (a SUB list of the
 * evaluate, stats and localize tasks' parameters): set index and label,
 * where to read it (path, split; corruption and severity, generated = 1 to
 * corrupt on the fly with the seed), and the rows [start, start + count). */
#define AR_SHARD_PARAMS(X)                                       \
    X(INT, set, 0, INT32_MAX)                                    \
    X(STR, label, 0, AR_PROTO_MAX_TEXT - 1)                      \
    X(STR, path, 1, AR_PROTO_MAX_TEXT - 1)                       \
    X(STR, split, 0, 7)                                          \
    X(STR, corruption, 0, 63)                                    \
    X(INT, severity, 0, 5)                                       \
    X(INT, generated, 0, 1)                                      \
    X(INT, seed, INT64_MIN, INT64_MAX)                           \
    X(INT, start, 0, 1LL << 40)                                  \
    X(INT, count, 1, 1LL << 40)
AR_PARAMS_DECLARE(ar_shard_params, AR_SHARD_PARAMS)

/* The shard of set s (index `set`), rows [start, start+count); the strings
 * point into *s. */
ar_shard_params_t ar_set_shard(const ar_set_ref_t *s, int set, int64_t start, int64_t count,
                               uint64_t seed);

/* A worker's small cache of open datasets (opening an IDX .gz or a corrupted
 * view per task would repeat work). Not thread-safe. */
typedef struct ar_set_cache ar_set_cache_t;
ar_set_cache_t *ar_set_cache_new(ar_err_t *err);
void ar_set_cache_destroy(ar_set_cache_t **c);

/* Opens (or reuses) the dataset of a shard; the dataset belongs to the
 * cache. Errors name the path and the range. */
ar_dataset_t *ar_set_cache_open(ar_set_cache_t *c, const ar_shard_params_t *shard, ar_err_t *err);

#endif
