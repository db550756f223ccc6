/* corrupt_set.h - opening an evaluation set: a dataset's clean images, one
 * corruption set stored in a collection, or a dataset's images corrupted on
 * the fly (corrupt_dataset.h). The one opener of the eval command and the
 * job's image sets. */
#ifndef AR_CORRUPT_CORRUPT_SET_H
#define AR_CORRUPT_CORRUPT_SET_H

#include <stdint.h>

#include "core/error.h"
#include "data/dataset.h"

/* Where a corrupted set's images come from. */
typedef enum {
    AR_CSET_AUTO,        /* stored when path is a collection (ar_collection_probe), else generated */
    AR_CSET_STORED,      /* the set of the collection at path */
    AR_CSET_GENERATED,   /* path's images corrupted on the fly (ar_corrupt_dataset_new) */
} ar_cset_kind_t;

typedef struct ar_cset_src {
    const char *path;        /* dataset, collection, or the source of a generated set */
    const char *split;       /* as ar_data_source_t.split */
    const char *corruption;  /* NULL, "" or "clean": the clean images (kind and severity unused) */
    int severity;            /* 1..5 with a corruption */
    ar_cset_kind_t kind;
    uint64_t seed;           /* keys a generated set's corruption */
} ar_cset_src_t;

/* Opens the set; the caller destroys it. Errors: AR_E_ARG "severity %d
 * outside 1..5" (checked before anything is opened), the base dataset's
 * open errors, AR_E_ARG "unknown corruption '%s'" for a generated set whose
 * name ar_corrupt_find does not know. NULL with err set. */
ar_dataset_t *ar_cset_open(const ar_cset_src_t *src, ar_err_t *err);

#endif
