/* corrupt_set.c - one opener for clean, stored and generated sets
 * (corrupt_set.h). */
#include "corrupt_set.h"

#include <string.h>

#include "corrupt/corrupt_dataset.h"
#include "data/collection.h"

ar_dataset_t *ar_cset_open(const ar_cset_src_t *s, ar_err_t *err)
{
    ar_data_source_t src = {.path = s->path, .split = s->split};
    const char *name = s->corruption;
    if (!name || !name[0] || !strcmp(name, "clean")) return ar_dataset_open(&src, err);
    if (s->severity < 1 || s->severity > 5)
        return ar_err_set(err, AR_E_ARG, "severity %d outside 1..5", s->severity), NULL;
    int generated = s->kind == AR_CSET_GENERATED ||
                    (s->kind == AR_CSET_AUTO && !ar_collection_probe(s->path));
    if (!generated) {
        src.corruption = name;
        src.severity = s->severity;
        return ar_dataset_open(&src, err);
    }
    ar_dataset_t *ds = ar_dataset_open(&src, err);
    if (!ds) return NULL;
    int c = ar_corrupt_find(name);
    if (c < 0) {
        ar_dataset_destroy(&ds);
        ar_err_set(err, AR_E_ARG, "unknown corruption '%s'", name);
        return NULL;
    }
    return ar_corrupt_dataset_new(&ds, c, s->severity, s->seed, NULL, err);
}
